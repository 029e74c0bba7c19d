"""Tables (SQLAlchemy Core). Repositories select rows, never ORM object graphs.

JSON columns are ``JSON`` (json on Postgres, text on SQLite), not JSONB: key order of ``params``,
``arguments`` and lineage entities is user-visible in Airflow's ``str()`` renderings, and JSONB
reorders keys.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: timestamptz on Postgres, a UTC string on SQLite; always aware UTC in Python.

    Storing UTC on SQLite keeps string comparison equal to instant comparison, so equality
    lookups and ordering by ``execution_date`` mean the same on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class iso_text(FunctionElement[str]):
    """A :class:`UTCDateTime` column as ``isoformat()`` writes it (UTC), formatted by the database.

    ``YYYY-MM-DDTHH:MM:SS+00:00``, with ``.ffffff`` when the microseconds are not zero: the same
    text on both databases (tests/routers/test_dag_runs.py compares it with Python's for edge
    dates). The big listings select their dates this way: building a datetime per value in the
    driver and formatting it again in Python costs a large part of a long listing; the database
    writes the text for less (docs/performance.md).
    """

    type = Text()
    name = "iso_text"
    inherit_cache = True


@compiles(iso_text, "postgresql")
def _iso_text_postgresql(element: iso_text, compiler: SQLCompiler, **kw: object) -> str:
    # AT TIME ZONE 'UTC': independent of the session's TimeZone; to_char: of its DateStyle.
    # to_char always writes six fraction digits: isoformat() drops them when they are all zero.
    # asyncpg stores datetime.min and datetime.max as -infinity and infinity (and reads them back
    # so), which to_char writes as NULL: the CASE, evaluated only then, writes them as Python does.
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    return (
        f"""coalesce(replace(to_char({value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), """
        f"""'.000000+', '+'), CASE {value} WHEN '-infinity' THEN '{_MIN_TEXT}' WHEN 'infinity' THEN '{_MAX_TEXT}' END)"""
    )


_MIN_TEXT = datetime.min.replace(tzinfo=UTC).isoformat()
_MAX_TEXT = datetime.max.replace(tzinfo=UTC).isoformat()


@compiles(iso_text, "sqlite")
def _iso_text_sqlite(element: iso_text, compiler: SQLCompiler, **kw: object) -> str:
    # UTCDateTime stores UTC as SQLAlchemy's SQLite DATETIME text: 'YYYY-MM-DD HH:MM:SS.ffffff'.
    (column,) = element.clauses
    return f"replace(replace({compiler.process(column, **kw)}, ' ', 'T') || '+00:00', '.000000+', '+')"


class stored_iso_text(FunctionElement[str]):
    """:class:`iso_text` as a stored column's generation expression (migration 0005).

    Postgres accepts only immutable generation expressions: there it calls ``dagport_iso_text()``,
    iso_text's expression declared IMMUTABLE (it is: the format has no locale-dependent field and
    the zone is fixed). SQLite computes iso_text's own expression when the column is read.
    """

    type = Text()
    name = "stored_iso_text"
    inherit_cache = True


@compiles(stored_iso_text, "postgresql")
def _stored_iso_text_postgresql(element: stored_iso_text, compiler: SQLCompiler, **kw: object) -> str:
    (column,) = element.clauses
    return f"dagport_iso_text({compiler.process(column, **kw)})"


@compiles(stored_iso_text, "sqlite")
def _stored_iso_text_sqlite(element: stored_iso_text, compiler: SQLCompiler, **kw: object) -> str:
    (column,) = element.clauses
    return _iso_text_sqlite(iso_text(column), compiler, **kw)


# Integer primary keys: BIGINT identity on Postgres, INTEGER (rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

ID_LENGTH = 250

dag = Table(
    "dag",
    metadata,
    Column("dag_id", String(ID_LENGTH), primary_key=True),
    Column("description", Text),
    Column("is_paused", Boolean, nullable=False),
    Column("schedule_interval", Text),
    Column("start_date", UTCDateTime),
    Column("end_date", UTCDateTime),
    Column("tags", JSON, nullable=False),
    Column("owners", JSON, nullable=False),
    Column("default_args", JSON, nullable=False),
    Column("fileloc", Text, nullable=False),
    Column("source_text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The DAG's run with the greatest execution_date and that run's start_date, kept by triggers on
    # dag_run (migrations 0003, 0004; per statement on Postgres since 0006), and the two dates as
    # isoformat() text (0005: latest_runs reads the text and formats nothing).
    Column("latest_run_id", BigId),
    Column("latest_execution_date", UTCDateTime),
    Column("latest_start_date", UTCDateTime),
    Column(
        "latest_execution_date_iso", Text, Computed(stored_iso_text(literal_column("latest_execution_date")))
    ),
    Column("latest_start_date_iso", Text, Computed(stored_iso_text(literal_column("latest_start_date")))),
)

dag_tag = Table(
    "dag_tag",
    metadata,
    Column("dag_id", String(ID_LENGTH), ForeignKey("dag.dag_id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(100), primary_key=True),
)

task = Table(
    "task",
    metadata,
    Column("dag_id", String(ID_LENGTH), ForeignKey("dag.dag_id", ondelete="CASCADE"), primary_key=True),
    Column("task_id", String(ID_LENGTH), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("operator", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("email", JSON),
    Column("email_on_failure", Boolean, nullable=False),
    Column("email_on_retry", Boolean, nullable=False),
    Column("retries", Integer, nullable=False),
    Column("retry_delay", Float, nullable=False),
    Column("retry_exponential_backoff", Boolean, nullable=False),
    Column("max_retry_delay", Float),
    Column("execution_timeout", Float),
    Column("start_date", UTCDateTime),
    Column("end_date", UTCDateTime),
    Column("depends_on_past", Boolean, nullable=False),
    Column("wait_for_downstream", Boolean, nullable=False),
    Column("pool", Text, nullable=False),
    Column("pool_slots", Integer, nullable=False),
    Column("queue", Text, nullable=False),
    Column("priority_weight", Integer, nullable=False),
    Column("weight_rule", String(16), nullable=False),
    Column("trigger_rule", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("inlets", JSON, nullable=False),
    Column("outlets", JSON, nullable=False),
    Column("doc_md", Text),
    Column("arguments", JSON, nullable=False),
    Column("upstream_task_ids", JSON, nullable=False),
    Column("downstream_task_ids", JSON, nullable=False),
    # Computed once when the definition is stored (docs/api.md 3.1), so a trigger does no graph work.
    Column("effective_priority_weight", BigInteger, nullable=False),
)

dag_run = Table(
    "dag_run",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("dag_id", String(ID_LENGTH), ForeignKey("dag.dag_id", ondelete="CASCADE"), nullable=False),
    Column("run_id", String(ID_LENGTH), nullable=False),
    Column("execution_date", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("start_date", UTCDateTime),
    Column("end_date", UTCDateTime),
    Column("queued_at", UTCDateTime),
    Column("external_trigger", Boolean, nullable=False),
    Column("conf", JSON),
    # These two constraints decide concurrent identical triggers; the second one is also the
    # index behind every lookup by (dag_id, execution_date), latest_runs and run listings.
    UniqueConstraint("dag_id", "run_id"),
    UniqueConstraint(
        "dag_id", "execution_date", postgresql_include=["id", "run_id", "state", "start_date"]
    ),  # INCLUDE: listings and latest_runs are index-only scans on Postgres (migration 0002)
)

# Per DAG, a value that grows, in the same transaction, whenever any of its runs is inserted,
# updated or deleted; never handed out twice (migration 0007: triggers on dag_run, a sequence on
# Postgres). A run listing rendered after reading the stamp stays exact while the stamp is the same,
# latest_runs while the sum of all stamps is (app/listing_cache.py). No foreign key: the row
# outlives its DAG, so no stamp is reused and the sum never falls.
dag_run_stamp = Table(
    "dag_run_stamp",
    metadata,
    Column("dag_id", String(ID_LENGTH), primary_key=True),
    Column("stamp", BigInteger, nullable=False),
    # SQLite only: its triggers draw max(stamp) + 1, one probe of this index. Postgres draws from a
    # sequence, and without a second index its stamp updates are HOT (no index entry each).
    Index("ix_dag_run_stamp_stamp", "stamp", unique=True).ddl_if(dialect="sqlite"),
)

task_instance = Table(
    "task_instance",
    metadata,
    Column("dag_run_id", BigId, ForeignKey("dag_run.id", ondelete="CASCADE"), primary_key=True),
    Column("task_id", String(ID_LENGTH), primary_key=True),
    Column("dag_id", String(ID_LENGTH), nullable=False),
    Column("state", String(20)),
    Column("try_number", Integer, nullable=False, server_default=text("0")),
    Column("max_tries", Integer, nullable=False),
    Column("start_date", UTCDateTime),
    Column("end_date", UTCDateTime),
    Column("duration", Float),
    Column("hostname", Text, nullable=False, server_default=text("''")),
    Column("unixname", Text, nullable=False, server_default=text("''")),
    Column("job_id", Integer),
    Column("pid", Integer),
    Column("pool", Text, nullable=False),
    Column("pool_slots", Integer, nullable=False),
    Column("queue", Text, nullable=False),
    Column("priority_weight", BigInteger, nullable=False),
    Column("operator", Text, nullable=False),
    Column("queued_dttm", UTCDateTime),
    Column("executor_config", JSON, nullable=False, server_default=text("'{}'")),
    Column("updated_at", UTCDateTime, nullable=False),
)

lineage = Table(
    "lineage",
    metadata,
    Column("dag_run_id", BigId, ForeignKey("dag_run.id", ondelete="CASCADE"), primary_key=True),
    Column("task_id", String(ID_LENGTH), primary_key=True),
    Column("dag_id", String(ID_LENGTH), nullable=False),
    Column("inlets", JSON, nullable=False),
    Column("outlets", JSON, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

pool = Table(
    "slot_pool",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("pool", String(256), nullable=False, unique=True),
    Column("slots", Integer, nullable=False),
    Column("description", Text),
    Column("include_deferred", Boolean, nullable=False),
)

api_token = Table(
    "api_token",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(ID_LENGTH), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# In front of Airflow (app/db/repositories/airflow_ids.py): the integer ids the experimental API shows for what
# Airflow 3 names only (a run in a listing, a pool), assigned on first sight and never changed.
airflow_object_id = Table(
    "airflow_object_id",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),  # "run" or "pool"
    Column("scope", String(ID_LENGTH), nullable=False),  # the dag_id of a run; "" for a pool
    Column("name", String(256), nullable=False),  # the run_id, or the pool's name
    UniqueConstraint("kind", "scope", "name"),
)

# Secrets dagport makes for itself when no setting gives them (app/db/repositories/secret_keys.py): the
# key that signs /api/v1's file tokens, one value per name, written once and never changed.
secret_key = Table(
    "secret_key",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
)
