"""The embedded offline image engine ("the simulator").

It stands in for the real models when there is no API key: deterministic, honest about what it is
(every image carries a visible "OFFLINE SIMULATOR" mark) and shaped like the real thing (pixel sizes
from the model's table, the output tokens the real model bills, the MIME type the real model returns).

Public entry point: :func:`render`. It is used by :mod:`toolkit.backends.offline` and by
:class:`toolkit.testing.FakeGeminiServer`.

What it does with a request:

* no input image  -> *generate*: a procedural scene drawn from the prompt (see :mod:`.scene`);
* one input image -> *edit*: classical operations picked from a documented vocabulary (see :mod:`.edits`);
  an instruction it does not understand gives ``finish_reason="NO_IMAGE"`` and a message listing the
  vocabulary;
* two or more     -> *fuse*: the foreground of the later images composited onto the first (see :mod:`.fuse`).

The mark and caption are drawn by :mod:`.marks`, the drawable nouns live in :mod:`.shapes` and the colour,
time-of-day and weather words in :mod:`.palette`. :data:`EDIT_VOCABULARY` lists every edit instruction as
``(trigger phrase, what it does)``.

The modules, by concept:

==================================================  ==========================================================
:mod:`.core`                                        the contract: :func:`render`, sizes, encoding, tokens
:mod:`.plan`                                        the prompt read: subjects, colours, setting, time, weather
:mod:`.scene`                                       the plan drawn: placement, weather, abstract fallback
:mod:`.stage`, :mod:`.paint`                        the set's geometry, sky, sun and moon; painting primitives
:mod:`.outdoors`, :mod:`.indoors`                   landscapes, water, city, space, sea; rooms, tables
:mod:`.shapes`, :mod:`.pen`                         the drawable nouns and the kit they are drawn with
:mod:`.creatures`, :mod:`.nature`, :mod:`.objects`  drawers: animals and figures; sky and land; made things
:mod:`.edits`, :mod:`.operations`                   the edit vocabulary and parser; the operations
:mod:`.fuse`                                        foreground masks and compositing
:mod:`.marks`, :mod:`.palette`                      the visible mark and caption; colours, skies and helpers
==================================================  ==========================================================
"""

from __future__ import annotations

from .core import EDIT_VOCABULARY, SimImage, SimOutput, render

__all__ = ["EDIT_VOCABULARY", "SimImage", "SimOutput", "render"]
