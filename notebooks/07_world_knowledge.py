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
# # 07 · World knowledge: a diagram tutor
#
# The Gemini image models sit on top of a large language model, so they bring what it knows with them.
# They can read a messy handwritten diagram, recognise what it is (a right triangle, the water cycle, a
# circuit), answer a question about it, and then **draw the answer back onto the picture** in a style
# that matches: a label in the gap, a correction in red, a mark in the margin.
#
# This notebook builds a small tutor around that:
#
# 1. **draw** a hand-drawn-looking diagram with PIL (no downloads);
# 2. **ask** a question about it and read the answer;
# 3. **annotate**: ask for the diagram back with the answer marked on it;
# 4. **talk it through** in a chat, where follow-ups keep the diagram in context;
# 5. try the **CanvasTutor** app: draw on a canvas and ask.
#
# **Offline** (no key) the answers come from the toolkit's **offline simulator**. It draws pictures from
# a fixed vocabulary but cannot read a diagram or reason about it. So this notebook becomes a walk-through of
# the tutor's flow with honest placeholders: where the simulator cannot do a step, it sends your diagram back
# with a red **NOT SIMULATED** banner, `r.reason` starts with `"not simulated:"`, and `r.text` says so in one
# sentence. Each step shows what came back and then explains what the real model does with the same request.

# %% [markdown]
# ## Setup
#
# The key is read from the environment (`GEMINI_API_KEY` or `GOOGLE_API_KEY`). To paste one for this
# session only, run `import getpass, os; os.environ["GEMINI_API_KEY"] = getpass.getpass()` *before*
# creating the Studio. The key is never printed, and it is never written to the ledger or to image files.

# %%
import toolkit as tk
from toolkit.simulator import NOT_SIMULATED_PREFIX

studio = tk.Studio()
studio


def simulated(result: tk.Result) -> bool:
    """False when the offline simulator could not do the request and marked its image NOT SIMULATED."""
    return not (result.reason or "").startswith(NOT_SIMULATED_PREFIX)

# %% [markdown]
# ## 1. Draw a diagram that looks hand-drawn
#
# Lined notebook paper, slightly wobbly pen strokes, and labels in an oblique face. Real homework photos
# are messier than this. The model copes with that, but clear, thick strokes and large labels still get
# better answers. The fonts are the DejaVu fonts that ship with matplotlib, so this works on any machine.

# %%
import itertools
import math
import random
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
INK, BLUE, RED = (35, 35, 45), (25, 45, 160), (200, 30, 30)


def font(size: int, style: str = "-Oblique") -> ImageFont.FreeTypeFont:
    """DejaVu Sans at `size` px; style is "", "-Bold", "-Oblique" or "-BoldOblique"."""
    return ImageFont.truetype(str(FONTS / f"DejaVuSans{style}.ttf"), size)


def paper(width: int = 1024, height: int = 768) -> Image.Image:
    """A page of lined exercise-book paper with a red margin."""
    img = Image.new("RGB", (width, height), (252, 250, 240))
    d = ImageDraw.Draw(img)
    for y in range(70, height, 48):
        d.line([(0, y), (width, y)], fill=(205, 220, 240), width=2)
    d.line([(86, 0), (86, height)], fill=(240, 170, 170), width=2)
    return img


def pen(d: ImageDraw.ImageDraw, points, rng: random.Random, width: int = 5, fill=INK, wobble: float = 3.0):
    """A pen stroke through `points` with a smooth hand-made wobble (low-frequency noise, not jitter)."""
    out = []
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        nx, ny = (-(y1 - y0) / length, (x1 - x0) / length) if length else (0.0, 0.0)
        phase, freq = rng.uniform(0, 2 * math.pi), rng.uniform(1.0, 2.5)
        steps = max(2, int(length / 12))
        for i in range(steps + 1):
            f = i / steps
            off = wobble * math.sin(phase + freq * math.pi * f) * math.sin(math.pi * f)
            out.append((x0 + (x1 - x0) * f + nx * off, y0 + (y1 - y0) * f + ny * off))
    d.line(out, fill=fill, width=width, joint="curve")


def arrow(d, start, end, rng, fill=INK, width=4):
    """A hand-drawn arrow from `start` to `end`."""
    pen(d, [start, end], rng, width=width, fill=fill, wobble=2.0)
    ang = math.atan2(end[1] - start[1], end[0] - start[0])
    for side in (-1, 1):
        a = ang + math.pi + side * 0.45
        pen(d, [end, (end[0] + 26 * math.cos(a), end[1] + 26 * math.sin(a))], rng, width=width, fill=fill,
            wobble=0.5)


def triangle_homework() -> Image.Image:
    """A right triangle with legs 3 cm and 4 cm and the hypotenuse marked '?'."""
    rng = random.Random(3)
    img = paper()
    d = ImageDraw.Draw(img)
    a, b, c = (230, 620), (710, 620), (230, 260)  # the right angle is at a
    pen(d, [a, b], rng)
    pen(d, [a, c], rng)
    pen(d, [c, b], rng)
    pen(d, [(a[0], a[1] - 42), (a[0] + 42, a[1] - 42), (a[0] + 42, a[1])], rng, width=3, wobble=1.0)
    d.text((470, 668), "4 cm", font=font(46), fill=BLUE, anchor="mm")
    d.text((150, 440), "3 cm", font=font(46), fill=BLUE, anchor="mm")
    d.text((505, 405), "?", font=font(70, "-BoldOblique"), fill=RED, anchor="mm")
    d.text((560, 118), "Find the missing side", font=font(40), fill=INK, anchor="mm")
    return img


triangle = triangle_homework()
triangle.resize((512, 384))

# %% [markdown]
# ## 2. Ask a question about it
#
# The diagram goes in as an input image, the question as the prompt. Say what the picture is, what you
# want back and for whom. From a real model a question often gets a **text answer and no image**. That is a
# normal outcome (`status="no_image"` with `text` filled in), not a failure, and it is why annotating is a
# separate step below.

# %%
QUESTION = (
    "Here is a student's homework: a right triangle with two sides labelled. What is the length of the "
    "side marked with a question mark? Answer in two short sentences a 12-year-old can follow."
)
answer = studio.generate(QUESTION, images=[triangle])
answer

# %%
print("status:   ", answer.status)
print("simulated:", simulated(answer))
print("reason:   ", answer.reason)
print("text:     ", answer.text)

# %% [markdown]
# We know the right answer, so we can check the tutor rather than trust it:

# %%
expected = math.hypot(3, 4)  # Pythagoras: sqrt(3² + 4²)
said = re.search(rf"\b{expected:g}(\.0+)?\s*cm\b", answer.text) is not None
print(f"Expected {expected:g} cm. The answer {'mentions' if said else 'does not mention'} it.")

# %% [markdown]
# **What came back offline.** The simulator treats one image plus a prompt as an *edit* instruction. It
# cannot answer a question about a picture, so it sent the triangle back with a NOT SIMULATED banner and a
# one-line text pointing at `simulator_vocabulary()`, the list of what it can do. It did not read the
# triangle, and the check above says so.
#
# **What the real model does.** It reads the handwriting ("3 cm", "4 cm", the red "?"), recognises the
# little square as a right angle, and answers from what it knows: the missing side is the hypotenuse,
# √(3² + 4²) = 5 cm, usually with a sentence on Pythagoras. Models can still misread a digit or slip in
# the arithmetic, which is why checking against a known answer (as above) belongs in any tutor you build.

# %% [markdown]
# ## 3. Annotate: the answer drawn onto the diagram
#
# For the image back, ask for it explicitly, say exactly what to add, where, and in which colour and
# style, and ask for everything else to stay as it was.

# %%
ANNOTATE = (
    "Mark this homework like a teacher: work out the length of the side marked with a question mark, "
    "write it in red handwriting right next to the question mark, and add a gold star in the top right "
    "corner. Keep everything else exactly as it is."
)
marked = studio.edit(triangle, ANNOTATE)
print("status:", marked.status)
print("text:  ", marked.text)


def side_by_side(before: Image.Image, after: tk.Result, titles=("sent", "returned")):
    """The input and the returned image (or the status, when there is none) next to each other."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    axes[0].imshow(before)
    if after.image is not None:
        axes[1].imshow(after.image)
    else:
        axes[1].text(0.5, 0.5, f"{after.status}: no image", ha="center", va="center", transform=axes[1].transAxes)
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    return fig


fig = side_by_side(triangle, marked, ("the homework", f"annotated ({marked.backend})"))

# %% [markdown]
# **Offline**, the simulator found one phrase it knows, "add a gold star", and drew the star. It cannot
# work out the side or write text, and its reply text lists only what it actually did. **The real model**
# writes "5 cm" in red next to the "?" in a handwriting-like style and adds the star, leaving the rest of
# the page as it was.

# %% [markdown]
# ## 4. Talk it through: a chat keeps the diagram in context
#
# A second diagram, the water cycle with one label missing. In a chat each follow-up is sent with the
# whole conversation, so "that word" and "the diagram" need no repeating, and the model works on the
# picture from the first turn.

# %%
def water_cycle() -> Image.Image:
    """Sea, hills, sun and a cloud, with arrows for evaporation, the missing stage, precipitation, run-off."""
    rng = random.Random(11)
    img = paper()
    d = ImageDraw.Draw(img)
    for x in range(100, 1024, 60):  # the sea: a row of waves
        pen(d, [(x, 640), (x + 30, 628), (x + 60, 640)], rng, width=4, fill=(40, 110, 200), wobble=1.0)
    pen(d, [(600, 632), (720, 470), (830, 520), (1010, 390)], rng, width=5, fill=(60, 130, 60))  # hills
    d.ellipse([140, 110, 240, 210], outline=(230, 160, 20), width=6)  # the sun
    for k in range(8):
        t = k * math.pi / 4
        pen(d, [(190 + 62 * math.cos(t), 160 + 62 * math.sin(t)), (190 + 90 * math.cos(t), 160 + 90 * math.sin(t))],
            rng, width=4, fill=(230, 160, 20), wobble=0.5)
    puffs = ((600, 175, 48), (662, 150, 60), (726, 178, 44))  # the cloud: ink outline, then paper inside
    for grow, colour in ((5, INK), (0, (252, 250, 240))):
        for cx, cy, r in puffs:
            d.ellipse([cx - r - grow, cy - r - grow, cx + r + grow, cy + r + grow], fill=colour)
        d.rounded_rectangle([560 - grow, 170 - grow, 760 + grow, 215 + grow], radius=20, fill=colour)
    arrow(d, (330, 600), (330, 330), rng)  # up from the sea
    arrow(d, (380, 290), (530, 200), rng)  # into the cloud
    arrow(d, (800, 235), (870, 440), rng)  # down onto the hills
    arrow(d, (750, 565), (620, 625), rng)  # back to the sea
    d.text((330, 680), "evaporation", font=font(34), fill=BLUE, anchor="mm")
    d.text((420, 215), "?", font=font(64, "-BoldOblique"), fill=RED, anchor="mm")
    d.text((900, 300), "precipitation", font=font(32), fill=BLUE, anchor="mm")
    d.text((770, 690), "run-off", font=font(34), fill=BLUE, anchor="mm")
    d.text((560, 60), "The water cycle", font=font(40), fill=INK, anchor="mm")
    return img


cycle = water_cycle()
cycle.resize((512, 384))

# %%
tutor = studio.chat()
first = tutor.send(
    "This is a student's diagram of the water cycle. Which word belongs where the question mark is? "
    "Reply with the word and one sentence on why.",
    images=[cycle],
)
second = tutor.send(
    "Now write that word in place of the question mark, in the same blue handwriting, and keep "
    "everything else exactly as it is."
)
for i, r in enumerate((first, second), 1):
    print(f"turn {i}: status={r.status}\n  text:   {r.text[:160]}\n  reason: {(r.reason or '')[:120]}")
tutor

# %% [markdown]
# Offline both turns come back as the diagram marked NOT SIMULATED: the simulator has no idea what the water
# cycle is. Each turn still joins the history, so the conversation holds together and the chat shows the
# flow a student would see. The real model answers "condensation" (water vapour cooling into droplets that
# form clouds) and, on the second turn, returns the diagram with the word written in.

# %% [markdown]
# ## Prompting advice for diagrams and tutoring
#
# * **Say what the picture is.** "A student's sketch of a right triangle" puts the model on the right
#   track before it starts reading the strokes.
# * **Ask for the output you want.** Want text? Ask a question. Want the picture back? Say "return the
#   diagram with ..." explicitly. A question on its own often gets a text-only answer.
# * **Pitch the explanation.** Name the audience ("a 12-year-old", "a first-year engineering student")
#   and the length ("two sentences").
# * **Make annotations precise.** Say what to write, where ("right next to the question mark"), in which
#   colour and style, and that everything else stays unchanged.
# * **Make the input legible.** Thick strokes, large labels, good contrast and one question per image.
#   Crop away the rest of the page.
# * **Check answers you can check.** Keep a known answer (as with `math.hypot` above) or a second opinion
#   for anything graded. The model knows a lot, and it can still be confidently wrong.
# * **Use a chat for follow-ups.** The diagram and the model's own previous answer stay in context, so
#   "now explain step 2" or "now label it" just works.

# %% [markdown]
# ## 5. The CanvasTutor app
#
# Draw on the canvas with the mouse (or load a picture), type a question and press **Ask**: the canvas
# goes to the model as a PNG with the question, and the answer text and any returned image appear below
# it. Here the app is driven once from code, so the notebook also runs unattended. It loads the triangle
# (scaled to the 512 × 384 canvas), circles the "?" as a student might, asks a new question and clicks
# the button.

# %%
from toolkit.widgets import CanvasTutor

app = CanvasTutor(studio)
app.load_image(triangle)
cx, cy, r = 252, 202, 30  # the "?" on the canvas (the diagram is drawn at half size)
app.draw_line([(cx + r * math.cos(t / 24 * math.pi), cy + r * math.sin(t / 24 * math.pi)) for t in range(49)],
              colour="#1f5fa8", width=3)
app.question.value = "What is the area of the triangle in this picture? Explain briefly."
app.ask_button.click()
app

# %%
print("status:   ", app.result.status)
print("simulated:", simulated(app.result))
print("text:     ", app.result.text)

# %% [markdown]
# ## The tutor's five calls at a glance
#
# Every call returned an image. The `simulated` column tells the real work from the honest placeholders, the
# same test a study uses to leave placeholder cells out of its numbers.

# %%
import pandas as pd

calls = {"1. question": answer, "2. annotate": marked, "3. chat, turn 1": first, "4. chat, turn 2": second,
         "5. CanvasTutor": app.result}
pd.DataFrame([{"step": step, "status": r.status, "image": r.image is not None, "simulated": simulated(r),
               "text": r.text} for step, r in calls.items()])

# %%
fig, axes = plt.subplots(1, len(calls), figsize=(4 * len(calls), 3.4))
for ax, (step, r) in zip(axes, calls.items(), strict=True):
    if r.image is not None:
        ax.imshow(r.image)
    else:  # a real model may answer a question in words only
        ax.text(0.5, 0.5, f"{r.status}: a text answer", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"{step}\n{'done' if simulated(r) else 'not simulated offline'}", fontsize=9)
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# ## What this notebook cost

# %%
print(studio.session_ledger.cost_report())
