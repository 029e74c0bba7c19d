"""Airflow 2's stable API (``/api/v1``) in front of Airflow 3: its rules over the gateway, one module
per resource (docs/api-v1.md).

A v1 service reads what its route parsed, calls Airflow's REST API v2 through the gateway
(app/gateway/: endpoints and parameters, never a path built here), and returns the v1 answer as
plain JSON-ready values built by the pure functions of app/schemas/v1/, or raises a domain error
whose message and ``title`` are Airflow 2.11's words. It knows nothing of HTTP.
"""
