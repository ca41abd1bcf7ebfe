"""How close does a concurrent study get to ideal? And how fast does it replay from the cache?

A study of N cells goes to a loopback FakeGeminiServer that takes L seconds per request. At concurrency C
the ideal wall time is ceil(N / C) * L. We print wall / ideal (target <= 1.10) and the speed-up over a
sequential loop, then replay the same study from the cache (target <= 1 s for 200 cells).

The sequential baseline sends ``--sequential`` cells one by one and scales the time to N (sending all 200
sequentially would take 100 s and measure nothing more).

Run: ``python benchmarks/study_throughput.py [--cells 200 --latency 0.5 --concurrency 16]``
"""

from __future__ import annotations

import argparse
import io
import math
import os
import tempfile
import time

import toolkit as tk
from toolkit.testing import FakeGeminiServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--sequential", type=int, default=10)
    args = ap.parse_args()

    buf = io.BytesIO()
    tk.sample("astronaut").convert("RGB").resize((1024, 1024)).save(buf, "JPEG", quality=90)
    with FakeGeminiServer(latency_s=args.latency, static_image=buf.getvalue(), static_mime="image/jpeg") as server, \
            tempfile.TemporaryDirectory() as home:
        studio = tk.Studio(backend="gemini", api_key="bench-key-000000", base_url=server.base_url, home=home,
                           concurrency=args.concurrency)
        studio.generate("warm-up")

        t = time.perf_counter()
        for i in range(args.sequential):
            studio.generate(f"sequential cell {i}")
        sequential_per_cell = (time.perf_counter() - t) / args.sequential

        t = time.perf_counter()
        study = studio.compare("study cell {i}", i=list(range(args.cells)), progress=False)
        wall = time.perf_counter() - t
        assert (study.df["status"] == "ok").all()

        t = time.perf_counter()
        replay = studio.compare("study cell {i}", i=list(range(args.cells)), progress=False)
        replay_s = time.perf_counter() - t
        assert replay.df["cached"].all()

    ideal = math.ceil(args.cells / args.concurrency) * args.latency
    sequential = sequential_per_cell * args.cells
    print(f"{args.cells} cells, {args.latency} s per request, concurrency {args.concurrency}")
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()}")
    print(f"concurrent study wall  {wall:7.2f} s   ideal {ideal:.2f} s   wall/ideal {wall / ideal:.3f} (target <= 1.10)")
    print(f"sequential loop        {sequential:7.2f} s   (measured {args.sequential} cells, scaled)   "
          f"speed-up {sequential / wall:.1f}x")
    print(f"replay from the cache  {replay_s:7.2f} s   for {args.cells} cells (target <= 1 s)")


if __name__ == "__main__":
    main()
