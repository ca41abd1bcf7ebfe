"""What does the Studio add to each call? Prints CPU per call, Studio / raw SDK, measured in one run.

The same N calls (distinct prompts, so no cache hits) go through

* a raw google-genai loop: ``client.models.generate_content`` and reading the image bytes, and
* ``Studio.generate``: validation, hashing, cache lookup, retries wrapper, pricing, image file write with
  metadata, cache entry and ledger row,

against a small loopback ``generateContent`` server run in a child process (so its CPU is not counted) that
answers every call with DISTINCT image bytes: a 1024x1024 PNG of about 2.65 MB (noise over a sample image)
and a 177 KB JPEG, each made unique per call by a ``tEXt`` chunk / ``COM`` segment holding a counter. Real
replies are all different, so every Studio call pays its file write and hash.

CPU is ``time.process_time`` (every thread of this process: the SDK's, the Studio's runner) per block of
calls; the arms are interleaved in rounds and the figure is the median over rounds of Studio CPU / raw CPU.

Targets: PNG ratio <= 1.3; JPEG +<= 2 ms CPU per call.

Run: ``python benchmarks/overhead.py [--calls 200 --block 20]``
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import multiprocessing as mp
import os
import statistics
import struct
import tempfile
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google import genai
from google.genai import types

import toolkit as tk

MODEL = tk.DEFAULT_MODEL
KEY = "bench-key-000000"


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


def measure(data: bytes, mime: str, calls: int, block: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=serve, args=(q, data, mime), daemon=True)
    proc.start()
    base_url = f"http://127.0.0.1:{q.get(timeout=60)}"
    try:
        with tempfile.TemporaryDirectory() as home:
            client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=base_url,
                                                                              api_version="v1beta"))
            config = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])
            studio = tk.Studio(backend="gemini", api_key=KEY, base_url=base_url, home=home)

            def raw(i: int) -> None:
                resp = client.models.generate_content(model=MODEL, contents=f"raw prompt {i}", config=config)
                got = [p.inline_data.data for p in resp.candidates[0].content.parts if p.inline_data]
                assert got and abs(len(got[0]) - len(data)) < 64

            def via_studio(i: int) -> None:
                r = studio.generate(f"studio prompt {i}")
                assert r.status == "ok" and not r.cached and abs(r.outputs[0].size_bytes - len(data)) < 4096

            for i in range(5):  # warm both connection pools and the runner thread
                raw(-i - 1)
                via_studio(-i - 1)
            ratios: list[float] = []
            raw_cpu: list[float] = []
            studio_cpu: list[float] = []
            i = 0
            while i < calls:
                n = min(block, calls - i)
                arms = [(raw, raw_cpu), (via_studio, studio_cpu)]
                if (i // block) % 2:
                    arms.reverse()  # alternate which arm goes first in a round
                per: dict[int, float] = {}
                for fn, sink in arms:
                    t = time.process_time()
                    for k in range(n):
                        fn(i + k)
                    per[id(sink)] = (time.process_time() - t) / n
                    sink.append(per[id(sink)])
                ratios.append(per[id(studio_cpu)] / per[id(raw_cpu)])
                i += n
    finally:
        proc.kill()
        proc.join()
    return {"ratio": statistics.median(ratios), "ratios": ratios,
            "raw_ms": statistics.median(raw_cpu) * 1e3, "studio_ms": statistics.median(studio_cpu) * 1e3}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--block", type=int, default=20, help="calls per arm per round")
    ap.add_argument("--only", choices=["png", "jpeg"], default=None)
    args = ap.parse_args()

    print(f"machine: {os.cpu_count()} cores; load average at start {os.getloadavg()}")
    for kind, make, mime in (("png", png_bytes, "image/png"), ("jpeg", jpeg_bytes, "image/jpeg")):
        if args.only and kind != args.only:
            continue
        data = make()
        m = measure(data, mime, args.calls, args.block)
        added = m["studio_ms"] - m["raw_ms"]
        print(f"{kind}: {len(data) / 1e6:.3f} MB distinct per call; {args.calls} calls per arm; "
              f"rounds of {args.block}")
        print(f"  CPU per call (median of rounds): raw SDK {m['raw_ms']:.2f} ms, Studio {m['studio_ms']:.2f} ms, "
              f"added {added:+.2f} ms")
        print(f"  Studio / raw CPU, median of interleaved rounds: {m['ratio']:.3f} "
              f"(min {min(m['ratios']):.2f}, max {max(m['ratios']):.2f})")
        if kind == "png":
            print(f"  target: ratio <= 1.30   measured: {m['ratio']:.2f}   "
                  f"{'MET' if m['ratio'] <= 1.3 else 'NOT MET'}")
        else:
            print(f"  target: added <= +2 ms  measured: {added:+.2f} ms   {'MET' if added <= 2 else 'NOT MET'}")
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
