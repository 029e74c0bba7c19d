"""compose.yaml's wiring, read with PyYAML (there is no Docker engine here; CI also validates the
file against the Compose specification with check-jsonschema, and tests/test_proxy.py runs
deploy/nginx.conf for real).

What is checked is what the schema cannot see: the replicas never migrate and wait for the one-shot
migration, share one token list, trust exactly nginx's address, and nginx's upstreams and body limit
agree with the replicas' settings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.middleware import too_large_message

ROOT = Path(__file__).resolve().parents[1]
REPLICAS = ("dagport-1", "dagport-2")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text()


def env(service: dict[str, Any]) -> dict[str, str]:
    return service["environment"]


def test_migrate_is_a_one_shot_db_upgrade(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert migrate["command"] == ["dagport", "db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}


@pytest.mark.parametrize("replica", REPLICAS)
def test_replica_starts_after_a_successful_migration_and_never_migrates(
    services: dict[str, Any], replica: str
) -> None:
    service = services[replica]
    assert service["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert env(service)["DAGPORT_AUTO_MIGRATE"] == "false"


def test_every_dagport_service_uses_one_database_and_one_token_list(services: dict[str, Any]) -> None:
    settings = {
        name: (env(services[name])["DAGPORT_DATABASE_URL"], env(services[name])["DAGPORT_API_TOKENS"])
        for name in ("migrate", *REPLICAS)
    }
    assert set(settings.values()) == {
        (
            "postgresql://dagport:${POSTGRES_PASSWORD:-dagport}@postgres:5432/dagport",
            "${DAGPORT_API_TOKENS:?set DAGPORT_API_TOKENS to one or more comma-separated API tokens}",
        )
    }


@pytest.mark.parametrize("replica", REPLICAS)
def test_replica_trusts_forwarded_headers_from_nginx_only(services: dict[str, Any], replica: str) -> None:
    nginx_address = services["nginx"]["networks"]["default"]["ipv4_address"]
    assert env(services[replica])["DAGPORT_FORWARDED_ALLOW_IPS"] == nginx_address


def test_nginx_balances_over_both_replicas(services: dict[str, Any], nginx_conf: str) -> None:
    upstream = re.search(r"upstream dagport \{(.*?)\}", nginx_conf, re.S)
    assert upstream is not None
    servers = re.findall(r"^\s*server (\S+?):(\d+) ", upstream.group(1), re.M)
    assert servers == [(replica, "8080") for replica in REPLICAS]  # 8080: the image's DAGPORT_PORT
    assert services["nginx"]["volumes"] == ["./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"]
    assert services["nginx"]["depends_on"] == {r: {"condition": "service_healthy"} for r in REPLICAS}


def test_nginx_body_limit_and_its_error_match_dagports(services: dict[str, Any], nginx_conf: str) -> None:
    limits = {int(env(services[replica])["DAGPORT_MAX_BODY_BYTES"]) for replica in REPLICAS}
    assert limits == {1024 * 1024}
    assert re.findall(r"client_max_body_size (\S+);", nginx_conf) == ["1m"]  # 1m = 1048576 bytes
    assert f'{{"error": "{too_large_message(1024 * 1024)}", "request_id": "$request_id"}}' in nginx_conf
