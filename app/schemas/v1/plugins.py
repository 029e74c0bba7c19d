"""Plugins: v1's answer models, and Airflow 3's plugin in v1's shape (the kinds of extension
Airflow 3 no longer has, hooks, executors and ti_deps, empty)."""

from __future__ import annotations

from typing import Any

from app.gateway.models.plugins import Plugin as V2Plugin
from app.schemas.v1.common import V1Model, collection


class Plugin(V1Model):
    name: str
    hooks: list[str]
    executors: list[str]
    macros: list[str]
    flask_blueprints: list[str]
    appbuilder_views: list[dict[str, Any]]
    appbuilder_menu_items: list[dict[str, Any]]
    global_operator_extra_links: list[str]
    operator_extra_links: list[str]
    source: str | None
    ti_deps: list[str]
    listeners: list[str]
    timetables: list[str]


PluginCollection = collection("PluginCollection", "plugins", Plugin)


def plugin_info(plugin: V2Plugin) -> dict[str, Any]:
    return {
        "name": plugin.name,
        "hooks": [],
        "executors": [],
        "macros": plugin.macros,
        "flask_blueprints": plugin.flask_blueprints,
        "appbuilder_views": plugin.appbuilder_views,
        "appbuilder_menu_items": plugin.appbuilder_menu_items,
        "global_operator_extra_links": plugin.global_operator_extra_links,
        "operator_extra_links": plugin.operator_extra_links,
        "source": plugin.source,
        "ti_deps": [],
        "listeners": plugin.listeners,
        "timetables": plugin.timetables,
    }
