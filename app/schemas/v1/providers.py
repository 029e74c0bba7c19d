"""Providers: v1's answer models and Airflow 3's provider in v1's shape."""

from __future__ import annotations

from typing import Any

from app.gateway.models.providers import Provider as V2Provider
from app.schemas.v1.common import V1Model, collection


class Provider(V1Model):
    package_name: str
    description: str
    version: str


ProviderCollection = collection("ProviderCollection", "providers", Provider)


def provider_info(provider: V2Provider) -> dict[str, Any]:
    return {
        "package_name": provider.package_name,
        "description": provider.description,
        "version": provider.version,
    }
