"""Airflow 3's configuration (``Config``), as its JSON answer gives it."""

from __future__ import annotations

from pydantic import field_validator

from app.gateway.models.base import V2Model


class ConfigOption(V2Model):
    key: str
    value: str

    @field_validator("value", mode="before")
    @classmethod
    def _with_source(cls, value: object) -> object:
        """A value with its source (``[value, source]``) is its value."""
        if isinstance(value, list | tuple) and value:
            return value[0]
        return value


class ConfigSection(V2Model):
    name: str
    options: list[ConfigOption]


class Config(V2Model):
    sections: list[ConfigSection]
