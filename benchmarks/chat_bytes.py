"""Bytes uploaded by a 5-turn chat edit: generate_content (full replay) vs the Interactions API.

The same 5-turn edit of a ~1 MP JPEG runs through ``studio.chat()`` twice against one loopback
FakeGeminiServer (real google-genai SDK, real request bodies): once with ``gemini_api="generate_content"``,
where every turn re-sends the whole conversation (each earlier image and its thought signature), and once on
the Interactions API (``store=True`` + ``previous_interaction_id``), where a follow-up sends only its text.
Every answer is the same ~1 MP JPEG (``static_image``), so the two arms differ only in what the client sends.

Printed per turn and in total: request body bytes uploaded (``Content-Length`` of each call, as recorded by
the fake) and the list price the Studio recorded. Two adjustments are printed separately, because the fake
cannot know them:

* thought signatures: the fake's are ~48 bytes, real ones are ~0.6 MB per model turn on 3.1 Flash Image at 1K
  (597,616 base64 chars, a recorded generateContent fixture) and ~3.8 MB on 3 Pro; generate_content re-sends
  every earlier one, Interactions none;
* history billing: the fake bills a turn's new input only (as recorded stateful Interactions turns show);
  generate_content bills every image in the replayed history, and Google's docs say Interactions does too.

Run: ``python benchmarks/chat_bytes.py [--turns 5] [--model gemini-3.1-flash-image]``
"""

from __future__ import annotations

import argparse
import io
import tempfile

import toolkit as tk
from toolkit import pricing, registry
from toolkit.testing import FakeGeminiServer

KEY = "bench-key-000000"
PROMPTS = [
    "Make it night time with a full moon",
    "Now add falling snow",
    "Make the colours warmer",
    "Add a small red boat in the foreground",
    "Give it the look of an oil painting",
]
# Thought-signature sizes per model turn seen in real API replies, in base64 characters.
SIGNATURE_CHARS = {"gemini-3.1-flash-image": 597_616, "gemini-3-pro-image": 3_763_834}


def jpeg(sample: str, size: tuple[int, int], quality: int = 95) -> bytes:
    img = tk.sample(sample).convert("RGB").resize(size)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def usd(x: float) -> str:
    return f"${x:.4f}"


def run_arm(server: FakeGeminiServer, api: str, model: str, photo: bytes, turns: int) -> list[dict]:
    """One chat; per turn: bytes uploaded, list cost as recorded, list cost with the history billed."""
    server.reset()
    info = registry.lookup(model)
    with tempfile.TemporaryDirectory() as home:
        studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, model=model,
                           gemini_api=api)
        chat = studio.chat()
        rows = []
        for i, prompt in enumerate(PROMPTS[:turns]):
            r = chat.send(prompt, images=[photo] if i == 0 else None, image_size="1K")
            assert r.status == "ok", (api, r.reason)
            if api == "interactions":
                sent = server.interactions.creates[-1].bytes_in
            else:
                sent = int(server.calls[-1].headers["content-length"])
            # what a real bill would be if every image and text of the conversation were input tokens
            billed = {**r.usage, **{k: v for k, v in studio.engine.estimate_usage(r.request, info).items()
                                    if k in ("input_tokens", "input_image_tokens")}}
            rows.append({"turn": i + 1, "prompt": prompt, "up": sent, "list": r.list_cost_usd,
                         "list_history": pricing.list_cost(info, billed)})
        return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=5)
    ap.add_argument("--model", default=tk.DEFAULT_MODEL)
    args = ap.parse_args()
    model = registry.resolve(args.model).id

    photo = jpeg("cat", (1152, 864))            # ~1 MP input photo
    answer = jpeg("astronaut", (1024, 1024))    # every answer: a 1K (~1 MP) JPEG, like 3.1 Flash Image at 1K
    with FakeGeminiServer(api_key=KEY, static_image=answer, static_mime="image/jpeg") as server:
        gc = run_arm(server, "generate_content", model, photo, args.turns)
        ia = run_arm(server, "interactions", model, photo, args.turns)

    print(f"{args.turns}-turn chat edit with {model} at 1K: input photo {len(photo):,} B (1152x864 JPEG), "
          f"each answer {len(answer):,} B (1024x1024 JPEG); FakeGeminiServer, real google-genai SDK\n")
    print(f"{'turn':<5}{'prompt':<42}{'generate_content up':>21}{'interactions up':>17}")
    for g, i in zip(gc, ia, strict=True):
        print(f"{g['turn']:<5}{g['prompt'][:40]:<42}{g['up']:>19,} B{i['up']:>15,} B")
    g_up, i_up = sum(r["up"] for r in gc), sum(r["up"] for r in ia)
    print(f"{'total':<47}{g_up:>17,} B{i_up:>15,} B   ({g_up / i_up:.1f}x less on Interactions)")

    sig = SIGNATURE_CHARS.get(model)
    if sig:
        resent = sig * sum(range(args.turns))  # turn k re-sends the k-1 earlier signatures
        print(f"{'+ real signatures re-sent (est.)':<47}{g_up + resent:>17,} B{i_up:>15,} B   "
              f"({sig:,} base64 chars per model turn)")
    print()
    print(f"{'list cost':<47}{'generate_content':>19}{'interactions':>15}")
    g_list, i_list = sum(r["list"] for r in gc), sum(r["list"] for r in ia)
    print(f"{'  as recorded (new input only)':<47}{usd(g_list):>19}{usd(i_list):>15}")
    g_hist, i_hist = sum(r["list_history"] for r in gc), sum(r["list_history"] for r in ia)
    print(f"{'  with the whole history billed as input':<47}{usd(g_hist):>19}{usd(i_hist):>15}")
    print("\ngenerate_content bills the history on the real API (the second line); Interactions bills it per the "
          "docs, while recorded stateful turns report only the new input (the first line).")


if __name__ == "__main__":
    main()
