"""The Studio facade: configuration and the user verbs, over one :class:`~toolkit.engine.Engine`.

``generate | edit | fuse | chat | plan | compare | estimate`` build requests and hand them to the Engine, which
owns the call path (cache, budget, write-ahead ledger, retries, storage). The backend comes from the registry
(:mod:`toolkit.backends`); the money from the home's :class:`~toolkit.budget.Budget`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from . import batch, packs, pricing, registry
from .backends.base import Backend
from .backends.interactions import check_gemini_api
from .backends.registry import BackendConfig, choose, spec_for, with_capabilities
from .backends.replay import ReplayBackend
from .budget import Budget, check_cap
from .callbacks import TextSink, print_delta
from .chat import Chat
from .compare import Plan, Study, build_plan
from .engine import Engine
from .errors import ConfigError, InputError, OptionError, warn_user
from .images import DEFAULT_MAX_SIDE
from .inputs import as_images
from .ledger import Ledger
from .options import CallOptions, options_doc, split_call_options
from .ratelimit import RateLimit, RateLimiter
from .result import Result
from .runner import RetryPolicy
from .secrets import Secret
from .store import Store
from .version import __version__

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Studio", "__version__"]


def _classroom(url: str | None, token: str | None, backend: str | Backend, base_url: str | None,
               api_key: str | None) -> tuple[str, str, str, str]:
    """``classroom=``/``seat_token=`` as the Gemini backend's settings (the gateway has no Interactions API)."""
    if not url or not token:
        raise ConfigError("a classroom needs both classroom='http://<gateway>:8765' and seat_token='...' (the "
                          "token on your seat's card).")
    if backend not in ("auto", "gemini") or base_url is not None or api_key is not None:
        raise ConfigError("classroom= picks the backend, base_url and api_key itself: drop backend=, base_url= and "
                          "api_key=, or use backend='gemini', base_url=<gateway>, api_key=<seat token> instead.")
    return "gemini", url, token, "generate_content"


class Studio:
    """Generate and edit images with Gemini image models, or offline with the simulator.

    Parameters
    ----------
    backend : str or Backend
        A registered backend (``tk.backends.names()``: ``"vertex"``, ``"gemini"``, ``"offline"``,
        ``"openrouter"``, ``"fal"``) or ``"auto"`` (default): Vertex AI when ``GOOGLE_GENAI_USE_VERTEXAI`` is
        true or ``project``/``location``/``credentials`` is passed; else the Gemini API when ``api_key``,
        ``GOOGLE_API_KEY`` or ``GEMINI_API_KEY`` is set; else the offline simulator. The choice shows in
        ``repr(studio)`` and in every Result.
    model : str, optional
        Model id or alias (``"nano-banana-2"``, ...). Default: :data:`toolkit.registry.DEFAULT_MODEL`.
    api_key : str, optional
        The chosen backend's key; overrides its environment variables. Never written anywhere or shown.
    base_url : str, optional
        Another endpoint for the backend (a gateway, a proxy, or a loopback fake such as ``FakeGeminiServer``).
    home : path, optional
        Where the ledger, cache, budget and images live; default ``$TOOLKIT_HOME`` or
        ``~/.local/share/flash-image-toolkit``.
    budget_usd : float, optional
        Set the cap of the home's Budget (or of ``seat``'s), shared by every Studio, kernel and process on it;
        ``TOOLKIT_BUDGET_USD`` sets it when this is None. Calls whose estimate would pass it are refused before
        sending. See :class:`~toolkit.budget.Budget`.
    seat : str, optional
        A named seat with its own cap and spend inside the home (a workshop seat).
    timeout_s, retry
        ``timeout_s``: seconds one attempt may take, first to last byte (default 150; 4K on a Pro model takes
        up to about 2 minutes); the whole call, retries included, is bounded by ``retry.deadline_s``
        (:class:`~toolkit.runner.RetryPolicy`, default 300 s). Each retry is logged and passed to
        ``studio.engine.on_retry``; the final error names the limit that fired.
    api_version, concurrency, max_input_side, simulated_latency_s
        Gemini API version (default ``v1beta``), concurrent requests, the longest input side before
        downscaling, the simulator's seconds per call.
    rate_limit : RateLimit or dict of model id -> RateLimit, optional
        Client-side requests per minute and concurrent requests per model, shared through the home.
    replay, replay_strict
        A replay pack (``TOOLKIT_REPLAY`` by default): its answers replay at $0; other requests go to the
        backend (priced and budgeted like any call), or with ``replay_strict=True`` return ``no_image``.
    gemini_api : {"interactions", "generate_content"}
        How :meth:`chat` carries a conversation on a backend with a chat transport (the Gemini API).
    project, location, credentials
        Vertex AI only: Google Cloud project, location and explicit credentials.
    classroom, seat_token
        A classroom gateway's URL (``flash-image classroom serve``) and this seat's token: the Gemini API through
        the gateway, which holds the key and the seat's budget (the same as ``backend="gemini",
        base_url=classroom, api_key=seat_token``; chats replay on ``generateContent``).

    Examples
    --------
    >>> studio = tk.Studio(backend="offline", home=home)
    >>> r = studio.generate("a lighthouse at sunset", aspect_ratio="16:9")
    >>> r.status, r.image.size, r.cost_usd
    ('ok', (1376, 768), 0.0)
    """

    def __init__(self, backend: str | Backend = "auto", model: str | None = None, api_key: str | None = None,
                 base_url: str | None = None, home: str | os.PathLike[str] | None = None,
                 budget_usd: float | None = None, *, seat: str | None = None, api_version: str | None = None,
                 timeout_s: float = 150.0, retry: RetryPolicy | None = None, concurrency: int = 8,
                 max_input_side: int = DEFAULT_MAX_SIDE, simulated_latency_s: float = 0.0,
                 rate_limit: RateLimit | dict[str, RateLimit] | None = None,
                 replay: str | os.PathLike[str] | None = None, replay_strict: bool = False,
                 gemini_api: str = "interactions", project: str | None = None, location: str | None = None,
                 credentials: Any = None, classroom: str | None = None, seat_token: str | None = None) -> None:
        if classroom is not None or seat_token is not None:
            backend, base_url, api_key, gemini_api = _classroom(classroom, seat_token, backend, base_url, api_key)
        self.gemini_api = check_gemini_api(gemini_api)
        config = BackendConfig(requested=backend if isinstance(backend, str) else "object",
                               api_key=Secret(api_key) if api_key else None, base_url=base_url,
                               api_version=api_version, timeout_s=timeout_s, simulated_latency_s=simulated_latency_s,
                               project=project, location=location, credentials=credentials,
                               classroom=classroom is not None)
        if isinstance(backend, str):
            spec = choose(backend, config)
            built = spec.create(config)
        elif isinstance(backend, Backend):
            built, spec = backend, spec_for(backend)
        else:
            raise ConfigError(f"backend={backend!r} is neither a backend name nor a Backend object.")
        model_info = registry.resolve(model, warn=True)
        sources: set[str] = set()
        store = Store(home)
        replay = replay if replay is not None else (os.environ.get("TOOLKIT_REPLAY") or None)
        if replay is not None:
            manifest = packs.import_pack(store, replay)
            built = ReplayBackend(os.path.basename(str(replay)), manifest.backends[0] if manifest.backends
                                  else built.kind, list(manifest.models), manifest.entries, built, replay_strict)
            spec = with_capabilities(spec, name=built.kind, spends_money=built.spends_money, streaming=False,
                                     batch=False, chat_transport=None)
            sources = {manifest.source}
        if budget_usd is None and os.environ.get("TOOLKIT_BUDGET_USD"):
            budget_usd = check_cap(os.environ["TOOLKIT_BUDGET_USD"], "TOOLKIT_BUDGET_USD")
        if isinstance(rate_limit, dict):
            limiter = RateLimiter(per_model={registry.resolve(k, warn=False).id: v for k, v in rate_limit.items()},
                                  home=store.home)
        else:
            limiter = RateLimiter(rate_limit, home=store.home)
        self.engine = Engine(built, store, spec=spec, model=model_info, budget=Budget(store, seat, budget_usd),
                             retry=retry, concurrency=concurrency, max_input_side=max_input_side,
                             rate_limiter=limiter, config=config)
        self.engine.replay_sources.update(sources)  # imported answers replay only for the Studio that asked

    @classmethod
    def from_engine(cls, engine: Engine, *, gemini_api: str = "interactions") -> Studio:
        """A Studio over an existing Engine (a study's, a sibling's): same home, budget and session."""
        studio = cls.__new__(cls)
        studio.gemini_api = check_gemini_api(gemini_api)
        studio.engine = engine
        return studio

    # -- configuration, read through the Engine --------------------------------------------------------
    backend = property(lambda self: self.engine.backend, doc="The backend object (``.kind``, ``.description``).")
    store = property(lambda self: self.engine.store, doc="The home: ledger, cache, budget and images.")
    session = property(lambda self: self.engine.session, doc="This Studio's ledger session id.")
    ledger = property(lambda self: self.engine.ledger, doc="Every call recorded in the home (:class:`Ledger`).")
    budget = property(lambda self: self.engine.budget, doc="The home's (or seat's) :class:`~toolkit.budget.Budget`.")
    @property
    def retry(self) -> RetryPolicy:
        """The retry policy (settable)."""
        return self.engine.retry

    @retry.setter
    def retry(self, policy: RetryPolicy) -> None:
        self.engine.retry = policy

    concurrency = property(lambda self: self.engine.concurrency, doc="Concurrent requests.")
    max_input_side = property(lambda self: self.engine.max_input_side, doc="Longest input side before downscaling.")
    rate_limiter = property(lambda self: self.engine.rate_limiter, doc="Per-model rate limits.")
    can_stream = property(lambda self: self.engine.spec.streaming, doc="True when the backend streams text.")

    @property
    def model(self) -> registry.ModelInfo:
        """The default model of this Studio's calls."""
        return self.engine.model

    @model.setter
    def model(self, value: str | registry.ModelInfo) -> None:
        self.engine.model = value if isinstance(value, registry.ModelInfo) else registry.resolve(value)

    @property
    def budget_usd(self) -> float | None:
        """The cap of this Studio's Budget (shared by the home or seat); set it to change the cap."""
        return self.budget.cap

    @budget_usd.setter
    def budget_usd(self, value: float | None) -> None:
        self.budget.cap = value

    @property
    def spent_usd(self) -> float:
        """Money this Studio's calls actually spent (the Budget has the home's or seat's total)."""
        return self.engine.spent_usd

    @property
    def session_ledger(self) -> Ledger:
        """The ledger restricted to this Studio's calls."""
        return self.engine.session_ledger

    def __repr__(self) -> str:
        cap = self.budget.cap
        return (f"Studio(backend={self.backend.kind!r} [{self.backend.description}], model={self.model.id!r} "
                f"({self.model.nickname}), ledger={str(self.store.db_path)!r}, spent=${self.spent_usd:.4f}, "
                f"budget={'none' if cap is None else f'${cap:.2f}'}"
                f"{'' if self.budget.seat == 'home' else f' (seat {self.budget.seat!r})'})")

    # -- the user verbs -------------------------------------------------------------------------------
    def generate(self, prompt: str, images: Any = None, *, stream: bool = False,
                 on_text: Callable[[str], None] | None = None, **options: Unpack[CallOptions]) -> Result:
        """Generate from a prompt, optionally with input images (paths, PIL images, bytes, arrays).

        ``n > 1`` sends n requests concurrently and returns one Result holding every image; ``refresh=True``
        skips the cache; ``model=`` overrides the Studio's model. ``stream=True`` (or ``on_text``) calls
        ``on_text(delta)`` with the reply text as it arrives (printed without ``on_text``); needs ``n=1``.
        Backends without streaming and cache hits deliver the whole text once. An exception in ``on_text`` is
        reported as a warning and stops further deltas, never the call.
        """
        if on_text is not None and not callable(on_text):
            raise OptionError(f"on_text={on_text!r} must be a callable taking a str (each text delta).")
        streaming = stream or on_text is not None
        if streaming and options.get("n", 1) != 1:
            raise OptionError(f"stream=True shows one answer as it arrives: use n=1 (got n={options.get('n')!r}), "
                              f"or stream=False for several images.")
        sink = TextSink(on_text or print_delta) if streaming else None
        return self._call("generate", prompt, images, options, on_text=sink)

    def edit(self, image: Any, instruction: str, **options: Unpack[CallOptions]) -> Result:
        """Edit one image with a plain-language instruction ("Blur the background", ...)."""
        if image is None or isinstance(image, list | tuple):
            raise InputError("edit() takes exactly one image as its first argument; use fuse() for several.")
        return self._call("edit", instruction, [image], options)

    def fuse(self, images: Sequence[Any], prompt: str, **options: Unpack[CallOptions]) -> Result:
        """Combine two or more images as the prompt describes ("put the cup in front of the cat")."""
        items = as_images(images)
        if len(items) < 2:
            raise InputError(f"fuse() needs at least two images, got {len(items)}; use edit() for one.")
        return self._call("fuse", prompt, items, options)

    def estimate(self, prompt: str = "", images: Any = None, **options: Unpack[CallOptions]) -> pricing.Estimate:
        """What a ``generate`` call would cost, before sending anything (cache hits count as $0)."""
        opts, controls = split_call_options(options)
        requests, info = self.engine.requests("generate", prompt or " ", images, options=opts,
                                              n=controls.get("n", 1), model=controls.get("model"))
        return self.engine.estimate(requests, info, refresh=bool(controls.get("refresh")))

    def _call(self, operation: str, prompt: str, images: Any, options: CallOptions,
              on_text: Callable[[str], None] | None = None) -> Result:
        opts, controls = split_call_options(options)
        requests, info = self.engine.requests(operation, prompt, images, options=opts, n=controls.get("n", 1),
                                              model=controls.get("model"))
        return self.engine.call(requests, info, refresh=bool(controls.get("refresh")), on_text=on_text)

    def chat(self, model: str | None = None, *, gemini_api: str | None = None, resume: str | None = None) -> Chat:
        """A multi-turn editing conversation (:class:`~toolkit.chat.Chat`); ``resume=chat_id`` continues one."""
        return Chat(self.engine, model, gemini_api=gemini_api or self.gemini_api, resume=resume)

    def plan(self, prompt: str | list[str], **axes: Any) -> Plan:
        """Plan a comparison study without sending anything (arguments of :meth:`compare`); ``.run()`` runs it."""
        return build_plan(self.engine, prompt, **axes)

    def compare(self, prompt: str | list[str], *, progress: bool = True, refresh: bool = False,
                mode: str = "sync", **axes: Any) -> Study:
        """Run an X/Y/Z comparison study and return a :class:`~toolkit.compare.Study`.

        ``prompt`` may hold ``{placeholders}`` filled from keyword axes; ``replace={"cat": ["cat", "dog"]}``
        adds a search/replace axis; ``model`` and the options (``aspect_ratio``, ``image_size``, ``seed``,
        ``temperature``) take a value or a list; ``images`` takes the inputs or ``{label: images}``;
        ``backends=[...]`` compares backends on the same home and Budget; ``reference=`` adds similarity
        metrics. The plan is priced and refused above the budget before anything is sent; failed cells are
        kept; running it again replays from the cache. ``mode="batch"`` uses the Batch API (see
        :mod:`toolkit.batch`).

        >>> study = studio.compare("A {animal} at {time}", animal=["cat", "owl"], time=["noon", "night"],
        ...                        progress=False)
        >>> study.df["status"].tolist()
        ['ok', 'ok', 'ok', 'ok']
        """
        if mode not in ("sync", "batch"):
            raise OptionError(f"mode={mode!r}: use 'sync' (send now and wait) or 'batch' (the Batch API, 50% price).")
        plan = self.plan(prompt, refresh=refresh, **axes)
        if mode == "batch":
            if any(c.engine is not None for c in plan.cells):
                raise OptionError("A study across backends=[...] cannot use mode='batch' (the Batch API is the "
                                  "Gemini API's); run it with mode='sync', or batch each backend's study alone.")
            return batch.submit(plan, refresh=refresh)
        return plan.run(progress=progress, refresh=refresh)

    def resume(self, job_name: str) -> Study:
        """Rebuild the study a batch job belongs to (from this home) and collect what has finished."""
        return batch.resume(self.engine, job_name)

    def batches(self) -> pd.DataFrame:
        """Batch jobs recorded in this home: name, model, state, cells, created, collected, study id."""
        import pandas as pd

        cols = ["name", "backend", "model", "state", "requests", "created", "collected", "display_name", "study_id"]
        rows = [{**{c: job.get(c) for c in cols}, "requests": job["request_count"], "collected": job["completed"]}
                for job in self.store.batch_list()]
        return pd.DataFrame(rows, columns=cols)

    def export_pack(self, path: str | os.PathLike[str], *, keys: Iterable[str] | None = None, since: Any = None,
                    until: Any = None, session: str | None = None, notebook: str | None = None) -> packs.Manifest:
        """Write a replay pack of cached answers (every ok call in this home by default; never a key)."""
        return packs.export_pack(self.store, path, keys=keys, since=since, until=until, session=session,
                                 notebook=notebook)

    def import_pack(self, path: str | os.PathLike[str]) -> packs.Manifest:
        """Merge a replay pack into this home's cache; its answers then replay for this Studio (and for any
        Studio opened with ``replay=`` that pack), never for other Studios on the home."""
        manifest = packs.import_pack(self.store, path)
        self.engine.replay_sources.add(manifest.source)
        return manifest

    def models(self) -> pd.DataFrame:
        """Image models this backend can use now (live ``models.list`` on the Gemini API; the registry offline)."""
        import pandas as pd

        rows = []
        live = self.backend.list_models()
        for mid in live:
            info = registry.lookup(mid)
            rows.append({"model": mid, "nickname": info.nickname if info else "(not in registry)",
                         "in_registry": info is not None, "shutdown": info.shutdown if info else None,
                         "default": info is not None and info.id == registry.DEFAULT_MODEL})
        notice = registry.missing_default_notice(live)  # the live list is the arbiter; said once per Studio
        if notice is not None and not getattr(self, "_default_notice_given", False):
            self._default_notice_given = True
            warn_user(notice, registry.DefaultModelMissingWarning)
        return pd.DataFrame(rows, columns=["model", "nickname", "in_registry", "shutdown", "default"])


Studio.generate.__doc__ = f"{Studio.generate.__doc__}\n        Options\n        -------\n{options_doc(8)}\n"
