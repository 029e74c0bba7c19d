"""Settings (api.md section 7): one pydantic-settings class, read from ``DAGPORT_*`` once and injected."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./dagport.db"


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
    # How many values a DAG definition may expand to (YAML aliases resolved): app/schemas/definition_text.py.
    max_definition_nodes: int = Field(1_000_000, ge=1)
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

    @field_validator("ui_base_url", "root_path")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _sqlite_is_single_process(self) -> Settings:
        if self.is_sqlite and self.workers > 1:
            raise ValueError("SQLite serves one process: set DAGPORT_WORKERS=1 or use Postgres")
        return self

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
