"""Airflow 3's providers (``ProviderResponse``)."""

from __future__ import annotations

from app.gateway.models.base import V2Model


class Provider(V2Model):
    package_name: str
    description: str
    version: str


class ProviderCollection(V2Model):
    providers: list[Provider]
    total_entries: int
