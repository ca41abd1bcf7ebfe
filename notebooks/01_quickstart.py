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
# # 01 · Quickstart
#
# The Flash Image Toolkit talks to Google's Gemini image models ("Nano Banana" and its successors) through
# one object, the **`Studio`**. Every call returns a **`Result`** (images, text, tokens, dollars, seconds,
# status) and adds one row to a **ledger** you can read with pandas.
#
# **No key? No problem.** Without an API key the Studio uses the embedded **offline simulator**: it draws
# simple, deterministic images locally, stamps them `OFFLINE SIMULATOR`, and reports the tokens and list
# price the real model would bill, spending nothing. With a key (`GEMINI_API_KEY`), the same cells call
# the real model.

# %% [markdown]
# ## Setup
#
# The key is read from the environment. To paste one for this session only, run
# `import getpass, os; os.environ["GEMINI_API_KEY"] = getpass.getpass()` *before* creating the Studio:
# it is never printed, stored, or written to the ledger or image files.

# %%
import toolkit as tk

studio = tk.Studio()
studio

# %% [markdown]
# `repr(studio)` says which backend answers, which model is the default and where the ledger lives.
# The default model is **Gemini 3.1 Flash Image** ("Nano Banana 2"): the original Nano Banana
# (`gemini-2.5-flash-image`) passed its listed shutdown date on 2026-10-02. The registry knows them all:

# %%
tk.models_table()[["model", "nickname", "sizes (output tokens)", "usd_per_image", "shutdown", "default"]]

# %% [markdown]
# ## Your first image

# %%
r = studio.generate("A photo of my cat eating a nano-banana in a fancy restaurant", aspect_ratio="16:9")
r

# %% [markdown]
# ## Anatomy of a Result
#
# A Result never raises for things the model reports normally: a blocked prompt, an image refused for
# safety, or a text-only answer come back with `status` set to `"blocked"` or `"no_image"` and the
# provider's `reason`. It raises for *your* mistakes (a bad file, an unknown aspect ratio) and for budget
# refusals.

# %%
print(repr(r))
print("status:   ", r.status)
print("size:     ", r.image.size, r.outputs[0].mime)
print("usage:    ", r.usage)
print("spent:    ", r.cost_usd, " list price:", round(r.list_cost_usd, 4))
print("cache key:", r.key[:16], "…")

# %% [markdown]
# ## Editing, fusing and chatting
#
# `tk.sample(name)` gives real photos that ship with the toolkit's dependencies (no downloads).

# %%
cat = tk.sample("cat")
edited = studio.edit(cat, "Blur the background")
edited

# %%
fused = studio.fuse([cat, tk.sample("coffee")], "Put the cup of coffee in front of the cat")
fused

# %%
chat = studio.chat()
chat.send("Make it night time", images=[cat])
chat.send("Now add a moon")
chat.undo()  # back to the night-time picture
chat

# %% [markdown]
# ## Saving, and reading the metadata back
#
# Saved files carry the generation metadata (prompt, model, options, cache key, cost) in a PNG text chunk
# or a JPEG comment. They never carry your key. Real Google outputs also carry **SynthID**, an invisible
# watermark that marks them as AI-generated; it cannot be turned off, and our metadata is a separate,
# visible record of provenance.

# %%
import tempfile
from pathlib import Path

out = Path(tempfile.mkdtemp()) / "cat-in-restaurant.png"
r.save(out)
tk.read_metadata(out)

# %% [markdown]
# ## The cache: the same request costs nothing the second time

# %%
again = studio.generate("A photo of my cat eating a nano-banana in a fancy restaurant", aspect_ratio="16:9")
again.cached, again.cost_usd, again.latency_s

# %% [markdown]
# ## The ledger: every call, with cost and latency

# %%
studio.session_ledger.df[["operation", "model", "status", "cached", "cost_usd", "list_cost_usd", "latency_s"]]

# %%
studio.session_ledger.summary()

# %% [markdown]
# ## What this notebook cost

# %%
print(studio.session_ledger.cost_report())
