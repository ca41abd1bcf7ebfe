"""The gateway's Gemini REST routes (Starlette): generation with budgets, the room cache and fair limits.

A seat token reaches exactly these: ``POST /{version}/models/{model}:generateContent`` and
``:streamGenerateContent``, and ``GET /{version}/models[/{model}]`` filtered to the room's models. The Batch,
Files, Interactions and other paths answer a clear 501 (``tk.Studio(classroom=...)`` carries chats on
``generateContent`` instead). Every answer the gateway writes itself is Google's error JSON
(https://ai.google.dev/gemini-api/docs/troubleshooting), so the google-genai SDK and the toolkit show it.

One call: authenticate the seat -> the room cache (a hit replays at $0; an identical call in flight is waited
for, so the room sends it upstream once) -> reserve the estimate against the seat's and the room's caps (one
transaction; refusal before anything is sent) -> the room's limits -> upstream -> the actual cost from
``usageMetadata`` replaces the estimate -> the cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .. import registry
from ..backends.gemini_wire import CLASSROOM_CHARGE_HEADER, json_field, retry_delay_s
from ..secrets import scrub
from . import costs, dashboard
from .limits import RoomLimits
from .room import WHO_TO_ASK, Refusal, Room, Seat
from .security import SecurityMiddleware
from .upstream import JSON, Answer, Upstream, elapsed
from .wire import error_json, model_json

log = logging.getLogger("toolkit.classroom")

VERSIONS = ("v1", "v1beta", "v1alpha")
GENERATE = ("generateContent", "streamGenerateContent")
#: Request bodies larger than this are refused (the Gemini API takes inline requests up to 20 MB:
#: https://ai.google.dev/gemini-api/docs/image-understanding).
DEFAULT_MAX_BODY_BYTES = 24 * 1024 * 1024


class TooLarge(Exception):
    pass


def error(code: int, status: str, message: str, retry_after_s: float | None = None) -> Response:
    """Google's error JSON as a response."""
    return Response(error_json(code, status, message, retry_after_s), code, media_type=JSON)


def _refused(r: Refusal) -> Response:
    return error(r.code, r.status, r.message, r.retry_after_s)


class Gateway:
    """The room's gateway: a :class:`Room`, an upstream and the limits, served by :meth:`app`.

    Parameters
    ----------
    room : Room
        Seats, caps, ledger and cache.
    upstream : Upstream
        :class:`~toolkit.classroom.upstream.HttpUpstream` (the instructor's key) or ``OfflineUpstream``.
    limits : RoomLimits, optional
        Room rpm/concurrency per model and per-seat concurrency.
    host : str
        Where the server binds: on loopback, requests must name a loopback ``Host``.
    max_body_bytes : int
        Larger request bodies are refused with 413.
    """

    def __init__(self, room: Room, upstream: Upstream, *, limits: RoomLimits | None = None,
                 host: str = "127.0.0.1", max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.room = room
        self.upstream = upstream
        self.limits = limits or RoomLimits()
        self.host = host
        self.max_body_bytes = int(max_body_bytes)
        self._inflight: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the app ---------------------------------------------------------------------------------------------
    def app(self) -> Any:
        """The ASGI app: these routes, the dashboard's, and the security middleware."""
        routes = [
            Route("/{version}/models", self.list_models, methods=["GET"]),
            Route("/{version}/models/{target}", self.model_call, methods=["GET", "POST"]),
            *dashboard.routes(self.room),
            Route("/", self.index, methods=["GET"]),
            Route("/{path:path}", self.not_here, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            yield
            await self.upstream.aclose()

        starlette = Starlette(routes=routes, lifespan=lifespan)
        return SecurityMiddleware(starlette, host=self.host, max_body_bytes=self.max_body_bytes)

    async def index(self, request: Request) -> Response:
        return Response("Flash Image Toolkit classroom gateway. Students: tk.Studio(classroom=<this URL>, "
                        "seat_token=...). Instructor: open /classroom/#token=<instructor token>.\n",
                        media_type="text/plain; charset=utf-8")

    async def not_here(self, request: Request) -> Response:
        path = request.url.path
        rest = path.split("/", 2)[2] if path.count("/") >= 2 else ""
        what = {"batches": "the Batch API", "files": "the Files API", "upload": "the Files API",
                "interactions": "the Interactions API", "cachedContents": "context caching",
                "tunedModels": "tuning"}.get(rest.split("/", 1)[0])
        if what:
            return error(501, "UNIMPLEMENTED", (
                f"classroom gateway: {what} is not available in a classroom; only single generateContent and "
                f"streamGenerateContent calls are. Use tk.Studio(classroom=...) (chats replay on generateContent)."))
        return error(404, "NOT_FOUND", "classroom gateway: no such path. The gateway serves "
                     "/v1beta/models/{model}:generateContent, :streamGenerateContent and /v1beta/models.")

    # -- seats -----------------------------------------------------------------------------------------------
    def _seat(self, request: Request) -> Seat | Response:
        token = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        seat = self.room.seat_for(token)
        if seat is None:
            return error(401, "UNAUTHENTICATED", f"classroom gateway: this seat token is not valid (it may have "
                         f"been reissued). {WHO_TO_ASK} for your seat's token.")
        return seat

    def _model(self, name: str) -> registry.ModelInfo | Response:
        info = registry.resolve(name, warn=False) if name else None
        allowed = self.room.models
        if info is None or info.id not in allowed:
            return error(403, "PERMISSION_DENIED", f"classroom gateway: model {name!r} is not open in this room; "
                         f"it allows {', '.join(allowed)}. Use one of those (tk.Studio(model=...)).")
        return info

    # -- models ----------------------------------------------------------------------------------------------
    async def list_models(self, request: Request) -> Response:
        seat = self._seat(request)
        if isinstance(seat, Response):
            return seat
        allowed = self.room.models
        models = [model_json(registry.resolve(m, warn=False)) for m in allowed]
        try:
            answer = await self.upstream.list_models(request.path_params["version"])
            listed = json.loads(answer.body).get("models") if answer.status == 200 else None
            if isinstance(listed, list):
                models = [m for m in listed if str(m.get("name", "")).removeprefix("models/") in allowed] or models
        except (httpx.HTTPError, ValueError, AttributeError):
            pass  # the room's own list is still right
        return Response(json.dumps({"models": models}), media_type=JSON)

    async def model_call(self, request: Request) -> Response:
        version, target = request.path_params["version"], request.path_params["target"]
        if version not in VERSIONS:
            return error(404, "NOT_FOUND", f"classroom gateway: unknown API version {version!r}; use v1beta.")
        name, _, method = target.partition(":")
        if request.method == "GET":
            if method:
                return await self.not_here(request)
            seat = self._seat(request)
            if isinstance(seat, Response):
                return seat
            info = self._model(name)
            return info if isinstance(info, Response) else Response(json.dumps(model_json(info)), media_type=JSON)
        if method not in GENERATE:
            return error(501, "UNIMPLEMENTED", f"classroom gateway: {method or 'this call'} is not available in a "
                         f"classroom; only generateContent and streamGenerateContent are (batch mode is off).")
        return await self.generate(request, version, name, method)

    # -- generation ------------------------------------------------------------------------------------------
    async def generate(self, request: Request, version: str, name: str, method: str) -> Response:
        seat = self._seat(request)
        if isinstance(seat, Response):
            return seat
        info = self._model(name)
        if isinstance(info, Response):
            return info
        try:
            body = await read_body(request, self.max_body_bytes)
            parsed = costs.request_json(info, body)
        except TooLarge:
            return error(413, "INVALID_ARGUMENT", f"classroom gateway: the request is larger than "
                         f"{self.max_body_bytes // 2**20} MB; send smaller or fewer images (tk shrinks inputs "
                         f"with max_input_side=...).")
        except ValueError:
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        stream = method == "streamGenerateContent"
        alt = request.query_params.get("alt")
        query = f"alt={alt}" if alt else ""
        key = hashlib.sha256(f"{version}\n{info.id}\n{method}\n{query}\n".encode() + body).hexdigest()
        if seat.revoked:
            return self._refuse(seat, info.id, method, Refusal(403, "PERMISSION_DENIED", (
                f"classroom gateway: seat {seat.name} has been revoked. {WHO_TO_ASK} for a new seat token.")))
        cool = self.limits.cooldown_left()
        if cool is not None:
            return self._refuse(seat, info.id, method, Refusal(429, "RESOURCE_EXHAUSTED", (
                f"classroom gateway: the room is over Google's rate limit; wait {cool:.0f} s (your toolkit "
                f"waits and retries by itself). Nothing was charged."), cool))
        # the room cache, and the identical call another seat has in flight
        while True:
            hit = self.room.cached(key)
            if hit is not None:
                return self._replay(seat, info, method, key, hit)
            event = self._inflight.get(key)
            if event is None:
                break
            await event.wait()
        mine = self._inflight[key] = asyncio.Event()
        handed_off = False
        try:
            estimate = costs.estimate(info, parsed)
            reserved = self.room.reserve(seat.name, info.id, method, estimate, key)
            if isinstance(reserved, Refusal):
                log.info("%s %s refused: %s", seat.name, info.id, reserved.message)
                return _refused(reserved)
            stack = AsyncExitStack()
            try:
                await stack.enter_async_context(self.limits.slot(seat.name, info.id))
            except BaseException:  # the student went away while waiting for a turn: nothing was sent
                self.room.finish(reserved, status="error", http_status=None, cost=0.0,
                                 message="cancelled while waiting for a turn; nothing was sent")
                raise
            t0 = time.perf_counter()
            try:
                answer = await self.upstream.call(version, info.id, method, query, body, stream=stream)
            except httpx.HTTPError as e:
                await stack.aclose()
                return self._transport_failed(reserved, seat, info, e, estimate, t0)
            except BaseException:
                await stack.aclose()
                self.room.finish(reserved, status="error", http_status=None, cost=estimate, latency_s=elapsed(t0),
                                 message="the gateway stopped during the call; its estimate counts as spent")
                raise
            if stream and answer.chunks is not None:
                handed_off = True  # the pump releases it when the stream ends
                queue: asyncio.Queue = asyncio.Queue()
                task = asyncio.create_task(self._pump(answer, stack, mine, queue, reserved, seat, info, key, t0,
                                                      estimate))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                return StreamingResponse(self._drain(queue), status_code=200, media_type=answer.content_type,
                                         headers=answer.headers)
            await stack.aclose()
            response, handed_off = self._settle(answer, answer.body, reserved, seat, info, key, t0, mine)
            return response
        finally:
            if not handed_off:
                self._inflight.pop(key, None)
                mine.set()

    async def _pump(self, answer: Answer, stack: AsyncExitStack, event: asyncio.Event, queue: asyncio.Queue,
                    call_id: int, seat: Seat, info: registry.ModelInfo, key: str, t0: float, estimate: float) -> None:
        """Read the upstream stream to its end in a task of its own, handing chunks to the student's response:
        a student who disconnects cannot leave the call unrecorded, its slot held or its estimate reserved."""
        received: list[bytes] = []
        done = False
        try:
            assert answer.chunks is not None
            async for chunk in answer.chunks:
                received.append(chunk)
                queue.put_nowait(chunk)
            done = True
        finally:
            queue.put_nowait(None)
            whole = b"".join(received)
            try:
                if done:
                    self._settle(answer, whole, call_id, seat, info, key, t0, None)
                    self.room.put_cache(key, info.id, answer.content_type, whole, costs.actual(info, whole)[0])
                else:
                    # cut off: Google may bill the whole answer, so without its usage the estimate counts
                    cost, usage = costs.actual(info, whole)
                    self.room.finish(call_id, status="error", http_status=200, cost=max(cost, estimate),
                                     latency_s=elapsed(t0), input_tokens=usage["input_tokens"],
                                     output_tokens=usage["output_tokens"], message="the stream was cut off before "
                                     "its end; its estimate counts as spent")
            finally:
                self._inflight.pop(key, None)
                event.set()
                await stack.aclose()
                if answer.close is not None:
                    await answer.close()

    @staticmethod
    async def _drain(queue: asyncio.Queue) -> AsyncIterator[bytes]:
        while (chunk := await queue.get()) is not None:
            yield chunk

    def _settle(self, answer: Answer, body: bytes, call_id: int, seat: Seat, info: registry.ModelInfo, key: str,
                t0: float, event: asyncio.Event | None) -> tuple[Response, bool]:
        """Record what the upstream answered (actual cost replaces the estimate) and pass it on. With ``event``,
        an ``ok`` answer is cached by a task running beside the reply (off its path), which then sets ``event``
        for the seats waiting on the same request; the flag says that task now owns ``event``."""
        latency = elapsed(t0)
        if answer.status == 200:
            cost, usage = costs.actual(info, body)
            self.room.finish(call_id, status="ok", http_status=200, cost=cost, latency_s=latency,
                             input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"])
            log.info("%s %s ok %.2fs $%.4f", seat.name, info.id, latency, cost)
            if event is not None:
                task = asyncio.create_task(self._cache(key, info.id, answer.content_type, body, cost, event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            charged = {**answer.headers, CLASSROOM_CHARGE_HEADER: f"{cost:.10f}"}  # what the seat was charged
            return Response(body, 200, media_type=answer.content_type, headers=charged), event is not None
        try:
            err_body: Any = json.loads(body)
        except ValueError:
            err_body = None
        err = json_field(err_body, "error")
        message = scrub(str(json_field(err, "message") or f"HTTP {answer.status}")) or ""
        if answer.status == 429:
            retry = retry_delay_s(err_body)
            wait = self.limits.throttled(retry)
            if retry is None:  # make the wait explicit, so every toolkit in the room honours it
                body = error_json(429, "RESOURCE_EXHAUSTED", f"{message} (classroom gateway: the room waits "
                                  f"{wait:.0f} s; your toolkit retries by itself.)", wait)
        self.room.finish(call_id, status="error", http_status=answer.status, cost=0.0, latency_s=latency,
                         message=message[:500])
        log.info("%s %s upstream %s %.2fs", seat.name, info.id, answer.status, latency)
        return Response(body, answer.status, media_type=answer.content_type, headers=answer.headers), False

    async def _cache(self, key: str, model: str, content_type: str, body: bytes, cost: float,
                     event: asyncio.Event) -> None:
        try:
            await anyio.to_thread.run_sync(self.room.put_cache, key, model, content_type, body, cost)
        finally:
            self._inflight.pop(key, None)
            event.set()

    def _transport_failed(self, call_id: int, seat: Seat, info: registry.ModelInfo, e: httpx.HTTPError,
                          estimate: float, t0: float) -> Response:
        # a call that never connected was not billed; one cut off later may have been: count its estimate
        unsent = isinstance(e, httpx.ConnectError | httpx.ConnectTimeout)
        name = type(e).__name__
        self.room.finish(call_id, status="error", http_status=None, cost=0.0 if unsent else estimate,
                         latency_s=elapsed(t0), message=f"upstream not reached: {name}" if unsent else
                         f"upstream failed mid-call ({name}); its estimate counts as spent")
        log.warning("%s %s upstream transport failure: %s", seat.name, info.id, name)
        return error(503, "UNAVAILABLE", f"classroom gateway: Google's API could not be reached ({name}). Your "
                     f"toolkit retries; if it keeps failing, tell your instructor.")

    def _replay(self, seat: Seat, info: registry.ModelInfo, method: str, key: str,
                hit: tuple[str, bytes, float]) -> Response:
        content_type, body, cost = hit
        _, usage = costs.actual(info, body)
        self.room.record(seat.name, info.id, method, status="ok", http_status=200, cost=0.0, saved=cost, cached=True,
                         latency_s=0.0, input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"],
                         request_key=key)
        log.info("%s %s cache hit (saved $%.4f)", seat.name, info.id, cost)
        return Response(body, 200, media_type=content_type, headers={CLASSROOM_CHARGE_HEADER: "0"})

    def _refuse(self, seat: Seat, model: str, method: str, refusal: Refusal) -> Response:
        self.room.record(seat.name, model, method, status="refused", http_status=refusal.code,
                         message=refusal.message)
        return _refused(refusal)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused past ``limit`` bytes (by its Content-Length, or as it arrives)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)
