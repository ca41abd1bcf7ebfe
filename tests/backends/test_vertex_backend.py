"""The Vertex AI backend through the real google-genai SDK (``vertexai=True``) against the loopback FakeGeminiServer.

Auth without real Google credentials: explicit ``google.oauth2.credentials.Credentials(token=...)`` (the
fake checks the bearer token), express mode with an API key, and Application Default Credentials for
real: a service-account key file (a throwaway RSA key) whose ``token_uri`` is the fake's token endpoint.
"""

from __future__ import annotations

import io
import json

import httpx
import pytest
from google.oauth2.credentials import Credentials
from PIL import Image

import toolkit as tk
from toolkit import registry
from toolkit.backends.gemini import GeminiBackend
from toolkit.backends.gemini_wire import request_json
from toolkit.backends.vertex import VertexBackend, default_base_url, use_vertex_from_env
from toolkit.request import Options, Request, TextPart, Turn
from toolkit.testing import FakeGeminiServer, Outcome

KEY = "vertex-express-key-7777"
TOKEN = "ya29.test-token-4242"
PROJECT = "toolkit-test-proj"
M = registry.DEFAULT_MODEL
QUICK = tk.RetryPolicy(attempts=4, initial_delay_s=0.01, max_delay_s=0.02)
VERTEX_ENV = ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_VERTEX_BASE_URL", "GOOGLE_GENAI_USE_VERTEXAI",
              "GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_GEMINI_BASE_URL",
              "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_API_VERSION")
OPTION_VALUES = {"person_generation": "ALLOW_ADULT", "prominent_people": "BLOCK_PROMINENT_PEOPLE",
                 "output_mime_type": "image/png", "output_compression_quality": 80}


@pytest.fixture(autouse=True)
def _no_cloud_env(monkeypatch, tmp_path):
    for name in VERTEX_ENV:
        monkeypatch.delenv(name, raising=False)
    # ADC must never find this machine's gcloud login or probe a metadata server.
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "true")


@pytest.fixture(scope="module")
def fake():
    with FakeGeminiServer(api_key=KEY, bearer_token=TOKEN) as server:
        yield server


@pytest.fixture()
def server(fake):
    fake.reset()
    fake.bearer_token = TOKEN
    yield fake
    fake.reset()


def vertex(server, home, location="global", token=TOKEN, **kw):
    return tk.Studio(backend="vertex", project=PROJECT, location=location, credentials=Credentials(token=token),
                     base_url=server.base_url, home=home, retry=QUICK, **kw)


@pytest.fixture()
def studio(server, home):
    return vertex(server, home)


def _path(location: str | None, method: str = "generateContent", model: str = M) -> str:
    scope = f"projects/{PROJECT}/locations/{location}/" if location else ""
    return f"/v1beta1/{scope}publishers/google/models/{model}:{method}"


def _image_config(record) -> dict:
    return record.json["generationConfig"].get("imageConfig", {})


# -- where requests go --------------------------------------------------------------------------------------
@pytest.mark.parametrize("location", ["global", "us-central1", "europe-west4", "eu"])
def test_project_paths_per_location(server, home, location):
    studio = vertex(server, home, location)
    r = studio.generate("a lighthouse at dusk", image_size="512", aspect_ratio="16:9")
    assert r.status == "ok" and r.backend == "vertex" and r.image.size == registry.lookup(M).pixel_size("16:9", "512")
    [call] = server.calls
    assert call.path == _path(location) and call.surface == "vertex" and call.auth == "bearer"
    assert (call.project, call.location, call.version) == (PROJECT, location, "v1beta1")
    assert call.headers["authorization"] == "<redacted>"
    assert r.cost_usd == pytest.approx(r.list_cost_usd) and r.cost_usd > 0  # Vertex lists the Gemini API prices
    row = studio.ledger.df.iloc[-1]
    assert row["backend"] == "vertex" and row["status"] == "ok" and len(studio.ledger) == 1
    assert "location " + location in studio.backend.description and "explicit credentials" in studio.backend.description


@pytest.mark.parametrize(("location", "url"), [
    ("global", "https://aiplatform.googleapis.com/"), ("us-central1", "https://us-central1-aiplatform.googleapis.com/"),
    ("eu", "https://aiplatform.eu.rep.googleapis.com/"), (None, "https://aiplatform.googleapis.com/"),
])
def test_default_endpoint_matches_the_sdk(location, url):
    backend = VertexBackend(PROJECT, location, credentials=Credentials(token=TOKEN))
    assert backend.base_url == url == default_base_url(location or "global")
    assert backend.client._api_client._http_options.base_url == url  # what the SDK will really call
    assert backend.location == (location or "global") and backend.api_version == "v1beta1"


def test_express_mode_with_an_api_key(server, home, monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")  # an explicit key beats the env project (SDK rule)
    studio = tk.Studio(backend="vertex", api_key=KEY, base_url=server.base_url, home=home, retry=QUICK)
    assert studio.backend.mode == "express" and studio.backend.project is None
    assert "express mode" in repr(studio) and KEY not in repr(studio) and KEY not in repr(studio.backend)
    r = studio.generate("a red kite", image_size="512")
    assert r.status == "ok" and r.metadata["traffic_type"] == "ON_DEMAND"
    [call] = server.calls
    assert call.path == _path(None) and call.surface == "vertex-express" and call.auth == "api_key"
    assert call.project is None and call.headers["x-goog-api-key"] == "<redacted>"


def test_express_mode_with_a_wrong_key_is_not_retried(server, home):
    studio = tk.Studio(backend="vertex", api_key="wrong-key-000000", base_url=server.base_url, home=home, retry=QUICK)
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a red kite", image_size="512")
    e = info.value
    assert e.provider == "vertex" and e.code == 400 and "API key not valid" in e.message
    assert "express-mode API key" in str(e) and "wrong-key-000000" not in str(e)
    assert server.call_count == 1 and len(studio.ledger) == 1 and studio.ledger.df["status"].iloc[0] == "error"


def test_wrong_bearer_token_is_a_401_with_the_adc_fix(server, home):
    studio = vertex(server, home, token="ya29.stale")
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a tram", image_size="512")
    assert info.value.code == 401 and info.value.status == "UNAUTHENTICATED"
    assert "gcloud auth application-default login" in str(info.value)
    assert server.call_count == 1  # 401 is never retried


# -- configuration from the environment ---------------------------------------------------------------------
def _service_account_file(tmp_path, token_uri: str, project: str = "adc-file-project") -> str:
    """A real service-account key file (throwaway RSA key) whose token endpoint is the fake's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": project, "private_key_id": "k1", "private_key": pem,
        "client_email": f"toolkit@{project}.iam.gserviceaccount.com", "client_id": "1", "token_uri": token_uri,
    }))
    return str(path)


def test_everything_from_the_environment_with_real_adc(server, home, tmp_path, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "True")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "asia-northeast1")
    monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", server.base_url)
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)  # ignored: an env project beats an env key (SDK rule)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", _service_account_file(tmp_path, server.token_uri))
    studio = tk.Studio(home=home, retry=QUICK)  # backend="auto"
    assert studio.backend.kind == "vertex" and studio.backend.base_url == server.base_url
    assert "Application Default Credentials" in studio.backend.description
    r = studio.generate("a lighthouse", image_size="512")
    assert r.status == "ok"
    token, call = server.requests
    assert token.surface == "oauth" and token.action == "oauth.token"  # google-auth's JWT grant, for real
    assert call.path.replace("env-project", PROJECT) == _path("asia-northeast1") and call.auth == "bearer"


def test_env_key_alone_is_express_mode(server, home, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_USE_ENTERPRISE", "1")  # the SDK's newer name for the same switch
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", server.base_url)
    studio = tk.Studio(home=home, retry=QUICK)
    assert studio.backend.kind == "vertex" and studio.backend.mode == "express"
    assert studio.generate("a kettle", image_size="512").ok and server.calls[-1].path == _path(None)


def test_missing_adc_is_a_401_with_the_fix_and_one_ledger_row(server, home):
    studio = tk.Studio(backend="vertex", project=PROJECT, base_url=server.base_url, home=home, retry=QUICK)
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a lighthouse", image_size="512")
    assert info.value.code == 401 and "application-default login" in str(info.value)
    assert server.call_count == 0  # nothing was sent without credentials
    assert len(studio.ledger) == 1 and studio.ledger.df["status"].iloc[0] == "error"


@pytest.mark.parametrize(("value", "vertex"), [("true", True), ("1", True), ("TRUE", True), ("false", False),
                                               ("0", False), ("yes", False)])
def test_use_vertexai_is_read_as_the_sdk_reads_it(value, vertex):
    assert use_vertex_from_env({"GOOGLE_GENAI_USE_VERTEXAI": value}) is vertex


def test_auto_without_the_switch_stays_on_the_gemini_api(server, home, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "false")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    assert tk.Studio(home=home, base_url=server.base_url).backend.kind == "gemini"


def test_gemini_backend_ignores_the_vertex_switch(server, home, monkeypatch):
    # Left to itself the SDK would read GOOGLE_GENAI_USE_VERTEXAI and send the Gemini key to Vertex AI.
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.base_url)
    studio = tk.Studio(backend="gemini", api_key=KEY, home=home)
    assert studio.generate("a boat", image_size="512").ok
    assert server.calls[-1].surface == "gemini" and server.calls[-1].path.startswith("/v1beta/models/")


@pytest.mark.parametrize(("kwargs", "env", "match"), [
    ({"backend": "vertex"}, {}, "GOOGLE_CLOUD_PROJECT"),
    ({}, {"GOOGLE_GENAI_USE_VERTEXAI": "1"}, "gcloud auth application-default login"),
    ({"backend": "vertex", "api_key": KEY, "location": "us-central1"}, {}, "needs a project"),
    ({"backend": "vertex", "api_key": KEY, "project": PROJECT, "credentials": Credentials(token=TOKEN)}, {},
     "not both"),
    ({"backend": "gemini", "api_key": KEY, "project": PROJECT}, {}, "Vertex AI settings"),
    ({"backend": "vertex", "project": PROJECT, "base_url": "ftp://x"}, {}, "not a usable URL"),
    ({"backend": "vertex", "project": PROJECT}, {"GOOGLE_VERTEX_BASE_URL": "nope"}, "GOOGLE_VERTEX_BASE_URL"),
    ({"backend": "offline", "base_url": "http://127.0.0.1:9"}, {}, "no effect on the offline simulator"),
    ({"base_url": "http://127.0.0.1:9"}, {}, "no API key was found"),
])
def test_configuration_mistakes_name_the_fix(home, monkeypatch, kwargs, env, match):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(tk.ConfigError, match=match):
        tk.Studio(home=home, **kwargs)


def test_project_given_picks_vertex_under_auto(server, home):
    studio = tk.Studio(project=PROJECT, credentials=Credentials(token=TOKEN), base_url=server.base_url, home=home)
    assert studio.backend.kind == "vertex" and studio.backend.location == "global"


# -- Vertex-only image options ------------------------------------------------------------------------------
@pytest.mark.parametrize(("mime", "quality", "magic"), [("image/png", None, b"\x89PNG"),
                                                         ("image/jpeg", 90, b"\xff\xd8")])
def test_output_options_are_sent_and_honoured(studio, server, mime, quality, magic):
    r = studio.generate("a green apple", image_size="512", output_mime_type=mime, output_compression_quality=quality,
                        person_generation="allow_adult", prominent_people="BLOCK_PROMINENT_PEOPLE")
    config = _image_config(server.calls[-1])
    expected = {"mimeType": mime} | ({"compressionQuality": quality} if quality is not None else {})
    assert config["imageOutputOptions"] == expected  # where the SDK puts output_mime_type / _compression_quality
    assert config["personGeneration"] == "ALLOW_ADULT" and config["prominentPeople"] == "BLOCK_PROMINENT_PEOPLE"
    assert r.outputs[0].mime == mime and r.outputs[0].data.startswith(magic)
    assert r.request.options.person_generation == "ALLOW_ADULT"  # canonicalised before hashing
    assert r.metadata["options"]["output_mime_type"] == mime


def test_jpeg_quality_changes_the_bytes_and_the_cache_key(studio):
    low = studio.generate("a green apple", image_size="512", output_mime_type="image/jpeg", output_compression_quality=5)
    high = studio.generate("a green apple", image_size="512", output_mime_type="image/jpeg", output_compression_quality=95)
    plain = studio.generate("a green apple", image_size="512")
    assert len({low.key, high.key, plain.key}) == 3
    assert len(low.outputs[0].data) < len(high.outputs[0].data)
    again = studio.generate("a green apple", image_size="512", output_mime_type="image/jpeg", output_compression_quality=5)
    assert again.cached and again.outputs[0].data == low.outputs[0].data


def test_options_work_on_edit_and_fuse(studio, server):
    r = studio.edit(tk.sample("cat"), "make it sepia", image_size="512", output_mime_type="image/png")
    assert r.ok and r.outputs[0].mime == "image/png"
    r = studio.fuse([tk.sample("cat"), tk.sample("coffee")], "put the cup by the cat", image_size="512",
                    person_generation="ALLOW_NONE")
    assert r.ok and _image_config(server.calls[-1])["personGeneration"] == "ALLOW_NONE"


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"person_generation": "EVERYONE"}, "ALLOW_ALL, ALLOW_ADULT, ALLOW_NONE"),
    ({"prominent_people": "yes"}, "BLOCK_PROMINENT_PEOPLE"),
    ({"output_mime_type": "image/webp"}, "image/png or image/jpeg"),
    ({"output_compression_quality": 101}, "0 to 100"),
    ({"output_mime_type": "image/png", "output_compression_quality": 50}, "JPEG only"),
])
def test_bad_vertex_option_values_are_refused_before_sending(studio, server, kwargs, match):
    with pytest.raises(tk.OptionError, match=match):
        studio.generate("a pear", image_size="512", **kwargs)
    assert server.call_count == 0 and len(studio.ledger) == 0


@pytest.mark.parametrize("option", sorted(OPTION_VALUES))
def test_vertex_options_are_refused_on_the_gemini_api_and_offline(server, home, option):
    gemini = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
    offline = tk.Studio(backend="offline", home=home)
    message = f"{option} is a Vertex AI option: use Studio(backend='vertex') or leave it unset"
    for studio in (gemini, offline):
        with pytest.raises(tk.OptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
            studio.generate("a pear", **{option: OPTION_VALUES[option]})
        with pytest.raises(tk.OptionError, match="Vertex AI option"):
            studio.edit(tk.sample("cat"), "sepia", **{option: OPTION_VALUES[option]})
        with pytest.raises(tk.OptionError, match="Vertex AI option"):
            studio.chat().send("a pear", **{option: OPTION_VALUES[option]})
    assert server.call_count == 0 and len(gemini.ledger) == 0


def test_the_gemini_backend_never_sends_vertex_options(server):
    # Below the Studio too: a Request built by hand is refused, not silently stripped or passed to the SDK.
    req = Request("gemini", M, (Turn("user", (TextPart("a pear"),)),), Options(person_generation="ALLOW_ALL"))
    backend = GeminiBackend(KEY, base_url=server.base_url)
    with pytest.raises(tk.OptionError, match="Vertex AI option"):
        tk.runner.run(backend.generate(req))
    with pytest.raises(tk.OptionError, match="Vertex AI option"):
        request_json(req)
    assert request_json(req, vertex=True)["generationConfig"]["imageConfig"] == {"personGeneration": "ALLOW_ALL"}
    assert server.call_count == 0


def test_the_fakes_gemini_surface_rejects_vertex_fields(server):
    body = {"contents": [{"role": "user", "parts": [{"text": "a pear"}]}],
            "generationConfig": {"imageConfig": {"imageOutputOptions": {"mimeType": "image/png"}}}}
    r = httpx.post(f"{server.base_url}/v1beta/models/{M}:generateContent", json=body, headers={"x-goog-api-key": KEY})
    assert r.status_code == 400 and 'Unknown name "imageOutputOptions"' in r.json()["error"]["message"]


# -- trafficType and the reply extras ------------------------------------------------------------------------
def test_traffic_type_is_recorded_in_metadata_files_and_replays(studio, server, tmp_path):
    r = studio.generate("a windmill", image_size="512")
    assert r.metadata["traffic_type"] == "ON_DEMAND"
    assert tk.read_metadata(r.paths[0])["traffic_type"] == "ON_DEMAND"  # the stored file carries it
    saved = r.save(tmp_path / "out.png")
    assert tk.read_metadata(saved)["traffic_type"] == "ON_DEMAND"
    again = studio.generate("a windmill", image_size="512")
    assert again.cached and again.metadata["traffic_type"] == "ON_DEMAND"
    assert "traffic_type" not in studio.ledger.df.columns  # no ledger column (no migration for it)
    raw = httpx.post(f"{server.base_url}{_path('global')}", headers={"authorization": f"Bearer {TOKEN}"},
                     json={"contents": [{"role": "user", "parts": [{"text": "a windmill"}]}]}).json()
    assert raw["usageMetadata"]["trafficType"] == "ON_DEMAND" and raw["createTime"].endswith("Z")


def test_gemini_api_results_have_no_traffic_type(server, home):
    r = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home).generate("x", image_size="512")
    assert "traffic_type" not in r.metadata


# -- outcomes on Vertex ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("outcome", "status", "text"), [
    ("image_prohibited_content", "blocked", "Responsible AI"),   # finishMessage survives (wire JSON)
    ("blocked", "blocked", "prompt could not be submitted"),      # Vertex's blockReasonMessage
    ("no_image", "no_image", "NO_IMAGE"),
])
def test_refusals_are_results(studio, server, outcome, status, text):
    server.enqueue(outcome)
    r = studio.generate("a garden", image_size="512")
    assert r.status == status and text in r.reason and not r.outputs
    assert len(studio.ledger) == 1 and studio.ledger.df["status"].iloc[0] == status


@pytest.mark.parametrize("fault", ["429", "503", "drop"])
def test_retryable_failures_are_retried(studio, server, fault):
    server.enqueue(fault, "ok")
    r = studio.generate("a tram", image_size="512")
    assert r.ok and r.attempts == 2 and server.call_count == 2 and len(studio.ledger) == 1


def test_429_carries_vertex_text_and_quota_fix(studio, server):
    server.enqueue(*["429"] * 4)
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a tram", image_size="512")
    assert info.value.code == 429 and "Resource exhausted" in info.value.message
    assert "quota increase" in str(info.value) and info.value.attempts == 4


def test_403_is_not_retried_and_names_the_iam_fix(studio, server):
    server.enqueue(Outcome.error(403, message="Permission 'aiplatform.endpoints.predict' denied"))
    with pytest.raises(tk.ProviderError) as info:
        studio.generate("a tram", image_size="512")
    assert info.value.code == 403 and "roles/aiplatform.user" in str(info.value)
    assert server.call_count == 1 and studio.ledger.df["status"].tolist() == ["error"]


def test_unknown_model_is_model_not_found_with_the_vertex_message(studio, server):
    with pytest.warns(UserWarning), pytest.raises(tk.ModelNotFoundError) as info:
        studio.generate("a tram", model="gemini-9-ultra-image")
    assert "Publisher Model" in info.value.message and "location='global'" in str(info.value)


def test_models_lists_publisher_models(studio, server):
    df = studio.models()
    assert M in set(df["model"]) and df["in_registry"].all()
    assert server.requests[-1].path == "/v1beta1/publishers/google/models"


def test_chats_replay_history_and_batch_mode_is_not_offered(studio, server):
    chat = studio.chat()
    assert chat.api == "generate_content"  # no Interactions API on Vertex: the history is replayed
    chat.send("a cat", image_size="512")
    r = chat.send("now make it night time", image_size="512")
    assert r.ok and server.calls[-1].path == _path("global") and len(server.calls[-1].json["contents"]) == 3
    with pytest.raises(tk.ConfigError, match="no batch mode"):
        studio.compare("a {x}", x=["cat", "owl"], mode="batch", progress=False)


def test_simulator_image_is_reencoded_not_redrawn(studio):
    png = studio.generate("a blue door", image_size="512", output_mime_type="image/png")
    jpeg = studio.generate("a blue door", image_size="512", output_mime_type="image/jpeg")
    a, b = (Image.open(io.BytesIO(r.outputs[0].data)).convert("RGB") for r in (png, jpeg))
    assert a.size == b.size


# -- thinking and grounding are carried; service tiers are refused (issue 15) ---------------------------------
def test_thinking_and_grounding_are_carried_on_vertex(studio, server):
    r = studio.generate("today's weather in Rome", image_size="512", thinking_level="high", include_thoughts=True,
                        grounding="web")
    body = server.requests[-1].json
    thinking = body["generationConfig"].get("thinkingConfig") or body["generationConfig"].get("thinking_config")
    assert (thinking.get("thinkingLevel") or thinking.get("thinking_level")) == "HIGH"
    assert "googleSearch" in body["tools"][0] or "google_search" in body["tools"][0]
    assert r.status == "ok" and r.thoughts and r.grounding and r.grounding["queries"] >= 1
    assert studio.ledger.df.iloc[-1]["grounding_queries"] == r.grounding["queries"]


def test_service_tier_is_refused_on_vertex_before_sending(studio, server):
    with pytest.raises(tk.OptionError, match="service_tier is a Gemini API option") as err:
        studio.generate("a kite", service_tier="flex")
    assert "backend='gemini'" in str(err.value)
    assert server.call_count == 0
