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
# # 08 · Cost and latency: the ledger as a pandas study
#
# Every call the Studio makes (generated, edited, fused, chatted, replayed from the cache, refused by the
# budget) becomes one row of the **ledger**. The ledger is a SQLite table in the toolkit's home, read as a
# pandas DataFrame. This notebook treats it as a data set:
#
# * a small mixed workload across models, operations and sizes;
# * spend by model and operation, latency percentiles, and plots;
# * **budget caps**: what they do, shown honestly;
# * **what the same work would cost** on each model, standard and in batch mode, from estimates;
# * the **service tiers** (standard, flex, priority, batch) and **search grounding**, priced per image;
# * the **CostMeter** app.
#
# **Offline** (no key) the images come from the toolkit's **offline simulator**, and two numbers need
# care. **`cost_usd`** is money actually spent, which is $0 for the simulator and for cache hits.
# **`list_cost_usd`** is what the same output costs at Google's list price, from the tokens the real
# model would bill. So the *spend* lessons below read `list_cost_usd`, and they hold offline. The
# *latency* numbers offline measure the simulator drawing on this machine (milliseconds), not a model
# thinking in a data centre. With a key, the same cells measure the real thing.

# %% [markdown]
# ## Setup
#
# The key is read from the environment (`GEMINI_API_KEY` or `GOOGLE_API_KEY`). To paste one for this
# session only, run `import getpass, os; os.environ["GEMINI_API_KEY"] = getpass.getpass()` *before*
# creating the Studio. The key is never printed, and it is never written to the ledger or to image files.
# With a key, the workload below costs real money (about $2.20 at list price). Read the estimates in
# "What the same work costs" first, or set a budget: `tk.Studio(budget_usd=3.00)`.

# %%
import toolkit as tk

studio = tk.Studio()
studio

# %% [markdown]
# ## A small mixed workload
#
# Five configurations (model × image size), each doing the same five jobs: three text-to-image prompts,
# one edit of a photo and one fusion of two photos. Then four variants of one prompt at once (`n=4`), a
# two-turn chat, one request repeated (a cache hit), and one request that the simulator is told to refuse
# (the `[sim:image_safety]` test trigger, offline only), so that the ledger holds a non-`ok` row too.

# %%
cat, coffee = tk.sample("cat"), tk.sample("coffee")
PROMPTS = ["a lighthouse at dusk", "a red car on a mountain road", "a castle on a hill at sunset"]
CONFIGS = [
    ("gemini-3.1-flash-lite-image", "1K"),  # Lite renders 1K only
    ("gemini-3.1-flash-image", "512"),
    ("gemini-3.1-flash-image", "1K"),
    ("gemini-3.1-flash-image", "2K"),
    ("gemini-3-pro-image", "1K"),
]

for model, size in CONFIGS:
    opts = {"model": model, "image_size": size}
    for prompt in PROMPTS:
        studio.generate(prompt, **opts)
    studio.edit(cat, "black and white with a vignette", **opts)
    studio.fuse([cat, coffee], "Put the cup of coffee in front of the cat", **opts)

variants = studio.generate("a hot air balloon over mountains", n=4, image_size="512")
chat = studio.chat()
chat.send("Make it night time", images=[cat], image_size="512")
chat.send("Now add a moon", image_size="512")
replay = studio.generate(PROMPTS[0], model="gemini-3.1-flash-lite-image", image_size="1K")
if studio.backend.kind == "offline":
    studio.generate("a red bicycle [sim:image_safety]", image_size="512")
print(f"{len(studio.session_ledger)} ledger rows; the repeat was a cache hit: {replay.cached}")
variants

# %% [markdown]
# ## The rows
#
# One row per request. `n=4` is four rows sharing a `group_id`. The columns used most: `operation`,
# `model`, `image_size`, `status`, the token counts, `cost_usd`, `list_cost_usd`, `latency_s` and
# `cached`.

# %%
import pandas as pd

df = studio.session_ledger.df
print(f"{len(df)} rows × {df.shape[1]} columns:", ", ".join(df.columns))
cols = ["operation", "model", "image_size", "status", "cached", "input_tokens", "output_image_tokens",
        "cost_usd", "list_cost_usd", "latency_s"]
df[cols].tail(10)

# %% [markdown]
# `cost_usd` vs `list_cost_usd`, side by side:

# %%
pd.DataFrame({
    "spent (cost_usd)": df.groupby("cached")["cost_usd"].sum(),
    "list price (list_cost_usd)": df.groupby("cached")["list_cost_usd"].sum(),
    "rows": df.groupby("cached").size(),
}).rename(index={False: "sent", True: "cache hit"}).round(4)

# %% [markdown]
# Offline, both "spent" figures are $0. The list price of the cache hit is what the *original* call cost,
# i.e. what the cache saved you. With a key, the first row's two numbers are equal.
#
# ## The built-in summary
#
# Calls, cache hits, images, non-`ok` outcomes, spend, list price and p50/p95 latency per backend, model
# and operation. The latency percentiles count only calls that were actually sent: cache hits and
# refusals are excluded.

# %%
studio.session_ledger.summary()

# %% [markdown]
# ## Spend by model and operation
#
# A pivot table of list price (what a key would have paid), with totals:

# %%
spend = df.pivot_table(index="model", columns="operation", values="list_cost_usd", aggfunc="sum",
                       fill_value=0.0, margins=True, margins_name="total")
spend.round(4)

# %% [markdown]
# Per image, by model and size. Output image tokens set the price, and input images add a little: an edit
# sends one photo and a fusion two.

# %%
ok = df[df.status == "ok"]
per_image = ok.groupby(["model", "image_size", "operation"])["list_cost_usd"].mean().unstack("operation")
per_image.round(4)

# %% [markdown]
# ## Latency percentiles
#
# Only calls that were sent (cache replays take milliseconds and would flatter the numbers). p50 is the
# typical call and p95 the slow tail, which matters once you run hundreds of calls. Offline this is the
# simulator's drawing time: bigger sizes take longer to draw, as they take longer to generate for real.
# Run the notebook a second time and nearly every row is a cache hit: the list prices stay the same, and
# the latency statistics shrink to the few calls that were actually sent.

# %%
sent = df[~df.cached & (df.status != "refused")]
lat = sent.groupby(["model", "image_size"])["latency_s"].describe(percentiles=[0.5, 0.95])
lat[["count", "50%", "95%", "max"]].rename(columns={"50%": "p50_s", "95%": "p95_s", "max": "max_s"}).round(3)

# %%
print(f"all sent calls: p50 {sent.latency_s.quantile(0.5):.3f} s, p95 {sent.latency_s.quantile(0.95):.3f} s, "
      f"max {sent.latency_s.max():.3f} s over {len(sent)} calls")
print(f"cache hits:     {df[df.cached].latency_s.mean() * 1000:.1f} ms on average")

# %% [markdown]
# ## Plots
#
# The ledger's own plot: cumulative spend (solid) against list price (dashed), and latency by model.
# Offline the solid line stays at zero.

# %%
fig = studio.session_ledger.plot()

# %% [markdown]
# And a custom one: list price by model, split by operation, next to latency by image size.

# %%
import matplotlib.pyplot as plt

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
by_op = df.pivot_table(index="model", columns="operation", values="list_cost_usd", aggfunc="sum", fill_value=0)
by_op.plot.barh(stacked=True, ax=ax1, colormap="tab10")
ax1.set_xlabel("list price, USD")
ax1.set_ylabel("")
ax1.set_title("What this workload costs at list price")

sizes = [s for s in ("512", "1K", "2K", "4K") if s in set(sent.image_size.dropna())]
if sizes:  # empty when every call was a cache hit
    ax2.boxplot([sent.loc[sent.image_size == s, "latency_s"] * 1000 for s in sizes], tick_labels=sizes)
ax2.set_xlabel("image_size")
ax2.set_ylabel("latency, ms")
ax2.set_title(f"Latency by size ({studio.backend.kind} backend, calls sent)")
ax2.grid(axis="y", alpha=0.3)

# %% [markdown]
# ## Budget caps
#
# A cap belongs to the **home**, not to one Studio: `tk.Studio(budget_usd=...)`, `TOOLKIT_BUDGET_USD` or
# `studio.budget.cap = ...` set the cap of the home's `Budget`, which every Studio, kernel and process on
# that home shares (a notebook restart does not reset it; `studio.budget.reset()` does). Before sending, the
# Studio estimates each call, and in one transaction checks the cap and writes the call's ledger row as
# `sent` with the estimate reserved. A call that would pass the cap is **refused**: it raises
# `tk.BudgetExceededError`, sends nothing and records a `refused` row. Cache hits are checked first, so a
# Studio at its cap can still replay everything it has already paid for.
#
# **Offline the cap never refuses**: the simulator spends nothing, so every estimate of real spend is $0.
# Even a cap of zero lets calls through. (This demo uses a scratch home, so your own home's cap is untouched.)

# %%
import tempfile

SCRATCH = tempfile.mkdtemp(prefix="cost-demo-")  # this notebook's demo homes; removed at the end
scratch = tk.Studio(backend="offline", home=f"{SCRATCH}/cap-demo", budget_usd=0.0)
r = scratch.generate("a small blue boat", image_size="512")
print(f"with a $0.00 cap: status={r.status}, spent=${r.cost_usd:.2f}, list price=${r.list_cost_usd:.4f}")
scratch.budget

# %% [markdown]
# To see a refusal without spending anything, point a Studio at the toolkit's **loopback fake** of the
# Gemini API, `tk.FakeGeminiServer`. It runs in this process, speaks the Gemini REST protocol to the real
# google-genai SDK, and answers with simulator images. To the Studio it *is* the paid API, so it records
# list prices as spend. Nothing is charged, nothing leaves the machine, and the "key" is a dummy string
# the fake accepts. The Studio gets a temporary home so this demo stays out of your ledger.

# %%
with tk.FakeGeminiServer() as server:
    paid = tk.Studio(backend="gemini", api_key="demo-not-a-real-key", base_url=server.base_url,
                     budget_usd=0.10, home=f"{SCRATCH}/budget-demo")
    for i in range(1, 5):
        try:
            r = paid.generate(f"a lighthouse at dusk, take {i}", image_size="512")
            print(f"take {i}: {r.status}, spent ${r.cost_usd:.4f}, total ${paid.budget.spent:.4f} of ${paid.budget.cap:.2f}")
        except tk.BudgetExceededError as err:
            print(f"take {i}: refused\n  {err}")
    again = paid.generate("a lighthouse at dusk, take 1", image_size="512")  # already paid for: a cache hit
    print(f"take 1 again: {again.status}, cached={again.cached}, spent ${again.cost_usd:.4f}")
    demo_rows = paid.session_ledger.df[["status", "cached", "cost_usd", "list_cost_usd", "error"]]
demo_rows

# %% [markdown]
# Two takes fit under $0.10 (about $0.045 each at 512 px). The third is refused *before* sending,
# because $0.09 spent plus a $0.045 estimate would pass the cap. The fourth is refused the same way.
# The replay of take 1 costs nothing and goes through.

# %% [markdown]
# ## What the same work costs
#
# Estimates send nothing: `studio.estimate(...)` prices one request from the registry (tokens per image at
# each size, input tokens for the prompt and any images), and `tk.list_cost(info, usage, tier="batch")`
# applies the **Batch API** discount: half the standard price, in exchange for asynchronous turnaround
# (Google targets 24 hours, and it is usually faster). The table prices **100 text-to-image images** on
# every model the registry lists as available, at each size it supports.

# %%
N = 100
PROMPT = "A photorealistic product shot of a ceramic coffee cup on a wooden table, soft morning light."
rows = []
for info in tk.MODELS:
    if info.is_shut_down():
        continue
    for size in info.image_sizes or (None,):
        est = studio.estimate(PROMPT, model=info.id, image_size=size, refresh=True)
        usage = {"input_tokens": est.input_tokens, "output_tokens": est.output_image_tokens,
                 "output_image_tokens": est.output_image_tokens}
        rows.append({
            "model": info.id, "nickname": info.nickname, "size": size or "fixed",
            "px (1:1)": "×".join(map(str, info.pixel_size("1:1", size))),
            "tokens/image": est.output_image_tokens,
            "usd/image": est.list_cost_usd,
            f"{N} images": est.list_cost_usd * N,
            f"{N} in batch": tk.list_cost(info, usage, tier="batch") * N,
        })
costs = pd.DataFrame(rows).round({"usd/image": 4, f"{N} images": 2, f"{N} in batch": 2})
costs

# %% [markdown]
# Every price here is the registry's, checked against Google's pricing page on the date in
# `tk.models_table()["checked"]`; genai-prices (0.2.5 and later) carries them all, Nano Banana 2.1's
# included. The original Nano Banana (`gemini-2.5-flash-image`, $0.039 per image) is left out: it passed
# its listed shutdown date.

# %%
fig, ax = plt.subplots(figsize=(10, 0.42 * len(costs) + 1), constrained_layout=True)
labels = [f"{n} · {s}" for n, s in zip(costs.nickname, costs["size"], strict=True)]
y = range(len(costs))
ax.barh([i - 0.2 for i in y], costs[f"{N} images"], height=0.4, label="standard", color="#4477aa")
ax.barh([i + 0.2 for i in y], costs[f"{N} in batch"], height=0.4, label="batch (50%)", color="#88ccee")
ax.set_yticks(list(y), labels)
ax.invert_yaxis()
ax.set_xlabel(f"USD for {N} images (list price)")
ax.set_title(f"{N} generated images: each model and size, standard vs batch")
for i, std, batch in zip(y, costs[f"{N} images"], costs[f"{N} in batch"], strict=True):
    ax.text(std, i - 0.2, f" ${std:.2f}", va="center", fontsize=8)
    ax.text(batch, i + 0.2, f" ${batch:.2f}", va="center", fontsize=8, color="#555")
ax.set_xlim(0, costs[f"{N} images"].max() * 1.12)
ax.legend(loc="lower right")
ax.grid(axis="x", alpha=0.3)

# %% [markdown]
# ### The same work on each access path
#
# The model is reached four ways, and they bill differently. The Gemini API and Vertex AI bill tokens at
# the same list prices (batch at 50%). OpenRouter passes Google's token prices through and reports the
# charge itself in `usage.cost`, which the toolkit records as `cost_usd`. fal.ai bills a flat price per
# image. The same 100 images, priced on each path from the registry and the dated override table in
# `toolkit.pricing.OVERRIDES`:

# %%
from toolkit.backends.fal import fal_price

paths = []
for model_id, size in [("gemini-3.1-flash-image", "1K"), ("gemini-3.1-flash-image", "2K"), ("gemini-3-pro-image", "1K")]:
    info = tk.registry.lookup(model_id)
    tokens = info.output_image_tokens(size)
    usage = {"input_tokens": 50, "output_tokens": tokens, "output_image_tokens": tokens}
    standard = tk.list_cost(info, usage) * N
    fal = fal_price(info.fal_app, size)
    paths.append({
        "model": info.nickname, "size": size,
        "Gemini API": round(standard, 2), "Gemini API batch": round(tk.list_cost(info, usage, tier="batch") * N, 2),
        "Vertex AI": round(standard, 2), "OpenRouter (reported)": round(standard, 2),
        "fal.ai (flat)": round(fal * N, 2) if fal else None,
    })
pd.DataFrame(paths).set_index(["model", "size"])

# %% [markdown]
# A cross-provider study (`studio.compare(..., backends=["gemini", "openrouter", "fal"])`) puts the real
# numbers side by side. Each provider needs its own key; offline, every path is the simulator.
#
# And this notebook's own workload, re-priced from its ledger rows: the recorded tokens of every call
# that was sent, priced at the standard rate and at the batch rate. (A chat or an interactive edit cannot
# really wait a day for a batch, so read this as the bound for the jobs that can.)

# %%
MODEL_INFO = {info.id: info for info in tk.MODELS}
billed = df[~df.cached & (df.status != "refused")]


def reprice(row: pd.Series, tier: str = "standard") -> float:
    """List price of one ledger row's recorded tokens, at the given tier."""
    info = MODEL_INFO[row.model]
    usage = row[["input_tokens", "output_tokens", "output_image_tokens", "thought_tokens"]].to_dict()
    return tk.list_cost(info, usage, tier=tier)


print(f"this workload at list price:         ${billed.list_cost_usd.sum():.4f}")
print(f"the same rows through the Batch API: ${billed.apply(reprice, axis=1, tier='batch').sum():.4f}")

# %% [markdown]
# ## Service tiers and grounding
#
# A `generate_content` call on the Gemini API picks its **service tier** with `service_tier=`:
# `"standard"` (the default), `"flex"` (half price; best-effort, it can wait minutes or be shed at peak
# load) or `"priority"` (a premium; served first, and quietly served, and billed, as standard when over the
# priority limit). The **Batch API** is the fourth way to pay: half price, asynchronous. The factors live
# in one dated, sourced table, `tk.pricing.TIERS`:

# %%
for name, entry in tk.pricing.TIERS.items():
    print(f"{name:9} x{entry['factor']:<4} checked {entry['checked']}  {entry['source'][:88]}…")

# %% [markdown]
# Per output image, for every current model and size (only the image's own tokens; the prompt and any
# input images add a little). A tier a model does not offer is empty: 2.5 Flash Image had no flex or
# priority. The last column is search grounding, which is priced separately (below).

# %%
tiers = tk.pricing.tier_table()
tiers.set_index(["model", "size"]).round(4)

# %% [markdown]
# The same 100 coffee-cup images as above, at 1K (2.5's fixed size), on each tier. Priority is the
# premium Google publishes as "75% to 100% more than standard"; the toolkit prices it at 1.8x, the
# per-model figure Vertex lists for 3 Pro Image. A budget reserves each call at its tier's price.

# %%
rows = []
for info in tk.MODELS:
    if info.is_shut_down():
        continue
    size = "1K" if "1K" in info.image_sizes else None
    est = studio.estimate(PROMPT, model=info.id, image_size=size, refresh=True)
    usage = {"input_tokens": est.input_tokens, "output_tokens": est.output_image_tokens,
             "output_image_tokens": est.output_image_tokens}
    row = {"model": info.nickname, "size": size or "fixed"}
    for tier in tk.pricing.TIERS:
        offered = tier == "batch" or tier in info.service_tiers
        row[tier] = round(tk.list_cost(info, usage, tier=tier) * N, 2) if offered else None
    rows.append(row)
by_tier = pd.DataFrame(rows).set_index(["model", "size"])
by_tier

# %%
ax = by_tier[["flex", "batch", "standard", "priority"]].plot.barh(
    figsize=(10, 0.5 * len(by_tier) + 1.5), color=["#88ccee", "#44aa99", "#4477aa", "#cc6677"], width=0.8)
ax.invert_yaxis()
ax.set_xlabel(f"USD for {N} images at 1K (list price)")
ax.set_ylabel("")
ax.set_title(f"{N} images on each service tier")
ax.grid(axis="x", alpha=0.3)

# %% [markdown]
# **Search grounding** (`grounding="web"`, or `("web", "image")` on the models that have image search) lets
# the model look things up before it draws. On Gemini 3 models each **search query** the model runs is
# billed on top of the tokens, whatever the tier; the ledger's `grounding_queries` column counts them and
# `cost_usd` includes them. Google gives an account 5,000 grounded prompts a month free across its Gemini 3
# models; the toolkit cannot see how much of that is left, so it records the list price, an upper bound.

# %%
g = tk.pricing.GROUNDING["gemini-3"]
print(f"Gemini 3 grounding: ${g['per_query']:.3f} per {g['unit']} (${g['per_query'] * 1000:.0f} per 1,000), "
      f"{g['free_per_month']:,} grounded prompts a month free (checked {g['checked']})")
grounded = []
for model_id in ("gemini-3.1-flash-image", "gemini-nano-banana-2.1", "gemini-3-pro-image"):
    info = tk.registry.lookup(model_id)
    tokens = info.output_image_tokens("1K")
    usage = {"input_tokens": 60, "output_tokens": tokens, "output_image_tokens": tokens}
    grounded.append({
        "model": info.nickname, "grounding": ", ".join(info.grounding),
        **{f"{q} queries": round(tk.list_cost(info, usage, grounding_queries=q), 4) for q in (0, 1, 3)},
        "3 queries, flex": round(tk.list_cost(info, usage, tier="flex", grounding_queries=3), 4),
    })
pd.DataFrame(grounded).set_index("model")

# %% [markdown]
# Two or three searches cost about as much as the image itself on the cheaper models, and flex halves
# only the tokens. Ground the prompts that need today's facts (a landmark, a score, the weather), not every
# prompt. 3.1 Flash-Lite has no grounding at all.
#
# With a key, `studio.generate("...", grounding="web", service_tier="flex")` sends both, and the ledger row
# shows the tier it was billed at (`tier`) and the searches it ran (`grounding_queries`). Offline, the
# simulator refuses both options: it has no search and no tiers to simulate.

# %% [markdown]
# ## Cost habits
#
# * **Draft small, finish big.** `image_size="512"` costs less than half of 2K on 3.1 Flash. Pick the
#   winner, then render it once at the size you need.
# * **Estimate before a loop.** `studio.estimate(prompt, n=..., model=..., image_size=...)` sends nothing,
#   and cache hits count as $0 in it.
# * **Let the cache work.** Identical requests replay for $0 (fix a `seed` when you want the same image
#   again on purpose). Pass `refresh=True` only when you really want a new answer.
# * **Batch anything that can wait.** Volume jobs (catalogues, dataset builds) cost half through the
#   Batch API; `service_tier="flex"` costs half too and stays synchronous (minutes, not a day).
# * **Pay for priority only where a person waits.** It costs 1.8x standard.
# * **Ground only what needs facts.** Each search query adds $0.014 on Gemini 3 models.
# * **Cap exploratory sessions.** `Studio(budget_usd=...)` turns a runaway loop into a clear exception.
# * **Watch p95, not just p50.** A workload of hundreds of calls is paced by its slow tail. `n=4` sends
#   its requests concurrently, so its wall time is about the slowest one, not the sum.

# %% [markdown]
# ## The CostMeter app
#
# The meter the other apps embed, on its own: spend against the budget, the list-price total, the number
# of calls and the last call's latency. It reads this Studio's ledger, so it counts calls from any cell or
# app. Call `.refresh()` after calls made in cells.

# %%
from toolkit.widgets import CostMeter

meter = CostMeter(studio)
studio.generate("a paper plane over a city", image_size="512")
meter.refresh()
meter

# %% [markdown]
# ## What this notebook cost

# %%
print(studio.session_ledger.cost_report())

# %%
import shutil

shutil.rmtree(SCRATCH, ignore_errors=True)  # the demo homes, so nothing is left behind
