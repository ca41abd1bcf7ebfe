"""What does the Studio add to each call, and how far is it from the floor? CPU per call, in one run.

The same N calls (distinct prompts, so no cache hits) go through four arms, interleaved in rounds:

* **raw**: a raw google-genai loop: ``client.models.generate_content`` and reading the image bytes;
* **floor**: the raw call plus exactly the work the toolkit must do and the raw loop skips: the sha256 of the
  image bytes, one write of the image into a fresh file the way :meth:`toolkit.Store.put_image` writes it
  (``mkstemp`` in the image's ``images/ab/`` folder, ``fchmod`` 0600, one write, ``os.replace`` into its
  content address; no fsync, as the Store does none), and one ledger row inserted and committed in its own
  transaction into a WAL-mode ``ledger.sqlite`` (``synchronous=NORMAL``, the Store's settings and schema)
  in a home on the same disk;
* **design floor**: the floor of the Studio's design rather than of a blocking loop: the ledger row written
  ahead as ``sent`` in one transaction before the request leaves and completed in a second (money is never
  spent unrecorded), and the call made the Studio's way: awaited on an event loop in another thread (what lets
  a study run 16 calls at once and a notebook cancel or time out a call), the wire request posted through the
  SDK's sync API client (``_api_client.request``, what ``models.generate_content`` calls after converting its
  typed arguments) in a worker thread, the body read with ``pydantic_core.from_json`` and the fast base64
  decode; then the sha256 and the same file write. What the
  Studio costs beyond it is its own machinery: validation, the cache, the budget's checks, retries, deadlines,
  the rate limiter, metadata and the Result;
* **Studio**: ``Studio.generate``: validation, hashing, cache lookup, retries wrapper, pricing, the budget's
  write-ahead row, image file write with metadata, cache entry and ledger row;

against a small loopback ``generateContent`` server run in a child process (so its CPU is not counted) that
answers every call with DISTINCT image bytes: a 1024x1024 PNG of about 2.65 MB (noise over a sample image)
and a 177 KB JPEG, each made unique per call by a ``tEXt`` chunk / ``COM`` segment holding a counter. Real
replies are all different, so every Studio call pays its file write and hash.

CPU is ``time.process_time`` (user + system, every thread of this process: the SDK's, the Studio's runner)
per block of calls; each round runs every arm once, in an order that cycles through all 24; each figure is
the median over rounds of the per-round ratio (Studio / raw, floor / raw, ...) or difference in ms.

Targets: PNG Studio / raw <= 1.3; JPEG Studio - raw <= +2 ms CPU per call.

``--segments N`` then runs N more Studio calls with each step (request, cache lookup, write-ahead row, SDK
call and parse, image write, cache entry, ledger row) timed in its thread's CPU, without a profiler's
distortion; ``--profile N`` runs N more under cProfile (the runner thread, where the call runs, and the
caller's thread) and prints where the CPU goes.

Run: ``python benchmarks/overhead.py [--calls 200 --block 20 --only png --segments 200 --profile 40]``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import hashlib
import io
import itertools
import json
import multiprocessing as mp
import os
import pstats
import sqlite3
import statistics
import struct
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from google import genai
from google.genai import types
from pydantic_core import from_json

import toolkit as tk
from toolkit.backends.gemini_wire import decode_b64  # the Studio's own decoder
from toolkit.backends.workers import DaemonWorkers  # the Studio's worker threads

MODEL = tk.DEFAULT_MODEL
KEY = "bench-key-000000"
ARMS = ("raw", "floor", "design", "studio")
NAMES = {"raw": "raw", "floor": "floor", "design": "design floor", "studio": "Studio"}
PAIRS = (("studio", "raw"), ("floor", "raw"), ("design", "raw"), ("studio", "floor"), ("studio", "design"))


def png_bytes() -> bytes:
    """A 1024x1024 RGB PNG of about 2.65 MB: a sample image blended with noise, as a photo-like render is."""
    from PIL import Image

    img = tk.sample("astronaut").convert("RGB").resize((1024, 1024))
    noise = Image.effect_noise((1024, 1024), 40).convert("RGB")
    buf = io.BytesIO()
    Image.blend(img, noise, 0.5).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes() -> bytes:
    img = tk.sample("astronaut").convert("RGB").resize((1024, 1024))
    for q in range(95, 40, -2):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q)
        if len(buf.getvalue()) <= 180_000:
            break
    return buf.getvalue()


def unique(data: bytes, mime: str, n: int) -> bytes:
    """``data`` made distinct by a counter: a PNG tEXt chunk after IHDR, or a JPEG COM segment after SOI."""
    tag = f"bench call {n}".encode()
    if mime == "image/png":
        body = b"tEXt" + b"Comment\x00" + tag
        chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
        return data[:33] + chunk + data[33:]
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(tag) + 2) + tag + data[2:]


def serve(port_q: Any, data: bytes, mime: str) -> None:
    """The child process: answer every generateContent with a distinct copy of ``data``."""
    counter = iter(range(1 << 62))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            img = unique(data, mime, next(counter))
            body = json.dumps({
                "candidates": [{"content": {"role": "model", "parts": [
                    {"text": "Here you go."},
                    {"inlineData": {"mimeType": mime, "data": base64.b64encode(img).decode("ascii")}}]},
                    "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 1290, "totalTokenCount": 1300,
                                  "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}]},
                "modelVersion": MODEL, "responseId": f"r{id(img)}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_q.put(srv.server_address[1])
    srv.serve_forever()


class Floor:
    """The work the toolkit cannot skip, done the cheapest way with the Store's own flags and schema."""

    def __init__(self, home: Path) -> None:
        tk.Store(home).close()  # the ledger's schema, indexes and WAL mode, created as the Studio creates them
        self.images = home / "images"
        self.conn = sqlite3.connect(home / "ledger.sqlite", isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.sql = ("INSERT INTO calls (ts, session, backend, model, operation, prompt, n_inputs, n_images, status, "
                    "input_tokens, output_tokens, output_image_tokens, cost_usd, list_cost_usd, latency_s, cached, "
                    "key, response_id, paths, attempts, tier) VALUES (" + ", ".join("?" * 21) + ")")

    def keep(self, data: bytes, mime: str, prompt: str, row_id: int | None = None) -> None:
        sha = hashlib.sha256(data).hexdigest()
        folder = self.images / sha[:2]
        if not folder.is_dir():
            folder.mkdir(mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".png" if mime == "image/png" else ".jpg")
        try:
            os.fchmod(fd, 0o600)
            written = os.write(fd, data)  # one write: a regular file takes it whole (looped only if it did not)
            while written < len(data):
                written += os.write(fd, memoryview(data)[written:])
        finally:
            os.close(fd)
        path = folder / f"{sha}{'.png' if mime == 'image/png' else '.jpg'}"
        os.replace(tmp, path)
        self.conn.execute("BEGIN IMMEDIATE")
        if row_id is None:
            self.conn.execute(self.sql, ("2026-12-07T00:00:00Z", "bench", "gemini", MODEL, "generate", prompt, 0, 1,
                                         "ok", 10, 1290, 1290, 0.039, 0.039, 0.05, 0, sha, "r",
                                         json.dumps([str(path)]), 1, "standard"))
        else:  # the row written ahead, completed (the Budget's second transaction)
            self.conn.execute("UPDATE calls SET status = 'ok', n_images = 1, input_tokens = 10, output_tokens = 1290, "
                              "output_image_tokens = 1290, cost_usd = 0.039, list_cost_usd = 0.039, latency_s = 0.05, "
                              "key = ?, response_id = 'r', paths = ?, reserved_usd = 0 WHERE id = ?",
                              (sha, json.dumps([str(path)]), row_id))
        self.conn.execute("COMMIT")

    def write_ahead(self, prompt: str) -> int:
        """The paid call's row, written as ``sent`` with its estimate before the request leaves (one transaction)."""
        self.conn.execute("BEGIN IMMEDIATE")
        cur = self.conn.execute(self.sql.replace("attempts, tier)", "attempts, tier, reserved_usd)").replace(
            "?)", "?, ?)"), ("2026-12-07T00:00:00Z", "bench", "gemini", MODEL, "generate", prompt, 0, 0, "sent", 0,
                             0, 0, 0.0, 0.0, 0.0, 0, None, None, "[]", 1, "standard", 0.039))
        self.conn.execute("COMMIT")
        return int(cur.lastrowid or 0)


def profile_studio(studio: tk.Studio, calls: int, top: int = 30) -> None:
    """``calls`` Studio calls under cProfile in the runner thread (where they run) and in this one."""
    from toolkit.runner import runner_loop  # a benchmark's look inside: the runner's event-loop thread

    loop = runner_loop()
    # each profiler times its own thread's CPU (thread_time), so the caller's wait is not counted as work
    here, there = cProfile.Profile(time.thread_time), cProfile.Profile(time.thread_time)

    def on_runner(fn: Callable[[], None]) -> None:
        done = threading.Event()

        def run() -> None:
            fn()
            done.set()
        loop.call_soon_threadsafe(run)
        done.wait()

    on_runner(there.enable)
    here.enable()
    t = time.process_time()
    for i in range(calls):
        studio.generate(f"profiled prompt {i}")
    cpu = (time.process_time() - t) / calls
    here.disable()
    on_runner(there.disable)
    print(f"  cProfile of {calls} Studio calls ({cpu * 1e3:.1f} ms CPU per call with the profiler on); "
          f"top {top} by own time, ms per call:")
    stats = pstats.Stats(there).add(here)
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    for (file, line, name), (_cc, ncalls, tottime, cumtime, _callers) in rows:
        where = f"{Path(file).name}:{line}" if line else file
        print(f"    {tottime / calls * 1e3:7.3f} own {cumtime / calls * 1e3:7.3f} cum {ncalls / calls:6.1f}x  "
              f"{name}  ({where})")


#: The steps of a Studio call ``--segments`` times: (module, class or None, function, label).
SEGMENTS = (
    ("toolkit.studio", "Studio", "generate", "Studio.generate, in the caller's thread"),
    ("toolkit.engine", "Engine", "requests", "  building the request"),
    ("toolkit.engine", "Engine", "execute", "Engine.execute, on the runner thread"),
    ("toolkit.engine", "Engine", "replay", "  cache lookup"),
    ("toolkit.budget", "Budget", "open", "  budget: write-ahead row (a transaction)"),
    ("toolkit.backends.gemini", "GenerateContentBackend", "generate",
     "  backend: the call (the POST and parse run in a worker thread: see the total)"),
    ("toolkit.engine", "Engine", "finish", "  finish: store the answer"),
    ("toolkit.answers", "AnswerStore", "store_images", "    images: metadata and file"),
    ("toolkit.answers", None, "embed_metadata", "      metadata splice"),
    ("toolkit.store", "Store", "put_image", "      file write"),
    ("toolkit.store", "Store", "put_cache", "    cache entry"),
    ("toolkit.budget", "Budget", "close", "    budget: complete the row"),
    ("toolkit.engine", "Engine", "row", "    ledger rows built"),
)


def time_segments(studio: tk.Studio, calls: int) -> None:
    """``calls`` Studio calls with each step in :data:`SEGMENTS` timed in its own thread's CPU (no profiler: a
    wrapper per step). Steps a refactor moved are skipped. A look inside the toolkit, for this benchmark only."""
    import functools
    import importlib
    import inspect

    spent: dict[str, float] = dict.fromkeys((s[3] for s in SEGMENTS), 0.0)
    undo: list[tuple[Any, str, Any]] = []

    def timed(fn: Any, label: str) -> Any:
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*a: Any, **k: Any) -> Any:
                t = time.thread_time()
                try:
                    return await fn(*a, **k)  # one call in flight: this thread's CPU meanwhile is this call's
                finally:
                    spent[label] += time.thread_time() - t
            return run_async

        @functools.wraps(fn)
        def run(*a: Any, **k: Any) -> Any:
            t = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                spent[label] += time.thread_time() - t
        return run

    for module_name, cls, name, label in SEGMENTS:
        try:
            owner = getattr(importlib.import_module(module_name), cls) if cls else importlib.import_module(module_name)
        except (ImportError, AttributeError):
            continue
        if name in vars(owner):
            undo.append((owner, name, vars(owner)[name]))
            setattr(owner, name, timed(getattr(owner, name), label))
    try:
        t = time.process_time()
        for i in range(calls):
            studio.generate(f"segment prompt {i}")
        cpu = (time.process_time() - t) / calls
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)
    print(f"  {calls} Studio calls, {cpu * 1e3:.2f} ms CPU per call (all threads); each step's thread CPU per call:")
    for *_, label in SEGMENTS:
        if spent[label]:
            print(f"    {spent[label] / calls * 1e3:7.3f} ms  {label}")


def measure(data: bytes, mime: str, calls: int, block: int, profile: int = 0, segments: int = 0
            ) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=serve, args=(q, data, mime), daemon=True)
    proc.start()
    base_url = f"http://127.0.0.1:{q.get(timeout=60)}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=base_url,
                                                                              api_version="v1beta"))
            config = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])
            studio = tk.Studio(backend="gemini", api_key=KEY, base_url=base_url, home=Path(tmp) / "studio")
            floor_home = Path(tmp) / "floor"  # a home beside the Studio's, on the same disk
            floor_home.mkdir()
            keeper = Floor(floor_home)

            def sdk_image(prompt: str) -> bytes:
                resp = client.models.generate_content(model=MODEL, contents=prompt, config=config)
                got = [p.inline_data.data for p in resp.parts or () if p.inline_data and p.inline_data.data]
                assert got and got[0] is not None and abs(len(got[0]) - len(data)) < 64
                return got[0]

            def raw(i: int) -> None:
                sdk_image(f"raw prompt {i}")

            def floor(i: int) -> None:
                prompt = f"floor prompt {i}"
                keeper.keep(sdk_image(prompt), mime, prompt)

            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="design-floor-loop", daemon=True).start()

            post = client._api_client.request  # the call the Studio makes (threaded raw_json path)
            workers = DaemonWorkers("design-floor")

            def design_call(prompt: str) -> bytes:
                resp = post("post", f"models/{MODEL}:generateContent", {
                    "contents": [{"role": "user", "parts": [{"text": prompt}]}],
                    "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}, None)
                body = from_json(resp.body)
                return decode_b64(body["candidates"][0]["content"]["parts"][1]["inlineData"]["data"])

            def design(i: int) -> None:
                prompt = f"design prompt {i}"
                row_id = keeper.write_ahead(prompt)
                image = asyncio.run_coroutine_threadsafe(workers.run(lambda: design_call(prompt)), loop).result()
                keeper.keep(image, mime, prompt, row_id)

            def via_studio(i: int) -> None:
                r = studio.generate(f"studio prompt {i}")
                assert r.status == "ok" and not r.cached and abs(r.outputs[0].size_bytes - len(data)) < 4096

            fns = {"raw": raw, "floor": floor, "design": design, "studio": via_studio}
            for i in range(5):  # warm the connection pools and the runner thread
                for fn in fns.values():
                    fn(-i - 1)
            cpu: dict[str, list[float]] = {a: [] for a in ARMS}
            orders = list(itertools.permutations(ARMS))
            i = 0
            while i < calls:
                n = min(block, calls - i)
                for arm in orders[(i // block) % len(orders)]:  # every order in turn: no arm always first
                    t = time.process_time()
                    for k in range(n):
                        fns[arm](i + k)
                    cpu[arm].append((time.process_time() - t) / n)
                i += n
            if segments:
                time_segments(studio, segments)
            if profile:
                profile_studio(studio, profile)
            keeper.conn.close()
            loop.call_soon_threadsafe(loop.stop)
    finally:
        proc.kill()
        proc.join()

    def ratio(a: str, b: str) -> list[float]:
        return [x / y for x, y in zip(cpu[a], cpu[b], strict=True)]

    def diff_ms(a: str, b: str) -> list[float]:
        return [(x - y) * 1e3 for x, y in zip(cpu[a], cpu[b], strict=True)]

    return {"ms": {a: statistics.median(v) * 1e3 for a, v in cpu.items()}, "rounds": len(cpu["raw"]),
            "ratio": {f"{a}/{b}": ratio(a, b) for a, b in PAIRS},
            "diff": {f"{a}-{b}": diff_ms(a, b) for a, b in PAIRS}}


def spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} (rounds: min {min(values):{fmt}}, max {max(values):{fmt}})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200, help="calls per arm")
    ap.add_argument("--block", type=int, default=20, help="calls per arm per round")
    ap.add_argument("--only", choices=["png", "jpeg"], default=None)
    ap.add_argument("--profile", type=int, default=0, help="then profile N Studio calls with cProfile")
    ap.add_argument("--segments", type=int, default=0, help="then time each step of N Studio calls")
    args = ap.parse_args()

    print(f"machine: {os.cpu_count()} cores; load average at start {os.getloadavg()}")
    for kind, make, mime in (("png", png_bytes, "image/png"), ("jpeg", jpeg_bytes, "image/jpeg")):
        if args.only and kind != args.only:
            continue
        data = make()
        m = measure(data, mime, args.calls, args.block, args.profile, args.segments)
        ms, r, d = m["ms"], m["ratio"], m["diff"]
        print(f"{kind}: {len(data) / 1e6:.3f} MB distinct per call; {args.calls} calls per arm; {m['rounds']} "
              f"rounds of {args.block}; load average now {os.getloadavg()}")
        print(f"  CPU per call (median of rounds): raw SDK {ms['raw']:.2f} ms, floor {ms['floor']:.2f} ms, "
              f"design floor {ms['design']:.2f} ms, Studio {ms['studio']:.2f} ms")
        for a, b in PAIRS:
            print(f"  {NAMES[a] + ' / ' + NAMES[b]:<27} {spread(r[f'{a}/{b}'], '.3f')}")
        for a, b in PAIRS:
            print(f"  {NAMES[a] + ' - ' + NAMES[b]:<27} {spread(d[f'{a}-{b}'], '+.2f')} ms")
        if kind == "png":
            sr = statistics.median(r["studio/raw"])
            print(f"  target: Studio / raw <= 1.30   measured: {sr:.2f}   {'MET' if sr <= 1.3 else 'NOT MET'}; "
                  f"the floor is {statistics.median(r['floor/raw']):.2f}")
        else:
            added = statistics.median(d["studio-raw"])
            print(f"  target: Studio - raw <= +2 ms  measured: {added:+.2f} ms   {'MET' if added <= 2 else 'NOT MET'}; "
                  f"the floor is {statistics.median(d['floor-raw']):+.2f} ms")
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
