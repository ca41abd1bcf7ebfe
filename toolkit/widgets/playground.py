"""Playground: prompt, model and options, optional input images, Generate, and a gallery of results."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..studio import Studio
from .base import App, ImageUpload, gallery_box, thumbs_row
from .logic.backend_options import backend_choices, models_for_backend
from .logic.cards import card_html, estimate_html
from .logic.model_options import (
    AUTO,
    MODEL_DEFAULT,
    OFF,
    aspect_ratio_choices,
    grounding_choices,
    grounding_value,
    keep_or_default,
    model_choices,
    model_info,
    option_value,
    size_choices,
    thinking_choices,
    tier_choices,
)
from .logic.notices import describe_result

if TYPE_CHECKING:
    from ..images import InputImage
    from ..result import Result
    from .cost import CostMeter

_WIDE = {"description_width": "initial"}


class Playground(App):
    """Generate images from a prompt, with the model, aspect ratio, size and count as controls.

    The aspect-ratio and size dropdowns follow the selected model. Uploaded images are sent with the
    prompt (one image: an edit; several: a fusion). Every call adds cards to the gallery (newest
    first, at most ``gallery_size``) with status, reason, dollars and seconds, and refreshes the meter.

    Streaming: with "Stream" ticked (the default on backends that stream: Gemini, Vertex AI, offline) and
    one image, the reply text appears in ``stream_text`` as it arrives while a placeholder card holds the
    image's place; the image card replaces it when the Result lands. The deltas are written from the
    Studio's background thread while the click handler waits for the Result: ipywidgets sends trait
    changes from any thread (ipykernel's IOPub is thread-safe), which is what lets them show during
    the call instead of all at once afterwards.

    Parameters
    ----------
    studio : toolkit.Studio
    models : sequence of str, optional
        Model ids to offer; default: every registry model not past its shutdown date, plus the Studio's.
    meter : CostMeter, optional
        Share a meter between apps; by default the app makes its own.
    gallery_size : int
        Cards kept in the gallery (older ones are dropped from view; ``results`` keeps every Result).
    thumb_side : int
        Longest side of gallery thumbnails in pixels.

    Attributes
    ----------
    prompt : ipywidgets.Textarea
    model, aspect_ratio, image_size : ipywidgets.Dropdown
        Values are a model id; an aspect ratio ("16:9") or ``"auto"``; a size ("1K") or ``"default"``
        (the model's default size). The aspect ratio and size options follow the model.
    n : ipywidgets.IntSlider
        Images per call, 1 to 8 (sent as concurrent requests).
    upload : ImageUpload
        Input images (several allowed); ``inputs`` holds the loaded images, ``clear_inputs_button`` empties it.
    generate_button : ipywidgets.Button
    stream : ipywidgets.Checkbox
        Stream the reply text (ignored when more than one image is asked for; disabled on backends that
        cannot stream).
    stream_text : ipywidgets.Textarea
        The reply text of the current call, as it arrives (hidden until the first streamed call).
    estimate : ipywidgets.HTML
        What the next call would cost.
    gallery : ipywidgets.Box
        The cards (``ipywidgets.HTML``), newest first.
    message : ipywidgets.HTML
    meter : CostMeter
    results : list of Result
        Every Result of this app, oldest first.

    Examples
    --------
    >>> app = Playground(studio)                    # in a notebook, end a cell with ``app`` to show it
    >>> app.prompt.value = "a lighthouse at dusk"
    >>> app.n.value = 3; app.generate_button.click()
    >>> app.results[-1].status, len(app.results[-1].images), len(app.gallery.children)
    ('ok', 3, 3)
    >>> app.n.value = 1; app.aspect_ratio.value = "16:9"; app.generate_button.click()
    >>> app.results[-1].image.width > app.results[-1].image.height, app.meter.stats.calls
    (True, 4)
    """

    def __init__(self, studio: Studio, *, models: Sequence[str] | None = None, meter: CostMeter | None = None,
                 gallery_size: int = 12, thumb_side: int = 256) -> None:
        super().__init__(studio, meter)
        self.gallery_size = gallery_size
        self.thumb_side = thumb_side
        self.results: list[Result] = []
        self.inputs: list[InputImage] = []

        self.prompt = widgets.Textarea(placeholder="Describe the image, or the edit to make to the input images",
                                       rows=3, layout=widgets.Layout(width="100%"), continuous_update=False)
        self._models_arg = models
        self._studios = {studio.backend.kind: studio}  # switching back reuses the same Studio (and its spend)
        self.backend = widgets.Dropdown(options=backend_choices(studio.backend.kind),
                                        value=studio.backend.kind, description="Backend", style=_WIDE,
                                        layout=widgets.Layout(width="300px"))
        choices = model_choices(models, current=studio.model.id)
        self.model = widgets.Dropdown(options=choices, value=studio.model.id, description="Model", style=_WIDE,
                                      layout=widgets.Layout(width="390px"))
        self.aspect_ratio = widgets.Dropdown(description="Aspect ratio", style=_WIDE,
                                             layout=widgets.Layout(width="290px"))
        self.image_size = widgets.Dropdown(description="Size", style=_WIDE, layout=widgets.Layout(width="220px"))
        self.thinking_level = widgets.Dropdown(description="Thinking", style=_WIDE,
                                               layout=widgets.Layout(width="250px"))
        self.include_thoughts = widgets.Checkbox(description="Show thoughts", indent=False,
                                                 layout=widgets.Layout(width="130px"))
        self.grounding = widgets.Dropdown(description="Search", style=_WIDE, layout=widgets.Layout(width="290px"))
        self.service_tier = widgets.Dropdown(description="Tier", style=_WIDE, layout=widgets.Layout(width="200px"))
        self.n = widgets.IntSlider(value=1, min=1, max=8, description="Images", style=_WIDE)
        self.upload = ImageUpload(multiple=True, description="Input images")
        self.clear_inputs_button = widgets.Button(description="Clear inputs", icon="times",
                                                  layout=widgets.Layout(width="auto"))
        self.inputs_view = widgets.HBox()
        self.generate_button = widgets.Button(description="Generate", button_style="primary", icon="image")
        self.stream = widgets.Checkbox(description="Stream", indent=False, layout=widgets.Layout(width="90px"))
        self.stream_text = widgets.Textarea(disabled=True, rows=3, description="Reply", style=_WIDE,
                                            layout=widgets.Layout(width="100%", display="none"))
        self._placeholder: widgets.HTML | None = None
        self._update_stream_option()
        self.estimate = widgets.HTML()
        self.gallery = gallery_box()
        self._cards: list[widgets.HTML] = []

        self._update_model_options()
        self.model.observe(self._on_model, "value")
        self.backend.observe(lambda change: self._guard(lambda: self.switch_backend(change["new"])), "value")
        for w in (self.aspect_ratio, self.image_size, self.n, self.prompt, self.thinking_level, self.grounding,
                  self.service_tier):
            w.observe(lambda _change: self._update_estimate(), "value")
        self.upload.observe(self._on_upload, "value")
        self.clear_inputs_button.on_click(lambda _b: self.set_inputs([]))
        self.generate_button.on_click(lambda _b: self.generate())
        self._update_estimate()

        self.children = [
            self.meter,
            self.prompt,
            widgets.HBox([self.backend, self.model, self.aspect_ratio, self.image_size],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.thinking_level, self.include_thoughts, self.grounding, self.service_tier],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            widgets.HBox([self.n, self.upload, self.clear_inputs_button]),
            self.inputs_view,
            widgets.HBox([self.generate_button, self.stream, self.estimate],
                         layout=widgets.Layout(align_items="center")),
            self.stream_text,
            self.message,
            self.gallery,
        ]

    # -- actions --------------------------------------------------------------------------------------
    def generate(self) -> Result | None:
        """Send the current prompt and options (what the Generate button does); None when the call failed."""
        result = self._run([self.generate_button], self._generate, busy="Generating…")
        self._update_estimate()
        return result

    def _generate(self) -> Result:
        options = self._options()
        streaming = self.stream.value and not self.stream.disabled and options["n"] == 1
        extra: dict[str, Any] = {}
        if streaming:
            self._start_stream()
            extra["on_text"] = self._on_delta
        try:
            result = self.studio.generate(self.prompt.value, images=list(self.inputs) or None, **options, **extra)
        except BaseException:
            if self._placeholder is not None:  # no image is coming: take the placeholder down
                self._placeholder = None
                self.gallery.children = tuple(self._cards)
            raise
        self.results.append(result)
        self._add_cards(result)  # replaces the placeholder in one update
        self.show(describe_result(result))
        return result

    def set_inputs(self, images: Sequence[Any]) -> None:
        """Replace the input images (anything :func:`toolkit.load_image` accepts; ``[]`` clears them)."""
        from ..images import load_image

        self.inputs = [load_image(im, max_side=self.studio.max_input_side) for im in images]
        labels = [f"input {i}" for i in range(1, len(self.inputs) + 1)]
        self.inputs_view.children = thumbs_row(self.inputs, labels, 96)
        self._update_estimate()

    # -- handlers -------------------------------------------------------------------------------------
    def switch_backend(self, kind: str) -> None:
        """Use another backend (what the Backend dropdown does): a Studio on the same home and budget.

        A missing key or an unknown backend shows as a message and leaves the current backend in place.
        """
        if kind == self.studio.backend.kind:
            return
        studio = self._studios.get(kind)
        if studio is None:
            try:
                # same home, Budget and session: the switch never starts a second cap
                studio = Studio.from_engine(self.studio.engine.sibling(kind), gemini_api=self.studio.gemini_api)
            except Exception:
                self.backend.value = self.studio.backend.kind  # put the dropdown back, then say why
                raise
            self._studios[kind] = studio
        self.studio = studio
        self.meter.studio = studio
        self._update_stream_option()
        allowed = models_for_backend(kind, self._models_arg)
        current = self.model.value if allowed is None or self.model.value in allowed else None
        self.model.options = model_choices(allowed, current=current)
        if current is not None:
            self.model.value = current
        self._update_model_options()
        self._update_estimate()
        self.meter.refresh()

    def _on_model(self, _change: Any) -> None:
        self._update_model_options()
        self._update_estimate()

    def _update_model_options(self) -> None:
        info = model_info(self.model.value)
        ars = aspect_ratio_choices(info)
        sizes, enabled = size_choices(info)
        keep_ar = keep_or_default(self.aspect_ratio.value, ars, AUTO)
        keep_size = keep_or_default(self.image_size.value, sizes, MODEL_DEFAULT)
        self.aspect_ratio.options = ars
        self.aspect_ratio.value = keep_ar
        self.image_size.options = sizes
        self.image_size.value = keep_size
        self.image_size.disabled = not enabled
        takes = self.studio.engine.spec.options  # what this backend can send (the offline one cannot search)
        for name, dropdown, (choices, able) in (("thinking_level", self.thinking_level, thinking_choices(info)),
                                                ("grounding", self.grounding, grounding_choices(info)),
                                                ("service_tier", self.service_tier, tier_choices(info))):
            able = able and name in takes
            keep = keep_or_default(dropdown.value, choices, choices[0][1]) if able else choices[0][1]
            dropdown.options = choices
            dropdown.value = keep
            dropdown.disabled = not able
            dropdown.tooltip = "" if able else (f"{info.id} has no such option" if name in takes else
                                                f"the {self.studio.backend.kind} backend cannot send it")
        self.include_thoughts.disabled = not info.thinking or "include_thoughts" not in takes

    def _on_upload(self, change: Any) -> None:
        self._take_upload(change, lambda loaded: self.set_inputs([*self.inputs, *loaded]))

    def _update_estimate(self) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. a shut-down model: said once, by the Generate click
                est = self.studio.estimate(self.prompt.value or " ", images=list(self.inputs) or None,
                                           **self._options())
        except Exception:  # an estimate is a hint: an invalid combination is reported when Generate is clicked
            self.estimate.value = ""
            return
        self.estimate.value = (f'<span style="font-size:12px;color:#555">'
                               f"{estimate_html(est, self.studio.backend.kind)}</span>")

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"aspect_ratio": option_value(self.aspect_ratio.value),
                                   "image_size": option_value(self.image_size.value), "n": self.n.value,
                                   "model": self.model.value}
        # the newer options are sent only when set, so a backend that lacks one is not asked for it
        if self.thinking_level.value not in (OFF, None):
            options["thinking_level"] = self.thinking_level.value
        if self.include_thoughts.value and not self.include_thoughts.disabled:
            options["include_thoughts"] = True
        if grounding_value(self.grounding.value) is not None:
            options["grounding"] = grounding_value(self.grounding.value)
        if self.service_tier.value not in ("standard", None):
            options["service_tier"] = self.service_tier.value
        return options

    def _add_cards(self, result: Result) -> None:
        count = max(1, len(result.outputs))
        new = [widgets.HTML(card_html(result, i, thumb_side=self.thumb_side)) for i in range(count)]
        self._cards = (new + self._cards)[: self.gallery_size]
        self._placeholder = None
        self.gallery.children = tuple(self._cards)

    # -- streaming ------------------------------------------------------------------------------------
    def _update_stream_option(self) -> None:
        able = self.studio.can_stream
        self.stream.value = able
        self.stream.disabled = not able
        self.stream.tooltip = ("Show the reply text as it arrives" if able
                               else f"The {self.studio.backend.kind} backend does not stream")

    def _start_stream(self) -> None:
        self.stream_text.value = ""
        self.stream_text.layout.display = ""
        side = min(self.thumb_side, 160)
        self._placeholder = widgets.HTML(
            f'<div class="toolkit-placeholder" style="width:{side}px;height:{side}px;margin:4px;border:2px dashed '
            f'#bbb;border-radius:6px;display:flex;align-items:center;justify-content:center;color:#888;'
            f'font-size:12px">drawing…</div>')
        self.gallery.children = (self._placeholder, *self._cards)

    def _on_delta(self, text: str) -> None:
        # Called on the Studio's runner thread (see the class docstring); one trait update per delta.
        self.stream_text.value = self.stream_text.value + text
