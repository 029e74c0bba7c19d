"""The gateway's client as the settings say (docs/airflow.md, "Settings"): one per app, shared by
every API served in front of Airflow."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry

from app.config import Settings
from app.gateway.client import AirflowClient
from app.gateway.credentials import Credentials, Passthrough, ServiceAccount, StaticToken, TokenExchange
from app.gateway.metrics import UpstreamMetrics
from app.gateway.transport import Transport


def credentials_for(settings: Settings, exchange: TokenExchange) -> Credentials:
    if settings.airflow_passthrough:
        return Passthrough(exchange, recheck_seconds=settings.airflow_recheck_seconds)
    if settings.airflow_token:
        return StaticToken(settings.airflow_token)
    return ServiceAccount(exchange, settings.airflow_username, settings.airflow_password)


def gateway_client(
    settings: Settings,
    registry: CollectorRegistry | None,
    http_transport: httpx.AsyncBaseTransport | None = None,
) -> AirflowClient:
    """The gateway's client as the settings say (docs/airflow.md, "Settings")."""
    transport = Transport(
        url=settings.airflow_url,
        timeout=settings.airflow_timeout,
        max_connections=settings.airflow_max_connections,
        metrics=UpstreamMetrics(registry),
        http_transport=http_transport,
    )
    return AirflowClient(
        transport=transport,
        credentials=credentials_for(settings, TokenExchange(transport)),
        cache_seconds=settings.airflow_cache_seconds,
        cache_bytes=int(settings.airflow_cache_mb * 2**20),
        fanout=settings.airflow_fanout,
        max_calls=settings.airflow_max_calls,
        caller_connections=settings.airflow_caller_connection_limit,
        fanout_connections=max(1, settings.airflow_max_connections // 2),
        database_retries=settings.airflow_database_retries,
    )
