# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Editing with words
#
# Give the model a photo and a sentence ("blur the background", "remove the tripod") and it returns the
# edited photo. There is no mask and no layer: the words say what to change, and the model keeps the rest.
# This notebook shows:
#
# 1. **Local edits** on real photos: blur the background, colourise, remove an object, change a pose and
#    remove a stain (drawn onto a photo here with PIL).
# 2. **Hotspot edits**: click a point and edit only there.
# 3. **Multi-turn editing** in a chat, with undo.
# 4. **Before/after views** to judge an edit.
#
# **Offline?** Without an API key the answers come from the toolkit's **offline simulator**. It applies
# classical image operations (blur, colourise, sepia, add an object...) for a documented vocabulary of
# instructions, and stamps each output `OFFLINE SIMULATOR`. Removing something works offline when the
# instruction says *where* (a clicked point or a region): the simulator finds the thing there by its colour
# and fills the hole from its surroundings (classical inpainting). What it cannot do at all, such as changing
# a pose, comes back as your image with a red **NOT SIMULATED** banner, and `r.reason` starts with
# `"not simulated:"`, so you can always tell. With a key the same cells call Google's model, which does all
# of them.

# %% [markdown]
# ## Setup
#
# The Studio reads `GEMINI_API_KEY` (or `GOOGLE_API_KEY`) from the environment. To paste a key for this
# session only, run this *before* the next cell. The key is never printed, stored in the ledger or written
# into image files:
#
# ```python
# import getpass, os
# os.environ["GEMINI_API_KEY"] = getpass.getpass("Gemini API key: ")
# ```

# %%
# %matplotlib inline
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFilter

import toolkit as tk
from toolkit.metrics import edit_locality
from toolkit.simulator import NOT_SIMULATED_PREFIX, simulator_vocabulary
from toolkit.widgets.logic.edits import edit_prompt

studio = tk.Studio()
studio

# %% [markdown]
# Every edit below asks for `image_size="512"`. The sample photos are only 300 to 600 pixels across, so
# a bigger output would add no detail. It also keeps the offline run fast and, with a key, is the
# cheapest size (747 output tokens instead of 1120 at 1K).

# %%
SIZE = "512"
SOURCE = "offline simulator" if studio.backend.kind == "offline" else studio.model.id


def thumb(img, side=512):
    small = img.copy()
    small.thumbnail((side, side))
    return small


def at(instruction, image, xy):
    """``instruction`` aimed at pixel ``xy`` of ``image``, in the words the Editor app adds for a click."""
    return edit_prompt(instruction, xy, image.size)


def not_simulated(result):
    """True when the offline simulator returned the image marked NOT SIMULATED (it could not do the edit)."""
    return (result.reason or "").startswith(NOT_SIMULATED_PREFIX)


def show_panel(ax, item, title):
    """Draw a PIL image or a Result on ``ax``; a Result without an image shows its status and reason."""
    ax.axis("off")
    img = item.image if isinstance(item, tk.Result) else item
    if img is not None:
        ax.imshow(thumb(img).convert("RGB"))  # RGB, so grayscale photos are not false-coloured
    else:
        why = (item.reason or "no reason given").split(":")[0]
        said = textwrap.fill(item.text, 48, max_lines=6, placeholder=" …") if item.text else ""
        ax.text(0.5, 0.5, f"status = {item.status!r} ({why})\n\n{said}", ha="center", va="center",
                fontsize=8.5, color="#6b5400", transform=ax.transAxes)
    ax.set_title(title, fontsize=9)


def before_after(before, after, title="", labels=("before", "after")):
    """Side-by-side figure: the input and the edited Result (or any two images)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
    show_panel(axes[0], before, labels[0])
    caption = labels[1]
    if isinstance(after, tk.Result):
        caption += f" · {after.status} · ${after.list_cost_usd:.3f} list · {after.latency_s:.2f} s · {SOURCE}"
    show_panel(axes[1], after, caption)
    fig.suptitle(title, fontsize=10)
    plt.show()


def strip(items, titles, title=""):
    """A row of images, e.g. the turns of a chat."""
    fig, axes = plt.subplots(1, len(items), figsize=(3.2 * len(items), 2.9), squeeze=False, layout="constrained")
    for ax, item, t in zip(axes[0], items, titles, strict=True):
        show_panel(ax, item, t)
    fig.suptitle(title, fontsize=10)
    plt.show()


# %% [markdown]
# ## How to prompt this
#
# Google's prompting guide, in short, for edits:
#
# - **Name the thing to change, and say the rest stays.** "Change only the mug's colour to teal; keep
#   everything else exactly as it is." The description of the element *is* the mask, so make it
#   unambiguous: "the cup on the left", "the man's scarf".
# - **Say how the change should fit in.** When you add or remove something, ask for the original light,
#   shadows and perspective, and say what should fill the gap ("fill it with the grass behind it").
# - **Describe what should be there, not only what shouldn't.** "A clean, bare wooden table" gives the
#   model a target; "no stain" only names the problem.
# - **Style changes: keep the composition.** "Turn this photo into a watercolour painting; keep the
#   composition and the cat's pose."
# - **One change at a time, in a conversation.** Chatting is the recommended way to refine an image:
#   "good, now make the light warmer". Each turn builds on the last, and you can step back (see the chat
#   section below).
# - **The output generally keeps the input's shape**; pass `aspect_ratio=` when you want another one.
#
# Fill-in skeletons in that spirit:
#
# | job | skeleton |
# |---|---|
# | add / remove | `Using this photo of {subject}, {add / remove} {element}. Make the change blend in: {light, shadows, what fills the gap}.` |
# | change one element | `In this photo, change only {element} to {new version}. Keep everything else exactly the same: style, light, framing.` |
# | restyle | `Turn this photo of {subject} into {style}. Keep the composition, and render it with {brushwork, palette, texture}.` |

# %% [markdown]
# ## The inputs
#
# Three sample photos that ship with the toolkit (no download), and a fourth made here: the coffee photo
# with a coffee spill drawn onto the table with PIL, for the "remove a stain" edit.

# %%
cat, camera, astronaut, coffee = (tk.sample(n) for n in ("cat", "camera", "astronaut", "coffee"))


def draw_stain(photo, centre, radius, seed=3):
    """A coffee stain: an irregular translucent brown blot with a darker dried rim and a few drops."""
    rng = np.random.default_rng(seed)
    mask = Image.new("L", photo.size, 0)
    d = ImageDraw.Draw(mask)
    cx, cy = centre
    for a in np.linspace(0, 2 * np.pi, 8, endpoint=False):  # blobs around a circle: a wobbly outline
        r = radius * rng.uniform(0.55, 0.7)
        x, y = cx + radius * 0.35 * np.cos(a), cy + radius * 0.35 * np.sin(a)
        d.ellipse((x - r, y - r, x + r, y + r), fill=255)
    for _ in range(3):  # splashes
        a = rng.uniform(0, 2 * np.pi)
        r, s = radius * rng.uniform(1.15, 1.4), radius * rng.uniform(0.06, 0.12)
        x, y = cx + r * np.cos(a), cy + r * np.sin(a)
        d.ellipse((x - s, y - s, x + s, y + s), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(1.5))
    rim = mask.filter(ImageFilter.FIND_EDGES).filter(ImageFilter.GaussianBlur(1.2))
    alpha = (np.asarray(mask, dtype=np.float32) / 255 * 0.55 + np.asarray(rim, dtype=np.float32) / 255 * 0.9)
    tint = np.array([120, 70, 35], dtype=np.float32) / 255  # multiplied in, so the wood grain shows through
    img = np.asarray(photo.convert("RGB"), dtype=np.float32)
    out = img * (1 - np.clip(alpha, 0, 1)[..., None] * (1 - tint))
    return Image.fromarray(out.clip(0, 255).astype(np.uint8))


stained = draw_stain(coffee, centre=(535, 95), radius=42)
strip([cat, camera, astronaut, stained], ["cat", "camera (grayscale)", "astronaut", "coffee + drawn stain"],
      "Inputs: tk.sample(...) photos, and one drawn on with PIL")

# %% [markdown]
# ## Local edits
#
# The five edits from the issue, each written with the advice above: what to change, and what to keep. The
# two removals also say *where*, in the words the Editor app (at the end of this notebook) adds when you click
# the image: the point on the tripod's leg and the middle of the stain. A real model finds the tripod from
# the words alone; the point makes it unambiguous for any backend.

# %%
local_edits = {
    "blur the background": (cat, "Blur the background like a portrait lens, keeping the cat's face sharp."),
    "colourise": (camera, "Colourise this black and white photo with natural, realistic tones."),
    "remove an object": (camera, at("Remove the tripod and the camera on it, and fill that area with the lawn "
                                    "behind them. Keep the man exactly as he is", camera, (294, 400))),
    "change pose": (astronaut, "Change her pose so that she waves at the viewer with her right hand. Keep her "
                               "face, hair and suit exactly the same."),
    "remove a stain": (stained, at("Remove the brown coffee stain from the wooden table, so the bare wood shows "
                                   "as it does around it. Keep everything else exactly the same", stained, (535, 95))),
}
edited = {name: studio.edit(img, instruction, image_size=SIZE) for name, (img, instruction) in local_edits.items()}

pd.DataFrame([{"edit": name, "status": r.status, "simulated": not not_simulated(r), "reply": r.text}
              for name, r in edited.items()])

# %%
for name, r in edited.items():
    before_after(local_edits[name][0], r, f"{name}: {local_edits[name][1]}")

# %% [markdown]
# **What happened offline.** Blurring the background and colourising are in the simulator's vocabulary.
# The blur keeps a soft ellipse in the middle sharp, because the simulator cannot find the subject; it assumes
# the subject is centred. The colouring is a tone ramp with a guess at sky, not real colour knowledge.
#
# The two removals are classical inpainting at the given point: the simulator finds the thing there by how
# it differs from its surroundings (the stain from the wood, the thin tripod legs from the lawn), and fills
# it from the pixels around it. It has no idea what a tripod is, so a thin part it did not connect to the
# point can survive, and the fill is smooth rather than real grass. A real model redraws the lawn.
#
# Changing a pose needs a model that understands the picture. The simulator does not pretend: it returns
# your image with a red **NOT SIMULATED** banner, `r.reason` says so, and `r.text` is one sentence:

# %%
for name in ("remove an object", "change pose", "remove a stain"):
    r = edited[name]
    print(f"{name}: status={r.status!r}, simulated={not not_simulated(r)}")
    print("  reason:", r.reason)
    print("  text:  ", r.text, "\n")

# %% [markdown]
# A marked answer is still a Result with an image, so a loop over many edits keeps going, and a study can
# filter those cells out with `r.reason.startswith("not simulated:")`. With a key, Google's model does all
# five edits. The offline vocabulary is below (`simulator_vocabulary()` also lists the drawable nouns).
# Instructions can combine several entries ("black and white with a vignette").

# %%
pd.DataFrame(simulator_vocabulary(nouns=False))

# %%
combo = studio.edit(astronaut, "Make it black and white with film grain and a vignette", image_size=SIZE)
before_after(astronaut, combo, combo.text)

# %% [markdown]
# ## Hotspot edits: change only where you click
#
# Sometimes the words cannot point precisely enough: *which* of five faces, *this* patch of wall. A hotspot
# is a point on the image. Two ways to use it:
#
# - **Tell the model where.** Put the position in the prompt ("around pixel (220, 95) of the image, which
#   is the woman's face") and ask for a local change. The model sees the whole picture, so the edit fits
#   its surroundings. Nothing but the model's care guarantees that the rest is untouched.
# - **Crop, edit, paste back.** Cut a square around the point, edit just that square, and blend it back in
#   with a soft round mask. Pixels outside the mask cannot change, and the model is sent a small image.
#   The cost is context: the model sees only the crop.
#
# The helper below does the second, which works the same on any backend. The `Editor` app at the end of
# the notebook does the first, with clicking. Because the edited square is pasted into the original, the `OFFLINE SIMULATOR`
# mark in the crop's corner is left outside the mask; the figure titles say where the pixels came from.

# %%
def hotspot_edit(image, xy, instruction, radius=60):
    """Edit a disc of ``radius`` pixels around ``xy`` only. Returns (composite image, Result)."""
    image = image.convert("RGB")
    side = round(radius * 2.5)  # a margin of context around the disc
    x0 = int(min(max(xy[0] - side / 2, 0), max(image.width - side, 0)))
    y0 = int(min(max(xy[1] - side / 2, 0), max(image.height - side, 0)))
    box = (x0, y0, min(x0 + side, image.width), min(y0 + side, image.height))
    crop = image.crop(box)
    r = studio.edit(crop, instruction, aspect_ratio="1:1", image_size=SIZE)
    if not r.ok:
        return image, r
    patch = r.image.convert("RGB").resize(crop.size, Image.Resampling.LANCZOS)
    mask = Image.new("L", crop.size, 0)
    cx, cy = xy[0] - x0, xy[1] - y0
    core = radius * 0.75  # the soft edge below fades out by ``radius``: nothing changes outside the disc
    ImageDraw.Draw(mask).ellipse((cx - core, cy - core, cx + core, cy + core), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(radius * 0.08))
    out = image.copy()
    out.paste(patch, box[:2], mask)
    return out, r


def region(image, xy, radius):
    """The hotspot's bounding box as fractions of the frame (for edit_locality)."""
    w, h = image.size
    return ((xy[0] - radius) / w, (xy[1] - radius) / h, (xy[0] + radius) / w, (xy[1] + radius) / h)


def marked(image, xy, radius):
    """The input with the hotspot drawn on it."""
    out = image.convert("RGB")
    d = ImageDraw.Draw(out)
    d.ellipse((xy[0] - radius, xy[1] - radius, xy[0] + radius, xy[1] + radius), outline=(255, 210, 0), width=3)
    d.ellipse((xy[0] - 4, xy[1] - 4, xy[0] + 4, xy[1] + 4), fill=(255, 210, 0))
    return out


# %% [markdown]
# Two hotspots: turn just the cup in the coffee photo into a pencil sketch, and only the cat's nose and
# mouth into a cartoon. For each, the figure shows the click, the result, and the same instruction
# applied to the whole image, for comparison.

# %%
hotspots = [
    (coffee, (300, 130), 110, "Turn this area into a pencil sketch."),
    (cat, (265, 200), 80, "Turn this area into a cartoon."),
]
rows = []
for image, xy, radius, instruction in hotspots:
    local, r_local = hotspot_edit(image, xy, instruction, radius)
    whole = studio.edit(image, instruction, image_size=SIZE)
    box = region(image, xy, radius)
    loc_local = edit_locality(image, local, box)
    loc_whole = edit_locality(image, whole.image.resize(image.size), box)
    rows.append({"instruction": instruction, "hotspot": xy, "radius": radius,
                 "area share of the box": round((box[2] - box[0]) * (box[3] - box[1]), 3),
                 "locality, hotspot edit": round(loc_local, 3), "locality, whole-image edit": round(loc_whole, 3)})
    strip([marked(image, xy, radius), local, whole],
          ["the click", f"hotspot edit ({SOURCE}, pasted into the original)", f"whole image ({SOURCE})"],
          instruction)
pd.DataFrame(rows)

# %% [markdown]
# `edit_locality` is the share of all the change in brightness that falls inside the hotspot's box. It
# ignores the simulator's `OFFLINE SIMULATOR` mark and differences of a few grey levels (the resizing and JPEG
# of a model's round trip), so an untouched pixel counts as unchanged. The hotspot edits score 1.0, because
# nothing outside the disc can change. The whole-image edits score roughly the box's share of the frame, more
# or less depending on where the picture changed most. The metric measures pixel change only. It does not
# say whether the change was the one you asked for.

# %% [markdown]
# ## Multi-turn editing, with undo
#
# A chat keeps the conversation: each message edits the *latest* image, and the whole history is sent
# back to the model, so it knows what "now" and "instead" refer to. `chat.undo()` forgets the last
# exchange: the next message continues from the image before it.

# %%
chat = studio.chat()
chat.send("Make it warmer, like late afternoon light.", images=[cat], image_size=SIZE)
chat.send("Now add a hat.", image_size=SIZE)
chat.send("Turn it into a watercolour painting.", image_size=SIZE)
before_undo = [ex.result for ex in chat.history]
strip([cat, *before_undo], ["original", *[f"{i}. {ex.prompt}" for i, ex in enumerate(chat.history, 1)]],
      f"Three turns ({SOURCE})")

# %%
dropped = chat.undo()
print("undone:", repr(dropped.prompt), "| turns left:", len(chat))
sketch = chat.send("Make it a pencil sketch instead.", image_size=SIZE)
strip([cat, *[ex.result for ex in chat.history]],
      ["original", *[f"{i}. {ex.prompt}" for i, ex in enumerate(chat.history, 1)]],
      f"After undo: the sketch starts from the hat, not from the painting ({SOURCE})")

# %% [markdown]
# The chat displays as its history, each turn with its caption:

# %%
chat

# %% [markdown]
# Undo is also how to recover from a turn that went wrong. A real model may refuse, answer in words or ask a
# question; offline, "remove the whiskers" says no *where*, so the simulator sends the sketch back marked
# NOT SIMULATED. Either way that answer is part of the conversation and would be sent back with the next
# message. Undo drops it, so the next message starts cleanly from the sketch:

# %%
r = chat.send("Remove the whiskers.", image_size=SIZE)
print(f"status={r.status!r}, turns={len(chat)}, reason={r.reason!r}")
if not r.ok or not_simulated(r):
    chat.undo()  # drop the answer that did not do the edit
    print(f"after undo: turns={len(chat)}; the chat continues from the sketch:", chat.image is sketch.image)

# %% [markdown]
# ### Stateful chats on the Interactions API
#
# With a Gemini key, `studio.chat()` runs on Google's **Interactions API**: the server keeps the
# conversation (`store=True`), and each follow-up sends only its own text plus `previous_interaction_id`,
# instead of every earlier image and its thought signature (hundreds of KB per turn on 3.1 Flash Image).
# Offline there is no server to keep state, so the chat above replays its history locally.
#
# To show the stateful flow with no key, the next cells point a Studio at `tk.FakeGeminiServer`, a
# loopback stand-in for the Gemini API that ships with the toolkit (its images come from the simulator,
# and it costs nothing). We count the bytes each turn uploads, then expire the server's copy of the
# conversation, as Google does after 1 day on the free tier or 55 days on a paid one. The chat notices,
# restarts from its last saved image, says so, and carries on.

# %%
import tempfile

from IPython.display import display

with tk.FakeGeminiServer() as server:
    stateful = tk.Studio(backend="gemini", api_key="demo-not-a-real-key", base_url=server.base_url,
                         home=tempfile.mkdtemp())
    talk = stateful.chat()
    print("chat path:", talk.api)
    sent = []
    for prompt, imgs in [("Make it warmer, like late afternoon light.", [cat]), ("Now add a hat.", None),
                         ("Turn it into a watercolour painting.", None)]:
        before = server.interactions.bytes_received
        talk.send(prompt, images=imgs, image_size=SIZE)
        sent.append((prompt, server.interactions.bytes_received - before, talk.interaction_id))
    for prompt, nbytes, iid in sent:
        print(f"{nbytes:>9,} bytes uploaded  {prompt!r}  -> interaction {iid}")

    server.interactions.expire()  # the server forgets every stored conversation
    after = talk.send("Make it a pencil sketch instead.", image_size=SIZE)
    print("\nafter expiry:", after.status, "|", after.reason)
    print("local record of the turns:")
    display(talk.record()[["turn", "prompt", "interaction_id", "restarted", "status"]])

# %% [markdown]
# ## Before and after
#
# Side by side is good for the overall look. A **split view** (left half before, right half after) puts
# the two versions edge to edge. A **difference map** (where the pixels changed) shows whether an edit
# stayed where it should.

# %%
def split_view(before, after):
    """Left half ``before``, right half ``after`` (resized to match), with a divider line."""
    before = before.convert("RGB")
    after = after.convert("RGB").resize(before.size, Image.Resampling.LANCZOS)
    out = before.copy()
    half = before.width // 2
    out.paste(after.crop((half, 0, before.width, before.height)), (half, 0))
    ImageDraw.Draw(out).line([(half, 0), (half, before.height)], fill="white", width=3)
    return out


def difference(before, after):
    """Per-pixel change (0 = unchanged), as a grayscale array."""
    a = np.asarray(before.convert("L"), dtype=np.float32)
    b = np.asarray(after.convert("L").resize(before.size), dtype=np.float32)
    return np.abs(a - b)


colourised = edited["colourise"]
hat_before, hat_after = chat.history[0].result.image, chat.history[1].result.image
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
show_panel(axes[0], split_view(camera, colourised.image), f"colourise, split: before | after ({SOURCE})")
show_panel(axes[1], hat_after, f"chat turn 2, 'Now add a hat.' ({SOURCE})")
axes[2].imshow(difference(hat_before, hat_after), cmap="magma")
axes[2].set_title("difference between turns 1 and 2: bright = changed", fontsize=9)
axes[2].axis("off")
plt.show()

# %% [markdown]
# The difference map shows that turn 2 changed only the hat's pixels: the edit was local, and the rest of the
# picture came through untouched. (For a global edit such as colourising, compare colour rather than
# brightness: colourising keeps each pixel's brightness, so its grayscale difference is close to zero.)

# %% [markdown]
# ## Try it: the Editor
#
# Type an instruction or press a preset to edit the image; each edit starts from the previous one, and
# **Undo**/**Redo** step through them, with the original (or the previous step) shown beside the current
# image. Click the image to aim the next edit at a point: the Editor takes the first hotspot approach
# above, adding the point to your instruction in words, in pixels and as fractions of the frame.

# %%
from toolkit.widgets import Editor

editor = Editor(studio, image=tk.sample("cat"), image_size=SIZE)
editor

# %% [markdown]
# The app can also be driven from code, which is how this notebook's offline run checks it: a click on the
# cat's nose, then an instruction.

# %%
print("the click adds:", editor.click_at(265, 235))
aimed = editor.apply("Turn this area into a cartoon")
print("sent:", aimed.prompt)
before_after(marked(editor.original, (265, 235), 14), aimed, "Editor: a click on the nose, then 'Turn this area into a cartoon'")

# %% [markdown]
# Offline, the whole picture turned into a cartoon: for a change of style the simulator ignores the point. A
# real model uses the words to find the spot. When the rest of the image must stay exactly as it was, on any
# backend, use the crop-and-paste `hotspot_edit` above.
#
# Removing and recolouring do use the click offline. A click on the stain, then "Remove this stain":

# %%
cleaner = Editor(studio, image=stained, image_size=SIZE)
cleaner.click_at(535, 95)
removed = cleaner.apply("Remove this stain")
print("sent:", removed.prompt)
before_after(marked(stained, (535, 95), 14), removed, "Editor: a click on the stain, then 'Remove this stain'")
print("locality of the change, in a box around the stain:",
      round(edit_locality(stained, removed.image, region(stained, (535, 95), 60)), 3))

# %% [markdown]
# Undo works as in the chat:

# %%
editor.undo_button.click()
print("after undo:", len(editor.history), "edits; the current image is the original:",
      editor.current is editor.original)

# %% [markdown]
# ## What this notebook cost

# %%
print(studio.session_ledger.cost_report())
