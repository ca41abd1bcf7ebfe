"""The bad-input zoo, end to end through the Studio.

Each refused kind raises a ToolkitError whose message names the problem and the fix, before anything
is sent or recorded. Kinds that can be handled sensibly (animated GIF, CMYK, 16-bit, palette with
transparency, EXIF rotation) are accepted, converted, and produce an image.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import toolkit as tk
from toolkit.images.checks import MAX_FILE_BYTES


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _huge_png_header(w: int, h: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")


@pytest.fixture()
def files(tmp_path):
    cat = tk.sample("cat").convert("RGB")
    f = {}
    f["empty"] = tmp_path / "empty.png"
    f["empty"].write_bytes(b"")
    good = _png(cat)
    f["truncated"] = tmp_path / "truncated.png"
    f["truncated"].write_bytes(good[: len(good) // 2])
    f["text"] = tmp_path / "notes.png"
    f["text"].write_text("hello world, not an image")
    f["heic"] = tmp_path / "photo.heic"
    f["heic"].write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    f["tiny"] = tmp_path / "tiny.png"
    Image.new("RGB", (1, 1)).save(f["tiny"])
    f["huge"] = tmp_path / "huge.png"
    f["huge"].write_bytes(_huge_png_header(20000, 20000))
    frames = [Image.new("P", (64, 64), i * 40) for i in range(3)]
    f["gif"] = tmp_path / "anim.gif"
    frames[0].save(f["gif"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    f["cmyk"] = tmp_path / "cmyk.jpg"
    cat.convert("CMYK").save(f["cmyk"], "JPEG")
    f["16bit"] = tmp_path / "deep.png"
    Image.fromarray(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16).save(f["16bit"])
    pal = Image.new("P", (64, 64), 1)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    f["palette"] = tmp_path / "palette.png"
    pal.save(f["palette"], transparency=0)
    exif = Image.Exif()
    exif[0x0112] = 6
    f["exif"] = tmp_path / "rotated.jpg"
    cat.save(f["exif"], "JPEG", exif=exif)
    f["oversized"] = tmp_path / "oversized.png"
    with open(f["oversized"], "wb") as out:
        out.write(good[:1024])  # starts like a real PNG
        out.truncate(MAX_FILE_BYTES + 1)
    return f


def _memory_capped(call):
    """Run ``call`` with the address space capped 1 GB above its current size (Linux), so that reading an endless
    device without a limit fails with MemoryError instead of exhausting the machine's memory."""
    try:
        import resource

        size = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError, ValueError):
        return call()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (size + (1 << 30), hard))
    try:
        return call()
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


REFUSED = [
    # (kind, call, error type, words that name the problem, words that name the fix)
    ("missing file", lambda s, f: s.edit("/nope/cat.png", "sepia"), tk.ImageInputError, "cat.png", "path"),
    ("empty file", lambda s, f: s.edit(f["empty"], "sepia"), tk.ImageInputError, "empty", "empty.png"),
    ("truncated PNG", lambda s, f: s.edit(f["truncated"], "sepia"), tk.ImageInputError, "truncated.png", ""),
    ("text file named .png", lambda s, f: s.edit(f["text"], "sepia"), tk.ImageInputError, "not an image", "notes.png"),
    ("HEIC without support", lambda s, f: s.edit(f["heic"], "sepia"), tk.ImageInputError, "HEIC", "pillow-heif"),
    ("1x1 image", lambda s, f: s.edit(f["tiny"], "sepia"), tk.ImageInputError, "1x1", "8"),
    ("20000x20000 image", lambda s, f: s.edit(f["huge"], "sepia"), tk.ImageInputError, "20000x20000", ""),
    ("too many input images", lambda s, f: s.fuse([tk.sample("cat")] * 15, "combine"), tk.OptionError,
     "15 input images", "fewer"),
    ("empty prompt", lambda s, f: s.generate("   "), tk.InputError, "empty", "Describe"),
    ("huge prompt", lambda s, f: s.generate("word " * 30_000), tk.InputError, "characters", "Shorten"),
    ("unknown aspect ratio", lambda s, f: s.generate("a", aspect_ratio="17:9"), tk.OptionError, "17:9", "Use one of"),
    ("lowercase 1k", lambda s, f: s.generate("a", image_size="1k"), tk.OptionError, "'1k'", "uppercase K"),
    ("image_size without sizes", lambda s, f: s.generate("a", image_size="3K", model="gemini-2.5-flash-image"),
     tk.OptionError, "no image_size", "Leave image_size unset"),
    ("negative n", lambda s, f: s.generate("a", n=-1), tk.OptionError, "n=-1", "from 1 to"),
    ("non-image object", lambda s, f: s.edit(object(), "sepia"), tk.ImageInputError, "object", ""),
    ("http URL", lambda s, f: s.edit("https://example.com/cat.png", "sepia"), tk.ImageInputError, "URL", "download"),
    # never read: an endless device, or a file over the size limit (sparse: nothing is written to disk)
    ("/dev/zero", lambda s, f: _memory_capped(lambda: s.edit("/dev/zero", "sepia")), tk.ImageInputError,
     "character device", "regular file"),
    ("file over the size limit", lambda s, f: s.edit(f["oversized"], "sepia"), tk.ImageInputError, "100 MB",
     "Re-export"),
    ("model id with ..", lambda s, f: s.generate("a", model="../../x"), tk.OptionError, "not a model id", "models_table"),
    ("model id with /", lambda s, f: s.generate("a", model="models/x/y"), tk.OptionError, "'models/x/y'",
     "gemini-3.1-flash-image"),
]


@pytest.mark.filterwarnings("ignore::toolkit.ModelShutdownWarning")
@pytest.mark.parametrize(("kind", "call", "error", "problem", "fix"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_problem_and_fix(studio, files, kind, call, error, problem, fix):
    with pytest.raises(error) as info:
        call(studio, files)
    text = str(info.value)
    assert problem.lower() in text.lower(), text
    assert fix.lower() in text.lower(), text
    assert len(studio.ledger) == 0  # nothing sent, nothing recorded


ACCEPTED = ["gif", "cmyk", "16bit", "palette", "exif"]


@pytest.mark.parametrize("kind", ACCEPTED)
def test_convertible_inputs_are_accepted(studio, files, kind):
    r = studio.edit(files[kind], "make it black and white")
    assert r.status == "ok"
    sent = Image.open(io.BytesIO(r.request.input_images[0].data))
    assert sent.mode in ("RGB", "RGBA", "L")
    if kind == "exif":
        assert sent.size == (300, 451)  # rotated upright before sending


def test_configuration_mistakes(home, tmp_path):
    cases = [
        (lambda: tk.Studio(backend="banana", home=home), "Unknown backend", "Use one of"),
        (lambda: tk.Studio(backend="gemini", api_key="k-123456789", base_url="not a url", home=home),
         "not a usable URL", "scheme and a host"),
        (lambda: tk.Studio(backend="gemini", home=home), "needs an API key", "GEMINI_API_KEY"),
        (lambda: tk.Studio(home=home, budget_usd=-1), "budget_usd=-1", "non-negative"),
    ]
    for make, problem, fix in cases:
        with pytest.raises(tk.ConfigError) as info:
            make()
        assert problem in str(info.value) and fix in str(info.value)


def test_corrupted_ledger_and_unwritable_home(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "ledger.sqlite").write_bytes(b"garbage" * 500)
    with pytest.raises(tk.ConfigError, match="Move it aside"):
        tk.Studio(backend="offline", home=bad)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(tk.ConfigError, match="TOOLKIT_HOME"):
        tk.Studio(backend="offline", home=blocker / "home")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(studio, tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    done = threading.Event()

    def unblock() -> None:
        # If the call is still waiting after 5 s it opened the pipe and hangs: write something so it returns (and
        # the test fails on the message) instead of hanging the test run.
        if not done.wait(5):
            with contextlib.suppress(OSError):
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                os.write(fd, b"not an image at all")
                os.close(fd)

    watchdog = threading.Thread(target=unblock, daemon=True)
    watchdog.start()
    try:
        with pytest.raises(tk.ImageInputError) as info:
            studio.edit(fifo, "sepia")
    finally:
        done.set()
        watchdog.join()
    text = str(info.value)
    assert "named pipe" in text and "regular file" in text and "pipe.png" in text, text
    assert len(studio.ledger) == 0


def test_a_damaged_rate_limit_file_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "ratelimit.sqlite").write_bytes(b"garbage" * 500)
    with pytest.raises(tk.ConfigError) as info:
        tk.Studio(backend="offline", home=home)
    assert "ratelimit.sqlite" in str(info.value) and "Delete" in str(info.value)
