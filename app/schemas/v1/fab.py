"""Users, roles and permissions (Airflow 2's FAB endpoints): v1's answer models, and the FAB auth
manager's answers in v1's shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.schemas.v1.common import V1Model, collection

NOT_SERVED = (
    "dagport forwards /users, /roles and /permissions to the FAB auth manager's API (/auth/fab/v1), "
    "which the Airflow it fronts does not serve: its auth manager is not the FAB auth manager"
)
SERVICE_MODE_WRITE = (
    "dagport changes users and roles in passthrough mode only (DAGPORT_AIRFLOW_AUTH=passthrough), where "
    "Airflow checks the caller's own rights: in service mode every change would be made with dagport's "
    "service account"
)
USER_KEYS = (
    "first_name", "last_name", "username", "email", "active", "last_login", "login_count",
    "failed_login_count", "roles", "created_on", "changed_on",
)  # fmt: skip
DATES = ("last_login", "created_on", "changed_on")


class RoleName(V1Model):
    name: str


class User(V1Model):
    """A user (never its password)."""

    first_name: str | None
    last_name: str | None
    username: str
    email: str | None
    active: bool | None
    last_login: str | None
    login_count: int | None
    failed_login_count: int | None
    roles: list[RoleName] | None
    created_on: str | None
    changed_on: str | None


UserCollection = collection("UserCollection", "users", User)


class Action(V1Model):
    name: str


class Resource(V1Model):
    name: str


class ActionResource(V1Model):
    action: Action
    resource: Resource


class Role(V1Model):
    name: str
    actions: list[ActionResource]


RoleCollection = collection("RoleCollection", "roles", Role)


ActionCollection = collection("ActionCollection", "actions", Action)


def _date(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(
            value.replace("Z", "+00:00") if value.endswith("Z") else value
        ).isoformat()
    except ValueError:
        return value


def user_info(user: dict[str, Any]) -> dict[str, Any]:
    """A FAB user in v1's keys (``fail_login_count`` is v1's ``failed_login_count``), dates as
    ``isoformat()``."""
    found = {**user}
    if "failed_login_count" not in found:
        found["failed_login_count"] = found.get("fail_login_count")
    return {key: (_date(found.get(key)) if key in DATES else found.get(key)) for key in USER_KEYS}


def users_info(collection: dict[str, Any]) -> dict[str, Any]:
    return {
        "users": [user_info(u) for u in collection.get("users") or []],
        "total_entries": collection.get("total_entries", 0),
    }
