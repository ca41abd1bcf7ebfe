"""The plain functions behind the widget callbacks (toolkit/widgets/logic.py)."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re

import pandas as pd
import pytest
from PIL import Image

import toolkit as tk
from toolkit import registry
from toolkit.errors import (
    BudgetExceededError,
    ConfigError,
    ImageInputError,
    InputError,
    ModelNotFoundError,
    OptionError,
    ProviderError,
    ToolkitError,
)
from toolkit.pricing import Estimate
from toolkit.result import Result
from toolkit.samples import sample_path
from toolkit.secrets import Secret
from toolkit.simulator import edits
from toolkit.widgets import logic

TODAY = dt.date(2026, 11, 24)


# -- uploads -----------------------------------------------------------------------------------------------
def test_upload_files_reads_ipywidgets_8_and_7_shapes():
    v8 = ({"name": "a.png", "type": "image/png", "size": 3, "content": memoryview(b"abc")},
          {"name": "b.png", "content": memoryview(b"de")})
    assert logic.upload_files(v8) == [("a.png", b"abc"), ("b.png", b"de")]
    v7 = {"c.png": {"metadata": {}, "content": b"xyz"}}
    assert logic.upload_files(v7) == [("c.png", b"xyz")]
    assert logic.upload_files(()) == []
    assert logic.upload_files(None) == []


def test_upload_without_content_is_an_image_input_error():
    with pytest.raises(ImageInputError, match="no content"):
        logic.upload_files(({"name": "a.png"},))


def test_load_uploads_names_the_file_in_errors_and_loads_images():
    with pytest.raises(ImageInputError, match=r"x\.png.*not an image"):
        logic.load_uploads(({"name": "x.png", "content": memoryview(b"hello")},))
    data = sample_path("cat").read_bytes()
    [img] = logic.load_uploads(({"name": "chelsea.png", "content": memoryview(data)},))
    assert (img.source, img.width, img.height) == ("chelsea.png", 451, 300)


def test_normalise_upload_entry_fills_what_ipywidgets_needs():
    e = logic.normalise_upload_entry({"name": "x.png", "content": b"hello", "last_modified": 1_700_000_000_000})
    assert isinstance(e["content"], memoryview) and e["size"] == 5 and e["type"] == ""
    assert e["last_modified"] == dt.datetime.fromtimestamp(1_700_000_000, tz=dt.UTC)
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert logic.normalise_upload_entry({"name": "a", "content": b"", "size": 0, "last_modified": when})[
        "last_modified"] is when
    assert logic.normalise_upload_entry({"content": b"z"})["last_modified"].year == 1970


# -- messages ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("exc", "title", "fix"), [
    (BudgetExceededError(0.5, 0.067, 0.5), "Budget cap reached", "Raise the cap"),
    (ImageInputError("Input image (x.png) is not an image"), "That image cannot be used", "PNG"),
    (OptionError("aspect_ratio='5:1' is not supported"), "does not suit this model", "dropdowns"),
    (InputError("The prompt is empty."), "needs fixing", ""),
    (ConfigError("backend='x' unknown"), "not set up", ""),
    (ModelNotFoundError("gemini", 404, "NOT_FOUND", "no such model"), "does not know this model", "studio.models()"),
    (ProviderError("gemini", 429, "RESOURCE_EXHAUSTED", "quota"), "answered 429 RESOURCE_EXHAUSTED", "wait"),
    (ProviderError("gemini", 503, "UNAVAILABLE", "overloaded"), "answered 503", "try again"),
    (ProviderError("gemini", 403, "PERMISSION_DENIED", "no"), "answered 403", "API key"),
    (ProviderError("gemini", 400, "INVALID_ARGUMENT", "bad", hint="Use v1beta."), "answered 400", "Use v1beta."),
    (ProviderError("gemini", None, None, "timed out"), "could not be reached", "network"),
    (ToolkitError("something"), "refused this call", ""),
    (RuntimeError("boom"), "Unexpected error: RuntimeError", "bug"),
])
def test_describe_error_names_problem_and_fix(exc, title, fix):
    n = logic.describe_error(exc)
    assert n.kind == "error"
    assert title in n.title
    assert fix in n.fix
    assert n.detail
    assert "Traceback" not in logic.notice_html(n)


def test_describe_error_scrubs_secrets_and_handles_empty_messages():
    Secret("k-test-widgets-secret-42")
    n = logic.describe_error(RuntimeError("failed with k-test-widgets-secret-42 in the url"))
    assert "k-test-widgets-secret-42" not in n.detail + logic.notice_html(n)
    assert logic.describe_error(KeyError()).detail == "(no message)"


def test_describe_result_per_status():
    ok = Result(status="ok", model="m", backend="offline")
    assert logic.describe_result(ok) is None
    partial = Result(status="ok", model="m", backend="gemini", errors=["503 UNAVAILABLE"])
    assert logic.describe_result(partial).kind == "warning"
    blocked = logic.describe_result(Result(status="blocked", model="m", backend="offline", reason="PROHIBITED_CONTENT"))
    assert "blocked" in blocked.title and blocked.detail == "PROHIBITED_CONTENT" and "Rephrase" in blocked.fix
    offline = logic.describe_result(Result(status="no_image", model="m", backend="offline", reason="vocab"))
    assert "no_image" in offline.title and "simulator" in offline.fix
    real = logic.describe_result(Result(status="no_image", model="m", backend="gemini", text="I can't"))
    assert real.detail == "I can't" and "Ask explicitly" in real.fix
    err = logic.describe_result(Result(status="error", model="m", backend="gemini", reason="MALFORMED"))
    assert err.kind == "error" and "MALFORMED" in err.detail


def test_notice_html_escapes_and_colours():
    h = logic.notice_html(logic.Notice("warning", "<b>x</b>", "a & b", "do <this>"))
    assert "&lt;b&gt;x&lt;/b&gt;" in h and "a &amp; b" in h and "do &lt;this&gt;" in h
    assert "#8a5a00" in h and "What to do" in h
    assert logic.notice_html(None) == ""
    assert "What to do" not in logic.notice_html(logic.Notice("info", "t"))


# -- model options -----------------------------------------------------------------------------------------
def test_model_choices_default_skips_shut_down_models_and_keeps_current():
    values = [v for _, v in logic.model_choices(today=TODAY)]
    assert values[0] == registry.DEFAULT_MODEL
    assert "gemini-2.5-flash-image" not in values
    assert all(not registry.lookup(v).is_shut_down(TODAY) for v in values)
    with_current = logic.model_choices(today=TODAY, current="nano-banana")
    assert with_current[0] == ("Nano Banana (gemini-2.5-flash-image) · shut down", "gemini-2.5-flash-image")


def test_model_choices_resolves_aliases_dedupes_and_allows_unknown_ids():
    choices = logic.model_choices(["nano-banana-pro", "gemini-3-pro-image", "my-new-model"], today=TODAY)
    assert choices == [("Nano Banana Pro (gemini-3-pro-image)", "gemini-3-pro-image"),
                       ("my-new-model (not in registry)", "my-new-model")]
    assert logic.model_info("my-new-model").aspect_ratios == registry.AR_14


def test_aspect_ratio_and_size_choices_follow_the_model():
    pro = logic.model_info("gemini-3-pro-image")
    assert [v for _, v in logic.aspect_ratio_choices(pro)] == ["auto", *registry.AR_10]
    sizes, enabled = logic.size_choices(pro)
    assert enabled and [v for _, v in sizes] == ["default", "1K", "2K", "4K"] and sizes[0][0] == "(model default: 1K)"
    assert logic.size_choices(logic.model_info("gemini-2.5-flash-image")) == ([("(model default)", "default")],
                                                                            False)
    assert [logic.option_value(v) for v in ("auto", "default", None, "4K")] == [None, None, None, "4K"]
    assert "1:8" in [v for _, v in logic.aspect_ratio_choices(logic.model_info("gemini-3.1-flash-image"))]


def test_keep_or_default():
    opts = [("(model default)", "default"), ("1K", "1K")]
    assert logic.keep_or_default("1K", opts, "default") == "1K"
    assert logic.keep_or_default("512", opts, "default") == "default"
    assert logic.keep_or_default("512", opts) is None


# -- cards, estimates, meter -------------------------------------------------------------------------------
def test_card_html_for_an_image_result(studio):
    r = studio.generate("a red car", image_size="512", n=2)
    h = logic.card_html(r, 1, thumb_side=128)
    assert '<img src="data:image/jpeg;base64,' in h and "max-width:128px" in h
    lines = logic.card_caption(r, 1)
    assert lines[0] == "ok" and re.match(r"\$0\.0000 \(list \$0\.\d{4}\) · \d+\.\d\d s", lines[1])
    assert "offline simulator" in lines[2] and lines[3] == "image 2 of 2"
    assert "a red car" in h
    first = logic.card_html(r, 0)
    assert "[offline simulator]" in first and "[offline simulator]" not in logic.card_html(r, 0, show_text=False)


def test_card_html_for_a_blocked_result_shows_status_and_reason():
    r = Result(status="blocked", model="m", backend="gemini", prompt="<x>", reason="PROHIBITED_CONTENT: nope")
    h = logic.card_html(r)
    assert "<img" not in h and "<b>blocked</b>" in h and "PROHIBITED_CONTENT: nope" in h and "&lt;x&gt;" in h
    assert logic.card_caption(r)[0] == "blocked · PROHIBITED_CONTENT: nope"
    assert "cached" in logic.card_caption(Result(status="ok", model="m", backend="offline", cached=True))[1]


def test_estimate_html():
    assert logic.estimate_html(Estimate("m", 1, 0, 5, 1120, 0.067, 0.067), "gemini") == (
        "Estimate: 1 image(s) · list $0.0670 · you pay $0.0670")


def _ledger(rows):
    return pd.DataFrame(rows, columns=["status", "cached", "list_cost_usd", "latency_s"])


def test_meter_stats_counts_calls_cache_and_latency():
    df = _ledger([("ok", False, 0.067, 0.5), ("ok", True, 0.067, 0.01), ("blocked", False, 0.0, 0.2),
                  ("refused", False, 0.0, 0.0)])
    s = logic.meter_stats(df, spent_usd=0.067, budget_usd=0.1, backend="gemini")
    assert (s.calls, s.cached, s.not_ok) == (4, 1, 2)
    assert s.list_usd == pytest.approx(0.067) and s.saved_usd == pytest.approx(0.067)
    assert (s.last_latency_s, s.last_status) == (0.2, "blocked")  # refusals have no latency
    assert s.fraction == pytest.approx(0.67)
    empty = logic.meter_stats(_ledger([]), spent_usd=0.0, budget_usd=None, backend="offline")
    assert (empty.calls, empty.last_latency_s, empty.fraction) == (0, None, None)
    assert logic.MeterStats("gemini", 0.0, 0.0, 0, 0, 0, 0, 0, None, None).fraction == 1.0
    assert logic.MeterStats("gemini", 5.0, 1.0, 0, 0, 0, 0, 0, None, None).fraction == 1.0


def test_meter_html_reads_well():
    s = logic.MeterStats("gemini", 0.134, 1.0, 3, 1, 1, 0.134, 0.067, 0.42, "ok")
    text = re.sub("<[^>]+>", "", logic.meter_html(s))
    assert "Spent $0.1340 of $1.00 budget (13%; $0.8660 left)" in text
    assert "list price $0.1340" in text and "3 calls this session (1 cached, saved $0.0670, 1 not ok)" in text
    assert "last call 0.42 s (ok)" in text
    tiny = re.sub("<[^>]+>", "", logic.meter_html(logic.MeterStats("gemini", 0, 0.0001, 0, 0, 0, 0, 0, None, None)))
    assert "of $0.0001 budget" in tiny and "last call —" in tiny
    none = re.sub("<[^>]+>", "", logic.meter_html(logic.MeterStats("offline", 0, None, 1, 0, 0, 0.04, 0, 0.1, "ok")))
    assert "(no budget cap)" in none and "1 call this session" in none


def test_backend_badge():
    assert "OFFLINE SIMULATOR" in logic.backend_badge_html("offline", "offline simulator")
    assert "GEMINI" in logic.backend_badge_html("gemini", "Gemini API at http://x") and "real money" in \
        logic.backend_badge_html("gemini", "x")


# -- editor ------------------------------------------------------------------------------------------------
def test_click_to_pixels_scales_thumbnail_clicks_to_image_pixels():
    assert logic.click_to_pixels({"dataX": 100, "dataY": 50}, (200, 100), (400, 200)) == (200, 100)
    assert logic.click_to_pixels({"relativeX": 50, "relativeY": 25, "boundingRectWidth": 200,
                                  "boundingRectHeight": 100}, (300, 150), (400, 200)) == (100, 50)
    assert logic.click_to_pixels({"dataX": 500, "dataY": -3}, (200, 100), (400, 200)) == (399, 0)
    with pytest.raises(ValueError, match="no position"):
        logic.click_to_pixels({"type": "click"}, (1, 1), (1, 1))


def test_hotspot_phrase_and_edit_prompt():
    assert logic.edit_prompt("Add a hat.", (120, 80), (451, 300)) == (
        "Add a hat at the point (x=120, y=80) of the 451x300 image, i.e. at (0.27, 0.27) as fractions of its "
        "width and height from the top-left corner.")
    assert logic.edit_prompt(" Blur  the background ") == "Blur the background"
    assert logic.edit_prompt("", (1, 1), (2, 2)) == ""


@pytest.mark.parametrize("name", list(logic.PRESETS))
def test_every_preset_is_understood_by_the_simulator_with_and_without_a_point(name):
    for hotspot in (None, (10, 20)):
        parsed = edits.parse_instruction(logic.edit_prompt(logic.PRESETS[name], hotspot, (451, 300)))
        assert parsed.ops, name
        assert not any(op.edit.key in ("rotate", "mirror", "flip vertically", "crop") for op in parsed.ops)


def test_mark_point_and_download_link():
    img = Image.new("RGB", (100, 80), "white")
    marked = logic.mark_point(img, (50, 40))
    assert marked.getpixel((50, 40)) != (255, 255, 255) and img.getpixel((50, 40)) == (255, 255, 255)
    link = logic.download_link_html(b"\x89PNG-bytes", "image/png", 'a"b.png')
    assert 'download="a&quot;b.png"' in link
    uri = re.search(r'href="data:image/png;base64,([^"]+)"', link).group(1)
    assert base64.b64decode(uri) == b"\x89PNG-bytes"


# -- character sheet ---------------------------------------------------------------------------------------
def test_parse_scenes_and_character_prompt():
    assert logic.parse_scenes("  on the moon \n\n- in a kitchen\n3. at night\n* on the moon\n") == [
        "on the moon", "in a kitchen", "at night"]
    assert logic.character_prompt("on the moon") == (
        "Place the character from the reference image in this scene: on the moon. "
        "Keep their face, clothing and colours exactly the same.")
    assert logic.character_prompt("at night", "Draw them {scene}, same outfit.") == "Draw them at night, same outfit."
    assert logic.character_prompt("at night", "Same person.") == "Same person. Scene: at night."


def test_merge_scene_notices_groups_identical_problems():
    a = logic.Notice("warning", "No image", "vocab")
    b = logic.Notice("warning", "Blocked", "SAFETY")
    merged = logic.merge_scene_notices([("moon", a), ("kitchen", b), ("beach", a)])
    assert [(m.title, m.detail) for m in merged] == [("moon, beach: No image", "vocab"), ("kitchen: Blocked", "SAFETY")]
    assert logic.merge_scene_notices([]) == []


def test_score_row_and_frame(studio):
    ref = tk.sample("astronaut")
    r = studio.generate(logic.character_prompt("at night"), images=[ref], image_size="512")
    row = logic.score_row("at night", r, ref)
    assert row["status"] == "ok" and 0 <= row["phash"] <= 1 and -1 <= row["ssim"] <= 1 and 0 <= row["histogram"] <= 1
    none = logic.score_row("x", None, ref, status="refused")
    assert none["status"] == "refused" and math.isnan(none["phash"])
    df = logic.scores_frame([row, none])
    assert list(df.columns) == list(logic.SCORE_COLUMNS) and len(df) == 2 and df["phash"].dtype == float
    assert logic.scores_line(row).startswith("phash ") and logic.scores_line(none) == "no scores (no image)"
    assert "not identity" in logic.SCORE_CAVEAT


# -- fusion ------------------------------------------------------------------------------------------------
def test_fusion_prompt_reflects_position_scale_and_extra():
    a = logic.fusion_prompt(2, "bottom centre", 0.5, 0.75, 0.35)
    assert a.startswith("Place the object from image 2 into the scene from image 1, at the bottom centre of the "
                        "scene (centred about 50% of the way across and 75% of the way down the scene), scaled so "
                        "that it is about 35% of the scene's height.")
    assert logic.fusion_prompt(2, "left", 0.22, 0.6, 0.35) != a
    assert "about 60%" in logic.fusion_prompt(2, "bottom centre", 0.5, 0.75, 0.6)
    custom = logic.fusion_prompt(2, logic.CUSTOM_POSITION, 0.1, 0.2, 0.3)
    assert ", centred about 10% of the way across and 20% of the way down the scene," in custom
    assert logic.fusion_prompt(4, "top", 0.5, 0.25, 0.2).startswith(
        "Place the objects from images 2, 3 and 4 into the scene from image 1, at the top")
    assert "each about 20%" in logic.fusion_prompt(3, "top", 0.5, 0.25, 0.2)
    assert logic.fusion_prompt(2, "top", 0.5, 0.25, 0.2, "  make it evening ").endswith(" make it evening.")
    assert logic.fusion_prompt(2, "top", 0.5, 0.25, 0.2, "Make it evening!").endswith(" Make it evening!")


@pytest.mark.parametrize("position", [*logic.POSITIONS, logic.CUSTOM_POSITION])
def test_fusion_prompt_adds_no_looks_in_the_simulator(position):
    # Only the user's extra text should restyle the offline composite.
    x, y = logic.POSITIONS.get(position, (0.3, 0.3))
    assert not edits.parse_instruction(logic.fusion_prompt(3, position, x, y, 0.4)).ops


def test_placement_preview_draws_the_object_where_asked():
    scene = Image.new("RGB", (400, 200), "white")
    obj = Image.new("RGB", (50, 100), (0, 0, 255))
    out = logic.placement_preview(scene, [obj], 0.25, 0.5, 0.5, max_side=400)
    assert out.size == (400, 200)
    assert out.getpixel((100, 100)) == (0, 0, 255)   # the object's box centre
    assert out.getpixel((300, 100)) == (255, 255, 255)
    two = logic.placement_preview(scene, [obj, obj], 0.5, 0.5, 0.5, max_side=400)
    assert two.getpixel((200, 100)) != (0, 0, 255)  # a gap between the two objects at the centre


# -- images ------------------------------------------------------------------------------------------------
def test_thumbnail_jpeg_png_and_fit_into():
    big = Image.new("RGBA", (1000, 400), (255, 0, 0, 255))
    t = logic.thumbnail(big, 100)
    assert t.size == (100, 40) and t.mode == "RGB" and big.size == (1000, 400)
    assert logic.jpeg_bytes(t)[:2] == b"\xff\xd8" and logic.png_bytes(t)[:4] == b"\x89PNG"
    out, at = logic.fit_into(Image.new("RGB", (50, 100), "red"), (200, 100))
    assert out.size == (200, 100) and at == (75, 0)
    assert out.getpixel((100, 50)) == (255, 0, 0) and out.getpixel((5, 50)) == (255, 255, 255)


def test_draw_stroke_round_caps_and_dots():
    im = Image.new("RGB", (40, 40), "white")
    logic.draw_stroke(im, [(10, 20), (30, 20)], "#ff0000", 6)
    assert im.getpixel((20, 20)) == (255, 0, 0) and im.getpixel((8, 20)) == (255, 0, 0)  # the cap goes past the end
    assert im.getpixel((20, 30)) == (255, 255, 255)
    logic.draw_stroke(im, [(5, 5)], "#0000ff", 4)
    assert im.getpixel((5, 5)) == (0, 0, 255)
    logic.draw_stroke(im, [], "#000000", 4)  # nothing to draw is fine
