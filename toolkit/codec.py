"""The stored-part codec: one JSON form for a conversation part, used by the cache, batch jobs and chats.

A text part is ``{"text": ..., "thought": bool, "sig": base64?}``; an image part is stored by reference,
``{"image": {"sha256", "mime", "path", "size"}, "thought": ..., "sig": ...}``, its bytes in the home's
content-addressed image store (written as received, without metadata, if not there yet). Loading checks every
image against its recorded hash, so a damaged file is never trusted.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from .images import strip_metadata
from .request import ImagePart, Part, TextPart
from .store import Store


class PartCodec:
    """Encode parts for storage in ``store`` and load them back."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def image_ref(self, part: ImagePart, size: int | None = None) -> dict[str, Any]:
        """``{"sha256", "mime", "path", "size"}`` of an image part; without ``size`` its bytes are stored as
        received first (if this process has not stored or checked them already)."""
        if size is None:
            path = self.store.known_image(part.sha256, part.mime) or self.store.put_image(part.sha256, part.mime,
                                                                                           part.data)
            size = path.stat().st_size
        return {"sha256": part.sha256, "mime": part.mime, "path": self.store.image_relpath(part.sha256, part.mime),
                "size": size}

    def dump(self, part: Part, image_ref: dict[str, Any] | None = None) -> dict[str, Any]:
        """A part as stored JSON: its text, or its image by reference (stored as received if not yet)."""
        d: dict[str, Any] = {"thought": part.thought}
        if part.thought_signature:
            d["sig"] = base64.b64encode(part.thought_signature).decode()
        if isinstance(part, TextPart):
            d["text"] = part.text
        else:
            d["image"] = image_ref if image_ref is not None else self.image_ref(part)
        return d

    def load(self, d: dict[str, Any], *, missing_ok: bool = False,
             known: Mapping[str, ImagePart] | None = None) -> Part:
        """The inverse of :meth:`dump`; a missing or damaged image raises ``OSError`` unless ``missing_ok``
        (then the part keeps only its hash and MIME, which is all a cache key needs).

        ``known``: images already loaded and checked, by sha256; an image part among them shares their bytes
        rather than reading and hashing the file again (a replayed answer's model turn and its outputs)."""
        sig = base64.b64decode(d["sig"]) if d.get("sig") else None
        thought = bool(d.get("thought"))
        if "text" in d:
            return TextPart(d["text"], thought=thought, thought_signature=sig)
        same = known.get(d["image"].get("sha256", "")) if known and isinstance(d.get("image"), dict) else None
        if same is not None and same.mime == d["image"].get("mime"):
            return ImagePart(same.data, same.mime, same.sha256, thought=thought, thought_signature=sig)
        try:
            return self.load_image(d["image"], thought=thought, thought_signature=sig)
        except (OSError, KeyError, ValueError):
            if not missing_ok:
                raise
            ref = d["image"]
            return ImagePart(b"", ref["mime"], ref["sha256"], thought=thought, thought_signature=sig)

    def load_image(self, ref: dict[str, Any], **kw: Any) -> ImagePart:
        """The stored image ``ref`` as an ImagePart, checked against its hash (``OSError`` if damaged)."""
        data = strip_metadata(self.store.read_image(ref["sha256"], ref["mime"]), ref["mime"])
        part = ImagePart.from_bytes(data, ref["mime"], **kw)
        if part.sha256 != ref["sha256"]:
            self.store.distrust(ref["sha256"])
            raise OSError(f"stored image {ref['sha256'][:12]}... does not match its recorded hash")
        return part
