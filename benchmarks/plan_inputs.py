"""A 40-cell plan over one PIL input image: how many times is it encoded, and what does planning cost?

The issue measured 150 to 200 ms per cell for a 1024x1024 PIL photo (re-encoded for every cell while
planning) against 4.7 ms as bytes. Printed, in one run: the number of encodes of the PIL image per 40-cell plan
(target 1), and the planning time per cell with the image as a PIL image and as PNG bytes (median of rounds).

Run: ``python benchmarks/plan_inputs.py [--cells 40 --rounds 5]``
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time

import numpy as np
from PIL import Image

import toolkit as tk


def photo(side: int = 1024) -> Image.Image:
    """A noisy 1024x1024 RGB image (noise: PNG cannot shrink it, like a photo)."""
    rng = np.random.default_rng(7)
    return Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8), "RGB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    image = photo()
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    as_bytes = buf.getvalue()
    encodes = 0
    real_save = Image.Image.save

    def counting_save(self: Image.Image, *a: object, **k: object) -> None:
        nonlocal encodes
        if self is image:
            encodes += 1
        real_save(self, *a, **k)  # type: ignore[arg-type]

    with tempfile.TemporaryDirectory() as home:
        studio = tk.Studio(backend="offline", home=home)
        things = [f"thing {i}" for i in range(args.cells)]
        times: dict[str, list[float]] = {"PIL image": [], "PNG bytes": []}
        counts = []
        Image.Image.save = counting_save  # type: ignore[method-assign]
        try:
            for _ in range(args.rounds):
                for label, img in (("PIL image", image), ("PNG bytes", as_bytes)):
                    encodes = 0
                    t = time.perf_counter()
                    plan = studio.plan("the photo as a poster of {thing}", images=img, thing=things)
                    times[label].append((time.perf_counter() - t) / len(plan.cells))
                    if label == "PIL image":
                        counts.append(encodes)
        finally:
            Image.Image.save = real_save  # type: ignore[method-assign]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.cells}-cell plan over a 1024x1024 input image; {args.rounds} rounds; load average {load:.2f}; "
          f"{os.cpu_count()} cores")
    print(f"  encodes of the PIL image per plan: {max(counts)}   target 1: {'met' if max(counts) == 1 else 'NOT met'}")
    for label, values in times.items():
        print(f"  planning per cell, {label:<9}  {statistics.median(values) * 1000:7.2f} ms")


if __name__ == "__main__":
    main()
