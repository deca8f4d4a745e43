"""The dashboard's cache: one load per key per ttl, final answers kept, failures not kept."""

from __future__ import annotations

import threading

import pytest

from deploy_dsl.dashboard.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_reused_until_it_is_older_than_the_ttl() -> None:
    clock = Clock()
    cache = TtlCache(1.0, clock=clock)
    loads = iter(range(10))
    assert cache.get("k", lambda: next(loads)) == 0
    clock.now += 0.9
    assert cache.get("k", lambda: next(loads)) == 0
    clock.now += 0.2
    assert cache.get("k", lambda: next(loads)) == 1
    assert cache.loads == 2


def test_a_final_answer_is_kept_and_forget_drops_only_the_others() -> None:
    clock = Clock()
    cache = TtlCache(1.0, clock=clock)
    cache.get("done", lambda: "COMPLETED", final=lambda v: v == "COMPLETED")
    cache.get("running", lambda: "RUNNING", final=lambda v: v == "COMPLETED")
    clock.now += 3600
    assert cache.get("done", lambda: "again") == "COMPLETED"
    cache.forget()
    assert cache.get("done", lambda: "again") == "COMPLETED"
    assert cache.get("running", lambda: "again") == "again"
    cache.forget(final_too=True)
    assert cache.get("done", lambda: "again") == "again"


def test_a_failed_load_is_not_kept() -> None:
    cache = TtlCache(1.0, clock=Clock())

    def fail() -> str:
        raise RuntimeError("server down")

    with pytest.raises(RuntimeError):
        cache.get("k", fail)
    assert cache.get("k", lambda: "up") == "up"


def test_the_oldest_entries_go_first_past_the_bound() -> None:
    cache = TtlCache(1.0, max_entries=2, clock=Clock())
    for key in "abc":
        cache.get(key, lambda key=key: key, final=lambda _: True)
    assert cache.get("a", lambda: "reloaded") == "reloaded"
    assert cache.get("c", lambda: "reloaded") == "c"


def test_callers_at_once_share_one_load() -> None:
    cache = TtlCache(60.0)
    started, release = threading.Event(), threading.Event()
    loads = []

    def slow() -> int:
        loads.append(1)
        started.set()
        release.wait(5)
        return 42

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cache.get("k", slow)))
    first.start()
    started.wait(5)
    others = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(5)
    ]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert results == [42] * 6
    assert len(loads) == 1
