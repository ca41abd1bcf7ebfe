"""Playground, driven by setting values and clicking, as a notebook user would (no browser)."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

import toolkit as tk
from toolkit.widgets import CostMeter, Playground


@pytest.fixture()
def app(studio):
    app = Playground(studio)
    app.image_size.value = "512"  # renders fastest
    return app


def test_generate_adds_a_card_and_a_ledger_row(app, studio):
    app.prompt.value = "a lighthouse at dusk"
    app.generate_button.click()
    assert len(app.results) == 1 and app.results[0].status == "ok"
    [card] = app.gallery.children
    assert isinstance(card, widgets.HTML)
    assert '<img src="data:image/jpeg;base64,' in card.value and "a lighthouse at dusk" in card.value
    assert "offline simulator" in card.value and "$0.0000 (list $0.0449)" in card.value
    df = studio.session_ledger.df
    assert len(df) == 1 and df.iloc[0]["status"] == "ok" and df.iloc[0]["image_size"] == "512"
    assert app.message.value == ""
    assert app.meter.stats.calls == 1 and "1 call this session" in app.meter.text.value
    assert app.generate_button.description == "Generate" and not app.generate_button.disabled


def test_n_3_gives_three_images_newest_first_and_the_gallery_is_capped(studio):
    app = Playground(studio, gallery_size=4)
    app.image_size.value = "512"
    app.prompt.value = "a red car"
    app.generate_button.click()
    app.prompt.value = "a blue boat"
    app.n.value = 3
    app.generate_button.click()
    assert len(app.results[-1].images) == 3
    assert len(studio.session_ledger.df) == 4
    cards = app.gallery.children
    assert len(cards) == 4  # 1 + 3, capped at 4
    assert all("a blue boat" in c.value for c in cards[:3]) and "a red car" in cards[3].value
    assert "image 1 of 3" in cards[0].value and "image 3 of 3" in cards[2].value
    app.generate_button.click()  # a cache replay still makes cards; the oldest drop out of view
    assert len(app.gallery.children) == 4 and "a red car" not in "".join(c.value for c in app.gallery.children)
    assert "cached" in app.gallery.children[0].value and len(app.results) == 3


def test_n_slider_range(app):
    assert (app.n.min, app.n.max, app.n.value) == (1, 8, 1)


def test_dropdowns_always_show_a_selection(studio):
    # ipywidgets shows a None value as a blank select, so "auto"/"default" are real option values
    app = Playground(studio)
    assert (app.aspect_ratio.index, app.aspect_ratio.value) == (0, "auto")
    assert (app.image_size.index, app.image_size.value) == (0, "default")
    app.prompt.value = "a cat"
    app.generate_button.click()
    row = studio.session_ledger.df.iloc[-1]
    assert row["aspect_ratio"] is None and row["image_size"] is None and app.results[-1].image.size == (1024, 1024)


def test_model_change_repopulates_aspect_ratios_and_sizes(studio):
    app = Playground(studio, models=["gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-2.5-flash-image"])
    assert app.model.value == "gemini-3.1-flash-image"
    assert ("1:8", "1:8") in app.aspect_ratio.options
    app.image_size.value = "512"
    app.aspect_ratio.value = "21:9"

    app.model.value = "gemini-3-pro-image"
    assert [v for _, v in app.image_size.options] == ["default", "1K", "2K", "4K"]
    assert app.image_size.value == "default" and app.image_size.index == 0  # 512 is not offered by Pro
    assert app.aspect_ratio.value == "21:9"  # still valid: kept
    assert ("1:8", "1:8") not in app.aspect_ratio.options
    assert not app.image_size.disabled
    app.image_size.value = "2K"

    app.model.value = "gemini-2.5-flash-image"
    assert app.image_size.options == (("(model default)", "default"),) and app.image_size.disabled
    assert app.image_size.value == "default"

    app.model.value = "gemini-3-pro-image"
    assert not app.image_size.disabled and app.image_size.value == "default"


def test_default_models_are_the_live_ones_plus_the_studios(home):
    studio = tk.Studio(backend="offline", home=home, model="gemini-3-pro-image")
    app = Playground(studio)
    values = [v for _, v in app.model.options]
    assert app.model.value == "gemini-3-pro-image" and "gemini-3.1-flash-lite-image" in values


def test_shut_down_model_warning_is_shown_as_a_note(studio):
    app = Playground(studio, models=["gemini-3.1-flash-image", "gemini-2.5-flash-image"])
    app.model.value = "gemini-2.5-flash-image"
    app.prompt.value = "a cat"
    app.generate_button.click()
    assert app.results[-1].status == "ok"
    assert "Note" in app.message.value and "shut" in app.message.value.lower()


def test_bad_upload_shows_a_readable_message_and_nothing_escapes(app, bad_upload):
    app.upload.value = bad_upload
    assert "That image cannot be used" in app.message.value
    assert "x.png" in app.message.value and "not an image" in app.message.value
    assert "Traceback" not in app.message.value
    assert app.inputs == [] and app.upload.value == ()


def test_upload_is_sent_with_the_prompt_and_can_be_cleared(app, studio, cat_upload):
    app.upload.value = cat_upload
    assert [i.source for i in app.inputs] == ["chelsea.png"] and len(app.inputs_view.children) == 1
    assert app.upload.value == ()  # the bytes are not kept in the widget state
    app.prompt.value = "Make it black and white"
    app.generate_button.click()
    row = studio.session_ledger.df.iloc[-1]
    assert row["n_inputs"] == 1 and row["status"] == "ok"
    app.clear_inputs_button.click()
    assert app.inputs == [] and app.inputs_view.children == ()


def test_blocked_result_shows_status_and_reason(app, studio, text):
    app.prompt.value = "a cat [sim:blocked]"
    app.generate_button.click()
    [card] = app.gallery.children
    assert "<b>blocked</b>" in card.value and "PROHIBITED_CONTENT" in card.value
    assert 'Blocked: no image (status "blocked")' in text(app.message)
    assert [n.kind for n in app.notices] == ["warning"]
    assert studio.session_ledger.df.iloc[-1]["status"] == "blocked"


def test_no_image_result_explains_the_simulator_vocabulary(app):
    app.prompt.value = "a cat [sim:no_image]"
    app.generate_button.click()
    assert "no_image" in app.gallery.children[0].value
    assert "offline simulator only draws" in app.message.value


def test_empty_prompt_is_a_message_not_a_call(app, studio):
    app.prompt.value = "   "
    app.generate_button.click()
    assert "The prompt is empty" in app.message.value
    assert len(studio.session_ledger.df) == 0 and app.gallery.children == ()
    assert not app.generate_button.disabled


def test_budget_refusal_shows_the_budget_message(capped, server):
    app = Playground(capped)
    app.image_size.value = "512"
    app.prompt.value = "a lighthouse"
    app.generate_button.click()
    assert "Budget cap reached: nothing was sent" in app.message.value and "$0.0001" in app.message.value
    assert server.call_count == 0
    assert capped.session_ledger.df.iloc[-1]["status"] == "refused"
    assert app.meter.bar.layout.display is None and "of $0.0001 budget" in app.meter.text.value
    assert "GEMINI" in app.meter.badge.value


def test_provider_error_is_readable(gemini, server):
    server.enqueue("400")
    app = Playground(gemini)
    app.prompt.value = "a lighthouse"
    app.generate_button.click()
    assert "The provider answered 400 INVALID_ARGUMENT" in app.message.value
    assert "Traceback" not in app.message.value and app.results == []


def test_gemini_backend_generate_spends_and_the_meter_shows_it(gemini):
    gemini.budget_usd = 1.0
    app = Playground(gemini)
    app.image_size.value = "512"
    app.prompt.value = "a lighthouse"
    app.generate_button.click()
    assert app.results[-1].cost_usd > 0
    assert 0 < app.meter.bar.value < 0.1 and app.meter.stats.spent_usd == pytest.approx(gemini.spent_usd)


def test_unexpected_exceptions_show_type_and_message(app, studio, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(studio, "generate", boom)
    app.prompt.value = "a cat"
    app.generate_button.click()
    assert "Unexpected error: RuntimeError" in app.message.value and "disk on fire" in app.message.value
    assert not app.generate_button.disabled and app.generate_button.description == "Generate"


def test_button_is_disabled_while_the_call_runs(app, studio, monkeypatch):
    seen = []
    real = studio.generate

    def spy(*args, **kwargs):
        seen.append((app.generate_button.disabled, app.generate_button.description))
        return real(*args, **kwargs)

    monkeypatch.setattr(studio, "generate", spy)
    app.prompt.value = "a cat"
    app.generate_button.click()
    assert seen == [(True, "Generating…")]
    assert not app.generate_button.disabled


def test_estimate_follows_the_options(app):
    app.prompt.value = "a cat"
    assert "1 image(s)" in app.estimate.value and "offline simulator" in app.estimate.value
    app.n.value = 4
    assert "4 image(s)" in app.estimate.value
    app.generate_button.click()
    assert "(4 cached)" in app.estimate.value


def test_shared_meter(studio):
    meter = CostMeter(studio)
    app = Playground(studio, meter=meter)
    assert app.meter is meter and app.children[0] is meter


def test_repeated_bad_uploads_show_one_message(app, bad_upload, cat_upload):
    app.upload.value = bad_upload
    app.upload.value = bad_upload
    assert len(app.notices) == 1
    app.upload.value = cat_upload
    assert app.notices == [] and len(app.inputs) == 1


def test_only_user_warnings_become_notes(app, studio, monkeypatch):
    import warnings

    real = studio.generate

    def noisy(*args, **kwargs):
        warnings.warn("library internals changed", DeprecationWarning, stacklevel=1)
        warnings.warn("input was downscaled", tk.InputAdjustedWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(studio, "generate", noisy)
    app.prompt.value = "a cat"
    with pytest.warns(DeprecationWarning, match="library internals"):
        app.generate_button.click()
    assert [(n.title, n.detail) for n in app.notices] == [("Note", "input was downscaled")]


def test_backend_dropdown_switches_and_explains_missing_keys(tmp_path, monkeypatch):
    import toolkit as tk
    from toolkit.widgets import Playground

    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    app = Playground(studio)
    assert [k for _, k in app.backend.options] == ["offline"]
    with tk.FakeFalServer() as fal:
        monkeypatch.setenv("FAL_KEY", "fal-test-key-0000")
        monkeypatch.setenv("FAL_QUEUE_RUN_HOST", fal.base_url)
        app = Playground(studio)
        assert "fal" in [k for _, k in app.backend.options]
        app.backend.value = "fal"
        assert app.studio.backend.kind == "fal" and app.meter.studio is app.studio
        assert all(tk.registry.lookup(m).fal_app for _, m in app.model.options)
        app.backend.value = "offline"
        assert app.studio is studio  # the same Studio comes back
    app.switch_backend("gemini") if False else None
    monkeypatch.delenv("FAL_KEY")
    app2 = Playground(studio)
    app2.backend.options = [("Gemini API", "gemini"), ("Offline simulator", "offline")]
    app2.backend.value = "gemini"  # no key: a message, and the dropdown goes back
    assert app2.studio is studio and app2.backend.value == "offline"
    assert "GEMINI_API_KEY" in app2.message.value


def test_backend_switch_shares_one_budget(home, monkeypatch):
    with tk.FakeGeminiServer() as server:
        studio = tk.Studio(backend="offline", home=home, budget_usd=0.10)
        monkeypatch.setenv("GEMINI_API_KEY", "switch-test-key-000000")
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.base_url)
        app = Playground(studio)
        app.image_size.value = "512"
        app.switch_backend("gemini")
        assert app.studio.backend.kind == "gemini" and app.studio.budget.cap == 0.10
        for i in range(4):  # about $0.045 each: the third is refused by the one shared cap
            app.prompt.value = f"a lighthouse, take {i}"
            app.generate_button.click()
        assert studio.budget.spent == app.studio.budget.spent <= 0.10
        assert "refused" in set(studio.ledger.df["status"]) and server.call_count == 2
        assert app.meter.stats.budget_usd == 0.10 and app.meter.stats.spent_usd == pytest.approx(studio.budget.spent)


def test_thinking_search_and_tier_controls_follow_the_model_and_the_backend(studio, gemini):
    models = ["gemini-3.1-flash-image", "gemini-2.5-flash-image", "gemini-3.1-flash-lite-image"]
    app = Playground(gemini, models=models)
    app.model.value = "gemini-3.1-flash-image"
    assert [v for _, v in app.thinking_level.options] == ["off", "minimal", "high"]
    assert not app.thinking_level.disabled and not app.grounding.disabled and not app.service_tier.disabled
    app.thinking_level.value = "high"
    app.model.value = "gemini-2.5-flash-image"  # no thinking, no search, one tier: disabled, reset
    assert app.thinking_level.disabled and app.thinking_level.value == "off"
    assert app.grounding.disabled and app.service_tier.disabled and app.include_thoughts.disabled
    app.model.value = "gemini-3.1-flash-lite-image"  # thinks, cannot search
    assert not app.thinking_level.disabled and app.grounding.disabled
    assert "has no such option" in app.grounding.tooltip

    offline = Playground(studio, models=models)  # the simulator thinks (labelled) but cannot search or tier
    offline.model.value = "gemini-3.1-flash-image"
    assert not offline.thinking_level.disabled and not offline.include_thoughts.disabled
    assert offline.grounding.disabled and offline.service_tier.disabled
    assert "offline backend cannot send it" in offline.grounding.tooltip


def test_thoughts_grounding_and_tier_reach_the_wire_and_the_card(gemini, server):
    app = Playground(gemini)
    app.model.value = "gemini-3.1-flash-image"
    app.image_size.value = "512"
    app.prompt.value = "a lighthouse"
    app.thinking_level.value = "high"
    app.include_thoughts.value = True
    app.grounding.value = "web,image"
    app.service_tier.value = "flex"
    app.generate_button.click()
    assert app.message.value == "" or "ok" in app.message.value
    body = server.requests[-1].json
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "HIGH", "includeThoughts": True}
    assert body["serviceTier"] == "flex"
    assert set(body["tools"][0]["googleSearch"]["searchTypes"]) == {"webSearch", "imageSearch"}
    [card] = app.gallery.children
    assert "<details" in card.value and "Thoughts" in card.value  # collapsed by default
    assert "<details open" not in card.value
    assert "Sources:" in card.value and 'href="https://example.' in card.value
    assert gemini.session_ledger.df.iloc[-1]["tier"] == "flex"
