"""The Studio facade: the one path every call takes.

``generate | edit | fuse | chat.send``  ->  :class:`~toolkit.request.Request` (validated, hashed)
->  cache lookup (same key = same answer, $0)  ->  budget check on the calls that will be sent
->  ``Backend.generate`` with retries  ->  :class:`~toolkit.result.Result`  ->  store (image files + one
ledger row per call)  ->  display / pandas.

The cache is consulted before the budget (a deviation from the design sketch): a replay costs nothing,
so a Studio at its cap can still replay everything it has already paid for.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import pricing, registry
from .backends.base import Backend, Reply
from .backends.fal import FalBackend
from .backends.gemini import GeminiBackend, env_api_key, refuse_vertex_options
from .backends.offline import OfflineBackend
from .backends.openrouter import OpenRouterBackend
from .backends.vertex import VertexBackend, check_vertex_options, use_vertex_from_env
from .errors import (
    BudgetExceededError,
    ConfigError,
    InputAdjustedWarning,
    InputError,
    OptionError,
    ProviderError,
)
from .images import DEFAULT_MAX_SIDE, embed_metadata, load_image, strip_metadata
from .ledger import Ledger
from .ratelimit import RateLimit, RateLimiter
from .request import ImagePart, Options, Request, TextPart, Turn
from .result import OutputImage, Result, combine
from .runner import RetryPolicy, Stopwatch, run, with_retries
from .secrets import Secret, scrub
from .store import Store, new_session_id

if TYPE_CHECKING:
    import pandas as pd

    from .chat import Chat
    from .compare import Plan, Study
    from .packs import Manifest

BACKENDS = ("auto", "gemini", "vertex", "offline", "openrouter", "fal")
PLANNED_BACKENDS: tuple[str, ...] = ()
MAX_N = 16
MAX_PROMPT_CHARS = 100_000
__version__ = "0.1.0"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Studio:
    """Generate and edit images with Gemini image models, or offline with the simulator.

    Parameters
    ----------
    backend : {"auto", "gemini", "vertex", "offline", "openrouter", "fal"} or a Backend instance
        ``"auto"`` (default) uses Vertex AI when ``GOOGLE_GENAI_USE_VERTEXAI`` (or
        ``GOOGLE_GENAI_USE_ENTERPRISE``) is ``true``/``1``, as google-genai does, or when ``project``,
        ``location`` or ``credentials`` is passed; else the Gemini API when ``api_key``, ``GOOGLE_API_KEY``
        or ``GEMINI_API_KEY`` is set; else the offline simulator (it never picks OpenRouter or fal by
        itself). ``"vertex"`` needs a project (``project=`` or ``GOOGLE_CLOUD_PROJECT``, with Application
        Default Credentials or ``credentials=``) or an express-mode API key. ``"openrouter"`` needs
        ``OPENROUTER_API_KEY`` (or ``api_key=``); ``"fal"`` needs ``FAL_KEY`` (or ``FAL_KEY_ID`` +
        ``FAL_KEY_SECRET``, or ``api_key=``). The choice shows in ``repr(studio)`` and in every Result.
    model : str, optional
        Model id or alias (``"nano-banana-2"``, ...). Default: :data:`toolkit.registry.DEFAULT_MODEL`.
    api_key : str, optional
        The chosen backend's key; overrides the environment. Never written anywhere or shown.
    base_url : str, optional
        Another endpoint for the chosen backend (gateway, proxy, or a loopback fake: ``FakeGeminiServer``,
        ``FakeOpenRouterServer``, ``FakeFalServer``). Without it: ``GOOGLE_GEMINI_BASE_URL`` (Gemini),
        ``GOOGLE_VERTEX_BASE_URL`` (Vertex AI), ``OPENROUTER_BASE_URL`` (OpenRouter),
        ``FAL_QUEUE_RUN_HOST`` / ``FAL_RUN_HOST`` (fal). The offline simulator sends nothing, so a
        ``base_url`` with it is a ``ConfigError`` (usually a missing API key under ``backend="auto"``).
    home : path, optional
        Where the ledger, cache and images live; default ``$TOOLKIT_HOME`` or
        ``~/.local/share/flash-image-toolkit``.
    budget_usd : float, optional
        Refuse, before sending, any call whose estimate would take this Studio's spend past the cap.
    api_version, timeout_s, retry, concurrency, max_input_side, simulated_latency_s
        Gemini API version (default ``v1beta``), per-request timeout, :class:`~toolkit.runner.RetryPolicy`,
        concurrent requests per Studio, the longest input side before downscaling, and the offline
        backend's simulated seconds per call.
    rate_limit : RateLimit or dict of model id -> RateLimit, optional
        Client-side requests per minute and concurrent requests per model; 429s slow it down.
    replay : path, optional
        A replay pack (``TOOLKIT_REPLAY`` by default): its recorded answers replay at $0 with no network;
        other requests go to the configured backend, or with ``replay_strict=True`` return ``no_image``.
    gemini_api : {"interactions", "generate_content"}
        How :meth:`chat` carries a conversation on the Gemini backend. ``"interactions"`` (default): the
        Interactions API keeps it on the server and each turn uploads only its own text and images
        (restarting from the last saved image when the server state expired). ``"generate_content"``:
        every turn replays the whole history. One-shot calls, studies and batch jobs always use
        ``generate_content`` (Interactions has no Batch API and no finish reasons); other backends always
        replay. See :mod:`toolkit.chat`.

    project, location, credentials
        Vertex AI only: the Google Cloud project (default ``GOOGLE_CLOUD_PROJECT``), the location
        (default ``GOOGLE_CLOUD_LOCATION``, else ``"global"``) and explicit
        ``google.auth.credentials.Credentials`` (default Application Default Credentials). Passing one
        makes ``backend="auto"`` choose Vertex AI; with another backend it is a ``ConfigError``. See
        :class:`~toolkit.backends.vertex.VertexBackend` (express mode, precedence, endpoints).

    ``TOOLKIT_BUDGET_USD`` in the environment sets the default ``budget_usd`` (a per-seat cap for workshops).

    Examples
    --------
    >>> import toolkit as tk
    >>> studio = tk.Studio(backend="offline", home=tmp)        # doctest: +SKIP
    >>> r = studio.generate("a lighthouse at sunset", aspect_ratio="16:9")   # doctest: +SKIP
    >>> r.status, r.image.size                                   # doctest: +SKIP
    ('ok', (1376, 768))
    """

    def __init__(
        self,
        backend: str | Backend = "auto",
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        home: str | None = None,
        budget_usd: float | None = None,
        *,
        api_version: str | None = None,
        timeout_s: float = 180.0,
        retry: RetryPolicy | None = None,
        concurrency: int = 8,
        max_input_side: int = DEFAULT_MAX_SIDE,
        simulated_latency_s: float = 0.0,
        rate_limit: RateLimit | dict[str, RateLimit] | None = None,
        replay: str | os.PathLike | None = None,
        replay_strict: bool = False,
        gemini_api: str = "interactions",
        project: str | None = None,
        location: str | None = None,
        credentials: Any = None,
    ) -> None:
        from .backends.interactions import check_gemini_api

        self.gemini_api = check_gemini_api(gemini_api)
        self._interactions: Backend | None = None  # the Interactions transport, built by the first chat
        explicit_key = Secret(api_key) if api_key else None
        key = explicit_key or (Secret(k) if (k := env_api_key()) else None)
        self.backend = self._make_backend(backend, key, base_url, api_version, timeout_s, simulated_latency_s,
                                          explicit_key=explicit_key, project=project, location=location,
                                          credentials=credentials)
        self.model = registry.resolve(model, warn=True)
        self.store = Store(home)
        replay = replay if replay is not None else (os.environ.get("TOOLKIT_REPLAY") or None)
        if replay is not None:
            from .packs import ReplayBackend, import_pack

            self.backend = ReplayBackend(replay, import_pack(self.store, replay), self.backend, replay_strict)
        self.session = new_session_id()
        self.ledger = Ledger(self.store)
        if budget_usd is None and os.environ.get("TOOLKIT_BUDGET_USD"):
            budget_usd = _env_budget(os.environ["TOOLKIT_BUDGET_USD"])
        self.budget_usd = _check_budget(budget_usd)
        self.retry = retry or RetryPolicy()
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"concurrency={concurrency!r} must be a whole number >= 1.")
        self.concurrency = concurrency
        self.max_input_side = max_input_side
        self._spent = 0.0
        self._reserved = 0.0
        self._batch_reserved: dict[str, float] = {}  # batch job -> its estimate, held in _reserved until collected
        self._money_lock = threading.Lock()
        self._semaphores: dict[int, asyncio.Semaphore] = {}
        if isinstance(rate_limit, dict):
            self.rate_limiter = RateLimiter(per_model={registry.resolve(k, warn=False).id: v
                                                       for k, v in rate_limit.items()}, home=self.store.home)
        else:
            self.rate_limiter = RateLimiter(rate_limit, home=self.store.home)

    # -- construction ---------------------------------------------------------------------------------
    @staticmethod
    def _make_backend(
        backend: str | Backend, key: Secret | None, base_url: str | None, api_version: str | None,
        timeout_s: float, simulated_latency_s: float, *, explicit_key: Secret | None = None,
        project: str | None = None, location: str | None = None, credentials: Any = None,
    ) -> Backend:
        if not isinstance(backend, str):
            if isinstance(backend, Backend):
                return backend
            raise ConfigError(f"backend={backend!r} is neither a backend name nor a Backend object.")
        name = backend.strip().lower()
        cloud = project is not None or location is not None or credentials is not None
        if name == "auto":
            # Vertex AI as google-genai chooses it (GOOGLE_GENAI_USE_VERTEXAI), or when a project is given.
            name = "vertex" if cloud or use_vertex_from_env() else "gemini" if key else "offline"
        if cloud and name != "vertex":
            raise ConfigError(f"project=, location= and credentials= are Vertex AI settings: use "
                              f"Studio(backend='vertex', ...) or drop them (backend={backend!r}).")
        if name == "vertex":
            return VertexBackend(project, location, api_key=explicit_key, credentials=credentials,
                                 base_url=base_url, api_version=api_version, timeout_s=timeout_s)
        if name == "offline":
            if base_url is not None:
                why = (" backend='auto' chose it because no API key was found: set GEMINI_API_KEY (or pass "
                       "api_key=...) to use the Gemini API at that URL." if backend.strip().lower() == "auto" else "")
                raise ConfigError(f"base_url={base_url!r} has no effect on the offline simulator, which sends "
                                  f"nothing.{why} Otherwise drop base_url.")
            return OfflineBackend(latency_s=simulated_latency_s)
        if name == "gemini":
            if not key:
                raise ConfigError(
                    "backend='gemini' needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) in the environment, "
                    "or pass api_key=... . Without a key, use backend='offline' (the simulator)."
                )
            return GeminiBackend(key, base_url=base_url, api_version=api_version, timeout_s=timeout_s)
        # OpenRouter and fal read their own env keys (never the Gemini key) when none is passed.
        if name == "openrouter":
            return OpenRouterBackend(explicit_key, base_url=base_url, timeout_s=timeout_s)
        if name == "fal":
            return FalBackend(explicit_key, base_url=base_url, timeout_s=timeout_s)
        if name in PLANNED_BACKENDS:
            raise ConfigError(f"backend={backend!r} is not available in this version yet. Use one of: "
                              f"{', '.join(BACKENDS)}.")
        raise ConfigError(f"Unknown backend {backend!r}. Use one of: {', '.join(BACKENDS)}.")

    def __repr__(self) -> str:
        budget = f"${self.budget_usd:.2f}" if self.budget_usd is not None else "none"
        return (
            f"Studio(backend={self.backend.kind!r} [{self.backend.description}], model={self.model.id!r} "
            f"({self.model.nickname}), ledger={str(self.store.db_path)!r}, spent=${self.spent_usd:.4f}, "
            f"budget={budget})"
        )

    # -- money ----------------------------------------------------------------------------------------
    @property
    def spent_usd(self) -> float:
        """Money this Studio has actually spent (cache hits and the simulator spend nothing)."""
        return self._spent

    @property
    def session_ledger(self) -> Ledger:
        """The ledger restricted to this Studio's calls."""
        return self.ledger.for_session(self.session)

    # -- public calls ---------------------------------------------------------------------------------
    def generate(
        self,
        prompt: str,
        images: Any = None,
        *,
        aspect_ratio: str | None = None,
        image_size: str | None = None,
        n: int = 1,
        seed: int | None = None,
        temperature: float | None = None,
        model: str | None = None,
        refresh: bool = False,
        person_generation: str | None = None,
        prominent_people: str | None = None,
        output_mime_type: str | None = None,
        output_compression_quality: int | None = None,
        stream: bool = False,
        on_text: Callable[[str], None] | None = None,
    ) -> Result:
        """Generate from a prompt, optionally with input images (paths, PIL images, bytes, arrays).

        ``n > 1`` sends n requests concurrently (the image models reject ``candidateCount > 1``) and returns
        one Result holding every image. ``refresh=True`` skips the cache.

        Vertex AI only (``backend="vertex"``; any other backend raises ``OptionError``):
        ``person_generation`` (``"ALLOW_ALL"``, ``"ALLOW_ADULT"``, ``"ALLOW_NONE"``), ``prominent_people``
        (``"ALLOW_PROMINENT_PEOPLE"``, ``"BLOCK_PROMINENT_PEOPLE"``), ``output_mime_type`` (``"image/png"``,
        ``"image/jpeg"``) and ``output_compression_quality`` (0-100, JPEG only). They are part of the cache key.

        Streaming: ``stream=True`` (or passing ``on_text``) sends ``streamGenerateContent`` and calls
        ``on_text(delta)`` with each piece of the reply text as it arrives (without ``on_text`` the deltas
        are printed); the image arrives with the Result. The Result, cache entry, price and ledger row are
        the same as without streaming. Needs ``n=1``. Backends without streaming (OpenRouter, fal, replay
        packs) and cache hits call ``on_text`` once with the whole text. ``on_text`` runs on the Studio's
        background event-loop thread: keep it quick; an exception in it is reported as a warning and stops
        further deltas, never the call. A stream that fails after text was shown raises ``ProviderError``
        without retrying (a retry would show the text twice).
        """
        if on_text is not None and not callable(on_text):
            raise OptionError(f"on_text={on_text!r} must be a callable taking a str (each text delta).")
        streaming = stream or on_text is not None
        if streaming and n != 1:
            raise OptionError(f"stream=True shows one answer as it arrives: use n=1 (got n={n!r}), or stream=False "
                              f"for several images.")
        sink = _TextSink(on_text if on_text is not None else _print_delta) if streaming else None
        return self._call("generate", prompt, _as_list(images), (), aspect_ratio=aspect_ratio,
                          image_size=image_size, n=n, seed=seed, temperature=temperature, model=model,
                          refresh=refresh, person_generation=person_generation, prominent_people=prominent_people,
                          output_mime_type=output_mime_type, output_compression_quality=output_compression_quality,
                          on_text=sink)

    def edit(self, image: Any, instruction: str, **options: Any) -> Result:
        """Edit one image with a plain-language instruction ("Blur the background", ...)."""
        if image is None or isinstance(image, list | tuple):
            raise InputError("edit() takes exactly one image as its first argument; use fuse() for several.")
        return self._call("edit", instruction, [image], (), **_call_options(options))

    def fuse(self, images: Sequence[Any], prompt: str, **options: Any) -> Result:
        """Combine two or more images as the prompt describes ("put the cup in front of the cat")."""
        images = _as_list(images)
        if len(images) < 2:
            raise InputError(f"fuse() needs at least two images, got {len(images)}; use edit() for one.")
        return self._call("fuse", prompt, images, (), **_call_options(options))

    def chat(self, model: str | None = None, *, gemini_api: str | None = None, resume: str | None = None) -> Chat:
        """A multi-turn editing conversation.

        On the Gemini backend it runs on the Interactions API by default (state on the server, each turn
        uploads only itself); ``gemini_api="generate_content"`` (here or on the Studio) replays the whole
        history, thought signatures included, as every other backend does. ``resume=chat_id`` continues a
        chat recorded in this home. See :class:`~toolkit.chat.Chat`.
        """
        from .chat import Chat

        return Chat(self, model, gemini_api=gemini_api, resume=resume)

    def estimate(
        self,
        prompt: str = "",
        images: Any = None,
        *,
        n: int = 1,
        model: str | None = None,
        aspect_ratio: str | None = None,
        image_size: str | None = None,
        seed: int | None = None,
        temperature: float | None = None,
        refresh: bool = False,
    ) -> pricing.Estimate:
        """What a ``generate`` call would cost, before sending anything (cache hits count as $0)."""
        requests, info = self._requests("generate", prompt or " ", _as_list(images), (), aspect_ratio=aspect_ratio,
                                        image_size=image_size, n=n, seed=seed, temperature=temperature,
                                        model=model)
        cached = 0 if refresh else sum(1 for r in requests if self.store.cache_get(r.key) is not None)
        usage = self._estimate_usage(requests[0], info)
        one = pricing.list_cost(info, usage)
        spend = one * (len(requests) - cached) if self.backend.spends_money else 0.0
        return pricing.Estimate(
            model=info.id, calls=len(requests), cached_calls=cached, input_tokens=usage["input_tokens"],
            output_image_tokens=usage["output_image_tokens"] * len(requests), list_cost_usd=one * len(requests),
            cost_usd=spend,
        )

    def plan(self, prompt: str | list[str], **axes: Any) -> Plan:
        """Plan a comparison study without sending anything: cells, calls, cached, estimated cost.

        Arguments are those of :meth:`compare`. ``plan(...).run()`` executes it.
        """
        from .compare import build_plan

        return build_plan(self, prompt, **axes)

    def compare(self, prompt: str | list[str], *, progress: bool = True, refresh: bool = False,
                mode: str = "sync", **axes: Any) -> Study:
        """Run an X/Y/Z comparison study and return a :class:`~toolkit.compare.Study`.

        ``prompt`` may hold ``{placeholders}`` filled from keyword axes; ``replace={"cat": ["cat", "dog"]}``
        adds a search/replace axis; ``model``, ``aspect_ratio``, ``image_size``, ``seed`` and ``temperature``
        take a value or a list; ``images`` takes the inputs, or a dict ``{label: images}`` as an axis;
        ``reference=`` adds similarity metrics and ``expected_text=`` an OCR score (when tesseract is
        installed). The plan is priced first and refused above the budget before anything is sent; failed
        cells are kept as placeholders; running it again replays from the cache at $0.

        ``mode="batch"`` submits the cells that are not cached through the provider's Batch API (50% of the
        list price; one job per model) and returns at once: pending cells show ``status="pending"`` in
        ``study.df``, ``study.refresh()`` collects finished jobs into the same cache and ledger
        (``tier="batch"``), and :meth:`resume` picks a job up from another Studio or process. See
        :mod:`toolkit.batch`.

        Examples
        --------
        >>> study = studio.compare("A {animal} at {time}", animal=["cat", "owl"], time=["noon", "night"])  # doctest: +SKIP
        >>> study.grid(rows="animal", cols="time")                                                        # doctest: +SKIP
        """
        if mode not in ("sync", "batch"):
            raise OptionError(f"mode={mode!r}: use 'sync' (send now and wait) or 'batch' (the Batch API, 50% price).")
        return self.plan(prompt, refresh=refresh, **axes).run(progress=progress, refresh=refresh, mode=mode)

    def resume(self, job_name: str) -> Study:
        """Rebuild the study a batch job belongs to (from this home) and collect what has finished.

        Works from a new Studio, session or process on the same home. Cells of finished jobs are collected
        into the cache and the ledger (once: a job already collected is rebuilt from the cache and its
        ledger rows, writing no new rows); ``study.refresh()`` picks up jobs still running.
        """
        from .batch import resume

        return resume(self, job_name)

    def batches(self) -> pd.DataFrame:
        """Batch jobs recorded in this home: name, model, state, cells, created, collected, study id."""
        import pandas as pd

        cols = ["name", "backend", "model", "state", "requests", "created", "collected", "display_name", "study_id"]
        rows = [{**{c: job.get(c) for c in cols}, "requests": job["request_count"], "collected": job["completed"]}
                for job in self.store.batch_list()]
        return pd.DataFrame(rows, columns=cols)

    def _check_plan_budget(self, plan: Plan, refresh: bool, estimate_usd: float | None = None) -> None:
        estimate = plan.estimate_usd if estimate_usd is None else estimate_usd  # batch mode passes batch prices
        if self.budget_usd is None or estimate <= 0:
            return
        with self._money_lock:
            committed = self._spent + self._reserved
        if committed + estimate > self.budget_usd + 1e-12:
            raise BudgetExceededError(committed, estimate, self.budget_usd)

    def export_pack(self, path: str | os.PathLike, *, keys: Iterable[str] | None = None, since: Any = None,
                    until: Any = None, session: str | None = None, notebook: str | None = None) -> Manifest:
        """Write a replay pack of cached answers (all ok calls in this home by default).

        Select with ``keys``, a time range (``since``/``until``: datetimes or ISO strings), a ``session``
        (``studio.session`` for this Studio's calls) or a ``notebook`` (the notebook's file name, recorded
        from Jupyter). The pack never holds a key.
        """
        from .packs import export_pack

        return export_pack(self.store, path, keys=keys, since=since, until=until, session=session, notebook=notebook)

    def import_pack(self, path: str | os.PathLike) -> Manifest:
        """Merge a replay pack into this home's cache (it then replays for Studios of the recording backend)."""
        from .packs import import_pack

        return import_pack(self.store, path)

    def models(self) -> pd.DataFrame:
        """Image models this backend can use now (live ``models.list`` on the Gemini API; the registry offline)."""
        import pandas as pd

        ids = self.backend.list_models()
        rows = []
        for mid in ids:
            info = registry.lookup(mid)
            rows.append({
                "model": mid, "nickname": info.nickname if info else "(not in registry)",
                "in_registry": info is not None, "shutdown": info.shutdown if info else None,
                "default": info is not None and info.id == registry.DEFAULT_MODEL,
            })
        return pd.DataFrame(rows, columns=["model", "nickname", "in_registry", "shutdown", "default"])

    # -- the call path --------------------------------------------------------------------------------
    def _requests(
        self, operation: str, prompt: str, images: list[Any], prefix: tuple[Turn, ...], *,
        aspect_ratio: str | None, image_size: str | None, n: int, seed: int | None,
        temperature: float | None, model: str | None, person_generation: str | None = None,
        prominent_people: str | None = None, output_mime_type: str | None = None,
        output_compression_quality: int | None = None,
    ) -> tuple[list[Request], registry.ModelInfo]:
        _check_prompt(prompt)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_N:
            raise OptionError(f"n={n!r} must be a whole number from 1 to {MAX_N} (the number of images wanted).")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise OptionError(f"seed={seed!r} must be a whole number or None.")
        if temperature is not None and not (isinstance(temperature, int | float) and 0 <= temperature <= 2):
            raise OptionError(f"temperature={temperature!r} must be a number from 0 to 2 (the API's range).")
        info = self.model if model is None else registry.resolve(model)
        registry.validate_options(info, aspect_ratio=aspect_ratio, image_size=image_size, n_images=len(images))
        loaded = [load_image(img, max_side=self.max_input_side) for img in images]
        for im in loaded:
            for note in im.notes:
                if note.startswith(("downscaled", "first frame", "frame ")):  # changes what the model sees
                    warnings.warn(f"Input image {im.source}: {note}.", InputAdjustedWarning, stacklevel=4)
        user = Turn("user", (TextPart(prompt), *(ImagePart(im.data, im.mime, im.sha256) for im in loaded)))
        opts = Options(aspect_ratio=aspect_ratio, image_size=image_size, seed=seed,
                       temperature=None if temperature is None else float(temperature),
                       person_generation=person_generation, prominent_people=prominent_people,
                       output_mime_type=output_mime_type, output_compression_quality=output_compression_quality)
        # Vertex-only options: validated and canonicalised for Vertex, refused with the fix elsewhere (the
        # Gemini API SDK raises ValueError for them; the others have no such setting).
        refuse_vertex_options(opts, self.backend.kind)
        if self.backend.kind == "vertex":
            opts = check_vertex_options(opts)
        turns = (*prefix, user)
        requests = [Request(self.backend.kind, info.id, turns, opts, variant=v, operation=operation)
                    for v in range(n)]
        return requests, info

    def _call(self, operation: str, prompt: str, images: list[Any], prefix: tuple[Turn, ...], *,
              refresh: bool = False, on_text: Callable[[str], None] | None = None, **kw: Any) -> Result:
        requests, info = self._requests(operation, prompt, images, prefix, **kw)
        return run(self._execute(requests, info, refresh, on_text=on_text))

    def _estimate_usage(self, request: Request, info: registry.ModelInfo) -> dict[str, int]:
        sizes = []
        for turn in request.turns:
            for p in turn.images:
                sizes.append(_image_dims(p))
        prompt_tokens = sum(pricing.estimate_text_tokens(t.text) for t in request.turns)
        return pricing.estimate_usage(info, prompt_tokens, sizes, request.options.image_size)

    async def _execute(self, requests: list[Request], info: registry.ModelInfo, refresh: bool,
                       backend: Backend | None = None, *, on_text: Callable[[str], None] | None = None) -> Result:
        # backend: another transport for these requests (a chat's Interactions API); None = self.backend
        # on_text: stream the reply text (generate(stream=True)); a cache hit delivers its text at once
        clock = Stopwatch()
        group = requests[0].key[:12] if len(requests) > 1 else None
        results: dict[int, Result] = {}
        misses: list[Request] = []
        for req in requests:
            hit = None if refresh else self._replay(req, info, group)
            if hit is not None:
                results[req.variant] = hit
                if on_text is not None and hit.text:
                    on_text(hit.text)
            else:
                misses.append(req)
        estimate = 0.0
        if misses and self.backend.spends_money:
            estimate = pricing.list_cost(info, self._estimate_usage(misses[0], info)) * len(misses)
        self._reserve(estimate, misses, info, group)
        errors: list[str] = []
        try:
            outcomes = await asyncio.gather(*(self._send(r, info, group, backend, on_text) for r in misses),
                                            return_exceptions=True)
        finally:
            with self._money_lock:
                self._reserved -= estimate
        first_error: BaseException | None = None
        for req, out in zip(misses, outcomes, strict=True):
            if isinstance(out, Result):
                results[req.variant] = out
            elif isinstance(out, ProviderError):
                errors.append(str(out))
                first_error = first_error or out
            else:
                raise out
        if not results:
            assert first_error is not None
            raise first_error
        ordered = [results[v] for v in sorted(results)]
        if len(requests) == 1:
            return ordered[0]
        return combine(ordered, errors, clock.elapsed())

    def _reserve(self, estimate: float, misses: list[Request], info: registry.ModelInfo, group: str | None) -> None:
        with self._money_lock:
            cap = self.budget_usd
            committed = self._spent + self._reserved
            refused = cap is not None and estimate > 0 and committed + estimate > cap + 1e-12
            if not refused:
                self._reserved += estimate
        if refused:
            err = BudgetExceededError(committed, estimate, cap)
            for req in misses:
                self._record(req, info, status="refused", error=str(err), group=group, latency_s=0.0, attempts=0)
            raise err

    async def _send(self, req: Request, info: registry.ModelInfo, group: str | None,
                    backend: Backend | None = None, on_text: Callable[[str], None] | None = None) -> Result:
        sem = self._semaphore()
        transport = backend or self.backend
        streams = on_text is not None and supports_stream(transport)
        async with sem:
            clock = Stopwatch()
            limiter = self.rate_limiter.for_model(req.model)

            async def attempt() -> Reply:
                async with limiter.slot():
                    try:
                        if streams:
                            reply = await transport.generate_stream(req, on_text)  # type: ignore[attr-defined]
                        else:
                            reply = await transport.generate(req)
                    except ProviderError as e:
                        if e.code == 429:
                            limiter.on_throttled(e.retry_after_s)
                        raise
                limiter.on_success()
                return reply

            try:
                reply, attempts = await with_retries(attempt, self.retry)
            except ProviderError as e:
                self._record(req, info, status="error", error=scrub(str(e)), group=group,
                             latency_s=clock.elapsed(), attempts=e.attempts)
                raise
            if on_text is not None and not streams and reply.text:
                on_text(reply.text)  # a backend without streaming: the whole text, once
            return self._finish(req, info, reply, clock.elapsed(), attempts, group)

    def _semaphore(self) -> asyncio.Semaphore:
        loop_id = id(asyncio.get_running_loop())
        sem = self._semaphores.get(loop_id)
        if sem is None:
            sem = self._semaphores[loop_id] = asyncio.Semaphore(self.concurrency)
        return sem

    # -- results, storage and the ledger --------------------------------------------------------------
    def _metadata(self, req: Request, created: str, response_id: str | None, cost: float, list_cost: float) -> dict:
        meta = {
            "generator": f"flash-image-toolkit {__version__}", "backend": req.backend, "model": req.model,
            "operation": req.operation, "prompt": req.prompt, "options": req.options.as_dict(),
            "variant": req.variant, "n_inputs": len(req.input_images), "key": req.key, "created": created,
            "response_id": response_id, "cost_usd": cost, "list_cost_usd": list_cost,
        }
        if req.backend == "offline":
            meta["simulated"] = "Drawn by the toolkit's offline simulator, not by a Google model."
        else:
            meta["provenance"] = "Google image models embed an invisible SynthID watermark in every output."
        return meta

    def _finish(self, req: Request, info: registry.ModelInfo, reply: Reply, latency: float, attempts: int,
                group: str | None, tier: str = "standard") -> Result:
        created = _now()
        usage = pricing.normalize_usage(reply.usage)
        list_cost = pricing.list_cost(info, usage)
        # the ledger's list_cost_usd stays the standard list price; a batch answer costs its batch price
        spend = list_cost if tier == "standard" else pricing.list_cost(info, usage, tier=tier)
        # Money actually spent: the provider's own figure when the backend reports one (OpenRouter's
        # usage.cost, fal's flat price per image), else the list price of the usage.
        cost = float(reply.extra.get("cost_usd", spend)) if self.backend.spends_money else 0.0
        meta = self._metadata(req, created, reply.response_id, cost, list_cost)
        if reply.extra.get("trafficType"):  # Vertex AI: ON_DEMAND, PROVISIONED_THROUGHPUT, ... (no ledger column)
            meta["traffic_type"] = reply.extra["trafficType"]
        outputs, files = [], []
        for img in reply.images:
            part = img.part()
            path, size = self._put(part, meta)
            outputs.append(OutputImage(img.data, img.mime, part.sha256, str(path)))
            files.append({"sha256": part.sha256, "mime": img.mime, "path": self.store.image_relpath(part.sha256, img.mime),
                          "size": size})
        result = Result(
            status=reply.status, model=req.model, backend=reply.extra.get("backend", req.backend),
            operation=req.operation, prompt=req.prompt,
            text=reply.text, reason=scrub(reply.reason), usage=usage, cost_usd=cost, list_cost_usd=list_cost,
            latency_s=latency, cached=False, key=req.key, response_id=reply.response_id, outputs=outputs,
            model_turn=reply.model_turn, request=req, attempts=attempts, created=created, metadata=meta,
        )
        # errors, blocks and empty answers are never cached; nor are a replay Studio's fall-through answers,
        # which come from another backend than the pack's keys describe
        if reply.status == "ok" and not reply.extra.get("no_cache"):
            turn = self._turn_entry(reply.model_turn, files)
            entry = {
                "status": reply.status, "text": reply.text, "reason": result.reason, "usage": usage,
                "response_id": reply.response_id, "model_version": reply.model_version,
                "list_cost_usd": list_cost, "latency_s": latency, "created": created,
                "images": [f["sha256"] for f in files], "files": files, "model_turn": turn, "metadata": meta,
            }
            self.store.cache_put(req.key, req.backend, req.model, entry, created)
        self._record(req, info, result=result, group=group, tier=tier)
        with self._money_lock:
            self._spent += cost
        return result

    def _put(self, part: ImagePart, meta: dict | None) -> tuple[Any, int]:
        path = self.store.known_image(part.sha256, part.mime)
        if path is None:  # not already written or checked by this process
            data = embed_metadata(part.data, part.mime, meta) if meta is not None else part.data
            path = self.store.put_image(part.sha256, part.mime, data)
        return path, path.stat().st_size

    def _turn_entry(self, turn: Turn | None, files: list[dict]) -> list[dict] | None:
        if turn is None:
            return None
        known = {f["sha256"]: f for f in files}
        out = []
        for p in turn.parts:
            d = self._part_json(p, known.get(getattr(p, "sha256", "")))
            if "image" in d and d["image"]["sha256"] not in known:  # interim thought images
                known[d["image"]["sha256"]] = d["image"]
                files.append(d["image"])
            out.append(d)
        return out

    def _part_json(self, p: TextPart | ImagePart, image_ref: dict | None = None) -> dict[str, Any]:
        """A part as stored JSON: its text, or its image by reference (stored as received if not yet)."""
        d: dict[str, Any] = {"thought": p.thought}
        if p.thought_signature:
            d["sig"] = base64.b64encode(p.thought_signature).decode()
        if isinstance(p, TextPart):
            d["text"] = p.text
        else:
            if image_ref is None:
                _, size = self._put(p, None)
                image_ref = {"sha256": p.sha256, "mime": p.mime,
                             "path": self.store.image_relpath(p.sha256, p.mime), "size": size}
            d["image"] = image_ref
        return d

    def _part_from_json(self, d: dict[str, Any], *, missing_ok: bool = False) -> TextPart | ImagePart:
        """The inverse of :meth:`_part_json`; a missing or damaged image raises unless ``missing_ok``
        (then the part keeps only its hash and MIME, which is all a cache key needs)."""
        sig = base64.b64decode(d["sig"]) if d.get("sig") else None
        thought = bool(d.get("thought"))
        if "text" in d:
            return TextPart(d["text"], thought=thought, thought_signature=sig)
        try:
            return self._load_part(d["image"], thought=thought, thought_signature=sig)
        except (OSError, KeyError, ValueError):
            if not missing_ok:
                raise
            ref = d["image"]
            return ImagePart(b"", ref["mime"], ref["sha256"], thought=thought, thought_signature=sig)

    def _load_part(self, ref: dict, **kw: Any) -> ImagePart:
        data = strip_metadata(self.store.read_image(ref["path"]), ref["mime"])
        part = ImagePart.from_bytes(data, ref["mime"], **kw)
        if part.sha256 != ref["sha256"]:
            self.store.distrust(ref["sha256"])
            raise OSError(f"stored image {ref['path']} does not match its recorded hash")
        return part

    def _replay(self, req: Request, info: registry.ModelInfo, group: str | None, record: bool = True) -> Result | None:
        clock = Stopwatch()
        entry = self.store.cache_get(req.key)
        if entry is None:
            return None
        try:
            by_sha = {f["sha256"]: f for f in entry["files"]}
            outputs = []
            for sha in entry["images"]:
                ref = by_sha[sha]
                part = self._load_part(ref)
                outputs.append(OutputImage(part.data, part.mime, part.sha256, str(self.store.home / ref["path"])))
            turn = None
            if entry.get("model_turn") is not None:
                turn = Turn("model", tuple(self._part_from_json(d) for d in entry["model_turn"]))
        except (OSError, KeyError, ValueError):
            return None  # a damaged entry is a miss, never a wrong answer
        result = Result(
            status=entry["status"], model=req.model, backend=req.backend, operation=req.operation,
            prompt=req.prompt, text=entry["text"], reason=entry.get("reason"), usage=dict(entry["usage"]),
            cost_usd=0.0, list_cost_usd=entry["list_cost_usd"], latency_s=clock.elapsed(), cached=True,
            key=req.key, response_id=entry.get("response_id"), outputs=outputs, model_turn=turn, request=req,
            attempts=0, created=_now(), metadata=entry.get("metadata", {}),
        )
        if record:  # False when a collected batch job is rebuilt: its cells already have their rows
            self._record(req, info, result=result, group=group)
        return result

    def _record(self, req: Request, info: registry.ModelInfo, *, result: Result | None = None, status: str = "",
                error: str | None = None, group: str | None = None, latency_s: float = 0.0,
                attempts: int = 1, tier: str = "standard") -> None:
        u = result.usage if result else {}
        self.store.add_call({
            "ts": result.created if result else _now(), "session": self.session,
            "backend": result.backend if result else req.backend,
            "model": req.model, "operation": req.operation, "prompt": req.prompt,
            "n_inputs": len(req.input_images), "n_images": len(result.outputs) if result else 0,
            "status": result.status if result else status, "reason": result.reason if result else None,
            "input_tokens": u.get("input_tokens", 0), "input_image_tokens": u.get("input_image_tokens", 0),
            "output_tokens": u.get("output_tokens", 0), "output_image_tokens": u.get("output_image_tokens", 0),
            "thought_tokens": u.get("thought_tokens", 0),
            "cost_usd": result.cost_usd if result else 0.0, "list_cost_usd": result.list_cost_usd if result else 0.0,
            "latency_s": result.latency_s if result else latency_s, "cached": bool(result and result.cached),
            "key": req.key, "response_id": result.response_id if result else None,
            "paths": result.paths if result else [], "error": error,
            "attempts": result.attempts if result else attempts, "group_id": group, "variant": req.variant,
            "aspect_ratio": req.options.aspect_ratio, "image_size": req.options.image_size,
            "seed": req.options.seed, "tier": tier, "notebook": _NOTEBOOK,
        })


# -- helpers ---------------------------------------------------------------------------------------------
# Jupyter (jupyter_server >= 2) tells each kernel its notebook's path; recorded per call for replay packs.
_NOTEBOOK = os.path.basename(os.environ.get("JPY_SESSION_NAME", "")) or None

def _as_list(images: Any) -> list[Any]:
    if images is None:
        return []
    if isinstance(images, list | tuple):
        return list(images)
    if isinstance(images, Iterable) and not isinstance(images, str | bytes | bytearray | memoryview) \
            and not hasattr(images, "shape") and not hasattr(images, "getpixel"):
        return list(images)
    return [images]


_CALL_OPTIONS = ("aspect_ratio", "image_size", "n", "seed", "temperature", "model", "refresh",
                 "person_generation", "prominent_people", "output_mime_type", "output_compression_quality")


def _call_options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = set(options) - set(_CALL_OPTIONS)
    if unknown:
        raise OptionError(f"Unknown option(s) {sorted(unknown)}; the options are: {', '.join(_CALL_OPTIONS)}.")
    out: dict[str, Any] = {"aspect_ratio": None, "image_size": None, "n": 1, "seed": None, "temperature": None,
                           "model": None, "refresh": False, "person_generation": None, "prominent_people": None,
                           "output_mime_type": None, "output_compression_quality": None}
    out.update(options)
    return out


def supports_stream(backend: Any) -> bool:
    """True when ``backend`` can stream a reply (``generate_stream(request, on_text)``): Gemini, Vertex, offline."""
    return callable(getattr(backend, "generate_stream", None))


def _print_delta(text: str) -> None:
    print(text, end="", flush=True)


class _TextSink:
    """Wraps a caller's ``on_text`` so a bug in it cannot lose a paid answer.

    The first exception is reported once as a warning and the callback is not called again for this call;
    the call itself carries on. It runs on the runner's event-loop thread (see :meth:`Studio.generate`).
    """

    def __init__(self, callback: Callable[[str], None]) -> None:
        self.callback: Callable[[str], None] | None = callback

    def __call__(self, text: str) -> None:
        if self.callback is None or not text:
            return
        try:
            self.callback(text)
        except Exception as e:  # the callback is the caller's code: report it, keep the answer
            self.callback = None
            warnings.warn(f"on_text raised {type(e).__name__}: {scrub(str(e))}; no further text deltas are passed "
                          f"to it for this call (the call itself continues).", RuntimeWarning, stacklevel=2)


def _check_prompt(prompt: Any) -> None:
    if not isinstance(prompt, str):
        raise InputError(f"The prompt must be text (str), got {type(prompt).__name__}.")
    if not prompt.strip():
        raise InputError("The prompt is empty. Describe the image you want, or the edit to make.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InputError(
            f"The prompt is {len(prompt):,} characters; the limit here is {MAX_PROMPT_CHARS:,} (about 25k tokens). "
            f"Shorten it: image models follow a focused paragraph better than a long document."
        )


def _check_budget(budget: float | None) -> float | None:
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | float) or budget < 0:
        raise ConfigError(f"budget_usd={budget!r} must be a non-negative number of dollars, or None for no cap.")
    return float(budget)


def _env_budget(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"TOOLKIT_BUDGET_USD={text!r} is not a number of dollars; set it like TOOLKIT_BUDGET_USD=2.50 "
                          f"or unset it.") from None


def _image_dims(part: ImagePart) -> tuple[int, int]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(part.data)) as img:
        return img.size

