"""Which google-genai transport costs the least CPU per call? The SDK alone, no Studio, measured in one run.

Six arms, interleaved in rounds against the same child-process server and distinct replies as
``benchmarks/overhead.py`` (a 2.65 MB PNG or a 166 KB JPEG):

* **raw**: the sync client's typed ``models.generate_content`` in the calling thread, reading the bytes;
* **async**: ``client.aio.models.generate_content`` with the HTTP body returned
  (``should_return_http_response``), on an event loop in another thread, as the Studio's runner calls it,
  then the reply read the Studio's way (``pydantic_core.from_json`` and the fast base64 decode);
* **to_thread**: the sync client with the HTTP body returned, through ``asyncio.to_thread`` from that loop,
  read the same way;
* **caller**: the sync client with the HTTP body returned in the calling thread, read the same way;
* **post_async**: our own wire request posted through the SDK's async API client
  (``_api_client.async_request``, what ``generate_content`` calls after converting its typed arguments) on
  the loop, read the same way;
* **post_thread**: the same POST through the SDK's sync API client (``_api_client.request``) in a
  :class:`~toolkit.backends.workers.DaemonWorkers` thread, awaited on the loop: the Studio's path.

CPU is ``time.process_time`` (every thread) per block; each figure is the median over rounds of the arm's CPU
per call and of its per-round ratio to raw. The allocator matters here: see the README's Performance section
(``GLIBC_TUNABLES``), and run under different settings to compare.

Run: ``python benchmarks/transport.py [--only png --calls 120 --block 10]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from google import genai
from google.genai import types
from pydantic_core import from_json

sys.path.insert(0, os.path.dirname(__file__))
import overhead  # the same images and server as benchmarks/overhead.py

from toolkit.backends.gemini_wire import decode_b64  # the Studio's own decoder
from toolkit.backends.workers import DaemonWorkers  # the Studio's worker threads


def measure(data: bytes, mime: str, calls: int, block: int) -> dict[str, list[float]]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=overhead.serve, args=(q, data, mime), daemon=True)
    proc.start()
    base_url = f"http://127.0.0.1:{q.get(timeout=60)}"
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="transport-loop", daemon=True).start()
    try:
        client = genai.Client(api_key=overhead.KEY, http_options=types.HttpOptions(base_url=base_url,
                                                                                   api_version="v1beta"))
        typed = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])

        def body_config() -> types.GenerateContentConfig:
            return types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"],
                                               should_return_http_response=True)

        def read(resp: Any) -> None:  # a typed response with its HTTP body, or the API client's HTTP response
            http = resp.sdk_http_response if hasattr(resp, "sdk_http_response") else resp
            body = from_json(http.body)
            image = decode_b64(body["candidates"][0]["content"]["parts"][1]["inlineData"]["data"])
            assert abs(len(image) - len(data)) < 64

        def raw(i: int) -> None:
            resp = client.models.generate_content(model=overhead.MODEL, contents=f"raw {i}", config=typed)
            assert resp.parts and resp.parts[1].inline_data and resp.parts[1].inline_data.data

        def on_loop(make: Callable[[int], Any]) -> Callable[[int], None]:
            return lambda i: asyncio.run_coroutine_threadsafe(make(i), loop).result()

        async def via_async(i: int) -> None:
            read(await client.aio.models.generate_content(model=overhead.MODEL, contents=f"async {i}",
                                                          config=body_config()))

        async def via_thread(i: int) -> None:
            read(await asyncio.to_thread(client.models.generate_content, model=overhead.MODEL,
                                         contents=f"thread {i}", config=body_config()))

        def caller(i: int) -> None:
            read(client.models.generate_content(model=overhead.MODEL, contents=f"caller {i}", config=body_config()))

        def wire(prompt: str) -> dict[str, Any]:
            return {"contents": [{"role": "user", "parts": [{"text": prompt}]}],
                    "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}

        path = f"models/{overhead.MODEL}:generateContent"

        async def post_async(i: int) -> None:
            read(await client.aio._api_client.async_request("post", path, wire(f"post_async {i}"), None))

        workers = DaemonWorkers("transport")

        async def post_thread(i: int) -> None:  # the Studio's path (GenerateContentBackend.threaded)
            await workers.run(lambda: read(client._api_client.request("post", path, wire(f"post_thread {i}"), None)))

        fns: dict[str, Callable[[int], None]] = {
            "raw": raw, "async": on_loop(via_async), "to_thread": on_loop(via_thread), "caller": caller,
            "post_async": on_loop(post_async), "post_thread": on_loop(post_thread)}
        for i in range(3):  # warm the connection pools, the loop and the thread pool
            for fn in fns.values():
                fn(-i - 1)
        cpu: dict[str, list[float]] = {k: [] for k in fns}
        orders = list(itertools.permutations(fns))
        for r in range(max(1, calls // block)):
            for arm in orders[(r * 5) % len(orders)]:  # a different order each round
                t = time.process_time()
                for k in range(block):
                    fns[arm](r * block + k)
                cpu[arm].append((time.process_time() - t) / block)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        proc.kill()
        proc.join()
    return cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=120, help="calls per arm")
    ap.add_argument("--block", type=int, default=10, help="calls per arm per round")
    ap.add_argument("--only", choices=["png", "jpeg"], default=None)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load average at start {os.getloadavg()}; "
          f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '')!r}")
    for kind, make, mime in (("png", overhead.png_bytes, "image/png"), ("jpeg", overhead.jpeg_bytes, "image/jpeg")):
        if args.only and kind != args.only:
            continue
        data = make()
        cpu = measure(data, mime, args.calls, args.block)
        print(f"{kind}: {len(data) / 1e6:.3f} MB distinct per call; {len(cpu['raw'])} rounds of {args.block}")
        for arm, values in cpu.items():
            ratio = statistics.median(x / y for x, y in zip(values, cpu["raw"], strict=True))
            print(f"  {arm:11s} {statistics.median(values) * 1e3:7.2f} ms CPU per call   / raw {ratio:.3f}")
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
