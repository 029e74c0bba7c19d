"""Prometheus metrics and one structured log line per request.

Both are fed by :class:`app.middleware.ApiProtocolMiddleware` when a response ends, so the hot path
gains no extra middleware layer. Labels use the route *template* (``/api/experimental/dags/{dag_id}``),
never the raw path, so label cardinality is bounded by the number of routes.

With several workers (``PROMETHEUS_MULTIPROC_DIR`` set, by ``dagport serve`` when
``DAGPORT_WORKERS`` > 1: :func:`multiprocess_directory`), prometheus-client's multiprocess mode
keeps every worker's values in files there and a scrape of any worker sums them; the figures read
at scrape time (pool, listing cache) are published there by each worker (:meth:`Metrics.publish`).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from app.listing_cache import ListingCache

if TYPE_CHECKING:  # the figures' type only: metrics read them through a function they are given
    from app.db.engine import PoolFigures

access_log = logging.getLogger("dagport.access")

UNMATCHED = "<unmatched>"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PoolCollector(Collector):
    """Database pool usage, read when Prometheus scrapes (no bookkeeping on the request path)."""

    def __init__(self, figures: Callable[[], PoolFigures]) -> None:
        self.figures = figures  # app.db.engine.pool_figures over the app's engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = self.figures()
        gauge = GaugeMetricFamily(
            "dagport_db_pool_connections", "Database connections of the server's pools", labels=["state"]
        )
        gauge.add_metric(["in_use"], figures.in_use)
        gauge.add_metric(["idle"], figures.idle)
        yield gauge
        size = GaugeMetricFamily(
            "dagport_db_pool_size", "Configured pool size (without overflow), all workers"
        )
        size.add_metric([], figures.size)
        yield size


class ListingCacheCollector(Collector):
    """The listing cache's counts (app/listing_cache.py), read when Prometheus scrapes."""

    def __init__(self, cache: ListingCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        cache = self.cache
        lookups = CounterMetricFamily(
            "dagport_listing_cache_lookups",
            "Run listings and latest_runs looked up in the listing cache, by result (a miss renders)",
            labels=["result"],
        )
        lookups.add_metric(["hit"], cache.hits)
        lookups.add_metric(["miss"], cache.misses)
        yield lookups
        size = GaugeMetricFamily("dagport_listing_cache_bytes", "Bytes held by the listing caches")
        size.add_metric([], cache.size)
        yield size


class SizedFilesCollector(Collector):
    """prometheus-client's multiprocess merge over the files that hold something.

    A worker creates its file and sizes it a moment later: a scrape in between would fail whole
    (``struct.error``), and a worker killed in between would leave the empty file, and every later
    scrape failing, for good (prometheus/client_python#1199). An empty file has recorded nothing
    yet, so it is left out; a file only grows once sized."""

    def __init__(self, path: str) -> None:
        self.path = path

    def collect(self) -> Iterable[Metric]:
        merged: Iterable[Metric] = MultiProcessCollector.merge(sized_files(self.path), accumulate=True)
        return merged


def sized_files(path: str) -> list[str]:
    """The ``.db`` files under ``path`` that are not empty (one removed meanwhile: left out)."""
    files = []
    for file in glob.glob(os.path.join(path, "*.db")):
        with contextlib.suppress(FileNotFoundError):
            if os.path.getsize(file) > 0:
                files.append(file)
    return files


def multiprocess() -> bool:
    """prometheus-client chooses its value store from this variable when it is imported."""
    return bool(os.environ.get(MULTIPROCESS_DIR))


@contextlib.contextmanager
def multiprocess_directory(workers: int) -> Iterator[None]:
    """Around ``dagport serve``: with several workers, a fresh ``PROMETHEUS_MULTIPROC_DIR`` for
    them to inherit (set before uvicorn starts them, deleted when it returns). One given by the
    environment is used as it is and kept."""
    if workers <= 1 or multiprocess():
        yield
        return
    path = tempfile.mkdtemp(prefix="dagport-metrics-")
    os.environ[MULTIPROCESS_DIR] = path
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_DIR, None)
        shutil.rmtree(path, ignore_errors=True)


class CallMetrics:
    """A counter of calls by (template, method, status) and their latency histogram by the first
    ``latency_labels`` of those. The labelled children are kept: ``labels()`` takes a lock and
    builds its key on every call; the set of keys is bounded (templates x methods x statuses)."""

    def __init__(self, counter: Counter, latency: Histogram, latency_labels: int) -> None:
        self.counter = counter
        self.latency = latency
        self.latency_labels = latency_labels
        self._children: dict[tuple[str, str, Any], tuple[Any, Any]] = {}

    def observe(self, template: str, method: str, status: Any, seconds: float) -> None:
        key = (template, method, status)
        children = self._children.get(key)
        if children is None:
            children = (self.counter.labels(*key), self.latency.labels(*key[: self.latency_labels]))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class Metrics:
    """One registry per app (tests build many apps in one process).

    Multiprocess mode: the request counter and histogram live in the shared files (summed over
    workers, those of exited workers included, so a counter never goes down); the scrape-time
    collectors are copied there by :meth:`publish` as ``livesum`` gauges (the workers alive now)
    and a counter, and the registry served is a :class:`MultiProcessCollector` over the files.
    """

    def __init__(self, pool_figures: Callable[[], PoolFigures], listing_cache: ListingCache) -> None:
        self.templates: dict[Any, str] = {}  # filled by create_app once the routes exist
        self.multiprocess = multiprocess()
        self.registry = CollectorRegistry()
        own = None if self.multiprocess else self.registry
        self.requests = Counter(
            "dagport_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "dagport_http_request_duration_seconds",
            "Request latency by route template and method",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.scraped: tuple[Collector, ...] = (
            PoolCollector(pool_figures),
            ListingCacheCollector(listing_cache),
        )
        if self.multiprocess:
            self.registry.register(SizedFilesCollector(os.environ[MULTIPROCESS_DIR]))
        else:
            for collector in self.scraped:
                self.registry.register(collector)
        self._published: dict[str, tuple[Gauge | Counter, tuple[str, ...]]] = {}
        self._counted: dict[tuple[str, tuple[str, ...]], float] = {}
        # (route, method, status): the bound method itself, no extra call on the request path.
        self.observe = CallMetrics(self.requests, self.latency, latency_labels=2).observe

    def exposition(self) -> bytes:
        """The text a scrape answers (this worker's scrape-time figures published first)."""
        if self.multiprocess:
            self.publish()
        return generate_latest(self.registry)

    def publish(self) -> None:
        """Multiprocess mode: this worker's scrape-time figures into the shared files (gauges as
        ``livesum``, counters by how much they grew since the last call)."""
        for family in (family for collector in self.scraped for family in collector.collect()):
            metric, names = self._published.get(family.name) or self._shared(family)
            for sample in family.samples:
                labels = tuple(sample.labels[name] for name in names)
                child = metric.labels(*labels) if labels else metric  # every series shown, 0 too
                if isinstance(child, Gauge):
                    child.set(sample.value)
                elif sample.name == family.name + "_total":
                    key = (family.name, labels)
                    grown = sample.value - self._counted.get(key, 0.0)
                    if grown > 0:
                        child.inc(grown)
                    self._counted[key] = sample.value

    def _shared(self, family: Metric) -> tuple[Gauge | Counter, tuple[str, ...]]:
        labels = tuple(sorted({name for sample in family.samples for name in sample.labels}))
        metric: Gauge | Counter
        if family.type == "counter":
            metric = Counter(family.name, family.documentation, labels, registry=None)
        else:
            metric = Gauge(
                family.name, family.documentation, labels, registry=None, multiprocess_mode="livesum"
            )
        self._published[family.name] = (metric, labels)
        return metric, labels

    @contextlib.asynccontextmanager
    async def publishing(self, every: float) -> AsyncIterator[None]:
        """While the app runs, in multiprocess mode: :meth:`publish` every ``every`` seconds, so a
        scrape answered by another worker sees this one's figures at most that old; on the way out
        this worker's live gauges are removed from the files."""
        if not self.multiprocess:
            yield
            return

        async def loop() -> None:
            while True:
                self.publish()
                await asyncio.sleep(every)

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            mark_process_dead(os.getpid())


def route_templates(included: Iterable[tuple[str, Any]]) -> dict[Any, str]:
    """endpoint function -> full path template (``/api/experimental/dags/{dag_id}``), built once
    from the (prefix, router) pairs the app includes."""
    return {route.endpoint: prefix + route.path for prefix, router in included for route in router.routes}


def route_template(scope: Mapping[str, Any], templates: dict[Any, str]) -> str:
    """The matched route's path template, or ``<unmatched>`` (404s must not mint new labels)."""
    return templates.get(scope.get("endpoint"), UNMATCHED)


def log_request(scope: Mapping[str, Any], request_id: str, route: str, status: int, seconds: float) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    client = scope.get("client")
    access_log.info(
        "%s %s %s",
        scope["method"],
        route,
        status,
        extra={
            "request_id": request_id,
            "method": scope["method"],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "client": f"{client[0]}:{client[1]}" if client else None,
        },
    )


# -- log formatting --------------------------------------------------------------------------------

# A record's own attributes, and extras that only repeat the message: uvicorn passes
# ``color_message``, the message with ANSI color escapes for a terminal.
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and any ``extra`` fields, except a
    colored copy of the message (uvicorn's ``color_message``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        duration = getattr(record, "duration_ms", None)
        if request_id is not None:
            line += f" ({duration} ms, {getattr(record, 'client', None)}, id {request_id})"
        return line


def configure_logging(level: str, fmt: str) -> None:
    """Route dagport's and uvicorn's loggers to stderr in ``json`` or ``console`` format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # httpx logs every call to Airflow at INFO; dagport's metrics count them instead.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
    # dagport writes its own access line (with the request id); uvicorn's would be a duplicate.
    # Not propagated either: uvicorn's protocol decides by `hasHandlers()` whether to log at all,
    # and otherwise builds its line's arguments (client address, quoted path) for every response
    # before the disabled logger drops them (a measurable part of a lookup: docs/performance.md).
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.propagate = False
    access.disabled = True
    # aiosqlite logs every call with its arguments (a statement's parameters) at DEBUG; the
    # engines hide parameters from SQLAlchemy's own lines (app/db/engine.py), so these stay off too.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
