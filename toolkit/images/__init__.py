"""Load and normalise input images; embed and read provenance metadata.

:func:`load_image` turns anything image-like (a path, bytes, a ``data:`` URL, a PIL image, a numpy array)
into an :class:`InputImage`: encoded bytes the Gemini API accepts (PNG, JPEG or WEBP; see
https://ai.google.dev/gemini-api/docs/image-understanding for the formats the API reads) plus a short
account of what was changed on the way (``notes``). Files that can be sent as they are keep their
original bytes, so the same file always hashes (and caches) the same way; everything else is decoded,
normalised and re-encoded deterministically. Every refusal is an :class:`~toolkit.errors.ImageInputError`
that names the input, the problem and the fix.

:func:`embed_metadata` and :func:`read_metadata` store a small JSON document (prompt, model, seed, ...)
inside PNG and JPEG files at the byte level, without decoding or re-encoding the image;
:func:`strip_metadata` takes it out again, giving back the exact original bytes.

The package, one concept per module:

=====================  ==================================================================================
:mod:`.load`           :func:`load_image`: paths, ``data:`` URLs, PIL images, arrays and earlier outputs
:mod:`.decode`         encoded bytes: the unchanged fast path, or a checked decode (first frame of an
                       animation, HEIC/AVIF through pillow-heif)
:mod:`.normalise`      EXIF rotation, standard modes, downscaling and deterministic encoding
:mod:`.arrays`         numpy arrays: accepted shapes and dtypes, conversion to 8-bit
:mod:`.checks`         where an input came from, and the refusals (too small, too big, not an image, damaged)
:mod:`.sniff`          the format and pixel size from the first bytes alone
:mod:`.containers`     PNG chunks, JPEG segments, WEBP chunks and byte splicing
:mod:`.metadata`       :func:`embed_metadata`, :func:`read_metadata`, :func:`strip_metadata`
:mod:`.input_image`    :class:`InputImage`
=====================  ==================================================================================

Everything other modules use is re-exported here; import it from ``toolkit.images``.
"""

from __future__ import annotations

from .checks import MAX_FILE_BYTES, MAX_PIXELS, MIN_SIDE
from .input_image import InputImage
from .load import DEFAULT_MAX_SIDE, MIN_MAX_SIDE, load_image
from .metadata import METADATA_KEY, embed_metadata, read_metadata, strip_metadata
from .normalise import JPEG_QUALITY
from .sniff import header_size, sniff_mime

__all__ = [
    "DEFAULT_MAX_SIDE",
    "JPEG_QUALITY",
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "METADATA_KEY",
    "MIN_MAX_SIDE",
    "MIN_SIDE",
    "InputImage",
    "embed_metadata",
    "header_size",
    "load_image",
    "read_metadata",
    "sniff_mime",
    "strip_metadata",
]
