"""Simulated traffic of the deployed services, from which the worker's Prometheus metrics come
(pure: no I/O, no clock).

No request is sent: the store advances each metered scope's counters to the time it is asked
(each scrape, each change of the split), as if `rps` requests a second had been served since,
split between the stable version and a canary by the canary's weight. Each version's requests
fail at its error rate and take from half to one and a half times its latency, spread evenly;
both are test controls (`PUT /faults/traffic`). The counters are floats, as Prometheus's are,
so a second's fraction of a request is not lost between two scrapes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = [
    "BUCKETS",
    "DEFAULT_BEHAVIOUR",
    "Behaviour",
    "Counters",
    "Split",
    "served",
]

# prometheus_client's default histogram buckets, in seconds (+Inf is the count).
BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Behaviour:
    error_rate: float  # 0 to 1
    latency: float  # seconds


# A healthy version: no errors, 50 ms.
DEFAULT_BEHAVIOUR = Behaviour(0.0, 0.05)


@dataclass(frozen=True, slots=True)
class Counters:
    """One version's cumulative figures: requests, failed requests, the sum of their durations
    and, per bucket of BUCKETS, the requests that took at most that long."""

    requests: float = 0.0
    errors: float = 0.0
    duration_sum: float = 0.0
    buckets: tuple[float, ...] = (0.0,) * len(BUCKETS)


@dataclass(frozen=True, slots=True)
class Split:
    """Who gets a scope's traffic: the stable version and a canary with its percentage."""

    stable: str | None
    canary: str | None = None
    canary_weight: int = 0

    def shares(self) -> list[tuple[str, float]]:
        """(version, share of the requests) for each version that gets some."""
        found: list[tuple[str, float]] = []
        weight = min(max(self.canary_weight, 0), 100) if self.canary else 0
        if self.stable is not None and weight < 100:
            found.append((self.stable, (100 - weight) / 100))
        if self.canary is not None and weight > 0:
            found.append((self.canary, weight / 100))
        return found


def served(counters: Counters, requests: float, behaviour: Behaviour) -> Counters:
    """The counters after `requests` more requests of a version that behaves so."""
    if requests <= 0:
        return counters
    buckets = tuple(
        count + requests * _share_within(bound, behaviour.latency)
        for count, bound in zip(counters.buckets, BUCKETS, strict=True)
    )
    return replace(
        counters,
        requests=counters.requests + requests,
        errors=counters.errors + requests * behaviour.error_rate,
        duration_sum=counters.duration_sum + requests * behaviour.latency,
        buckets=buckets,
    )


def _share_within(bound: float, latency: float) -> float:
    """The share of requests taking at most `bound` seconds: durations are spread evenly over
    [latency / 2, 3 * latency / 2]."""
    if latency <= 0:
        return 1.0
    return min(max((bound - latency / 2) / latency, 0.0), 1.0)
