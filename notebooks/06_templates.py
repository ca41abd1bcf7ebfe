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
# # 06 · Templates: one design, many rows
#
# Badges for a team, cards for a set of property listings, photos for a product catalogue: in each case
# the *design* stays fixed and only a few *fields* change from one item to the next. That maps onto two
# things you already have:
#
# * a **pandas table**, one row per item;
# * a **template**: a prompt with `{slots}` for the row's fields and, when the layout matters, a
#   **template image** drawn once (here with PIL) and sent as the first input image.
#
# The recipe is one call per row, a **gallery** of the results titled from the rows, and the ledger's
# status, cost and latency joined back onto the table, so you can see which rows need another go.
#
# **Offline** (no key) every image below comes from the toolkit's **offline simulator**. It draws
# deterministic stand-ins and stamps them `OFFLINE SIMULATOR`. It cannot read a layout or write text,
# so it pastes the photo near the bottom of the badge and leaves the text bars blank. The notebook says so
# where it matters. With a key, the same cells call the real model.

# %% [markdown]
# ## Setup
#
# The key is read from the environment (`GEMINI_API_KEY` or `GOOGLE_API_KEY`). To paste one for this
# session only, run `import getpass, os; os.environ["GEMINI_API_KEY"] = getpass.getpass()` *before*
# creating the Studio. The key is never printed, and it is never written to the ledger or to image files.

# %%
import toolkit as tk

studio = tk.Studio()
studio

# %% [markdown]
# A few helpers for the notebook: a font (the DejaVu fonts that ship with matplotlib, so nothing depends
# on the system's fonts) and a gallery that titles each image from its row.

# %%
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image, ImageDraw, ImageFont, ImageOps

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font(size: int, style: str = "") -> ImageFont.FreeTypeFont:
    """DejaVu Sans at `size` px; style is "", "-Bold", "-Oblique" or "-BoldOblique"."""
    return ImageFont.truetype(str(FONTS / f"DejaVuSans{style}.ttf"), size)


def gallery(results, titles, ncols=5, width=3.2, height=4.2):
    """A grid of result images titled by row; a row without an image shows its status and reason."""
    nrows = -(-len(results) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, r, title in zip(axes.flat, results, titles, strict=False):
        if r.image is not None:
            ax.imshow(r.image)
        else:
            ax.text(0.5, 0.5, f"{r.status}\n{(r.reason or '')[:80]}", ha="center", va="center", wrap=True,
                    fontsize=8, color="#b00020", transform=ax.transAxes)
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def row_report(table: pd.DataFrame, results) -> pd.DataFrame:
    """The table with each row's outcome joined on: status, cost, list price, latency, cache hit."""
    outcome = pd.DataFrame(
        [{"status": r.status, "cost_usd": r.cost_usd, "list_cost_usd": round(r.list_cost_usd, 4),
          "latency_s": round(r.latency_s, 3), "cached": r.cached, "reason": (r.reason or "")[:60]}
         for r in results],
        index=table.index,
    )
    return table.join(outcome)


# %% [markdown]
# ## Example 1: employee badges
#
# ### The table
#
# Four people (well, two people, a cat and a coffee machine; the photos are the toolkit's bundled
# samples, see `tk.samples()` for credits). Each row carries its fields: the name and role to print,
# the team, the team's colour and the photo to use.

# %%
staff = pd.DataFrame(
    [
        {"name": "Ada Park", "role": "Flight Engineer", "team": "Orbit", "colour": "#2a60d4", "photo": "astronaut"},
        {"name": "Lev Marsh", "role": "Staff Photographer", "team": "Media", "colour": "#7b3fb6", "photo": "camera"},
        {"name": "Chelsea", "role": "Chief Morale Officer", "team": "People", "colour": "#e07a1f", "photo": "cat"},
        {"name": "Pikolo", "role": "Espresso Machine", "team": "Facilities", "colour": "#2f8f6a", "photo": "coffee"},
    ]
)
staff

# %% [markdown]
# ### The template image
#
# The layout is drawn once with PIL: a colour band with the company wordmark, two grey bars where the
# name and role go, a rounded frame for the photo, and a footer band. Only the band colour comes from the
# row. Sending the layout as an image pins down *where* things go far better than a paragraph could.
#
# Each photo is cropped to head and shoulders and cut out in an oval (an RGBA image, sent as PNG with
# its transparency). That is good practice for the real model too: it sees exactly the face you want.

# %%
W, H = 600, 900  # 2:3, the aspect ratio we ask for
NAME_BAR, ROLE_BAR = (100, 200, 500, 260), (150, 278, 450, 318)
PHOTO_BOX = (150, 350, 450, 800)

# head-and-shoulders crop per sample photo (left, top, right, bottom)
CROPS = {"astronaut": (110, 0, 410, 350), "camera": (140, 40, 380, 320), "cat": (40, 0, 400, 300),
         "coffee": (100, 0, 480, 400)}


def badge_template(colour: str, name: str = "", role: str = "") -> Image.Image:
    """The badge layout in the team colour; with name/role, the text is printed into the bars."""
    img = Image.new("RGB", (W, H), (250, 250, 247))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, W, 170], fill=colour)
    d.rounded_rectangle([255, 28, 345, 48], radius=10, fill=(250, 250, 247))  # the lanyard slot
    d.text((W / 2, 112), "ACME ORBITAL", font=font(40, "-Bold"), fill="white", anchor="mm")
    d.rounded_rectangle(PHOTO_BOX, radius=18, outline=(150, 150, 150), width=4)
    d.text(((PHOTO_BOX[0] + PHOTO_BOX[2]) / 2, (PHOTO_BOX[1] + PHOTO_BOX[3]) / 2), "PHOTO", font=font(34),
           fill=(195, 195, 195), anchor="mm")
    for box, text, f in ((NAME_BAR, name.upper(), font(40, "-Bold")), (ROLE_BAR, role, font(26))):
        if text:
            d.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), text, font=f, fill=(45, 45, 50), anchor="mm")
        else:
            d.rectangle(box, fill=(226, 226, 226))
    d.rectangle([0, H - 60, W, H], fill=colour)
    return img


def portrait(photo: str) -> Image.Image:
    """The sample photo cropped to head and shoulders, in an oval cut-out (RGBA)."""
    img = ImageOps.fit(tk.sample(photo).convert("RGB").crop(CROPS[photo]), (300, 350))
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).ellipse([4, 4, 296, 346], fill=255)
    img.putalpha(mask)
    return img


first = staff.iloc[0]
preview = Image.new("RGB", (W + 340, H), "white")
preview.paste(badge_template(first.colour), (0, 0))
preview.paste(portrait(first.photo), (W + 20, 40), portrait(first.photo))
preview.resize((preview.width // 2, preview.height // 2))

# %% [markdown]
# ### The prompt template
#
# One paragraph with `{slots}`, filled from each row with `str.format`. It says which image is which,
# what to change, and what must stay exactly as it is. The text to print is quoted word for word, with the
# font described (see the advice further down).

# %%
BADGE_PROMPT = (
    "Image 1 is the layout of an employee ID badge and image 2 is a portrait of {name}. Fill in the "
    "badge: place the portrait inside the empty rounded frame, filling it, head and shoulders centred. "
    'On the upper grey bar write exactly "{name_caps}" in a bold geometric sans-serif, dark grey; on the '
    'lower bar write exactly "{role}" in a regular weight of the same typeface. Replace the grey bars '
    "with the text on the white card. Keep the {team} colour band, the ACME ORBITAL wordmark and the rest "
    "of the layout exactly as they are. A clean, flat print design with no other text."
)


def badge_prompt(row: pd.Series) -> str:
    return BADGE_PROMPT.format(**row.to_dict(), name_caps=row["name"].upper())


print(badge_prompt(first))

# %% [markdown]
# ### What will it cost?
#
# Before running a whole table, price one row and multiply. `estimate` sends nothing. Offline it shows
# $0 to spend but the real list price; with a key it is what this table would cost.

# %%
one = studio.estimate(badge_prompt(first), images=[badge_template(first.colour), portrait(first.photo)],
                      image_size="512", aspect_ratio="2:3")
print(one)
print(f"{len(staff)} badges at list price: ${one.list_cost_usd * len(staff):.3f}")

# %% [markdown]
# ### One call per row
#
# A plain loop: each row gets its own template image, portrait and prompt. Every call returns a Result
# (a refusal or a text-only answer is a Result with a `status`, not an exception), so one bad row never
# stops the others. `image_size="512"` keeps drafts cheap; re-run the good design at `"1K"` or `"2K"`.

# %%
badges = [
    studio.fuse([badge_template(row.colour), portrait(row.photo)], badge_prompt(row),
                image_size="512", aspect_ratio="2:3")
    for _, row in staff.iterrows()
]
fig = gallery(badges, [f"{row['name']} · {row.team}" for _, row in staff.iterrows()], ncols=4)

# %% [markdown]
# Offline, the simulator pastes each cut-out near the bottom of the card, beside or over the frame, and
# leaves the grey bars empty:
# it composites, it does not read the layout or write text (its reply says what it did). The real model
# places the photo in the frame and writes the quoted names.
#
# ### Status and cost per row, joined back to the table

# %%
print(badges[0].text)
row_report(staff, badges)

# %% [markdown]
# ## Getting the text right
#
# Text inside images is where image models slip most often: a doubled letter, a dropped word, a
# look-alike glyph. Some habits that help:
#
# * **Settle the words before the picture.** Write or generate the copy first (names, prices, taglines)
#   as columns of the table, check them there, and have the image call only *copy* them.
# * **Quote the exact text** in the prompt, in double quotes, and say where it goes ("on the upper grey
#   bar").
# * **Describe the lettering**: typeface style (geometric sans-serif, slab serif, handwritten), weight,
#   colour, size relative to the card. "Nice font" gives the model nothing to go on.
# * **Keep it short.** A name and a role render reliably; a paragraph of small print does not.
# * **Use the stronger model for text-heavy designs.** Google suggests Nano Banana Pro
#   (`model="nano-banana-pro"`) for professional lettering; it costs about twice as much per image.
# * **Check every output** before printing (by eye, or with an OCR pass) and re-run only the failed rows.
#
# When the text must be *exactly* right (names on badges, prices, legal lines), do not ask the model to
# write it at all: print it into the template yourself and ask the model to keep it. (Or stamp it onto the
# output afterwards with PIL.) Here is the same table with the names and roles pre-printed:

# %%
KEEP_TEXT_PROMPT = (
    "Image 1 is an employee ID badge with the name and role already printed, and image 2 is a portrait of "
    "{name}. Place the portrait inside the empty rounded frame, filling it, head and shoulders centred. "
    "Keep all the printed text, the {team} colour band and the layout exactly as they are."
)
printed = [
    studio.fuse([badge_template(row.colour, row["name"], row.role), portrait(row.photo)],
                KEEP_TEXT_PROMPT.format(**row.to_dict()), image_size="512", aspect_ratio="2:3")
    for _, row in staff.iterrows()
]
fig = gallery(printed, [f"{row['name']} · {row.role}" for _, row in staff.iterrows()], ncols=4)

# %% [markdown]
# ## Example 2: a product catalogue (a text-only template)
#
# No template image this time: the fixed part is the wording, with the product photography described
# once (surface, lighting, angle, format) and only the product fields changing. The tagline is copy
# written first, as data. It goes on the catalogue page, not into the picture.

# %%
products = pd.DataFrame(
    [
        {"sku": "MUG-01", "item": "cup", "colour": "red", "material": "glazed stoneware", "price": 18,
         "tagline": "Morning, sorted."},
        {"sku": "HAT-02", "item": "hat", "colour": "black", "material": "felted wool", "price": 65,
         "tagline": "Tip it to no one."},
        {"sku": "BAL-03", "item": "ball", "colour": "yellow", "material": "soft rubber", "price": 12,
         "tagline": "Bounces back."},
        {"sku": "UMB-04", "item": "umbrella", "colour": "blue", "material": "waxed canvas", "price": 42,
         "tagline": "Rain, meet your match."},
        {"sku": "CAK-05", "item": "cake", "colour": "pink", "material": "sponge and buttercream", "price": 24,
         "tagline": "One slice is a lie."},
    ]
).set_index("sku")

PRODUCT_PROMPT = (
    "A high-resolution studio product photograph of a {colour} {item} made of {material}, standing alone "
    "on a pale wooden table against a plain warm-white wall. Soft three-point lighting with gentle "
    "shadows, camera slightly above eye level, the whole {item} in frame and in crisp focus. Catalogue "
    "style, square format, no text."
)
shots = [studio.generate(PRODUCT_PROMPT.format(**row.to_dict()), image_size="512", aspect_ratio="1:1")
         for _, row in products.iterrows()]
fig = gallery(shots, [f"{sku} · ${row.price} · {row.tagline}" for sku, row in products.iterrows()],
              width=3.0, height=3.3)

# %%
row_report(products, shots)[["item", "colour", "price", "status", "list_cost_usd", "latency_s", "cached"]]

# %% [markdown]
# ## Example 3: property listing cards
#
# The same pattern once more: the fields (kind of home, city, light) fill a fixed description, and the
# numbers (price, bedrooms) stay as table data for the card's caption.

# %%
listings = pd.DataFrame(
    [
        {"ref": "L-101", "home": "white cottage", "city": "Porto", "light": "a sunny afternoon", "beds": 2,
         "price_k": 340},
        {"ref": "L-102", "home": "stone castle", "city": "Edinburgh", "light": "golden-hour sunset", "beds": 9,
         "price_k": 4200},
        {"ref": "L-103", "home": "red barn conversion", "city": "Vermont", "light": "a snowy morning", "beds": 4,
         "price_k": 780},
    ]
).set_index("ref")

LISTING_PROMPT = (
    "A bright real-estate listing photograph of a {home} in {city}, seen from the front garden on {light}. "
    "Wide-angle, level horizon, inviting and uncluttered, landscape format."
)
cards = [studio.generate(LISTING_PROMPT.format(**row.to_dict()), image_size="512", aspect_ratio="3:2")
         for _, row in listings.iterrows()]
fig = gallery(cards, [f"{ref} · {row.city} · {row.beds} bed · ${row.price_k:,}k" for ref, row in listings.iterrows()],
              ncols=3, width=4.2, height=3.2)

# %%
row_report(listings, cards)[["home", "city", "status", "list_cost_usd", "latency_s", "cached"]]

# %% [markdown]
# ## Prompting advice for templates
#
# * **One paragraph, slots inside it.** Describe the image as a scene in full sentences and leave named
#   gaps for the fields. A keyword list gives the model less to work with.
# * **Freeze everything that is not a field.** Same wording, same aspect ratio, same size (and a `seed`
#   if you want repeatable drafts) for every row. Then the differences in the gallery come from the data,
#   not from drift in the prompt.
# * **Say what each input image is for.** "Image 1 is the layout, image 2 is the portrait", and then what
#   must not change ("keep the band, the wordmark and the layout exactly as they are").
# * **Describe the look once, precisely.** Light, surface, camera angle, lens and mood in photographic
#   terms. Vague words ("nice", "professional") produce a different look on every row.
# * **Phrase exclusions positively.** "A plain warm-white wall" works better than "no clutter".
# * **Pilot on two rows, then run the table.** Check the first results and the estimate before spending
#   on the whole table. For hundreds of rows, the Batch API costs half (see notebook 08).

# %% [markdown]
# ## Try a template by hand
#
# The Playground app sends one prompt at a time, with the model, aspect ratio and size as controls and
# optional input images. Below it is loaded with the second badge (layout and portrait as inputs, the
# filled-in prompt), and Generate is pressed once from code. That exact request was already made above,
# so it replays from the cache for $0. Change a slot in the prompt, or the model, and press **Generate**
# to compare. Its calls go into the same ledger.

# %%
from toolkit.widgets import Playground

row = staff.iloc[1]
playground = Playground(studio)
playground.set_inputs([badge_template(row.colour), portrait(row.photo)])
playground.prompt.value = badge_prompt(row)
playground.aspect_ratio.value, playground.image_size.value = "2:3", "512"
playground.generate_button.click()
print(f"{row['name']}: {playground.results[-1].status}, cached={playground.results[-1].cached}")
playground

# %% [markdown]
# ## What this notebook cost

# %%
print(studio.session_ledger.cost_report())
