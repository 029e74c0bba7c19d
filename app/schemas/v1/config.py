"""The configuration: v1's answer models, and its two layouts as Airflow 2 wrote them (JSON indented
by 4, keys in their order, no trailing newline; or ``text/plain`` as an ini file)."""

from __future__ import annotations

import json
from typing import Any

from app.gateway.models.config import Config as V2Config
from app.schemas.v1.common import V1Model

JSON = "application/json"
TEXT = "text/plain"
OFFERS = (TEXT, JSON)  # Airflow 2's order: the first wins a tie (Accept: */*)

# Airflow's words (2.11's and 3's) while [api] expose_config is off.
NOT_EXPOSED = (
    "Your Airflow administrator chose not to expose the configuration, most likely for security reasons."
)
NOT_ACCEPTABLE = "Only application/json or text/plain is supported"
SECTION_NOT_FOUND = "section not found."
OPTION_NOT_FOUND = "Config not found."


class ConfigOption(V1Model):
    key: str
    value: str


class ConfigSection(V1Model):
    name: str
    options: list[ConfigOption]


class Config(V1Model):
    """The configuration, or the one option asked for (sensitive values as `< hidden >`)."""

    sections: list[ConfigSection]


def section_missing(section: str) -> str:
    return f"section={section} not found."


def option_missing(section: str, option: str) -> str:
    return f"The option [{section}/{option}] is not found in config."


def config_info(config: V2Config) -> dict[str, Any]:
    return {
        "sections": [
            {"name": s.name, "options": [{"key": o.key, "value": o.value} for o in s.options]}
            for s in config.sections
        ]
    }


def as_json(config: dict[str, Any]) -> str:
    return json.dumps(config, indent=4)


def as_text(config: dict[str, Any]) -> str:
    return "\n".join(
        f"[{s['name']}]\n" + "\n".join(f"{o['key']} = {o['value']}" for o in s["options"]) + "\n"
        for s in config["sections"]
    )


def written(config: dict[str, Any], media_type: str) -> str:
    return as_text(config) if media_type == TEXT else as_json(config)
