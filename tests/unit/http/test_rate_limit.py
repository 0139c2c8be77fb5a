"""Token buckets per site: bursts, refill, waits, and bounded memory."""

from __future__ import annotations

import math

import pytest

from agents.http.rate_limit import TokenBuckets


def test_a_full_burst_then_a_wait_of_one_token() -> None:
    buckets = TokenBuckets()
    assert [buckets.take("s", rate=10, burst=3, now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("s", rate=10, burst=3, now=100.0) == pytest.approx(0.1)


def test_tokens_come_back_at_the_rate_up_to_the_burst() -> None:
    buckets = TokenBuckets()
    for _ in range(5):
        buckets.take("s", rate=2, burst=5, now=0.0)
    assert buckets.take("s", rate=2, burst=5, now=0.25) == pytest.approx(0.25)  # half a token back
    assert buckets.take("s", rate=2, burst=5, now=0.5) == 0.0
    for _ in range(5):  # a long pause refills to the burst, not beyond
        assert buckets.take("s", rate=2, burst=5, now=1000.0) == 0.0
    assert buckets.take("s", rate=2, burst=5, now=1000.0) > 0


def test_a_refused_take_takes_nothing() -> None:
    buckets = TokenBuckets()
    buckets.take("s", rate=1, burst=1, now=0.0)
    for _ in range(10):
        assert buckets.take("s", rate=1, burst=1, now=0.5) == pytest.approx(0.5)
    assert buckets.take("s", rate=1, burst=1, now=1.0) == 0.0


def test_sites_have_their_own_buckets() -> None:
    buckets = TokenBuckets()
    assert buckets.take("a", rate=1, burst=1, now=0.0) == 0.0
    assert buckets.take("a", rate=1, burst=1, now=0.0) > 0
    assert buckets.take("b", rate=1, burst=1, now=0.0) == 0.0


def test_a_cost_of_several_tokens_and_one_over_the_burst() -> None:
    buckets = TokenBuckets()
    assert buckets.take("s", rate=10, burst=10, now=0.0, cost=7) == 0.0
    assert buckets.take("s", rate=10, burst=10, now=0.0, cost=7) == pytest.approx(0.4)
    assert buckets.take("s", rate=10, burst=10, now=0.0, cost=11) == math.inf


def test_a_lower_limit_applies_at_once() -> None:
    buckets = TokenBuckets()
    buckets.take("s", rate=100, burst=100, now=0.0)
    assert buckets.take("s", rate=1, burst=2, now=0.0) == 0.0  # clipped to the new burst of 2
    assert buckets.take("s", rate=1, burst=2, now=0.0) == 0.0
    assert buckets.take("s", rate=1, burst=2, now=0.0) > 0


def test_the_monotonic_clock_is_the_default() -> None:
    now = [5.0]
    buckets = TokenBuckets(clock=lambda: now[0])
    assert buckets.take("s", rate=1, burst=1) == 0.0
    assert buckets.take("s", rate=1, burst=1) == pytest.approx(1.0)
    now[0] = 6.0
    assert buckets.take("s", rate=1, burst=1) == 0.0


def test_memory_is_bounded_idle_sites_go_first() -> None:
    buckets = TokenBuckets(max_buckets=3)
    buckets.take("busy", rate=0.001, burst=5, now=0.0, cost=5)  # empty: must be remembered
    buckets.take("idle-1", rate=100, burst=1, now=0.0)
    buckets.take("idle-2", rate=100, burst=1, now=0.0)
    for i in range(50):
        buckets.take(f"new-{i}", rate=100, burst=1, now=1.0 + i)
        assert len(buckets) <= 3
    assert buckets.take("busy", rate=0.001, burst=5, now=50.0, cost=5) > 0  # still limited: kept


def test_when_every_bucket_is_busy_the_longest_unused_is_forgotten() -> None:
    buckets = TokenBuckets(max_buckets=2)
    buckets.take("old", rate=0.001, burst=1, now=0.0)
    buckets.take("recent", rate=0.001, burst=1, now=1.0)
    buckets.take("new", rate=0.001, burst=1, now=2.0)
    assert len(buckets) == 2
    assert buckets.take("recent", rate=0.001, burst=1, now=2.0) > 0
    assert buckets.take("old", rate=0.001, burst=1, now=2.0) == 0.0  # forgotten, so full again


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        TokenBuckets().take("s", rate=0, burst=1)
    with pytest.raises(ValueError):
        TokenBuckets(max_buckets=0)
