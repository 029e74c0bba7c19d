"""Authentication (docs/api.md 6): Bearer or Basic-with-token-as-password, tokens from the environment and
the database, the ``none`` backend, and which routes need credentials."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.repositories.tokens import TokenRepository
from app.db.tokens import hash_token
from tests.conftest import TOKEN
from tests.helpers import unreachable_database_url

TEST = "/api/experimental/test"
UNAUTHORIZED = {"error": "Unauthorized"}
WWW_AUTHENTICATE = 'Bearer realm="dagport", Basic realm="dagport"'
# What a 401 says besides Airflow's "Unauthorized": what was wrong, then which credentials are accepted.
ACCEPTED = "send `Authorization: Bearer <token>`, or HTTP Basic with the token as the password"
NO_CREDENTIALS = f"No credentials were sent: {ACCEPTED}"
UNREADABLE = f"The Authorization header is neither `Bearer <token>` nor Basic with a password: {ACCEPTED}"
UNKNOWN_TOKEN = f"The token is not accepted (unknown or revoked): {ACCEPTED}"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def unauthorized(response: httpx.Response, hint: str) -> dict[str, Any]:
    """The whole 401 body: Airflow's text, the hint under the header, the request id."""
    return {
        **UNAUTHORIZED,
        "detail": [{"loc": "header.Authorization", "msg": hint}],
        "request_id": response.headers["x-request-id"],
    }


def assert_unauthorized(response: httpx.Response, hint: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"] == WWW_AUTHENTICATE
    assert response.json() == unauthorized(response, hint)


@asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dagport.test") as c:
        yield c


async def create_db_token(engine: AsyncEngine, name: str, token: str) -> None:
    async with engine.begin() as conn:
        assert await TokenRepository(conn).create(
            name=name, token_hash=hash_token(token), now=datetime(2026, 1, 1, tzinfo=UTC)
        )


async def revoke_db_token(engine: AsyncEngine, name: str) -> None:
    async with engine.begin() as conn:
        assert await TokenRepository(conn).revoke(name=name)


# --- credentials -------------------------------------------------------------------------------------


async def test_missing_credentials_is_401_with_www_authenticate(anon):
    assert_unauthorized(await anon.get(TEST), NO_CREDENTIALS)


async def test_bearer_token_is_accepted(anon):
    response = await anon.get(TEST, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}


async def test_bearer_scheme_is_case_insensitive(anon):
    response = await anon.get(TEST, headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}


async def test_wrong_bearer_token_is_401(anon):
    assert_unauthorized(
        await anon.get(TEST, headers={"Authorization": "Bearer not-the-token"}), UNKNOWN_TOKEN
    )


@pytest.mark.parametrize("user", ["admin", "airflow", ""])
async def test_basic_with_token_as_password_is_accepted_for_any_user(anon, user):
    response = await anon.get(TEST, headers={"Authorization": basic(user, TOKEN)})
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}


async def test_httpx_basic_auth_with_token_as_password_is_accepted(anon):
    response = await anon.get(TEST, auth=("admin", TOKEN))
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}


async def test_basic_with_wrong_password_is_401(anon):
    assert_unauthorized(
        await anon.get(TEST, headers={"Authorization": basic("admin", "wrong")}), UNKNOWN_TOKEN
    )


async def test_basic_with_token_as_user_name_is_401(anon):
    assert_unauthorized(await anon.get(TEST, headers={"Authorization": basic(TOKEN, "")}), UNREADABLE)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        TOKEN,
        f"Token {TOKEN}",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(TOKEN.encode()).decode(),  # no colon
        "Basic " + base64.b64encode(b"\xff\xfe:" + TOKEN.encode()).decode(),  # not UTF-8
        "Digest username=admin",
    ],
)
async def test_malformed_authorization_header_is_401(anon, authorization):
    assert_unauthorized(await anon.get(TEST, headers={"Authorization": authorization}), UNREADABLE)


# --- tokens in the database --------------------------------------------------------------------------


async def test_token_created_in_the_database_works_at_once(app, anon, clean_db):
    await create_db_token(clean_db, "ci", "dp_created_in_db")
    response = await anon.get(TEST, headers={"Authorization": "Bearer dp_created_in_db"})
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}
    response = await anon.get(TEST, headers={"Authorization": basic("ci", "dp_created_in_db")})
    assert response.status_code == 200


async def test_token_created_while_serving_works_at_once_without_cache(app_factory, clean_db):
    async with client_for(app_factory(token_cache_seconds=0)) as c:
        assert (await c.get(TEST, headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200
        await create_db_token(clean_db, "ci", "dp_created_later")
        response = await c.get(TEST, headers={"Authorization": "Bearer dp_created_later"})
        assert response.status_code == 200
        assert response.json() == {"status": "OK"}


async def test_revoked_token_stops_working(app_factory, clean_db):
    async with client_for(app_factory(token_cache_seconds=0)) as c:
        await create_db_token(clean_db, "ci", "dp_to_revoke")
        headers = {"Authorization": "Bearer dp_to_revoke"}
        assert (await c.get(TEST, headers=headers)).status_code == 200
        await revoke_db_token(clean_db, "ci")
        assert_unauthorized(await c.get(TEST, headers=headers), UNKNOWN_TOKEN)
        assert (await c.get(TEST, headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200


async def test_database_stores_only_the_token_hash(clean_db):
    await create_db_token(clean_db, "ci", "dp_secret")
    async with clean_db.connect() as conn:
        assert await TokenRepository(conn).hashes() == [hash_token("dp_secret")]
    assert hash_token("dp_secret") != "dp_secret"


# --- backend "none" and unauthenticated routes --------------------------------------------------------


async def test_auth_backend_none_lets_requests_through(app_factory):
    async with client_for(app_factory(auth_backend="none")) as c:
        response = await c.get(TEST)
        assert response.status_code == 200
        assert response.json() == {"status": "OK"}
        response = await c.get("/api/experimental/pools")
        assert response.status_code == 200
        assert [p["pool"] for p in response.json()] == ["default_pool"]


async def test_health_needs_no_auth(anon):
    response = await anon.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_needs_no_auth(anon):
    response = await anon.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def experimental_calls(app: Any) -> list[tuple[str, str]]:
    """(method, path) for every route under /api/experimental, path parameters filled with dummies.

    ``iter_route_contexts`` flattens the included routers (``app.routes`` holds them unexpanded)."""
    calls = []
    for route in iter_route_contexts(app.routes):
        if route.path.startswith("/api/experimental"):
            path = re.sub(r"\{[^}]+\}", "dummy", route.path)
            calls.extend((method, path) for method in sorted(route.methods))
    return calls


async def test_every_experimental_route_needs_auth(app, anon):
    calls = experimental_calls(app)
    assert len(calls) >= 23  # at least every route of docs/api.md sections 3 and 4
    assert ("GET", "/api/experimental/dags/dummy/dag_runs/dummy/tasks/dummy") in calls
    for method, path in calls:
        response = await anon.request(method, path, content=b"{}")
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == unauthorized(response, NO_CREDENTIALS)
        assert response.headers["www-authenticate"] == WWW_AUTHENTICATE


async def test_every_experimental_route_rejects_a_wrong_token(app, anon):
    for method, path in experimental_calls(app):
        response = await anon.request(method, path, content=b"{}", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401, (method, path, response.text)


# --- the database unreachable ----------------------------------------------------------------------


async def test_unreachable_database_is_503_never_500_for_known_and_unknown_tokens(backend):
    """The token table cannot be read: a token known without it (DAGPORT_API_TOKENS) passes and the
    request answers 503 (its own database access fails); an unknown token cannot be checked: 503,
    not 401 (it may be a valid database token) and not 500."""
    from app.config import Settings
    from app.main import create_app

    unreachable = unreachable_database_url(backend)
    app = create_app(Settings(database_url=unreachable, api_tokens=TOKEN))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for token in (TOKEN, "dp_unknown"):
            response = await client.get(
                "/api/experimental/pools", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 503, (token, response.text)
            assert (
                response.json()["error"]
                == {
                    TOKEN: "Database unavailable, try again shortly",  # passed; then /pools failed
                    "dp_unknown": "Cannot verify credentials, try again shortly",
                }[token]
            )
            assert response.headers["retry-after"] == "1"


async def test_a_stored_token_not_confirmed_within_the_ttl_is_refused_while_reloads_fail(tmp_path):
    """Fail closed: a token read from the database before it became unreadable is accepted only
    until the set is TOKEN_CACHE_SECONDS old; then 503 (it cannot be confirmed), as for an unknown
    token. DAGPORT_API_TOKENS keep working. Reloads are retried at most once a second."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from app.auth import TokenStore
    from app.core.messages import CANNOT_VERIFY
    from app.db import migrate
    from app.errors import Unavailable

    path = tmp_path / "tokens.db"
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", poolclass=NullPool)
    await migrate.upgrade(engine)
    await create_db_token(engine, "ci", "dp_loaded")
    store = TokenStore(engine, [TOKEN], ttl=5)
    assert await store.is_valid("dp_loaded")
    path.rename(tmp_path / "gone.db")  # the next connection finds an empty database: no token table
    try:
        assert await store.is_valid("dp_loaded")  # read less than 5 s ago: no reload yet
        store._loaded_at -= 10  # read 10 s ago: due for a reload, which fails
        for token in ("dp_loaded", "dp_unknown"):
            with pytest.raises(Unavailable, match=f"^{CANNOT_VERIFY}$"):
                await store.is_valid(token)
        assert await store.is_valid(TOKEN)
        loads = 0
        real_reload = store.reload

        async def counting_reload() -> None:
            nonlocal loads
            loads += 1
            await real_reload()

        store.reload = counting_reload  # type: ignore[method-assign]
        for _ in range(20):
            with pytest.raises(Unavailable):
                await store.is_valid("dp_loaded")
        assert loads == 0  # within a second of the failure: no new attempt
    finally:
        await store.close()


@asynccontextmanager
async def tokens_database(backend: str, tmp_path: Any) -> AsyncIterator[tuple[str, Any]]:
    """A migrated database of its own: (its URL, a coroutine function after which no new
    connection to it can be opened; connections already open keep working)."""
    from app.config import Settings
    from app.db import migrate
    from app.db.engine import create_engine
    from tests import postgres
    from tests.processes import throwaway_database

    async def migrated(url: str) -> None:
        engine = create_engine(Settings(database_url=url), null_pool=True)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    if backend == "sqlite":
        path = tmp_path / "tokens.db"

        async def unreadable() -> None:
            path.rename(tmp_path / "gone.db")  # a new connection finds an empty file: no table

        await migrated(f"sqlite:///{path}")
        yield f"sqlite:///{path}", unreadable
        return
    async with throwaway_database("dagport_tokens") as url:
        await migrated(url)
        name = url.rsplit("/", 1)[1]

        async def unreadable() -> None:
            # Nobody, superusers included, may connect to a database that allows no connections.
            await postgres.admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')

        try:
            yield url, unreadable
        finally:
            await postgres.admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


async def test_a_revoked_token_stops_working_after_the_ttl_even_while_reloads_fail(backend, tmp_path):
    """The token is revoked, then the database cannot be reached for reloads: the revocation is
    not seen, but once TOKEN_CACHE_SECONDS have passed the token is refused with 503, not
    accepted on the strength of the last successful read. An env token still passes."""
    import asyncio

    from app.config import Settings
    from app.db.engine import create_engine
    from app.main import create_app

    async with tokens_database(backend, tmp_path) as (url, unreadable):
        writer = create_engine(Settings(database_url=url), null_pool=True)
        app = create_app(Settings(database_url=url, api_tokens=TOKEN, token_cache_seconds=3))
        try:
            await create_db_token(writer, "ci", "dp_revoked_later")
            async with client_for(app) as c:
                headers = {"Authorization": "Bearer dp_revoked_later"}
                assert (await c.get(TEST, headers=headers)).status_code == 200
                await revoke_db_token(writer, "ci")
                await unreadable()
                assert (await c.get(TEST, headers=headers)).status_code == 200  # within the TTL
                await asyncio.sleep(3.1)
                refused = await c.get(TEST, headers=headers)
                assert refused.status_code == 503, refused.text
                assert refused.json()["error"] == "Cannot verify credentials, try again shortly"
                assert refused.headers["retry-after"] == "1"
                assert (await c.get(TEST, headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200
        finally:
            await app.state.token_store.close()
            await app.state.engine.dispose()
            await writer.dispose()


async def test_authentication_does_not_wait_for_the_request_pool(settings, clean_db):
    """Every connection of the requests' pool is taken (one, with a 30 s timeout): a stored token
    due for a reload still authenticates at once, as the reload has a connection of its own."""
    import asyncio

    from app.config import Settings
    from app.main import create_app

    await create_db_token(clean_db, "ci", "dp_stored")
    held = Settings(
        **{
            **settings.model_dump(),
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout": 30,
            "token_cache_seconds": 0,  # every request reloads
        }
    )
    app = create_app(held)
    try:
        async with app.state.engine.connect(), client_for(app) as c:  # the pool's only connection
            headers = {"Authorization": "Bearer dp_stored"}
            for _ in range(3):
                response = await asyncio.wait_for(c.get(TEST, headers=headers), timeout=5)
                assert response.status_code == 200, response.text
    finally:
        await app.state.token_store.close()
        await app.state.engine.dispose()
