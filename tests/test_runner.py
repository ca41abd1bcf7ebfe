import asyncio
import random

import pytest

from toolkit.errors import ProviderError
from toolkit.runner import RetryPolicy, run, with_retries


def err(code, retry_after=None):
    return ProviderError("x", code, "S", "m", retry_after_s=retry_after)


def test_run_works_inside_a_running_event_loop():
    async def inner():
        return 42

    async def notebook_cell():  # Jupyter: the caller's thread already runs a loop
        return run(inner())

    assert asyncio.run(notebook_cell()) == 42


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(attempts=10, initial_delay_s=1, max_delay_s=5, jitter=0)
    rng = random.Random(0)
    assert [policy.delay(k, err(503), rng) for k in range(1, 6)] == [1, 2, 4, 5, 5]
    jittered = RetryPolicy(attempts=10, initial_delay_s=1, jitter=0.5).delay(3, err(503), rng)
    assert 2 <= jittered <= 4


def test_what_is_retried():
    policy = RetryPolicy(attempts=3)
    rng = random.Random(0)
    assert policy.delay(1, err(400), rng) is None
    assert policy.delay(1, err(404), rng) is None
    assert policy.delay(1, err(None), rng) is not None  # timeouts and dropped connections
    assert policy.delay(1, err(429, retry_after=7.5), rng) == 7.5
    assert policy.delay(3, err(503), rng) is None  # attempts used up


def test_with_retries_counts_attempts_and_reraises():
    calls = []

    async def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise err(503)
        return "done"

    policy = RetryPolicy(attempts=5, initial_delay_s=0.001)
    assert asyncio.run(with_retries(flaky, policy)) == ("done", 3)

    async def broken():
        raise err(500)

    with pytest.raises(ProviderError) as info:
        asyncio.run(with_retries(broken, RetryPolicy(attempts=2, initial_delay_s=0.001)))
    assert info.value.attempts == 2 and "after 2 attempts" in str(info.value)
