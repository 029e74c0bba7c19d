"""The upstream side of ``/metrics`` in front of Airflow: what dagport asks of Airflow, and spares it."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from app.observability import LATENCY_BUCKETS, CallMetrics


class UpstreamMetrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.calls = Counter(
            "dagport_airflow_requests",
            "Calls to Airflow's REST API by endpoint template, method and status (error, timeout: none)",
            ["endpoint", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "dagport_airflow_request_duration_seconds",
            "Latency of calls to Airflow's REST API by endpoint template",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.spared_reads = Counter(
            "dagport_airflow_reads_spared",
            "Reads answered without a call of their own: coalesced with an identical call in flight, "
            "or served from the cache (DAGPORT_AIRFLOW_CACHE_SECONDS)",
            ["reason"],
            registry=registry,
        )
        # (endpoint template, method, status), the latency by endpoint template
        self.observe = CallMetrics(self.calls, self.latency, latency_labels=1).observe

    def spared(self, reason: str) -> None:
        self.spared_reads.labels(reason).inc()
