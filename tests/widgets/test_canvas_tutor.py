"""CanvasTutor: strokes reach the PNG that is sent; the answer's text and image are shown."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import toolkit as tk
from toolkit.widgets import CanvasTutor

TRIANGLE = [(60, 300), (250, 60), (440, 300), (60, 300)]


@pytest.fixture()
def ct(studio):
    return CanvasTutor(studio, image_size="512")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_draw_line_and_ask_gives_answer_text_and_image(ct, studio, text):
    ct.draw_line(TRIANGLE, colour="#000000", width=6)
    ct.question.value = "What shape is this? Redraw it as a painting."
    ct.ask_button.click()
    assert ct.result.status == "ok" and ct.result.image is not None
    assert "[offline simulator]" in text(ct.answer) and "painting" in text(ct.answer)
    assert "<img" in ct.result_view.value
    sent = _pixels(ct.sent_png)
    assert sent.shape == (384, 512, 3)
    assert (sent[300, 250] < 50).all()      # on the bottom edge of the triangle
    assert (sent[60, 250] < 50).all()       # the apex
    assert (sent[200, 250] == 255).all()    # inside: untouched
    assert (sent[10, 10] == 255).all()
    # the PNG the model got is exactly the mirror's PNG
    assert studio.session_ledger.df.iloc[-1]["n_inputs"] == 1
    assert ct.result.request.input_images[0].data == ct.sent_png
    assert ct.meter.stats.calls == 1


def test_mouse_strokes_are_mirrored(ct):
    # what ipycanvas delivers from the browser: mouse down, moves, up
    for event, x, y in [("mouse_down", 20, 20), ("mouse_move", 120, 20), ("mouse_move", 120, 120),
                        ("mouse_up", 120, 120), ("mouse_move", 300, 300)]:
        ct.canvas._handle_frontend_event(None, {"event": event, "x": x, "y": y}, [])
    mirror = np.asarray(ct.drawing)
    assert (mirror[20, 70] < 50).all() and (mirror[70, 120] < 50).all()
    assert (mirror[200, 200] == 255).all()  # the move after mouse up drew nothing


def test_pen_controls_apply(ct):
    ct.colour.value = "#ff0000"
    ct.line_width.value = 10
    ct.draw_line([(100, 100), (200, 100)])
    assert ct.drawing.getpixel((150, 104)) == (255, 0, 0)


def test_clear_and_load_image(ct, cat_upload, bad_upload, text):
    ct.draw_line(TRIANGLE)
    ct.clear_button.click()
    assert (np.asarray(ct.drawing) == 255).all()
    ct.load_image(tk.sample("cat"))
    m = np.asarray(ct.drawing)
    assert ct.drawing.size == (512, 384) and (m[192, 256] != 255).any()
    ct.clear()
    ct.upload.value = bad_upload
    assert "That image cannot be used" in text(ct.message) and (np.asarray(ct.drawing) == 255).all()
    ct.upload.value = cat_upload
    assert (np.asarray(ct.drawing)[192, 256] != 255).any()


def test_empty_question_and_not_understood_question(ct, studio, text):
    ct.ask_button.click()
    assert "Type a question" in text(ct.message) and len(studio.session_ledger.df) == 0
    ct.question.value = "Is this a good triangle? [sim:no_image]"
    ct.ask_button.click()
    assert ct.result.status == "no_image" and "No image came back" in text(ct.message)
    assert not ct.ask_button.disabled
    ct.question.value = "Is this a good triangle?"  # beyond the simulator: an honestly marked image
    ct.ask_button.click()
    assert ct.result.status == "ok" and ct.result.reason.startswith("not simulated:")
    assert "simulator" in text(ct.answer).lower()
