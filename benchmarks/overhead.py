"""What does the Studio add to each call? Prints milliseconds per call, measured in one run.

The same N calls (distinct prompts, so no cache hits) go through

* a raw google-genai loop: ``client.models.generate_content`` and reading the image bytes, and
* ``Studio.generate``: validation, hashing, cache lookup, retries wrapper, pricing, image file write with
  metadata, cache entry and ledger row,

against one loopback FakeGeminiServer that answers every call with the same 1024x1024 PNG. The two arms
are interleaved in blocks so that machine noise hits both. Target: at most 5 ms added per call.

Run: ``python benchmarks/overhead.py [--calls 200]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time

from google import genai
from google.genai import types

import toolkit as tk
from toolkit.testing import FakeGeminiServer

MODEL = tk.DEFAULT_MODEL


def png_1024() -> bytes:
    img = tk.sample("astronaut").convert("RGB").resize((1024, 1024))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--block", type=int, default=20, help="calls per arm before switching arms")
    args = ap.parse_args()

    image = png_1024()
    with FakeGeminiServer(api_key="bench-key-000000", static_image=image, static_mime="image/png") as server, \
            tempfile.TemporaryDirectory() as home:
        client = genai.Client(api_key="bench-key-000000", http_options=types.HttpOptions(
            base_url=server.base_url, api_version="v1beta"))
        config = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])
        studio = tk.Studio(backend="gemini", api_key="bench-key-000000", base_url=server.base_url, home=home)

        def raw(i: int) -> float:
            t = time.perf_counter()
            resp = client.models.generate_content(model=MODEL, contents=f"raw prompt {i}", config=config)
            data = [p.inline_data.data for p in resp.candidates[0].content.parts if p.inline_data]
            assert data and len(data[0]) == len(image)
            return time.perf_counter() - t

        def via_studio(i: int) -> float:
            t = time.perf_counter()
            r = studio.generate(f"studio prompt {i}")
            assert r.status == "ok" and not r.cached and r.outputs[0].size_bytes == len(image)
            return time.perf_counter() - t

        for i in range(5):  # warm both connection pools and the runner thread
            raw(-i - 1)
            via_studio(-i - 1)
        raw_s: list[float] = []
        studio_s: list[float] = []
        i = 0
        while i < args.calls:
            n = min(args.block, args.calls - i)
            raw_s += [raw(i + k) for k in range(n)]
            studio_s += [via_studio(i + k) for k in range(n)]
            i += n
        assert server.call_count == 2 * (args.calls + 5)

    def ms(xs: list[float]) -> str:
        return f"median {statistics.median(xs) * 1e3:7.2f} ms   mean {statistics.fmean(xs) * 1e3:7.2f} ms"

    added_median = (statistics.median(studio_s) - statistics.median(raw_s)) * 1e3
    added_mean = (statistics.fmean(studio_s) - statistics.fmean(raw_s)) * 1e3
    print(f"image: 1024x1024 PNG, {len(image) / 1e6:.2f} MB; {args.calls} calls per arm")
    print(f"raw SDK loop     {ms(raw_s)}")
    print(f"Studio.generate  {ms(studio_s)}")
    print(f"added per call:  median {added_median:+.2f} ms, mean {added_mean:+.2f} ms (target <= 5 ms)")
    print(f"ratio studio/raw (median): {statistics.median(studio_s) / statistics.median(raw_s):.3f}")


if __name__ == "__main__":
    main()
