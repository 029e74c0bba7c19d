"""Every Airflow endpoint dagport calls, and the one place a path to it is built.

An :class:`Endpoint` is a template (``/dags/{dag_id}/dagRuns/{dag_run_id}``); :meth:`Endpoint.at`
fills it, each parameter quoted as one path segment (``quote(value, safe="")``: ``?``, ``#`` and
``%`` become data). The transport accepts only the :class:`Target` this returns, so no caller's
value reaches Airflow except as the segment it is meant to be.

A value Airflow's router would not read as that one segment is refused before any call: an empty
segment, one of only dots (``.``, ``..``: clients and servers remove them from paths), ``~``
(Airflow's "every DAG" / "every run" wildcard), and one holding ``/``: Airflow's server decodes
``%2F`` before it routes, so the value would be split into segments and could match another
route. The parameters Airflow routes as ``{name:path}`` (a variable's key, an XCom's key) may hold
``/``: the endpoint names them in ``slashes``. :data:`ANY` is how a caller asks for the wildcard
itself. The template is also the label of the call in ``/metrics``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import Formatter
from typing import Final
from urllib.parse import quote

API: Final = "/api/v2"


class Wildcard:
    """Airflow's ``~`` segment (every DAG, every run): only ever put there on purpose."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ANY"


ANY: Final = Wildcard()

_DOTS = re.compile(r"\.+")


class Unaddressable(Exception):
    """A parameter Airflow's REST API cannot be asked about at a path (see the module).

    Callers turn it into the answer "no such thing" (:meth:`AirflowClient.get` does): nothing of
    that name can be reached through Airflow's REST API."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(f"{name} {value!r} cannot be addressed through Airflow's REST API")
        self.name = name
        self.value = value


def addressable(value: str, *, slashes: bool = False) -> bool:
    """Whether ``value`` can be a path segment of Airflow's REST API (see the module); ``slashes``:
    a parameter Airflow routes as a path."""
    return not (value == "" or value == "~" or _DOTS.fullmatch(value) or (not slashes and "/" in value))


def segment(name: str, value: str | Wildcard, *, slashes: bool = False) -> str:
    """``value`` as one path segment, or :class:`Unaddressable`."""
    if isinstance(value, Wildcard):
        return "~"
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not addressable(value, slashes=slashes):
        raise Unaddressable(name, value)
    return quote(value, safe="")


@dataclass(frozen=True, slots=True)
class Target:
    """A filled endpoint: the path from Airflow's root and its template (the metrics label)."""

    path: str
    template: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    template: str  # relative to ``base``; also the metrics label
    base: str = API
    slashes: frozenset[str] = frozenset()  # the parameters Airflow routes as {name:path}
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(name for _, name, _, _ in Formatter().parse(self.template) if name is not None)
        object.__setattr__(self, "names", names)

    def at(self, **params: str | Wildcard) -> Target:
        """The path with each parameter quoted as one segment (see the module)."""
        if set(params) != set(self.names):
            raise TypeError(f"{self.template} takes {sorted(self.names)}, got {sorted(params)}")
        filled = self.template.format_map(
            {name: segment(name, value, slashes=name in self.slashes) for name, value in params.items()}
        )
        return Target(self.base + filled, self.template)


# -- the endpoints ---------------------------------------------------------------------------------
# Airflow 3's public REST API v2 (airflow-core/src/airflow/api_fastapi/core_api/routes/public/).

VERSION = Endpoint("/version")
HEALTH = Endpoint("/monitor/health")
TOKEN = Endpoint("/auth/token", base="")
CONFIG = Endpoint("/config")
CONFIG_OPTION = Endpoint("/config/section/{section}/option/{option}")
PLUGINS = Endpoint("/plugins")
PROVIDERS = Endpoint("/providers")

DAGS = Endpoint("/dags")
DAG = Endpoint("/dags/{dag_id}")
DAG_DETAILS = Endpoint("/dags/{dag_id}/details")
DAG_SOURCE = Endpoint("/dagSources/{dag_id}")
DAG_STATS = Endpoint("/dagStats")
DAG_WARNINGS = Endpoint("/dagWarnings")
DAG_TAGS = Endpoint("/dagTags")
PARSE_DAG_FILE = Endpoint("/parseDagFile/{file_token}")
TASKS = Endpoint("/dags/{dag_id}/tasks")
TASK = Endpoint("/dags/{dag_id}/tasks/{task_id}")
IMPORT_ERRORS = Endpoint("/importErrors")
IMPORT_ERROR = Endpoint("/importErrors/{import_error_id}")
EVENT_LOGS = Endpoint("/eventLogs")
EVENT_LOG = Endpoint("/eventLogs/{event_log_id}")

DAG_RUNS = Endpoint("/dags/{dag_id}/dagRuns")
DAG_RUNS_BATCH = Endpoint("/dags/{dag_id}/dagRuns/list")  # dag_id: ANY
DAG_RUN = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}")
DAG_RUN_CLEAR = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/clear")
UPSTREAM_ASSET_EVENTS = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamAssetEvents")
TASK_INSTANCES = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances")
TASK_INSTANCES_BATCH = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/list")  # ANY, ANY
TASK_INSTANCE = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}")
TASK_INSTANCE_DRY_RUN = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/dry_run")
MAPPED_TASK_INSTANCE = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}")
MAPPED_TASK_INSTANCE_DRY_RUN = Endpoint(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/dry_run"
)
MAPPED_TASK_INSTANCES = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/listMapped")
TASK_INSTANCE_DEPENDENCIES = Endpoint(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/dependencies"
)
MAPPED_TASK_INSTANCE_DEPENDENCIES = Endpoint(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/dependencies"
)
TASK_INSTANCE_TRIES = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries")
TASK_INSTANCE_TRY = Endpoint(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries/{task_try_number}"
)
MAPPED_TASK_INSTANCE_TRIES = Endpoint(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/tries"
)
MAPPED_TASK_INSTANCE_TRY = Endpoint(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/tries/{task_try_number}"
)
TASK_INSTANCE_LOG = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}")
TASK_INSTANCE_LINKS = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/links")
XCOM_ENTRIES = Endpoint("/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries")
XCOM_ENTRY = Endpoint(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}",
    slashes=frozenset({"xcom_key"}),
)
CLEAR_TASK_INSTANCES = Endpoint("/dags/{dag_id}/clearTaskInstances")

POOLS = Endpoint("/pools")
POOL = Endpoint("/pools/{pool_name}")
VARIABLES = Endpoint("/variables")
VARIABLE = Endpoint("/variables/{variable_key}", slashes=frozenset({"variable_key"}))
CONNECTIONS = Endpoint("/connections")
CONNECTION = Endpoint("/connections/{connection_id}")
CONNECTION_TEST = Endpoint("/connections/test")

ASSETS = Endpoint("/assets")
ASSET = Endpoint("/assets/{asset_id}")
ASSET_EVENTS = Endpoint("/assets/events")
ASSET_QUEUED_EVENTS = Endpoint("/assets/{asset_id}/queuedEvents")
DAG_ASSET_QUEUED_EVENTS = Endpoint("/dags/{dag_id}/assets/queuedEvents")
DAG_ASSET_QUEUED_EVENT = Endpoint("/dags/{dag_id}/assets/{asset_id}/queuedEvents")

# The FAB auth manager's own API (apache-airflow-providers-fab), served only when Airflow uses it.
FAB = "/auth/fab/v1"
FAB_USERS = Endpoint("/users", base=FAB)
FAB_USER = Endpoint("/users/{username}", base=FAB)
FAB_ROLES = Endpoint("/roles", base=FAB)
FAB_ROLE = Endpoint("/roles/{role_name}", base=FAB)
FAB_PERMISSIONS = Endpoint("/permissions", base=FAB)
