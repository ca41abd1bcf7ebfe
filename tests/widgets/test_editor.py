"""Editor: presets, apply, undo/redo, click-to-target, compare, save and download, driven without a browser."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

import toolkit as tk
from toolkit.errors import InputError
from toolkit.widgets import Editor
from toolkit.widgets.logic import PRESETS


@pytest.fixture()
def ed(studio):
    return Editor(studio, image=tk.sample("cat"))


def _gray(img: Image.Image) -> bool:
    # Mostly gray: the simulator's coloured OFFLINE SIMULATOR stamp covers a few pixels.
    a = np.asarray(img.convert("RGB"), dtype=int)
    colourful = np.abs(a[..., 0] - a[..., 1]) + np.abs(a[..., 1] - a[..., 2]) > 8
    return bool(colourful.mean() < 0.02)


def _open(src) -> Image.Image:
    with Image.open(src) as im:
        im.load()
        return im


def test_starts_from_the_given_image(ed):
    assert ed.current.size == (451, 300) and ed.original.size == (451, 300)
    assert ed.history == [] and ed.undo_button.disabled and ed.redo_button.disabled
    assert ed.image_view.value[:2] == b"\xff\xd8" and ed.before_view.value[:2] == b"\xff\xd8"
    assert ed.download_link.value == "" and not ed.download.disabled
    assert set(PRESETS) <= set(ed.presets) and {"Blur background", "Enhance", "Warmer light", "Black and white",
                                                "Remove background", "Night time"} <= set(ed.presets)


def test_preset_edits_the_current_image(ed, studio, text):
    ed.presets["Black and white"].click()
    assert len(ed.history) == 1 and ed.history[0].status == "ok"
    assert _gray(ed.current) and not _gray(ed.original)
    row = studio.session_ledger.df.iloc[-1]
    assert row["operation"] == "edit" and row["prompt"] == PRESETS["Black and white"]
    assert "Edit 1 applied" in text(ed.message) and "black and white" in text(ed.message)
    assert not ed.undo_button.disabled and ed.redo_button.disabled
    assert ed.meter.stats.calls == 1


def test_apply_undo_redo(ed, studio):
    ed.presets["Black and white"].click()
    after_bw = ed.current
    ed.instruction.value = "Add a vignette"
    ed.apply_button.click()
    assert len(ed.history) == 2 and ed.current is not after_bw
    # each edit edits the current image: the second call got the first call's output
    second = ed.history[1].request.input_images[0]
    assert second.sha256 == ed.history[0].outputs[0].sha256

    ed.undo_button.click()
    assert ed.current is after_bw and len(ed.history) == 1 and not ed.redo_button.disabled
    assert [n.title for n in ed.notices] == ["Showing edit 1 of 2"]  # not the undone edit's "applied"
    ed.redo_button.click()
    assert len(ed.history) == 2 and ed.redo_button.disabled
    ed.redo_button.click()  # nothing to redo: a no-op, even though click() ignores `disabled`
    assert len(ed.history) == 2
    ed.undo_button.click()
    ed.undo_button.click()
    ed.undo_button.click()  # past the original: a no-op
    assert ed.current.size == (451, 300) and ed.history == [] and ed.undo_button.disabled
    assert [n.title for n in ed.notices] == ["Back to the original image"]

    ed.presets["Night time"].click()  # a new edit after undo drops the redo steps
    assert len(ed.history) == 1 and ed.redo_button.disabled
    assert len(studio.session_ledger.df) == 3


def test_undo_then_reapply_replays_from_the_cache(ed, studio):
    ed.presets["Warmer light"].click()
    ed.undo_button.click()
    ed.presets["Warmer light"].click()
    assert studio.session_ledger.df["cached"].tolist() == [False, True]


def test_click_at_targets_the_next_instruction(ed, studio, text):
    words = ed.click_at(120, 80)
    assert ed.hotspot == (120, 80)
    assert words.startswith("at the point (x=120, y=80) of the 451x300 image")
    assert "(0.27, 0.27) as fractions of its width and height" in words
    assert "Next edit will be aimed at the point (x=120, y=80)" in text(ed.hotspot_label)
    assert not ed.clear_point_button.disabled
    ed.instruction.value = "Add a hat"
    ed.apply_button.click()
    prompt = studio.session_ledger.df.iloc[-1]["prompt"]
    assert prompt.startswith("Add a hat at the point (x=120, y=80) of the 451x300 image, i.e. at (0.27, 0.27)")
    assert ed.history[-1].status == "ok"
    assert ed.hotspot is None and ed.clear_point_button.disabled  # used once


def test_click_marker_is_drawn_on_the_view(ed):
    plain = ed.image_view.value
    ed.click_at(225, 150)
    assert ed.image_view.value != plain
    ed.clear_point_button.click()
    assert ed.hotspot is None and ed.image_view.value == plain


def test_click_at_outside_the_image_raises(ed):
    with pytest.raises(InputError, match="outside the 451x300 image"):
        ed.click_at(451, 10)


def test_browser_click_events_map_to_image_pixels(ed):
    ed.view_side = 225  # the view shows a 225x150 thumbnail of the 451x300 photo
    ed.clear_point()
    # what ipyevents sends for a click on an Image widget: dataX/dataY in the shown image's pixels
    ed.click_events._handle_mouse_msg(None, {"event": "click", "dataX": 60, "dataY": 40}, [])
    assert ed.hotspot == (120, 80)
    ed.click_events._handle_mouse_msg(None, {"event": "click"}, [])  # no position: a message, no exception
    assert "no position" in ed.message.value


def test_click_before_any_image_is_harmless(studio):
    ed = Editor(studio)
    ed.click_events._handle_mouse_msg(None, {"event": "click", "dataX": 1, "dataY": 1}, [])
    assert ed.hotspot is None and ed.message.value == ""


def test_compare_shows_original_or_previous(ed, text):
    ed.presets["Black and white"].click()
    ed.presets["Cartoon"].click()
    assert "Before (original)" in text(ed.before_label) and "After (edit 2 of 2" in text(ed.after_label)
    original_view = ed.before_view.value
    ed.compare_with.value = "previous"
    assert "Before (edit 1)" in text(ed.before_label) and ed.before_view.value != original_view
    assert ed.compare.children[1].children[1] is ed.image_view  # the after pane is the clickable view


def test_save_and_download(ed, tmp_path):
    original = ed.save(tmp_path / "original")
    assert original.suffix == ".png" and _open(original).size == (451, 300)
    ed.presets["Black and white"].click()
    png = ed.save(tmp_path / "bw.png")
    jpg = ed.save(tmp_path / "bw.jpg")
    assert _open(png).format == "PNG" and _open(jpg).format == "JPEG"
    assert tk.read_metadata(png)["prompt"] == PRESETS["Black and white"]
    assert ed.download_link.value == ""  # built on demand: saved notebooks stay light
    ed.download.click()
    link = re.search(r'<a download="([^"]+)" href="data:(image/\w+);base64,([^"]+)"', ed.download_link.value)
    assert link and link.group(1) == "edited-1.jpg" and link.group(2) == "image/jpeg"
    assert base64.b64decode(link.group(3)) == ed.history[-1].outputs[0].data
    assert _gray(_open(io.BytesIO(base64.b64decode(link.group(3)))))
    ed.undo_button.click()
    assert ed.download_link.value == ""
    ed.download.click()
    assert 'download="original.png"' in ed.download_link.value


def test_save_or_download_without_an_image(studio, tmp_path, text):
    ed = Editor(studio)
    with pytest.raises(InputError):
        ed.save(tmp_path / "x.png")
    assert ed.download.disabled
    ed.download.click()  # click() ignores `disabled`: still only a message
    assert "no image to download" in text(ed.message)


def test_apply_without_image_or_with_bad_upload_shows_messages(studio, bad_upload, cat_upload, text):
    ed = Editor(studio)
    ed.instruction.value = "Blur the background"
    ed.apply_button.click()
    assert "no image to edit yet" in text(ed.message)
    ed.upload.value = bad_upload
    assert "That image cannot be used" in text(ed.message) and ed.current is None
    ed.upload.value = cat_upload
    assert ed.current.size == (451, 300) and ed.message.value == ""
    ed.apply_button.click()
    assert len(ed.history) == 1


def test_upload_starts_over(ed, cat_upload):
    ed.presets["Black and white"].click()
    ed.upload.value = cat_upload
    assert ed.history == [] and ed.undo_button.disabled and not _gray(ed.current)


def test_not_understood_instruction_keeps_the_image(ed, text):
    before = ed.current
    ed.instruction.value = "Make it fabulous [sim:no_image]"
    ed.apply_button.click()
    assert ed.current is before and ed.history == []
    assert 'No image came back (status "no_image")' in text(ed.message)


def test_buttons_are_disabled_during_the_call(ed, studio, monkeypatch):
    seen = []
    real = studio.edit

    def spy(*args, **kwargs):
        seen.append((ed.apply_button.disabled, ed.presets["Enhance"].disabled, ed.apply_button.description))
        return real(*args, **kwargs)

    monkeypatch.setattr(studio, "edit", spy)
    ed.presets["Enhance"].click()
    assert seen == [(True, True, "Editing…")]
    assert not ed.apply_button.disabled and ed.apply_button.description == "Apply"


def test_options_are_passed_to_every_edit(studio):
    ed = Editor(studio, image=tk.sample("cat"), image_size="512")
    ed.presets["Sunset"].click()
    assert studio.session_ledger.df.iloc[-1]["image_size"] == "512" and ed.current.size == (632, 424)


def test_bad_constructor_image_is_a_message(studio, text):
    ed = Editor(studio, image=b"not an image")
    assert ed.current is None and "That image cannot be used" in text(ed.message)
    assert ed.download.disabled and "Upload an image to start" in text(ed.hotspot_label)


def test_aiming_and_downloading_keep_the_last_edit_message(ed, text):
    ed.presets["Sunset"].click()
    ed.click_events._handle_mouse_msg(None, {"event": "click", "dataX": 5, "dataY": 5}, [])
    ed.download.click()
    assert "Edit 1 applied" in text(ed.message) and ed.hotspot is not None
