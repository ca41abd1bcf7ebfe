"""Search grounding and multi-image answers of the Gemini fake: ``groundingMetadata`` and image sequences.

A grounded request (``tools: [{"googleSearch": {...}}]``) gets a ``groundingMetadata`` shaped like the real
API's (https://ai.google.dev/gemini-api/docs/google-search and the grounding section of
https://ai.google.dev/gemini-api/docs/image-generation): ``webSearchQueries``, ``imageSearchQueries`` (image
search only), ``groundingChunks`` (``web: {uri, title}``, and ``image: {sourceUri, imageUri, title, domain}``
for image search), ``groundingSupports`` tying the answer text to the chunks, and
``searchEntryPoint.renderedContent`` (the HTML "search suggestions" chip the terms of service ask apps to
show). Every source is deterministic and clearly fake: ``example.com``, ``example.org`` and ``example.net``
are the reserved example domains of RFC 2606, never a real site.

:func:`sequence_length` reads a prompt that plainly asks for a sequence ("with images", "step by step",
"an 8 part story with 8 images") as a request for several images, interleaved with text, as the real models
answer such prompts (Google's cookbook shows "show me how to bake macarons, with images").
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any
from urllib.parse import quote_plus

__all__ = ["MAX_SEQUENCE", "grounding_metadata", "search_query", "sequence_length", "step_text"]

#: The most images the fake draws for a prompt that asks for a sequence (the simulator draws each one).
MAX_SEQUENCE = 8

_WEB_SITES = ("example.com", "example.org", "example.net")
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_COUNTED = re.compile(r"\b(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)[\s-]+(?:separate\s+|different\s+)?"
                      r"(?:images|pictures|illustrations|panels|frames|photos|steps)\b")
_SEQUENCE_CUES = ("with images", "with pictures", "with illustrations", "step by step", "step-by-step",
                  "illustrated steps", "illustrated recipe", "storyboard", "comic strip")
_DEFAULT_SEQUENCE = 3

_ENTRY_POINT_STYLE = (
    "<style>\n.container { align-items: center; border-radius: 8px; display: flex; font-family: sans-serif; "
    "padding: 4px 8px; }\n.chip { border: 1px solid #d2d2d2; border-radius: 16px; display: inline-block; "
    "margin: 2px 4px; padding: 4px 12px; text-decoration: none; }\n.fake-note { color: #5f6368; "
    "font-size: 12px; margin-right: 8px; }\n</style>\n"
)


def search_query(prompt: str) -> str:
    """The search query the fake "ran" for a prompt: its first 100 characters, whitespace folded."""
    return " ".join(prompt.split())[:100].strip() or "image request"


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:6]
    return "-".join(words) or "query"


def grounding_metadata(prompt: str, search_types: tuple[str, ...], answer_text: str) -> dict[str, Any]:
    """The ``groundingMetadata`` of a grounded answer to ``prompt`` (deterministic, fake sources).

    ``search_types`` holds ``"web"`` and/or ``"image"``; ``answer_text`` is the answer's first text part
    (supports point into it; none when the answer has no text, as with image-only output).

    Examples
    --------
    >>> meta = grounding_metadata("Weather in Tokyo", ("web",), "Here is the chart.")
    >>> meta["webSearchQueries"], meta["groundingChunks"][0]["web"]["uri"]
    (['Weather in Tokyo'], 'https://example.com/grounding/weather-in-tokyo/1')
    """
    query = search_query(prompt)
    slug = _slug(query)
    tag = hashlib.sha256(query.encode()).hexdigest()[:8]
    meta: dict[str, Any] = {}
    chunks: list[dict[str, Any]] = []
    if "web" in search_types:
        meta["webSearchQueries"] = [query]
        for i, site in enumerate(_WEB_SITES, 1):
            chunks.append({"web": {"uri": f"https://{site}/grounding/{slug}/{i}", "title": site}})
    if "image" in search_types:
        meta["imageSearchQueries"] = [f"{query} photo"]
        for i, site in enumerate(_WEB_SITES[:2], 1):
            chunks.append({"image": {
                "sourceUri": f"https://{site}/pages/{slug}-{tag}-{i}",
                "imageUri": f"https://{site}/images/{slug}-{tag}-{i}.jpg",
                "title": f"Reference image {i} for {query[:40]} ({site})",
                "domain": site,
            }})
    meta["groundingChunks"] = chunks
    if answer_text and chunks:
        end = len(answer_text.encode("utf-8"))
        meta["groundingSupports"] = [{
            "segment": {"startIndex": 0, "endIndex": end, "text": answer_text},
            "groundingChunkIndices": list(range(min(2, len(chunks)))),
        }]
    meta["searchEntryPoint"] = {"renderedContent": _entry_point(meta)}
    return meta


def _entry_point(meta: dict[str, Any]) -> str:
    """The search-suggestions HTML, every query escaped; its chips link to example.com, not to Google."""
    queries = [*meta.get("webSearchQueries", []), *meta.get("imageSearchQueries", [])]
    chips = "".join(
        f'<a class="chip" href="https://example.com/search?q={html.escape(quote_plus(q))}">{html.escape(q)}</a>'
        for q in queries
    )
    return (f'{_ENTRY_POINT_STYLE}<div class="container"><span class="fake-note">FakeGeminiServer search '
            f"suggestions</span>{chips}</div>\n")


def sequence_length(prompt: str) -> int:
    """How many images a prompt plainly asks for: a stated count ("8 images"), 3 for "with images" or
    "step by step", else 1; at most :data:`MAX_SEQUENCE`.

    >>> sequence_length("Show me how to bake macarons with images"), sequence_length("a red car")
    (3, 1)
    >>> sequence_length("Create an 8 part story with 8 images")
    8
    """
    low = prompt.lower()
    counted = _COUNTED.search(low)
    if counted:
        word = counted.group(1)
        n = int(word) if word.isdigit() else _NUMBERS[word]
        if n > 1:
            return min(n, MAX_SEQUENCE)
    if any(cue in low for cue in _SEQUENCE_CUES):
        return _DEFAULT_SEQUENCE
    return 1


def step_text(k: int, n: int, first: str) -> str:
    """The text before image ``k`` (1-based) of ``n`` in an interleaved answer; ``first`` leads step 1."""
    if k == 1:
        return f"{first} Step 1 of {n}:".strip() if first else f"Step 1 of {n}:"
    return f"Step {k} of {n}:"
