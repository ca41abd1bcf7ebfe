import asyncio
import itertools
import time

import pytest

import toolkit as tk
from toolkit.ratelimit import RateLimit, RateLimiter
from toolkit.testing import Outcome

KEY = "test-key-123456"


def test_rpm_spaces_request_starts():
    async def go():
        lim = RateLimiter(RateLimit(rpm=600)).for_model("m")  # one start every 0.1 s
        starts = []

        async def one():
            async with lim.slot():
                starts.append(time.monotonic())

        await asyncio.gather(*(one() for _ in range(5)))
        return starts

    starts = asyncio.run(go())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.09


def test_throttling_halves_the_rate_and_success_recovers():
    async def go():
        lim = RateLimiter(RateLimit(rpm=60, min_rpm=20)).for_model("m")
        lim.on_throttled(0.0)
        assert lim.rpm == 30
        lim.on_throttled(0.0)
        assert lim.rpm == 20  # floor
        for _ in range(20):
            lim.on_success()
        return lim.rpm

    assert asyncio.run(go()) == 60


@pytest.mark.parametrize("bad", [{"rpm": 0}, {"rpm": -1}, {"concurrent": 0}, {"concurrent": 1.5}])
def test_bad_limits_are_refused(bad):
    with pytest.raises(tk.ConfigError):
        RateLimit(**bad)


def _max_in_flight(requests, latency):
    times = sorted(r.received_at for r in requests)
    return max(sum(1 for t in times if s <= t < s + latency * 0.95) for s in times)


def test_concurrent_cap_per_model(server, home):
    server.latency_s = 0.3
    try:
        studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                           rate_limit=tk.RateLimit(concurrent=2))
        start = time.perf_counter()
        r = studio.generate("six ducks", n=6, image_size="512")
        elapsed = time.perf_counter() - start
    finally:
        server.latency_s = 0.0
    assert len(r.images) == 6
    assert elapsed >= 0.85  # three waves of two
    assert _max_in_flight(server.requests, 0.3) <= 2


def test_429_pauses_other_senders_and_slows_the_limiter(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                       rate_limit=tk.RateLimit(rpm=6000), retry=tk.RetryPolicy(initial_delay_s=0.01))
    server.enqueue(Outcome.error(429, retry_delay="0.4s"))
    r = studio.generate("three geese", n=3, image_size="512")
    assert len(r.images) == 3
    first = server.requests[0].received_at
    later = [q.received_at - first for q in server.requests[1:]]
    # the requests that had already started may land together; every start after the 429 waited for it
    assert sum(1 for t in later if t >= 0.39) >= 1
    limiter = studio.rate_limiter._limiters[next(iter(studio.rate_limiter._limiters))]
    assert limiter.throttled == 1 and limiter.rpm < 6000


def test_per_model_limits(home):
    studio = tk.Studio(backend="offline", home=home,
                       rate_limit={"nano-banana-pro": tk.RateLimit(rpm=30)})
    assert "gemini-3-pro-image" in studio.rate_limiter.per_model


def _kernel(home: str, worker: int) -> None:
    import toolkit as tk

    studio = tk.Studio(backend="offline", home=home, rate_limit=tk.RateLimit(rpm=300))  # 0.2 s apart
    for i in range(3):
        studio.generate(f"kernel {worker} call {i}", image_size="512")


def test_limit_is_shared_by_kernels_on_one_home(home):
    import multiprocessing as mp

    import pandas as pd

    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_kernel, args=(str(home), w)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    ts = sorted(pd.to_datetime(tk.Ledger(tk.Store(home)).df["ts"]))
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(ts)]
    assert len(ts) == 6 and min(gaps) >= 0.12  # six starts spaced across both processes
