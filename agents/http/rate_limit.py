"""Token buckets per upstream site, in memory, on the monotonic clock.

A site's bucket holds up to `burst` tokens and refills at `rate` tokens a second; an event takes one.
A full bucket is the same as no bucket, so idle sites are forgotten first when the number of buckets
reaches its bound (memory stays bounded whatever ids are used). One process, one event loop: each
`take` runs without awaiting, so no lock is needed. Several collector processes each limit on their
own (the site's effective rate is then the sum); a shared limit would need Redis or the database.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MAX_BUCKETS = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    rate: float
    burst: int

    def refill(self, now: float, rate: float, burst: int) -> None:
        self.tokens = min(float(burst), self.tokens + max(0.0, now - self.at) * rate)
        self.at, self.rate, self.burst = max(self.at, now), rate, burst

    def full_at(self, now: float) -> bool:
        return self.tokens + max(0.0, now - self.at) * self.rate >= self.burst


class TokenBuckets:
    def __init__(
        self, max_buckets: int = DEFAULT_MAX_BUCKETS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_buckets < 1:
            raise ValueError("max_buckets must be at least 1")
        self.max_buckets = max_buckets
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def take(
        self, site_id: str, rate: float, burst: int, now: float | None = None, cost: float = 1.0
    ) -> float:
        """Take `cost` tokens from the site's bucket: 0.0 when allowed, else the seconds to wait before
        the same call would be (nothing is taken then); `math.inf` when `cost` exceeds `burst`."""
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate {rate} and burst {burst} must be positive")
        if cost > burst:
            return math.inf
        now = self.clock() if now is None else now
        bucket = self._buckets.get(site_id)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[site_id] = _Bucket(float(burst), now, rate, burst)
        else:
            bucket.refill(now, rate, burst)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / rate

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self.max_buckets:
            return
        for site_id in [s for s, b in self._buckets.items() if b.full_at(now)]:
            del self._buckets[site_id]  # a full bucket is the same as none
        while len(self._buckets) >= self.max_buckets:  # all busy: forget the longest unused ones
            del self._buckets[min(self._buckets, key=lambda s: self._buckets[s].at)]
