"""The documented differences between Airflow 2.11's recorded ``/api/v1`` answers and what is
replayed against dagport in front of Airflow 3 (tests/v1_replay.py).

Each :class:`Documented` entry names the exchanges it is about, the aspect and place it covers, the
reason, and where that reason is written down: a section of docs/api-v1.md (dagport's v1 document;
:data:`SECTIONS` lists the ones this registry relies on) or, for a difference the test deployment
itself makes, the file that makes it. An entry covers only what it names: an exchange's other
differences still make it ``other``. Where the reason fixes what the answer must be instead, the
entry says so (``got``), so a documented difference is not a free pass.

Kept honest: this starts with the differences that follow from Airflow 3 or from api-v1.md's
stated rules whatever the implementation (machine paths, versions, event-log history, Airflow 3's
providers and redaction, HTML pages and 500s that become the evident answer). Anything else is
left to show as ``other`` until docs/api-v1.md states it and an entry is added here with that
section. tests/test_v1_harness.py checks that every entry names recorded exchanges and places.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from tests.v1_replay import ABSENT, Difference, Places

V1_DAGS_FOLDER = Path(__file__).resolve().parent / "v1_airflow_dags"
ASPECTS = frozenset({"status", "content_type", "header", "body", "format", "dynamic_path"})

SECTIONS = {
    "deployment": "docs/api-v1.md, Differences: values of the machine and of the deployment's history",
    "airflow3": "docs/api-v1.md, Differences: what Airflow 3 no longer has or answers otherwise",
    "errors": "docs/api-v1.md, Differences: HTML pages and 500s of Airflow 2.11",
    "tokens": "docs/api-v1.md, Differences: file tokens",
    "connection": "docs/api-v1.md, Differences: HTTP connections",
    "dags": "tests/v1_airflow_dags/ (the recording's DAG files, with Airflow 3 imports where they need them)",
}


@dataclass(frozen=True)
class Documented:
    """A difference with its reason.

    ``exchanges``: names or shell patterns (``event_logs_*``, ``*``). ``aspect``: as
    :class:`~tests.v1_replay.Difference`'s. ``where``: for ``body``, places in the volatile notation
    (``"key"`` at any depth, ``"/a/*/b"``; each with what is below it), for ``header`` the header
    names; empty: anywhere in that aspect. ``kinds``: the difference kinds covered (empty: all).
    ``got``: the only answers the entry accepts (None: any). ``after``: (exchange, status) pairs the
    server under test must have answered earlier in the same replay."""

    exchanges: tuple[str, ...]
    aspect: str
    reason: str
    section: str
    where: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    got: tuple[Any, ...] | None = None
    after: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.aspect not in ASPECTS:
            raise ValueError(f"unknown aspect {self.aspect!r}")
        if self.section not in SECTIONS.values():
            raise ValueError(f"unknown section {self.section!r}")
        Places.parse(self.where if self.aspect == "body" else ())

    def names(self, exchange: str) -> bool:
        return any(fnmatchcase(exchange, pattern) for pattern in self.exchanges)

    def covers(self, exchange: str, difference: Difference, statuses: Mapping[str, int]) -> bool:
        if difference.aspect != self.aspect or not self.names(exchange):
            return False
        if self.kinds and difference.kind not in self.kinds:
            return False
        if self.where:
            if self.aspect == "body" and not Places.parse(self.where).covers(difference.pointer):
                return False
            if self.aspect == "header" and difference.where not in self.where:
                return False
        if self.got is not None and not any(_same(difference.got, value) for value in self.got):
            return False
        return all(statuses.get(name) == status for name, status in self.after)


def _same(got: Any, value: Any) -> bool:
    """Equal, with JSON's types (``1`` is not ``1.0`` nor ``True``)."""
    if got is ABSENT or value is ABSENT:
        return got is value
    return json.dumps(got, sort_keys=True) == json.dumps(value, sort_keys=True)


def _document(*parts: Documented) -> tuple[Documented, ...]:
    return parts


EVENT_LOG_LISTS = (
    "event_logs_list_first_3", "event_logs_filter_event", "event_logs_filter_dag_task_run_try",
    "event_logs_included_events", "event_logs_owner_excluded_events", "event_logs_limit_150_offset_20",
)  # fmt: skip
EMPTY_BODY_500 = ("dag_patch_empty_body", "dagrun_patch_empty_body", "dagrun_set_note_missing")
TASK_CLASS_REFS = ("tasks_list", "task_get", "task_get_python_operator")
DATASETS = ("datasets_list", "datasets_list_dag_ids", "dataset_get")
PROBLEM = "application/problem+json"

REGISTRY: tuple[Documented, ...] = _document(
    # -- the machine and the deployment's history ----------------------------------------------
    Documented(
        ("*",), "body",
        "fileloc is the DAG file's path on the machine that parses it (/opt/airflow/dags/ in the recording)",
        SECTIONS["deployment"], where=("fileloc",), kinds=("value",),
    ),
    Documented(
        ("import_errors_list", "import_error_get"), "body",
        "an import error names the file by its path on the machine, in filename and in the traceback",
        SECTIONS["deployment"], where=("filename", "stack_trace"), kinds=("value",),
    ),
    Documented(
        ("version", "version_no_credentials"), "body",
        "/version reports the Airflow that answers: 3.3.2 and its git_version, not 2.11.2",
        SECTIONS["deployment"], where=("/version", "/git_version"), kinds=("value", "type"),
    ),
    Documented(
        EVENT_LOG_LISTS, "body",
        "event-log rows are the deployment's own history: the recording's reset ran CLI commands (rows "
        "1-48, events such as cli_pool_set); another deployment has other rows, ids, events and counts",
        SECTIONS["deployment"], where=("/event_logs", "/total_entries"),
        kinds=("value", "type", "missing element", "extra element"),
    ),
    Documented(
        ("event_log_get",), "body",
        "event-log row 1 is the deployment's own first event (the recording's: cli_sync_perm)",
        SECTIONS["deployment"], kinds=("value", "type"),
    ),
    # -- HTTP connections ------------------------------------------------------------------------
    Documented(
        ("*",), "header",
        "Airflow 2.11's session auth backend answered Vary: Cookie on some errors; dagport serves no "
        "session cookies (v1's UI backend is not served), so no answer varies by cookie",
        SECTIONS["connection"], where=("vary",), got=(ABSENT,),
    ),
    # -- file tokens -----------------------------------------------------------------------------
    Documented(
        ("*",), "body",
        "file_token is dagport's own signed token naming the DAG, not Airflow 2's signature of the file path",
        SECTIONS["tokens"], where=("file_token",), kinds=("value",),
    ),
    # -- what Airflow 3 changed --------------------------------------------------------------------
    Documented(
        ("xcom_list_all_tilde",), "body",
        "Airflow 3 writes no lineage XComs: Airflow 2 pushed pipeline_inlets / pipeline_outlets for "
        "every task with inlets or outlets (5 of the 14 entries)",
        SECTIONS["airflow3"], where=("/xcom_entries",), kinds=("missing element",),
    ),
    Documented(
        ("xcom_list_all_tilde",), "body",
        "without the lineage XComs the other entries move up the list, and there are 9",
        SECTIONS["airflow3"], where=("/xcom_entries/*/dag_id", "/xcom_entries/*/task_id", "/xcom_entries/*/key",
                                     "/total_entries"),
        kinds=("value",),
    ),
    Documented(
        ("xcom_get", "xcom_get_deserialize"), "body",
        "Airflow 3 keeps XCom values in Postgres jsonb, which orders an object's keys by length: the repr "
        "of push's return value ({'rows', 'status', 'items'} as pushed) lists rows, items, status",
        SECTIONS["airflow3"], where=("/value",), kinds=("value",),
        got=("{'rows': 3, 'items': [1, 2, 3], 'status': 'ok'}",),
    ),
    Documented(
        TASK_CLASS_REFS, "body",
        "Airflow 3's operators live in the standard provider: class_ref names their module there",
        SECTIONS["airflow3"], where=("module_path",), kinds=("value",),
        got=("airflow.providers.standard.operators.bash", "airflow.providers.standard.operators.python"),
    ),
    Documented(
        ("providers",), "body",
        "the providers installed with Airflow 3.3.2 are other packages and versions than 2.11.2's",
        SECTIONS["airflow3"], where=("/providers", "/total_entries"),
        kinds=("value", "missing element", "extra element"),
    ),
    Documented(
        ("variables_list", "variable_get_sensitive_name"), "body",
        "Airflow 3's REST API answers '***' for the value of a variable whose key looks sensitive "
        "(api_password; [core] hide_sensitive_var_conn_fields); Airflow 2.11's v1 answered it in clear",
        SECTIONS["airflow3"], where=("/variables/2/value", "/value"), kinds=("value",), got=("***",),
    ),
    # -- HTML pages and 500s of Airflow 2.11: the evident answer instead -----------------------------
    Documented(
        (*EMPTY_BODY_500, "tis_list_state_unknown"), "status",
        "Airflow 2.11 answered an empty PATCH body and ?state=bogus on task instances with a 500 HTML "
        "page; they are the caller's errors: 400",
        SECTIONS["errors"], got=(400,),
    ),
    Documented(
        (*EMPTY_BODY_500, "tis_list_state_unknown", "connection_test_disabled"), "content_type",
        "errors are problem+json, also where Airflow 2.11 answered an HTML page",
        SECTIONS["errors"], got=(PROBLEM,),
    ),
    Documented(
        (*EMPTY_BODY_500, "tis_list_state_unknown", "connection_test_disabled"), "body",
        "a problem+json body instead of Airflow 2.11's HTML page or plain text",
        SECTIONS["errors"], where=(), kinds=("value",),
    ),
    Documented(
        ("variable_delete_json_content_type_no_body",), "status",
        "a DELETE without a body but with Content-Type: application/json (airflow-python-sdk, "
        "cornflow-client) deletes, where Airflow 2.11 answered werkzeug's 400 page",
        SECTIONS["errors"], got=(204,),
    ),
    Documented(
        ("variable_delete_json_content_type_no_body",), "content_type",
        "a 204 has no body; its Content-Type is not Airflow 2.11's HTML error page's",
        SECTIONS["errors"],
    ),
    Documented(
        ("variable_delete_json_content_type_no_body",), "body",
        "a 204 has no body, not Airflow 2.11's HTML error page",
        SECTIONS["errors"], kinds=("value",), got=("",),
    ),
    Documented(
        ("variable_delete",), "status",
        "the body-less DELETE before it already deleted drive_var",
        SECTIONS["errors"], got=(404,), after=(("variable_delete_json_content_type_no_body", 204),),
    ),
    Documented(
        ("variable_delete",), "content_type",
        "the body-less DELETE before it already deleted drive_var: a 404 problem",
        SECTIONS["errors"], got=(PROBLEM,), after=(("variable_delete_json_content_type_no_body", 204),),
    ),
    Documented(
        ("variable_delete",), "body",
        "the body-less DELETE before it already deleted drive_var: a 404 problem",
        SECTIONS["errors"], kinds=("value",), after=(("variable_delete_json_content_type_no_body", 204),),
    ),
    Documented(
        ("pool_post_slots_unlimited",), "status",
        "a pool with slots -1 (unlimited) is created, as Airflow 2.11 did before failing to write its "
        "open_slots (inf) as an integer: 200 with the pool",
        SECTIONS["errors"], got=(200,),
    ),
    Documented(
        ("pools_list_with_unlimited_pool",), "status",
        "the pools are listed, unlimited_pool among them, where Airflow 2.11 answered 500 until it was deleted",
        SECTIONS["errors"], got=(200,), after=(("pool_post_slots_unlimited", 200),),
    ),
    Documented(
        ("pool_post_slots_unlimited", "pools_list_with_unlimited_pool"), "body",
        "the pool, or the pools, instead of Airflow 2.11's 500 problem",
        SECTIONS["errors"], after=(("pool_post_slots_unlimited", 200),),
    ),
    Documented(
        ("pool_post_slots_unlimited", "pools_list_with_unlimited_pool"), "content_type",
        "the pool, or the pools, as JSON where Airflow 2.11 answered its 500 problem for failing to write "
        "the unlimited pool's open_slots (inf) as an integer",
        SECTIONS["errors"], got=("application/json",), after=(("pool_post_slots_unlimited", 200),),
    ),
    Documented(
        DATASETS, "body",
        "Airflow 3 keeps an asset's extra as the last parsed definition gives it (dataset_producer's "
        "{'owner': 'data-team'}); Airflow 2.11 kept the first one's (dataset_consumer's {})",
        SECTIONS["airflow3"], where=("/datasets/*/extra", "/extra"), kinds=("extra key",),
        got=("data-team",),
    ),
)  # fmt: skip
