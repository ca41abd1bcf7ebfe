"""Loopback fakes of the image providers, for tests, benchmarks and offline demos.

Each fake is a real HTTP server on ``127.0.0.1`` (a daemon thread) that the provider's own client can be
pointed at, and answers with images from the offline simulator:

* :class:`FakeGeminiServer`: the Gemini API (``generateContent``, streaming, models, the Batch and Files
  APIs), Vertex AI's Gemini surface, and the Interactions API (:class:`FakeInteractions`, at
  ``server.interactions``);
* :class:`FakeOpenRouterServer`: OpenRouter's chat completions;
* :class:`FakeFalServer`: fal.ai's queue and run endpoints.

They share one vocabulary: script what the next calls get with ``enqueue`` (an :class:`Outcome`, a
shortcut such as ``"503"`` or ``"blocked"``, or an HTTP code), and read what was sent from ``requests`` /
``calls`` (each a :class:`Recorded`, credentials redacted).

>>> from toolkit.testing import FakeOpenRouterServer, Outcome
>>> with FakeOpenRouterServer() as fake:
...     fake.enqueue(Outcome.error(429), "blocked")
...     print(fake.pending, fake.base_url.endswith("/api/v1"))
2 True

Modules: :mod:`.base` (Outcome, Recorded, the script), :mod:`.loopback` (the HTTP server),
:mod:`.gemini` with :mod:`.gemini_wire`, :mod:`.gemini_answers`, :mod:`.gemini_grounding`,
:mod:`.gemini_batch` and :mod:`.gemini_vertex`, :mod:`.interactions`, :mod:`.openrouter`, :mod:`.fal`.
"""

from __future__ import annotations

from .base import Outcome, Recorded
from .fal import FakeFalServer
from .gemini import FakeGeminiServer
from .gemini_batch import FakeBatch, FakeFile
from .interactions import FakeInteractions
from .openrouter import FakeOpenRouterServer

__all__ = [
    "FakeBatch",
    "FakeFalServer",
    "FakeFile",
    "FakeGeminiServer",
    "FakeInteractions",
    "FakeOpenRouterServer",
    "Outcome",
    "Recorded",
]
