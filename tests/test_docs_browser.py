"""The docs pages in a real browser: /docs (Swagger UI 5) and /redoc work offline (docs/api.md section 5).

A page that answers 200 is not a working docs page: only a browser shows whether Swagger UI renders
FastAPI's OpenAPI 3.1 ("Unable to render this definition" otherwise), whether "Try it out" sends
the token, and whether the page fetches anything from a CDN. Each test starts a real uvicorn server
of ``create_app`` on a free loopback port (a background thread, a migrated SQLite file), drives
Debian's headless Chromium through Playwright (``executable_path``; Playwright's own browser
download is never used) and records every request the page makes.

Chromium is required: CI installs it (``.ci/run``); when it is missing these tests FAIL.

``DAGPORT_UPDATE_SNAPSHOT=1`` also writes the /docs screenshots to ``docs/screenshot-*.png``
(otherwise it goes to the test's tmp folder, so a test run leaves the work tree clean).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Request,
    Response,
    async_playwright,
    expect,
)

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from tests.conftest import TOKEN
from tests.helpers import load_reference_dags

# Needs chromium and serves over real sockets (conftest.py: system). One xdist group: the browser
# starts once, on one worker.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("docs_browser")]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshot-docs.png"
TRY_IT_OUT = SCREENSHOT.with_name("screenshot-try-it-out.png")
TIMEOUT_MS = 15_000
HTML = "text/html; charset=utf-8"
PAGE_URL = re.compile(r'(?:src|href|spec-url)="([^"]*)"')  # every URL a docs page's HTML names
DEFAULT_POOL = {
    "id": 1,
    "pool": "default_pool",
    "slots": 128,
    "description": "Default pool",
    "include_deferred": False,
}


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed (apt-get install -y chromium); the docs tests need it")
    return path


# -- fixtures: the browser, the database, a live server -------------------------------------------


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    # Playwright launches every browser with a fresh temporary profile (user-data-dir) of its own.
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        await browser.close()


@pytest.fixture(scope="module")
async def database_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('docs') / 'dagport.db'}"
    engine = create_engine(Settings(database_url=url))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    return url


@asynccontextmanager
async def live_server(settings: Settings) -> AsyncIterator[str]:
    """Serve ``create_app(settings)`` with uvicorn on a free loopback port; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(1000):
            if server.started or not thread.is_alive():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


@pytest.fixture
async def server(database_file: str) -> AsyncIterator[str]:
    async with live_server(Settings(database_url=database_file, api_tokens=TOKEN)) as base:
        await _load_dags(base)
        yield base


@pytest.fixture
async def prefixed_server(database_file: str) -> AsyncIterator[str]:
    """Served under DAGPORT_ROOT_PATH=/dagport, as behind a proxy: the base URL includes the prefix."""
    settings = Settings(database_url=database_file, api_tokens=TOKEN, root_path="/dagport")
    async with live_server(settings) as base:
        await _load_dags(f"{base}/dagport")
        yield f"{base}/dagport"


async def _load_dags(base: str) -> None:
    async with httpx.AsyncClient(
        base_url=f"{base}/api/experimental", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        await load_reference_dags(client)


class Recorder:
    """Every request a page makes, every failed response, every uncaught script error and every
    Content-Security-Policy violation the browser reports."""

    def __init__(self, page: Page) -> None:
        self.requests: list[Request] = []
        self.failures: list[str] = []
        self.errors: list[str] = []
        self.violations: list[str] = []
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_failed)
        page.on("response", self._on_response)
        page.on("pageerror", self._on_error)
        page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def _on_request(self, request: Request) -> None:
        self.requests.append(request)

    def _on_failed(self, request: Request) -> None:
        self.failures.append(f"{request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.failures.append(f"{response.url}: {response.status}")

    def _on_error(self, error: Error) -> None:
        self.errors.append(str(error))

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self.requests]

    def off_machine(self) -> list[str]:
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname not in LOOPBACK_HOSTS
        ]


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    await context.close()


# -- Swagger UI steps ------------------------------------------------------------------------------


async def open_swagger_ui(page: Page, url: str) -> None:
    await page.goto(url)
    await expect(page.get_by_text("Trigger a DAG run", exact=True)).to_be_visible()
    assert await page.get_by_text("Unable to render this definition").count() == 0


async def authorize(page: Page, token: str) -> None:
    """Authorize -> the bearer scheme's Value -> Authorize -> close the dialog."""
    await page.locator("button.authorize").first.click()
    bearer = page.locator(".auth-container").filter(has=page.locator("h4 code", has_text="bearer"))
    await bearer.locator("#auth-bearer-value").fill(token)
    await bearer.locator("button.authorize").click()
    await expect(bearer).to_contain_text("Authorized")
    await page.locator(".modal-ux .close-modal").click()
    await expect(page.locator(".modal-ux")).to_have_count(0)


async def try_it_out(page: Page, path: str) -> str:
    """Expand the GET operation at ``path``, execute it, wait for a 200; return the response body text."""
    operation = page.locator(".opblock-get").filter(
        has=page.locator(f".opblock-summary-path[data-path='{path}']")
    )
    await operation.locator(".opblock-summary").first.click()
    await operation.get_by_role("button", name="Try it out").click()
    await operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table .response")
    await expect(live.locator(".response-col_status")).to_have_text("200")
    return await live.locator(".response-col_description .microlight").first.inner_text()


def api_requests(recorder: Recorder, path: str) -> list[Request]:
    return [r for r in recorder.requests if urlsplit(r.url).path.endswith(path)]


# -- tests -----------------------------------------------------------------------------------------


async def test_swagger_ui_renders_authorizes_and_executes_offline(
    page: Page, server: str, tmp_path: Path
) -> None:
    recorder = Recorder(page)
    await open_swagger_ui(page, f"{server}/docs")
    await authorize(page, TOKEN)
    body = await try_it_out(page, "/api/experimental/test")

    assert json.loads(body) == {"status": "OK"}
    [call] = api_requests(recorder, "/api/experimental/test")
    assert call.url == f"{server}/api/experimental/test"
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert f"{server}/static/swagger-ui/swagger-ui-bundle.js" in recorder.urls
    assert f"{server}/openapi.json" in recorder.urls
    assert recorder.off_machine() == []
    assert recorder.failures == []
    assert recorder.errors == []
    assert recorder.violations == []

    folder = SCREENSHOT.parent if os.environ.get("DAGPORT_UPDATE_SNAPSHOT") == "1" else tmp_path
    executed = page.locator(".opblock-get").filter(
        has=page.locator(".opblock-summary-path[data-path='/api/experimental/test']")
    )
    await executed.screenshot(path=folder / TRY_IT_OUT.name)  # the authorized call and its 200
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=folder / SCREENSHOT.name)  # the top of the page: the operations


async def test_swagger_ui_forgets_the_token_with_the_page(page: Page, server: str) -> None:
    """persistAuthorization is off: the token is in no storage of the origin, and a reloaded page
    sends none until Authorize is used again."""
    await open_swagger_ui(page, f"{server}/docs")
    await authorize(page, TOKEN)
    stored = await page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])")
    assert TOKEN not in stored
    await open_swagger_ui(page, f"{server}/docs")
    recorder = Recorder(page)

    operation = page.locator(".opblock-get").filter(
        has=page.locator(".opblock-summary-path[data-path='/api/experimental/pools']")
    )
    await operation.locator(".opblock-summary").first.click()
    await operation.get_by_role("button", name="Try it out").click()
    await operation.get_by_role("button", name="Execute").click()
    await expect(operation.locator(".live-responses-table .response .response-col_status")).to_have_text(
        "401"
    )

    [call] = api_requests(recorder, "/api/experimental/pools")
    assert "authorization" not in call.headers
    assert recorder.violations == []


async def test_swagger_ui_under_a_root_path_uses_the_prefix_everywhere(
    page: Page, prefixed_server: str
) -> None:
    recorder = Recorder(page)
    await open_swagger_ui(page, f"{prefixed_server}/docs")
    await authorize(page, TOKEN)
    body = await try_it_out(page, "/api/experimental/test")

    assert json.loads(body) == {"status": "OK"}
    [call] = api_requests(recorder, "/api/experimental/test")
    assert call.url == f"{prefixed_server}/api/experimental/test"
    root = urlsplit(prefixed_server).path
    assert all(urlsplit(url).path.startswith(f"{root}/") for url in recorder.urls), recorder.urls
    assert recorder.off_machine() == []
    assert recorder.failures == []
    assert recorder.violations == []


async def test_redoc_renders_the_operations_offline(page: Page, server: str) -> None:
    recorder = Recorder(page)
    await page.goto(f"{server}/redoc")

    await expect(page.locator("h2", has_text="Trigger a DAG run")).to_be_visible()
    await expect(page.locator("h2", has_text="Check credentials")).to_be_visible()
    assert f"{server}/static/redoc/redoc.standalone.js" in recorder.urls
    assert recorder.off_machine() == []
    assert recorder.failures == []
    assert recorder.errors == []
    assert recorder.violations == []


async def test_docs_pages_need_no_credentials_and_load_only_packaged_assets(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as anon:
        pages = {}
        for path in ("/docs", "/redoc"):
            response = await anon.get(path)
            assert (response.status_code, response.headers["content-type"]) == (200, HTML), path
            pages[path] = PAGE_URL.findall(response.text)
        assets = {url: await anon.get(url) for url in {*pages["/docs"], *pages["/redoc"]}}
        redirect = await anon.get("/docs/oauth2-redirect")

    assert pages == {
        "/docs": [
            "/static/swagger-ui/swagger-ui.css",
            "/static/swagger-ui/favicon-32x32.png",
            "/static/swagger-ui/swagger-ui-bundle.js",
        ],
        "/redoc": [
            "/static/swagger-ui/favicon-32x32.png",
            "/openapi.json",
            "/static/redoc/redoc.standalone.js",
        ],
    }
    assert {url: (r.status_code, r.headers["content-type"]) for url, r in assets.items()} == {
        "/static/swagger-ui/swagger-ui.css": (200, "text/css; charset=utf-8"),
        "/static/swagger-ui/favicon-32x32.png": (200, "image/png"),
        "/static/swagger-ui/swagger-ui-bundle.js": (200, "text/javascript; charset=utf-8"),
        "/openapi.json": (200, "application/json"),
        "/static/redoc/redoc.standalone.js": (200, "text/javascript; charset=utf-8"),
    }
    assert (redirect.status_code, redirect.headers["content-type"]) == (200, HTML)


async def test_unknown_static_file_is_a_json_404(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as anon:
        response = await anon.get("/static/nope.js")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "request_id": response.headers["x-request-id"]}
