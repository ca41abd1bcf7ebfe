"""Constants and helpers shared by the FakeGeminiServer tests (imported by name: tests/testing has no __init__)."""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json

from google import genai
from google.genai import types
from PIL import Image

from toolkit import simulator
from toolkit.testing import FakeGeminiServer

KEY = "test-key-fgs-0001"
TODAY = dt.date(2026, 9, 1)
M3 = "gemini-3.1-flash-image"
M25 = "gemini-2.5-flash-image"


def _client(base_url: str, *, key: str = KEY, api_version: str | None = "v1beta", **http) -> genai.Client:
    opts = types.HttpOptions(base_url=base_url, api_version=api_version, **http)
    return genai.Client(api_key=key, http_options=opts)


def cfg(ar: str | None = "16:9", size: str | None = "512", **kw) -> types.GenerateContentConfig:
    image = types.ImageConfig(aspect_ratio=ar, image_size=size) if (ar or size) else None
    return types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"], image_config=image, **kw)


def final_images(resp) -> list[types.Part]:
    return [p for p in resp.candidates[0].content.parts if p.inline_data and not p.thought]


def sniff(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return "?"


def png_bytes(size=(96, 64), colour=(200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def edit_phrase() -> str:
    """An instruction the simulator understands (its documented vocabulary), so edits produce images."""
    return simulator.EDIT_VOCABULARY[0][0] if simulator.EDIT_VOCABULARY else "make it brighter"


def raw(fake: FakeGeminiServer, method: str, path: str, body=None, headers=None):
    """One raw HTTP exchange: (status, headers, body bytes)."""
    conn = http.client.HTTPConnection(fake.host, fake.port, timeout=10)
    try:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()
