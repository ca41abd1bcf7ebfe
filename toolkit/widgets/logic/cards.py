"""Gallery cards (thumbnail, status, money, seconds) and the one-line cost estimate shown before a call."""

from __future__ import annotations

import contextlib
import html
from typing import TYPE_CHECKING

from ...result import NO_MATH, Result, grounding_html, thoughts_html, thumbnail_data_uri
from ...secrets import scrub

if TYPE_CHECKING:
    from ...pricing import Estimate

_STATUS_COLOURS = {"ok": "#1b7a3a", "blocked": "#b00020", "error": "#b00020", "no_image": "#8a5a00"}


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def card_caption(result: Result, index: int = 0) -> list[str]:
    """The plain-text lines under a gallery card: status (and reason), money and seconds, model and size.

    Examples
    --------
    >>> from toolkit.result import Result
    >>> card_caption(Result(status="blocked", model="m", backend="offline", reason="SAFETY"))[0]
    'blocked · SAFETY'
    """
    status = result.status + (f" · {_short(scrub(result.reason) or '', 160)}" if result.reason else "")
    money = f"${result.cost_usd:.4f}"
    if abs(result.list_cost_usd - result.cost_usd) > 1e-12:
        money += f" (list ${result.list_cost_usd:.4f})"
    timing = f"{money} · {result.latency_s:.2f} s" + (" · cached" if result.cached else "")
    where = result.model + (" · offline simulator" if result.backend == "offline" else f" · {result.backend}")
    lines = [status, timing, where]
    if len(result.outputs) > 1:
        lines.append(f"image {index + 1} of {len(result.outputs)}")
    return lines


def card_html(result: Result, index: int = 0, *, thumb_side: int = 256, title: str | None = None,
              footer: str = "", show_text: bool = True) -> str:
    """One gallery card: a small JPEG thumbnail (or a coloured status box), the title and the caption.

    Parameters
    ----------
    result : Result
    index : int
        Which of the result's images (for ``n > 1``).
    thumb_side : int
        Longest side of the thumbnail in pixels (keeps notebooks light).
    title : str, optional
        A bold first line (default: the prompt, shortened).
    footer : str
        Extra HTML appended under the caption (already escaped by the caller).
    show_text : bool
        Add the model's text reply (shortened) under an image.

    Examples
    --------
    >>> from toolkit.result import Result
    >>> "blocked" in card_html(Result(status="blocked", model="m", backend="offline", reason="SAFETY"))
    True
    """
    colour = _STATUS_COLOURS.get(result.status, "#555")
    if index < len(result.outputs):
        img = result.images[index]
        body = (f'<img src="{thumbnail_data_uri(img, thumb_side)}" title="{img.width}×{img.height}" '
                f'style="max-width:{thumb_side}px;max-height:{thumb_side}px;display:block;margin:auto"/>'
                f'<div style="color:#666;font-size:11px;text-align:center">{img.width}×{img.height}</div>')
        if show_text and result.text and index == 0:
            body += (f'<div style="color:#444;font-style:italic;margin-top:2px;overflow-wrap:anywhere">'
                     f"{html.escape(_short(result.text, 240))}</div>")
    else:
        detail = scrub(result.reason) or result.text or "no image"
        body = (f'<div style="border-left:4px solid {colour};background:#fafafa;padding:6px;'
                f'font-size:12px;max-height:{thumb_side}px;overflow:auto">'
                f'<b>{html.escape(result.status)}</b>: {html.escape(_short(detail, 600))}</div>')
    if index == 0:  # the thoughts and the search sources belong to the whole answer: under its first card
        with contextlib.suppress(Exception):  # a display never raises: the card shows without them
            body += thoughts_html(result.model_turns()) + grounding_html(result.grounding)
    lines = card_caption(result, index)
    caption = "".join(
        f'<div style="{"color:" + colour + ";font-weight:bold" if i == 0 else "color:#555"}">{html.escape(line)}</div>'
        for i, line in enumerate(lines)
    )
    head = title if title is not None else _short(result.prompt, 90)
    return (
        f'<div class="toolkit-card {NO_MATH}" style="width:{thumb_side + 12}px;border:1px solid #ddd;border-radius:6px;'
        f'padding:6px;margin:4px;font-family:sans-serif;font-size:12px;line-height:1.35;box-sizing:border-box">'
        f'<div style="font-weight:bold;margin-bottom:4px;overflow-wrap:anywhere">{html.escape(head)}</div>'
        f'{body}<div style="font-family:monospace;font-size:11px;margin-top:4px;overflow-wrap:anywhere">'
        f'{caption}</div>{footer}</div>'
    )


def estimate_html(estimate: Estimate, backend: str) -> str:
    """One line saying what a call would cost before it is sent.

    Examples
    --------
    >>> from toolkit.pricing import Estimate
    >>> estimate_html(Estimate("m", 3, 1, 10, 3000, 0.2, 0.0), "offline")
    '<span class="tex2jax_ignore mathjax_ignore">Estimate: 3 image(s) (1 cached) · list $0.2000 · you pay $0.0000 (offline simulator)</span>'
    """
    cached = f" ({estimate.cached_calls} cached)" if estimate.cached_calls else ""
    pay = " (offline simulator)" if backend == "offline" else ""
    return (f'<span class="{NO_MATH}">Estimate: {estimate.calls} image(s){cached} · list '
            f"${estimate.list_cost_usd:.4f} · you pay ${estimate.cost_usd:.4f}{pay}</span>")

