"""The Studio facade on the offline backend: the call path, cache, n > 1, validation, budget."""

import io

import pytest
from PIL import Image

import toolkit as tk
from toolkit import registry


def test_repr_says_backend_model_and_ledger(studio, home):
    text = repr(studio)
    assert "offline" in text and registry.DEFAULT_MODEL in text and str(home / "ledger.sqlite") in text


def test_auto_picks_offline_without_key_and_gemini_with(monkeypatch, home):
    assert tk.Studio(home=home).backend.kind == "offline"
    monkeypatch.setenv("GEMINI_API_KEY", "k-1234567890")
    assert tk.Studio(home=home).backend.kind == "gemini"


def test_generate_follows_model_table_and_reports_usage(studio):
    r = studio.generate("A photo of my cat eating a nano-banana in a fancy restaurant", aspect_ratio="16:9")
    info = registry.lookup(registry.DEFAULT_MODEL)
    assert r.status == "ok" and r.backend == "offline"
    assert r.image.size == info.pixel_size("16:9")
    assert r.outputs[0].mime == info.output_mime
    assert r.usage["output_image_tokens"] == info.output_image_tokens()
    assert r.cost_usd == 0.0
    assert r.list_cost_usd == pytest.approx(tk.list_cost(info, r.usage))
    assert r.list_cost_usd > 0.06
    assert len(r.paths) == 1 and tk.read_metadata(r.paths[0])["key"] == r.key


def test_same_request_replays_from_cache(studio):
    first = studio.generate("a red barn under a blue sky")
    again = studio.generate("a red barn under a blue sky")
    assert again.cached and not first.cached
    assert again.outputs[0].data == first.outputs[0].data
    assert again.cost_usd == 0 and again.list_cost_usd == first.list_cost_usd
    fresh = studio.generate("a red barn under a blue sky", refresh=True)
    assert not fresh.cached
    df = studio.ledger.df
    assert list(df["cached"]) == [False, True, False]
    assert (df["key"] == first.key).all()


def test_n_sends_distinct_requests_and_one_result(studio):
    r = studio.generate("a lighthouse at night", n=3)
    assert len(r.images) == 3 and len(set(r.keys)) == 3
    assert len({o.sha256 for o in r.outputs}) == 3
    df = studio.ledger.df
    assert len(df) == 3 and df["group_id"].nunique() == 1 and sorted(df["variant"]) == [0, 1, 2]
    single = studio.generate("a lighthouse at night")
    assert single.cached and single.outputs[0].sha256 == r.outputs[0].sha256
    assert studio.generate("a lighthouse at night", n=3).cached


def test_edit_fuse_and_unknown_instruction(studio):
    cat = tk.sample("cat")
    edited = studio.edit(cat, "Blur the background")
    assert edited.status == "ok" and edited.operation == "edit"
    fused = studio.fuse([cat, tk.sample("coffee")], "Put the cup of coffee in front of the cat")
    assert fused.status == "ok" and studio.ledger.df["n_inputs"].iloc[-1] == 2
    unknown = studio.edit(cat, "Make the cat play the violin")  # beyond the simulator: honestly marked
    assert unknown.status == "ok" and unknown.reason.startswith(tk.simulator.NOT_SIMULATED_PREFIX)
    assert "tk.simulator_vocabulary()" in unknown.text and len(unknown.text) < 400
    refused = studio.edit(cat, "Make the cat play the violin [sim:no_image]")
    assert refused.status == "no_image"
    assert not studio.edit(cat, "Make the cat play the violin [sim:no_image]").cached  # not cached


@pytest.mark.parametrize(("trigger", "status"), [("[sim:blocked]", "blocked"), ("[sim:image_safety]", "blocked"),
                                                  ("[sim:no_image]", "no_image"), ("[sim:text_only]", "no_image")])
def test_non_image_outcomes_are_results(studio, trigger, status):
    r = studio.generate(f"a garden {trigger}")
    assert r.status == status and r.image is None and r.reason
    assert studio.ledger.df["status"].iloc[-1] == status


def test_chat_send_undo_history(studio):
    chat = studio.chat()
    first = chat.send("Make it night time", images=[tk.sample("cat")])
    second = chat.send("Now add a moon")
    assert first.status == second.status == "ok"
    assert len(chat.history) == 2
    # the follow-up replays the whole conversation and edits the last image
    assert [t.role for t in second.request.turns] == ["user", "model", "user"]
    assert second.request.working_images()[0].sha256 == first.outputs[0].sha256
    chat.undo()
    assert len(chat.history) == 1 and chat.image is not None
    assert studio.ledger.df["operation"].tolist() == ["chat", "chat"]


def test_chat_rejects_n(studio):
    with pytest.raises(tk.OptionError, match="one answer per turn"):
        studio.chat().send("hello", n=2)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.generate(""), tk.InputError, "prompt is empty"),
        (lambda s: s.generate("x" * 200_001), tk.InputError, "Shorten"),
        (lambda s: s.generate(42), tk.InputError, "must be text"),
        (lambda s: s.generate("a", aspect_ratio="5:3"), tk.OptionError, "Use one of"),
        (lambda s: s.generate("a", image_size="1k"), tk.OptionError, "uppercase K"),
        (lambda s: s.generate("a", n=0), tk.OptionError, "from 1 to"),
        (lambda s: s.generate("a", n=-2), tk.OptionError, "from 1 to"),
        (lambda s: s.generate("a", seed="x"), tk.OptionError, "seed"),
        (lambda s: s.generate("a", temperature=5), tk.OptionError, "temperature"),
        (lambda s: s.edit([1, 2], "a"), tk.InputError, "exactly one image"),
        (lambda s: s.fuse([tk.sample("cat")], "a"), tk.InputError, "at least two"),
        (lambda s: s.edit(tk.sample("cat"), "blur", bogus=1), tk.OptionError, "Unknown option"),
        (lambda s: s.generate("a", images=["/nonexistent/cat.png"]), tk.ImageInputError, "cat.png"),
    ],
)
def test_caller_mistakes_raise_before_anything_is_recorded(studio, call, error, match):
    with pytest.raises(error, match=match):
        call(studio)
    assert len(studio.ledger) == 0


def test_image_size_on_2_5_and_too_many_images(studio):
    # the API accepts both on 2.5 (it ignores image_size; 3 images is "works best with" guidance): warned
    with pytest.warns(tk.ModelShutdownWarning), pytest.warns(tk.ModelGuidanceWarning, match="ignores image_size"):
        assert studio.generate("a", image_size="1K", model="gemini-2.5-flash-image").status == "ok"
    with pytest.warns(tk.ModelShutdownWarning), pytest.warns(tk.ModelGuidanceWarning, match="up to 3 input"):
        assert studio.fuse([tk.sample("cat")] * 4, "combine", model="gemini-2.5-flash-image").status == "ok"
    with pytest.warns(tk.ModelShutdownWarning), pytest.raises(tk.OptionError, match="accepts \\(14\\)"):
        studio.fuse([tk.sample("cat")] * 15, "combine", model="gemini-2.5-flash-image")


@pytest.mark.parametrize(("backend", "match"), [("nope", "Unknown backend"), ("vertex", "GOOGLE_CLOUD_PROJECT"),
                                                 ("gemini", "needs an API key")])
def test_bad_backend_config(home, backend, match):
    with pytest.raises(tk.ConfigError, match=match):
        tk.Studio(backend=backend, home=home)


def test_other_models_sizes_offline(studio):
    r = studio.generate("a banner", model="gemini-3.1-flash-image", aspect_ratio="4:1", image_size="512")
    assert r.image.size == (1024, 256)
    with pytest.warns(tk.ModelShutdownWarning):
        r = studio.generate("a square", model="gemini-2.5-flash-image")
    assert r.image.size == (1024, 1024) and r.outputs[0].mime == "image/png"
    assert r.usage["output_image_tokens"] == 1290


def test_estimate_before_a_call(studio):
    est = studio.estimate("a cat", n=4, image_size="2K")
    assert est.calls == 4 and est.cost_usd == 0.0  # the simulator spends nothing
    assert est.list_cost_usd == pytest.approx(4 * 1680 * 60 / 1e6, rel=0.01)
    studio.generate("a cat", n=2, image_size="2K")
    assert studio.estimate("a cat", n=4, image_size="2K").cached_calls == 2


def test_save_converts_and_keeps_metadata(studio, tmp_path):
    r = studio.generate("a yellow kite")  # JPEG from 3.1 Flash
    same = r.save(tmp_path / "kite.jpg")
    png = r.save(tmp_path / "kite.png")
    assert Image.open(png).format == "PNG" and Image.open(same).format == "JPEG"
    for path in (same, png):
        meta = tk.read_metadata(path)
        assert meta["prompt"] == "a yellow kite" and meta["model"] == r.model and "simulated" in meta
    many = studio.generate("a yellow kite", n=2).save(tmp_path / "kites.png")
    assert [p.name for p in many] == ["kites-1.png", "kites-2.png"]


def test_result_repr_and_html(studio):
    r = studio.generate("a blue whale")
    text = repr(r)
    assert "status='ok'" in text and "cost_usd=0.0000" in text and "image_out=1120" in text
    html = r._repr_html_()
    assert "<img" in html and "offline simulator" in html and "$0.0000" in html
    blocked = studio.generate("x [sim:blocked]")
    assert "blocked" in blocked._repr_html_() and "<img" not in blocked._repr_html_()


def test_models_offline_lists_registry(studio):
    df = studio.models()
    assert registry.DEFAULT_MODEL in set(df["model"])
    assert "gemini-2.5-flash-image" not in set(df["model"])  # past its shutdown date


def test_inputs_of_every_kind(studio, tmp_path):
    import numpy as np

    cat = tk.sample("cat")
    path = tmp_path / "cat.png"
    cat.save(path)
    buf = io.BytesIO()
    cat.save(buf, "PNG")
    for src in (cat, str(path), path, buf.getvalue(), np.asarray(cat)):
        assert studio.edit(src, "make it black and white").status == "ok"


def test_shared_home_between_studios(home):
    a = tk.Studio(backend="offline", home=home)
    b = tk.Studio(backend="offline", home=home)
    a.generate("a green frog")
    assert b.generate("a green frog").cached
    assert len(a.ledger) == 2 and len(a.session_ledger) == 1


def test_large_input_is_downscaled_and_says_so(home):
    big = tk.sample("astronaut").resize((2048, 2048))
    studio = tk.Studio(backend="offline", home=home, max_input_side=1024)
    with pytest.warns(tk.InputAdjustedWarning, match="downscaled 2048x2048 -> 1024x1024"):
        r = studio.edit(big, "make it sepia")
    assert r.status == "ok"
    sent = r.request.input_images[0]
    assert Image.open(io.BytesIO(sent.data)).size == (1024, 1024)
