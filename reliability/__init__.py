"""Reliability runs: dagport replicas behind nginx on a private Postgres, under load and faults.

``python -m reliability`` (docs/reliability.md): kill -9 of a replica, a Postgres restart, SIGTERM
under load, request limits and an optional soak, each checked against the database afterwards.
"""
