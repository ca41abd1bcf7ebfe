"""The Result of a call: the same shape whichever backend answered.

Status vocabulary (``Result.status``):

``"ok"``        at least one image came back.
``"blocked"``   the provider refused: the prompt was blocked (``promptFeedback.blockReason``) or the output
                was stopped for safety, prohibited content, recitation, ... (``reason`` says which).
``"no_image"``  the call completed but produced no image: a text-only reply, ``NO_IMAGE``,
                ``IMAGE_OTHER``, or (offline) an instruction the simulator does not understand.
``"error"``     the provider reported a failure in a normal reply (e.g. ``MALFORMED_RESPONSE``), or, for
                ``n > 1``, some requests failed (``errors`` lists them) while others succeeded.

Blocked, no-image and text-only replies are Results, never exceptions.

Showing a Result never raises: an image whose bytes cannot be decoded (a damaged file, junk stored by an older
version) is left out of ``images``, listed in ``unreadable`` and shown as an "unreadable image" placeholder by
``repr``, ``caption()`` and ``_repr_html_``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from .request import ImagePart, Request, TextPart, Turn

STATUSES = ("ok", "blocked", "no_image", "error")
#: The class every HTML repr carries: JupyterLab's MathJax would read two dollar amounts ("$0.0000 (list
#: $0.0673)") as a formula and eat both signs; it leaves elements of these classes alone.
NO_MATH = "tex2jax_ignore mathjax_ignore"


class OutputImage:
    """One output image: the bytes as the provider sent them, their MIME type, and where they are stored.

    Built by the Engine with the stored file's path rather than the bytes (``data=None``), so that a study of
    thousands of Results holds paths, not images: :attr:`data` reads the stored copy (metadata stripped,
    checked against ``sha256``; ``OSError`` if damaged) on each access and keeps nothing. ``loader`` replaces
    that read. Built with ``data``, it holds those bytes.
    """

    __slots__ = ("_data", "_loader", "_size", "mime", "path", "sha256")

    def __init__(self, data: bytes | None, mime: str, sha256: str, path: str | None = None, *,
                 size: int | None = None, loader: Callable[[], bytes] | None = None) -> None:
        if data is None and loader is None and path is None:
            raise ValueError("OutputImage needs its bytes, its stored file's path or a loader")
        self._data = data
        self._loader = loader
        self._size = size
        self.mime = mime
        self.sha256 = sha256
        self.path = path  # the stored copy (with embedded metadata), absolute

    @property
    def data(self) -> bytes:
        """The image bytes as received (read from the store each time when not held; ``OSError`` if damaged)."""
        if self._data is not None:
            return self._data
        if self._loader is not None:
            return self._loader()
        from .images import strip_metadata

        assert self.path is not None
        data = strip_metadata(Path(self.path).read_bytes(), self.mime)
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise OSError(f"stored image {self.path} does not match its recorded hash {self.sha256[:12]}...")
        return data

    @property
    def held(self) -> bool:
        """True when the bytes are held in memory; False when :attr:`data` reads them from the store."""
        return self._data is not None

    @property
    def size_bytes(self) -> int:
        return self._size if self._size is not None else len(self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OutputImage):
            return NotImplemented
        return (self.sha256, self.mime, self.path) == (other.sha256, other.mime, other.path)

    def __hash__(self) -> int:
        return hash((self.sha256, self.mime, self.path))

    def __repr__(self) -> str:
        return f"OutputImage(mime={self.mime!r}, sha256={self.sha256!r}, path={self.path!r})"


@dataclass(eq=False)
class Result:
    """What one call produced. See the module docstring for ``status``.

    Attributes
    ----------
    images : list[PIL.Image.Image]
        Decoded output images (decoded lazily on first access); an output that cannot be decoded is left
        out and described in ``unreadable``.
    image : PIL.Image.Image | None
        The first decodable image, or None.
    unreadable : list[str]
        One line per output image that cannot be decoded (empty when all can).
    text : str
        The model's text reply (thoughts excluded).
    interleaved : list[str | PIL.Image.Image]
        The answer's text and images in the order the model sent them (thoughts excluded).
    thoughts : str
        The model's thought text (``include_thoughts=True``); not charged apart from its thought tokens.
    thought_images : list[PIL.Image.Image]
        Interim images the model drew while thinking: never the answer, never charged as images.
    grounding : dict | None
        Search grounding (``grounding=``): ``web_search_queries``, ``image_search_queries``, ``queries``,
        ``sources`` (``{"kind", "title", "uri"}``) and ``search_entry_point`` (Google's HTML, shown sandboxed).
    usage : dict
        ``input_tokens``, ``input_image_tokens``, ``output_tokens``, ``output_image_tokens``,
        ``thought_tokens``, ``cached_tokens``.
    cost_usd : float
        Money actually spent by this call (0 for cache hits and the offline simulator).
    list_cost_usd : float
        What the output costs at list price (for cache hits: what the original call cost).

    Examples
    --------
    >>> r = studio.generate("a red bicycle")          # doctest: +SKIP
    >>> r.status, r.image.size, r.cost_usd            # doctest: +SKIP
    ('ok', (1024, 1024), 0.0)
    """

    # the model turn, held (``model_turn=``) or loaded from the store on access (:meth:`defer_turn`); these
    # come first so that __init__, which sets ``model_turn`` through its property, does not reset them
    _turn: Turn | None = field(default=None, init=False, repr=False)
    _turn_loader: Callable[[], Turn | None] | None = field(default=None, init=False, repr=False)
    status: str
    model: str
    backend: str
    operation: str = "generate"
    prompt: str = ""
    text: str = ""
    reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    list_cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    key: str = ""
    response_id: str | None = None
    outputs: list[OutputImage] = field(default_factory=list)
    model_turn: Turn | None = field(default=None, repr=False)
    request: Request | None = field(default=None, repr=False)
    attempts: int = 1
    created: str = ""
    errors: list[str] = field(default_factory=list)
    parts: list[Result] = field(default_factory=list, repr=False)  # the per-request Results when n > 1
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)
    source: str | None = None  # a cache hit's origin: None (recorded in this home) or "pack:<name>@<hash>"
    grounding: dict[str, Any] | None = field(default=None, repr=False)
    _decoded: list[Image.Image] | None = field(default=None, repr=False)
    _undecodable: list[str] = field(default_factory=list, repr=False)

    # -- images ---------------------------------------------------------------------------------------
    @property
    def images(self) -> list[Image.Image]:
        if self._decoded is None:
            decoded: list[Image.Image] = []
            problems: list[str] = []
            for i, out in enumerate(self.outputs, start=1):
                try:
                    img = Image.open(io.BytesIO(out.data))
                    img.load()
                except Exception as e:  # damaged bytes: described, never raised from a display
                    problems.append(f"image {i} ({out.mime}, {out.size_bytes:,} bytes) cannot be decoded: "
                                    f"{type(e).__name__}")
                    continue
                decoded.append(img)
            self._undecodable = problems
            self._decoded = decoded
        return self._decoded

    @property
    def image(self) -> Image.Image | None:
        images = self.images
        return images[0] if images else None

    @property
    def unreadable(self) -> list[str]:
        """One line per output image whose bytes cannot be decoded (empty when every image can)."""
        self.images  # noqa: B018 (decodes once, filling the list)
        return list(self._undecodable)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)  # a deferred turn is loaded: its loader holds the (unpicklable) store
        state["_turn"], state["_turn_loader"] = self.model_turn, None
        return state

    def defer_turn(self, loader: Callable[[], Turn | None]) -> None:
        """Load :attr:`model_turn` with ``loader`` on each access instead of holding it (the Engine's Results:
        the turn's images stay in the store, so a large study does not hold them)."""
        self._turn = None
        self._turn_loader = loader

    def peek(self, *, pixels: bool = True) -> tuple[Image.Image | None, list[str]]:
        """The first readable output image and the ``unreadable`` lines, computed now and not kept.

        For going over many Results (``study.df``) without holding their pixels: unlike :attr:`images`,
        nothing is cached on the Result (what :attr:`images` already decoded is reused). ``pixels=False``
        reads headers only: the image has its size and mode but no decoded pixels, and an image whose header
        is fine but whose data is damaged is not noticed.
        """
        if self._decoded is not None:
            return (self._decoded[0] if self._decoded else None), list(self._undecodable)
        first: Image.Image | None = None
        problems: list[str] = []
        for i, out in enumerate(self.outputs, start=1):
            try:
                img = Image.open(io.BytesIO(out.data))
                if pixels and first is None:
                    img.load()
            except Exception as e:  # damaged bytes: described, never raised
                problems.append(f"image {i} ({out.mime}, {out.size_bytes:,} bytes) cannot be decoded: "
                                f"{type(e).__name__}")
                continue
            if first is None:
                first = img
        return first, problems

    # -- the whole answer: interleaving, thoughts ----------------------------------------------------------
    def model_turns(self) -> list[Turn]:
        """The model turns behind this Result (one per request when ``n > 1``); a damaged store gives none."""
        sources = self.parts or [self]
        turns = []
        for r in sources:
            try:
                turn = r.model_turn
            except Exception:  # an image of the stored turn is missing or damaged: shown without it
                turn = None
            if turn is not None:
                turns.append(turn)
        return turns

    @property
    def interleaved(self) -> list[str | Image.Image]:
        """The answer's text and images in the order the model sent them (thoughts excluded); without a model
        turn (some backends), the text then the images."""
        return self._interleaved(self.model_turns())

    def _interleaved(self, turns: list[Turn]) -> list[str | Image.Image]:
        if not turns:
            return ([self.text] if self.text else []) + list(self.images)
        out: list[str | Image.Image] = []
        for turn in turns:
            for p in turn.parts:
                if p.thought:
                    continue
                if isinstance(p, TextPart):
                    if p.text:
                        out.append(p.text)
                elif (img := _decode(p.data)) is not None:
                    out.append(img)
        return out

    @property
    def thoughts(self) -> str:
        """The model's thought text, in order (empty unless thoughts were returned: ``include_thoughts=True``)."""
        return _thought_text(self.model_turns())

    @property
    def thought_images(self) -> list[Image.Image]:
        """Interim images drawn while thinking (decodable ones): never the answer and never charged as images."""
        return _thought_images(self.model_turns())

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def paths(self) -> list[str]:
        """Where the output images are stored in the home (files carry the generation metadata)."""
        return [o.path for o in self.outputs if o.path]

    @property
    def keys(self) -> list[str]:
        """Request keys: one per request (several when ``n > 1``)."""
        return [p.key for p in self.parts] if self.parts else [self.key]

    # -- saving ---------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path | list[Path]:
        """Save the image(s) with generation metadata embedded (readable with ``tk.read_metadata``).

        ``path`` may be a file name (its suffix picks the format; a suffix that differs from the image's
        own format converts it) or an existing directory (files are named by the request key). With several
        images, ``name.png`` becomes ``name-1.png``, ``name-2.png``, ...

        Returns the path, or the list of paths when there are several images.
        """
        from .images import embed_metadata

        if not self.outputs:
            raise ValueError(f"This result has no image to save (status={self.status!r}, reason={self.reason!r}).")
        target = Path(path).expanduser()
        written: list[Path] = []
        for i, out in enumerate(self.outputs, start=1):
            natural = _suffix(out.mime)
            if target.is_dir():
                dest = target / f"{self.key[:12]}-{i}{natural}"
            elif len(self.outputs) > 1:
                dest = target.with_name(f"{target.stem}-{i}{target.suffix or natural}")
            else:
                dest = target if target.suffix else target.with_suffix(natural)
            meta = dict(self.metadata)
            if dest.suffix.lower() in _same_format(out.mime):
                data = embed_metadata(out.data, out.mime, meta)
            else:
                data = _convert(out.data, dest.suffix.lower(), meta)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            written.append(dest)
        return written[0] if len(written) == 1 else written

    # -- presentation ---------------------------------------------------------------------------------
    def caption(self) -> str:
        """One line: model, size, dollars, seconds, status."""
        size = ""
        if self.outputs:
            dims = _image_size(self.outputs[0])
            size = (f" · {dims[0]}×{dims[1]}" if dims else " · unreadable image") + (
                f" ×{len(self.outputs)}" if len(self.outputs) > 1 else "")
        cost = f"${self.cost_usd:.4f}"
        if self.list_cost_usd and abs(self.list_cost_usd - self.cost_usd) > 1e-12:
            cost += f" (list ${self.list_cost_usd:.4f})"
        tail = " · cached" if self.cached else ""
        if self.source:
            tail += f" from {self.source}"
        src = "offline simulator" if self.backend == "offline" else self.backend
        return f"{self.model}{size} · {cost} · {self.latency_s:.2f} s · {self.status}{tail} · {src}"

    def __repr__(self) -> str:
        u = self.usage
        bits = [
            f"status={self.status!r}", f"model={self.model!r}", f"backend={self.backend!r}",
            f"images={len(self.outputs)}",
        ]
        if self.outputs:
            dims = _image_size(self.outputs[0])
            kb = sum(o.size_bytes for o in self.outputs) / 1024
            shown = f"{dims[0]}x{dims[1]}" if dims else "unreadable image,"
            bits.append(f"size={shown} {self.outputs[0].mime} {kb:.0f} kB")
        bits += [
            f"tokens(in={u.get('input_tokens', 0)}, out={u.get('output_tokens', 0)}, "
            f"image_out={u.get('output_image_tokens', 0)}, thoughts={u.get('thought_tokens', 0)})",
            f"cost_usd={self.cost_usd:.4f}", f"list_cost_usd={self.list_cost_usd:.4f}",
            f"latency_s={self.latency_s:.2f}", f"cached={self.cached}",
        ]
        if self.grounding:
            bits.append(f"grounding_queries={self.grounding.get('queries', 0)}")
        if self.reason:
            bits.append(f"reason={_short(self.reason, 120)!r}")
        if self.errors:
            bits.append(f"errors={len(self.errors)}")
        return "Result(" + ", ".join(bits) + ")"

    def _repr_html_(self) -> str:
        figures = [f for f in (_figure(img) for img in self.images) if f]
        body = "".join(figures)
        text = f'<div style="color:#444;margin-top:4px">{html.escape(_short(self.text, 400))}</div>' if self.text else ""
        turns = self.model_turns()  # read once: the stored turn's images are loaded from the home on each read
        if len(figures) > 1 and self.text and len(figures) == len(self.outputs):
            # several images with text between them: shown in the order the model sent them
            body, text = "".join(f'<div style="color:#444;margin:4px 0">{html.escape(_short(x, 2000))}</div>'
                                 if isinstance(x, str) else _figure(x) for x in self._interleaved(turns)), ""
        if len(figures) < len(self.outputs):
            missing = len(self.outputs) - len(figures)
            body += (f'<div style="padding:8px 12px;border-left:4px solid #b00020;background:#fafafa">'
                     f'<b>unreadable image</b>: {missing} of {len(self.outputs)} image(s) cannot be decoded '
                     f'({html.escape("; ".join(self.unreadable) or "cannot be shown")})</div>')
        elif not figures:
            colour = {"blocked": "#b00020", "error": "#b00020"}.get(self.status, "#8a6d00")
            body = (
                f'<div style="padding:8px 12px;border-left:4px solid {colour};background:#fafafa">'
                f'<b>{html.escape(self.status)}</b>: {html.escape(self.reason or "no image")}</div>'
            )
        errors = "".join(f'<div style="color:#b00020">{html.escape(e)}</div>' for e in self.errors)
        return (
            f'<div class="flash-image-result {NO_MATH}">{body}'
            f'<div style="font-family:monospace;font-size:12px;color:#555">{html.escape(self.caption())}</div>'
            f"{text}{thoughts_html(turns)}{grounding_html(self.grounding)}{errors}</div>"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no image bytes)."""
        return {
            "status": self.status, "reason": self.reason, "model": self.model, "backend": self.backend,
            "operation": self.operation, "prompt": self.prompt, "text": self.text, "usage": dict(self.usage),
            "cost_usd": self.cost_usd, "list_cost_usd": self.list_cost_usd, "latency_s": self.latency_s,
            "cached": self.cached, "key": self.key, "keys": self.keys, "response_id": self.response_id,
            "paths": self.paths, "n_images": len(self.outputs), "errors": list(self.errors),
            "attempts": self.attempts, "created": self.created, "thoughts": self.thoughts,
            "n_thought_images": len(self.thought_images), "grounding": self.grounding,
        }


def _get_model_turn(self: Result) -> Turn | None:
    if self._turn is None and self._turn_loader is not None:
        return self._turn_loader()
    return self._turn


def _set_model_turn(self: Result, turn: Turn | None) -> None:
    self._turn, self._turn_loader = turn, None


# ``model_turn`` stays a constructor argument and an attribute, read through this property (see defer_turn)
setattr(Result, "model_turn", property(  # noqa: B010 (mypy keeps the field's type: Turn | None)
    _get_model_turn, _set_model_turn, doc="The model's turn as received (for continuing a chat), or None."))


def combine(results: Sequence[Result], errors: Sequence[str], latency_s: float) -> Result:
    """One Result holding the images of several (``n > 1``): usage and costs add up, latency is wall time."""
    first = results[0]
    usage: dict[str, int] = {}
    for r in results:
        for k, v in r.usage.items():
            usage[k] = usage.get(k, 0) + v
    outputs = [o for r in results for o in r.outputs]
    if errors:
        status = "error" if outputs else results[0].status
    elif outputs:
        status = "ok"
    else:
        status = first.status
    reasons = [r.reason for r in results if r.reason]
    combined = Result(
        status=status, model=first.model, backend=first.backend, operation=first.operation,
        prompt=first.prompt, text="\n".join(r.text for r in results if r.text), reason="; ".join(reasons) or None,
        usage=usage, cost_usd=sum(r.cost_usd for r in results),
        list_cost_usd=sum(r.list_cost_usd for r in results), latency_s=latency_s,
        cached=all(r.cached for r in results), key=first.key, response_id=first.response_id, outputs=outputs,
        model_turn=first._turn, request=first.request, attempts=max(r.attempts for r in results),
        created=first.created, errors=list(errors), parts=list(results), metadata=first.metadata,
        source=first.source if all(r.source == first.source for r in results) else None, grounding=first.grounding,
    )
    if first._turn_loader is not None:
        combined.defer_turn(first._turn_loader)
    return combined


def thumbnail_data_uri(img: Image.Image, max_side: int = 512) -> str:
    """A small JPEG (PNG when transparent) data URI: keeps notebooks light."""
    thumb = img.copy()
    thumb.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    if thumb.mode in ("RGBA", "LA", "P"):
        thumb.save(buf, "PNG")
        mime = "image/png"
    else:
        thumb.convert("RGB").save(buf, "JPEG", quality=85)
        mime = "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode()}"


def _thought_text(turns: Sequence[Turn]) -> str:
    return "\n\n".join(p.text for turn in turns for p in turn.parts if p.thought and isinstance(p, TextPart) and p.text)


def _thought_images(turns: Sequence[Turn]) -> list[Image.Image]:
    return [img for turn in turns for p in turn.parts
            if p.thought and isinstance(p, ImagePart) and (img := _decode(p.data)) is not None]


def thoughts_html(turns: Sequence[Turn]) -> str:
    """The thoughts of model turns, collapsed (``<details>``): escaped text and thumbnails of the interim images
    ("" when there are none). ``Result.model_turns()`` gives a Result's turns."""
    thoughts, images = _thought_text(turns), _thought_images(turns)
    if not thoughts and not images:
        return ""
    label = "Thoughts" + (f" ({len(images)} interim image{'s' if len(images) > 1 else ''})" if images else "")
    text = (f'<div style="white-space:pre-wrap;color:#555">{html.escape(_short(thoughts, 4000))}</div>'
            if thoughts else "")
    return (f'<details class="flash-image-thoughts" style="margin-top:4px"><summary>{label}</summary>'
            f'{text}{"".join(_figure(img, 256) for img in images)}</details>')


def _decode(data: bytes) -> Image.Image | None:
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception:  # damaged bytes: left out, never raised from a display
        return None
    return img


def _figure(img: Image.Image, max_side: int = 512) -> str:
    """An ``<img>`` thumbnail of ``img`` ("" when Pillow cannot re-encode it)."""
    try:
        uri = thumbnail_data_uri(img, max_side)
    except Exception:  # an image Pillow opened but cannot re-encode: the caller's placeholder says so
        return ""
    return (f'<img src="{uri}" style="max-width:{min(max_side, img.width)}px;height:auto;'
            f'border:1px solid #ddd;border-radius:4px;margin:2px"/>')


def _link(uri: str, title: str) -> str:
    """An escaped link for http(s) URIs only (a ``javascript:`` URI becomes plain text)."""
    label = html.escape(title or uri or "source")
    if not uri.lower().startswith(("https://", "http://")):
        return label
    return f'<a href="{html.escape(uri, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def grounding_html(grounding: dict[str, Any] | None) -> str:
    """Search grounding as HTML: the queries and sources as escaped text and links, and Google's search entry
    point (its own HTML, as Google asks grounded answers to show it) inside a sandboxed iframe with no scripts.

    >>> grounding_html({"web_search_queries": ["<b>q</b>"], "sources": [
    ...     {"kind": "web", "title": "x<y", "uri": "javascript:alert(1)"}]})  # doctest: +ELLIPSIS
    '...&lt;b&gt;q&lt;/b&gt;...x&lt;y...'
    """
    if not grounding:
        return ""
    queries = [*grounding.get("web_search_queries", []), *grounding.get("image_search_queries", [])]
    sources = [s for s in grounding.get("sources", []) if isinstance(s, dict)]
    bits = []
    if queries:
        bits.append("Searched: " + "; ".join(html.escape(str(q)) for q in queries))
    if sources:
        bits.append("Sources: " + " · ".join(_link(str(s.get("uri", "")), str(s.get("title", ""))) for s in sources))
    entry = grounding.get("search_entry_point")
    frame = (f'<iframe sandbox="" referrerpolicy="no-referrer" style="border:0;width:100%;height:64px" '
             f'srcdoc="{html.escape(entry, quote=True)}"></iframe>' if isinstance(entry, str) and entry else "")
    return (f'<div class="flash-image-grounding" style="font-size:12px;color:#444;margin-top:4px">'
            f'{"<br/>".join(bits)}{frame}</div>')


def _image_size(out: OutputImage) -> tuple[int, int] | None:
    """(width, height) from the header (no pixel decode); None when the bytes are not a readable image."""
    try:
        with Image.open(io.BytesIO(out.data)) as img:
            return img.size
    except Exception:
        return None


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _suffix(mime: str) -> str:
    return {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}.get(mime, ".png")


def _same_format(mime: str) -> tuple[str, ...]:
    return {"image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"), "image/webp": (".webp",)}.get(mime, ())


def _convert(data: bytes, suffix: str, meta: dict[str, Any]) -> bytes:
    from .images import embed_metadata

    fmt = {".png": ("PNG", "image/png"), ".jpg": ("JPEG", "image/jpeg"), ".jpeg": ("JPEG", "image/jpeg"),
           ".webp": ("WEBP", "image/webp")}.get(suffix)
    if fmt is None:
        raise ValueError(f"Cannot save as {suffix!r}: use .png, .jpg or .webp.")
    img: Image.Image = Image.open(io.BytesIO(data))
    if fmt[0] == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, fmt[0], **({"quality": 95} if fmt[0] != "PNG" else {}))
    return embed_metadata(buf.getvalue(), fmt[1], meta)
