"""``dagport serve``: prepare once (app/startup.py), then serve with uvicorn's workers.

Its stderr is its log (JSON lines by default): the database it names and a refusal are records
of the ``dagport`` logger, not plain lines.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket

from app.cli.common import CliError, announce_database, guarded
from app.config import Settings
from app.observability import configure_logging, multiprocess_directory
from app.startup import prepare

log = logging.getLogger("dagport")

# What each worker builds: the app without the preparation, which `serve` ran once for all of them.
WORKER_FACTORY = "app.main:prepared_app"


def check_port(settings: Settings) -> None:
    """Fail before migrating and loading when the server could not listen on HOST:PORT."""
    host, port = settings.host, settings.port
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on DAGPORT_HOST={host!r}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"{host}:{port} is already in use (another dagport or another program): "
                    "stop it, or set DAGPORT_PORT"
                ) from None
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(settings: Settings) -> int:
    import uvicorn

    from app.server import uvicorn_options

    if asyncio.run(prepare(settings)) != 0:
        return 1
    uvicorn.run(WORKER_FACTORY, factory=True, **uvicorn_options(settings))
    return 0


def serve_command(settings: Settings) -> int:
    """The whole command: the database named, the port checked, prepared, served; exit status."""
    configure_logging(settings.log_level, settings.log_format)
    announce_database(settings, log.info)

    def serving() -> int:
        check_port(settings)  # before migrating and loading
        with multiprocess_directory(settings.workers):  # /metrics sums the workers
            return serve(settings)

    return guarded(settings, serving, log.error)
