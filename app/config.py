"""Settings (docs/api.md section 7): one pydantic-settings class, read from ``DAGPORT_*`` once and injected."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./dagport.db"
# A DAGPORT_API_TOKENS token shorter than this is refused at start-up (a guessable secret).
MIN_TOKEN_LENGTH = 16


def normalize_database_url(url: str) -> str:
    """Map the URL spellings users write to the async driver dagport runs on."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    for prefix in ("sqlite+aiosqlite://", "sqlite://"):
        if url.startswith(prefix):
            return "sqlite+aiosqlite://" + url[len(prefix) :]
    raise ValueError(
        f"unsupported database URL scheme in {url.split('://', 1)[0]!r}: use postgresql:// or sqlite://"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAGPORT_", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    workers: int = Field(1, ge=1)
    auth_backend: Literal["token", "none"] = "token"
    api_tokens: str = ""
    # Where the first-run token is written when stdout is not a terminal (app/startup.py, prepare).
    initial_token_file: Path = Path("dagport-initial-token")
    dags_folder: Path | None = None
    load_examples: bool = False
    default_timezone: str = "UTC"
    triggered_run_state: Literal["queued", "running"] = "queued"
    ui_base_url: str = ""
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Overflow connections are closed when returned, so under steady load above pool_size they are
    # opened and closed per request; a larger pool with no overflow queues instead (pool_timeout).
    db_pool_size: int = Field(20, ge=1)
    db_max_overflow: int = Field(0, ge=0)
    db_pool_timeout: float = Field(10.0, gt=0)
    db_statement_cache_size: int = Field(100, ge=0)
    # `pgbouncer`: Postgres is reached through PgBouncer's transaction pooling (app/db/reads.py).
    db_pooler: Literal["none", "pgbouncer"] = "none"
    max_body_bytes: int = Field(1024 * 1024, ge=1)
    # The request head (request line and headers) as uvicorn reads it, before the app sees the
    # request (app/server.py): over either limit is 431, a head not received in time is 408.
    # MAX_HEADER_BYTES=0 turns the guard off.
    max_header_bytes: int = Field(64 * 1024, ge=0)
    max_headers: int = Field(100, ge=1)
    header_timeout: float = Field(10.0, ge=0)
    # How long uvicorn keeps an idle connection open between requests.
    keep_alive_timeout: int = Field(5, ge=1)
    # How large a DAG definition may be (app/definitions/decoding.py): values once YAML aliases are
    # resolved and default_args applied to every task; tasks; upstream entries.
    max_definition_nodes: int = Field(1_000_000, ge=1)
    max_definition_tasks: int = Field(10_000, ge=1)
    max_definition_edges: int = Field(100_000, ge=0)
    root_path: str = ""
    forwarded_allow_ips: str = "127.0.0.1"
    auto_migrate: bool = True
    token_cache_seconds: float = Field(5.0, ge=0)
    # How long one reload of the stored tokens may take, connecting included (app/auth.py).
    token_reload_timeout: float = Field(2.0, gt=0)
    # Run listings and latest_runs kept per worker while the runs they show are unchanged
    # (app/listing_cache.py).
    listing_cache_mb: float = Field(16.0, ge=0)
    # Runs a listing longer than four times this reads and sends at a time, and how long its
    # client may take to accept one such piece before it is cut off
    # (app/services/dag_runs.py ListingStream, app/routers/dag_runs.py StreamedListing).
    listing_chunk_rows: int = Field(250, ge=1, le=10_000)
    listing_send_timeout: float = Field(30.0, gt=0)
    # FastAPI's native OpenTelemetry (spans, metrics and logs for the process's providers). Off by
    # default: dagport reports through /metrics and its access log, and FastAPI otherwise asks the
    # OpenTelemetry API whether a provider is configured on every request (docs/performance.md).
    opentelemetry: bool = False
    # Several workers: how often each copies its scrape-time figures (pool, listing cache) to the
    # files /metrics sums (app/observability.py).
    metrics_publish_seconds: float = Field(1.0, gt=0)

    # In front of an Airflow 3 (docs/airflow.md): `airflow` serves the API through Airflow's REST API v2.
    backend: Literal["store", "airflow"] = "store"
    airflow_url: str = ""
    airflow_auth: Literal["service", "passthrough"] = "service"
    airflow_username: str = ""
    airflow_password: str = ""
    airflow_token: str = ""
    airflow_ui_url: str = ""
    airflow_cache_seconds: float = Field(0.0, ge=0)
    # The read cache's size per worker, answers weighed by their bytes (app/gateway/client.py).
    airflow_cache_mb: float = Field(32.0, ge=0)
    airflow_timeout: float = Field(10.0, gt=0)
    airflow_max_connections: int = Field(20, ge=1)
    # Calls to Airflow one caller may have in flight at once per worker (unset: half of
    # AIRFLOW_MAX_CONNECTIONS), so that one client never takes every connection.
    airflow_caller_connections: int | None = Field(None, ge=1)
    # How many calls to Airflow one request (latest_runs over many DAGs) makes at once.
    airflow_fanout: int = Field(8, ge=1)
    # How many calls to Airflow one request may make in all; past it, 503 naming this setting.
    airflow_max_calls: int = Field(500, ge=1)
    # Passthrough: how long a Basic caller's Airflow token is used before the password is checked
    # with Airflow again (a changed password or a removed user is seen within this time).
    airflow_recheck_seconds: float = Field(300.0, gt=0)
    # How often a read or a PATCH is sent again when Airflow answers 500 "Database error" (its
    # transaction was rolled back: typically a deadlock with its scheduler); 0 switches it off.
    airflow_database_retries: int = Field(2, ge=0)
    # Signs /api/v1's file tokens (docs/api-v1.md): the same for every worker and replica of one
    # deployment. Unset: a random key made once and kept in dagport's database (table secret_key).
    secret_key: str = Field("", repr=False)

    @field_validator("database_url")
    @classmethod
    def _normalize_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("api_tokens")
    @classmethod
    def _long_enough_tokens(cls, value: str) -> str:
        tokens = [t.strip() for t in value.split(",") if t.strip()]
        short = [n for n, t in enumerate(tokens, start=1) if len(t) < MIN_TOKEN_LENGTH]
        if short:
            # Never the tokens themselves: this line goes to the logs.
            which = f"token {short[0]} is" if len(short) == 1 else f"tokens {', '.join(map(str, short))} are"
            raise ValueError(
                f"every token must have at least {MIN_TOKEN_LENGTH} characters; "
                f"{which} shorter (of {len(tokens)}, counted from 1)"
            )
        return value

    @field_validator("ui_base_url", "root_path", "airflow_url", "airflow_ui_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _sqlite_is_single_process(self) -> Settings:
        if self.is_sqlite and self.workers > 1:
            raise ValueError("SQLite serves one process: set DAGPORT_WORKERS=1 or use Postgres")
        return self

    @model_validator(mode="after")
    def _airflow_is_configured(self) -> Settings:
        if self.backend != "airflow":
            return self
        if not self.airflow_url.startswith(("http://", "https://")):
            raise ValueError("DAGPORT_BACKEND=airflow needs DAGPORT_AIRFLOW_URL (http:// or https://)")
        if "@" in urlsplit(self.airflow_url).netloc:
            # httpx would send them as HTTP Basic on every call, in place of the caller's credentials
            # or dagport's token: every caller would act as that user.
            raise ValueError(
                "DAGPORT_AIRFLOW_URL must not hold credentials (user:password@): set "
                "DAGPORT_AIRFLOW_USERNAME and DAGPORT_AIRFLOW_PASSWORD, or DAGPORT_AIRFLOW_TOKEN"
            )
        service_credentials = self.airflow_token or (self.airflow_username and self.airflow_password)
        if self.airflow_auth == "service" and not service_credentials:
            raise ValueError(
                "DAGPORT_AIRFLOW_AUTH=service needs DAGPORT_AIRFLOW_USERNAME and DAGPORT_AIRFLOW_PASSWORD "
                "(or DAGPORT_AIRFLOW_TOKEN)"
            )
        return self

    @property
    def fronts_airflow(self) -> bool:
        return self.backend == "airflow"

    @property
    def airflow_passthrough(self) -> bool:
        """Callers' own credentials go to Airflow; dagport's token check is off."""
        return self.fronts_airflow and self.airflow_auth == "passthrough"

    @property
    def airflow_caller_connection_limit(self) -> int:
        """Calls one caller may have in flight to Airflow (AIRFLOW_CALLER_CONNECTIONS, else half)."""
        if self.airflow_caller_connections is not None:
            return min(self.airflow_caller_connections, self.airflow_max_connections)
        return max(1, (self.airflow_max_connections + 1) // 2)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def behind_pgbouncer(self) -> bool:
        """Through PgBouncer's transaction pooling: no prepared statement may outlive a
        transaction (DB_STATEMENT_CACHE_SIZE=0 has meant this too, and still does)."""
        return not self.is_sqlite and (self.db_pooler == "pgbouncer" or self.db_statement_cache_size == 0)

    @property
    def db_connection_limit(self) -> int:
        """How many units of work hold a connection at once (the engine's pool: one on SQLite)."""
        return 1 if self.is_sqlite else self.db_pool_size + self.db_max_overflow

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)

    @cached_property
    def env_tokens(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.api_tokens.split(",") if t.strip())
