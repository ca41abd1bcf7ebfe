"""The Engine: the one path every call takes.

``requests()`` builds and validates :class:`~toolkit.request.Request` values (options from the single
:class:`~toolkit.options.Options` source, checked per model and per backend), then ``execute()``:

1. **cache**: a request whose key is cached replays at $0 (one ledger row, ``cached=True``);
2. **budget + write-ahead**: paid misses are estimated and, in one transaction, checked against the home's
   :class:`~toolkit.budget.Budget` and written to the ledger as ``sent`` rows holding the estimate. A refusal
   writes ``refused`` rows; a storage failure raises before anything is sent;
3. **send** through the backend (or a chat transport), bounded by the concurrency and the per-model rate
   limiter, with retries (:mod:`toolkit.runner`), each attempt one :meth:`Engine.ask` (cut off at ``timeout_s``
   and the call's ``RetryPolicy.deadline_s``; an unreadable reply is a retried ``MALFORMED_RESPONSE``);
4. **finish**: images stored as received, the Result built, and in one transaction the cache entry written
   (``ok`` answers only) and the ledger row completed with the actual cost.

Features (chats, studies, batch jobs, packs) and the Studio facade work through these public methods only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

from . import answers, pricing, registry
from .backends import base as replies
from .backends.base import Backend, Reply, check_reply
from .backends.registry import BackendConfig, BackendSpec, choose, spec_for
from .budget import Budget
from .codec import PartCodec
from .errors import (
    InputAdjustedWarning,
    MalformedReplyError,
    OptionError,
    ProviderError,
    RequestWithdrawn,
    StorageError,
    StreamInterruptedError,
    ToolkitError,
    warn_user,
)
from .images import DEFAULT_MAX_SIDE, InputImage, load_image
from .inputs import MAX_N, as_images, check_prompt, image_dims
from .ledger import Ledger
from .options import Options
from .ratelimit import RateLimiter
from .records import CallRow
from .request import ImagePart, Request, TextPart, Turn
from .result import Result, combine
from .runner import CallClock, RetryNotice, RetryPolicy, Stopwatch, run, with_retries
from .secrets import scrub
from .store import Store, new_session_id
from .version import __version__

#: Seconds one attempt may take when neither a BackendConfig nor the backend says (``Engine.timeout_s``): 4K on
#: a Pro image model takes 50-120 s, with no byte sent while it draws; 150 s leaves room for that tail.
DEFAULT_TIMEOUT_S = 150.0
# Jupyter (jupyter_server >= 2) tells each kernel its notebook's path; recorded per call for replay packs.
NOTEBOOK = os.path.basename(os.environ.get("JPY_SESSION_NAME", "")) or None


def now_iso() -> str:
    """UTC now as the ledger writes it (millisecond ISO 8601; compares as a string)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Engine:
    """Owns the call path of one backend on one home: cache, budget, ledger, retries, storage.

    Parameters
    ----------
    backend : Backend
        Where requests go.
    store : Store
        The home (ledger, cache, images).
    spec : BackendSpec, optional
        The backend's registry entry (capabilities); default :func:`~toolkit.backends.spec_for`.
    model : ModelInfo, optional
        The default model; default the registry's default.
    budget : Budget, optional
        The home's (or a seat's) budget; default the home's.
    session : str, optional
        The ledger session id; default a new one.
    retry, concurrency, max_input_side, rate_limiter
        Retry policy, concurrent requests, longest input side before downscaling, per-model rate limits.
    config : BackendConfig, optional
        How the backend was built, so :meth:`sibling` can build another one alike.

    Attributes
    ----------
    timeout_s, max_reply_bytes
        Seconds one attempt may take, first to last byte (the Studio's ``timeout_s``; ``retry.deadline_s``
        bounds the call), and image bytes one reply may carry (:data:`~toolkit.backends.base.MAX_REPLY_IMAGE_BYTES`).
    on_retry : callable, optional
        Called with a :class:`~toolkit.runner.RetryNotice` before each retry, on the runner's thread (its
        exceptions are logged and ignored); every retry is also logged at WARNING on the ``"toolkit"`` logger.

    Examples
    --------
    >>> engine = studio.engine
    >>> requests, info = engine.requests("generate", "a lighthouse at dusk", options={"aspect_ratio": "16:9"})
    >>> result = engine.call(requests, info)
    >>> result.status, result.image.size, engine.store.calls()[-1]["status"]
    ('ok', (1376, 768), 'ok')
    """

    def __init__(self, backend: Backend, store: Store, *, spec: BackendSpec | None = None,
                 model: registry.ModelInfo | None = None, budget: Budget | None = None, session: str | None = None,
                 retry: RetryPolicy | None = None, concurrency: int = 8, max_input_side: int = DEFAULT_MAX_SIDE,
                 rate_limiter: RateLimiter | None = None, config: BackendConfig | None = None) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise OptionError(f"concurrency={concurrency!r} must be a whole number >= 1.")
        self.backend = backend
        self.spec = spec or spec_for(backend)
        self.store = store
        self.budget = budget or Budget(store)
        self.model = model or registry.resolve(None, warn=False)
        self.session = session or new_session_id()
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency
        self.max_input_side = max_input_side
        self.rate_limiter = rate_limiter or RateLimiter(home=store.home)
        self.config = config or BackendConfig(requested=self.spec.name)
        self.timeout_s = float(config.timeout_s if config is not None
                               else getattr(backend, "timeout_s", None) or DEFAULT_TIMEOUT_S)
        self.max_reply_bytes = replies.MAX_REPLY_IMAGE_BYTES
        self.on_retry: Callable[[RetryNotice], None] | None = None
        self.parts = PartCodec(store)
        self.answers = answers.AnswerStore(store, self.parts)
        self.ledger = Ledger(store)
        self._spent = 0.0
        self._lock = threading.Lock()
        self._prices: dict[tuple[Any, ...], tuple[registry.ModelInfo, float]] = {}
        self._semaphores: dict[int, asyncio.Semaphore] = {}
        self._chat_transport: Backend | None = None
        #: imported answers this Engine may replay (pack sources, "pack:<name>@<hash>"); answers recorded in
        #: this home always replay, imported ones only for the Studio that asked for their pack
        self.replay_sources: set[str] = set()
        self.interrupted = self.budget.recover()  # sent rows of processes that died: now "interrupted"

    # -- money and views ------------------------------------------------------------------------------
    @property
    def spends_money(self) -> bool:
        """True when calls on this backend are paid (a wrapping backend forwards its fallback's answer)."""
        return bool(self.backend.spends_money)

    @property
    def spent_usd(self) -> float:
        """Money this Engine's calls actually spent (cache hits and the simulator spend nothing)."""
        return self._spent

    @property
    def session_ledger(self) -> Ledger:
        """The ledger restricted to this Engine's session."""
        return self.ledger.for_session(self.session)

    def sibling(self, backend: str) -> Engine:
        """An Engine for another registered backend on the same home, Budget, session and model.

        Its key comes from that backend's environment variables (an explicit ``api_key`` belongs to this one).
        """
        config = BackendConfig(requested=backend, timeout_s=self.config.timeout_s,
                               simulated_latency_s=self.config.simulated_latency_s)
        spec = choose(backend, config)
        if spec.name == self.spec.name:
            return self
        sibling = Engine(spec.create(config), self.store, spec=spec, model=self.model, budget=self.budget,
                         session=self.session, retry=self.retry, concurrency=self.concurrency,
                         max_input_side=self.max_input_side, rate_limiter=self.rate_limiter, config=config)
        sibling.timeout_s, sibling.on_retry = self.timeout_s, self.on_retry
        return sibling

    def chat_transport(self) -> Backend | None:
        """The backend's stateful chat transport (the Gemini API's Interactions), built once; None if it has none."""
        if self.spec.chat_transport is None:
            return None
        if self._chat_transport is None:
            self._chat_transport = self.spec.chat_transport(self.backend)
        return self._chat_transport

    # -- building requests ----------------------------------------------------------------------------
    def load_images(self, images: Sequence[Any]) -> list[InputImage]:
        """Load and normalise input images once (a study reuses them for every cell)."""
        loaded = [im if isinstance(im, InputImage) else load_image(im, max_side=self.max_input_side) for im in images]
        for im in loaded:
            for note in im.notes:
                if note.startswith(("downscaled", "first frame", "frame ")):  # changes what the model sees
                    warn_user(f"Input image {im.source}: {note}.", InputAdjustedWarning)
        return loaded

    def requests(self, operation: str, prompt: str, images: Any = (), prefix: tuple[Turn, ...] = (), *,
                 options: Options | Mapping[str, Any] | None = None, n: int = 1,
                 model: str | registry.ModelInfo | None = None) -> tuple[list[Request], registry.ModelInfo]:
        """Validated requests (``n`` variants) and the model they use; nothing is sent.

        Raises :class:`~toolkit.errors.InputError` / :class:`~toolkit.errors.OptionError` naming the fix.
        """
        check_prompt(prompt)
        images = as_images(images)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_N:
            raise OptionError(f"n={n!r} must be a whole number from 1 to {MAX_N} (the number of images wanted).")
        opts = options if isinstance(options, Options) else Options.build(**dict(options or {}))
        info = model if isinstance(model, registry.ModelInfo) else (
            self.model if model is None else registry.resolve(model))
        registry.validate_options(info, aspect_ratio=opts.aspect_ratio, image_size=opts.image_size,
                                  n_images=len(images))
        self.spec.check_options(opts)
        answers.check_model_options(info, opts)
        loaded = self.load_images(images)
        user = Turn("user", (TextPart(prompt), *(ImagePart(im.data, im.mime, im.sha256) for im in loaded)))
        turns = (*prefix, user)
        requests = [Request(self.backend.kind, info.id, turns, opts, variant=v, operation=operation)
                    for v in range(n)]
        return requests, info

    # -- estimating -----------------------------------------------------------------------------------
    def estimate_usage(self, request: Request, info: registry.ModelInfo) -> dict[str, int]:
        """The usage one request is expected to report (prompt tokens, input image tokens, output tokens)."""
        sizes = [image_dims(p) for turn in request.turns for p in turn.images]
        prompt_tokens = sum(pricing.estimate_text_tokens(t.text) for t in request.turns)
        return pricing.estimate_usage(info, prompt_tokens, sizes, request.options.image_size)

    def estimate_one(self, request: Request, info: registry.ModelInfo, *, tier: str = "standard") -> float:
        """List price of one request at ``tier`` (what is reserved for it when it is paid), with one search
        query per grounding type asked for."""
        return self.list_cost(info, self.estimate_usage(request, info), tier=tier) + answers.grounding_cost(
            info, len(request.options.grounding or ()))

    def list_cost(self, info: registry.ModelInfo, usage: Mapping[str, int], *, tier: str = "standard") -> float:
        """:func:`toolkit.pricing.list_cost`, remembered per model, tier and usage (a price lookup costs about
        a quarter of a millisecond, and most calls of one model report the same token counts)."""
        key = (id(info), tier, *(usage.get(k, 0) for k in pricing.USAGE_KEYS))
        hit = self._prices.get(key)
        if hit is not None and hit[0] is info:
            return hit[1]
        cost = pricing.list_cost(info, usage, tier=tier)
        if len(self._prices) >= 4096:
            self._prices.clear()
        self._prices[key] = (info, cost)  # holding info keeps its id from being reused by another model
        return cost

    def is_cached(self, request: Request) -> bool:
        """True when ``request`` would replay from the cache."""
        return self.store.has_cached(request.key, self.replay_sources)

    def estimate(self, requests: Sequence[Request], info: registry.ModelInfo, *, refresh: bool = False
                 ) -> pricing.Estimate:
        """What sending ``requests`` would cost: cache hits are $0, and so is everything on a free backend."""
        cached = 0 if refresh else sum(1 for r in requests if self.is_cached(r))
        usage = self.estimate_usage(requests[0], info)
        one = self.list_cost(info, usage)
        each = self.estimate_one(requests[0], info, tier=answers.request_tier(requests[0].options))
        spend = each * (len(requests) - cached) if self.spends_money else 0.0
        return pricing.Estimate(
            model=info.id, calls=len(requests), cached_calls=cached, input_tokens=usage["input_tokens"],
            output_image_tokens=usage["output_image_tokens"] * len(requests), list_cost_usd=one * len(requests),
            cost_usd=spend,
        )

    # -- running --------------------------------------------------------------------------------------
    def call(self, requests: Sequence[Request], info: registry.ModelInfo, *, refresh: bool = False,
             transport: Backend | None = None, on_text: Callable[[str], None] | None = None) -> Result:
        """:meth:`execute`, from synchronous code (safe inside Jupyter's running event loop)."""
        return run(self.execute(requests, info, refresh=refresh, transport=transport, on_text=on_text))

    async def execute(self, requests: Sequence[Request], info: registry.ModelInfo, *, refresh: bool = False,
                      transport: Backend | None = None, on_text: Callable[[str], None] | None = None) -> Result:
        """Run ``requests`` (variants of one call) through cache, budget, backend and storage; one Result.

        ``transport`` sends through another backend object (a chat's Interactions transport); ``on_text``
        receives the reply text as it streams (a cache hit delivers it at once).

        Raises
        ------
        BudgetExceededError
            The estimate would pass the cap (``refused`` rows are written; nothing is sent).
        StorageError
            The home could not record the calls (nothing is sent).
        ProviderError
            Every request failed after retries (each has its ``error`` row).
        """
        clock = Stopwatch()
        check: Callable[[Request], None] | None = getattr(transport, "check_request", None)
        for req in requests:
            if check is not None:
                check(req)  # refuses an option the transport cannot carry, before anything is recorded or sent
        group = requests[0].key[:12] if len(requests) > 1 else None
        results: dict[int, Result] = {}
        misses: list[Request] = []
        for req in requests:
            hit = None if refresh else self.replay(req, info, group=group)
            if hit is not None:
                results[req.variant] = hit
                if on_text is not None and hit.text:
                    on_text(hit.text)
            else:
                misses.append(req)
        row_ids: list[int | None] = [None] * len(misses)
        if misses and self.spends_money:
            estimate = self.estimate_one(misses[0], info, tier=answers.request_tier(misses[0].options))
            rows = [self.row(req, status="sent", group=group) for req in misses]
            row_ids = list(self.budget.open(rows, [estimate] * len(rows)))
        outcomes: list[Result | BaseException]
        if len(misses) == 1:  # the common case: awaited in this task (gather would wrap it in a task of its own)
            try:
                outcomes = [await self._send(misses[0], info, group, row_ids[0], transport, on_text)]
            except ProviderError as e:
                outcomes = [e]
        else:
            outcomes = await asyncio.gather(
                *(self._send(r, info, group, row_id, transport, on_text)
                  for r, row_id in zip(misses, row_ids, strict=True)), return_exceptions=True)
        errors: list[str] = []
        first_error: BaseException | None = None
        for req, out in zip(misses, outcomes, strict=True):
            if isinstance(out, Result):
                results[req.variant] = out
            elif isinstance(out, ProviderError):
                errors.append(str(out))
                first_error = first_error or out
            elif isinstance(out, BaseException):
                raise out
        if not results:
            assert first_error is not None
            raise first_error
        ordered = [results[v] for v in sorted(results)]
        if len(requests) == 1:
            return ordered[0]
        return combine(ordered, errors, clock.elapsed())

    def _semaphore(self) -> asyncio.Semaphore:
        loop_id = id(asyncio.get_running_loop())
        sem = self._semaphores.get(loop_id)
        if sem is None:
            sem = self._semaphores[loop_id] = asyncio.Semaphore(self.concurrency)
        return sem

    async def ask(self, via: Backend, req: Request, on_text: Callable[[str], None] | None = None) -> Reply:
        """One attempt at one request (``on_text``: streamed): the backend's Reply, checked by
        :func:`~toolkit.backends.base.check_reply`. Anything but a ToolkitError raised while reading the answer
        (KeyError, ValueError, a pydantic ValidationError, ...) is a :class:`~toolkit.backends.base.MalformedReplyError`.
        """
        try:
            if on_text is not None:
                reply = await via.generate_stream(req, on_text)  # type: ignore[attr-defined]
            else:
                reply = await via.generate(req)
        except ToolkitError:  # ProviderError (mapped by the backend), RequestWithdrawn, OptionError, ...
            raise
        except Exception as e:  # the answer could not be read: an odd shape, a bad number, ...
            raise replies.as_provider_error(via.kind, e) from None
        if not isinstance(reply, Reply):
            raise MalformedReplyError(via.kind, f"the backend returned a {type(reply).__name__}, not a Reply")
        return check_reply(reply, self.max_reply_bytes, provider=via.kind)

    async def _send(self, req: Request, info: registry.ModelInfo, group: str | None, row_id: int | None,
                    transport: Backend | None, on_text: Callable[[str], None] | None) -> Result:
        via = transport or self.backend
        streams = on_text is not None and transport is None and self.spec.streaming
        clock = Stopwatch()
        limits = CallClock(self.timeout_s, self.retry.deadline_s, provider=via.kind)
        shown: list[str] = []  # streamed text already delivered: a retry would deliver it twice
        tried: list[int] = []  # attempts that left (a request cancelled before that cannot have been billed)

        def sink(text: str) -> None:
            shown.append(text)
            on_text(text)  # type: ignore[misc]

        try:
            async with self._semaphore():
                clock = Stopwatch()
                limiter = self.rate_limiter.for_model(req.model)

                async def attempt() -> Reply:
                    async with limiter.slot():
                        tried.append(1)
                        try:
                            reply = await limits.attempt(lambda: self.ask(via, req, sink if streams else None))
                        except ProviderError as e:
                            if e.code == 429:
                                limiter.on_throttled(e.retry_after_s)
                            if shown and e.retryable:  # cut off mid-stream (a timeout): not retried
                                raise StreamInterruptedError.after(e) from None
                            raise
                    limiter.on_success()
                    return reply

                reply, attempts = await with_retries(
                    attempt, self.retry, clock=limits, label=f"{via.kind} {req.model}",
                    on_retry=lambda n, e, wait: self.on_retry and self.on_retry(
                        RetryNotice(via.kind, req.model, n, self.retry.attempts, wait, e)))
        except ProviderError as e:
            self.record_failure(req, info, error=scrub(str(e)) or "", group=group, latency_s=clock.elapsed(),
                                attempts=e.attempts, row_id=row_id)
            raise
        except RequestWithdrawn:
            if row_id is not None:
                self.budget.withdraw(row_id)
            raise
        except BaseException as e:  # cancelled, or a bug: once sent, the request may have reached the provider
            if row_id is not None and not tried:
                with suppress(StorageError):
                    self.record_failure(req, info, error=f"cancelled ({type(e).__name__}) before it was sent; nothing "
                                                         f"was spent", group=group, row_id=row_id)
            elif row_id is not None:
                self.budget.interrupt(row_id, f"interrupted ({type(e).__name__}) while in flight; the provider may "
                                              f"have billed it, so its estimate counts as spent")
            raise
        if on_text is not None and not streams and reply.text:
            on_text(reply.text)  # a backend without streaming: the whole text, once
        return self.finish(req, info, reply, latency_s=clock.elapsed(), attempts=attempts, group=group, row_id=row_id,
                           checked=True)

    # -- finishing, replaying and recording -----------------------------------------------------------
    def metadata(self, req: Request, created: str, response_id: str | None, cost: float, list_cost: float
                 ) -> dict[str, Any]:
        """What is embedded in every stored image and kept with the cache entry (never a key)."""
        meta: dict[str, Any] = {
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

    def finish(self, req: Request, info: registry.ModelInfo, reply: Reply, *, latency_s: float, attempts: int = 1,
               group: str | None = None, tier: str = "standard", row_id: int | None = None,
               checked: bool = False) -> Result:
        """Turn a backend's Reply into a Result: store its images, cache it (``ok`` only), complete its row.

        ``row_id`` is the call's write-ahead row (paid calls); without it a new row is written. A reply that
        did not come through :meth:`ask` (``checked=False``: a batch job's answer) is checked first
        (:func:`~toolkit.backends.base.check_reply`); one that fails gets an ``error`` row and raises
        :class:`~toolkit.backends.base.MalformedReplyError`.
        """
        if not checked:
            try:
                reply = check_reply(reply, self.max_reply_bytes, provider=req.backend)
            except MalformedReplyError as e:
                self.record_failure(req, info, error=scrub(str(e)) or "", group=group, latency_s=latency_s,
                                    attempts=attempts, row_id=row_id, tier=tier)
                raise
        created = now_iso()
        usage = pricing.normalize_usage(reply.usage)
        tier = answers.reply_tier(req.options, reply) if tier == "standard" else tier  # flex, priority (or batch)
        searched = answers.grounding_cost(info, answers.grounding_queries(reply.grounding))
        list_cost = self.list_cost(info, usage) + searched
        # the ledger's list_cost_usd stays the standard list price; a batch or flex answer costs its tier's price
        spend = list_cost if tier == "standard" else self.list_cost(info, usage, tier=tier) + searched
        # money actually spent: the provider's own figure when the backend reports one (OpenRouter's usage.cost,
        # fal's flat price per image), else the list price of the usage
        cost = float(reply.extra.get("cost_usd", spend)) if self.spends_money else 0.0
        meta = self.metadata(req, created, reply.response_id, cost, list_cost)
        for key, name in (("trafficType", "traffic_type"), ("artwork", "artwork"), ("serviceTier", "service_tier")):
            if reply.extra.get(key):  # Vertex's traffic, the reply's tier; the simulator's artwork credit
                meta[name] = reply.extra[key]  # (OpenMoji, CC BY-SA 4.0): kept with the image
        try:
            outputs, files = self.answers.store_images(reply, meta)
            turn = self.answers.turn_entry(reply.model_turn, files)
        except StorageError as e:  # paid and received, but not storable: the row says so and keeps the cost
            self.record_failure(req, info, error=f"answer received but not stored: {e}", group=group,
                                latency_s=latency_s, attempts=attempts, row_id=row_id, cost_usd=cost, tier=tier)
            raise
        result = Result(
            status=reply.status, model=req.model, backend=reply.extra.get("backend", req.backend),
            operation=req.operation, prompt=req.prompt, text=reply.text, reason=scrub(reply.reason), usage=usage,
            cost_usd=cost, list_cost_usd=list_cost, latency_s=latency_s, cached=False, key=req.key,
            response_id=reply.response_id, outputs=outputs, request=req,
            attempts=attempts, created=created, metadata=meta, grounding=reply.grounding,
        )
        if turn is not None:  # stored with the images: read back on access, not held (a study of 10k Results)
            result.defer_turn(self.answers.turn_loader(turn))
        row = self.row(req, result=result, group=group, tier=tier)
        with self.store.transaction() as conn:
            # errors, blocks and empty answers are never cached; nor are a replay pack's fall-through answers,
            # which come from another backend than the pack's keys describe
            if reply.status == "ok" and not reply.extra.get("no_cache"):
                entry = {
                    "status": reply.status, "text": reply.text, "reason": result.reason, "usage": usage,
                    "response_id": reply.response_id, "model_version": reply.model_version,
                    "list_cost_usd": list_cost, "latency_s": latency_s, "created": created,
                    "images": [o.sha256 for o in outputs], "files": files, "model_turn": turn, "metadata": meta,
                    "grounding": reply.grounding,
                }
                self.store.put_cache(conn, req.key, req.backend, req.model, entry, created)
            if row_id is None:
                self.budget.add(conn, row)
            else:
                self.budget.close(conn, row_id, row)
        with self._lock:
            self._spent += cost
        return result

    def replay(self, req: Request, info: registry.ModelInfo, *, group: str | None = None, record: bool = True
               ) -> Result | None:
        """The cached answer to ``req`` as a Result ($0), or None; ``record=False`` writes no ledger row (a
        collected batch job being rebuilt: its cells have their rows)."""
        clock = Stopwatch()
        entry = self.store.cache_get(req.key, self.replay_sources)
        if entry is None:
            return None
        try:
            by_sha = {f["sha256"]: f for f in entry["files"]}
            outputs = []
            checked: set[str] = set()  # each image read and checked once; then only its path is held
            for sha in entry["images"]:
                ref = by_sha[sha]
                size = len(self.parts.load_image(ref).data)
                checked.add(sha)
                path = self.store.home / self.store.image_relpath(ref["sha256"], ref["mime"])
                outputs.append(self.answers.output(ref, size, str(path)))
            turn = entry.get("model_turn")
            for d in turn or []:  # the turn's other images (interim thoughts): checked now, loaded on access
                image = d.get("image") if isinstance(d, dict) else None
                if image is not None and image["sha256"] not in checked:
                    self.parts.load_image(image)
                    checked.add(image["sha256"])
        except (OSError, KeyError, ValueError):
            return None  # a damaged entry is a miss, never a wrong answer
        result = Result(
            status=entry["status"], model=req.model, backend=req.backend, operation=req.operation,
            prompt=req.prompt, text=entry["text"], reason=entry.get("reason"), usage=dict(entry["usage"]),
            cost_usd=0.0, list_cost_usd=entry["list_cost_usd"], latency_s=clock.elapsed(), cached=True,
            key=req.key, response_id=entry.get("response_id"), outputs=outputs, request=req,
            attempts=0, created=now_iso(), metadata=entry.get("metadata", {}), source=entry.get("source"),
            grounding=entry.get("grounding"),
        )
        if turn is not None:
            result.defer_turn(self.answers.turn_loader(turn))
        if record:
            self.budget.record(self.row(req, result=result, group=group))
        return result

    def row(self, req: Request, *, result: Result | None = None, status: str = "error", error: str | None = None,
            group: str | None = None, latency_s: float = 0.0, attempts: int = 1, tier: str = "standard",
            cost_usd: float = 0.0) -> CallRow:
        """The ledger row of one call: from its Result, or a bare row with ``status`` (sent, error, refused)."""
        u = result.usage if result else {}
        return CallRow(
            ts=result.created if result else now_iso(), session=self.session,
            backend=result.backend if result else req.backend, model=req.model, operation=req.operation,
            prompt=req.prompt, n_inputs=len(req.input_images), n_images=len(result.outputs) if result else 0,
            status=result.status if result else status, reason=result.reason if result else None,
            input_tokens=u.get("input_tokens", 0), input_image_tokens=u.get("input_image_tokens", 0),
            output_tokens=u.get("output_tokens", 0), output_image_tokens=u.get("output_image_tokens", 0),
            thought_tokens=u.get("thought_tokens", 0),
            cost_usd=result.cost_usd if result else cost_usd, list_cost_usd=result.list_cost_usd if result else 0.0,
            latency_s=result.latency_s if result else latency_s, cached=bool(result and result.cached),
            key=req.key, response_id=result.response_id if result else None,
            paths=result.paths if result else [], error=error,
            attempts=result.attempts if result else attempts, group_id=group, variant=req.variant,
            aspect_ratio=req.options.aspect_ratio, image_size=req.options.image_size, seed=req.options.seed,
            tier=answers.request_tier(req.options) if tier == "standard" and (not result or result.cached) else tier,
            notebook=NOTEBOOK,
            source=result.source if result else None,
            grounding_queries=answers.grounding_queries(result.grounding) if result else 0,
        )

    def record_failure(self, req: Request, info: registry.ModelInfo, *, error: str, status: str = "error",
                       group: str | None = None, latency_s: float = 0.0, attempts: int = 1, tier: str = "standard",
                       row_id: int | None = None, cost_usd: float = 0.0) -> None:
        """One ledger row for a call that produced no Result (completing its write-ahead row if it has one)."""
        row = self.row(req, status=status, error=error, group=group, latency_s=latency_s, attempts=attempts,
                       tier=tier, cost_usd=cost_usd)
        if row_id is None:
            self.budget.record(row)
            return
        with self.store.transaction() as conn:
            self.budget.close(conn, row_id, row)
        with self._lock:
            self._spent += cost_usd
