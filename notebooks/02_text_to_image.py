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
# # 02 · Text to image
#
# The simplest thing the Gemini image models do: you write a paragraph, they paint it. This notebook
# covers three things:
#
# 1. **How to write the prompt.** Six fill-in templates for common jobs: a photorealistic scene, a sticker
#    or stylised illustration, a design with exact text in it, a product shot, a minimalist layout with
#    empty space, and sequential art (a comic strip).
# 2. **Shape and size.** `aspect_ratio` and `image_size`, and how they differ between the models. This is
#    where the money goes: a bigger image bills more output tokens.
# 3. **An interactive playground** to try your own prompts.
#
# **Offline?** Without an API key every image below is drawn by the toolkit's **offline simulator**. It
# recognises a few dozen nouns and settings in the prompt, draws a simple procedural scene, writes your
# prompt underneath and stamps the corner `OFFLINE SIMULATOR`. It cannot render photographs, styles or
# typography, but it does honour the real models' pixel sizes and reports the tokens and list price the
# real model would bill. With a key the same cells call Google's model.

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
#
# Without a key the Studio picks the offline simulator, and every cell still runs.

# %%
# %matplotlib inline
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image

import toolkit as tk

studio = tk.Studio()
studio


# %% [markdown]
# A small helper to lay out several results as one matplotlib figure. It accepts Results or PIL images,
# shows a status box for a call that returned no image, and shrinks everything to a thumbnail first
# (a 4K image is 16 megapixels; the figure does not need them).

# %%
def thumb(img, side=512):
    """A copy of ``img`` no larger than ``side`` pixels on its long edge."""
    small = img.copy()
    small.thumbnail((side, side))
    return small


def show_grid(items, titles, ncols=3, cell=(4.0, 3.2), suptitle=None):
    """Show Results / PIL images (or None for an empty cell) in a grid, one title each."""
    nrows = -(-len(items) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell[0] * ncols, cell[1] * nrows), squeeze=False,
                             layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, item, title in zip(axes.flat, items, titles, strict=False):
        img = item.image if isinstance(item, tk.Result) else item
        if img is not None:
            ax.imshow(thumb(img))
        elif isinstance(item, tk.Result):
            ax.text(0.5, 0.5, f"{item.status}\n(no image)", ha="center", va="center", fontsize=10,
                    color="#8a6d00", transform=ax.transAxes, wrap=True)
        else:
            ax.text(0.5, 0.5, "not offered", ha="center", va="center", color="#999", transform=ax.transAxes)
        ax.set_title(title, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    plt.show()


def label(r, model=True):
    """Title for one Result: model, aspect ratio, image_size, pixels and list price."""
    w, h = r.image.size
    opts = r.request.options
    line = f"{opts.aspect_ratio or '1:1'} · {opts.image_size or 'fixed'} · {w}×{h} · ${r.list_cost_usd:.3f} list"
    return f"{r.model}\n{line}" if model else line


# %% [markdown]
# ## How to prompt this
#
# What Google's prompting guide recommends, in short:
#
# - **Write a scene, not a tag list.** These models understand language well, so a sentence that says
#   who is where, doing what, in what light, beats `cat, restaurant, 4k, masterpiece`.
# - **Be concrete.** "A tabby kitten with one white paw" gives the model something to draw; "a cute
#   cat" leaves it to guess.
# - **Say what the image is for.** "A hero image for a minimalist tea brand's website" tells the model
#   about tone, layout and how polished it should look.
# - **Speak like a photographer** when you want a photo: shot type (close-up, wide), lens (85 mm
#   portrait, macro), angle (low, overhead) and light (golden hour, softbox).
# - **Describe what should be there, not what shouldn't.** "An empty, quiet street at dawn" works better
#   than "a street, no cars, no people": naming the cars tends to summon them.
# - **Quote text exactly** and describe the lettering ("the words 'OPEN LATE' in bold condensed
#   capitals"). For text-heavy work the guide points to the Pro model, and suggests settling the wording
#   first and then asking for the design.
# - **Iterate.** Change one thing per attempt, or continue in a chat (notebook 03).
# - **Set the shape with `aspect_ratio=`**, not only with words in the prompt.
#
# The templates below are skeletons in that spirit. Fill the `{slots}`, and reword freely.

# %%
TEMPLATES = {
    "photorealistic": (
        "A photorealistic {shot} of {subject}, {action}, in {place}. {light} gives the scene a {mood} feel. "
        "Shot on {camera}, with sharp detail in {detail}."
    ),
    "sticker": (
        "A {style} sticker of {subject} with {features}, in a palette of {colours}. {lines} outlines and "
        "{shading} shading, on a plain white background."
    ),
    "text in image": (
        'A {kind} for {brand} that reads "{text}" in {font}. The design is {look}, in {colours}.'
    ),
    "product mockup": (
        "A high-resolution studio product photo of {product} on {surface}. {lighting} to {purpose}. "
        "Photographed from {angle} to show {feature}, in sharp focus on {detail}."
    ),
    "minimalist": (
        "A minimalist composition: a single {subject} in the {corner} of the frame, on a wide empty "
        "{colour} background, leaving most of the frame free for text. Soft, even light."
    ),
    "sequential art": (
        "Panel {n} of a {style} comic strip. In the foreground, {character} {action}. Behind them, "
        "{setting}. A caption box reads \"{caption}\". The light feels {mood}."
    ),
}


def fill(template, **slots):
    """Fill a template; a missing slot raises KeyError naming it."""
    return TEMPLATES[template].format(**slots)


# %% [markdown]
# ## The six templates, filled in
#
# Each prompt below comes from a template, with an aspect ratio that suits the job. We ask for
# `image_size="512"`, the smallest size 3.1 Flash Image offers: it keeps the offline run fast and, with a
# key, costs about a third less than 1K (747 output tokens instead of 1120). Use `"1K"` or larger once a
# prompt works.

# %%
jobs = {
    "photorealistic": (fill(
        "photorealistic", shot="close-up portrait", subject="an elderly fisherman with a grey beard",
        action="mending a net and smiling at the camera", place="a small harbour at dawn",
        light="Low golden sunlight from the left", mood="calm, nostalgic",
        camera="an 85 mm portrait lens at f/1.8 with soft background blur",
        detail="the weathered skin and the rough rope"), "3:2"),
    "sticker": (fill(
        "sticker", style="kawaii", subject="a red panda holding a bubble-tea cup",
        features="big sparkling eyes and a striped tail", colours="warm orange, cream and mint",
        lines="Thick, clean", shading="flat cel"), "1:1"),
    "text in image": (fill(
        "text in image", kind="poster", brand="a late-night ramen bar called Midnight Noodle",
        text="OPEN TILL 3AM", font="bold condensed sans-serif capitals with a neon glow",
        look="moody and cinematic, with steam rising from a bowl", colours="deep navy and hot pink"), "4:5"),
    "product mockup": (fill(
        "product mockup", product="a matte black ceramic coffee cup", surface="a polished concrete counter",
        lighting="A three-point softbox setup", purpose="give soft highlights and a gentle shadow",
        angle="a slightly raised 45-degree angle", feature="its rounded handle",
        detail="the fine texture of the glaze"), "4:3"),
    "minimalist": (fill(
        "minimalist", subject="red balloon", corner="lower right", colour="pale sky-blue"), "16:9"),
    "sequential art": (fill(
        "sequential art", n=1, style="gritty film-noir", character="a detective in a trench coat",
        action="steps out of a taxi into the rain", setting="a city street glowing with neon signs",
        caption="The city never sleeps. Neither do I.", mood="tense and mysterious"), "3:4"),
}
for name, (prompt, ar) in jobs.items():
    print(f"{name:15} {ar:5} {prompt}\n")

# %%
results = {name: studio.generate(prompt, aspect_ratio=ar, image_size="512") for name, (prompt, ar) in jobs.items()}
show_grid(list(results.values()), [f"{name}\n{label(r, model=False)}" for name, r in results.items()], ncols=3,
          cell=(4.2, 3.8), suptitle=f"Six templates · {studio.model.id}")

# %% [markdown]
# Any single Result also shows itself, with a caption naming the model, size, cost, time and source:

# %%
results["minimalist"]

# %% [markdown]
# The model also answers in words. Offline, the reply says what the simulator recognised in the prompt:

# %%
for name, r in results.items():
    print(f"{name:15} {r.status:8} {r.text}")

# %% [markdown]
# **What to expect with a real key.** The photorealistic and product prompts give photographs in the
# requested light and lens look. The sticker comes on white: ask for white rather than for transparency,
# which these models do not reliably deliver, and cut the background out afterwards if you need an alpha
# channel. For lettering that must be exact, the guide recommends 3 Pro (`model="nano-banana-pro"`); check
# the spelling in every output whichever model you use. Offline, the simulator draws only what it recognises (a cup, a balloon,
# a city at night...) and prints the prompt as a caption. That caption is a label; the simulator does
# not render typography.

# %% [markdown]
# ### Sequential art: one character across panels
#
# A strip only works if the hero looks the same in every panel. Keep the character description word for
# word in each panel prompt, and change only the action and the setting. With a key, the more reliable
# route is to pass the first panel back as a reference image, or to continue in a chat (notebook 03).
# Notebook 04 is about exactly this. Here the three panels share one description and one `seed`. The seed
# makes a request repeatable; on its own it does not keep a character the same across different prompts.

# %%
detective = "a detective in a tan trench coat and grey fedora"
beats = [
    ("steps out of a taxi into the rain", "a city street glowing with neon signs", "The city never sleeps."),
    ("finds a clue under a street lamp", "a dark alley with a single lamp", "Neither do I."),
    ("stares out over the skyline", "a rooftop at sunrise above the city", "Case closed. Almost."),
]
panels = [
    studio.generate(fill("sequential art", n=i, style="film-noir", character=detective, action=act,
                         setting=where, caption=cap, mood="tense"), aspect_ratio="3:4", image_size="512", seed=7)
    for i, (act, where, cap) in enumerate(beats, 1)
]
strip = Image.new("RGB", (sum(p.image.width for p in panels) + 8 * (len(panels) + 1), panels[0].image.height + 16),
                  "white")
x = 8
for p in panels:
    strip.paste(p.image, (x, 8))
    x += p.image.width + 8
strip

# %% [markdown]
# ## Aspect ratios
#
# `aspect_ratio` takes a string such as `"16:9"`. 3.1 Flash Image accepts fourteen, from 8:1 banners to
# 1:8 towers; 3 Pro and 2.5 accept the ten common ones. An unsupported ratio raises an `OptionError`
# *before* anything is sent, naming the ratios that work. Here is the same prompt in every ratio 3.1 Flash
# Image offers, at size 512 (the pixel sizes are the model's real ones):

# %%
flash = tk.MODELS[0]
assert flash.id == tk.DEFAULT_MODEL
ratios = list(flash.aspect_ratios)
prompt = "A lighthouse on a rocky coast at sunset, with a small boat on the sea"
by_ratio = [studio.generate(prompt, aspect_ratio=ar, image_size="512") for ar in ratios]
show_grid(by_ratio, [f"{ar} · {r.image.width}×{r.image.height}" for ar, r in zip(ratios, by_ratio, strict=True)],
          ncols=5, cell=(3.2, 3.0), suptitle=f"{flash.id}: every aspect ratio at size 512")

# %%
try:
    studio.generate(prompt, aspect_ratio="8:1", model="nano-banana-pro")
except tk.OptionError as e:
    print("OptionError:", e)

# %% [markdown]
# ## Sizes across models
#
# `image_size` sets the resolution: `"512"`, `"1K"`, `"2K"` or `"4K"` (with an uppercase K). Not every
# model offers every size, and the output-token count per size, which is what you pay for, differs between
# models. First the registry's view, no calls needed: pixels, tokens and list price per image at 16:9.

# %%
models = ["gemini-3.1-flash-image", "gemini-3.1-flash-lite-image", "gemini-3-pro-image",
          "gemini-nano-banana-2.1", "gemini-2.5-flash-image"]
sizes = ["512", "1K", "2K", "4K"]


def size_cell(model_id, size, ar="16:9"):
    info = next(m for m in tk.MODELS if m.id == model_id)
    if not info.image_sizes:  # 2.5 has no image_size option: one fixed size
        return "fixed: " + _fmt(info, None, ar) if size == "1K" else "–"
    return _fmt(info, size, ar) if size in info.image_sizes else "–"


def _fmt(info, size, ar):
    w, h = info.pixel_size(ar, size)
    tokens = info.output_image_tokens(size)
    return f"{w}×{h} · {tokens} tok · ${tokens * info.price.output_image_per_m / 1e6:.3f}"


pd.DataFrame({size: [size_cell(m, size) for m in models] for size in sizes}, index=models)

# %% [markdown]
# Now the same prompt through every model and size it offers. Ask for the price *before* sending:
# `studio.estimate` counts cache hits as free. Offline nothing is spent, but with a key this grid is a real
# bill, mostly from the 4K images.
#
# `gemini-2.5-flash-image`, the original Nano Banana, is in the grid for comparison even though it
# **passed its listed shutdown date** (2026-10-02). Asking for it raises a `ModelShutdownWarning` naming its
# successor. We catch that warning deliberately and print it once, rather than let it scroll by. With a key,
# the provider may now answer 404 for it, which raises `tk.ModelNotFoundError`; the grid then shows that
# cell as empty.

# %%
plan = [(m, s) for m in models for s in sizes if size_cell(m, s) != "–"]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", tk.ModelShutdownWarning)  # shown once, below, on the real call
    total = sum(studio.estimate(prompt, aspect_ratio="16:9", model=m,
                                image_size=s if "fixed" not in size_cell(m, s) else None).list_cost_usd
                for m, s in plan)
print(f"{len(plan)} calls, list price ${total:.2f}; this backend would spend "
      f"${total if studio.backend.spends_money else 0:.2f}")


# %%
def generate_at(model_id, size):
    """One cell of the grid: None when the model does not offer the size or is gone."""
    cell = size_cell(model_id, size)
    if cell == "–":
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tk.ModelShutdownWarning)
        try:
            r = studio.generate(prompt, aspect_ratio="16:9", model=model_id,
                                image_size=None if cell.startswith("fixed") else size)
        except tk.ModelNotFoundError as e:  # a shut-down model, with a real key
            print(f"{model_id}: {e}")
            r = None
    for w in caught:
        print(f"{w.category.__name__}: {w.message}")
    return r


grid = [generate_at(m, s) for m in models for s in sizes]
titles = [label(r) if r is not None else f"{m}\n{s}" for r, (m, s) in
          zip(grid, [(m, s) for m in models for s in sizes], strict=True)]
show_grid(grid, titles, ncols=len(sizes), cell=(3.6, 2.6), suptitle="Same prompt, 16:9: models × image_size")

# %% [markdown]
# Reading the grid: the pictures look alike (same prompt), but the pixel counts and prices do not. 3.1 Flash
# goes from 688×384 at 512 to 5504×3072 at 4K, and the 4K image costs about 3.4 times the 512 one. Flash-Lite
# stops at 1K, where it and 2.1 are the cheapest per image. 3 Pro bills the same tokens for 1K and 2K, so its 2K is
# free extra resolution. 2.5 has one fixed size of about a megapixel and no `image_size` option. Start small
# while the prompt is still changing, then re-run the winner at the size you need.

# %% [markdown]
# ## Try it: the Playground
#
# Type a prompt, pick the model, aspect ratio, size and number of images, and generate. The size and ratio
# menus follow the chosen model, and the line next to the button shows what the next call would cost.
# Every call goes through the same Studio, so it lands in the same ledger and cache as the cells above.

# %%
from toolkit.widgets import Playground

playground = Playground(studio)
playground

# %% [markdown]
# The app can also be driven from code, which is how this notebook's offline run checks it. Fill a
# template into the prompt box, choose the size, and press **Generate**:

# %%
playground.prompt.value = fill("minimalist", subject="paper boat", corner="upper left", colour="soft sand")
playground.aspect_ratio.value = "16:9"
playground.image_size.value = "512"
playground.generate_button.click()
playground.results[-1]

# %% [markdown]
# ## What this notebook cost

# %%
print(studio.session_ledger.cost_report())
