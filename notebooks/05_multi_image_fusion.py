# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Multi-image fusion
#
# Give the model several images and one sentence that says how to combine them: "put the horse from image
# 2 into the meadow of image 1", "cover the walls of this room with that wallpaper", "stand this can on
# that table". `studio.fuse(images, prompt)` sends them in one request. Three jobs:
#
# 1. **An object into a scene**: a horse (a sample image) into a generated meadow.
# 2. **Restyling a room with a texture**: a wallpaper tile drawn with PIL, applied to a generated room.
# 3. **Product placement**: a drink can with a label drawn with PIL, placed into a real photo, and the
#    same shot in three ad formats.
#
# **Offline?** Without an API key the images come from the toolkit's **offline simulator**, stamped
# `OFFLINE SIMULATOR`. Its fusion is simple compositing. It finds the subject of each later image (by its
# transparency, or by its background colour, or else a soft centred ellipse). It scales the subject to
# about half the scene's height and stands it near the bottom, left or right of centre. It nudges the
# subject's colours towards the scene and adds a soft shadow. It does not understand "on the table" or "the
# walls", and it cannot re-light, re-draw or wrap a texture around a surface. A real model does those
# things. The offline pictures show the inputs, the request and the cost, not the quality of a real fusion.

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
import matplotlib.pyplot as plt
from PIL import Image, ImageDraw, ImageFont

import toolkit as tk

studio = tk.Studio()
studio

# %% [markdown]
# The calls ask for `image_size="512"`: enough to see a composition, fast offline, and with a key the
# cheapest size (747 output tokens per image instead of 1120 at 1K). Re-run a good composition at 1K or
# larger.

# %%
SIZE = "512"
SOURCE = "offline simulator" if studio.backend.kind == "offline" else studio.model.id


def show_fusion(inputs, result, names, title=""):
    """The input images (numbered as the model sees them), then the fused Result."""
    fig, axes = plt.subplots(1, len(inputs) + 1, figsize=(3.4 * (len(inputs) + 1.6), 3.2), layout="constrained",
                             gridspec_kw={"width_ratios": [1] * len(inputs) + [1.6]})
    for i, (ax, img, name) in enumerate(zip(axes[:-1], inputs, names, strict=True), 1):
        ax.imshow(img.convert("RGB"))
        ax.set_title(f"image {i}: {name}", fontsize=9)
        ax.axis("off")
    ax = axes[-1]
    ax.axis("off")
    if result.image is not None:
        w, h = result.image.size
        ax.imshow(result.image)
        ax.set_title(f"→ fused · {result.model} · {w}×{h} · ${result.list_cost_usd:.3f} list · {SOURCE}",
                     fontsize=9)
    else:
        ax.text(0.5, 0.5, f"{result.status}: {result.reason}", ha="center", va="center", wrap=True,
                transform=ax.transAxes)
    fig.suptitle(title, fontsize=10)
    plt.show()


# %% [markdown]
# ## How to prompt this
#
# What Google's prompting guide suggests when combining images:
#
# - **Refer to each image by its number and its role**: "the horse from image 2", "the room in image 1".
#   The images are numbered in the order you pass them.
# - **Say which element goes where**, then **describe the finished picture** as one scene, not as an
#   operation on files.
# - **Ask for a real fit**: the scene's light direction and colour, matching shadows and reflections, the
#   right perspective and scale.
# - **Protect what must not change**, and describe it in detail: a product's label text, a logo, a face.
#   "Keep the can's label exactly as in image 2: the words NANO SODA in white and yellow on a blue band."
# - **Set the output shape yourself** with `aspect_ratio=`. With several inputs the model otherwise picks a
#   shape; Google's 2025 prompting post says it tends to follow the last image.
# - **Mind the input limits.** 2.5 Flash Image works best with up to 3 images; the 3.x models take up
#   to 14. The toolkit checks this before sending (see the table below).
#
# Skeletons:
#
# | job | skeleton |
# |---|---|
# | combine | `Take {element} from image 2 and place it {where} in image 1. The result should look like {final scene}, with {light, shadows, scale}.` |
# | keep details | `Place {element from image 2} onto {element of image 1}. Keep {the features that matter} exactly unchanged. {How it should blend in}.` |
# | restyle | `Restyle {surface} in image 1 with {material or pattern} from image 2, following its shape and perspective; keep {everything else}.` |

# %%
tk.models_table()[["model", "nickname", "max_input_images", "shutdown"]]

# %% [markdown]
# ## 1 · An object into a scene
#
# The horse is a sample image (a black silhouette on white). The meadow is generated first, so we know
# exactly what the scene looked like before the horse arrived.

# %%
horse = tk.sample("horse").convert("RGB")  # the file's white background is semi-transparent: flatten it
meadow = studio.generate("A wide green meadow at golden hour, with rolling hills and a few trees",
                         aspect_ratio="16:9", image_size=SIZE).image
horse_in_meadow = studio.fuse(
    [meadow, horse],
    "Take the horse from image 2 and place it in the meadow of image 1, grazing in the foreground. The result "
    "should look like one photograph: the horse lit by the same low golden sun, with a long soft shadow on "
    "the grass, and at a believable scale next to the trees.",
    aspect_ratio="16:9", image_size=SIZE,
)
show_fusion([meadow, horse], horse_in_meadow, ["the scene", "the object"], "Object into scene")

# %%
print(horse_in_meadow.text)
horse_in_meadow

# %% [markdown]
# Offline, the silhouette is cut out by its white background and pasted, so it stays a flat black
# silhouette. A real model would turn it into a horse lit by the evening sun, or keep it a silhouette if
# you asked for that.

# %% [markdown]
# ## 2 · Restyling a room with a texture
#
# A wallpaper tile drawn with PIL: gold diamonds on deep teal. The room is generated.

# %%
def draw_tile(size=256, ground=(20, 83, 90), gold=(222, 176, 74), repeats=4):
    """A seamless wallpaper tile: outlined diamonds with a dot in each, on a plain ground."""
    tile = Image.new("RGB", (size, size), ground)
    d = ImageDraw.Draw(tile)
    c = size / repeats
    for i in range(repeats):
        for j in range(repeats):
            x, y = (i + 0.5) * c, (j + 0.5) * c
            d.polygon([(x, y - 0.42 * c), (x + 0.42 * c, y), (x, y + 0.42 * c), (x - 0.42 * c, y)],
                      outline=gold, width=3)
            d.ellipse((x - 0.1 * c, y - 0.1 * c, x + 0.1 * c, y + 0.1 * c), fill=gold)
    return tile


tile = draw_tile()
room = studio.generate("A bright, empty living room with a window and a framed picture on the wall",
                       aspect_ratio="4:3", image_size=SIZE).image
restyled = studio.fuse(
    [room, tile],
    "Restyle the room in image 1: cover its walls with the wallpaper pattern from image 2, repeating it at a "
    "natural scale and following the walls' perspective. Keep the window, the picture, the floor and the "
    "light exactly as they are.",
    aspect_ratio="4:3", image_size=SIZE,
)
show_fusion([room, tile], restyled, ["the room", "the texture"], "Restyle a room with a texture")

# %% [markdown]
# This is where the offline simulator is furthest from the real thing. It can only paste, so it finds the
# pattern's "subject" (the gold diamonds, keyed out from the teal ground) and stands it in the room like a
# cut-out. Papering the walls needs a model that knows which pixels are walls and how they recede. That is
# the real model's job, and the prompt above is written for it: the surface, the scale, the perspective,
# and everything that must stay.

# %% [markdown]
# ## 3 · Product placement
#
# A drinks can with a label, drawn with PIL on a white background (which makes it easy to cut out). The
# label's text is the part a brand cares about most, so the prompt describes it and asks for it unchanged.

# %%
YELLOW, BLUE, INK = (250, 204, 21), (30, 64, 175), (33, 33, 33)


def draw_can(width=360, height=520):
    """A yellow can with a blue label band reading NANO SODA, on white (drawn at 2x, then scaled down)."""
    s = 2
    img = Image.new("RGB", (width * s, height * s), "white")
    d = ImageDraw.Draw(img)
    x0, x1, y0, y1 = 70 * s, (width - 70) * s, 40 * s, (height - 30) * s
    mid = (y0 + y1) // 2
    d.rounded_rectangle((x0, y0, x1, y1), radius=30 * s, fill=YELLOW, outline=INK, width=3 * s)
    for y in (y0 + 20 * s, y1 - 36 * s):  # the rims
        d.rectangle((x0 + 4 * s, y, x1 - 4 * s, y + 16 * s), fill=(200, 200, 200))
    d.rectangle((x0 + 3 * s, mid - 60 * s, x1 - 3 * s, mid + 60 * s), fill=BLUE)  # the label band
    font = ImageFont.load_default(size=44 * s)
    d.text(((x0 + x1) // 2, mid - 22 * s), "NANO", font=font, fill="white", anchor="mm")
    d.text(((x0 + x1) // 2, mid + 26 * s), "SODA", font=font, fill=YELLOW, anchor="mm")
    d.rounded_rectangle((x0 + 18 * s, y0 + 50 * s, x0 + 30 * s, y1 - 50 * s), radius=6 * s, fill=(255, 240, 150))
    return img.resize((width, height), Image.Resampling.LANCZOS)


can = draw_can()
table = tk.sample("coffee")
PLACE_CAN = ("Place the soda can from image 2 on the wooden table in image 1, standing just to the right of the "
             "saucer. Keep the can's label exactly as in image 2: the words NANO in white and SODA in yellow on "
             "a blue band around a yellow can. Match the lighting of the photo, with a soft shadow on the wood.")
placed = studio.fuse([table, can], PLACE_CAN, image_size=SIZE)
show_fusion([table, can], placed, ["the photo", "the product"], "Product placement into a real photo")

# %% [markdown]
# Offline, the can lands where the simulator's placement rule puts it (beside the centre, near the
# bottom), here on the rim of the saucer. A real model follows "just to the right of the saucer", and sets
# the can down at the table's angle.
#
# With no `aspect_ratio`, the output followed the photo's shape (3:2). A campaign usually needs several
# formats. Ask for each one explicitly: the same request in three shapes, a square post, a portrait story
# and a wide banner.

# %%
formats = {"square post": "1:1", "story": "9:16", "banner": "21:9"}
shots = {name: studio.fuse([table, can], PLACE_CAN, aspect_ratio=ar, image_size=SIZE) for name, ar in formats.items()}
fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained", gridspec_kw={"width_ratios": [1, 0.56, 2.3]})
for ax, (name, r) in zip(axes, shots.items(), strict=True):
    ax.imshow(r.image)
    ax.set_title(f"{name} · {r.model}\n{formats[name]} · {SIZE} · {r.image.size[0]}×{r.image.size[1]} · "
                 f"${r.list_cost_usd:.3f} list", fontsize=9)
    ax.axis("off")
fig.suptitle(f"One placement, three formats ({SOURCE})", fontsize=10)
plt.show()

# %% [markdown]
# Offline, the photo is centre-cropped to each shape before the can is pasted in, so the banner loses the
# top and bottom of the photo and the story loses its sides. A real model recomposes the scene for each shape, extending the table sideways
# for the banner. That is why asking for each format beats cropping one image afterwards. Check the label in
# every output: models occasionally re-letter text, and the Pro model holds exact text best.

# %% [markdown]
# ## Try it: the FusionBoard
#
# The first image is the scene, the others are objects. Choose where the object goes (a named place or x/y
# sliders) and how big it should be. The board writes the prompt for you, shows a quick local mock-up of the
# placement, and fuses with the Studio above. The **Extra** box adds your own words to the prompt.

# %%
from toolkit.widgets import FusionBoard

board = FusionBoard(studio, images=[table, can], image_size=SIZE)
board

# %% [markdown]
# Driven from code (this is what the offline run checks): move the can to the right, read the prompt the
# board derived, then click **Fuse**.

# %%
board.position.value = "bottom right"
board.extra.value = "Keep the label text exactly as it is."
print(board.derived_prompt.value)
board.fuse_button.click()
board.result

# %% [markdown]
# Offline, the position and scale reach the simulator only as words, which it does not act on; it places
# the can by its own rule, as above. A real model reads "bottom right" and the scale from the prompt.

# %% [markdown]
# ## What this notebook cost

# %%
print(studio.session_ledger.cost_report())
