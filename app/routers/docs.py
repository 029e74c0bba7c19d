"""The docs pages, /docs (Swagger UI 5) and /redoc, served from the package's own files (no CDN).

FastAPI emits OpenAPI 3.1, which Swagger UI renders only from version 5; the assets in
``app/static`` are npm's ``swagger-ui-dist`` 5 and ``redoc`` 2 (versions in ``app/static/VERSIONS.txt``).
Every URL a page uses is built from the request's ``root_path``, so the pages work behind a proxy
that serves dagport under a prefix (``DAGPORT_ROOT_PATH``). No authentication, not in the schema.

Each page carries a Content-Security-Policy that lets it load its own origin's assets and run only
its own inline script, by hash (``_with_policy``): nothing from elsewhere, no other script, no
framing. Swagger UI does not keep the token it is given (``persistAuthorization`` off): a token
in the browser's localStorage would outlive the tab and be readable by any script of the origin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_PATH = "/static"
DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"

SWAGGER_UI_PARAMETERS = {
    "persistAuthorization": False,  # the token is forgotten with the page, never stored
    "validatorUrl": None,  # never ask an online validator for a badge
}

# The pages' policy: their own origin's scripts and the inline script of the page itself (by its
# hash), styles from the origin and inline (ReDoc injects its styles at run time), images and
# fonts from the origin or data: URLs, requests to the origin only (Try it out), ReDoc's worker
# from a blob: URL; never framed, no <base>, no form posts elsewhere.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _openapi_url(request: Request) -> str:
    return _root(request) + (request.app.openapi_url or "/openapi.json")


def _static(request: Request, name: str) -> str:
    return f"{_root(request)}{STATIC_PATH}/{name}"


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    """``page`` with DOCS_POLICY, allowing exactly its inline scripts (they name the page's URLs,
    so their hashes depend on the root path: computed per page)."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page.body)
    )
    page.headers["content-security-policy"] = DOCS_POLICY.format(scripts=hashes)
    return page


@router.get(DOCS_PATH)
async def swagger_ui(request: Request) -> HTMLResponse:
    return _with_policy(
        get_swagger_ui_html(
            openapi_url=_openapi_url(request),
            title=f"{request.app.title} - Swagger UI",
            swagger_js_url=_static(request, "swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=_static(request, "swagger-ui/swagger-ui.css"),
            swagger_favicon_url=_static(request, "swagger-ui/favicon-32x32.png"),
            oauth2_redirect_url=_root(request) + OAUTH2_REDIRECT_PATH,
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
    )


@router.get(OAUTH2_REDIRECT_PATH)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return _with_policy(get_swagger_ui_oauth2_redirect_html())


@router.get(REDOC_PATH)
async def redoc(request: Request) -> HTMLResponse:
    return _with_policy(
        get_redoc_html(
            openapi_url=_openapi_url(request),
            title=f"{request.app.title} - ReDoc",
            redoc_js_url=_static(request, "redoc/redoc.standalone.js"),
            redoc_favicon_url=_static(request, "swagger-ui/favicon-32x32.png"),
            with_google_fonts=False,
        )
    )


def install(app: FastAPI) -> None:
    """Adds the docs routes and the static files to an app built with ``docs_url=None, redoc_url=None``."""
    app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
