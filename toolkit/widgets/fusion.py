"""FusionBoard: place objects (a product, a pet) into a scene, with the prompt derived from the placement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import InputError
from .base import App, ImageUpload, thumbs_row
from .logic.cards import card_html
from .logic.images import jpeg_bytes, thumbnail
from .logic.notices import Notice, describe_result
from .logic.placement import CUSTOM_POSITION, POSITIONS, fusion_prompt, placement_preview

if TYPE_CHECKING:
    from PIL import Image

    from ..images import InputImage
    from ..result import Result
    from ..studio import Studio
    from .cost import CostMeter

_WIDE = {"description_width": "initial"}


class FusionBoard(App):
    """Fuse several images: the first is the scene, the later ones are objects to place in it.

    Position (a named place or x/y sliders) and scale turn into the derived prompt, shown live and
    read-only; ``extra`` text is appended. The preview is a local mock-up of the placement; the model
    decides the final composition (the offline simulator places objects by its own rule).

    Parameters
    ----------
    studio : toolkit.Studio
    images : list of images, optional
        Scene first, then objects (anything :func:`toolkit.load_image` accepts); or upload them.
    model, aspect_ratio, image_size : str, optional
        Passed to ``studio.fuse``.
    meter : CostMeter, optional
    thumb_side : int
        Longest side of the result card's image.

    Attributes
    ----------
    upload : ImageUpload
        Uploads are added after the current images; ``clear_button`` empties the list.
    images : list of InputImage
    position : ipywidgets.Dropdown
        A key of :data:`toolkit.widgets.logic.placement.POSITIONS` or ``"custom (x/y sliders)"``.
    x, y : ipywidgets.FloatSlider
        The object's centre, 0..1 across and down. Choosing a named position moves them; moving them
        switches the position to custom.
    scale : ipywidgets.FloatSlider
        The object's height as a share of the scene's height.
    extra : ipywidgets.Text
    derived_prompt : ipywidgets.Textarea
        Read-only; what :meth:`fuse` sends.
    preview : ipywidgets.Image
    fuse_button : ipywidgets.Button
    result_view : ipywidgets.HTML
        The last result as a card.
    result : Result or None
    results : list of Result
    message : ipywidgets.HTML
    meter : CostMeter

    Examples
    --------
    >>> fb = FusionBoard(studio, images=[tk.sample("coffee"), tk.sample("cat")])
    >>> fb.position.value = "left"; fb.scale.value = 0.5
    >>> (fb.x.value, fb.y.value), "on the left side" in fb.derived_prompt.value
    ((0.22, 0.6), True)
    >>> fb.fuse_button.click()
    >>> fb.result.status
    'ok'
    """

    def __init__(self, studio: Studio, images: Sequence[Any] | None = None, *, model: str | None = None,
                 aspect_ratio: str | None = None, image_size: str | None = None, meter: CostMeter | None = None,
                 thumb_side: int = 420) -> None:
        super().__init__(studio, meter)
        self.options: dict[str, Any] = {"model": model, "aspect_ratio": aspect_ratio, "image_size": image_size}
        self.thumb_side = thumb_side
        self.images: list[InputImage] = []
        self.result: Result | None = None
        self.results: list[Result] = []
        self._small: list[Image.Image] = []  # preview-sized copies: redrawing while a slider moves stays quick
        self._syncing = False

        self.upload = ImageUpload(multiple=True, description="Add images")
        self.clear_button = widgets.Button(description="Clear images", icon="times", layout=widgets.Layout(width="auto"))
        self.images_view = widgets.HBox()
        start = "bottom centre"
        self.position = widgets.Dropdown(options=[*POSITIONS, CUSTOM_POSITION], value=start,
                                         description="Position", style=_WIDE)
        sx, sy = POSITIONS[start]
        self.x = widgets.FloatSlider(value=sx, min=0.0, max=1.0, step=0.01, description="x (across)", style=_WIDE)
        self.y = widgets.FloatSlider(value=sy, min=0.0, max=1.0, step=0.01, description="y (down)", style=_WIDE)
        self.scale = widgets.FloatSlider(value=0.35, min=0.05, max=1.0, step=0.01,
                                         description="Scale (share of scene height)", style=_WIDE,
                                         layout=widgets.Layout(width="420px"))
        self.extra = widgets.Text(placeholder="Anything else, e.g. 'make it look like evening'",
                                  description="Extra", layout=widgets.Layout(width="100%"))
        self.derived_prompt = widgets.Textarea(disabled=True, rows=4, description="Prompt",
                                               layout=widgets.Layout(width="100%"))
        self.preview = widgets.Image(format="jpeg")
        self.preview_label = widgets.HTML('<span style="font-size:11px;color:#777">Placement preview (local '
                                          "mock-up; the model composes the real image)</span>")
        self.fuse_button = widgets.Button(description="Fuse", button_style="primary", icon="object-group")
        self.result_view = widgets.HTML()

        self.position.observe(self._on_position, "value")
        for w in (self.x, self.y):
            w.observe(self._on_xy, "value")
        for w in (self.scale, self.extra):
            w.observe(lambda _c: self._update(), "value")
        self.upload.observe(self._on_upload, "value")
        self.clear_button.on_click(lambda _b: self.set_images([]))
        self.fuse_button.on_click(lambda _b: self.fuse())

        controls = widgets.VBox([self.position, self.x, self.y, self.scale])
        self.children = [
            self.meter,
            widgets.HBox([self.upload, self.clear_button]),
            self.images_view,
            widgets.HBox([controls, widgets.VBox([self.preview_label, self.preview])],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.extra,
            self.derived_prompt,
            self.fuse_button,
            self.message,
            self.result_view,
        ]
        if images:
            self._guard(lambda: self.set_images(list(images)))
        else:
            self._update()

    # -- actions --------------------------------------------------------------------------------------
    def set_images(self, images: Sequence[Any]) -> None:
        """Replace the images: the scene first, then the objects."""
        from ..images import load_image

        self.images = [load_image(im, max_side=self.studio.max_input_side) for im in images]
        self._small = [thumbnail(im.to_pil(), 360) for im in self.images]
        labels = ["scene (image 1)" if i == 0 else f"object (image {i + 1})" for i in range(len(self.images))]
        self.images_view.children = thumbs_row(self.images, labels, 110)
        self._update()

    def add_images(self, images: Sequence[Any]) -> None:
        """Add images after the current ones (the first image ever added is the scene)."""
        self.set_images([*self.images, *images])

    def fuse(self) -> Result | None:
        """Send the images and the derived prompt (what the Fuse button does); None when the call failed."""
        return self._run([self.fuse_button], self._fuse, busy="Fusing…")

    def _fuse(self) -> Result:
        if len(self.images) < 2:
            raise InputError(f"Fusion needs at least two images, the scene first and then the object(s); "
                             f"there {'is' if len(self.images) == 1 else 'are'} {len(self.images)}. Upload more.")
        result = self.studio.fuse(list(self.images), self.derived_prompt.value, **self.options)
        self.result = result
        self.results.append(result)
        self.result_view.value = card_html(result, thumb_side=self.thumb_side, title="Fused")
        self.show(describe_result(result))
        if result.ok and result.backend == "offline":
            self.show(Notice("info", "Offline simulator", "The simulator places objects by its own rule; "
                                   "position and scale reach a real model through the prompt."))
        return result

    # -- handlers -------------------------------------------------------------------------------------
    def _on_position(self, change: Any) -> None:
        where = POSITIONS.get(change["new"])
        if where is not None:
            self._syncing = True  # moving the sliders to a named place must not flip it to custom
            try:
                self.x.value, self.y.value = where
            finally:
                self._syncing = False
        self._update()

    def _on_xy(self, _change: Any) -> None:
        if not self._syncing and self.position.value != CUSTOM_POSITION:
            self.position.value = CUSTOM_POSITION  # its observer updates the prompt
        else:
            self._update()

    def _on_upload(self, change: Any) -> None:
        self._take_upload(change, self.add_images)

    def _update(self) -> None:
        if self._syncing:
            return
        self.derived_prompt.value = fusion_prompt(max(2, len(self.images)), self.position.value,
                                                        self.x.value, self.y.value, self.scale.value,
                                                        self.extra.value)
        if len(self._small) >= 2:
            img = placement_preview(self._small[0], self._small[1:], self.x.value, self.y.value,
                                          self.scale.value, max_side=300)
            self.preview.value = jpeg_bytes(img)
        else:
            self.preview.value = b""
