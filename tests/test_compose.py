"""compose.yaml's and compose.airflow.yaml's wiring, read with PyYAML (there is no Docker engine
here; CI also validates the files against the Compose specification with check-jsonschema, and
tests/test_proxy.py runs deploy/nginx.conf for real).

What is checked is what the schema cannot see: the replicas never migrate and wait for the one-shot
migration, share one token list, trust exactly nginx's address, and nginx's upstreams and body limit
agree with the replicas' settings; in front of Airflow, every Airflow process shares one database,
executor and JWT secret, starts after the one-shot migration, and dagport's service account is the
one Airflow's auth manager knows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.core.messages import body_too_large
from tests.airflow_deployment import airflow_version

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
    assert f'{{"error": "{body_too_large(1024 * 1024)}", "request_id": "$request_id"}}' in nginx_conf


# -- compose.airflow.yaml: dagport in front of Airflow's official image ---------------------------

AIRFLOW_SERVICES = ("airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor")


@pytest.fixture(scope="module")
def airflow_compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.airflow.yaml").read_text())


@pytest.fixture(scope="module")
def airflow_services(airflow_compose: dict[str, Any]) -> dict[str, Any]:
    return airflow_compose["services"]


def test_airflow_is_the_official_image_of_the_version_the_tests_run(airflow_services: dict[str, Any]) -> None:
    images = {airflow_services[name]["image"] for name in AIRFLOW_SERVICES}
    assert images == {f"apache/airflow:{airflow_version()}"}  # requirements/airflow.txt's pin
    commands = {name: airflow_services[name]["command"] for name in AIRFLOW_SERVICES[1:]}
    assert commands == {
        "airflow-api-server": ["api-server"],
        "airflow-scheduler": ["scheduler"],
        "airflow-dag-processor": ["dag-processor"],
    }


def test_every_airflow_process_shares_one_database_executor_and_jwt_secret(
    airflow_services: dict[str, Any],
) -> None:
    keys = (
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
    )
    settings = {tuple(env(airflow_services[name])[key] for key in keys) for name in AIRFLOW_SERVICES}
    assert settings == {
        (
            "postgresql+psycopg2://airflow:${POSTGRES_PASSWORD:-airflow}@postgres:5432/airflow",
            "LocalExecutor",
            "${AIRFLOW_JWT_SECRET:?set AIRFLOW_JWT_SECRET to a random secret}",
            "http://airflow-api-server:8080/execution/",  # the api-server's service name and port
            "${DAGPORT_AIRFLOW_USERNAME:-dagport}:admin",
        )
    }


def test_airflow_starts_after_its_one_shot_migration(airflow_services: dict[str, Any]) -> None:
    init = airflow_services["airflow-init"]
    assert init["restart"] == "no"
    assert env(init)["_AIRFLOW_DB_MIGRATE"] == "true"
    assert init["command"][-1].rstrip().endswith("exec /entrypoint airflow version")
    assert init["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in AIRFLOW_SERVICES[1:]:
        assert airflow_services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "airflow-init": {"condition": "service_completed_successfully"},
        }, name


def test_the_password_file_airflow_init_writes_is_the_one_the_api_server_reads(
    airflow_services: dict[str, Any],
) -> None:
    init, api = airflow_services["airflow-init"], airflow_services["airflow-api-server"]
    path = env(api)["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    assert path == "/opt/airflow/auth/passwords.json"
    assert f"> {path}" in init["command"][-1]
    assert "airflow-auth:/opt/airflow/auth" in init["volumes"]
    assert "airflow-auth:/opt/airflow/auth" in api["volumes"]


def test_dagport_fronts_the_api_server_with_the_service_account(airflow_services: dict[str, Any]) -> None:
    dagport, init = airflow_services["dagport"], airflow_services["airflow-init"]
    settings = env(dagport)
    assert settings["DAGPORT_BACKEND"] == "airflow"
    assert settings["DAGPORT_AIRFLOW_URL"] == "http://airflow-api-server:8080"
    # The account airflow-init writes the password of, and the one the auth manager knows.
    for key in ("DAGPORT_AIRFLOW_USERNAME", "DAGPORT_AIRFLOW_PASSWORD"):
        assert settings[key] == env(init)[key], key
    user = env(airflow_services["airflow-api-server"])["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]
    assert user == f"{settings['DAGPORT_AIRFLOW_USERNAME']}:admin"
    assert dagport["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "airflow-api-server": {"condition": "service_healthy"},
    }


def test_dagport_has_a_database_of_its_own_beside_airflows(
    airflow_compose: dict[str, Any], airflow_services: dict[str, Any]
) -> None:
    url = env(airflow_services["dagport"])["DAGPORT_DATABASE_URL"]
    assert url == "postgresql://airflow:${POSTGRES_PASSWORD:-airflow}@postgres:5432/dagport"
    (config,) = airflow_services["postgres"]["configs"]
    assert config["target"].startswith("/docker-entrypoint-initdb.d/")
    assert airflow_compose["configs"][config["source"]]["content"].strip() == "CREATE DATABASE dagport;"
