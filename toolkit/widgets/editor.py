"""Editor: edit one image step by step, with presets, click-to-target, undo/redo, before/after and download."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from ipyevents import Event
from PIL import Image

from ..errors import InputError
from .base import App, ImageUpload, set_image
from .logic.edits import (
    PRESETS,
    EditHistory,
    click_to_pixels,
    download_link_html,
    edit_prompt,
    hotspot_phrase,
    mark_point,
)
from .logic.images import jpeg_bytes, thumbnail
from .logic.notices import Notice, describe_result

if TYPE_CHECKING:
    from ..images import InputImage
    from ..result import OutputImage, Result
    from ..studio import Studio
    from .cost import CostMeter


@dataclass(frozen=True)
class _State:
    """One step of the edit stack: what the next edit sends, its pixels, and the call that made it."""

    source: InputImage | OutputImage  # sent as is, so a step's bytes (and cache key) never change
    image: Image.Image
    result: Result | None


_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


class Editor(App):
    """Edit an image with plain-language instructions, one step at a time.

    Each edit sends the *current* image to ``studio.edit``; the steps form a stack you can undo and
    redo (undoing and re-applying the same instruction replays from the cache for $0). Click the image
    (or call :meth:`click_at`) to target the next edit at a point: the instruction then gets the point
    in pixels and as fractions of the width and height.

    Parameters
    ----------
    studio : toolkit.Studio
    image : optional
        The image to start from (anything :func:`toolkit.load_image` accepts); or upload one.
    model, aspect_ratio, image_size : str, optional
        Passed to every ``studio.edit`` call (default: the Studio's model; the input's shape; the default size).
    meter : CostMeter, optional
    view_side : int
        Longest side of the before/after views in pixels.

    Attributes
    ----------
    upload : ImageUpload
        Uploading an image starts over from it.
    instruction : ipywidgets.Text
    presets : dict of str to ipywidgets.Button
        One-click edits (see :data:`toolkit.widgets.logic.edits.PRESETS`).
    apply_button, undo_button, redo_button, clear_point_button : ipywidgets.Button
    hotspot : tuple of int or None
        The clicked point ``(x, y)`` in pixels of the current image; used by the next edit, then cleared.
    compare : ipywidgets.HBox
        Before (the original, or the previous step: ``compare_with``) and after, side by side. The after
        view (``image_view``) is the one to click.
    download : ipywidgets.Button
        Makes ``download_link`` (an HTML link to the current image). The link is built on demand, so a
        saved notebook does not carry a copy of every step's image.
    download_link : ipywidgets.HTML
    history : list of Result
        The edits that produced the current image, in order.
    current, original : PIL.Image.Image or None
    message : ipywidgets.HTML
    meter : CostMeter

    Examples
    --------
    >>> ed = Editor(studio, image=tk.sample("cat"))
    >>> ed.presets["Black and white"].click()
    >>> ed.click_at(120, 80)  # doctest: +ELLIPSIS
    'at the point (x=120, y=80) of the ... image, ...'
    >>> ed.instruction.value = "Add a hat"
    >>> ed.apply_button.click()
    >>> [r.status for r in ed.history], ed.hotspot
    (['ok', 'ok'], None)
    >>> ed.undo_button.click()
    >>> len(ed.history), ed.can_redo
    (1, True)
    >>> ed.save(f"{home}/cat-bw.png").name
    'cat-bw.png'
    """

    def __init__(self, studio: Studio, image: Any = None, *, model: str | None = None,
                 aspect_ratio: str | None = None, image_size: str | None = None, meter: CostMeter | None = None,
                 view_side: int = 420) -> None:
        super().__init__(studio, meter)
        self.options: dict[str, Any] = {"model": model, "aspect_ratio": aspect_ratio, "image_size": image_size}
        self.view_side = view_side
        self.hotspot: tuple[int, int] | None = None
        self._steps = EditHistory[_State]()
        self._shown_size: tuple[int, int] | None = None

        self.upload = ImageUpload(multiple=False, description="Upload image")
        self.instruction = widgets.Text(placeholder="Describe the edit, e.g. 'Blur the background'",
                                        layout=widgets.Layout(width="100%"), continuous_update=False)
        self.apply_button = widgets.Button(description="Apply", button_style="primary", icon="magic")
        self.presets = {name: widgets.Button(description=name, tooltip=text, layout=widgets.Layout(width="auto"))
                        for name, text in PRESETS.items()}
        self.undo_button = widgets.Button(description="Undo", icon="undo", disabled=True)
        self.redo_button = widgets.Button(description="Redo", icon="repeat", disabled=True)
        self.clear_point_button = widgets.Button(description="Clear point", icon="crosshairs", disabled=True)
        self.compare_with = widgets.ToggleButtons(options=["original", "previous"], value="original",
                                                  description="Before:", style={"button_width": "80px"})
        self.hotspot_label = widgets.HTML()
        self.before_label = widgets.HTML()
        self.after_label = widgets.HTML()
        self.before_view = widgets.Image(format="jpeg")
        self.image_view = widgets.Image(format="jpeg")
        self.compare = widgets.HBox([widgets.VBox([self.before_label, self.before_view]),
                                     widgets.VBox([self.after_label, self.image_view])],
                                    layout=widgets.Layout(flex_flow="row wrap"))
        self.download = widgets.Button(description="Download", icon="download",
                                       tooltip="Make a download link for the current image")
        self.download_link = widgets.HTML()
        # ipyevents reports clicks on the Image widget in the shown image's pixels (dataX/dataY).
        self.click_events = Event(source=self.image_view, watched_events=["click"])
        self.click_events.on_dom_event(self._on_click_event)

        self.apply_button.on_click(lambda _b: self.apply())
        for name, button in self.presets.items():
            button.on_click(lambda _b, text=PRESETS[name]: self.apply(text))
        self.undo_button.on_click(lambda _b: self.undo())
        self.redo_button.on_click(lambda _b: self.redo())
        self.clear_point_button.on_click(lambda _b: self.clear_point())
        self.download.on_click(lambda _b: self._guard(self.prepare_download, clear=False))
        self.compare_with.observe(lambda _c: self._refresh(), "value")
        self.upload.observe(self._on_upload, "value")

        self.children = [
            self.meter,
            self.upload,
            widgets.HBox([self.instruction, self.apply_button]),
            widgets.HBox(list(self.presets.values()), layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.undo_button, self.redo_button, self.clear_point_button, self.compare_with],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            self.hotspot_label,
            self.message,
            self.compare,
            widgets.HBox([self.download, self.download_link], layout=widgets.Layout(align_items="center")),
        ]
        if image is not None:
            self._guard(lambda: self.set_image(image))
        if not self._steps:  # no image, or a bad one: show the empty state
            self._refresh()

    # -- state ----------------------------------------------------------------------------------------
    @property
    def current(self) -> Image.Image | None:
        """The image the next edit starts from."""
        step = self._steps.current
        return step.image if step is not None else None

    @property
    def original(self) -> Image.Image | None:
        """The image the edits started from."""
        step = self._steps.original
        return step.image if step is not None else None

    @property
    def history(self) -> list[Result]:
        """Results of the edits that produced :attr:`current` (undone steps excluded)."""
        return [s.result for s in self._steps.applied if s.result is not None]

    @property
    def can_undo(self) -> bool:
        return self._steps.can_undo

    @property
    def can_redo(self) -> bool:
        return self._steps.can_redo

    # -- actions --------------------------------------------------------------------------------------
    def set_image(self, image: Any) -> None:
        """Start over from ``image`` (anything :func:`toolkit.load_image` accepts); clears undo/redo."""
        from ..images import load_image

        loaded = load_image(image, max_side=self.studio.max_input_side)
        self._steps.reset(_State(loaded, loaded.to_pil(), None))
        self.hotspot = None
        self._refresh()

    def apply(self, instruction: str | None = None) -> Result | None:
        """Edit the current image with ``instruction`` (default: the instruction box) and the clicked point.

        Returns the Result (also for blocked or no-image answers, which leave the image unchanged), or
        None when the call failed; the message box says why.
        """
        text = self.instruction.value if instruction is None else instruction
        buttons = [self.apply_button, *self.presets.values()]
        return self._run(buttons, lambda: self._apply(text), busy="Editing…")

    def _apply(self, text: str) -> Result:
        state = self._steps.current
        if state is None:
            raise InputError("There is no image to edit yet: upload one, or pass image=... to Editor.")
        prompt = edit_prompt(text, self.hotspot, state.image.size)
        result = self.studio.edit(state.source, prompt, **self.options)
        if result.outputs:
            out = result.outputs[0]
            self._steps.push(_State(out, result.images[0], result))
            self.hotspot = None
            self.show(Notice("success", f"Edit {self._steps.position} applied", f"Sent: {prompt}\n{result.text}".strip()))
        self.show(describe_result(result))
        self._refresh()
        return result

    def undo(self) -> None:
        """Go back one step (no-op at the original)."""
        if self._steps.undo():
            self.hotspot = None
            self._say_where()
            self._refresh()

    def redo(self) -> None:
        """Go forward one undone step (no-op when there is none)."""
        if self._steps.redo():
            self.hotspot = None
            self._say_where()
            self._refresh()

    def _say_where(self) -> None:
        # the message box must describe the image shown now, not the edit that was just undone
        self.clear_message()
        at, last = self._steps.position, len(self._steps) - 1
        self.show(Notice("info", "Back to the original image" if at == 0 else f"Showing edit {at} of {last}",
                         "Redo to go forward again." if at < last else ""))

    def click_at(self, x: int, y: int) -> str:
        """Target the next edit at pixel ``(x, y)`` of the current image; returns the words it adds.

        The click handler calls this with the clicked pixel; call it yourself to script the same thing.

        Raises
        ------
        InputError
            Without an image, or for a point outside it.
        """
        if self.current is None:
            raise InputError("There is no image to click on yet: upload one first.")
        w, h = self.current.size
        if not (0 <= x < w and 0 <= y < h):
            raise InputError(f"The point ({x}, {y}) is outside the {w}x{h} image.")
        self.hotspot = (int(x), int(y))
        self._refresh()
        return hotspot_phrase(*self.hotspot, (w, h))

    def clear_point(self) -> None:
        """Forget the clicked point."""
        self.hotspot = None
        self._refresh()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the current image; edited steps keep their generation metadata (see ``Result.save``).

        The suffix picks the format (.png, .jpg, .webp); without one, the image's own format is used.
        """
        state = self._steps.current
        if state is None:
            raise InputError("There is no image to save yet.")
        if state.result is not None:
            saved = state.result.save(path)
            return saved if isinstance(saved, Path) else saved[0]
        target = Path(path).expanduser()
        if not target.suffix:
            target = target.with_suffix(_EXT.get(state.source.mime, ".png"))
        target.parent.mkdir(parents=True, exist_ok=True)
        image = state.image
        if target.suffix.lower() in (".jpg", ".jpeg") and image.mode != "RGB":
            image = image.convert("RGB")
        image.save(target)
        return target

    def prepare_download(self) -> str:
        """Fill :attr:`download_link` with a link to the current image (as the model sent it); returns the HTML."""
        state = self._steps.current
        if state is None:
            raise InputError("There is no image to download yet.")
        source, pos = state.source, self._steps.position
        name = "original" if pos == 0 else f"edited-{pos}"
        link = download_link_html(source.data, source.mime, f"{name}{_EXT.get(source.mime, '.png')}")
        self.download_link.value = link
        return link

    # -- handlers -------------------------------------------------------------------------------------
    def _on_click_event(self, event: dict[str, Any]) -> None:
        def handle() -> None:
            if self.current is None or self._shown_size is None:
                return
            self.click_at(*click_to_pixels(event, self._shown_size, self.current.size))

        self._guard(handle, clear=False)  # keep the last edit's message visible while aiming the next one

    def _on_upload(self, change: Any) -> None:
        def consume(images: list[InputImage]) -> None:
            if images:
                self.set_image(images[0])

        self._take_upload(change, consume)

    def _refresh(self) -> None:
        n, pos = len(self._steps), self._steps.position
        self.undo_button.disabled = not self.can_undo
        self.redo_button.disabled = not self.can_redo
        self.clear_point_button.disabled = self.hotspot is None
        current = self._steps.current
        if current is None:
            self.before_view.value = self.image_view.value = b""
            self._shown_size = None
            self.before_label.value = self.after_label.value = ""
            self.hotspot_label.value = '<span style="color:#777">Upload an image to start.</span>'
            self.download.disabled = True
            self.download_link.value = ""
            return
        thumb = thumbnail(current.image, self.view_side)
        self._shown_size = thumb.size
        if self.hotspot is not None:
            k = thumb.width / current.image.width
            thumb = mark_point(thumb, (self.hotspot[0] * k, self.hotspot[1] * k))
        self.image_view.value = jpeg_bytes(thumb)
        before_pos = 0 if self.compare_with.value == "original" else max(0, pos - 1)
        set_image(self.before_view, self._steps[before_pos].image, self.view_side)
        w, h = current.image.size
        step = "original" if pos == 0 else f"edit {pos} of {n - 1}"
        self.before_label.value = f"<b>Before</b> ({'original' if before_pos == 0 else f'edit {before_pos}'})"
        self.after_label.value = f"<b>After</b> ({step}, {w}×{h}) · click to target an edit"
        if self.hotspot is None:
            self.hotspot_label.value = ('<span style="color:#777;font-size:12px">Tip: click the image to aim the '
                                        "next edit at a point.</span>")
        else:
            self.hotspot_label.value = (f'<span style="font-size:12px">Next edit will be aimed '
                                        f"{hotspot_phrase(*self.hotspot, (w, h))}.</span>")
        self.download.disabled = False
        self.download_link.value = ""  # a link to an older step would be wrong; the button makes a new one
