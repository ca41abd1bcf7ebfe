"""Exception types.

Every message names the problem *and* the fix. The API key never appears in any of them: provider
messages are passed through :func:`toolkit.secrets.scrub` before they are stored on an exception.
"""

from __future__ import annotations

import os
import sys
import warnings


class ToolkitError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(ToolkitError, ValueError):
    """The caller passed something we cannot send: a bad image, prompt or option.

    Raised before anything is sent, so nothing is spent and nothing is recorded.
    """


class ImageInputError(InputError):
    """An input image is missing, empty, corrupt or in a format we cannot read."""


class OptionError(InputError):
    """An option (aspect ratio, image size, n, ...) is not valid for the chosen model."""


class InputAdjustedWarning(UserWarning):
    """An input image was changed in a way that alters what the model sees (downscaled, first frame only)."""


class ConfigError(ToolkitError, ValueError):
    """The Studio is configured in a way that cannot work (unknown backend, missing key, bad URL)."""


class BudgetExceededError(ToolkitError):
    """A call was refused before sending because its estimate would take spend past the cap.

    Attributes
    ----------
    spent_usd : float
        What the budget has committed: spent, plus reserved for calls in flight and held for batch jobs.
    estimate_usd, budget_usd : float
    seat : str
        Whose budget: ``"home"`` (every Studio on the home) or a named seat.
    """

    def __init__(self, spent_usd: float, estimate_usd: float, budget_usd: float, seat: str = "home") -> None:
        self.spent_usd = spent_usd
        self.estimate_usd = estimate_usd
        self.budget_usd = budget_usd
        self.seat = seat
        whose = "this home's budget" if seat == "home" else f"the budget of seat {seat!r}"
        super().__init__(
            f"Budget cap reached: {whose} has spent ${spent_usd:.4f} (counting calls in flight and batch jobs "
            f"held), the call is estimated at ${estimate_usd:.4f}, and the cap is ${budget_usd:.4f}. Nothing was "
            f"sent. Raise the cap (studio.budget.cap = ..., Studio(budget_usd=...) or TOOLKIT_BUDGET_USD), use "
            f"a cheaper model, or replay from the cache."
        )


class RequestWithdrawn(ToolkitError):
    """Raised by a backend when its request was answered without being carried out or billed, and the
    caller will go on another way (a chat whose server state expired restarts from its saved image).

    The call's write-ahead ledger row is withdrawn rather than completed: one turn, one row.
    """


class StorageError(ToolkitError):
    """The toolkit home could not record a call (disk full, read-only folder, damaged ledger).

    Raised before a paid request is sent when its write-ahead ledger row cannot be written, so nothing is
    spent unrecorded. The message names the storage problem and the fix.
    """


class ProviderError(ToolkitError):
    """The provider refused the request or could not be reached, after any retries.

    Attributes
    ----------
    provider : str
        Which backend answered ("gemini", ...).
    code : int | None
        HTTP status, or None for a transport failure (timeout, dropped connection).
    status : str | None
        The provider's status name (``RESOURCE_EXHAUSTED``, ``INVALID_ARGUMENT``, ...).
    message : str
        The provider's message (scrubbed of secrets).
    attempts : int
        How many attempts were made.
    retry_after_s : float | None
        The server's ``RetryInfo.retryDelay``, when it sent one.
    """

    def __init__(
        self,
        provider: str,
        code: int | None,
        status: str | None,
        message: str,
        *,
        attempts: int = 1,
        retry_after_s: float | None = None,
        hint: str | None = None,
    ) -> None:
        self.provider = provider
        self.code = code
        self.status = status
        self.message = message
        self.attempts = attempts
        self.retry_after_s = retry_after_s
        self.hint = hint
        reached = NO_CODE_HEADS.get(status or "", "could not be reached")
        head = f"{provider} returned {code} {status}" if code is not None else f"{provider} {reached}"
        text = f"{head}: {message}"
        if attempts > 1:
            text += f" (after {attempts} attempts)"
        if hint:
            text += f"\nFix: {hint}"
        super().__init__(text)

    @property
    def retryable(self) -> bool:
        """True for failures worth retrying: timeouts, dropped connections, 408, 429 and 5xx."""
        return self.code is None or self.code in RETRYABLE_CODES


class ModelNotFoundError(ProviderError):
    """The provider does not know the model id (HTTP 404 NOT_FOUND)."""


#: How a failure without an HTTP code reads: the provider was reached but answered badly or too slowly, or not.
NO_CODE_HEADS = {"MALFORMED_RESPONSE": "sent a malformed reply", "TIMEOUT": "did not answer in time",
                 "DEADLINE_EXCEEDED": "did not answer in time"}


class MalformedReplyError(ProviderError):
    """The provider answered, but the reply cannot be used: not JSON, an unexpected shape, an image that is
    not an image, token counts that are not numbers, or more than the reply size cap.

    Status ``MALFORMED_RESPONSE``, no HTTP code: retried like a transport failure (a second answer is usually
    fine), and the message says "malformed reply" rather than "could not be reached".

    >>> str(MalformedReplyError("gemini", "candidates was a dict, not a list")).splitlines()[0]
    'gemini sent a malformed reply: candidates was a dict, not a list'
    """

    def __init__(self, provider: str, message: str, *, attempts: int = 1, hint: str | None = None) -> None:
        hint = hint or ("the provider's answer was damaged or not in the expected form; it is retried. If it "
                        "keeps happening, check base_url (a proxy or gateway may be rewriting answers).")
        super().__init__(provider, None, "MALFORMED_RESPONSE", message, attempts=attempts, hint=hint)


class AnswerTimeoutError(ProviderError):
    """No complete answer in time: an attempt ran out of ``timeout_s`` (status ``TIMEOUT``, retried) or the
    call ran out of ``RetryPolicy.deadline_s`` (status ``DEADLINE_EXCEEDED``, not retried)."""

    def __init__(self, provider: str, status: str, message: str, *, hint: str) -> None:
        super().__init__(provider, None, status, message, hint=hint)

    @property
    def retryable(self) -> bool:
        return self.status != "DEADLINE_EXCEEDED"


class StreamInterruptedError(ProviderError):
    """A stream failed after some of its text had been delivered. Never retried: a retry would deliver
    the text again (the callback cannot take it back). Run the call again to get a complete answer."""

    @classmethod
    def after(cls, e: ProviderError) -> StreamInterruptedError:
        # A retryable error's own hint says "it was retried", which is no longer true here.
        hint = ("the answer stopped part-way, after some text had been shown, so it was not retried (a retry "
                "would show the text twice). Run the call again." + (f" {e.hint}" if e.hint and not e.retryable else ""))
        err = cls(e.provider, e.code, e.status, f"the stream was interrupted: {e.message}",
                  attempts=e.attempts, retry_after_s=e.retry_after_s, hint=hint)
        if e.code is None and e.status not in NO_CODE_HEADS:  # it was reached, and stopped part-way
            err.args = (str(err).replace(f"{e.provider} could not be reached", f"{e.provider} stopped answering "
                                         f"part-way", 1),)
        return err

    @property
    def retryable(self) -> bool:
        return False


RETRYABLE_CODES = frozenset({408, 429, 500, 502, 503, 504, 524, 529})  # 524/529: OpenRouter upstream timeout/overload


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def warn_user(message: str, category: type[Warning]) -> None:
    """Warn pointing at the caller's own line (the first frame outside the toolkit), not at toolkit source,
    however deep the call that noticed it: a notebook shows the warning under the user's cell."""
    level, frame = 2, sys._getframe(1)  # level 1 is this function; 2 its caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)
