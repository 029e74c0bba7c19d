"""``/health`` and ``/version``: Airflow 3's answers in v1's shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.schemas.v1.common import V1Model, v1_datetime

COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


class ComponentStatus(V1Model):
    status: str | None = Field(description="healthy, unhealthy, or null when the component does not run")


class SchedulerStatus(ComponentStatus):
    latest_scheduler_heartbeat: str | None


class TriggererStatus(ComponentStatus):
    latest_triggerer_heartbeat: str | None


class DagProcessorStatus(ComponentStatus):
    latest_dag_processor_heartbeat: str | None


class HealthInfo(V1Model):
    metadatabase: ComponentStatus
    scheduler: SchedulerStatus
    triggerer: TriggererStatus
    dag_processor: DagProcessorStatus


class VersionInfo(V1Model):
    version: str = Field(description="The version of the Airflow dagport fronts", examples=["3.3.2"])
    git_version: str | None


def _heartbeat(value: Any) -> str | None:
    return None if value is None else v1_datetime(datetime.fromisoformat(str(value)))


def health_info(v2: dict[str, Any]) -> dict[str, Any]:
    """Airflow 3's ``/monitor/health`` (the same components, heartbeats in v1's date form)."""
    info: dict[str, Any] = {}
    for name in COMPONENTS:
        part = v2.get(name) or {}
        entry: dict[str, Any] = {"status": part.get("status")}
        if name != "metadatabase":
            key = f"latest_{name}_heartbeat"
            entry[key] = _heartbeat(part.get(key))
        info[name] = entry
    return info


def version_info(v2: dict[str, Any]) -> dict[str, Any]:
    return {"version": str(v2.get("version") or ""), "git_version": v2.get("git_version")}
