import datetime as dt
import warnings

import pytest

import toolkit as tk
from toolkit import registry
from toolkit.errors import OptionError


def test_every_model_has_consistent_tables():
    for m in registry.MODELS:
        assert m.aspect_ratios, m.id
        for size, (table, tokens) in m.sizes.items():
            assert set(table) == set(m.aspect_ratios), (m.id, size)
            assert tokens > 0
            for ar, (w, h) in table.items():
                a, b = (int(x) for x in ar.split(":"))
                # nominal sizes are within 10% of the ratio they claim
                assert abs((w / h) / (a / b) - 1) < 0.1, (m.id, size, ar, w, h)
        assert (m.default_size is None) == (not m.image_sizes)


def test_documented_sizes_and_tokens():
    nb = registry.lookup("gemini-2.5-flash-image")
    assert nb.pixel_size("16:9") == (1344, 768)
    assert nb.output_image_tokens() == 1290
    f31 = registry.lookup("nano-banana-2")
    assert f31.id == "gemini-3.1-flash-image"
    assert f31.pixel_size("1:8", "4K") == (1536, 12288)
    assert f31.pixel_size("16:9", "2K") == (2752, 1536)
    assert [f31.output_image_tokens(s) for s in ("512", "1K", "2K", "4K")] == [747, 1120, 1680, 2520]
    pro = registry.lookup("models/gemini-3-pro-image")
    assert pro.output_image_tokens("4K") == 2000
    assert "1:4" not in pro.aspect_ratios


def test_default_model_is_current():
    info = registry.resolve(None)
    assert info.id == registry.DEFAULT_MODEL
    assert not info.is_shut_down(dt.date(2026, 11, 24))


def test_shut_down_model_warns_and_names_successor():
    with pytest.warns(registry.ModelShutdownWarning, match="gemini-3.1-flash-image"):
        info = registry.resolve("gemini-2.5-flash-image", today=dt.date(2026, 11, 24))
    assert info.id == "gemini-2.5-flash-image"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.resolve("gemini-2.5-flash-image", today=dt.date(2026, 1, 1))


def test_unknown_model_is_allowed_with_warning():
    with pytest.warns(registry.UnknownModelWarning, match="not in the toolkit's registry"):
        info = registry.resolve("gemini-4-flash-image")
    assert info.id == "gemini-4-flash-image"
    assert info.image_sizes


@pytest.mark.parametrize(
    ("model", "kw", "match"),
    [
        ("gemini-3.1-flash-image", {"aspect_ratio": "2:1"}, "Use one of"),
        ("gemini-3.1-flash-image", {"image_size": "1k"}, "uppercase K"),
        ("gemini-3-pro-image", {"image_size": "512"}, "1K, 2K, 4K"),
        ("gemini-2.5-flash-image", {"image_size": "3K"}, "no image_size"),
        ("gemini-nano-banana-2.1", {"image_size": "512"}, "1K, 2K, 4K"),
        ("gemini-3.1-flash-lite-image", {"image_size": "512"}, "Use one of: 1K"),
        ("gemini-3-pro-image", {"aspect_ratio": "1:8"}, "not supported"),
    ],
)
def test_validate_options_refuses_with_fix(model, kw, match):
    info = registry.lookup(model)
    args = {"aspect_ratio": None, "image_size": None, "n_images": 0, **kw}
    with pytest.raises(OptionError, match=match):
        registry.validate_options(info, **args)


def test_too_many_input_images_is_refused_above_the_hard_limit():
    for model in ("gemini-3.1-flash-image", "gemini-nano-banana-2.1", "gemini-2.5-flash-image"):
        info = registry.lookup(model)
        with pytest.raises(OptionError, match=rf"15 input images is more than {model} accepts \(14\)"):
            registry.validate_options(info, aspect_ratio=None, image_size=None, n_images=15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.validate_options(registry.lookup("gemini-nano-banana-2.1"), aspect_ratio=None, image_size=None,
                                  n_images=14)


def test_more_than_three_images_on_2_5_is_guidance_warned_not_refused():
    info = registry.lookup("gemini-2.5-flash-image")
    assert info.input_images_guidance == 3
    with pytest.warns(registry.ModelGuidanceWarning, match="works best with up to 3 input images"):
        registry.validate_options(info, aspect_ratio=None, image_size=None, n_images=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.validate_options(info, aspect_ratio=None, image_size=None, n_images=3)


def test_image_size_on_2_5_is_warned_and_ignored_not_refused():
    info = registry.lookup("gemini-2.5-flash-image")
    with pytest.warns(registry.ModelGuidanceWarning, match=r"ignores image_size='1K'"):
        registry.validate_options(info, aspect_ratio="5:4", image_size="1K", n_images=0)
    # what the API renders and bills is the fixed ~1 MP image (Google's cookbook run: 1152x896 at 5:4)
    assert info.pixel_size("5:4", "1K") == (1152, 896)
    assert info.output_image_tokens("1K") == info.output_image_tokens() == 1290


def test_closest_aspect_ratio():
    info = registry.lookup("gemini-3.1-flash-image")
    assert registry.closest_aspect_ratio(info, 451, 300) == "3:2"
    assert registry.closest_aspect_ratio(info, 100, 800) == "1:8"
    assert registry.closest_aspect_ratio(registry.lookup("gemini-2.5-flash-image"), 100, 800) == "9:16"


def test_models_table_lists_every_model():
    df = registry.models_table()
    assert list(df["model"]) == [m.id for m in registry.MODELS]
    assert df.loc[df["model"] == "gemini-2.5-flash-image", "usd_per_image"].item() == pytest.approx(0.0387)
    assert df["default"].sum() == 1
    row = df.set_index("model").loc["gemini-nano-banana-2.1"]
    assert row["thinking_levels"] == "minimal, medium, high" and row["grounding"] == "web, image"
    assert row["service_tiers"] == "standard, flex, priority" and bool(row["video_input"])
    assert row["checked"] == dt.date(2026, 12, 7)
    assert df.set_index("model").loc["gemini-3.1-flash-lite-image", "grounding"] == "none"


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("gemini-3.1-flash-image", "gemini-3.1-flash-image"),
        ("nano-banana-pro", "gemini-3-pro-image"),                       # an alias
        ("models/gemini-3-pro-image", "gemini-3-pro-image"),              # the API's resource form
        ("google/gemini-3-pro-image", "gemini-3-pro-image"),              # OpenRouter's slug
        ("publishers/google/models/gemini-3-pro-image", "gemini-3-pro-image"),  # Vertex's
        (" gemini-3.1-flash-image ", "gemini-3.1-flash-image"),
        ("gemini-4.0-flash-image@001", "gemini-4.0-flash-image@001"),   # unknown but well formed: warned, sent
        ("models/gemini_5-image", "gemini_5-image"),
    ],
)
def test_documented_model_id_forms_are_accepted(given, resolved):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", registry.UnknownModelWarning)
        assert registry.resolve(given).id == resolved


@pytest.mark.parametrize(
    "bad",
    ["../../x", "models/x/y", "models/../x", "x/y", "gemini..image", "a:generateContent", "gemini 3", "models/",
     ".hidden", "-flag", "gemini-3?key=1", "gemini%2F..", "x" * 129, "gemini-3\n"[:-1] + "\x00"],
)
def test_a_malformed_model_id_is_refused_with_the_fix(bad):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused outright, not "unknown, sending it as given"
        with pytest.raises(OptionError, match=r"is not a model id.*models_table"):
            registry.resolve(bad)


@pytest.mark.parametrize("bad", [3, 1.5, b"gemini-3-pro-image", ["gemini-3-pro-image"]])
def test_a_model_that_is_not_a_string_is_refused(bad):
    with pytest.raises(OptionError, match="must be a string"):
        registry.resolve(bad)


def test_model_warnings_point_at_the_callers_line(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        studio = tk.Studio(backend="offline", home=tmp_path, model="gemini-2.5-flash-image")
        studio.generate("a cat", model="gemini-9-imaginary-image", image_size=None)
    assert {w.category for w in caught} >= {tk.ModelShutdownWarning, tk.UnknownModelWarning}
    assert all(w.filename == __file__ for w in caught if issubclass(w.category, UserWarning)), \
        [(w.category.__name__, w.filename) for w in caught]


# -- the registry against the providers' pages (checked 2026-12-07) ---------------------------------------------
def test_every_entry_is_dated_and_sourced_from_the_providers_pages():
    for m in registry.MODELS:
        assert m.checked == registry.CHECKED == dt.date(2026, 12, 7), m.id
        for name in ("released", "sizes", "price", "thinking_levels", "grounding", "service_tiers", "shutdown"):
            url = m.sources.get(name, "")
            assert url.startswith("https://"), (m.id, name, url)
        assert any("ai.google.dev" in u for u in m.sources.values()), m.id
        assert "low confidence" not in m.price.source and "low confidence" not in m.notes


def test_nano_banana_2_1_facts():
    nb21 = registry.lookup("nano-banana-2.1")
    assert nb21.id == "gemini-nano-banana-2.1"
    assert nb21.released == dt.date(2026, 10, 6)
    assert nb21.image_sizes == ("1K", "2K", "4K")
    assert nb21.max_input_images == 14
    assert nb21.thinking_levels == ("minimal", "medium", "high")
    assert nb21.grounding == ("web", "image")
    assert nb21.price.batch_factor == 0.5
    assert nb21.openrouter_id == "google/gemini-nano-banana-2.1"
    assert nb21.video_input
    # tokens recomputed from the published per-image prices at $30 per million image tokens
    per_image = {s: nb21.output_image_tokens(s) * nb21.price.output_image_per_m / 1e6 for s in nb21.image_sizes}
    assert per_image["1K"] == pytest.approx(0.0336, abs=5e-5)
    assert per_image["2K"] == pytest.approx(0.0504, abs=5e-5)
    assert per_image["4K"] == pytest.approx(0.113, abs=5e-4)
    assert per_image["1K"] < per_image["2K"] < per_image["4K"]


def test_lite_dates_sizes_and_capabilities():
    lite = registry.lookup("nano-banana-2-lite")
    assert lite.released == dt.date(2026, 6, 30)
    assert lite.image_sizes == ("1K",)  # the model page lists 1K only: no 512, 2K or 4K
    assert lite.grounding == () and lite.thinking_levels == ("minimal", "high")


def test_2_5_preview_was_discontinued_on_2026_01_15():
    preview = registry.lookup("gemini-2.5-flash-image-preview")
    assert preview.shutdown == dt.date(2026, 1, 15)
    assert preview.is_shut_down(dt.date(2026, 1, 15)) and not preview.is_shut_down(dt.date(2026, 1, 14))


@pytest.mark.parametrize(("model", "levels", "grounding", "video"), [
    ("gemini-3.1-flash-image", ("minimal", "high"), ("web", "image"), True),
    ("gemini-3.1-flash-lite-image", ("minimal", "high"), (), False),
    ("gemini-3-pro-image", ("low", "high"), ("web",), False),
    ("gemini-nano-banana-2.1", ("minimal", "medium", "high"), ("web", "image"), True),
    ("gemini-2.5-flash-image", (), (), False),
])
def test_capabilities_per_model(model, levels, grounding, video):
    info = registry.lookup(model)
    assert (info.thinking_levels, info.grounding, info.video_input) == (levels, grounding, video)
    assert all(level == level.lower() for level in info.thinking_levels)
    assert "standard" in info.service_tiers
    assert ("flex" in info.service_tiers) == model.startswith(("gemini-3", "gemini-nano"))


def test_the_default_carries_its_successor_without_a_shutdown_date():
    default = registry.lookup(registry.DEFAULT_MODEL)
    assert default.successor == "gemini-nano-banana-2.1" and registry.lookup(default.successor) is not None
    assert default.shutdown is None  # sources disagree: the live list decides, not a date
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.resolve(None, today=dt.date(2026, 12, 7))


def test_unknown_models_accept_every_option_value_the_family_has():
    """A model the registry does not know yet is not refused a level, search type or tier it may well take:
    the provider has the last word (and the toolkit can still price each)."""
    with pytest.warns(registry.UnknownModelWarning):
        guess = registry.resolve("gemini-9-flash-image")
    assert guess.thinking_levels == ("minimal", "low", "medium", "high")
    assert guess.grounding == ("web", "image") and guess.service_tiers == ("standard", "flex", "priority")
    known_levels = {level for m in registry.MODELS for level in m.thinking_levels}
    assert known_levels <= set(guess.thinking_levels)


# -- the live list is the arbiter of the default ----------------------------------------------------------------
def test_missing_default_notice_names_the_successor():
    notice = registry.missing_default_notice(["models/gemini-nano-banana-2.1", "models/gemini-3-pro-image"])
    assert notice is not None
    assert registry.DEFAULT_MODEL in notice and "model='gemini-nano-banana-2.1'" in notice
    assert registry.missing_default_notice(["models/gemini-3.1-flash-image", "gemini-3-pro-image"]) is None
    assert registry.missing_default_notice([]) is None  # nothing listed: nothing to conclude
    # the successor is not live either: no model is named, the list is
    assert "studio.models()" in registry.missing_default_notice(["gemini-3-pro-image"])


def test_studio_says_once_when_the_live_list_lacks_the_default(tmp_path, monkeypatch):
    studio = tk.Studio(backend="offline", home=tmp_path)
    live = [m for m in studio.backend.list_models() if m != registry.DEFAULT_MODEL]
    assert "gemini-nano-banana-2.1" in live
    monkeypatch.setattr(studio.backend, "list_models", lambda: live)
    with pytest.warns(tk.DefaultModelMissingWarning, match="gemini-nano-banana-2.1") as caught:
        df = studio.models()
    assert registry.DEFAULT_MODEL not in set(df["model"])
    assert all(w.filename == __file__ for w in caught)  # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per Studio
        studio.models()
    with pytest.warns(tk.DefaultModelMissingWarning):  # a new Studio says it again
        other = tk.Studio(backend="offline", home=tmp_path)
        monkeypatch.setattr(other.backend, "list_models", lambda: live)
        other.models()


def test_studio_is_silent_when_the_default_is_live(tmp_path):
    studio = tk.Studio(backend="offline", home=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert registry.DEFAULT_MODEL in set(studio.models()["model"])


def _readme_block(name):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    assert start in text and end in text, f"README lost its {name} markers"
    return text[text.index(start) + len(start):text.index(end)]


def test_readme_model_table_is_the_registry_with_checked_dates_and_sources():
    table = _readme_block("registry-table")
    assert table == registry.readme_table(), "regenerate with registry.readme_table()"
    assert "| checked | sources |" in table.splitlines()[0]
    assert table.count("2026-12-07") >= 5 and "https://ai.google.dev/gemini-api/docs/pricing" in table
