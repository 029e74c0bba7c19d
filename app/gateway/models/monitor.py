"""Airflow 3's version (``VersionInfo``)."""

from __future__ import annotations

from pydantic import Field

from app.gateway.models.base import V2Model


class Version(V2Model):
    version: str = Field(min_length=1)
