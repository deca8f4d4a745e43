"""`GET /metrics`: the simulated traffic (worker/traffic.py) in Prometheus's text format,
written by the official client, prometheus_client.

Per scope, env and version: `service_requests_total`, `service_request_errors_total` (also 0,
so an error-rate query has data for a version that has not failed yet) and the histogram
`service_request_duration_seconds`. The figures live in the worker's shared store rather than
in prometheus_client's multiprocess files: the simulation needs one clock for every gunicorn
process, which the store already is, so a collector reads them at each scrape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from worker.simulation import Served
from worker.traffic import BUCKETS

__all__ = ["CONTENT_TYPE", "LABELS", "ServedCollector", "exposition", "registry_for"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
LABELS = ("scope", "env", "version")


class ServedCollector:
    """A prometheus_client collector over what `read` returns at each scrape."""

    def __init__(self, read: Callable[[], list[Served]]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        requests = CounterMetricFamily(
            "service_requests", "Requests served (simulated), per version", labels=LABELS
        )
        errors = CounterMetricFamily(
            "service_request_errors", "Requests that failed (simulated)", labels=LABELS
        )
        durations = HistogramMetricFamily(
            "service_request_duration_seconds",
            "How long requests took (simulated)",
            labels=LABELS,
        )
        for found in self._read():
            labels = [found.scope, found.env, found.version]
            counters = found.counters
            requests.add_metric(labels, counters.requests)
            errors.add_metric(labels, counters.errors)
            buckets = [
                (_bound(bound), count)
                for bound, count in zip(BUCKETS, counters.buckets, strict=True)
            ]
            buckets.append(("+Inf", counters.requests))
            durations.add_metric(labels, buckets, counters.duration_sum)
        return [requests, errors, durations]


def registry_for(read: Callable[[], list[Served]]) -> CollectorRegistry:
    """A registry of the served traffic alone (none of the client's process metrics)."""
    # auto_describe off: registering would otherwise collect once, a write to the store.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServedCollector(read))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The text Prometheus scrapes, collected now."""
    return generate_latest(registry)


def _bound(value: float) -> str:
    # As prometheus_client writes its own buckets: 0.005, 1.0, 10.0.
    return repr(float(value))
