"""Airflow 2's stable API (``/api/v1``): its answers' models (the OpenAPI document) and the pure
functions that build them from Airflow 3's (app/gateway/models.py), one module per resource."""
