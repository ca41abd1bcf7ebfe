"""Messages for an app's message box: what happened, the details, and what to do (never a traceback)."""

from __future__ import annotations

import html
from dataclasses import dataclass

from ...errors import (
    BudgetExceededError,
    ConfigError,
    ImageInputError,
    InputError,
    ModelNotFoundError,
    OptionError,
    ProviderError,
    ToolkitError,
)
from ...result import NO_MATH, Result
from ...secrets import scrub

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
                else _NO_CODE_HEADS.get(exc.status or "", "The provider could not be reached"))
        return Notice("error", head, scrub(exc.message) or text, exc.hint or _provider_fix(exc.code))
    if isinstance(exc, ToolkitError):
        return Notice("error", "The toolkit refused this call", text)
    return Notice(
        "error", f"Unexpected error: {type(exc).__name__}", text or "(no message)",
        "This is probably a bug. To see the traceback, make the same call in a cell "
        "(e.g. studio.generate(...)) and report it.",
    )


_NO_CODE_HEADS = {"MALFORMED_RESPONSE": "The provider sent a malformed reply",
                  "TIMEOUT": "The provider did not answer in time",
                  "DEADLINE_EXCEEDED": "The provider did not answer in time"}


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
    return (f'<div class="toolkit-notice toolkit-{html.escape(notice.kind)} {NO_MATH}" style="border-left:4px solid {fg};'
            f'background:{bg};padding:6px 10px;margin:4px 0;border-radius:3px;font-size:13px;'
            f'line-height:1.35">{"".join(parts)}</div>')

