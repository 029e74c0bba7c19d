"""Variables: v1's answer models, the body as Airflow 2 checked it, Airflow 3's variable in v1's shape."""

from __future__ import annotations

from typing import Any

from pydantic import Field as Doc

from app.gateway.models.variables import Variable as V2Variable
from app.schemas.v1.bodies import Field, Prop
from app.schemas.v1.common import V1Model, collection

# v1's order_by attributes and Airflow 3's names for them.
ORDER_BY = {"value": "_val", "key": "key", "id": "id"}

# The Variable schema of Airflow 2.11's OpenAPI document (VariableCollectionItem, then value).
PROPS = (
    Prop("key", "string"),
    Prop("description", "string", nullable=True),
    Prop("value", "string"),
)
# Airflow 2.11's VariableSchema (marshmallow): ``value`` is loaded as ``val``, which is the name its
# update masks know it by.
FIELDS = (
    Field("key", required=True, allow_none=False),
    Field("value", required=True, allow_none=False),
    Field("description", allow_none=False),
)
FIXED = ("key",)

SCHEMA_ERROR = "Invalid Variable schema"
NOT_FOUND = "Variable not found"
DOES_NOT_EXIST = "Variable does not exist"
KEY_MISMATCH = "key from request body doesn't match uri parameter"
INVALID_BODY = "Invalid post body"


class Variable(V1Model):
    """A variable, as Airflow 2 answered it (a create's answer echoes the body: no `description`
    unless it was sent)."""

    key: str
    value: str = Doc(description="The value (`***` where Airflow 3 hides it: docs/api-v1.md)")
    description: str | None = None


VariableCollection = collection("VariableCollection", "variables", Variable)


def variable_info(variable: V2Variable) -> dict[str, Any]:
    return {"key": variable.key, "value": variable.value, "description": variable.description}


def loaded(body: dict[str, Any]) -> dict[str, Any]:
    """The body as Airflow 2's schema loaded it (``value`` as ``val``)."""
    names = {"key": "key", "value": "val", "description": "description"}
    return {names[k]: v for k, v in body.items() if k in names}
