"""The embedded offline image engine ("the simulator").

It stands in for the real models when there is no API key: deterministic, honest about what it is
(every image carries a visible "OFFLINE SIMULATOR" mark) and shaped like the real thing (pixel sizes
from the model's table, the output tokens the real model bills, the MIME type the real model returns).

Public entry point: :func:`render`. It is used by :mod:`toolkit.backends.offline` and by
:class:`toolkit.testing.FakeGeminiServer`.

What it does with a request:

* no input image  -> *generate*: a procedural scene drawn from the prompt (see :mod:`.scene`);
* one input image -> *edit*: classical operations picked from a documented vocabulary (see :mod:`.edits`),
  local edits at a hotspot or region (:mod:`.local`); an instruction it cannot do gives the input back with
  a "NOT SIMULATED" banner, and ``SimOutput.not_simulated`` says what (the offline backend's reason then
  starts with :data:`NOT_SIMULATED_PREFIX`);
* two or more     -> *fuse*: the foreground of the later images composited onto the first (see :mod:`.fuse`).

The mark, caption and banner are drawn by :mod:`.marks`, the drawable nouns live in :mod:`.shapes` (hand-drawn)
and :mod:`.lexicon` (emoji names drawn with OpenMoji's artwork by :mod:`.openmoji`, and stand-ins), the
colour, time-of-day and weather words in :mod:`.palette`. :data:`EDIT_VOCABULARY` lists every edit instruction
as ``(trigger phrase, what it does)``; :func:`simulator_vocabulary` gives the whole vocabulary as a table.
Images drawn with OpenMoji glyphs list :data:`ARTWORK_CREDIT` in ``SimOutput.credits`` (CC BY-SA 4.0).

The modules, by concept:

==================================================  ==========================================================
:mod:`.core`                                        the contract: :func:`render`, sizes, encoding, tokens
:mod:`.plan`                                        the prompt read: subjects, colours, setting, time, weather
:mod:`.scene`                                       the plan drawn: placement, weather, abstract fallback
:mod:`.stage`, :mod:`.paint`                        the set's geometry, sky, sun and moon; painting primitives
:mod:`.outdoors`, :mod:`.indoors`                   landscapes, water, city, space, sea; rooms, tables
:mod:`.shapes`, :mod:`.pen`                         the drawable nouns and the kit they are drawn with
:mod:`.lexicon`, :mod:`.openmoji`                   emoji nouns and stand-ins; the OpenMoji artwork
:mod:`.creatures`, :mod:`.nature`, :mod:`.objects`  drawers: animals and figures; sky and land; made things
:mod:`.edits`, :mod:`.operations`                   the edit vocabulary and parser; the operations
:mod:`.local`                                       local edits at a place: remove (inpaint), recolour
:mod:`.fuse`                                        foreground masks and compositing
:mod:`.marks`, :mod:`.palette`                      the visible mark, caption and banner; colours, skies
:mod:`.vocabulary`                                  :func:`simulator_vocabulary`, the whole vocabulary as a table
==================================================  ==========================================================
"""

from __future__ import annotations

from .core import EDIT_VOCABULARY, NOT_SIMULATED_PREFIX, SimImage, SimOutput, render
from .openmoji import ARTWORK_CREDIT
from .vocabulary import simulator_vocabulary

__all__ = ["ARTWORK_CREDIT", "EDIT_VOCABULARY", "NOT_SIMULATED_PREFIX", "SimImage", "SimOutput", "render",
           "simulator_vocabulary"]
