""":class:`FakeGeminiServer`, a loopback fake of the Gemini REST API (and of Vertex AI's Gemini surface).

The server speaks enough of ``generativelanguage.googleapis.com`` for the real google-genai SDK (and for
plain HTTP clients) to be pointed at it with ``HttpOptions(base_url=...)``: ``generateContent``,
``streamGenerateContent`` (SSE), ``countTokens``, ``models.list`` and ``models.get``, the Batch API and the
Files API (:mod:`.gemini_batch`), and the Interactions API (:mod:`.interactions`), under ``/v1``,
``/v1beta`` or ``/v1alpha`` and behind an optional path prefix. It also serves the Vertex AI surface
(:mod:`.gemini_vertex`). Successful calls are answered with images from the offline simulator
(:func:`toolkit.simulator.render`), so pixel sizes, MIME types and token counts look like the real model's.

Wire facts follow https://ai.google.dev/gemini-api/docs/image-generation (requests, responses, streaming,
thought signatures), https://ai.google.dev/gemini-api/docs/generate-content/api-errors (errors) and
https://ai.google.dev/gemini-api/docs/batch-api (batch). Request parsing lives in :mod:`.gemini_wire`,
answer building in :mod:`.gemini_answers`, search grounding and image sequences in :mod:`.gemini_grounding`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from .. import registry
from .base import KINDS, REDACTED, SHORTCUTS, Outcome, Recorded, text_tokens
from .gemini_answers import (
    StaticImage,
    build_answer,
    encode,
    error_for,
    html_page,
    model_json,
    response_json,
    stream_events,
)
from .gemini_batch import INLINE_BATCH_LIMIT_BYTES, BatchApi, FakeBatch, FakeFile, download_chunks
from .gemini_structured import is_structured, structured_answer
from .gemini_vertex import VERTEX_ROUTE, check_vertex_auth, models_reply, token_reply, vertex_action
from .gemini_wire import (
    CALL_METHODS,
    ROUTE,
    ApiError,
    Reply,
    available,
    check_api_key,
    get,
    inline,
    lookup_model,
    paged,
    parse_generate,
    route,
)
from .interactions import FakeInteractions
from .loopback import LoopbackFake, LoopbackHandler

__all__ = ["FakeGeminiServer"]

_GEMINI_KINDS = KINDS - {"failed", "incomplete"}


class _Handler(LoopbackHandler):
    server_version = "scaffolding on HTTPServer2"

    def default_headers(self) -> dict[str, str]:
        return {
            "Vary": "Origin, X-Origin, Referer", "Date": self.date_time_string(), "Server": self.server_version,
            "X-XSS-Protection": "0", "X-Frame-Options": "SAMEORIGIN", "X-Content-Type-Options": "nosniff",
            "Server-Timing": f"gfet4t7; dur={(time.perf_counter() - self._t0) * 1000:.3f}",
        }

    # ---- request -----------------------------------------------------------------------------------
    def dispatch(self) -> None:
        fake: FakeGeminiServer = self.server.fake
        self._t0 = time.perf_counter()
        self.responded = False
        received = time.time()
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        key = headers.get("x-goog-api-key") or query.get("key")
        authorization = headers.get("authorization")
        path = unquote(split.path)
        version = model = action = resource = None
        prefix = ""
        surface, project, location, vertex_path = "gemini", None, None, None
        m = None
        vm = VERTEX_ROUTE.match(path)
        if vm:  # Vertex AI: checked first, since its v1 paths share the version segment with the Gemini API's
            version, prefix, model = vm["version"], vm["prefix"], vm["model"]
            project, location = vm["project"], vm["location"]
            surface = "vertex" if project else "vertex-express"
            action = vertex_action(self.command, vm["publisher"], model, vm["method"])
            scope = f"projects/{project}/locations/{location}/" if project else ""
            vertex_path = f"{scope}publishers/{vm['publisher']}/models/{model}"
        elif self.command == "POST" and path.rstrip("/").endswith("/token"):
            surface, action = "oauth", "oauth.token"
        else:
            m = ROUTE.match(path)
            if m:
                version, prefix = m["version"], m["prefix"]
                action, model, resource = route(self.command, prefix, m["rest"], query)

        raw = self.read_body()
        body: Any = None
        body_error = False
        # upload chunks are the file's bytes, and a token request is a form, not JSON
        if raw and action not in ("files.upload", "oauth.token"):
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body_error = True

        # The upload-session URL is its own credential (Google's upload front end works that way).
        if action in ("files.upload", "oauth.token"):
            auth_error = None
        elif surface != "gemini":
            auth_error = check_vertex_auth(key, authorization, api_key=fake.api_key, bearer_token=fake.bearer_token)
        else:
            auth_error = check_api_key(key, fake.api_key)
        is_bearer = bool(authorization and authorization[:7].lower() == "bearer ")
        record = Recorded(
            method=self.command, path=split.path, version=version, model=model,
            query={k: (REDACTED if k == "key" else v) for k, v in query.items()},
            headers={k: (REDACTED if k in ("x-goog-api-key", "authorization") else v) for k, v in headers.items()},
            json=body, received_at=received, action=action, is_call=action in CALL_METHODS, surface=surface,
            project=project, location=location, auth="bearer" if is_bearer else "api_key" if key else None,
        )
        outcome, number = fake.admit(record, authorized=auth_error is None)
        fake.sleep_latency()
        try:
            if auth_error is not None:
                self._send_api_error(auth_error)
            elif body_error:
                self._send_api_error(ApiError(400, "Invalid JSON payload received. Unexpected token."))
            elif action == "oauth.token":
                self._send_reply(token_reply(raw, fake.bearer_token))
            elif action in CALL_METHODS:
                assert version is not None and model is not None
                self._generate(fake, version, model, action, body, outcome, number, split.query, vertex_path)
            elif surface != "gemini" and action in ("list", "get"):
                self._send_reply(models_reply(model, vertex_path, query, fake.today))
            elif action == "countTokens":
                self._count_tokens(fake, version or "v1", model or "", body)
            elif action == "batchGenerateContent":
                assert version is not None and model is not None
                info = lookup_model(model, version, "batchGenerateContent", fake.today)
                self._send_reply(fake._batch_api.create(version, info, body, len(raw)))
            elif action is not None and action.startswith("batches."):
                self._send_reply(fake._batch_api.batches_action(action, resource, query))
            elif action is not None and action.startswith("files."):
                assert version is not None
                base = fake.base_url + prefix.removesuffix("/upload").removesuffix("/download")
                reply = fake._batch_api.files_action(
                    action, version=version, base=base, path=split.path, resource=resource, body=body, raw=raw,
                    headers=headers, query=query, origin=fake.base_url)
                if action == "files.download" and reply.code == 200:
                    self._send_download(reply, fake.batch_download_cut_bytes)
                else:
                    self._send_reply(reply)
            elif m is not None and version in ("v1", "v1beta") and m["rest"].split("/", 1)[0] == "interactions":
                code, out = fake.interactions.handle(self.command, version, m["rest"], split.path, raw, body)
                self.send(code, out, "application/json; charset=UTF-8")
            elif action == "list":
                self._list_models(fake, query)
            elif action == "get":
                found = registry.lookup(model or "")
                if found is None or found.id != model or not available(found, fake.today):
                    raise ApiError(404, f"models/{model} is not found for API version {version}.")
                self._send_json(200, model_json(found))
            else:
                self._send_api_error(ApiError(404, "Requested entity was not found."))
        except ApiError as exc:
            self._send_api_error(exc)
        except OSError:
            self.close_connection = True
        except Exception as exc:  # a bug here should fail the test loudly, not hang the client
            if not self.responded:
                self._send_api_error(ApiError(500, f"FakeGeminiServer error: {exc!r}"))
            else:
                self.close_connection = True

    # ---- actions -----------------------------------------------------------------------------------
    def _generate(self, fake: FakeGeminiServer, version: str, model: str, action: str, body: Any,
                  outcome: Outcome, number: int, query: str, vertex_path: str | None = None) -> None:
        stream = action == "streamGenerateContent"
        sse = stream and "alt=sse" in query
        kind = outcome.kind
        if kind == "drop":
            self.drop()
            return
        if kind == "html":
            self.send(outcome.code or 502, html_page(outcome.code or 502), "text/html; charset=UTF-8")
            return
        if kind == "error" and not (stream and outcome.mid_stream):
            self._send_api_error(error_for(outcome, model, version, vertex=vertex_path is not None))
            return
        if kind == "malformed":
            whole = json.dumps({"candidates": [{"content": {"parts": [{"text": "Here is your image"}],
                                                            "role": "model"}, "finishReason": "STOP"}]})
            cut = whole[: len(whole) // 2].encode()
            if sse:
                self.send(200, b"data: " + cut + b"\r\n\r\n", "text/event-stream")
            else:
                self.send(200, cut, "application/json; charset=UTF-8")
            return
        if kind == "raw":
            raw = outcome.body if isinstance(outcome.body, bytes) else json.dumps(outcome.body).encode()
            if sse:
                self.send(200, b"data: " + raw + b"\r\n\r\n", "text/event-stream")
            else:
                self.send(200, raw, "application/json; charset=UTF-8")
            return
        if kind == "stall":
            time.sleep(outcome.seconds)

        if not stream and vertex_path is None and is_structured(model, body):  # a judge's text model: JSON out
            self._send_json(200, structured_answer(version, model, body, outcome, number))
            return
        req = parse_generate(fake.today, version, model, action, body, vertex_path)
        ans = build_answer(req, outcome, number, fake._static())
        if not stream:
            self._send_json(200, response_json(ans))
            return
        events = [encode(e) for e in stream_events(ans)]
        if not sse:  # without alt=sse the API streams one JSON array
            self.send(200, b"[" + b",\r\n".join(events) + b"]", "application/json; charset=UTF-8")
            return
        if self.request_version == "HTTP/1.0":
            self.close_connection = True
            self.send(200, b"".join(b"data: " + e + b"\r\n\r\n" for e in events), "text/event-stream")
            return
        self.start_chunked(200, "text/event-stream")
        for e in events:
            self.write_chunk(b"data: " + e + b"\r\n\r\n")
        self.write_chunk(b"")

    def _count_tokens(self, fake: FakeGeminiServer, version: str, model: str, body: Any) -> None:
        info = lookup_model(model, version, "countTokens", fake.today)
        contents = get(body, "contents") or get(get(body, "generateContentRequest") or {}, "contents") or []
        text = images = 0
        for content in contents if isinstance(contents, list) else []:
            for part in get(content, "parts") or []:
                if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                    text += text_tokens(part["text"])
                blob = inline(part)
                if blob is not None and str(get(blob, "mimeType", "")).startswith("image/"):
                    images += info.input_image_tokens
        details = [{"modality": "TEXT", "tokenCount": text}]
        if images:
            details.append({"modality": "IMAGE", "tokenCount": images})
        self._send_json(200, {"totalTokens": text + images, "promptTokensDetails": details})

    def _list_models(self, fake: FakeGeminiServer, query: Mapping[str, str]) -> None:
        models = [m for m in registry.MODELS if available(m, fake.today)]
        self._send_json(200, paged("models", models, query, model_json))

    # ---- responses ---------------------------------------------------------------------------------
    def _send_reply(self, reply: Reply) -> None:
        self.send(reply.code, reply.body, reply.content_type, reply.headers)

    def _send_download(self, reply: Reply, cut: int | None) -> None:
        chunks, cut_short = download_chunks(reply.body, cut)
        self.start_chunked(reply.code, reply.content_type)
        for chunk in chunks:
            self.write_chunk(bytes(chunk))
        if cut_short:
            self.drop()
        else:
            self.write_chunk(b"")

    def _send_json(self, code: int, payload: Any) -> None:
        self.send(code, encode(payload), "application/json; charset=UTF-8")

    def _send_api_error(self, exc: ApiError) -> None:
        self._send_json(exc.code, exc.payload())


class FakeGeminiServer(LoopbackFake):
    """A loopback HTTP server that answers like the Gemini API, for tests.

    Runs in a background thread (``ThreadingHTTPServer``, one daemon thread per connection, HTTP/1.1
    keep-alive), so a client's connection pool is reused and concurrent calls really overlap. Script what
    the next calls get (:meth:`enqueue`, with :class:`~toolkit.testing.Outcome` or shortcuts such as
    ``"503"``, ``"image_safety"``, ``"many_images"``, ``"interleaved"``), inject faults at random (``faults=``),
    and read back
    what was sent (:attr:`requests`, :class:`~toolkit.testing.Recorded`).

    Parameters
    ----------
    api_key : str, optional
        When set, requests must carry it in ``x-goog-api-key`` or ``?key=``: a wrong key gets the real
        400 ``API_KEY_INVALID`` body and a missing one the real 403 "unregistered callers" body. The key
        is never stored in :attr:`requests` nor logged. On the Vertex AI surface it is the express-mode key
        (also accepted on project paths, as Vertex accepts bound API keys there).
    bearer_token : str, optional
        The OAuth access token Vertex AI project paths accept in ``Authorization: Bearer``; the token
        endpoint (:attr:`token_uri`) issues it. When None, any bearer token is accepted. A wrong token gets
        401 ``UNAUTHENTICATED``; a project path with no credential at all gets 401 ``CREDENTIALS_MISSING``
        (unless neither ``api_key`` nor ``bearer_token`` is set: then nothing is checked, as on the
        Gemini surface).
    latency_s : float
        Sleep this long before answering each request (in the handler thread).
    host, port : str, int
        Where to listen; port 0 picks a free port.
    static_image : bytes, optional
        Answer every successful call with these bytes instead of running the simulator (fast; used by
        benchmarks). Usage comes from the registry.
    static_mime : str
        MIME type of ``static_image``.
    faults : dict, optional
        Outcome shortcut -> probability, e.g. ``{"503": 0.2, "drop": 0.05}``: calls with no scripted
        outcome get that outcome with that probability (seeded, so a run is reproducible when calls
        arrive in the same order).
    fault_seed : int
        Seed of the fault RNG.
    today : datetime.date, optional
        The date the fake believes it is, for model availability: a model past its registry
        ``shutdown`` (or before its ``released`` date) answers 404 and is not listed. Defaults to the
        real date.
    batch_polls_until_done : int
        A batch job is ``BATCH_STATE_PENDING`` when created, ``BATCH_STATE_RUNNING`` on the ``GET``
        polls before this one, and finishes (its requests are answered) on ``GET`` number
        ``batch_polls_until_done`` (default 2; 1 or less finishes on the first poll).
    batch_seconds_until_done : float, optional
        When set, a batch job finishes on the first poll at least this many seconds after it was
        created, instead of counting polls.
    batch_inline_limit_bytes : int
        A ``batchGenerateContent`` body larger than this is refused with 400, as the real API refuses
        inlined requests past 20 MB (the default); tests lower it.
    batch_download_cut_bytes : int, optional
        When set, downloading a batch results file stops after this many bytes and the connection drops
        (a transfer that breaks off mid-way); None (the default) sends it whole.

    Attributes
    ----------
    api_key, bearer_token, latency_s, today, static_mime
        See Parameters. Plain attributes; a test may change them while the server runs.
    batch_polls_until_done, batch_seconds_until_done, batch_inline_limit_bytes, batch_download_cut_bytes
        Likewise.
    static_image : bytes or None
        Settable; None switches back to the simulator.
    interactions : FakeInteractions
        The Interactions API (``/v1|v1beta/interactions``): script, expire and inspect it there.

    Notes
    -----
    Choices where the real API is undocumented:

    * Scripted and fault outcomes are taken by every ``generateContent`` / ``streamGenerateContent``
      call in arrival order, valid or not; HTTP-level ones fail the call before validation. Calls
      refused for their API key are counted in :attr:`call_count` but take no outcome.
      ``Outcome.no_image()`` is ``finishReason: NO_IMAGE`` here.
    * Thinking models send thought parts only when ``thinkingConfig.includeThoughts`` is true (or an
      ``Outcome.thoughts_with_interim_images()`` is scripted): a thought text, an interim ``thought: true``
      image (not billed) and a second thought text, before the answer. ``thoughtsTokenCount`` is reported
      either way. ``thinkingLevel`` must be one the registry lists for the model (``thinking_levels``); on a
      model without levels it gets the real "Thinking level is not supported for this model." 400.
    * A ``googleSearch`` tool (``searchTypes``: web and/or image) adds a deterministic ``groundingMetadata``
      whose sources are on example.com/.org/.net (:mod:`toolkit.testing.gemini_grounding`). A model whose
      registry ``grounding`` is empty gets the real "Search Grounding is not supported." 400; image search
      on a web-only model is a 400 too. Image-only output with web grounding (3 Pro) returns no image
      (``NO_IMAGE``), as the image-generation docs say; models with image search draw in image-only mode.
    * A prompt that plainly asks for a sequence ("with images", "step by step", "a 5 part story with 5
      images") gets that many images (3 by default, 8 at most) interleaved with text; so does
      ``Outcome.interleaved(k)``. ``Outcome.many_images(k)`` keeps its k images after one text.
    * ``usageMetadata.serviceTier`` echoes the request's top-level ``serviceTier`` (``"standard"`` when
      absent); a tier the registry does not list for the model (``service_tiers``) is a 400.
    * ``imageSize`` on 2.5 Flash Image (which has no sizes) is accepted and ignored, as the real API
      did; ``"512px"`` is read as ``"512"``. An edit the simulator cannot do answers with the input image
      under a "NOT SIMULATED" banner (the simulator's own), never with an empty reply.
    * Model ids must be canonical (``gemini-3.1-flash-image``): toolkit aliases such as
      ``nano-banana-2`` are not Google names and get the real 404.
    * ``promptTokensDetails`` lists IMAGE only when the prompt had images (the real API omits zero
      modalities). Thought-signature positions in the 400 message are 1-based.
    * Batch jobs take their requests' outcomes from the same script, when the job is created, and are
      not counted in :attr:`call_count` (see :mod:`toolkit.testing.gemini_batch`).
    * Vertex AI: any project and location are accepted (no IAM); only the ``google`` publisher exists.
      Replies add ``usageMetadata.trafficType: "ON_DEMAND"`` and ``createTime`` (and a
      ``blockReasonMessage`` on prompt blocks). ``imageConfig`` may carry ``personGeneration``,
      ``prominentPeople`` and ``imageOutputOptions{mimeType, compressionQuality}`` there (the Gemini
      surface answers 400 "Unknown name" for them, as proto-JSON does); ``mimeType`` is honoured by
      re-encoding the image as PNG or JPEG (at ``compressionQuality``, default 75), the other two are
      validated and recorded but do not change the drawing. A Vertex 429 carries Vertex's message.
      ``countTokens`` works on both surfaces; batch, files and Interactions are Gemini-only.
    * OAuth: ``POST /token`` (under any path prefix) answers a ``refresh_token`` or ``jwt-bearer`` grant
      with ``bearer_token`` (or ``"fake-access-token"``), so google-auth's Application Default Credentials
      can run for real against the fake (an ``authorized_user`` file whose ``token_uri`` is
      :attr:`token_uri`).

    Examples
    --------
    A Studio on the Gemini backend, pointed at the fake (``home`` is a scratch folder):

    >>> fake = FakeGeminiServer(api_key="test-key").start()
    >>> studio = tk.Studio(backend="gemini", api_key="test-key", base_url=fake.url, home=home)
    >>> fake.enqueue("image_safety")
    >>> studio.generate("a lighthouse at dusk").status
    'blocked'
    >>> r = studio.generate("a lighthouse at dusk")
    >>> r.status, fake.call_count, fake.calls[-1].outcome
    ('ok', 2, 'ok')
    >>> fake.stop()
    """

    SHORTCUTS: ClassVar[Mapping[str, Outcome]] = {k: o for k, o in SHORTCUTS.items() if o.kind in _GEMINI_KINDS}
    KINDS: ClassVar[frozenset[str]] = _GEMINI_KINDS
    handler_class = _Handler

    def __init__(
        self,
        *,
        api_key: str | None = None,
        latency_s: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        static_image: bytes | None = None,
        static_mime: str = "image/png",
        faults: Mapping[str | Outcome, float] | None = None,
        fault_seed: int = 0,
        today: dt.date | None = None,
        batch_polls_until_done: int = 2,
        batch_seconds_until_done: float | None = None,
        batch_inline_limit_bytes: int = INLINE_BATCH_LIMIT_BYTES,
        batch_download_cut_bytes: int | None = None,
        bearer_token: str | None = None,
    ) -> None:
        super().__init__(api_key=api_key, latency_s=latency_s, host=host, port=port, faults=faults,
                         fault_seed=fault_seed)
        self.bearer_token = bearer_token
        self.static_mime = static_mime
        self.static_image = static_image
        self.today = today
        self.batch_polls_until_done = int(batch_polls_until_done)
        self.batch_seconds_until_done = batch_seconds_until_done
        self.batch_inline_limit_bytes = int(batch_inline_limit_bytes)
        self.batch_download_cut_bytes = batch_download_cut_bytes
        self.interactions = FakeInteractions(self)
        self._batch_api = BatchApi(self, self._answer_one)

    def parse_outcome(self, spec: str | int | Outcome) -> Outcome:
        """An :class:`Outcome` this fake can act out; ``no_image`` becomes ``finish("NO_IMAGE")``."""
        outcome = super().parse_outcome(spec)
        if outcome.kind == "no_image":
            return Outcome.finish("NO_IMAGE", outcome.message)
        return outcome

    @property
    def static_image(self) -> bytes | None:
        """The bytes every successful call answers with, or None to use the simulator."""
        return self._static_image

    @static_image.setter
    def static_image(self, data: bytes | None) -> None:
        self._static_image = data
        # Encoded once here rather than per call: this is the benchmark path.
        self._static_b64 = base64.b64encode(data).decode("ascii") if data is not None else None

    def _static(self) -> StaticImage | None:
        data, b64 = self._static_image, self._static_b64  # read once: tests may swap them
        if data is None or b64 is None:
            return None
        return StaticImage(data, self.static_mime, b64)

    @property
    def token_uri(self) -> str:
        """The OAuth token endpoint, for the ``token_uri`` of test credentials (see the class Notes)."""
        return f"{self.base_url}/token"

    # ---- scripting and inspection ------------------------------------------------------------------
    def reset(self) -> None:
        """Forget recorded requests, scripted outcomes, the call counter, batch jobs, files and interactions;
        reseed the fault RNG."""
        super().reset()
        self._batch_api.reset()
        self.interactions.reset()

    @property
    def batches(self) -> list[FakeBatch]:
        """A snapshot of the batch jobs the fake holds, in creation order (deleted ones are gone)."""
        return self._batch_api.batches

    @property
    def files(self) -> dict[str, FakeFile]:
        """A snapshot of the Files API store: ``files/<id>`` -> :class:`FakeFile`."""
        return self._batch_api.files

    def set_batch_state(self, name: str, state: str, message: str | None = None) -> None:
        """Force a batch job into a terminal state (``BATCH_STATE_FAILED``, ``_EXPIRED``, ``_CANCELLED``).

        Lets tests reach the outcomes the real service decides on its own (a job that failed as a whole,
        one that expired after 48 hours). A ``FAILED`` job carries ``error`` (``message``, code 500) in
        its Operation. Its requests are never answered.
        """
        self._batch_api.set_state(name, state, message)

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        mode = "static" if self.static_image is not None else "simulator"
        return f"<FakeGeminiServer {where} {mode} calls={self.call_count}>"

    def _answer_one(self, version: str, model: str, body: Any, outcome: Outcome, number: int) -> dict[str, Any]:
        """One batch request, answered like ``generateContent``."""
        req = parse_generate(self.today, version, model, "batchGenerateContent", body)
        return response_json(build_answer(req, outcome, number, self._static()))
