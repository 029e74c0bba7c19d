"""v1 routes: dag runs (docs/api-v1.md)."""

from __future__ import annotations

from fastapi import APIRouter

from app.routing import LeanRoute

router = APIRouter(route_class=LeanRoute)
