"""Result: every image, the interleaving of text and images, thoughts and grounding in the displays."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from toolkit.request import ImagePart, TextPart, Turn
from toolkit.result import OutputImage, Result, combine, grounding_html


def _png(colour: str, size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def _result(parts, **kw) -> Result:
    finals = [p for p in parts if isinstance(p, ImagePart) and not p.thought]
    outputs = [OutputImage(p.data, p.mime, p.sha256) for p in finals]
    text = "".join(p.text for p in parts if isinstance(p, TextPart) and not p.thought)
    return Result(status="ok", model="m", backend="gemini", text=text, outputs=outputs,
                  model_turn=Turn("model", tuple(parts)), **kw)


def _img(colour: str, *, thought: bool = False) -> ImagePart:
    return ImagePart.from_bytes(_png(colour), "image/png", thought=thought)


def test_interleaving_thoughts_and_images_are_kept_apart():
    r = _result([TextPart("planning <the> cake", thought=True), _img("gray", thought=True),
                 TextPart("Step 1: mix & whisk"), _img("red"), TextPart("Step 2: bake"), _img("blue")])
    assert len(r.images) == 2 and r.image.getpixel((0, 0)) == (255, 0, 0)
    kinds = [x if isinstance(x, str) else x.getpixel((0, 0)) for x in r.interleaved]
    assert kinds == ["Step 1: mix & whisk", (255, 0, 0), "Step 2: bake", (0, 0, 255)]
    assert r.thoughts == "planning <the> cake" and [im.getpixel((0, 0)) for im in r.thought_images] == [
        (128, 128, 128)]
    page = r._repr_html_()
    assert page.index("Step 1: mix &amp; whisk") < page.index("Step 2: bake")
    assert "<details" in page and "<details open" not in page and "planning &lt;the&gt; cake" in page
    assert page.count("<img") == 3  # two answers, one interim thumbnail inside <details>
    assert r.to_dict()["thoughts"] == "planning <the> cake" and r.to_dict()["n_thought_images"] == 1


def test_without_a_model_turn_the_text_then_the_images():
    data = _png("green")
    r = Result(status="ok", model="m", backend="openrouter", text="hi",
               outputs=[OutputImage(data, "image/png", hashlib.sha256(data).hexdigest())])
    assert [x if isinstance(x, str) else "image" for x in r.interleaved] == ["hi", "image"]
    assert r.thoughts == "" and r.thought_images == [] and "<details" not in r._repr_html_()


def test_combined_results_gather_every_request_s_thoughts():
    a = _result([TextPart("first thought", thought=True), _img("red")])
    b = _result([TextPart("second thought", thought=True), _img("blue")])
    both = combine([a, b], [], 0.1)
    assert both.thoughts == "first thought\n\nsecond thought" and len(both.images) == 2


def test_grounding_is_shown_as_escaped_links_and_a_sandboxed_entry_point():
    g = {"web_search_queries": ["cats & <dogs>"], "image_search_queries": [], "queries": 1,
         "sources": [{"kind": "web", "title": "<i>site</i>", "uri": "https://example.org/a?b=1&c=2"},
                     {"kind": "web", "title": "bad", "uri": "javascript:alert(1)"},
                     {"kind": "image", "title": "pic", "uri": "data:text/html,<script>x</script>"}],
         "search_entry_point": "<div onclick='x()'>chip</div>"}
    page = grounding_html(g)
    assert "cats &amp; &lt;dogs&gt;" in page and "&lt;i&gt;site&lt;/i&gt;" in page
    assert 'href="https://example.org/a?b=1&amp;c=2"' in page
    assert page.count("<a ") == 1  # only the http(s) source is a link
    assert "<div onclick" not in page and 'sandbox=""' in page and "srcdoc=\"&lt;div onclick=" in page
    r = _result([_img("red")], grounding=g)
    assert page in r._repr_html_() and "grounding_queries=1" in repr(r)
    assert grounding_html(None) == ""
