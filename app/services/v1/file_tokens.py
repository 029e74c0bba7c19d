"""dagport's file tokens: v1's ``file_token``, an opaque signed token that names a DAG.

Airflow 2 signed the DAG file's path with its webserver's secret key; Airflow 3's token names a
file within a DAG bundle and is signed with Airflow's own key. dagport issues its own, so that
the token a v1 client was given keeps working through dagport alone: ``<dag_id>.<signature>``,
both base64url (no padding), the signature an HMAC-SHA256 of the DAG id under a key derived from
the deployment's secret. ``GET /dagSources/{file_token}`` and ``PUT /parseDagFile/{file_token}``
accept it; anything that does not verify names no DAG.

The secret is ``DAGPORT_SECRET_KEY`` or, unset, a random key made once and kept in dagport's
database (app/db/repositories/secret_keys.py), so every worker and replica issues and accepts the
same tokens. Each worker reads it once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable

from app.services.v1.context import V1Context

SECRET_NAME = "v1_file_token"
# The purpose the signing key is derived for: DAGPORT_SECRET_KEY may sign other things one day.
PURPOSE = b"dagport /api/v1 file_token"


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FileTokens:
    def __init__(self, context: V1Context) -> None:
        self.settings = context.settings
        self.secrets = context.secrets
        self._key: bytes | None = None
        self._reading = asyncio.Lock()

    async def _signing_key(self) -> bytes:
        if self._key is None:
            async with self._reading:
                if self._key is None:
                    secret = self.settings.secret_key or await self.secrets.secret(
                        SECRET_NAME, lambda: secrets.token_urlsafe(48)
                    )
                    self._key = hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()
        return self._key

    async def signer(self) -> Callable[[str], str]:
        """A function giving each DAG id its token (for a listing: the key is read once)."""
        key = await self._signing_key()

        def sign(dag_id: str) -> str:
            payload = dag_id.encode()
            return f"{_encode(payload)}.{_encode(hmac.new(key, payload, hashlib.sha256).digest())}"

        return sign

    async def issue(self, dag_id: str) -> str:
        return (await self.signer())(dag_id)

    async def dag_id(self, token: str) -> str | None:
        """The DAG id ``token`` names, or None when it is not a token of this deployment."""
        payload_text, dot, signature_text = token.partition(".")
        if not dot:
            return None
        try:
            payload, signature = _decode(payload_text), _decode(signature_text)
            dag_id = payload.decode()
        except (binascii.Error, ValueError):
            return None
        key = await self._signing_key()
        if not hmac.compare_digest(signature, hmac.new(key, payload, hashlib.sha256).digest()):
            return None
        return dag_id
