"""The simulated judge: deterministic rubric scores and pairwise preferences, from what the simulator can know.

The offline backend's judge (:class:`toolkit.backends.judges.SimulatedJudge`) cannot see an image the way a
vision model does. It scores only from evidence it honestly has:

* **what was drawn for the prompt**: the simulator's own reading of the prompt (:func:`toolkit.simulator.scene`
  subjects it can draw, stand-ins, and nouns nothing draws), and the image model's reply text, where the
  simulator records "Stand-ins" and "Not simulated";
* **the aspect-ratio error** of the image against the ratio the cell asked for;
* **the similarity** of the image to the study's reference image (a small grey-thumbnail correlation);
* **the pixel count** (for "quality"-like criteria).

A criterion is matched to one of those by keywords (:func:`criterion_kind`); one it cannot judge gets a
neutral 3 and says so. ``sample`` adds a deterministic one-point wobble to about one score in five, so that
"judge vs itself" across samples has something to measure; on ties in a pair the simulated judge leans to the
first image shown about a third of the time, so position bias can be seen. Every reason starts with
"simulated judge".
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .scene import parse_prompt

LABEL = "simulated judge"
#: criterion kind -> keywords that select it (first match wins, in this order)
KINDS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "same character", "consistent", "consistency", "identity", "likeness", "resembl",
                  "same person", "same object"),
    "framing": ("aspect", "ratio", "framing", "crop", "composition", "layout"),
    "text": ("text", "legib", "spell", "word", "letter", "typograph", "sign"),
    "quality": ("quality", "sharp", "detail", "resolution", "crisp", "artifact"),
    "prompt": ("prompt", "follow", "subject", "content", "asked", "faithful", "match", "depict", "accura"),
}


@dataclass(frozen=True)
class Evidence:
    """What the simulated judge knows about one image."""

    prompt: str
    size: tuple[int, int]
    aspect_ratio: str | None = None
    reply_text: str = ""
    similarity: float | None = None  # to the reference image, in [0, 1]

    @property
    def ar_error(self) -> float | None:
        if not self.aspect_ratio or ":" not in self.aspect_ratio:
            return None
        a, b = (float(x) for x in self.aspect_ratio.split(":", 1))
        w, h = self.size
        return abs((w / h) / (a / b) - 1.0) if h and b else None


def criterion_kind(criterion: str) -> str:
    """Which evidence a criterion is judged on: reference, framing, text, quality, prompt or generic.

    >>> criterion_kind("same character as the reference"), criterion_kind("follows the prompt")
    ('reference', 'prompt')
    """
    low = criterion.lower()
    for kind, words in KINDS.items():
        if any(w in low for w in words):
            return kind
    return "generic"


def similarity(image: Image.Image, reference: Image.Image) -> float:
    """Correlation of two 32x32 grey thumbnails mapped to [0, 1] (1: the same picture).

    >>> img = Image.new("RGB", (64, 48), "white"); img.paste((0, 0, 0), (0, 0, 32, 48))
    >>> similarity(img, img)
    1.0
    """
    def thumb(im: Image.Image) -> np.ndarray:
        return np.asarray(im.convert("L").resize((32, 32), Image.Resampling.BILINEAR), dtype=float).ravel()

    a, b = thumb(image), thumb(reference)
    if a.std() == 0 or b.std() == 0:
        return 1.0 if np.allclose(a, b, atol=2) else 0.5
    r = float(np.corrcoef(a, b)[0, 1])
    return round((max(-1.0, min(1.0, r)) + 1) / 2, 4)


def _drawn(ev: Evidence) -> tuple[int, str]:
    plan = parse_prompt(ev.prompt)
    drawn, missing, stand = plan.summary(), list(plan.unknown), plan.stand_ins()
    said = ev.reply_text.lower()
    if "not simulated" in said and not missing:
        missing = ["part of the prompt (the simulator's reply says 'not simulated')"]
    if not drawn and not missing:
        return 3, "no drawable subject was recognised in the prompt, so prompt-following cannot be judged"
    share = len(drawn) / max(1, len(drawn) + len(missing))
    score = 1 + round(4 * share) - (1 if stand or "stand-in" in said else 0)
    parts = [f"drew {', '.join(drawn)}" if drawn else "drew none of the subjects"]
    if missing:
        parts.append(f"could not draw {', '.join(missing)}")
    if stand:
        parts.append(f"used stand-ins ({'; '.join(stand)})")
    return max(1, min(5, score)), "; ".join(parts)


def _framing(ev: Evidence) -> tuple[int, str]:
    err = ev.ar_error
    if err is None:
        return 3, "no aspect ratio was asked for, so framing is scored neutral"
    score = 5 if err < 0.01 else 4 if err < 0.03 else 3 if err < 0.08 else 2 if err < 0.15 else 1
    return score, f"aspect-ratio error {err:.1%} against the {ev.aspect_ratio} asked for"


def _quality(ev: Evidence) -> tuple[int, str]:
    mp = ev.size[0] * ev.size[1] / 1e6
    score = 1 if mp < 0.2 else 2 if mp < 0.5 else 3 if mp < 1.5 else 4 if mp < 6 else 5
    return score, f"{ev.size[0]}x{ev.size[1]} pixels ({mp:.1f} MP); the simulator cannot judge detail"


def _reference(ev: Evidence) -> tuple[int, str]:
    if ev.similarity is None:
        return 3, "no reference image was given, so likeness is scored neutral"
    s = ev.similarity
    score = 5 if s >= 0.9 else 4 if s >= 0.75 else 3 if s >= 0.6 else 2 if s >= 0.5 else 1
    return score, f"thumbnail similarity to the reference {s:.2f}"


def _evidence_score(kind: str, ev: Evidence) -> tuple[int, str]:
    if kind == "prompt":
        return _drawn(ev)
    if kind == "framing":
        return _framing(ev)
    if kind == "quality":
        return _quality(ev)
    if kind == "reference":
        return _reference(ev)
    if kind == "text":
        quoted = re.findall(r"[\"“']([^\"”']{2,})[\"”']", ev.prompt)
        what = f"the text {quoted[0]!r}" if quoted else "text"
        return 3, f"the simulator cannot read {what} in an image, so legibility is scored neutral"
    (p, why_p), (f, why_f) = _drawn(ev), _framing(ev)
    return max(1, min(5, round((p + f) / 2))), f"no matching evidence for this criterion; mean of prompt ({why_p}) " \
                                                f"and framing ({why_f})"


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (no global state, no time)."""
    digest = hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") / 2**64


def score(criterion: str, ev: Evidence, *, sample: int = 0, salt: str = "") -> tuple[int, str]:
    """(score 1-5, reason) for one criterion. ``salt`` identifies the image (its hash) for the sampling wobble.

    >>> score("framing", Evidence("a cat", (1376, 768), "16:9"))
    (5, 'simulated judge: aspect-ratio error 0.8% against the 16:9 asked for')
    """
    value, why = _evidence_score(criterion_kind(criterion), ev)
    if sample:
        u = _unit("wobble", salt, criterion, sample)
        if u < 0.2:
            value = max(1, min(5, value + (1 if u < 0.1 else -1)))
            why += f" (sample {sample}: simulated sampling noise moved the score)"
    return value, f"{LABEL}: {why}"


def score_rubric(criteria: Sequence[str], ev: Evidence, *, sample: int = 0, salt: str = ""
                 ) -> dict[str, tuple[int, str]]:
    """:func:`score` for every criterion."""
    return {c: score(c, ev, sample=sample, salt=salt) for c in criteria}


def _strength(criterion: str, ev: Evidence) -> float:
    """A continuous version of the score, so that pairs of images with equal scores can still be told apart."""
    kind = criterion_kind(criterion)
    value = float(_evidence_score(kind, ev)[0])
    if kind == "framing" and ev.ar_error is not None:
        value -= min(1.0, ev.ar_error * 5)
    elif kind == "reference" and ev.similarity is not None:
        value += ev.similarity
    elif kind == "quality":
        value += math.log10(max(1, ev.size[0] * ev.size[1])) / 10
    return value


def prefer(criterion: str, first: Evidence, second: Evidence, *, salt: str = "") -> tuple[str, str]:
    """Which of two images shown in this order is better on ``criterion``: ("A" | "B" | "tie", reason).

    Differences under 0.05 of a score point are ties; about a third of those ties go to the first image shown
    (a simulated position bias, decided by ``salt``).
    """
    a, b = _strength(criterion, first), _strength(criterion, second)
    if abs(a - b) >= 0.05:
        better = "A" if a > b else "B"
        return better, f"{LABEL}: image {better} scores {max(a, b):.2f} against {min(a, b):.2f} on this criterion"
    if _unit("position", salt, criterion) < 1 / 3:
        return "A", f"{LABEL}: no difference in the evidence; picked the first image shown (simulated position bias)"
    return "tie", f"{LABEL}: no difference in the evidence ({a:.2f} each)"
