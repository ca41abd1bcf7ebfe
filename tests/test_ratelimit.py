import asyncio
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

    starts = sorted(asyncio.run(go()))
    # The k-th start is never earlier than k spacings after the first. (A gap between two neighbours can look
    # short when the earlier one woke late on a busy machine; lateness only ever moves a start later, so the
    # schedule is checked against the first start, whose call runs at once. 20 ms covers its own delay.)
    late = [(k, round(t - starts[0], 3)) for k, t in enumerate(starts) if t - starts[0] < k * 0.1 - 0.02]
    assert len(starts) == 5 and not late


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


class _StampBackend:
    """Records the moment each request starts (the rate limiter has just let it go) and paints a tiny PNG."""

    kind = "stamp"
    spends_money = False
    description = "start-time recorder"

    def __init__(self) -> None:
        self.starts: list[float] = []

    async def generate(self, request):
        import io

        from PIL import Image

        from toolkit.backends import Reply, ReplyImage

        self.starts.append(time.time())  # wall clock: the same clock in every process on this machine
        buf = io.BytesIO()
        Image.new("RGB", (16, 16), (len(self.starts) * 40, 0, 0)).save(buf, "PNG")
        return Reply(status="ok", images=[ReplyImage(buf.getvalue(), "image/png")])

    def list_models(self) -> list[str]:
        return [tk.DEFAULT_MODEL]


SPACING = 0.2  # seconds between starts: rpm=300


def _kernel(home: str, worker: int, ready, out) -> None:
    import toolkit as tk

    backend = _StampBackend()
    studio = tk.Studio(backend=backend, home=home, rate_limit=tk.RateLimit(rpm=60 / SPACING))
    ready.wait(120)  # both kernels ask at the same moment: without a shared limit, their first starts coincide
    for i in range(3):
        studio.generate(f"kernel {worker} call {i}")
    out.put((worker, backend.starts))


def test_limit_is_shared_by_kernels_on_one_home(home):
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    ready, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_kernel, args=(str(home), w, ready, out)) for w in range(2)]
    for p in procs:
        p.start()
    try:
        per_kernel = dict(out.get(timeout=180) for _ in procs)
    finally:
        for p in procs:
            p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted(len(v) for v in per_kernel.values()) == [3, 3]
    starts = sorted(t for v in per_kernel.values() for t in v)
    # Six starts, one schedule across both processes: the k-th start comes at least k spacings after the first.
    # Measured where the request starts (inside the backend, right after the limiter), not when the ledger row
    # is written; a start that woke late only moves later, so comparing with the first start is robust to a busy
    # machine. 50 ms covers the first start's own delay (its claim's commit). Unshared, the barrier puts the two
    # first starts within milliseconds of each other.
    late = [(k, round(t - starts[0], 3)) for k, t in enumerate(starts) if t - starts[0] < k * SPACING - 0.05]
    assert not late, late


# -- a damaged ratelimit.sqlite is refused before anything is sent ------------------------------------------
def _damage_one_page(db, page_number: int) -> None:
    import os
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
    page = con.execute("PRAGMA page_size").fetchone()[0]
    assert con.execute("PRAGMA page_count").fetchone()[0] > page_number
    con.close()
    data = bytearray(db.read_bytes())
    data[page * (page_number - 1) + 8: page * page_number] = os.urandom(page - 8)  # keep the page type byte
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["garbage", "one page"])
def test_a_damaged_ratelimit_file_is_refused_with_the_fix(server, home, damage):
    db = home / "ratelimit.sqlite"
    if damage == "garbage":
        home.mkdir(parents=True)
        db.write_bytes(b"not a database, not even close" * 200)
    else:
        studio = tk.Studio(backend="offline", home=home, rate_limit=tk.RateLimit(rpm=60_000, concurrent=4))
        for i in range(3):
            studio.generate(f"pace me {i}", image_size="512")
        _damage_one_page(db, 2)
    with pytest.raises(tk.ConfigError) as info:
        tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                  rate_limit=tk.RateLimit(rpm=60))
    text = str(info.value)
    assert "ratelimit.sqlite" in text and "damaged" in text and "Delete" in text and "Nothing was sent" in text
    assert server.call_count == 0
    db.unlink()  # the fix it names works: the state is recreated and the home is usable again
    for side in ("-wal", "-shm"):
        (home / f"ratelimit.sqlite{side}").unlink(missing_ok=True)
    again = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
    assert again.generate("after the fix", image_size="512").status == "ok"
