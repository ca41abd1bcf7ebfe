"""Tests for toolkit.images.containers: PNG chunks, JPEG segments, WEBP chunks and byte splicing."""

from __future__ import annotations

import struct

from image_helpers import encode, jpeg_bytes, png_bytes, png_chunk
from PIL import Image

from toolkit.images.containers import jpeg_segments, png_chunks, png_scan, splice, webp_is_lossless


def test_png_chunks_walks_whole_chunks_and_stops_at_a_cut():
    data = png_bytes()
    types = [data[start + 4 : start + 8] for _, start, _ in png_chunks(data)]
    assert types[0] == b"IHDR" and types[-1] == b"IEND" and b"IDAT" in types
    assert [t for t, _, _ in png_chunks(data)] == types
    ends = [end for _, _, end in png_chunks(data)]
    assert ends[-1] == len(data)
    cut = [t for t, _, _ in png_chunks(data[:-6])]  # IEND incomplete
    assert cut == types[:-1]


def test_png_scan_reads_depth_completeness_crcs_and_animation():
    data = png_bytes()
    scan = png_scan(data)
    assert (scan.bit_depth, scan.animated, scan.complete, scan.crc_ok, scan.exif) == (8, False, True, True, None)
    assert png_scan(data[:-12]).complete is False
    broken = bytearray(data)
    broken[-5] ^= 0xFF  # IEND's CRC
    assert png_scan(bytes(broken)).crc_ok is False
    frames = [Image.new("RGB", (16, 16), c) for c in [(9, 9, 9), (200, 0, 0)]]
    assert png_scan(encode(frames[0], "PNG", save_all=True, append_images=frames[1:])).animated is True
    exif = b"MM\0*\0\0\0\x08\0\0"
    with_exif = data[:33] + png_chunk(b"eXIf", exif) + data[33:]
    assert png_scan(with_exif).exif == exif


def test_jpeg_segments_stop_at_the_start_of_scan():
    data = jpeg_bytes()
    segments = list(jpeg_segments(data))
    markers = [m for m, _, _ in segments]
    assert markers[0] == 0xE0 and markers[-1] == 0xDA  # JFIF APP0 first, SOS last
    for marker, start, end in segments:
        assert data[start] == 0xFF and data[start + 1] == marker
        assert end - start == 2 + struct.unpack_from(">H", data, start + 2)[0]


def test_splice_cuts_and_inserts_in_one_pass():
    data = b"0123456789"
    assert splice(data, [(2, 4), (6, 7)], 5, b"ab") == b"014ab5789"
    assert splice(data, [(2, 4)], None, b"ignored") == b"01456789"
    assert splice(data, [], 0, b"x") == b"x0123456789"
    assert splice(data, [], 10, b"x") == b"0123456789x"


def test_webp_is_lossless():
    im = Image.new("RGB", (16, 16), (10, 200, 30))
    assert webp_is_lossless(encode(im, "WEBP", lossless=True)) is True
    assert webp_is_lossless(encode(im, "WEBP", quality=80)) is False
