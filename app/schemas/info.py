"""Small responses of the service endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TestResponse(BaseModel):
    status: str = Field(examples=["OK"])


class InfoResponse(BaseModel):
    version: str = Field(examples=["0.1.0"])


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])
