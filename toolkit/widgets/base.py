"""What every app shares: the upload widget, the message box, busy buttons, and error handling."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import ipywidgets as widgets
from PIL import Image
from traitlets import validate

from .cost import CostMeter
from .logic.images import jpeg_bytes, thumbnail
from .logic.notices import Notice, describe_error, notice_html
from .logic.uploads import load_uploads, normalise_upload_entry

if TYPE_CHECKING:
    from ..images import InputImage
    from ..studio import Studio

T = TypeVar("T")


class ImageUpload(widgets.FileUpload):
    """A ``FileUpload`` for images that also accepts values set by hand.

    ipywidgets 8 fails while sending a hand-set value whose ``last_modified`` is a number or that lacks
    ``size``; this subclass fills those in (see
    :func:`toolkit.widgets.logic.uploads.normalise_upload_entry`),
    so tests and notebooks can "upload" bytes programmatically.

    Examples
    --------
    >>> from toolkit.samples import sample_path
    >>> up = ImageUpload()
    >>> up.value = ({"name": "cat.png", "content": sample_path("cat").read_bytes(), "last_modified": 0},)
    >>> up.value[0]["size"], type(up.value[0]["content"]).__name__, up.value[0]["last_modified"].year
    (240512, 'memoryview', 1970)
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("accept", "image/*")
        super().__init__(**kwargs)

    @validate("value")
    def _normalise(self, proposal: Any) -> tuple[dict[str, Any], ...]:
        return tuple(normalise_upload_entry(e) for e in proposal["value"])


def image_view(img: Image.Image | None, max_side: int, **layout: Any) -> widgets.Image:
    """An ``ipywidgets.Image`` holding a JPEG thumbnail of ``img`` (empty when None)."""
    view = widgets.Image(format="jpeg", layout=widgets.Layout(**layout))
    set_image(view, img, max_side)
    return view


def set_image(view: widgets.Image, img: Image.Image | None, max_side: int) -> tuple[int, int] | None:
    """Show a thumbnail of ``img`` in ``view``; returns the thumbnail's size (None when cleared)."""
    if img is None:
        view.value = b""
        return None
    thumb = thumbnail(img, max_side)
    view.value = jpeg_bytes(thumb)
    return thumb.size


def thumbs_row(images: Sequence[InputImage], labels: Sequence[str], max_side: int = 120) -> list[widgets.Widget]:
    """Small captioned thumbnails of input images (for upload previews)."""
    out: list[widgets.Widget] = []
    # ipywidgets gives HTML widgets a 28 px line height (one form row): multi-line captions set their own.
    for im, label in zip(images, labels, strict=True):
        view = image_view(im.to_pil(), max_side)
        cap = widgets.HTML(f'<div style="font-size:11px;line-height:1.3;color:#555;text-align:center">{label}<br>'
                           f"{im.width}×{im.height}</div>")
        out.append(widgets.VBox([view, cap], layout=widgets.Layout(margin="2px", align_items="center")))
    return out


def gallery_box() -> widgets.Box:
    """A wrapping row of cards."""
    return widgets.Box(layout=widgets.Layout(display="flex", flex_flow="row wrap", align_items="flex-start",
                                             width="100%"))


class App(widgets.VBox):
    """Base class of the apps: owns the Studio, a :class:`CostMeter` and the ``message`` box.

    Subclasses run every call through :meth:`_run`, which disables the buttons while the call runs,
    turns any exception into a readable message (never a traceback), shows warnings as notes, and
    refreshes the meter afterwards.
    """

    def __init__(self, studio: Studio, meter: CostMeter | None = None, **kwargs: Any) -> None:
        self.studio = studio
        self.meter = meter if meter is not None else CostMeter(studio)
        self.message = widgets.HTML(layout=widgets.Layout(width="100%"))
        self._notices: list[Notice] = []
        super().__init__(**kwargs)

    # -- messages -------------------------------------------------------------------------------------
    def show(self, notice: Notice | None) -> None:
        """Add a notice to the message box (None is ignored)."""
        if notice is None:
            return
        self._notices.append(notice)
        self.message.value = "".join(notice_html(n) for n in self._notices)

    def clear_message(self) -> None:
        """Empty the message box."""
        self._notices = []
        self.message.value = ""

    @property
    def notices(self) -> list[Notice]:
        """The notices currently shown (a copy), for tests and scripts."""
        return list(self._notices)

    # -- running calls --------------------------------------------------------------------------------
    def _run(self, buttons: Iterable[widgets.Button], action: Callable[[], T], busy: str = "Working…") -> T | None:
        """Run ``action`` with ``buttons`` disabled; on any exception show it and return None."""
        buttons = list(buttons)
        before = [(b, b.disabled, b.description) for b in buttons]
        for b in buttons:
            b.disabled = True
        if buttons:
            buttons[0].description = busy
        self.clear_message()
        out: T | None = None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = action()
        except Exception as exc:  # the app must survive anything a call raises; the message says what
            self.show(describe_error(exc))
            caught = []
        finally:
            for b, disabled, description in before:
                b.disabled = disabled
                b.description = description
            self._after_call()
        # The toolkit's warnings (shut-down model, downscaled input, ...) are UserWarnings meant for the
        # person clicking; library deprecations are not, so they go back to the normal warning machinery.
        for w in caught:
            if not issubclass(w.category, UserWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)))
        if notes:
            self.show(Notice("info", "Note", "\n".join(notes)))
        return out

    def _guard(self, action: Callable[[], Any], *, clear: bool = True) -> None:
        """Run a handler that makes no call (an upload, a click on the image): exceptions become messages.

        ``clear`` empties the message box first, so a new upload's outcome is not mixed with old ones.
        """
        if clear:
            self.clear_message()
        try:
            action()
        except Exception as exc:  # same contract as _run: a message, never a traceback
            self.show(describe_error(exc))

    def _take_upload(self, change: Any, consume: Callable[[list[InputImage]], Any]) -> None:
        """Load the files just uploaded and hand them to ``consume``; bad files become a message.

        The upload widget is emptied either way: the bytes live in the app, not in the widget state a
        saved notebook would carry.
        """
        if not change["new"]:
            return
        upload = change["owner"]

        def load() -> None:
            try:
                images = load_uploads(change["new"], max_side=self.studio.max_input_side)
            finally:
                upload.value = ()
            consume(images)

        self._guard(load)

    def _after_call(self) -> None:
        try:
            self.meter.refresh()
        except Exception as exc:  # a broken meter must not hide the call's own outcome
            self.show(Notice("warning", "The cost meter could not refresh", f"{type(exc).__name__}: {exc}"))
