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
        ("gemini-2.5-flash-image", {"image_size": "1K"}, "no image_size"),
        ("gemini-3-pro-image", {"aspect_ratio": "1:8"}, "not supported"),
    ],
)
def test_validate_options_refuses_with_fix(model, kw, match):
    info = registry.lookup(model)
    args = {"aspect_ratio": None, "image_size": None, "n_images": 0, **kw}
    with pytest.raises(OptionError, match=match):
        registry.validate_options(info, **args)


def test_too_many_input_images():
    info = registry.lookup("gemini-2.5-flash-image")
    with pytest.raises(OptionError, match=r"more than gemini-2\.5-flash-image accepts"):
        registry.validate_options(info, aspect_ratio=None, image_size=None, n_images=4)
    registry.validate_options(registry.lookup("gemini-3.1-flash-image"), aspect_ratio=None, image_size=None,
                              n_images=14)


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
