"""Per-token rate limits: 429 with Retry-After once a token's bucket is empty."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from gloss.auth.ratelimit import TokenBuckets
from gloss.errors import RateLimited
from tests.api.test_errors import assert_problem
from tests.conftest import AccountFactory


def test_bucket_refills_with_time() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=2, clock=lambda: now[0])
    assert buckets.take("t") == 0
    assert buckets.take("t") == 0
    assert buckets.take("t") == 1.0  # one token a second
    now[0] += 1.0
    assert buckets.take("t") == 0
    assert buckets.take("other") == 0  # buckets are per key


def test_zero_rate_means_unlimited() -> None:
    buckets = TokenBuckets(per_minute=0, burst=0)
    assert all(buckets.take("t") == 0 for _ in range(1000))


async def test_api_answers_429_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    ann = await make_account("ann")
    bob = await make_account("bob")
    original = app.state.rate_limits
    app.state.rate_limits = TokenBuckets(per_minute=1, burst=3)
    try:
        statuses = [(await client.get("/v1/me", headers=ann.headers)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await client.get("/v1/me", headers=ann.headers)
        assert_problem(limited, 429, "rate-limited")
        assert int(limited.headers["retry-after"]) >= 1
        assert (await client.get("/v1/me", headers=bob.headers)).status_code == 200
    finally:
        app.state.rate_limits = original


def test_a_user_is_limited_across_all_their_tokens() -> None:
    """More tokens do not buy more requests: the dependency spends from the token's bucket
    and the user's."""
    buckets = TokenBuckets(per_minute=60, burst=3, clock=lambda: 0.0)
    user = ("user", "ann")
    for token in ("t1", "t2", "t3"):
        buckets.check(token)
        buckets.check(user)
    buckets.check("t4")  # a fresh token still has its own allowance...
    with pytest.raises(RateLimited, match="this user"):
        buckets.check(user, "Too many requests for this user")  # ...but the user has none
