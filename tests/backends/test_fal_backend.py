"""The fal.ai backend through the real ``fal-client`` against the loopback FakeFalServer."""

from __future__ import annotations

import base64
import logging
import threading

import fal_client.client as fc
import pytest

import toolkit as tk
from toolkit import pricing, registry
from toolkit.backends.fal import FalBackend, fal_price
from toolkit.testing import FakeFalServer, Outcome

KEY = "fal-key-id-7777:fal-key-secret-8888"
QUICK = tk.RetryPolicy(attempts=4, initial_delay_s=0.01, max_delay_s=0.02)
M = registry.DEFAULT_MODEL
ORIGINAL_GLOBALS = (fc.QUEUE_URL_FORMAT, fc.MAX_ATTEMPTS)  # what FalBackend must restore after each submit


@pytest.fixture(scope="module")
def fake():
    with FakeFalServer(api_key=KEY, queue_steps=2, progress_steps=1) as server:
        yield server


@pytest.fixture()
def server(fake):
    fake.reset()
    yield fake
    fake.reset()


def _studio(server, home, **kw):
    studio = tk.Studio(backend="fal", api_key=KEY, base_url=server.base_url, home=home, retry=QUICK, **kw)
    studio.backend.poll_interval_s = 0.005
    return studio


@pytest.fixture()
def studio(server, home):
    return _studio(server, home)


# -- success --------------------------------------------------------------------------------------------


def test_success_records_the_flat_price_beside_the_gemini_estimate(studio, server):
    r = studio.generate("a lighthouse at dusk", aspect_ratio="16:9", image_size="512")
    info = registry.lookup(M)
    assert r.status == "ok" and r.backend == "fal" and r.model == M
    assert r.image.size == info.pixel_size("16:9", "512") and r.outputs[0].mime == "image/jpeg"
    assert r.usage["output_image_tokens"] == 747 and r.usage["input_tokens"] > 0  # estimated from the registry
    assert r.cost_usd == pytest.approx(0.06)  # fal's flat 0.5K price for nano-banana-2
    assert r.list_cost_usd == pytest.approx(pricing.list_cost(info, r.usage)) and r.list_cost_usd != r.cost_usd
    assert studio.spent_usd == pytest.approx(0.06)
    row = studio.ledger.df.iloc[-1]
    assert row["backend"] == "fal" and row["cost_usd"] == pytest.approx(0.06) and row["attempts"] == 1
    submit = server.calls[-1]
    assert submit.action == "submit" and submit.path == "/fal-ai/nano-banana-2"
    assert submit.headers["authorization"] == "<redacted>"
    assert submit.json == {"prompt": "a lighthouse at dusk", "num_images": 1, "output_format": "jpeg",
                           "aspect_ratio": "16:9", "resolution": "0.5K"}
    assert float(submit.headers["x-fal-request-timeout"]) == studio.engine.timeout_s  # the Studio's timeout_s
    actions = [q.action for q in server.requests]
    assert actions[0] == "submit" and "status" in actions and actions[-2:] == ["result", "file"]
    # The CDN download does not carry the key to another host.
    assert "authorization" not in server.requests[-1].headers


def test_default_size_sends_no_resolution_and_pays_the_1k_price(studio, server):
    r = studio.generate("a red kite", seed=3)
    assert r.cost_usd == pytest.approx(0.08) and r.image.size == (1024, 1024)
    assert "resolution" not in server.calls[-1].json and server.calls[-1].json["seed"] == 3


def test_edit_uses_the_edit_app_with_data_uri_image_urls(studio, server):
    cat = tk.sample("cat")
    r = studio.edit(cat, "make it black and white", image_size="512")
    assert r.status == "ok"
    submit = server.calls[-1]
    assert submit.path == "/fal-ai/nano-banana-2/edit"
    (url,) = submit.json["image_urls"]
    assert url.startswith("data:image/") and base64.b64decode(url.split(",", 1)[1]) == r.request.input_images[0].data
    # Status and result URLs use the app without /edit, as fal's do.
    assert all(q.path.startswith("/fal-ai/nano-banana-2/requests/") for q in server.requests if q.action == "status")
    assert r.usage["input_image_tokens"] == 1120


def test_other_models_use_their_own_apps_and_prices(studio, server):
    r = studio.generate("a poster", model="nano-banana-pro", image_size="4K")
    assert server.calls[-1].path == "/fal-ai/nano-banana-pro" and server.calls[-1].json["resolution"] == "4K"
    assert r.cost_usd == pytest.approx(0.30) and r.image.size == (4096, 4096)


def test_cache_replay_sends_nothing(studio, server):
    first = studio.generate("a green kite", image_size="512")
    calls = len(server.requests)
    again = studio.generate("a green kite", image_size="512")
    assert len(server.requests) == calls and again.cached and again.cost_usd == 0
    assert again.outputs[0].data == first.outputs[0].data


def test_chat_follow_up_edits_the_last_image(studio, server):
    chat = studio.chat()
    first = chat.send("a cat on a sofa", image_size="512")
    chat.send("now add a moon", image_size="512")
    submit = server.calls[-1]
    assert submit.path == "/fal-ai/nano-banana-2/edit" and submit.json["prompt"] == "now add a moon"
    assert base64.b64decode(submit.json["image_urls"][0].split(",", 1)[1]) == first.outputs[0].data


# -- progress -------------------------------------------------------------------------------------------


def test_progress_reports_queue_position_and_logs(studio, server, caplog):
    seen: list[str] = []
    studio.backend.on_progress = seen.append
    caplog.set_level(logging.DEBUG, logger="toolkit.fal")
    studio.generate("a blue door", image_size="512")
    text = "\n".join(seen)
    assert "submitted as" in text and "queued, position 1" in text and "queued, position 0" in text
    assert "running" in text and "Starting fal-ai/nano-banana-2 (fake)" in text and "completed in 1.2 s" in text
    assert [r.getMessage() for r in caplog.records if r.name == "toolkit.fal"] == seen
    statuses = [q for q in server.requests if q.action == "status"]
    # Our polls ask for logs; fal-client's get() makes one last status check without them.
    assert [q.query.get("logs") for q in statuses] == ["true"] * 4 + ["false"]


def test_a_failing_progress_callback_does_not_break_the_call(studio):
    def boom(message: str) -> None:
        raise RuntimeError("display broke")

    studio.backend.on_progress = boom
    assert studio.generate("a yellow door", image_size="512").status == "ok"


# -- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [("content_policy", "blocked", "content_policy_violation"),
     ("no_media_generated", "no_image", "no_media_generated")],
)
def test_refusals_are_results_with_a_reason(studio, server, outcome, status, reason):
    server.enqueue(outcome)
    r = studio.generate("a garden", image_size="512")
    assert r.status == status and r.reason.startswith(reason) and not r.outputs and r.cost_usd == 0
    assert not studio.generate("a garden", image_size="512").cached  # refusals are never cached
    assert studio.ledger.df["status"].iloc[0] == status


def test_simulated_block_maps_to_content_policy(studio):
    r = studio.generate("a garden [sim:blocked]", image_size="512")
    assert r.status == "blocked" and "content_policy_violation" in r.reason


# -- errors ---------------------------------------------------------------------------------------------


def test_403_is_raised_clearly_and_not_retried(studio, server):
    server.enqueue("403")
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a tram", image_size="512")
    e = info.value
    assert e.code == 403 and e.attempts == 1 and "Exhausted balance" in str(e) and "billing" in e.hint
    assert server.call_count == 1  # fal-client did not retry on its own either
    assert studio.ledger.df["status"].iloc[-1] == "error"


def test_422_input_error_is_not_retried(studio, server):
    server.enqueue(Outcome.error(422, "Image too large: max 4096 px", reason="image_too_large"))
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a bus", image_size="512")
    assert info.value.code == 422 and info.value.status == "image_too_large" and info.value.attempts == 1
    assert "Image too large" in str(info.value)


@pytest.mark.parametrize("fault", ["429", "503", "504", "drop", "html", "malformed"])
def test_retryable_failures_then_success_without_double_retries(studio, server, fault):
    server.enqueue(fault, "ok")
    r = studio.generate("a kettle", image_size="512")
    assert r.status == "ok" and r.attempts == 2
    assert server.call_count == 2  # the Studio's retry only: fal-client's own 10 attempts are off
    assert len(studio.ledger) == 1
    assert (fc.QUEUE_URL_FORMAT, fc.MAX_ATTEMPTS) == ORIGINAL_GLOBALS  # restored


def test_timeout_cancels_the_job(home):
    with FakeFalServer(api_key=KEY, queue_steps=10_000) as slow:
        studio = _studio(slow, home, timeout_s=0.3)
        studio.retry = tk.runner.NO_RETRY
        with pytest.raises(tk.ProviderError) as info:
            studio.generate("a slow boat", image_size="512")
        assert info.value.status == "TIMEOUT" and info.value.code is None
        for _ in range(100):
            if any(q.action == "cancel" for q in slow.requests):
                break
            threading.Event().wait(0.01)
        assert any(q.action == "cancel" for q in slow.requests)


def test_two_base_urls_at_once_never_mix(server, home, tmp_path):
    with FakeFalServer(api_key=KEY, queue_steps=0) as other:
        a, b = _studio(server, home), _studio(other, tmp_path / "b")
        out: dict[str, tk.Result] = {}
        threads = [threading.Thread(target=lambda s=s, k=k: out.__setitem__(k, s.generate(f"a boat {k}", n=3,
                                                                                             image_size="512")))
                   for k, s in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert out["a"].status == out["b"].status == "ok"
        assert server.call_count == 3 and other.call_count == 3
        assert {q.json["prompt"] for q in server.calls} == {"a boat a"}
        assert {q.json["prompt"] for q in other.calls} == {"a boat b"}


# -- configuration --------------------------------------------------------------------------------------


def test_fal_key_from_the_environment(server, home, monkeypatch):
    monkeypatch.setenv("FAL_KEY", KEY)
    studio = tk.Studio(backend="fal", base_url=server.base_url, home=home)
    studio.backend.poll_interval_s = 0.005
    assert studio.generate("a lamp", image_size="512").status == "ok"


def test_key_id_and_secret_from_the_environment(server, home, monkeypatch):
    key_id, key_secret = KEY.split(":")
    monkeypatch.delenv("FAL_KEY", raising=False)
    monkeypatch.setenv("FAL_KEY_ID", key_id)
    monkeypatch.setenv("FAL_KEY_SECRET", key_secret)
    studio = tk.Studio(backend="fal", base_url=server.base_url, home=home)
    studio.backend.poll_interval_s = 0.005
    assert studio.generate("a lamp post", image_size="512").status == "ok"


def test_queue_host_from_the_environment(home, monkeypatch):
    monkeypatch.setenv("FAL_RUN_HOST", "fal.example.test")
    assert FalBackend(KEY).base_url == "https://queue.fal.example.test"
    monkeypatch.setenv("FAL_QUEUE_RUN_HOST", "gateway.example.test:8443")
    backend = FalBackend(KEY)
    assert backend.base_url == "https://gateway.example.test:8443"
    assert tk.Studio(backend="fal", api_key=KEY, home=home).backend.base_url == backend.base_url
    assert FalBackend(KEY, base_url="http://127.0.0.1:9/").base_url == "http://127.0.0.1:9"  # base_url wins


def test_missing_key_names_the_variable(home, monkeypatch):
    for name in ("FAL_KEY_ID", "FAL_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-not-for-fal")
    with pytest.raises(tk.ConfigError, match="FAL_KEY"):
        tk.Studio(backend="fal", home=home)


def test_auto_never_picks_fal(home, monkeypatch):
    monkeypatch.setenv("FAL_KEY", KEY)
    assert tk.Studio(home=home).backend.kind == "offline"


def test_models_without_a_fal_app_or_resolution_are_refused_before_sending(studio, server):
    with pytest.warns(tk.UnknownModelWarning), pytest.raises(tk.OptionError, match="fal-ai/nano-banana-2"):
        studio.generate("a cat", model="gemini-9-image")
    with pytest.raises(tk.OptionError, match="no resolution option"):
        studio.generate("a cat", model="nano-banana-2.1", image_size="2K")
    assert server.call_count == 0


def test_flat_prices_per_size():
    assert fal_price("fal-ai/nano-banana-2", "512") == 0.06
    assert fal_price("fal-ai/nano-banana-2", None) == 0.08
    assert fal_price("fal-ai/nano-banana-2", "2K") == 0.12
    assert fal_price("fal-ai/nano-banana-pro", "2K") == 0.15
    assert fal_price("fal-ai/nano-banana", None) == 0.039
    assert fal_price("fal-ai/nano-banana-lite", None) is None


# -- secrets --------------------------------------------------------------------------------------------


def test_key_is_never_shown_stored_or_logged(server, home, caplog):
    caplog.set_level(logging.DEBUG)
    studio = _studio(server, home)
    shown = [repr(studio), repr(studio.backend), studio.backend.description]
    studio.generate("a fox", image_size="512")
    server.enqueue("429", "403")
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a fox at night", image_size="512")
    shown += [str(info.value), repr(info.value)]
    wrong = tk.Studio(backend="fal", api_key="fal-wrong-key-0000", base_url=server.base_url, home=home)
    with pytest.raises(tk.ProviderError) as info:
        wrong.generate("a fox in the snow", image_size="512")
    assert info.value.code == 401 and "FAL_KEY" in info.value.hint
    shown += [str(info.value), studio.ledger.df.to_string()]
    halves = KEY.split(":")
    assert not any(h in s for s in shown for h in (KEY, *halves))
    assert not any(h in rec.getMessage() for rec in caplog.records for h in (KEY, *halves))
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(h.encode() in data for h in (KEY, *halves)), path


@pytest.mark.parametrize(("option", "value"), [("thinking_level", "high"), ("include_thoughts", True),
                                               ("grounding", "web"), ("service_tier", "flex")])
def test_thinking_grounding_and_tiers_are_refused_naming_the_backends_that_have_them(studio, server, option, value):
    with pytest.raises(tk.OptionError, match=f"{option} is a .*Gemini API.* option") as err:
        studio.generate("a kite", **{option: value})
    assert "fal.ai has no such setting" in str(err.value)
    assert server.call_count == 0
