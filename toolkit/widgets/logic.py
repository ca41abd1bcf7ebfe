"""The plain functions behind the widget apps.

Widgets are thin (``shared/design.md``): every callback in :mod:`toolkit.widgets` calls one of these,
and each has its own unit test in ``tests/widgets/test_logic.py``. Nothing here imports ipywidgets, so
the functions work (and are tested) without a notebook.

Groups:

- uploads: :func:`upload_files`, :func:`load_uploads`;
- messages: :class:`Notice`, :func:`describe_error`, :func:`describe_result`, :func:`notice_html`;
- model options: :func:`model_choices`, :func:`model_info`, :func:`aspect_ratio_choices`, :func:`size_choices`,
  :func:`option_value`;
- gallery cards and the cost meter: :func:`card_html`, :func:`estimate_html`, :class:`MeterStats`,
  :func:`meter_stats`, :func:`meter_html`;
- Editor: :data:`PRESETS`, :func:`click_to_pixels`, :func:`hotspot_phrase`, :func:`edit_prompt`,
  :func:`mark_point`, :func:`download_link_html`;
- CharacterSheet: :func:`parse_scenes`, :func:`character_prompt`, :func:`score_row`, :func:`scores_frame`,
  :func:`merge_scene_notices`;
- FusionBoard: :data:`POSITIONS`, :func:`fusion_prompt`, :func:`placement_preview`;
- CanvasTutor and images in general: :func:`draw_stroke`, :func:`fit_into`, :func:`png_bytes`,
  :func:`thumbnail`, :func:`jpeg_bytes`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from .. import registry
from ..errors import (
    BudgetExceededError,
    ConfigError,
    ImageInputError,
    InputError,
    ModelNotFoundError,
    OptionError,
    ProviderError,
    ToolkitError,
)
from ..images import DEFAULT_MAX_SIDE, InputImage, load_image
from ..result import Result, thumbnail_data_uri
from ..secrets import scrub

if TYPE_CHECKING:
    import pandas as pd

    from ..pricing import Estimate

# --------------------------------------------------------------------------------------------------------
# Uploads


def upload_files(value: Any) -> list[tuple[str, bytes]]:
    """The files in a ``FileUpload.value`` as ``(name, bytes)`` pairs.

    Accepts the ipywidgets 8 shape (a tuple of dicts with ``name`` and ``content``, a memoryview) and,
    for notebooks written for ipywidgets 7, a dict of ``name -> {"content": ...}``.

    Parameters
    ----------
    value
        ``upload.value``.

    Returns
    -------
    list of (str, bytes)

    Examples
    --------
    >>> upload_files(({"name": "a.png", "content": memoryview(b"abc")},))
    [('a.png', b'abc')]
    """
    if not value:
        return []
    if isinstance(value, Mapping):  # ipywidgets 7: {name: {"metadata": ..., "content": bytes}}
        entries = [{"name": name, **dict(v)} for name, v in value.items()]
    else:
        entries = [dict(v) for v in value]
    out = []
    for i, entry in enumerate(entries, start=1):
        name = str(entry.get("name") or f"upload {i}")
        content = entry.get("content")
        if content is None:
            raise ImageInputError(f"Upload {name!r} has no content. Upload the file again.")
        out.append((name, bytes(content)))
    return out


def load_uploads(value: Any, *, max_side: int = DEFAULT_MAX_SIDE) -> list[InputImage]:
    """Load every uploaded file as an image, or raise for the first one that is not an image.

    Parameters
    ----------
    value
        ``upload.value`` (see :func:`upload_files`).
    max_side : int
        Longer-side limit, as in :func:`toolkit.images.load_image`.

    Returns
    -------
    list of InputImage
        Each named after its file.

    Raises
    ------
    ImageInputError
        Naming the file, the problem and the fix (e.g. a text file renamed ``.png``).

    Examples
    --------
    >>> load_uploads(({"name": "notes.png", "content": memoryview(b"hello")},))   # doctest: +SKIP
    Traceback (most recent call last):
    ImageInputError: Input image (notes.png) is not an image ...
    """
    return [load_image(data, name=name, max_side=max_side) for name, data in upload_files(value)]


def normalise_upload_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One ``FileUpload.value`` entry with every key ipywidgets 8 needs to serialise it.

    A value set from Python (a test, or a notebook that "uploads" a file by hand) often has
    ``last_modified`` as a number or leaves out ``size``; ipywidgets then fails while sending the state,
    before any observer runs. The browser's own uploads already have this shape and pass unchanged.

    Examples
    --------
    >>> e = normalise_upload_entry({"name": "x.png", "content": b"hi", "last_modified": 0})
    >>> e["size"], e["last_modified"].year, type(e["content"]).__name__
    (2, 1970, 'memoryview')
    """
    out = dict(entry)
    content = out.get("content")
    if content is None:
        content = b""
    if not isinstance(content, memoryview):
        content = memoryview(bytes(content))
    out["content"] = content
    out.setdefault("name", "upload")
    out.setdefault("type", "")
    if not isinstance(out.get("size"), int):
        out["size"] = content.nbytes
    stamp = out.get("last_modified")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        out["last_modified"] = dt.datetime.fromtimestamp(stamp / 1000, tz=dt.UTC)  # browsers send milliseconds
    elif not isinstance(stamp, dt.datetime):
        out["last_modified"] = dt.datetime.fromtimestamp(0, tz=dt.UTC)
    return out


# --------------------------------------------------------------------------------------------------------
# Messages


_COLOURS = {
    "error": ("#b00020", "#fdecee"),
    "warning": ("#8a5a00", "#fff6e0"),
    "info": ("#1f5fa8", "#eaf2fb"),
    "success": ("#1b7a3a", "#e9f6ee"),
}


@dataclass(frozen=True)
class Notice:
    """A message for an app's ``.message`` box: what happened, the details, and what to do.

    ``kind`` is ``"error"``, ``"warning"``, ``"info"`` or ``"success"`` (it picks the colour).
    """

    kind: str
    title: str
    detail: str = ""
    fix: str = ""


def describe_error(exc: BaseException) -> Notice:
    """A readable :class:`Notice` for an exception raised by a call (no traceback, secrets scrubbed).

    Toolkit errors already name the problem and the fix; unexpected exceptions are shown by type and
    message with a pointer to how to see the traceback.

    Examples
    --------
    >>> from toolkit.errors import BudgetExceededError
    >>> describe_error(BudgetExceededError(0.0, 0.067, 0.01)).title
    'Budget cap reached: nothing was sent'
    """
    text = scrub(str(exc)) or ""
    if isinstance(exc, BudgetExceededError):
        return Notice(
            "error", "Budget cap reached: nothing was sent",
            f"This Studio has spent ${exc.spent_usd:.4f}; the call is estimated at ${exc.estimate_usd:.4f}; "
            f"the cap is ${exc.budget_usd:.4f}.",
            "Raise the cap (studio.budget_usd = ...), choose a cheaper model, a smaller size or fewer images, "
            "or repeat requests that are already cached (they are free).",
        )
    if isinstance(exc, ImageInputError):
        return Notice("error", "That image cannot be used", text,
                      "Upload a PNG, JPEG or WEBP photo (GIF, BMP and TIFF work too).")
    if isinstance(exc, OptionError):
        return Notice("error", "That option does not suit this model", text,
                      "Pick another value: the dropdowns list what the selected model accepts.")
    if isinstance(exc, InputError):
        return Notice("error", "The request needs fixing before it can be sent", text)
    if isinstance(exc, ConfigError):
        return Notice("error", "The Studio is not set up for this", text)
    if isinstance(exc, ModelNotFoundError):
        return Notice("error", "The provider does not know this model", text,
                      "Pick another model; studio.models() lists the models your key can use.")
    if isinstance(exc, ProviderError):
        head = (f"The provider answered {exc.code} {exc.status or ''}".rstrip() if exc.code is not None
                else "The provider could not be reached")
        return Notice("error", head, scrub(exc.message) or text, exc.hint or _provider_fix(exc.code))
    if isinstance(exc, ToolkitError):
        return Notice("error", "The toolkit refused this call", text)
    return Notice(
        "error", f"Unexpected error: {type(exc).__name__}", text or "(no message)",
        "This is probably a bug. To see the traceback, make the same call in a cell "
        "(e.g. studio.generate(...)) and report it.",
    )


def _provider_fix(code: int | None) -> str:
    if code is None:
        return "Check the network connection, proxy or base_url, then try again."
    if code == 429:
        return "You are rate limited or out of quota: wait a minute, lower the number of images, or check your plan."
    if code in (401, 403):
        return "Check the API key (GEMINI_API_KEY) and that the Gemini API is enabled for its project."
    if code >= 500:
        return "The service had a problem on its side: try again in a moment."
    return "Check the prompt, images and options, then try again."


def describe_result(result: Result) -> Notice | None:
    """A :class:`Notice` for a Result that is not a clean ``ok`` (None when it is).

    Examples
    --------
    >>> from toolkit.result import Result
    >>> describe_result(Result(status="blocked", model="m", backend="offline", reason="PROHIBITED_CONTENT")).title
    'Blocked: no image (status "blocked")'
    """
    reason = scrub(result.reason) or ""
    if result.status == "ok":
        if result.errors:
            return Notice("warning", f"{len(result.errors)} of the requests failed; the other images are shown",
                          "\n".join(scrub(e) or "" for e in result.errors), "Try again for the missing images.")
        return None
    if result.status == "blocked":
        return Notice("warning", 'Blocked: no image (status "blocked")', reason or "The provider gave no reason.",
                      "Rephrase the prompt or use another input image. Blocked calls are never cached.")
    if result.status == "no_image":
        if result.backend == "offline":
            fix = ("The offline simulator only draws what its vocabulary covers (listed above). Reword the "
                   "request with those words, or set GEMINI_API_KEY to use the real model.")
        else:
            fix = "Ask explicitly for an image (\"Generate an image of ...\") or try again."
        return Notice("warning", 'No image came back (status "no_image")',
                      reason or result.text or "The reply had no image.", fix)
    return Notice("error", f'The provider reported a failure (status "{result.status}")',
                  reason or "No reason given.", "Try again; if it keeps failing, try another model.")


def notice_html(notice: Notice | None) -> str:
    """The HTML for a :class:`Notice`: a coloured box (empty string for None).

    Examples
    --------
    >>> "What to do" in notice_html(Notice("error", "Oops", "it broke", "try again"))
    True
    """
    if notice is None:
        return ""
    fg, bg = _COLOURS.get(notice.kind, _COLOURS["info"])
    parts = [f'<b style="color:{fg}">{html.escape(notice.title)}</b>']
    if notice.detail:
        parts.append(f'<div style="white-space:pre-wrap;margin-top:2px">{html.escape(notice.detail)}</div>')
    if notice.fix:
        parts.append(f'<div style="margin-top:4px"><i>What to do:</i> {html.escape(notice.fix)}</div>')
    return (f'<div class="toolkit-notice toolkit-{html.escape(notice.kind)}" style="border-left:4px solid {fg};'
            f'background:{bg};padding:6px 10px;margin:4px 0;border-radius:3px;font-size:13px;'
            f'line-height:1.35">{"".join(parts)}</div>')


# --------------------------------------------------------------------------------------------------------
# Model options


def model_info(model_id: str) -> registry.ModelInfo:
    """The registry entry for an id or alias; a permissive stand-in for ids the registry does not know.

    Examples
    --------
    >>> model_info("nano-banana-pro").id
    'gemini-3-pro-image'
    """
    return registry.lookup(model_id) or registry.generic_model(model_id)


def model_choices(model_ids: Sequence[str] | None = None, current: str | None = None,
                  today: dt.date | None = None) -> list[tuple[str, str]]:
    """Dropdown options ``(label, model id)``.

    Parameters
    ----------
    model_ids : sequence of str, optional
        The ids to offer; default: every registry model that is not past its shutdown date.
    current : str, optional
        Always offered (first when it is not in ``model_ids``), e.g. the Studio's own model.
    today : date, optional
        For shutdown checks (tests).

    Examples
    --------
    >>> model_choices(["gemini-3-pro-image"])
    [('Nano Banana Pro (gemini-3-pro-image)', 'gemini-3-pro-image')]
    """
    ids = [m.id for m in registry.MODELS if not m.is_shut_down(today)] if model_ids is None else list(model_ids)
    if current is not None and all(model_info(i).id != model_info(current).id for i in ids):
        ids.insert(0, current)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for mid in ids:
        info = registry.lookup(mid)
        value = info.id if info else mid
        if value in seen:
            continue
        seen.add(value)
        label = f"{info.nickname} ({info.id})" if info else f"{mid} (not in registry)"
        if info is not None and info.is_shut_down(today):
            label += " · shut down"
        out.append((label, value))
    return out


AUTO = "auto"
"""Aspect-ratio option meaning "let the model decide" (sent as None)."""

MODEL_DEFAULT = "default"
"""Image-size option meaning "the model's default size" (sent as None)."""


def option_value(value: str | None) -> str | None:
    """What a dropdown value means for the Studio: :data:`AUTO` and :data:`MODEL_DEFAULT` become None.

    Dropdown options use these strings rather than None because ipywidgets shows a None value as an
    empty selection.

    Examples
    --------
    >>> option_value("auto"), option_value("default"), option_value("16:9")
    (None, None, '16:9')
    """
    return None if value in (AUTO, MODEL_DEFAULT, None) else value


def aspect_ratio_choices(info: registry.ModelInfo) -> list[tuple[str, str]]:
    """Dropdown options for the aspect ratio: :data:`AUTO` then the model's ratios.

    Examples
    --------
    >>> [v for _, v in aspect_ratio_choices(model_info("gemini-3-pro-image"))][:3]
    ['auto', '1:1', '2:3']
    """
    return [("auto (1:1, or the input's shape)", AUTO), *((ar, ar) for ar in info.aspect_ratios)]


def size_choices(info: registry.ModelInfo) -> tuple[list[tuple[str, str]], bool]:
    """Dropdown options for the image size, and whether the dropdown should be enabled.

    Models without sizes (2.5 Flash Image) get the single option ``(model default)``, disabled.

    Examples
    --------
    >>> size_choices(model_info("gemini-2.5-flash-image"))
    ([('(model default)', 'default')], False)
    >>> [v for _, v in size_choices(model_info("gemini-3.1-flash-lite-image"))[0]]
    ['default', '512', '1K']
    """
    if not info.image_sizes:
        return [("(model default)", MODEL_DEFAULT)], False
    return [(f"(model default: {info.default_size})", MODEL_DEFAULT), *((s, s) for s in info.image_sizes)], True


def keep_or_default(value: Any, options: Sequence[tuple[str, Any]], default: Any = None) -> Any:
    """``value`` when it is still among ``options``' values, else ``default``.

    Examples
    --------
    >>> keep_or_default("4K", [("default", "default"), ("1K", "1K")], "default")
    'default'
    """
    return value if any(v == value for _, v in options) else default


# --------------------------------------------------------------------------------------------------------
# Gallery cards, estimates and the cost meter


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
    lines = card_caption(result, index)
    caption = "".join(
        f'<div style="{"color:" + colour + ";font-weight:bold" if i == 0 else "color:#555"}">{html.escape(line)}</div>'
        for i, line in enumerate(lines)
    )
    head = title if title is not None else _short(result.prompt, 90)
    return (
        f'<div class="toolkit-card" style="width:{thumb_side + 12}px;border:1px solid #ddd;border-radius:6px;'
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
    'Estimate: 3 image(s) (1 cached) · list $0.2000 · you pay $0.0000 (offline simulator)'
    """
    cached = f" ({estimate.cached_calls} cached)" if estimate.cached_calls else ""
    pay = " (offline simulator)" if backend == "offline" else ""
    return (f"Estimate: {estimate.calls} image(s){cached} · list ${estimate.list_cost_usd:.4f} · "
            f"you pay ${estimate.cost_usd:.4f}{pay}")


@dataclass(frozen=True)
class MeterStats:
    """What the :class:`~toolkit.widgets.CostMeter` shows (see :func:`meter_stats`)."""

    backend: str
    spent_usd: float
    budget_usd: float | None
    calls: int
    cached: int
    not_ok: int
    list_usd: float
    saved_usd: float
    last_latency_s: float | None
    last_status: str | None

    @property
    def fraction(self) -> float | None:
        """Share of the budget spent, 0..1 (None without a budget; 1.0 for a zero budget)."""
        if self.budget_usd is None:
            return None
        if self.budget_usd <= 0:
            return 1.0
        return min(1.0, self.spent_usd / self.budget_usd)


def meter_stats(df: pd.DataFrame, *, spent_usd: float, budget_usd: float | None, backend: str) -> MeterStats:
    """Summarise a session ledger for the cost meter.

    Parameters
    ----------
    df : pandas.DataFrame
        ``studio.session_ledger.df`` (rows in call order).
    spent_usd, budget_usd : float
        ``studio.spent_usd`` and ``studio.budget_usd``.
    backend : str
        ``studio.backend.kind``.

    Returns
    -------
    MeterStats
        ``list_usd`` is the list price of calls actually sent (cache hits excluded: they cost nothing and
        ``saved_usd`` counts them); ``last_latency_s`` is from the last call that was sent or replayed
        (budget refusals have no latency).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"status": ["ok"], "cached": [False], "list_cost_usd": [0.067], "latency_s": [0.4]})
    >>> meter_stats(df, spent_usd=0.0, budget_usd=None, backend="offline").calls
    1
    """
    if df is None or len(df) == 0:
        return MeterStats(backend, spent_usd, budget_usd, 0, 0, 0, 0.0, 0.0, None, None)
    cached = df["cached"].astype(bool)
    answered = df[df["status"] != "refused"]
    last = answered.iloc[-1] if len(answered) else None
    return MeterStats(
        backend=backend, spent_usd=float(spent_usd), budget_usd=budget_usd, calls=len(df),
        cached=int(cached.sum()), not_ok=int((df["status"] != "ok").sum()),
        list_usd=float(df.loc[~cached, "list_cost_usd"].sum()), saved_usd=float(df.loc[cached, "list_cost_usd"].sum()),
        last_latency_s=None if last is None else float(last["latency_s"]),
        last_status=None if last is None else str(last["status"]),
    )


def meter_html(stats: MeterStats) -> str:
    """The cost meter's text: spend (against the budget), list-price total, calls, last latency.

    Examples
    --------
    >>> s = MeterStats("offline", 0.0, 1.0, 2, 1, 0, 0.067, 0.067, 0.03, "ok")
    >>> "of $1.00 budget" in meter_html(s)
    True
    """
    if stats.budget_usd is None:
        spend = f"<b>Spent ${stats.spent_usd:.4f}</b> (no budget cap)"
    else:
        left = max(0.0, stats.budget_usd - stats.spent_usd)
        spend = (f"<b>Spent ${stats.spent_usd:.4f} of {_dollars(stats.budget_usd)} budget</b> "
                 f"({(stats.fraction or 0):.0%}; ${left:.4f} left)")
    calls = f"{stats.calls} call{'s' if stats.calls != 1 else ''} this session"
    extras = []
    if stats.cached:
        extras.append(f"{stats.cached} cached, saved ${stats.saved_usd:.4f}")
    if stats.not_ok:
        extras.append(f"{stats.not_ok} not ok")
    if extras:
        calls += f" ({', '.join(extras)})"
    last = "—" if stats.last_latency_s is None else f"{stats.last_latency_s:.2f} s ({stats.last_status})"
    return (f'<div style="font-size:12px;line-height:1.5">{spend} · list price ${stats.list_usd:.4f} · {calls} · '
            f"last call {html.escape(last)}</div>")


def _dollars(v: float) -> str:
    # Whole cents read best ("$1.00"); a tiny cap ($0.0001) must not print as "$0.00".
    return f"${v:.2f}" if abs(v - round(v, 2)) < 1e-9 else f"${v:.4f}"


def backend_badge_html(backend: str, description: str) -> str:
    """A small badge naming the backend; the offline one says its images come from the simulator.

    Examples
    --------
    >>> "OFFLINE SIMULATOR" in backend_badge_html("offline", "offline simulator")
    True
    """
    if backend == "offline":
        return ('<span title="No API key: images are drawn locally by the toolkit\'s simulator and stamped '
                'OFFLINE SIMULATOR. Nothing is spent; the list price is what the real model would cost." '
                'style="background:#8a5a00;color:white;border-radius:3px;padding:1px 6px;font-size:11px;'
                'font-weight:bold">OFFLINE SIMULATOR</span> <span style="font-size:11px;color:#666">'
                "images are drawn locally, $0 spent; set GEMINI_API_KEY for the real models</span>")
    return (f'<span style="background:#1f5fa8;color:white;border-radius:3px;padding:1px 6px;font-size:11px;'
            f'font-weight:bold">{html.escape(backend.upper())}</span> <span style="font-size:11px;color:#666">'
            f"{html.escape(scrub(description) or '')}: calls cost real money</span>")


# --------------------------------------------------------------------------------------------------------
# Editor

PRESETS: dict[str, str] = {
    "Blur background": "Blur the background",
    "Enhance": "Enhance the photo: sharpen the details and add a little more contrast",
    "Warmer light": "Make the light warmer",
    "Black and white": "Make it black and white",
    "Remove background": "Remove the background",
    "Night time": "Make it night time",
    "Sunset": "Turn the light into a golden sunset",
    "Cartoon": "Turn it into a cartoon",
    "Vintage": "Give it a vintage sepia look with film grain",
}
"""Editor preset buttons: label -> instruction. Each instruction is one the offline simulator understands."""


def click_to_pixels(event: Mapping[str, Any], shown_size: tuple[int, int],
                    image_size: tuple[int, int]) -> tuple[int, int]:
    """Map an ipyevents click on a displayed thumbnail to pixel coordinates of the full image.

    ipyevents reports ``dataX``/``dataY`` in the displayed image's own pixels (for an ``Image``
    widget); when they are missing, ``relativeX``/``relativeY`` against the bounding box are used.

    Parameters
    ----------
    event : mapping
        The ipyevents event dict.
    shown_size : (int, int)
        Pixel size of the image shown in the widget (the thumbnail).
    image_size : (int, int)
        Pixel size of the full image.

    Returns
    -------
    (int, int)
        ``(x, y)`` in full-image pixels, clamped to the image.

    Examples
    --------
    >>> click_to_pixels({"dataX": 100, "dataY": 50}, (200, 100), (400, 200))
    (200, 100)
    """
    sw, sh = shown_size
    iw, ih = image_size
    if event.get("dataX") is not None and event.get("dataY") is not None:
        fx, fy = float(event["dataX"]) / sw, float(event["dataY"]) / sh
    elif event.get("relativeX") is not None and event.get("boundingRectWidth"):
        fx = float(event["relativeX"]) / float(event["boundingRectWidth"])
        fy = float(event["relativeY"]) / float(event["boundingRectHeight"])
    else:
        raise ValueError(f"The click event has no position (keys: {sorted(event)}).")
    x = min(iw - 1, max(0, math.floor(fx * iw)))
    y = min(ih - 1, max(0, math.floor(fy * ih)))
    return x, y


def hotspot_phrase(x: int, y: int, size: tuple[int, int]) -> str:
    """Words that place an edit at a pixel, in pixels and as fractions of the width and height.

    Examples
    --------
    >>> hotspot_phrase(120, 80, (451, 300))
    'at the point (x=120, y=80) of the 451x300 image, i.e. at (0.27, 0.27) as fractions of its width and height from the top-left corner'
    """
    w, h = size
    return (f"at the point (x={x}, y={y}) of the {w}x{h} image, i.e. at ({x / w:.2f}, {y / h:.2f}) "
            f"as fractions of its width and height from the top-left corner")


def edit_prompt(instruction: str, hotspot: tuple[int, int] | None = None,
                size: tuple[int, int] | None = None) -> str:
    """The instruction sent to ``studio.edit``: the user's words, plus the clicked point if any.

    Examples
    --------
    >>> edit_prompt("Add a hat.", (120, 80), (451, 300)).startswith("Add a hat at the point (x=120, y=80)")
    True
    >>> edit_prompt("  Make it warmer ")
    'Make it warmer'
    """
    text = " ".join(instruction.split())
    if hotspot is None or size is None or not text:
        return text
    return f"{text.rstrip('.')} {hotspot_phrase(*hotspot, size)}."


def mark_point(img: Image.Image, xy: tuple[float, float], radius: int | None = None) -> Image.Image:
    """A copy of ``img`` with a visible target marker (ring and cross) at ``xy``.

    Examples
    --------
    >>> from PIL import Image
    >>> mark_point(Image.new("RGB", (50, 50), "white"), (25, 25)).getpixel((25, 25)) != (255, 255, 255)
    True
    """
    out = img.convert("RGB")
    draw = ImageDraw.Draw(out)
    r = radius or max(6, round(min(out.size) * 0.03))
    x, y = xy
    for colour, width in (("white", max(3, r // 2)), ("#e0102f", max(1, r // 4))):
        draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=width)
        draw.line((x - 2 * r, y, x + 2 * r, y), fill=colour, width=max(1, width // 2))
        draw.line((x, y - 2 * r, x, y + 2 * r), fill=colour, width=max(1, width // 2))
    return out


def download_link_html(data: bytes, mime: str, filename: str, label: str = "Download") -> str:
    """An HTML link that downloads ``data`` (a data URI with the ``download`` attribute).

    Examples
    --------
    >>> download_link_html(b"x", "image/png", "a.png").startswith('<a download="a.png"')
    True
    """
    uri = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    kb = len(data) / 1024
    return (f'<a download="{html.escape(filename)}" href="{uri}" style="font-size:13px">⬇ {html.escape(label)} '
            f"{html.escape(filename)}</a> <span style=\"color:#777;font-size:11px\">({kb:.0f} kB)</span>")


# --------------------------------------------------------------------------------------------------------
# CharacterSheet

CHARACTER_TEMPLATE = ("Place the character from the reference image in this scene: {scene}. "
                      "Keep their face, clothing and colours exactly the same.")
"""Default prompt template; ``{scene}`` is replaced by each scene line."""

DEFAULT_SCENES = ("walking in the snow", "at sunset on a beach", "at night under the stars", "in the rain")
"""Scenes used when none are given (the offline simulator can render each as an edit)."""

SCORE_CAVEAT = (
    "The scores compare pixels, not identity. <b>phash</b> (0-1) measures the overall layout of light and dark; "
    "<b>ssim</b> (-1-1) measures local structure at the same positions, so it drops when the character moves; "
    "<b>histogram</b> (0-1) compares the palette and ignores shapes. High scores can mean the output barely "
    "changed the reference; low scores do not prove the character changed. Use them to sort and flag, and "
    "judge likeness by eye."
)
"""What the similarity scores do and do not measure (shown under the CharacterSheet button)."""

SCORE_COLUMNS = ("scene", "status", "phash", "ssim", "histogram", "cost_usd")


def parse_scenes(text: str) -> list[str]:
    """One scene per non-empty line (bullets and numbering stripped, duplicates kept once).

    Examples
    --------
    >>> parse_scenes("- on the moon\\n\\n2. in a kitchen\\non the moon")
    ['on the moon', 'in a kitchen']
    """
    out: list[str] = []
    for line in text.splitlines():
        s = line.strip().lstrip("-*•").strip()
        head, dot, rest = s.partition(".")
        if dot and head.isdigit():
            s = rest.strip()
        if s and s not in out:
            out.append(s)
    return out


def character_prompt(scene: str, template: str = CHARACTER_TEMPLATE) -> str:
    """The generate prompt for one scene: ``template`` with ``{scene}`` filled in (or the scene appended).

    Examples
    --------
    >>> character_prompt("in a kitchen.")
    'Place the character from the reference image in this scene: in a kitchen. Keep their face, clothing and colours exactly the same.'
    """
    scene = " ".join(scene.split()).rstrip(".")
    if "{scene}" in template:
        return template.replace("{scene}", scene)
    return f"{template.rstrip()} Scene: {scene}."


def merge_scene_notices(items: Sequence[tuple[str, Notice]]) -> list[Notice]:
    """One notice per distinct problem, naming the scenes it hit (not the same long text once per scene).

    Examples
    --------
    >>> n = Notice("warning", "No image came back", "vocabulary ...")
    >>> [m.title for m in merge_scene_notices([("on the moon", n), ("in a kitchen", n)])]
    ['on the moon, in a kitchen: No image came back']
    """
    groups: dict[Notice, list[str]] = {}
    for scene, notice in items:
        groups.setdefault(notice, []).append(scene)
    return [Notice(n.kind, f"{', '.join(scenes)}: {n.title}", n.detail, n.fix) for n, scenes in groups.items()]


def score_row(scene: str, result: Result | None, reference: Any, status: str | None = None) -> dict[str, Any]:
    """One row of ``CharacterSheet.scores``: similarity of the first output to the reference (NaN without one).

    Examples
    --------
    >>> score_row("x", None, None, status="skipped")["phash"]
    nan
    """
    from ..metrics import similarity

    row: dict[str, Any] = {"scene": scene, "status": status or (result.status if result else "error"),
                           "phash": math.nan, "ssim": math.nan, "histogram": math.nan,
                           "cost_usd": result.cost_usd if result else 0.0}
    if result is not None and result.image is not None and reference is not None:
        row.update(similarity(reference, result.image))
    return row


def scores_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The scores table (columns :data:`SCORE_COLUMNS`), one row per scene.

    Examples
    --------
    >>> list(scores_frame([]).columns)
    ['scene', 'status', 'phash', 'ssim', 'histogram', 'cost_usd']
    """
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=list(SCORE_COLUMNS))
    return df.astype({"phash": float, "ssim": float, "histogram": float, "cost_usd": float})


def scores_line(row: Mapping[str, Any]) -> str:
    """The scores under a CharacterSheet card.

    Examples
    --------
    >>> scores_line({"phash": 0.5, "ssim": 0.25, "histogram": 0.75})
    'phash 0.50 · ssim 0.25 · histogram 0.75'
    """
    if any(isinstance(row.get(k), float) and math.isnan(row[k]) for k in ("phash", "ssim", "histogram")):
        return "no scores (no image)"
    return f"phash {row['phash']:.2f} · ssim {row['ssim']:.2f} · histogram {row['histogram']:.2f}"


# --------------------------------------------------------------------------------------------------------
# FusionBoard

POSITIONS: dict[str, tuple[float, float]] = {
    "bottom centre": (0.5, 0.75),
    "centre": (0.5, 0.5),
    "left": (0.22, 0.6),
    "right": (0.78, 0.6),
    "top": (0.5, 0.25),
    "bottom left": (0.22, 0.75),
    "bottom right": (0.78, 0.75),
    "top left": (0.22, 0.25),
    "top right": (0.78, 0.25),
}
"""Named placements -> (x, y) of the object's centre, as fractions of the scene's width and height."""

CUSTOM_POSITION = "custom (x/y sliders)"

_WHERE = {
    "bottom centre": "at the bottom centre", "centre": "in the centre", "left": "on the left side",
    "right": "on the right side", "top": "at the top", "bottom left": "at the bottom left",
    "bottom right": "at the bottom right", "top left": "at the top left", "top right": "at the top right",
}


def _images_phrase(n_objects: int) -> str:
    if n_objects <= 1:
        return "the object from image 2"
    idx = [str(i) for i in range(2, n_objects + 2)]
    return f"the objects from images {', '.join(idx[:-1])} and {idx[-1]}"


def fusion_prompt(n_images: int, position: str, x: float, y: float, scale: float, extra: str = "") -> str:
    """The fuse prompt derived from the placement controls.

    Parameters
    ----------
    n_images : int
        How many images (the first is the scene, the others objects); fewer than 2 is treated as 2.
    position : str
        A key of :data:`POSITIONS` or :data:`CUSTOM_POSITION`.
    x, y : float
        The object's centre as fractions (0..1) of the scene's width and height.
    scale : float
        The object's height as a fraction of the scene's height.
    extra : str
        Free text appended as is ("make it look like evening").

    Examples
    --------
    >>> p = fusion_prompt(2, "left", 0.22, 0.6, 0.3)
    >>> p.startswith("Place the object from image 2 into the scene from image 1, on the left side of the scene")
    True
    >>> "about 30% of the scene's height" in p
    True
    """
    n_objects = max(1, n_images - 1)
    where = _WHERE.get(position)
    coords = f"centred about {x:.0%} of the way across and {y:.0%} of the way down the scene"
    place = f"{where} of the scene ({coords})" if where else coords
    size = "each about" if n_objects > 1 else "about"
    text = (f"Place {_images_phrase(n_objects)} into the scene from image 1, {place}, scaled so that it is "
            f"{size} {scale:.0%} of the scene's height. Match the scene's lighting, perspective and shadows, "
            f"and keep everything else in the scene unchanged.")
    extra = " ".join(extra.split())
    if extra:
        text += f" {extra if extra.endswith(('.', '!', '?')) else extra + '.'}"
    return text


def placement_preview(scene: Image.Image, objects: Sequence[Image.Image], x: float, y: float, scale: float,
                      max_side: int = 360) -> Image.Image:
    """A quick mock-up of where the objects will go: thumbnails pasted on the scene inside outlined boxes.

    This is a local sketch to check the placement; the model decides the final composition.

    Examples
    --------
    >>> from PIL import Image
    >>> placement_preview(Image.new("RGB", (400, 200)), [Image.new("RGB", (10, 10), "red")], 0.5, 0.5, 0.5).size
    (360, 180)
    """
    base = scene.convert("RGB")
    base.thumbnail((max_side, max_side))
    if base.width < max_side and base.height < max_side:
        k = max_side / max(base.size)
        base = base.resize((round(base.width * k), round(base.height * k)))
    W, H = base.size
    draw = ImageDraw.Draw(base)
    target_h = max(4, round(scale * H))
    boxes = []
    for obj in objects:
        ow, oh = obj.size
        h = target_h
        w = max(4, round(ow * h / max(1, oh)))
        boxes.append((obj, w, h))
    total_w = sum(w for _, w, _ in boxes) + 4 * max(0, len(boxes) - 1)
    left = round(x * W - total_w / 2)
    for obj, w, h in boxes:
        top = round(y * H - h / 2)
        thumb = obj.convert("RGB").resize((w, h))
        base.paste(thumb, (left, top))
        # Two outlines (white under red) stay visible on light and dark scenes alike.
        draw.rectangle((left - 2, top - 2, left + w + 1, top + h + 1), outline="white", width=3)
        draw.rectangle((left - 1, top - 1, left + w, top + h), outline="#e0102f", width=1)
        left += w + 4
    return base


# --------------------------------------------------------------------------------------------------------
# Images: thumbnails, canvas mirror


def thumbnail(img: Image.Image, max_side: int) -> Image.Image:
    """An RGB copy no larger than ``max_side`` on its longer side.

    Examples
    --------
    >>> from PIL import Image
    >>> thumbnail(Image.new("RGB", (1000, 500)), 200).size
    (200, 100)
    """
    out = img.convert("RGB")  # convert copies, so the caller's image is never resized in place
    out.thumbnail((max_side, max_side))
    return out


def jpeg_bytes(img: Image.Image, quality: int = 85) -> bytes:
    """JPEG bytes of ``img`` (for ``ipywidgets.Image`` views: small and quick to send).

    Examples
    --------
    >>> from PIL import Image
    >>> jpeg_bytes(Image.new("RGB", (8, 8)))[:2]
    b'\\xff\\xd8'
    """
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    """PNG bytes of ``img``.

    Examples
    --------
    >>> from PIL import Image
    >>> png_bytes(Image.new("RGB", (8, 8)))[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def fit_into(img: Image.Image, size: tuple[int, int], background: str = "white") -> tuple[Image.Image, tuple[int, int]]:
    """``img`` scaled to fit ``size`` (aspect kept), centred on a ``background`` canvas.

    Returns
    -------
    (PIL.Image.Image, (int, int))
        The new image and where the scaled picture's top-left corner landed.

    Examples
    --------
    >>> from PIL import Image
    >>> out, at = fit_into(Image.new("RGB", (100, 50), "red"), (200, 200))
    >>> out.size, at
    ((200, 200), (0, 50))
    """
    W, H = size
    src = img.convert("RGBA") if img.mode in ("RGBA", "LA", "P") else img.convert("RGB")
    k = min(W / src.width, H / src.height)
    scaled = src.resize((max(1, round(src.width * k)), max(1, round(src.height * k))), Image.Resampling.LANCZOS)
    out = Image.new("RGB", size, background)
    at = ((W - scaled.width) // 2, (H - scaled.height) // 2)
    out.paste(scaled, at, scaled if scaled.mode == "RGBA" else None)
    return out, at


def draw_stroke(img: Image.Image, points: Sequence[tuple[float, float]], colour: str = "#000000",
                width: int = 4) -> None:
    """Draw a polyline with round caps and joins on ``img`` in place (the canvas mirror).

    Matches what an HTML canvas draws with ``lineCap = lineJoin = "round"``, so the PNG sent to the
    model shows the same strokes as the browser. A single point draws a dot.

    Examples
    --------
    >>> from PIL import Image
    >>> im = Image.new("RGB", (20, 20), "white")
    >>> draw_stroke(im, [(2, 10), (18, 10)], "#000000", 3)
    >>> im.getpixel((10, 10))
    (0, 0, 0)
    """
    if not points:
        return
    draw = ImageDraw.Draw(img)
    pts = [(float(px), float(py)) for px, py in points]
    if len(pts) > 1:
        draw.line(pts, fill=colour, width=max(1, int(width)))
    r = max(0.5, width / 2)
    for px, py in pts:  # round caps and joins; PIL's own joint="curve" leaves the ends square
        draw.ellipse((px - r + 0.5, py - r + 0.5, px + r - 0.5, py + r - 0.5), fill=colour)


BACKEND_LABELS = {"offline": "Offline simulator", "gemini": "Gemini API", "vertex": "Vertex AI",
                  "openrouter": "OpenRouter", "fal": "fal.ai"}


def backend_choices(current: str, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Dropdown options ``(label, backend kind)``: the current backend, offline, and every provider whose
    key is in the environment.

    Examples
    --------
    >>> backend_choices("offline", env={})
    [('Offline simulator', 'offline')]
    >>> backend_choices("offline", env={"FAL_KEY": "x"})
    [('Offline simulator', 'offline'), ('fal.ai', 'fal')]
    """
    import os

    env = os.environ if env is None else env
    has_key = {
        "gemini": bool(env.get("GOOGLE_API_KEY") or env.get("GEMINI_API_KEY")),
        "vertex": bool(env.get("GOOGLE_CLOUD_PROJECT") or env.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower()
                       in ("1", "true")),  # what google-genai and Studio(backend="auto") accept
        "openrouter": bool(env.get("OPENROUTER_API_KEY")),
        "fal": bool(env.get("FAL_KEY") or (env.get("FAL_KEY_ID") and env.get("FAL_KEY_SECRET"))),
    }
    kinds = [current] + [k for k in ("offline", "gemini", "vertex", "openrouter", "fal")
                         if k == "offline" or has_key[k]]
    return [(BACKEND_LABELS.get(k, k), k) for k in dict.fromkeys(kinds)]


def models_for_backend(kind: str, model_ids: Sequence[str] | None = None) -> list[str] | None:
    """The models a backend can serve (fal only has apps for some); None means "the default list"."""
    if kind != "fal":
        return None if model_ids is None else list(model_ids)
    ids = [m.id for m in registry.MODELS if m.fal_app and not m.is_shut_down()]
    return [i for i in ids if model_ids is None or i in model_ids]
