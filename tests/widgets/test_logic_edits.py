"""Editor logic (toolkit/widgets/logic/edits.py): clicks to pixels, hotspot prompts, presets, the marker,
the download link and the undo/redo history."""

from __future__ import annotations

import base64
import re

import pytest
from PIL import Image

from toolkit.simulator import edits as sim_edits
from toolkit.widgets.logic import edits


def test_click_to_pixels_scales_thumbnail_clicks_to_image_pixels():
    assert edits.click_to_pixels({"dataX": 100, "dataY": 50}, (200, 100), (400, 200)) == (200, 100)
    assert edits.click_to_pixels({"relativeX": 50, "relativeY": 25, "boundingRectWidth": 200,
                                  "boundingRectHeight": 100}, (300, 150), (400, 200)) == (100, 50)
    assert edits.click_to_pixels({"dataX": 500, "dataY": -3}, (200, 100), (400, 200)) == (399, 0)
    with pytest.raises(ValueError, match="no position"):
        edits.click_to_pixels({"type": "click"}, (1, 1), (1, 1))


def test_hotspot_phrase_and_edit_prompt():
    assert edits.edit_prompt("Add a hat.", (120, 80), (451, 300)) == (
        "Add a hat at the point (x=120, y=80) of the 451x300 image, i.e. at (0.27, 0.27) as fractions of its "
        "width and height from the top-left corner.")
    assert edits.edit_prompt(" Blur  the background ") == "Blur the background"
    assert edits.edit_prompt("", (1, 1), (2, 2)) == ""


@pytest.mark.parametrize("name", list(edits.PRESETS))
def test_every_preset_is_understood_by_the_simulator_with_and_without_a_point(name):
    for hotspot in (None, (10, 20)):
        parsed = sim_edits.parse_instruction(edits.edit_prompt(edits.PRESETS[name], hotspot, (451, 300)))
        assert parsed.ops, name
        assert not any(op.edit.key in ("rotate", "mirror", "flip vertically", "crop") for op in parsed.ops)


def test_mark_point_and_download_link():
    img = Image.new("RGB", (100, 80), "white")
    marked = edits.mark_point(img, (50, 40))
    assert marked.getpixel((50, 40)) != (255, 255, 255) and img.getpixel((50, 40)) == (255, 255, 255)
    link = edits.download_link_html(b"\x89PNG-bytes", "image/png", 'a"b.png')
    assert 'download="a&quot;b.png"' in link
    uri = re.search(r'href="data:image/png;base64,([^"]+)"', link).group(1)
    assert base64.b64decode(uri) == b"\x89PNG-bytes"


def test_edit_history_undo_redo_and_push_drops_the_undone_steps():
    h = edits.EditHistory[str]()
    assert (len(h), h.current, h.original, h.applied, h.can_undo, h.can_redo) == (0, None, None, [], False, False)
    assert not h.undo() and not h.redo()
    with pytest.raises(ValueError, match="empty"):
        h.push("x")
    h.reset("original")
    h.push("a")
    h.push("b")
    assert (h.current, h.position, h.applied, h.can_undo, h.can_redo) == ("b", 2, ["a", "b"], True, False)
    assert h.undo() and h.undo() and not h.undo()
    assert (h.current, h.applied, h.can_redo) == ("original", [], True)
    assert h.redo() and h.current == "a"
    h.push("c")  # "b" was undone: it is dropped
    assert (len(h), h[1], h[2], h.can_redo) == (3, "a", "c", False)
    h.reset("new")
    assert (len(h), h.current, h.original, h.position) == (1, "new", "new", 0)


def test_download_link_accepts_only_image_mime_types_and_escapes_attributes():
    from toolkit.widgets.logic.edits import download_link_html

    evil = 'image/png" onmouseover="alert(document.cookie)'
    page = download_link_html(b"\x89PNG", evil, 'a".png')
    assert "onmouseover" not in page
    assert 'href="data:application/octet-stream;base64,' in page and 'download="a&quot;.png"' in page
    assert 'href="data:image/png;base64,' in download_link_html(b"\x89PNG", "image/png", "a.png")
