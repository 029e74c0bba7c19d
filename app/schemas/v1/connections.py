"""Connections: v1's answer models, the body as Airflow 2 checked it, Airflow 3's connection in v1's
shape (no password, as v1 never answered it)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field as Doc

from app.gateway.models.connections import Connection as V2Connection
from app.schemas.v1.bodies import Field, Prop
from app.schemas.v1.common import V1Model, collection

# v1's order_by attributes and Airflow 3's names for them.
ORDER_BY = {
    "connection_id": "connection_id",
    "conn_type": "conn_type",
    "description": "description",
    "host": "host",
    "port": "port",
    "id": "id",
}

# The Connection schema of Airflow 2.11's OpenAPI document (ConnectionCollectionItem, then its own).
PROPS = (
    Prop("connection_id", "string"),
    Prop("conn_type", "string"),
    Prop("description", "string", nullable=True),
    Prop("host", "string", nullable=True),
    Prop("login", "string", nullable=True),
    Prop("schema", "string", nullable=True),
    Prop("port", "integer", nullable=True),
    Prop("password", "string"),
    Prop("extra", "string", nullable=True),
)
# Airflow 2.11's ConnectionSchema (marshmallow, over the connection table's columns).
FIELDS = (
    Field("connection_id", required=True, allow_none=False, max_length=250),
    Field("conn_type", required=True, allow_none=False, max_length=500),
    Field("description"),
    Field("host", max_length=500),
    Field("login"),
    Field("schema", max_length=500),
    Field("port"),
    Field("password"),
    Field("extra"),
)
# Airflow 2's update masks name the loaded fields: the id as ``conn_id``; it cannot be updated.
FIXED = ("connection_id", "conn_id")
WRITABLE = ("conn_type", "description", "host", "login", "schema", "port", "password", "extra")

NOT_FOUND = "Connection not found"
ID_FIXED = "The connection_id cannot be updated."
KEY = re.compile(r"^[\w.-]+$")
KEY_LENGTH = 200


class ConnectionItem(V1Model):
    """A connection in a listing (no `extra`, no `password`)."""

    connection_id: str
    conn_type: str
    description: str | None
    host: str | None
    login: str | None
    schema_: str | None = Doc(alias="schema")
    port: int | None


class Connection(ConnectionItem):
    """A connection: its `extra` as Airflow 3 shows it (sensitive values hidden); never its password."""

    extra: str | None


ConnectionCollection = collection("ConnectionCollection", "connections", ConnectionItem)


class ConnectionTest(V1Model):
    status: bool = Doc(description="Whether the connection works")
    message: str = Doc(description="What testing it said")


def not_found(connection_id: str) -> str:
    return f"The Connection with connection_id: `{connection_id}` was not found"


def already_exists(connection_id: str) -> str:
    return f"Connection already exist. ID: {connection_id}"


def key_problem(connection_id: str) -> str | None:
    """Airflow 2's ``validate_key`` for a new connection's id (at most 200 characters)."""
    if len(connection_id) > KEY_LENGTH:
        return f"The key has to be less than {KEY_LENGTH} characters"
    if not KEY.match(connection_id):
        return (
            f"The key {connection_id!r} has to be made of alphanumeric characters, dashes, "
            "dots and underscores exclusively"
        )
    return None


def connection_item(connection: V2Connection) -> dict[str, Any]:
    return {
        "connection_id": connection.connection_id,
        "conn_type": connection.conn_type,
        "description": connection.description,
        "host": connection.host,
        "login": connection.login,
        "schema": connection.schema_,
        "port": connection.port,
    }


def connection_info(connection: V2Connection) -> dict[str, Any]:
    return {**connection_item(connection), "extra": connection.extra}


def loaded(body: dict[str, Any]) -> dict[str, Any]:
    """The body as Airflow 2's schema loaded it: the id as ``conn_id``."""
    return {("conn_id" if k == "connection_id" else k): v for k, v in body.items()}
