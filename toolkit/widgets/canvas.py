"""CanvasTutor: draw (or load a worksheet), ask a question, get the model's answer and image."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
from ipycanvas import Canvas, hold_canvas
from PIL import Image

from ..errors import InputError
from .base import App, ImageUpload
from .logic.cards import card_html
from .logic.images import draw_stroke, fit_into, png_bytes
from .logic.notices import describe_result

if TYPE_CHECKING:
    from ..images import InputImage
    from ..result import Result
    from ..studio import Studio
    from .cost import CostMeter

BACKGROUND = "#ffffff"


class CanvasTutor(App):
    """A drawing canvas and a question box: the drawing goes to the model as a PNG with the question.

    The browser canvas cannot be read back without a live page (ipycanvas ``get_image_data`` needs
    one), so every stroke and loaded image is also drawn on a server-side PIL mirror,
    :attr:`drawing`; that mirror is what is sent, and it is redrawn onto the canvas whenever a view
    (re)connects.

    Parameters
    ----------
    studio : toolkit.Studio
    width, height : int
        Canvas size in pixels.
    model, aspect_ratio, image_size : str, optional
        Passed to ``studio.generate``.
    meter : CostMeter, optional
    thumb_side : int
        Longest side of the returned image's card.

    Attributes
    ----------
    canvas : ipycanvas.Canvas
        Draw with the mouse (press, move, release).
    colour : ipywidgets.ColorPicker
    line_width : ipywidgets.IntSlider
    clear_button : ipywidgets.Button
    upload : ImageUpload
        Loads an image (e.g. a worksheet photo) onto the canvas.
    drawing : PIL.Image.Image
        The mirror of the canvas (RGB).
    question : ipywidgets.Text
    ask_button : ipywidgets.Button
    answer : ipywidgets.HTML
        The model's text.
    result_view : ipywidgets.HTML
        The returned image as a card.
    sent_png : bytes or None
        The PNG sent with the last question.
    result : Result or None
    results : list of Result
    message : ipywidgets.HTML
    meter : CostMeter

    Examples
    --------
    >>> ct = CanvasTutor(studio)
    >>> ct.draw_line([(60, 300), (250, 60), (440, 300), (60, 300)])
    >>> ct.drawing.getpixel((250, 60))
    (0, 0, 0)
    >>> ct.question.value = "What shape is this? Redraw it as a painting."
    >>> ct.ask_button.click()
    >>> ct.result.status, ct.sent_png[:4], "offline simulator" in ct.answer.value
    ('ok', b'\\x89PNG', True)
    """

    def __init__(self, studio: Studio, *, width: int = 512, height: int = 384, model: str | None = None,
                 aspect_ratio: str | None = None, image_size: str | None = None, meter: CostMeter | None = None,
                 thumb_side: int = 384) -> None:
        super().__init__(studio, meter)
        self.options: dict[str, Any] = {"model": model, "aspect_ratio": aspect_ratio, "image_size": image_size}
        self.thumb_side = thumb_side
        self.drawing = Image.new("RGB", (width, height), BACKGROUND)
        self.sent_png: bytes | None = None
        self.result: Result | None = None
        self.results: list[Result] = []
        self._last: tuple[float, float] | None = None

        self.canvas = Canvas(width=width, height=height,
                             layout=widgets.Layout(width=f"{width}px", height=f"{height}px", border="1px solid #bbb"))
        self.colour = widgets.ColorPicker(value="#000000", concise=True, description="Pen",
                                          layout=widgets.Layout(width="110px"))
        self.line_width = widgets.IntSlider(value=4, min=1, max=30, description="Width",
                                            layout=widgets.Layout(width="260px"))
        self.clear_button = widgets.Button(description="Clear", icon="eraser", layout=widgets.Layout(width="auto"))
        self.upload = ImageUpload(multiple=False, description="Load image")
        self.question = widgets.Text(placeholder="Ask about your drawing, e.g. 'What shape is this? Redraw it neatly.'",
                                     layout=widgets.Layout(width="100%"), continuous_update=False)
        self.ask_button = widgets.Button(description="Ask", button_style="primary", icon="question")
        self.answer = widgets.HTML()
        self.result_view = widgets.HTML()

        self.canvas.on_mouse_down(self._on_down)
        self.canvas.on_mouse_move(self._on_move)
        self.canvas.on_mouse_up(self._on_up)
        self.canvas.on_mouse_out(self._on_up)
        self.canvas.on_client_ready(self._sync_canvas)
        self.clear_button.on_click(lambda _b: self.clear())
        self.upload.observe(self._on_upload, "value")
        self.ask_button.on_click(lambda _b: self.ask())

        self.children = [
            self.meter,
            widgets.HBox([self.colour, self.line_width, self.clear_button, self.upload],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            self.canvas,
            widgets.HBox([self.question, self.ask_button]),
            self.message,
            self.answer,
            self.result_view,
        ]
        self._sync_canvas()

    # -- drawing --------------------------------------------------------------------------------------
    def draw_line(self, points: Sequence[tuple[float, float]], colour: str | None = None,
                  width: int | None = None) -> None:
        """Draw a polyline through ``points`` (canvas pixels) on the canvas and its mirror.

        ``colour`` and ``width`` default to the pen controls. One point draws a dot.
        """
        pts = [(float(x), float(y)) for x, y in points]
        if not pts:
            return
        colour = colour or self.colour.value
        width = int(width or self.line_width.value)
        draw_stroke(self.drawing, pts, colour, width)
        with hold_canvas():
            self.canvas.stroke_style = colour
            self.canvas.fill_style = colour
            self.canvas.line_width = width
            self.canvas.line_cap = "round"
            self.canvas.line_join = "round"
            if len(pts) > 1:
                self.canvas.stroke_lines(pts)
            else:
                self.canvas.fill_circle(pts[0][0], pts[0][1], width / 2)

    def clear(self) -> None:
        """Wipe the canvas to white."""
        self.drawing = Image.new("RGB", self.drawing.size, BACKGROUND)
        self._sync_canvas()

    def load_image(self, image: Any) -> None:
        """Put an image on the canvas, scaled to fit (anything :func:`toolkit.load_image` accepts)."""
        from ..images import load_image

        pil = load_image(image, max_side=self.studio.max_input_side).to_pil()
        self.drawing, _ = fit_into(pil, self.drawing.size, BACKGROUND)
        self._sync_canvas()

    def png(self) -> bytes:
        """The drawing as PNG bytes (what :meth:`ask` sends)."""
        return png_bytes(self.drawing)

    # -- asking ---------------------------------------------------------------------------------------
    def ask(self) -> Result | None:
        """Send the drawing and the question (what the Ask button does); None when the call failed."""
        return self._run([self.ask_button], self._ask, busy="Thinking…")

    def _ask(self) -> Result:
        question = self.question.value.strip()
        if not question:
            raise InputError("Type a question about the drawing first.")
        self.sent_png = self.png()
        result = self.studio.generate(question, images=[self.sent_png], **self.options)
        self.result = result
        self.results.append(result)
        text = result.text or "(no text in the answer)"
        self.answer.value = (f'<div style="white-space:pre-wrap;border-left:3px solid #1f5fa8;padding:4px 8px;'
                             f'font-size:14px;line-height:1.4">{html.escape(text)}</div>')
        self.result_view.value = card_html(result, thumb_side=self.thumb_side, title="Answer image",
                                                 show_text=False)
        self.show(describe_result(result))
        return result

    # -- handlers -------------------------------------------------------------------------------------
    def _on_down(self, x: float, y: float) -> None:
        self._last = (x, y)
        self.draw_line([(x, y)])

    def _on_move(self, x: float, y: float) -> None:
        if self._last is None:
            return
        self.draw_line([self._last, (x, y)])
        self._last = (x, y)

    def _on_up(self, x: float, y: float) -> None:
        self._last = None

    def _sync_canvas(self) -> None:
        # Canvas drawings are messages, not state: a view that connects later (or reloads) starts blank,
        # so the whole mirror is pushed again.
        with hold_canvas():
            self.canvas.clear()
            self.canvas.put_image_data(np.asarray(self.drawing.convert("RGB")), 0, 0)

    def _on_upload(self, change: Any) -> None:
        def consume(images: list[InputImage]) -> None:
            if images:
                self.load_image(images[0])

        self._take_upload(change, consume)
