"""What does the classroom gateway add to a call, and how many calls a second does it carry for a room?

Two child processes on loopback: the upstream (``FakeGeminiServer`` answering every call with the same
~1 MB PNG, so the fake's own CPU stays out of this process) and the gateway (``python -m toolkit classroom
serve`` on a fresh room, ``--upstream`` pointing at the fake, a test key in ``GEMINI_API_KEY``).

* **Added latency**: the same ``generateContent`` request (a ~1 MB PNG input image plus a prompt made unique per
  call, so there are no cache hits) is sent N times straight to the fake and N times through the gateway with a
  seat token, interleaved one by one, over kept-alive connections (httpx). The figure is the median of the
  per-pair differences (gateway - direct), in ms. Target: <= 10 ms.
  The same pairs are then sent through a bare pass-through (uvicorn + Starlette + httpx forwarding with no logic):
  the floor of this stack on this machine, so the gateway's own work is the difference. The gateway process's
  CPU per call is reported too (less sensitive to a busy machine than wall time).
* **Throughput**: 30 seats (one asyncio httpx client each) send M calls each, all at once, through the gateway;
  then the same straight to the fake. Calls per second, wall clock.

Run: ``python benchmarks/classroom_overhead.py [--calls 60 --seats 30 --per-seat 4]``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

MODEL = "gemini-3.1-flash-image"
KEY = "upk-9e1b7d3c5a2f4e60-Benchmark-000000000000000"

FAKE = """
import sys, time
from toolkit.testing import FakeGeminiServer
data = open(sys.argv[1], "rb").read()
with FakeGeminiServer(api_key=sys.argv[2], static_image=data) as fake:
    print(fake.base_url, flush=True)
    sys.stdin.read()
"""


#: The floor on this machine: the same stack (uvicorn + Starlette + httpx) forwarding with no logic at all.
BARE = """
import sys, httpx, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
upstream, key, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = httpx.AsyncClient(timeout=120)
async def forward(request):
    r = await client.post(upstream + request.url.path, content=await request.body(),
                          headers={"x-goog-api-key": key, "content-type": "application/json"})
    return Response(r.content, r.status_code, media_type=r.headers.get("content-type"))
uvicorn.run(Starlette(routes=[Route("/{p:path}", forward, methods=["POST"])]), host="127.0.0.1", port=port,
            log_level="warning", access_log=False)
"""


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def png_of_about(nbytes: int) -> bytes:
    side = int((nbytes / 3) ** 0.5) + 1
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"a child process exited: {proc.communicate()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("a child process did not start listening")


def body(image_b64: str, n: int) -> bytes:
    return json.dumps({"contents": [{"role": "user", "parts": [
        {"text": f"make it a watercolour, take {n}"},
        {"inlineData": {"mimeType": "image/png", "data": image_b64}}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}).encode()


def added_latency(direct: str, via: str, token: str, image_b64: str, calls: int, salt: int) -> tuple[float, float]:
    """Median (via - direct) of interleaved pairs, and the median latency via, in ms."""
    path = f"/v1beta/models/{MODEL}:generateContent"
    diffs, times = [], []
    with httpx.Client(timeout=120) as client:
        for i in range(-3, calls):  # 3 warm-up pairs
            t0 = time.perf_counter()
            r = client.post(direct + path, content=body(image_b64, salt + 2 * i),
                            headers={"x-goog-api-key": KEY, "content-type": "application/json"})
            t1 = time.perf_counter()
            g = client.post(via + path, content=body(image_b64, salt + 2 * i + 1),
                            headers={"x-goog-api-key": token, "content-type": "application/json"})
            t2 = time.perf_counter()
            assert r.status_code == 200 and g.status_code == 200, (r.status_code, g.status_code, g.text[:300])
            if i >= 0:
                times.append(t2 - t1)
                diffs.append((t2 - t1) - (t1 - t0))
    return statistics.median(diffs) * 1000, statistics.median(times) * 1000


async def room_throughput(url: str, tokens: list[str], per_seat: int, image_b64: str, offset: int) -> float:
    path = f"/v1beta/models/{MODEL}:generateContent"

    async def seat(k: int, token: str) -> None:
        async with httpx.AsyncClient(timeout=300) as client:
            for j in range(per_seat):
                r = await client.post(url + path, content=body(image_b64, offset + k * 1000 + j),
                                      headers={"x-goog-api-key": token, "content-type": "application/json"})
                assert r.status_code == 200, r.text[:300]

    t0 = time.perf_counter()
    await asyncio.gather(*(seat(k, t) for k, t in enumerate(tokens)))
    return len(tokens) * per_seat / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--seats", type=int, default=30)
    ap.add_argument("--per-seat", type=int, default=4)
    ap.add_argument("--image-bytes", type=int, default=1_000_000)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="classroom-bench-"))
    image = png_of_about(args.image_bytes)
    (tmp / "reply.png").write_bytes(image)
    image_b64 = base64.b64encode(image).decode()
    fake = subprocess.Popen([sys.executable, "-c", FAKE, str(tmp / "reply.png"), KEY], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    direct = fake.stdout.readline().strip() if fake.stdout else ""
    init = subprocess.run([sys.executable, "-m", "toolkit", "classroom", "init", str(tmp / "room.db"), "--seats",
                           str(args.seats), "--budget-per-seat", "1000", "--models", MODEL, "--json"],
                          capture_output=True, text=True, check=True)
    seats_csv = json.loads(init.stdout)["seats_csv"]
    tokens = [line.split(",")[1] for line in Path(seats_csv).read_text().splitlines()[1:]]
    port = free_port()
    env = {**os.environ, "GEMINI_API_KEY": KEY}
    gateway_proc = subprocess.Popen([sys.executable, "-m", "toolkit", "classroom", "serve", str(tmp / "room.db"),
                                     "--upstream", direct, "--port", str(port), "--concurrency", "64",
                                     "--seat-concurrency", "8"], env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
    gateway = f"http://127.0.0.1:{port}"
    bare_port = free_port()
    bare_proc = subprocess.Popen([sys.executable, "-c", BARE, direct, KEY, str(bare_port)])
    bare = f"http://127.0.0.1:{bare_port}"
    try:
        wait_listening(port, gateway_proc)
        wait_listening(bare_port, bare_proc)
        print(f"images: {len(image) / 1e6:.2f} MB PNG in each request and each reply; loopback; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        cpu0 = cpu_s(gateway_proc.pid)
        added, g_ms = added_latency(direct, gateway, tokens[0], image_b64, args.calls, 0)
        gateway_cpu = (cpu_s(gateway_proc.pid) - cpu0) / (args.calls + 3) * 1000
        bare_cpu0 = cpu_s(bare_proc.pid)
        bare_added, _ = added_latency(direct, bare, KEY, image_b64, args.calls, 10**5)
        bare_cpu = (cpu_s(bare_proc.pid) - bare_cpu0) / (args.calls + 3) * 1000
        print(f"added latency per call over direct (median of {args.calls} interleaved pairs; target <= 10 ms):")
        print(f"  classroom gateway      {added:+6.1f} ms   (gateway CPU {gateway_cpu:.1f} ms per call; "
              f"{g_ms:.1f} ms per call in all)")
        print(f"  bare pass-through      {bare_added:+6.1f} ms   (same stack, no logic: CPU {bare_cpu:.1f} ms per call)")
        print(f"  the gateway's own work {added - bare_added:+6.1f} ms   (seat, estimate, budget, ledger, cache)")
        direct_rate = asyncio.run(room_throughput(direct, [KEY] * args.seats, args.per_seat, image_b64, 10**6))
        gateway_rate = asyncio.run(room_throughput(gateway, tokens, args.per_seat, image_b64, 2 * 10**6))
        print(f"throughput, {args.seats} seats x {args.per_seat} calls at once: through the gateway "
              f"{gateway_rate:.1f} calls/s; straight to the upstream {direct_rate:.1f} calls/s")
    finally:
        bare_proc.terminate()
        bare_proc.wait(timeout=30)
        gateway_proc.terminate()
        gateway_proc.wait(timeout=30)
        if fake.stdin:
            fake.stdin.close()
        fake.wait(timeout=30)


if __name__ == "__main__":
    main()
