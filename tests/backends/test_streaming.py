"""Streaming (``generate(stream=True, on_text=...)``): the Gemini API and Vertex AI through the real SDK against
FakeGeminiServer's SSE, the offline simulator, backends without streaming, and the Playground's live text."""

from __future__ import annotations

import itertools
import threading

import pytest
from google.oauth2.credentials import Credentials

import toolkit as tk
from toolkit.backends.gemini_wire import merge_stream, parse_response, text_deltas
from toolkit.errors import StreamInterruptedError
from toolkit.testing import FakeGeminiServer, FakeOpenRouterServer, Outcome
from toolkit.widgets import Playground

KEY = "test-key-123456"
QUICK = tk.RetryPolicy(attempts=4, initial_delay_s=0.01, max_delay_s=0.02)


@pytest.fixture()
def studio(server, home):
    return tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, retry=QUICK)


def _streamed(studio, prompt, **kw):
    deltas: list[str] = []
    threads: set[str] = set()

    def on_text(delta: str) -> None:
        deltas.append(delta)
        threads.add(threading.current_thread().name)

    r = studio.generate(prompt, image_size="512", on_text=on_text, **kw)
    return r, deltas, threads


# -- the Gemini API ------------------------------------------------------------------------------------------
def test_deltas_arrive_in_order_and_add_up_to_the_text(studio, server):
    r, deltas, threads = _streamed(studio, "a lighthouse at dusk with a long description of the sea")
    assert r.ok and len(deltas) >= 2 and "".join(deltas) == r.text
    assert threading.current_thread().name not in threads  # called on the Studio's runner thread
    [call] = server.calls
    assert call.action == "streamGenerateContent" and call.query == {"alt": "sse"} and call.path.startswith("/v1beta/")
    assert call.json["generationConfig"]["imageConfig"] == {"imageSize": "512"}


def test_streamed_result_has_the_same_shape_as_a_plain_one(studio, server):
    plain = studio.generate("a red kite over the sea", image_size="512")
    streamed, _, _ = _streamed(studio, "a red kite over the sea", refresh=True)
    assert streamed.key == plain.key  # stream is a transport detail, not part of the cache key
    for field in ("status", "model", "backend", "text", "reason", "usage", "list_cost_usd", "cost_usd"):
        assert getattr(streamed, field) == getattr(plain, field), field
    assert [(o.mime, len(o.data) > 0) for o in streamed.outputs] == [(o.mime, True) for o in plain.outputs]
    assert streamed.image.size == plain.image.size
    # The model turn is rebuilt whole: one signed text part (deltas joined), then the signed image.
    kinds = [(type(p).__name__, p.thought, p.thought_signature is not None) for p in streamed.model_turn.parts]
    assert kinds == [(type(p).__name__, p.thought, p.thought_signature is not None) for p in plain.model_turn.parts]
    assert set(streamed.metadata) == set(plain.metadata)


def test_one_ledger_row_and_a_cache_hit_delivers_the_text_once(studio, server):
    first, _, _ = _streamed(studio, "a windmill in a field of tulips")
    assert len(studio.ledger) == 1 and studio.ledger.df["status"].iloc[0] == "ok"
    again, replayed, _ = _streamed(studio, "a windmill in a field of tulips")
    assert again.cached and replayed == [first.text] and server.call_count == 1
    assert len(studio.ledger) == 2 and studio.ledger.df["cached"].tolist() == [False, True]
    assert studio.spent_usd == pytest.approx(first.cost_usd)


def test_an_error_mid_stream_is_a_provider_error_and_not_retried(studio, server):
    server.enqueue(Outcome.error(503, mid_stream=True))
    deltas: list[str] = []
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a horse in a field of flowers", image_size="512", on_text=deltas.append)
    e = info.value
    assert isinstance(e, StreamInterruptedError) and not e.retryable
    assert e.code == 503 and "interrupted" in e.message and "not retried" in str(e) and "it was retried" not in str(e)
    assert deltas and server.call_count == 1  # text had arrived: a retry would show it twice
    assert studio.ledger.df["status"].tolist() == ["error"]


def test_an_error_before_any_text_is_retried_without_repeating_text(studio, server):
    server.enqueue("503", "drop", "ok")
    r, deltas, _ = _streamed(studio, "a tram crossing a bridge at night")
    assert r.ok and r.attempts == 3 and "".join(deltas) == r.text
    assert len(studio.ledger) == 1


def test_refusals_keep_finish_message_on_the_wire_json_path(studio, server):
    server.enqueue("image_prohibited_content")
    r, deltas, _ = _streamed(studio, "a garden")
    assert r.status == "blocked" and "Responsible AI" in r.reason and deltas == []


def test_a_malformed_stream_is_retried(studio, server):
    server.enqueue("malformed", "ok")
    r, _, _ = _streamed(studio, "a kettle")
    assert r.ok and r.attempts == 2


def test_typed_fallback_streams_too_but_loses_finish_message(studio, server):
    studio.backend.raw_stream_json = False  # what happens on an SDK without async_request_streamed
    r, deltas, _ = _streamed(studio, "a lighthouse at dusk with a long description of the sea")
    assert r.ok and len(deltas) >= 2 and "".join(deltas) == r.text
    server.enqueue("image_prohibited_content")
    r, _, _ = _streamed(studio, "a garden")
    assert r.status == "blocked" and r.reason == "IMAGE_PROHIBITED_CONTENT"


def test_merge_stream_rebuilds_the_response():
    chunks = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "plan", "thought": True}]}}],
         "usageMetadata": {"promptTokenCount": 4}, "responseId": "r"},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Here", "thoughtSignature": "c2ln"}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": " it is"}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"inlineData": {"mimeType": "image/png",
                                                                              "data": "iVBORw=="}}]},
                         "finishReason": "STOP", "index": 0}],
         "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 9, "trafficType": "ON_DEMAND"},
         "responseId": "r"},
    ]
    assert [text_deltas(c) for c in chunks] == [[], ["Here"], [" it is"], []]
    merged = merge_stream(chunks)
    parts = merged["candidates"][0]["content"]["parts"]
    assert parts[1] == {"text": "Here it is", "thoughtSignature": "c2ln"} and len(parts) == 3
    assert merged["candidates"][0]["finishReason"] == "STOP" and merged["usageMetadata"]["candidatesTokenCount"] == 9
    reply = parse_response(merged)
    assert reply.text == "Here it is" and reply.extra["trafficType"] == "ON_DEMAND"


def test_vertex_streams_on_its_own_path(home):
    with FakeGeminiServer(bearer_token="ya29.t") as server:
        studio = tk.Studio(backend="vertex", project="p", location="us-central1", credentials=Credentials(token="ya29.t"),
                           base_url=server.base_url, home=home, retry=QUICK)
        r, deltas, _ = _streamed(studio, "a lighthouse at dusk with a long description of the sea",
                                 output_mime_type="image/png")
        assert r.ok and "".join(deltas) == r.text and r.outputs[0].mime == "image/png"
        assert r.metadata["traffic_type"] == "ON_DEMAND"
        call = server.calls[-1]
        assert call.path == ("/v1beta1/projects/p/locations/us-central1/publishers/google/models/"
                             "gemini-3.1-flash-image:streamGenerateContent") and call.auth == "bearer"
        assert call.json["generationConfig"]["imageConfig"]["imageOutputOptions"] == {"mimeType": "image/png"}


# -- offline, backends without streaming, argument checks --------------------------------------------------------
def test_offline_streams_deltas_and_the_same_result(home):
    studio = tk.Studio(backend="offline", home=home)
    r, deltas, _ = _streamed(studio, "a lighthouse at dusk")
    plain = tk.Studio(backend="offline", home=home).generate("a lighthouse at dusk", image_size="512", refresh=True)
    assert len(deltas) >= 2 and "".join(deltas) == r.text == plain.text
    assert r.outputs[0].data == plain.outputs[0].data  # deterministic: identical bytes


def test_a_backend_without_streaming_delivers_the_text_once(home):
    key = "sk-or-v1-test-stream-42"
    with FakeOpenRouterServer(api_key=key) as server:
        studio = tk.Studio(backend="openrouter", api_key=key, base_url=server.base_url, home=home, retry=QUICK)
        assert not studio.can_stream
        r, deltas, _ = _streamed(studio, "a lighthouse")
        assert r.ok and deltas == [r.text]


def test_stream_without_a_callback_prints(home, capsys):
    r = tk.Studio(backend="offline", home=home).generate("a kite", image_size="512", stream=True)
    assert capsys.readouterr().out == r.text


@pytest.mark.parametrize(("kwargs", "match"), [({"stream": True, "n": 2}, "use n=1"),
                                               ({"on_text": "print"}, "must be a callable")])
def test_bad_stream_arguments(home, kwargs, match):
    with pytest.raises(tk.OptionError, match=match):
        tk.Studio(backend="offline", home=home).generate("a kite", **kwargs)


def test_a_failing_callback_warns_once_and_keeps_the_answer(home):
    calls = []

    def broken(delta: str) -> None:
        calls.append(delta)
        raise ValueError("display went away")

    studio = tk.Studio(backend="offline", home=home)
    with pytest.warns(RuntimeWarning, match="on_text raised ValueError"):
        r = studio.generate("a lighthouse at dusk", image_size="512", on_text=broken)
    assert r.ok and len(calls) == 1 and len(studio.ledger) == 1


# -- the Playground -----------------------------------------------------------------------------------------------
def _record(app: Playground) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    app.stream_text.observe(lambda c: events.append(("text", c["new"])), "value")

    def on_gallery(change) -> None:
        first = change["new"][0].value if change["new"] else ""
        events.append(("gallery", "placeholder" if "toolkit-placeholder" in first else "card"))

    app.gallery.observe(on_gallery, "children")
    return events


def test_playground_shows_deltas_in_order_before_the_image_card(home):
    app = Playground(tk.Studio(backend="offline", home=home))
    app.image_size.value = "512"
    assert app.stream.value and not app.stream.disabled  # on by default where the backend streams
    app.prompt.value = "a lighthouse at dusk"
    events = _record(app)
    app.generate_button.click()
    result = app.results[-1]
    texts = [v for kind, v in events if kind == "text" and v]
    assert events[0] == ("gallery", "placeholder") and events[-1] == ("gallery", "card")
    assert len(texts) >= 2 and texts[-1] == result.text
    assert all(b.startswith(a) for a, b in itertools.pairwise(texts))  # deltas appended in order
    last_text = max(i for i, (kind, _) in enumerate(events) if kind == "text")
    assert last_text < len(events) - 1  # every delta before the card
    assert app.stream_text.layout.display == "" and app.stream_text.value == result.text
    assert len(app.gallery.children) == 1 and "<img" in app.gallery.children[0].value


def test_playground_does_not_stream_several_images_or_unticked(home):
    app = Playground(tk.Studio(backend="offline", home=home))
    app.image_size.value = "512"
    app.prompt.value = "a red car"
    app.n.value = 2
    events = _record(app)
    app.generate_button.click()
    assert not [e for e in events if e[0] == "text"] and len(app.gallery.children) == 2
    app.n.value = 1
    app.stream.value = False
    app.generate_button.click()
    assert not [e for e in events if e[0] == "text"] and app.stream_text.layout.display == "none"


def test_playground_takes_the_placeholder_down_when_the_call_fails(gemini, server):
    app = Playground(gemini)
    app.image_size.value = "512"
    app.prompt.value = "a horse in a field of flowers"
    server.enqueue(Outcome.error(503, mid_stream=True))
    app.generate_button.click()
    assert app.results == [] and app.gallery.children == () and "interrupted" in app.message.value
    assert app.stream_text.value  # the text that did arrive stays readable


def test_playground_stream_box_follows_the_backend(home, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-test-stream-43")
    app = Playground(tk.Studio(backend="offline", home=home))
    app.switch_backend("openrouter")
    assert app.stream.disabled and not app.stream.value
    app.switch_backend("offline")
    assert app.stream.value and not app.stream.disabled
