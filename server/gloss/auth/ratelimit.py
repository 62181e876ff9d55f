"""Per-token rate limits: a token bucket per token, refilled continuously; 429 with Retry-After."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable

from gloss.errors import RateLimited


class TokenBuckets:
    """In-process buckets. Each replica limits on its own, so the fleet-wide allowance is the
    per-replica rate times the number of replicas (docs/operations.md says so)."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable, cost: float = 1.0) -> float:
        """Spend `cost` from the key's bucket; returns 0, or the seconds to wait when empty."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.pop(next(iter(self._buckets)))
            return (cost - tokens) / self.rate

    def check(self, key: Hashable, what: str = "Too many requests for this token") -> None:
        wait = self.take(key)
        if wait > 0:
            raise RateLimited(
                f"{what}; retry in {math.ceil(wait)} s.",
                headers={"Retry-After": str(math.ceil(wait))},
            )
