"""Image helpers: thumbnails, JPEG/PNG bytes, fitting, strokes (toolkit/widgets/logic/images.py)."""

from __future__ import annotations

from PIL import Image

from toolkit.widgets.logic import images


def test_thumbnail_jpeg_png_and_fit_into():
    big = Image.new("RGBA", (1000, 400), (255, 0, 0, 255))
    t = images.thumbnail(big, 100)
    assert t.size == (100, 40) and t.mode == "RGB" and big.size == (1000, 400)
    assert images.jpeg_bytes(t)[:2] == b"\xff\xd8" and images.png_bytes(t)[:4] == b"\x89PNG"
    out, at = images.fit_into(Image.new("RGB", (50, 100), "red"), (200, 100))
    assert out.size == (200, 100) and at == (75, 0)
    assert out.getpixel((100, 50)) == (255, 0, 0) and out.getpixel((5, 50)) == (255, 255, 255)


def test_draw_stroke_round_caps_and_dots():
    im = Image.new("RGB", (40, 40), "white")
    images.draw_stroke(im, [(10, 20), (30, 20)], "#ff0000", 6)
    assert im.getpixel((20, 20)) == (255, 0, 0) and im.getpixel((8, 20)) == (255, 0, 0)  # the cap goes past the end
    assert im.getpixel((20, 30)) == (255, 255, 255)
    images.draw_stroke(im, [(5, 5)], "#0000ff", 4)
    assert im.getpixel((5, 5)) == (0, 0, 255)
    images.draw_stroke(im, [], "#000000", 4)  # nothing to draw is fine
