import asyncio
import random

import pytest

from toolkit.errors import ProviderError
from toolkit.runner import CallClock, RetryPolicy, run, with_retries


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


def test_a_wait_that_would_cross_the_deadline_is_not_taken():
    calls = []

    async def throttled():
        calls.append(1)
        raise err(429, retry_after=30)  # within max_retry_after_s, but past the call's deadline

    with pytest.raises(ProviderError) as info:
        asyncio.run(with_retries(throttled, RetryPolicy(deadline_s=5)))
    assert calls == [1] and info.value.attempts == 1 and "deadline_s=5 s" in str(info.value)
    assert RetryPolicy().deadline_s == 300 and RetryPolicy(deadline_s=None).deadline_s is None


def test_an_attempt_is_cut_off_at_its_timeout_and_names_it():
    async def forever():
        await asyncio.sleep(60)

    async def main():
        return await CallClock(0.05, None, provider="p").attempt(forever)

    with pytest.raises(ProviderError, match=r"timeout_s=0.05 s \(per attempt\)") as info:
        asyncio.run(main())
    assert info.value.status == "TIMEOUT" and info.value.retryable


def test_exhausted_retries_say_so_once_in_the_fix_line():
    async def broken():
        raise ProviderError("x", 502, "BAD_GATEWAY", "m", hint="HTTP 502 failed")

    with pytest.raises(ProviderError) as info:
        asyncio.run(with_retries(broken, RetryPolicy(attempts=3, initial_delay_s=0.001)))
    text = str(info.value)
    assert text.count("\nFix: ") == 1 and "(after 3 attempts)" in text.split("\nFix: ")[0]
    assert "tried 3 times" in text.split("\nFix: ")[1]
