"""Google's image-generation quick-start, cell by cell, against FakeGeminiServer through the real google-genai SDK.

The quick-start is the ``Get_Started_Nano_Banana`` notebook of the google-gemini/cookbook repository
(https://github.com/google-gemini/cookbook/blob/main/quickstarts/Get_Started_Nano_Banana.ipynb). Each test
below re-creates one of its API-calling cells in this project's own words: the same SDK calls
(``models.generate_content``, ``chats.create`` / ``send_message``), the same config types and option values
(``response_modalities``, ``ImageConfig(aspect_ratio, image_size)``, ``ThinkingConfig(include_thoughts=True)``,
``tools=[{"google_search": {}}]``, ``SearchTypes`` with image search), PIL images opened from files as inputs,
and the same reading of the reply the notebook's helpers do (every part; ``part.as_image()``; the grounding
``search_entry_point``). The notebook itself is not part of the project. Its pictures, downloaded from the
web there, are drawn locally here.

``MODEL_ID`` is the notebook's default, ``gemini-2.5-flash-image``; its Gemini 3 section runs with each of
the two models it offers. The fake is dated 2026-09-01, before 2.5 Flash Image's shutdown (2026-10-02 in the
registry); :func:`test_after_the_shutdown_the_25_cells_fail_as_on_the_real_api` shows what a later date gives.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import PIL.Image
import PIL.ImageDraw
import pytest
from google import genai
from google.genai import errors, types

from toolkit import registry
from toolkit.testing import FakeGeminiServer

MODEL_ID = "gemini-2.5-flash-image"  # the notebook's default model
GEMINI3_MODELS = ("gemini-3-pro-image", "gemini-3.1-flash-image")  # the choices of its Gemini 3 section
NB2 = "gemini-3.1-flash-image"  # the cells only Nano Banana 2 runs (image search, 512)
RUN_DAY = dt.date(2026, 9, 1)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer(today=RUN_DAY) as server:
        yield server


@pytest.fixture(scope="module")
def client(fake: FakeGeminiServer) -> Iterator[genai.Client]:
    # The notebook builds genai.Client(api_key=...); here the same client is pointed at the loopback fake.
    c = genai.Client(api_key="test", http_options=types.HttpOptions(base_url=fake.url))
    yield c
    c.close()


def _picture(path: Path, size: tuple[int, int], colour: tuple[int, int, int], mark: tuple[int, int, int]) -> Path:
    img = PIL.Image.new("RGB", size, colour)
    w, h = size
    PIL.ImageDraw.Draw(img).ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=mark)
    img.save(path)
    return path


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stand-ins for the pictures the notebook makes or downloads (a cat, a figurine, a portrait, ...)."""
    root = tmp_path_factory.mktemp("cookbook")
    specs = {
        "cat": ((1024, 1024), (200, 180, 150), (90, 70, 50)),
        "figurine": ((1024, 1024), (120, 160, 220), (230, 120, 40)),
        "portrait": ((768, 1024), (230, 220, 210), (160, 110, 90)),
        "old_photo": ((800, 600), (120, 120, 120), (60, 60, 60)),
        "map": ((1280, 720), (210, 230, 200), (200, 30, 30)),
        "landmark": ((1024, 768), (150, 190, 230), (180, 170, 150)),
        "grid": ((1024, 1024), (255, 255, 255), (20, 20, 20)),
    }
    out = {name: _picture(root / f"{name}.png", *spec) for name, spec in specs.items()}
    for i, colour in enumerate([(250, 200, 200), (200, 250, 200), (200, 200, 250), (240, 240, 160),
                                (160, 240, 240), (240, 160, 240)]):
        out[f"item{i}"] = _picture(root / f"item{i}.png", (512, 512), colour, (40, 40, 40))
    out["dir"] = root
    return out


def open_picture(pictures: dict[str, Path], name: str) -> PIL.Image.Image:
    return PIL.Image.open(pictures[name])


def read_reply(resp: types.GenerateContentResponse, *, images: int | None = 1, save: Path | None = None) -> list[str]:
    """Read a reply the way the notebook's display/save helpers do, and check it is a sensible one.

    Walks ``resp.parts`` (skipping thoughts), turns every image part into a picture with ``part.as_image()``
    and saves the last one to ``save``; reads the grounding entry point when there is one. ``images`` is how
    many final images the cell must show (None: at least one). Returns the texts shown.
    """
    assert resp.candidates and resp.parts, f"an empty reply: {resp.candidates}"
    texts: list[str] = []
    shown: list[PIL.Image.Image] = []
    for part in resp.parts:
        if part.thought:
            continue
        if part.text:
            texts.append(part.text)
        elif (image := part.as_image()) is not None:
            assert image.image_bytes is not None and image.mime_type in ("image/png", "image/jpeg")
            shown.append(PIL.Image.open(io.BytesIO(image.image_bytes)))
            if save is not None:
                image.save(str(save))
    if images is None:
        assert shown, "the cell shows no image"
    else:
        assert len(shown) == images
    meta = resp.candidates[0].grounding_metadata
    if meta is not None and meta.search_entry_point is not None:
        assert "<" in (meta.search_entry_point.rendered_content or "")
    return texts


# --------------------------------------------------------------------------------------------------
# Generate, edit, aspect ratio, several images (MODEL_ID)
# --------------------------------------------------------------------------------------------------


def test_cell_generate_an_image(client, pictures):
    config = types.GenerateContentConfig(response_modalities=["Text", "Image"])
    resp = client.models.generate_content(
        model=MODEL_ID, contents="A photorealistic siamese cat with one green and one blue eye", config=config)
    texts = read_reply(resp, save=pictures["dir"] / "generated_cat.png")
    assert texts and PIL.Image.open(pictures["dir"] / "generated_cat.png").size == (1024, 1024)


def test_cell_edit_an_image(client, pictures):
    resp = client.models.generate_content(
        model=MODEL_ID,
        contents=["Show that cat from the side in a tropical forest at night, eating a banana",
                  open_picture(pictures, "cat")])
    read_reply(resp, save=pictures["dir"] / "cat_tropical.png")


def test_cell_control_the_aspect_ratio(client, pictures):
    config = types.GenerateContentConfig(response_modalities=["Image"],
                                         image_config=types.ImageConfig(aspect_ratio="16:9"))
    resp = client.models.generate_content(
        model=MODEL_ID, contents=["Put the cat in a fancy restaurant", open_picture(pictures, "cat")], config=config)
    read_reply(resp)
    assert resp.parts[0].as_image() is not None  # image-only: no text part first
    shown = PIL.Image.open(io.BytesIO(resp.parts[0].inline_data.data))
    assert shown.size == registry.lookup(MODEL_ID).pixel_size("16:9")


def test_cell_several_images_in_one_reply(client):
    resp = client.models.generate_content(model=MODEL_ID, contents="Show me how to make a fruit tart, with images")
    texts = read_reply(resp, images=None)
    kinds = ["image" if p.inline_data else "text" for p in resp.parts]
    assert kinds.count("image") > 1 and kinds[0] == "text" and len(texts) == kinds.count("image")
    story = client.models.generate_content(
        model=MODEL_ID, contents="Tell a 6 part story with 6 images about two blue robots who start a band")
    assert len([p for p in story.parts if p.inline_data]) == 6


# --------------------------------------------------------------------------------------------------
# Chat mode (MODEL_ID): one chat, a message per cell
# --------------------------------------------------------------------------------------------------


def test_cells_chat_mode(client, pictures):
    chat = client.chats.create(model=MODEL_ID)
    first = chat.send_message("Make a plastic toy fox figurine in a child's bedroom, with accessories but no weapon")
    read_reply(first, save=pictures["dir"] / "figurine_chat.png")
    for follow_up in ("Put a small blue planet on its helmet, adding a helmet if needed",
                      "Now move the figurine to a beach",
                      "Make it base-jump from a spaceship in a wingsuit",
                      "Have it grill a barbecue, wearing an apron",
                      "How about relaxing in a spa?"):
        read_reply(chat.send_message(follow_up))
    wide = chat.send_message("Take it back to the bedroom", config=types.GenerateContentConfig(
        image_config=types.ImageConfig(aspect_ratio="16:9")))
    read_reply(wide)
    assert PIL.Image.open(io.BytesIO(wide.parts[-1].inline_data.data)).size == (1344, 768)
    assert len(chat.get_history()) == 14  # seven user turns, seven model turns


def test_cell_mix_several_pictures(client, pictures):
    # The saved run of this kind of cell on 2.5 Flash Image shows a 1152x896 (5:4) picture at image_size 1K.
    config = types.GenerateContentConfig(response_modalities=["Text", "Image"],
                                         image_config=types.ImageConfig(aspect_ratio="5:4", image_size="1K"))
    resp = client.models.generate_content(
        model=MODEL_ID, config=config,
        contents=["Show the figurine riding the cat through a fantasy land",
                  open_picture(pictures, "cat"), open_picture(pictures, "figurine")])
    read_reply(resp)
    image = next(p for p in resp.parts if p.inline_data)
    assert PIL.Image.open(io.BytesIO(image.inline_data.data)).size == (1152, 896)


# --------------------------------------------------------------------------------------------------
# The Gemini 3 section (GEMINI3_MODEL_ID: each of the two models it offers)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cell_thinking_with_thoughts_shown(client, model):
    config = types.GenerateContentConfig(
        response_modalities=["Text", "Image"], image_config=types.ImageConfig(aspect_ratio="16:9"),
        thinking_config=types.ThinkingConfig(include_thoughts=True))
    resp = client.models.generate_content(model=model, contents="An odd but believable photo that could go viral",
                                          config=config)
    read_reply(resp)
    thoughts = [p for p in resp.parts if p.thought]
    assert any(p.text for p in thoughts) and any(p.as_image() for p in thoughts)  # the thought image
    assert all(p.thought_signature for p in resp.parts if not p.thought and p.inline_data)


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cell_search_grounding(client, model):
    config = types.GenerateContentConfig(
        response_modalities=["Text", "Image"], image_config=types.ImageConfig(aspect_ratio="16:9"),
        tools=[{"google_search": {}}])
    resp = client.models.generate_content(
        model=model, contents="Chart the weather forecast for the next five days in Kyoto", config=config)
    read_reply(resp)
    meta = resp.candidates[0].grounding_metadata
    assert meta.web_search_queries and meta.grounding_chunks and meta.search_entry_point.rendered_content


def test_cell_image_search_grounding(client):
    search = types.GoogleSearch(search_types=types.SearchTypes(web_search=types.WebSearch(),
                                                               image_search=types.ImageSearch()))
    config = types.GenerateContentConfig(response_modalities=["IMAGE"], tools=[types.Tool(google_search=search)])
    resp = client.models.generate_content(
        model=NB2, contents="A detailed painting of a rare butterfly species resting on a flower", config=config)
    read_reply(resp)
    meta = resp.candidates[0].grounding_metadata
    assert meta.image_search_queries and any(c.image for c in meta.grounding_chunks)


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cell_4k_output(client, model):
    config = types.GenerateContentConfig(response_modalities=["Text", "Image"],
                                         image_config=types.ImageConfig(aspect_ratio="1:1", image_size="4K"))
    resp = client.models.generate_content(model=model, contents="An oak tree through all four seasons at once",
                                          config=config)
    read_reply(resp)
    image = next(p for p in resp.parts if p.inline_data and not p.thought)
    assert PIL.Image.open(io.BytesIO(image.inline_data.data)).size == registry.lookup(model).pixel_size("1:1", "4K")


def test_cell_512_output(client):
    config = types.GenerateContentConfig(response_modalities=["IMAGE"],
                                         image_config=types.ImageConfig(image_size="512px"))
    resp = client.models.generate_content(model=NB2, contents="A friendly robot in pixel art", config=config)
    read_reply(resp)
    image = resp.parts[0].as_image()
    assert PIL.Image.open(io.BytesIO(image.image_bytes)).size == registry.lookup(NB2).pixel_size("1:1", "512")


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cells_multilingual_chat(fake, client, pictures, model):
    chat = client.chats.create(model=model, config=types.GenerateContentConfig(
        response_modalities=["Text", "Image"], tools=[{"google_search": {}}]))
    first = chat.send_message("Draw an infographic explaining photosynthesis to 11-year-olds, in Spanish",
                              config=types.GenerateContentConfig(image_config=types.ImageConfig(aspect_ratio="16:9")))
    read_reply(first, save=pictures["dir"] / f"infographic_es_{model}.png")
    second = chat.send_message("Translate the infographic into Japanese and keep everything else",
                               config=types.GenerateContentConfig(image_config=types.ImageConfig(image_size="2K")))
    read_reply(second, save=pictures["dir"] / f"infographic_jp_{model}.png")
    # A per-message config replaces the chat's (google-genai does not merge them), so neither turn sent the
    # chat's search tool: both answers come back ungrounded, as they would from the real API.
    assert not any("tools" in call.json for call in fake.calls[-2:])
    assert first.candidates[0].grounding_metadata is None is second.candidates[0].grounding_metadata


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cell_many_reference_images(client, pictures, model):
    config = types.GenerateContentConfig(response_modalities=["Text", "Image"],
                                         image_config=types.ImageConfig(aspect_ratio="5:4", image_size="1K"))
    items = [open_picture(pictures, f"item{i}") for i in range(6)]
    resp = client.models.generate_content(
        model=model, contents=["Stage a product photo shoot with all of these toys", *items], config=config)
    read_reply(resp)


# --------------------------------------------------------------------------------------------------
# The examples section
# --------------------------------------------------------------------------------------------------

_EDIT_EXAMPLES = [
    ("portrait", "Make a photo of this person as if they lived in the 1980s: clothes, hair and mood of the time"),
    ("portrait", "Turn the character in this picture into a 1/7 scale collectible figurine on a desk, "
                 "next to its packaging box"),
    ("portrait", "Turn this face into a pop-art sticker with thick outlines, halftone dots and a speech bubble"),
    ("old_photo", "Restore this photo from 1932 and colorize it"),
    ("map", "What would we see standing at the red arrow?"),
    ("landmark", "Make this landmark an isometric miniature, building only, like a theme-park game"),
]


@pytest.mark.parametrize(("picture", "prompt"), _EDIT_EXAMPLES, ids=[p[:24] for _, p in _EDIT_EXAMPLES])
def test_cell_edit_examples(client, pictures, picture, prompt):
    resp = client.models.generate_content(model=MODEL_ID, contents=[prompt, open_picture(pictures, picture)])
    texts = read_reply(resp)
    assert texts  # what the offline drawing did (or could not do) is said in words too


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cell_grounded_pixel_art(client, model):
    config = types.GenerateContentConfig(image_config=types.ImageConfig(aspect_ratio="16:9"),
                                         tools=[{"google_search": {}}])
    resp = client.models.generate_content(
        model=model, config=config,
        contents=["Search the web, then draw the career of a famous astronomer as isometric pixel art"])
    read_reply(resp)
    assert resp.candidates[0].grounding_metadata.web_search_queries


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cell_text_heavy_infographic(client, model):
    resp = client.models.generate_content(
        model=model, contents="An infographic on how haikus work, with a haiku about pears and a long analysis")
    read_reply(resp)


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cell_meme_remakes_in_a_chat(client, model):
    chat = client.chats.create(model=model, config=types.GenerateContentConfig(
        image_config=types.ImageConfig(aspect_ratio="16:9"), tools=[{"google_search": {}}]))
    for message in ("Remake the famous calm-dog-in-a-burning-room meme in papier-mache",
                    "Now rebuild it with plain toy bricks", "And as a crochet piece?"):
        read_reply(chat.send_message(message))


@pytest.mark.parametrize("model", GEMINI3_MODELS)
def test_cell_sprite_sheet(client, pictures, model):
    config = types.GenerateContentConfig(image_config=types.ImageConfig(aspect_ratio="1:1"))
    resp = client.models.generate_content(
        model=model, config=config,
        contents=["A 3x3 sprite sheet of a jumping cat, frame by frame, following the reference grid exactly",
                  open_picture(pictures, "grid")])
    sheet = pictures["dir"] / f"sprites_{model}.png"
    read_reply(resp, save=sheet)
    # the notebook's next cell (no API call) cuts the sheet into nine frames and saves a GIF
    image = PIL.Image.open(sheet)
    w, h = (image.size[0] - 2) // 3, (image.size[1] - 2) // 3
    frames = [image.crop((c * (w + 1), r * (h + 1), c * (w + 1) + w, r * (h + 1) + h))
              for r in range(3) for c in range(3)]
    frames[0].save(pictures["dir"] / f"sprites_{model}.gif", save_all=True, append_images=frames[1:], duration=200)
    assert PIL.Image.open(pictures["dir"] / f"sprites_{model}.gif").n_frames == 9


# --------------------------------------------------------------------------------------------------
# After 2.5 Flash Image's shutdown
# --------------------------------------------------------------------------------------------------


def test_after_the_shutdown_the_25_cells_fail_as_on_the_real_api():
    info = registry.lookup(MODEL_ID)
    assert info.shutdown is not None
    with FakeGeminiServer(today=info.shutdown) as later:
        c = genai.Client(api_key="test", http_options=types.HttpOptions(base_url=later.url))
        with pytest.raises(errors.ClientError) as err:
            c.models.generate_content(model=MODEL_ID, contents="a cat")
        assert err.value.code == 404 and f"models/{MODEL_ID} is not found" in err.value.message
        read_reply(c.models.generate_content(model=info.successor or NB2, contents="a cat"))  # the successor works
        c.close()
