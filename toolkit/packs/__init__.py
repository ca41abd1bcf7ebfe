"""Replay packs: hand a room exactly the results an instructor recorded.

A pack is one zip file, and holds nothing else than::

    manifest.json      format, version, created, backends, models (calls per model), entries, images,
                       what the calls cost originally (money spent and list price), the selection used
    cache.jsonl        one cached answer per line: {"key", "backend", "model", "created", "entry"}
    images/ab/<sha>... the image files the entries refer to (as stored in the home)

It holds cached answers and images only: no ledger, no session ids, never a key (keys are never stored in
the first place; a test searches every byte of a pack for the one used to record it).

``Studio(replay="workshop.pack")`` (or ``TOOLKIT_REPLAY``) merges the pack into the Studio's home and makes
cache keys as if the recording backend were active, so every recorded request replays exactly as recorded,
at $0, with no network. A request that is not in the pack falls through to the configured backend (the
offline simulator when there is no key; its answers are labelled with that backend and never cached under
the pack's keys), or, with ``replay_strict=True``, returns ``status="no_image"`` saying it is not in the pack.

**Packs cross machines, so every byte of one is treated as hostile.** Importing checks, before writing anything:

- the file is a regular file (not a directory, FIFO or device) and a zip within the limits of :mod:`.safety`,
  checked from the zip's directory before anything is inflated; every member is then read with a hard byte cap;
- the manifest's fields and types; the members' names (only the three kinds above);
- every line of ``cache.jsonl`` (streamed, never read whole): its request key, backend and model, and its
  entry against the one cache-entry schema (:func:`toolkit.records.check_cache_entry`); every image path must
  be exactly the store's own for that hash and a known image MIME type (:meth:`toolkit.store.Store.image_relpath`);
- every image: its header is a real image of its MIME type (read by Pillow without decoding pixels) and the
  sha256 of its bytes, metadata chunk stripped, is its name.

Then the images are written (content-addressed, so they can never land elsewhere or replace another image) and
every new answer in one transaction, tagged with the pack's provenance (``cache.source``, see
:attr:`Manifest.source`): all or nothing. A refusal is a :class:`~toolkit.errors.ConfigError` naming the pack
and the bad member or line. Exports read images only at the store's own paths inside the home (resolved and
checked against their hash), and the pack is created readable by its owner only (0600 on POSIX).

=====================  ==================================================================================
:mod:`.manifest`       :class:`Manifest`, its checks, :func:`read_manifest`
:mod:`.safety`         the limits (module constants, read at each call); reading a pack safely; the image check
:mod:`.export`         :func:`export_pack`
:mod:`.merge`          :func:`import_pack`: check everything, then write all or nothing
=====================  ==================================================================================
"""

from __future__ import annotations

from .export import export_pack
from .manifest import FORMAT, VERSION, Manifest, read_manifest
from .merge import import_pack

__all__ = [
    "FORMAT",
    "VERSION",
    "Manifest",
    "export_pack",
    "import_pack",
    "read_manifest",
]
