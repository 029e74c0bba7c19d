"""Airflow 3's plugins (``PluginResponse``): what Airflow 2's plugin listing also showed."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.gateway.models.base import V2Model


class Plugin(V2Model):
    """``PluginResponse`` (its Airflow 3 parts, FastAPI apps and React apps, are not read)."""

    name: str
    macros: list[str] = Field(default_factory=list)
    flask_blueprints: list[str] = Field(default_factory=list)
    appbuilder_views: list[dict[str, Any]] = Field(default_factory=list)
    appbuilder_menu_items: list[dict[str, Any]] = Field(default_factory=list)
    global_operator_extra_links: list[str] = Field(default_factory=list)
    operator_extra_links: list[str] = Field(default_factory=list)
    source: str | None = None
    listeners: list[str] = Field(default_factory=list)
    timetables: list[str] = Field(default_factory=list)


class PluginCollection(V2Model):
    plugins: list[Plugin]
    total_entries: int
