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
# # 09 · A prompt comparison study, start to finish
#
# "Which prompt is better?" is a question about *many* images, not one. A **study** runs every
# combination of a few choices (prompt wording, model, seed, ...) and keeps each output with its cost,
# latency and scores, so the comparison is fair and can be repeated. This notebook runs one real study from
# beginning to end:
#
# 1. **design**: which axes, and why;
# 2. **estimate**: calls, cache hits and cost before anything is sent, and a budget that refuses;
# 3. **run**, with a progress bar;
# 4. look at it as a **grid** and as a shareable **HTML gallery**;
# 5. **metrics** against a reference photo, and what they do not measure;
# 6. the blind **arena** and **ratings** with confidence intervals;
# 7. **replay** the whole study from the cache for $0;
# 8. **batch mode** for work that can wait, at half price;
# 9. what it all **cost**.
#
# **The question.** A café wants a hero image for its late-opening menu. The designer has three ways of
# describing the light and two subjects, and wonders whether the cheaper **Nano Banana 2 Lite** is good
# enough for drafts, or whether drafts need **Nano Banana 2**.
#
# **Offline?** Without an API key the images come from the toolkit's **offline simulator**, stamped
# `OFFLINE SIMULATOR`. It draws simple scenes from the words of the prompt, so the study's *mechanics*
# (plans, prices, grids, metrics, judging, ratings, caching, batch jobs) are all real, but the pictures
# say nothing about how good either model is. The arena below is judged by a **scripted rule standing in
# for a person**, so that the notebook runs unattended. With a key, the same cells call the real models
# and you judge the pairs yourself.

# %% [markdown]
# ## Setup
#
# The key is read from the environment (`GEMINI_API_KEY` or `GOOGLE_API_KEY`). To paste one for this
# session only, run `import getpass, os; os.environ["GEMINI_API_KEY"] = getpass.getpass()` *before*
# creating the Studio. It is never printed, and it is never written to the ledger or to image files.
# With a key, this notebook costs real money: about $0.81 for the 24-cell study, $0.20 for the batch
# job (half of its $0.40 list price) and about $0.65 for the judge of section 10. To cap it, use
# `tk.Studio(budget_usd=2.00)`.

# %%
# %matplotlib inline
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt

import toolkit as tk

SCRATCH = Path(tempfile.mkdtemp(prefix="study-scratch-"))  # demo homes and the gallery; removed at the end

studio = tk.Studio()
studio

# %% [markdown]
# ## 1 · Design: the axes, and why
#
# A study is one prompt (or a list of them) and some **axes**. Every combination of axis values is one
# **cell**, which is one request. Choose each axis for a reason, and hold everything else fixed:
#
# | axis | values | why |
# |---|---|---|
# | `{subject}` (template placeholder) | cup of coffee, slice of cake | the content varies in real use; a wording that only works for one subject is fragile |
# | `replace={"LIGHT": [...]}` | three descriptions of the light | **the thing under test**: only these words change, the rest of the prompt is byte-identical |
# | `model` | Nano Banana 2, Nano Banana 2 Lite | the cost question: Lite lists at half the price per image |
# | `seed` | 1, 2 | two draws per cell, so a difference that holds across seeds is less likely to be luck |
# | `image_size`, `aspect_ratio` | `"1K"`, `"4:3"` (fixed) | the smallest size both models offer (Lite renders 1K only); one ratio, because ratio changes composition |
#
# 2 subjects × 3 wordings × 2 models × 2 seeds = **24 cells**. A `{placeholder}` is filled from the
# keyword axis of the same name. `replace=` searches for the literal text (`LIGHT` here) and substitutes
# each value in turn. Both work with a list of prompts too.
#
# The study also gets a **reference** photo, the café's current coffee shot, so that every output is
# scored for how close it stays to the house look. It also gets the **text** that should appear in the
# image (`expected_text=`), which is scored by OCR when `tesseract` is installed.

# %%
PROMPT = 'A {subject} on a table in a cosy café, LIGHT, with the words "OPEN LATE"'
AXES = dict(
    subject=["cup of coffee", "slice of cake"],
    replace={"LIGHT": ["soft morning light", "at sunset, warm light", "at night, neon glow"]},
    model=["nano-banana-2", "nano-banana-2-lite"],  # gemini-3.1-flash-image, gemini-3.1-flash-lite-image
    seed=[1, 2],
    image_size="1K",  # Lite renders 1K only
    aspect_ratio="4:3",
)
REFERENCE = tk.sample("coffee")  # the "house look": a real photo that ships with the toolkit
EXPECTED_TEXT = "OPEN LATE"

ref_preview = REFERENCE.copy()
ref_preview.thumbnail((240, 240))
ref_preview

# %% [markdown]
# ## 2 · Estimate before sending
#
# `studio.plan(...)` takes the same arguments as `compare` and sends nothing. It expands the axes into
# cells, builds every request, looks each one up in the cache and prices the rest from the registry.
# `estimate_usd` is what the run would **spend** and `list_estimate_usd` what the outputs cost at list
# price. Offline, and for cells already in the cache, spending is $0.

# %%
plan = studio.plan(PROMPT, reference=REFERENCE, expected_text=EXPECTED_TEXT, **AXES)
print(plan)
print(f"cells: {plan.calls}, already cached: {plan.cached}, "
      f"would spend ${plan.estimate_usd:.4f}, list price ${plan.list_estimate_usd:.4f}")

# %% [markdown]
# The exact prompts, built from the template and the replacements. Each one is sent once per model and
# seed:

# %%
for text in dict.fromkeys(c.prompt for c in plan.cells):
    print(text)

# %% [markdown]
# **A budget refuses the whole study before anything is sent.** Offline there is nothing to refuse, so
# here the study is planned against the toolkit's loopback fake of the Gemini API, `tk.FakeGeminiServer`.
# It speaks the real REST protocol to the real SDK and draws with the simulator. To the Studio it *is*
# the paid API, so it prices every call at list price. Nothing is charged and nothing leaves the
# machine: the "key" is a dummy string, and the Studio gets a throwaway home. With a $0.25 cap, the
# $0.81 plan is refused whole, and the server counts zero calls.

# %%
with tk.FakeGeminiServer() as server:
    paid = tk.Studio(backend="gemini", api_key="demo-not-a-real-key", base_url=server.base_url,
                     budget_usd=0.25, home=tempfile.mkdtemp(prefix="budget-demo-", dir=SCRATCH))
    print(paid.plan(PROMPT, **AXES))
    try:
        paid.compare(PROMPT, progress=False, **AXES)
    except tk.BudgetExceededError as err:
        print(f"refused: {err}")
    print(f"requests the API received: {server.call_count}")

# %% [markdown]
# A refused study is all or nothing: it never runs half the cells and leaves you to guess which half.
# Lower the cost instead (fewer seeds, Lite only, or the cells you have not run yet: the cache makes
# those the only ones that count) or raise the cap.
#
# ## 3 · Run
#
# `compare` runs the plan. The cells go out concurrently, up to the Studio's `concurrency` (8) and any
# rate limit, and the expensive axes (model, size) form the outer loop, so a run stopped by a budget leaves
# whole slices. A failed or refused cell stays in the study as a placeholder with its reason, and never
# becomes an exception that throws the other cells away. The progress bar shows spend and failures as it
# goes.

# %%
t0 = time.perf_counter()
study = studio.compare(PROMPT, reference=REFERENCE, expected_text=EXPECTED_TEXT, **AXES)
first_run_s = time.perf_counter() - t0
print(f"{first_run_s:.1f} s wall time")
study

# %% [markdown]
# `study.df` has one row per cell: the axis values, the exact prompt, status, cost, latency, whether the
# cell came from the cache, the metrics and the path of the stored image.

# %%
cols = ["subject", "replace:LIGHT", "model", "seed", "status", "cost_usd", "list_cost_usd", "latency_s", "cached"]
study.df[cols].head(8)

# %% [markdown]
# `study.summary(by)` aggregates by any axis. The model axis carries the cost question: at 1K Lite
# lists at half of Nano Banana 2's price per image.

# %%
study.summary("model")

# %% [markdown]
# ## 4 · The grid
#
# `study.grid(rows=..., cols=...)` puts one axis down and one across. Here the rows are the three
# wordings and the columns the two models. The other axes (subject, seed) become sub-columns, named in
# each thumbnail's title along with its list price and latency. Failed cells would show as grey
# placeholders with their reason.

# %%
fig = study.grid(rows="replace:LIGHT", cols="model", cell_size=1.9)

# %% [markdown]
# ## 5 · A gallery to share
#
# `study.to_html(path)` writes **one self-contained HTML file**: thumbnails embedded as data URIs, every
# cell's axes and caption, and the full table. Mail it, put it in a ticket, or open it in any browser. No
# server is needed and no image files travel separately. It is written to a temporary folder here and
# shown inline below. To keep it, give a path of your own.

# %%
gallery = study.to_html(SCRATCH / "cafe_study.html",
                        title="Café hero image: wording × model", max_side=200)
print(f"{gallery}  ({gallery.stat().st_size / 1024:.0f} KB, one file)")

# %%
import html

from IPython.display import IFrame

# The page inline (srcdoc), since a file in /tmp is outside what the Jupyter server can serve as a URL.
IFrame("about:blank", width="100%", height=460,
       extras=[f'srcdoc="{html.escape(gallery.read_text(encoding="utf-8"))}"', 'style="border:1px solid #ddd"'])

# %% [markdown]
# ## 6 · Metrics: what they measure, and what they do not
#
# All of these run locally with no model weights (`toolkit/metrics.py` documents each one). They measure
# **pixels, not meaning**: use them to sort and to flag, never as the verdict.
#
# | column | measures | does **not** measure |
# |---|---|---|
# | `sim_phash` | layout of light and dark, compared with `reference` (perceptual hash) | colour, identity, small details: two different cups in the same pose score high |
# | `sim_ssim` | local structure (edges, texture) at the *same positions* | anything that moved: a subject shifted a few percent drops it sharply |
# | `sim_histogram` | the palette: which colours, in what proportions | shapes and where the colours are: a red car and a red apple can match |
# | `ar_error` | how far the output's width/height is from the requested ratio (0 = exact) | anything about content |
# | `text_accuracy` | whether OCR reads `expected_text` as those characters (needs `tesseract`) | typography, placement, extra text; OCR misreads stylised lettering |

# %%
metric_cols = [c for c in ("ar_error", "sim_phash", "sim_ssim", "sim_histogram", "text_accuracy") if c in study.df]
study.df.groupby(["replace:LIGHT", "model"])[metric_cols].mean().round(3)

# %%
if "text_accuracy" in study.df:
    print("text_accuracy comes from tesseract OCR on each image.")
else:
    print("No text_accuracy column: `tesseract` is not installed here, so expected_text was not scored.")
if studio.backend.kind == "offline":
    print("Offline, the simulator draws no lettering in the scene. It does print the prompt in small type "
          "along the bottom edge, so an OCR score would be reading that caption, not a sign in the café.")

# %% [markdown]
# How to read these numbers. `ar_error` is about 0.004 everywhere: at 1K both models return
# 1200×896 for 4:3, a hair wider than exact 4:3. The similarity scores are modest, as they should be. A café
# scene is not the reference photo, and the study wanted "the same palette", not "the same picture".
# The histogram column answers "does it keep the house colours?": the warm sunset wording keeps them
# best and the night wording least. That is a useful flag, but it is not "better". A person may well
# prefer the night picture for a late-opening menu.

# %% [markdown]
# ## 7 · The blind arena, and ratings
#
# Metrics rank pixels; **people** judge images. The arena shows two outputs of the same cell that differ
# only in the chosen **arm** (here the wording; every other axis equal), without labels, in random order
# and on random sides. The judge picks left, right or tie. Each judgement is appended to
# `judgements.jsonl` in the Studio's home, so several judges in several kernels add up.
# `study.ratings(arm)` then fits **Bradley–Terry** scores: centred log-odds of winning, where 0 is an
# average arm and +0.69 means twice the odds against it. The 95% intervals are bootstrapped over the
# judgements.
#
# **A stand-in for a person.** So that this notebook runs unattended (and CI exercises the arena), the
# pairs below are judged by a **scripted rule**, recorded under the judge name `scripted stand-in`.
# The rule prefers the image whose palette is closer to the reference photo (higher `sim_histogram`), and
# calls a tie within 0.005. Its ratings can only echo that metric. **It is not a human preference, and
# nothing below says which wording people like.** It drives the same `Arena` object a person clicks:
# `arena.current` is the pair on screen (left key, right key), and `arena.choose("left" | "right" |
# "tie")` records the choice.

# %%
from toolkit.ratings import load_judgements

ARM = "replace:LIGHT"
JUDGE = "scripted stand-in"
arena = study.arena(arm=ARM, seed=0, judge=JUDGE)
palette = study.df.set_index("key")["sim_histogram"]  # request key -> palette similarity to the reference


def stand_in_choice(left_key: str, right_key: str) -> str:
    """The scripted rule (not a person): the closer palette wins, within 0.005 it's a tie."""
    diff = palette[left_key] - palette[right_key]
    return "tie" if abs(diff) < 0.005 else ("left" if diff > 0 else "right")


already = [j for j in load_judgements(studio.store.home, study=arena.study_id) if j.judge == JUDGE]
if already:  # rerunning the notebook on the same home: don't count the stand-in twice
    print(f"the stand-in already judged this study ({len(already)} judgements in the home); not judging again")
else:
    while arena.current is not None:
        arena.choose(stand_in_choice(*arena.current))
    print(f"{len(arena.judged)} pairs judged by the stand-in: "
          + ", ".join(f"{side}: {sum(j.outcome == side for j in arena.judged)}" for side in ("a", "b", "tie"))
          + "   (a = left, b = right)")

# %%
ratings = study.ratings(ARM)
ratings

# %% [markdown]
# `score` is the fitted log-strength, and `ci_low`/`ci_high` its bootstrap 95% interval. The stand-in
# never contradicts itself: "sunset" has the warmest palette in every pair, so it wins all its
# comparisons, and the intervals come out narrow and well apart. **Do not read that as certainty.** The
# bootstrap resamples *these* judgements. It cannot know that all of them came from one rule, which is
# one opinion applied 24 times. People disagree with each other, and with themselves. With real judges,
# expect wider intervals that often overlap in a study this small. Collect several judges before
# declaring a winner, and treat overlapping intervals as "no clear difference yet".

# %%
fig, ax = plt.subplots(figsize=(7, 2.4), constrained_layout=True)
y = range(len(ratings))
ax.errorbar(ratings["score"], list(y),
            xerr=[ratings["score"] - ratings["ci_low"], ratings["ci_high"] - ratings["score"]],
            fmt="o", capsize=4, color="#4477aa")
ax.axvline(0, color="#999", lw=0.8, ls="--")
ax.set_yticks(list(y), ratings.index)
ax.invert_yaxis()
ax.set_xlabel("Bradley–Terry score (log-odds vs an average arm), 95% bootstrap interval")
ax.set_title(f"Wordings, judged by the {JUDGE} ({int(ratings.comparisons.sum() // 2)} judgements)", fontsize=10)
ax.grid(axis="x", alpha=0.3)

# %% [markdown]
# ### Your turn: the Arena app
#
# The app below is the same arena for a **person**, on the model arm: Nano Banana 2 against Lite, with
# everything else equal. Click *Left is better*, *Right is better* or *Tie* (or *Skip*). Your judgements
# go into the home under your login name, and `study.ratings("model")` includes them. Run it again
# tomorrow, or in another kernel, and the judgements add up. Offline, both models are drawn by the same
# simulator, so there is nothing real to prefer. With a key, this is the quickest honest answer to
# "is Lite good enough for our drafts?".

# %%
study.arena(arm="model", seed=1)

# %% [markdown]
# ## 8 · Replay from the cache, at $0
#
# Every `ok` answer was cached under its request's key (a hash of backend, model, prompt, inputs and
# options). Running the same study again replays each cell from the cache. The replay sends nothing,
# costs $0, and returns the same images. This is what makes a study **reproducible**: share the home (or
# a replay pack, see notebook 10) and anyone can rebuild the grid, the gallery and the metrics exactly.
# Pass `refresh=True` to send everything again on purpose.

# %%
t0 = time.perf_counter()
again = studio.compare(PROMPT, reference=REFERENCE, expected_text=EXPECTED_TEXT, progress=False, **AXES)
replay_s = time.perf_counter() - t0
print(again)
print(f"every cell cached: {bool(again.df.cached.all())}, spent ${again.spent_usd:.4f}, "
      f"{replay_s:.2f} s (first run {first_run_s:.2f} s)")
print("identical images:", all(study.results[i].outputs[0].data == again.results[i].outputs[0].data
                               for i in study.results))
again.df[["subject", "replace:LIGHT", "model", "seed", "status", "cached", "cost_usd"]].head(4)

# %% [markdown]
# ## 9 · Batch mode: half price, for work that can wait
#
# `compare(..., mode="batch")` sends the study through the **Gemini Batch API**, which bills **50% of
# the list price** in exchange for asynchronous turnaround (Google's target is 24 hours; it is usually
# much faster). The call returns at once, with every uncached cell `pending`: one job per model, recorded
# in the home's `batches` table. `study.refresh()` polls, and collects each finished job exactly once. Its
# images are stored and cached under the **same keys** as a synchronous run, and each cell gets one
# ledger row with `tier="batch"` and `cost_usd` at the batch price. `studio.resume(job_name)` rebuilds the
# study later from another Studio, kernel or process on the same home.
#
# Here a third seed is sent as a batch. Offline, the simulated job completes on its first poll. With a
# key, expect the cells to stay `pending` for a while: come back and `refresh()`, or `resume()` it.

# %%
batch = studio.compare(PROMPT, mode="batch", **{**AXES, "seed": [3]})
print(batch)
print(batch.jobs)
batch.df.status.value_counts()

# %%
batch.refresh()  # with a key: call again later, or batch.wait(timeout_s=...)
print(batch)
print("done:", batch.done, "| jobs:", batch.jobs)
studio.batches()[["name", "model", "state", "requests", "collected"]]

# %% [markdown]
# What the third seed costs, from its ledger rows: `list_cost_usd` is the standard list price, and
# `tk.list_cost(..., tier="batch")` re-prices the same tokens at the batch rate. Offline both are what a
# key *would* pay, and `cost_usd` is $0.

# %%
MODEL_INFO = {info.id: info for info in tk.MODELS}
rows = studio.session_ledger.df
batch_rows = rows[rows["tier"] == "batch"]
usage_cols = ["input_tokens", "output_tokens", "output_image_tokens", "thought_tokens"]
batch_price = sum(tk.list_cost(MODEL_INFO[r.model], r[usage_cols].to_dict(), tier="batch")
                  for _, r in batch_rows.iterrows())
print(f"{len(batch_rows)} batch rows: standard list price ${batch_rows.list_cost_usd.sum():.4f}, "
      f"batch price ${batch_price:.4f}, spent ${batch_rows.cost_usd.sum():.4f}")

# %% [markdown]
# The collected answers are ordinary cache entries, so the same cells run synchronously now replay at $0:

# %%
if batch.done:
    sync = studio.compare(PROMPT, progress=False, **{**AXES, "seed": [3]})
    print(sync)
else:  # with a key the job may still be running; sending these cells now would pay full price
    print(f"{len(batch.pending)} cells still pending; resume later with studio.resume({next(iter(batch.jobs))!r})")

# %% [markdown]
# ## How to run a study that answers its question
#
# * **Write the question first.** "Is Lite good enough for drafts?" decides the axes (model), the
#   arm to judge (model) and the size (draft size).
# * **Vary one thing per axis and hold the rest.** `replace=` changes only the words under test, so
#   any difference comes from them.
# * **Use more than one seed.** One image per cell is an anecdote. Two or three per cell show whether a
#   difference is stable.
# * **Plan, then run.** `studio.plan(...)` costs nothing. Read its cost, then set a budget.
# * **Draft at 512, finish at 1K or 2K.** Re-render only the winner at the size you need.
# * **Metrics flag, people decide.** Sort by a metric to find outliers. Let blind judgements from several
#   people pick the winner, and read the intervals before declaring one.
# * **Batch what can wait.** An overnight grid costs half.
# * **Share the gallery and the cache.** `to_html` for people, a replay pack (notebook 10) for anyone who
#   wants to rerun it.

# %% [markdown]
# ## 10 · A judge that scales, and how far to trust it
#
# The arena asked one (scripted) judge about 24 pairs. A study of 200 cells needs a judge that scales: a
# **vision-model judge**. `study.judge(rubric)` sends every cell's image, its prompt and the reference photo
# to a vision-capable Gemini *text* model (default `gemini-3.8-flash`) and asks for **structured output**:
# one score from 1 to 5 and one short reason per criterion, as JSON that must fit a response schema. The
# calls take the same path as the images: cached (a repeat is $0), estimated and checked against the
# budget *before* anything is sent, and one ledger row each, with `operation="judge"`. An answer that is
# refused, cut short or not valid JSON is a failed judge cell with its reason, never a crash.
#
# **Offline** the judge is the **simulated judge**, labelled in every row. It cannot see; it scores only
# what the simulator honestly knows: what it drew for the prompt, the aspect-ratio error, a thumbnail
# similarity to the reference, and the pixel count. It cannot read text, so "legible" gets a neutral 3 and
# says so. Like the metrics, it shows the **mechanics**, never which wording is better.
#
# First the estimate (nothing is sent), then the verdicts:

# %%
RUBRIC = {
    "follows the prompt": "the subject, the light and the café setting are all there",
    "framing": "the 4:3 frame that was asked for",
    "the text is legible": 'the words "OPEN LATE" can be read',
}
print(study.judge(RUBRIC, dry_run=True))  # the estimate only

# %%
verdicts = study.judge(RUBRIC)  # prints its estimate, checks the budget, then judges
scores = [c for c in study.df.columns if c.startswith("judge_") and not c.startswith(("judge_reason", "judge_error"))]
study.df[["subject", "replace:LIGHT", "model", "seed", "judge", *scores]].head(6)

# %%
print(study.df["judge_reason_follows_the_prompt"].iloc[0])
print(study.df["judge_reason_the_text_is_legible"].iloc[0])
judged_again = study.judge(RUBRIC, show=False)
print(f"judged again: every verdict cached: {bool(judged_again.cached.all())}, "
      f"spent ${judged_again.cost_usd.sum():.4f}")

# %% [markdown]
# **One verdict is one draw.** A model judge, asked again, can answer differently. `samples=2` asks twice
# (the sample index is part of the cache key), and `study.df` reports the mean and the spread:

# %%
study.judge(["follows the prompt"], samples=2, show=False)
study.df[["replace:LIGHT", "model", "judge_follows_the_prompt", "judge_follows_the_prompt_sd",
          "judge_follows_the_prompt_n"]].head(4)

# %% [markdown]
# ### The judge on the arena's pairs
#
# `study.judge_pairs(arm, criterion)` shows the judge the same pairs the arena showed (two outputs of the
# same cell that differ only in the wording), and asks each pair **in both orders**. A judge that prefers
# whichever image comes first has a **position bias**: `first_shown_share` would be far from 0.5, and
# its two answers would disagree. Verdicts are filed beside the arena's under the judge's own id, so
# `study.ratings(ARM, by="judge")` fits Bradley–Terry on them alone, `by="human"` on the people's (here,
# the stand-in's) and `by="all"` on both. The criterion is the stand-in's own question: the house look.

# %%
pairs = study.judge_pairs(arm=ARM, criterion="stays closest to the house look of the reference photo")
print(pairs)
pairs.df[["pair", "better", "status", "cached", "reason"]].head(4)

# %%
import pandas as pd

pd.concat({"stand-in (arena)": study.ratings(ARM, by="human")[["score", "ci_low", "ci_high"]],
           "judge": study.ratings(ARM, by="judge")[["score", "ci_low", "ci_high"]]}, axis=1)

# %% [markdown]
# ### The agreement table
#
# `study.agreement(ARM)` puts the judge and the people on the same pairs. Every figure comes with its
# count `n` and a 95% bootstrap interval, and a `note` when it is too uncertain to mean anything:
#
# * **human vs judge**: how often they pick the same winner, Cohen's **kappa** (that agreement corrected
#   for chance: 0 is chance, 1 is perfect) and Kendall's **tau** between their rankings of the wordings;
# * **human vs human**: Krippendorff's **alpha**, when several people judged (notebook 10 shows a room);
# * **judge vs itself**: the same pair in both orders, and the rubric across samples.

# %%
agreement = study.agreement(ARM)
agreement

# %% [markdown]
# **Deciding how far to trust each.** A rule of thumb (not a law): kappa or alpha above 0.6 with a
# narrow interval is *substantial* agreement; 0.4 to 0.6 is a second opinion, not a replacement; below
# 0.4, do not use that judge for that criterion. A figure flagged "too uncertain" says nothing yet: judge
# more pairs first. And agreement is not correctness: the judge and the people can share a bias, and a
# judge can agree with itself while being wrong. **Offline, the stand-in and the simulated judge read
# related evidence (palette against a grey-thumbnail similarity), so whatever they agree on is partly
# built in.** With a key, the same table compares a real vision model with real people.

# %%
def trust(row: pd.Series) -> str:
    if row["note"]:
        return "not yet: " + row["note"]
    if row["measure"] == "agreement rate":  # raw agreement includes luck: read it with the kappa below it
        return f"{row['value']:.0%} the same answer (chance alone gives some of this)"
    if row["value"] >= 0.6:
        return "substantial: use it to triage, and spot-check"
    if row["value"] >= 0.4:
        return "moderate: a second opinion, not a replacement"
    return "poor: do not rely on it for this criterion"


for _, row in agreement.iterrows():
    print(f"{row['comparison']:<58} {row['measure']:<32} {trust(row)}")

# %% [markdown]
# ## What this notebook cost

# %%
print(studio.session_ledger.cost_report())

# %%
import shutil

shutil.rmtree(SCRATCH, ignore_errors=True)  # the demo's temporary folders, so nothing is left behind
