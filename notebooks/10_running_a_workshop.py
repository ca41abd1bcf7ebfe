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
# # 10 · Running a workshop
#
# Thirty people, one afternoon, a few API keys at best, and conference Wi-Fi. The toolkit has two answers,
# and they combine:
#
# - **A · the classroom gateway** (the live part): the instructor runs a small server that holds the one key;
#   every student's toolkit talks to it with a **seat token**, and each seat's budget is enforced **on the
#   server**, where students cannot change it. Identical requests from different seats go upstream once, and
#   a dashboard shows the room's spend live. Section A rehearses it offline (`classroom serve --offline`).
# - **Replay packs** (no network at all): **prepare once with a real key** and hand the room exactly those
#   results:
#
# 1. **prepare**: the instructor runs the workshop's exercises once, with a key;
# 2. **export** the cached answers as one **replay pack** and read its manifest;
# 3. **distribute** the single file, which holds no key (checked below, byte by byte);
# 4. **replay as a student** with no key and no network: identical images, `cached=True`, $0. A request
#    that is not in the pack goes to the offline simulator, or, in strict mode, gets a clear "not in the
#    pack" answer;
# 5. give every seat a **budget** with `TOOLKIT_BUDGET_USD`, and watch it on the `CostMeter`;
# 6. let a room **share one key without a stampede**, through a rate limit that every kernel on the machine
#    obeys;
# 7. **checklists**: for the instructor, and what students see.
#
# **Who plays the paid API here.** This notebook must run anywhere, with no key and no network, so the
# instructor's "real key" run goes to **`tk.FakeGeminiServer`**. That is the toolkit's loopback fake of the
# Gemini API: it runs inside this notebook, speaks the real REST protocol to the real google-genai SDK,
# checks the API key on every request like the real service, and answers with images from the **offline
# simulator** (so they carry its `OFFLINE SIMULATOR` stamp). To the Studio it *is* the paid API, so the
# instructor's ledger records list prices as spend. **Nothing is charged and nothing leaves the machine.**
# With a real key, leave out `base_url=` and the same steps record real Gemini images.

# %% [markdown]
# ## Setup
#
# Everything here lives in a throwaway folder: one home for the instructor and one for each student and
# seat. Your own ledger and cache are not touched. The "key" is a made-up string, easy to search for.

# %%
# %matplotlib inline
import os
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import toolkit as tk

WORKDIR = Path(tempfile.mkdtemp(prefix="workshop-"))
PACK = WORKDIR / "workshop.pack"
KEY = "DEMO-instructor-key-not-real-7f3c9a"  # stands in for the instructor's real key

server = tk.FakeGeminiServer(api_key=KEY, latency_s=0.1).start()  # the "paid API" for this notebook
print(f"working in {WORKDIR}\nfake Gemini API on {server.base_url} (loopback only)")

# %% [markdown]
# ## A · The classroom gateway: one key for the room, budgets on the server
#
# Three commands for the instructor (the first two once, before the day):
#
# ```bash
# flash-image classroom init room.db --seats 30 --budget-per-seat 0.50 --models nano-banana-2
# flash-image classroom reissue room.db --seat seat-07        # a lost card: the old token stops working
# GEMINI_API_KEY=... flash-image classroom serve room.db --host 0.0.0.0
# ```
#
# `init` writes `room.db` (seats, caps and the ledger; tokens only as hashes) and `room.seats.csv` with one
# token per seat, for printing cards; it prints the **instructor token** once. Here the room has three seats
# at $0.15 each (two 1K images at about $0.067), and the gateway runs with `--offline`, so the simulator
# answers and no key is needed. On the day, drop `--offline` and set `GEMINI_API_KEY`: nothing else changes.

# %%
import csv
import json
import socket
import time

ROOM = WORKDIR / "room.db"
made = subprocess.run([sys.executable, "-m", "toolkit", "classroom", "init", str(ROOM), "--seats", "3",
                       "--budget-per-seat", "0.15", "--models", "nano-banana-2", "--json"],
                      capture_output=True, text=True, check=True)
INSTRUCTOR_TOKEN = json.loads(made.stdout)["instructor_token"]
with open(json.loads(made.stdout)["seats_csv"]) as f:
    cards = {row["seat"]: row["token"] for row in csv.DictReader(f)}
print(f"seats: {list(cards)}; a card reads: {next(iter(cards))}  {next(iter(cards.values()))[:12]}…")

with socket.socket() as s:  # a free port on this machine
    s.bind(("127.0.0.1", 0))
    PORT = s.getsockname()[1]
gateway = subprocess.Popen([sys.executable, "-m", "toolkit", "classroom", "serve", str(ROOM), "--offline",
                            "--port", str(PORT)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
GATEWAY = f"http://127.0.0.1:{PORT}"
print(gateway.stdout.readline().strip())  # "classroom gateway on http://127.0.0.1:PORT (offline simulator ...)"
for _ in range(300):
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", PORT)) == 0:
            break
    time.sleep(0.1)

# %% [markdown]
# ### A1 · Students: a seat token instead of a key
#
# `tk.Studio(classroom=url, seat_token=...)` is the Gemini backend pointed at the gateway with the seat token
# as its key (`backend="gemini", base_url=url, api_key=token` says the same, and plain google-genai code works
# too). Two students run **the same notebook cell**: the gateway sends it upstream once, and the second seat
# gets the answer from the room's cache, recorded at $0 for that seat.

# %%
ada = tk.Studio(classroom=GATEWAY, seat_token=cards["seat-01"], home=WORKDIR / "gateway-ada")
ben = tk.Studio(classroom=GATEWAY, seat_token=cards["seat-02"], home=WORKDIR / "gateway-ben")
first = ada.generate("A paper boat on a pond at dawn", image_size="1K", seed=3)
same_cell = ben.generate("A paper boat on a pond at dawn", image_size="1K", seed=3)
print(ada)
print("identical images:", first.image.tobytes() == same_cell.image.tobytes())
first

# %% [markdown]
# ### A2 · Budgets that hold on the server
#
# Before forwarding, the gateway estimates each call with the toolkit's own pricing and refuses it when the
# seat's spent + in-flight + estimate would pass the cap: **before anything is sent**. The refusal is
# Google's error JSON, so the toolkit (and the SDK) shows the message as it is: spent, estimate, cap, and who
# to ask. After an answer, the actual cost from `usageMetadata` replaces the estimate.

# %%
ada.generate("A paper boat in a storm", image_size="1K")
try:
    ada.generate("A paper boat on the moon", image_size="1K")
except tk.ProviderError as err:
    print(textwrap.fill(err.message, 100))

# %% [markdown]
# ### A3 · The instructor's view: `tk.Classroom`
#
# The same data as the dashboard (open `GATEWAY + "/classroom/#token=" + instructor token` in a browser: spend
# per seat against its cap, calls, errors, cache savings, live, with buttons to raise a cap, revoke a seat or
# pause the room), as pandas frames, with the same controls:

# %%
classroom = tk.Classroom(GATEWAY, INSTRUCTOR_TOKEN)
classroom.seats[["cap_usd", "spent_usd", "calls", "errors", "cache_hits", "saved_usd", "revoked"]]

# %%
classroom.ledger[["seat", "model", "status", "cached", "estimate_usd", "cost_usd", "saved_usd", "latency_s"]]

# %% [markdown]
# Raise Ada's cap live, and her next call goes through. Revoke a seat (a token that leaked), and it is refused
# at once; `classroom reissue` gives that seat a new card.

# %%
classroom.set_cap("seat-01", 0.50)
print("after raising the cap:", ada.generate("A paper boat on the moon", image_size="1K").status)
classroom.revoke("seat-02")
try:
    ben.generate("A paper boat in a bottle", image_size="1K")
except tk.ProviderError as err:
    print("revoked seat:", err.message)
classroom.seats[["cap_usd", "spent_usd", "calls", "cache_hits", "revoked"]]

# %% [markdown]
# **Fair use of one key.** `serve` takes `--rpm` and `--concurrency` per model for the whole room and
# `--seat-concurrency` per seat, so one seat cannot take the key's quota; a 429 from Google pauses the whole
# room for its `RetryInfo`, and students' toolkits wait and retry by themselves. **Security:** the gateway
# binds to 127.0.0.1 unless `--host` says otherwise (then it warns that traffic is plain HTTP and offers
# `--certfile/--keyfile`); a seat token reaches generation and the room's models only; the key never
# appears in a reply, log, ledger row or file.

# %%
gateway.terminate()
gateway.wait(timeout=30)
print("gateway stopped")

# %% [markdown]
# ## 1 · Prepare: run the exercises once, with a key
#
# Write the workshop's calls once, as a function (or as the workshop notebooks themselves). The instructor
# runs them to **record** the answers, and every student runs the very same calls to **replay** them.
# Replay matches the *exact* request: prompt, input images, model and options. A different word or size
# is a new request.

# %%
PROMPT_STUDY = "A {animal} at {time}"


def exercises(studio: tk.Studio) -> dict[str, tk.Result]:
    """The workshop's exercises: the same calls for the instructor (recording) and every student."""
    cat, coffee = tk.sample("cat"), tk.sample("coffee")
    return {
        "first image": studio.generate("A photo of my cat eating a nano-banana in a fancy restaurant",
                                       aspect_ratio="16:9", image_size="512"),
        "edit": studio.edit(cat, "Blur the background", image_size="512"),
        "fusion": studio.fuse([cat, coffee], "Put the cup of coffee in front of the cat", image_size="512"),
        "poster": studio.generate("A lighthouse at dusk, watercolour", aspect_ratio="3:4", image_size="512"),
    }


def exercise_study(studio: tk.Studio):
    """The workshop's small comparison study (notebook 09 shows studies in full)."""
    return studio.compare(PROMPT_STUDY, animal=["cat", "owl"], time=["noon", "night"], image_size="512",
                          progress=False)


# %% [markdown]
# The instructor's run, with the key, against the "paid API":

# %%
instructor = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=WORKDIR / "instructor")
recorded = exercises(instructor)
recorded_study = exercise_study(instructor)
print(instructor)
print(f"the API answered {server.call_count} requests; "
      f"the instructor spent ${instructor.spent_usd:.4f} (on the fake: nothing was charged)")
recorded["first image"]

# %%
instructor.session_ledger.df[["operation", "prompt", "status", "cached", "cost_usd", "latency_s"]]

# %% [markdown]
# ## 2 · Export a pack
#
# `studio.export_pack(path)` writes every cached `ok` answer in the Studio's home to one zip file. By
# default it takes **everything in the home**, so prepare in a home used only for the workshop (as here,
# or `TOOLKIT_HOME=~/workshop-home`). Alternatively, select with `since=`/`until=` (a time range),
# `session=instructor.session` (this Studio's calls) or `notebook="01_quickstart.ipynb"` (calls made from
# that notebook). Refused, blocked and failed calls are never cached, so they are never exported.

# %%
manifest = instructor.export_pack(PACK)
manifest

# %% [markdown]
# The **manifest** travels inside the pack. It records the backend that made the answers, the answers
# per model, the number of images, and what they **originally cost**: `original_cost_usd` is the money
# spent recording them, and `original_list_cost_usd` the list price of the outputs. Anyone can read it
# without importing the pack:

# %%
m = tk.read_pack_manifest(PACK)
print(f"{m.entries} answers, {m.images} images, recorded on {list(m.backends)} at {m.created}")
print(f"originally spent ${m.original_cost_usd:.4f} (list price ${m.original_list_cost_usd:.4f})")
pd.Series(m.models, name="answers per model")

# %% [markdown]
# The same from a terminal (`--home DIR` before `pack` picks the home; the default is `TOOLKIT_HOME`):
#
# ```bash
# python -m toolkit pack export workshop.pack                       # every cached answer in the home
# python -m toolkit pack export workshop.pack --since 2026-11-20    # or --until, --session, --notebook, --key
# python -m toolkit pack show workshop.pack                         # the manifest, as JSON
# python -m toolkit pack import workshop.pack                       # merge into this machine's home
# ```
#
# `pack show`, run for real on the pack just written:

# %%
shown = subprocess.run([sys.executable, "-m", "toolkit", "pack", "show", str(PACK)],
                       capture_output=True, text=True, check=True)
print(shown.stdout)

# %% [markdown]
# ## 3 · Distribute: one file, and no key inside
#
# The pack is the only thing students need: put it on a USB stick, a shared drive or the workshop
# repository. It holds the manifest, one line per cached answer, and the image files those answers
# refer to. It holds **no ledger, no session ids, and never a key**, because keys are never stored
# anywhere in the first place. This is easy to check: search every byte of the file, and of every member
# of the zip, for the key that recorded it.

# %%
raw = PACK.read_bytes()
with zipfile.ZipFile(PACK) as z:
    names = z.namelist()
    members = {n: z.read(n) for n in names}
print(f"{PACK.name}: {len(raw) / 1024:.0f} KB; {len(names)} members: manifest.json, cache.jsonl and "
      f"{sum(n.startswith('images/') for n in names)} images")
print("key in the file's bytes:     ", KEY.encode() in raw)
print("key in any member, unpacked: ", any(KEY.encode() in data for data in members.values()))
print("prompts in the pack:         ", b"fancy restaurant" in members["cache.jsonl"])

# %% [markdown]
# The last line is the one to remember: a pack **does** hold your prompts and images. Whatever you typed
# while preparing (a client's name, an internal product) goes to the room with it.
#
# ## 4 · Replay as a student
#
# A student's machine has no key and may have no network. `tk.Studio(replay=PACK)` (or `TOOLKIT_REPLAY`
# in the environment) merges the pack into the student's home, and every recorded request replays from
# it: the same image bytes, `cached=True`, $0, and nothing sent. `backend="offline"` below plays "no key"
# even if this machine has one. On a student's laptop, plain `tk.Studio()` with `TOOLKIT_REPLAY` set
# does the same.

# %%
calls_before = server.call_count
student = tk.Studio(backend="offline", replay=PACK, home=WORKDIR / "student-ada")
student

# %%
replayed = exercises(student)
replayed_study = exercise_study(student)


def same_bytes(a: tk.Result, b: tk.Result) -> bool:
    return [o.data for o in a.outputs] == [o.data for o in b.outputs]


pd.DataFrame([{"exercise": name, "identical image bytes": same_bytes(recorded[name], r), "cached": r.cached,
               "images": len(r.outputs), "student paid": r.cost_usd,
               "instructor paid": recorded[name].cost_usd}
              for name, r in replayed.items()]).set_index("exercise")

# %%
print(replayed_study)
print("study cells all cached:", bool(replayed_study.df.cached.all()),
      "| identical to the instructor's:", all(same_bytes(recorded_study.results[i], replayed_study.results[i])
                                              for i in recorded_study.results))
print(f"requests sent to the API while the student worked: {server.call_count - calls_before}")
replayed["first image"]

# %% [markdown]
# **A prompt that is not in the pack** goes to the configured backend, which is the offline simulator
# for a student without a key. The result says so (`backend='offline'`, the `OFFLINE SIMULATOR` stamp),
# and it is never cached under the pack's keys, so it can never be mistaken for a recorded answer later.

# %%
new = student.generate("A robot reading a book in a library", image_size="512")
print(f"status={new.status}, backend={new.backend!r}, cached={new.cached}, spent ${new.cost_usd:.2f}")
new

# %% [markdown]
# **Strict mode** (`replay_strict=True`) refuses instead of improvising. This suits a room where a
# simulator picture would confuse people more than an honest "no". The answer is `status="no_image"` with
# a reason, never an exception, so a notebook cell or an app just shows the message.

# %%
strict = tk.Studio(backend="offline", replay=PACK, replay_strict=True, home=WORKDIR / "student-strict")
hit = exercises(strict)["edit"]
miss = strict.generate("A robot reading a book in a library", image_size="512")
print(f"recorded request: status={hit.status}, cached={hit.cached}")
print(f"new request:      status={miss.status}\n  reason: {textwrap.fill(miss.reason, 100, subsequent_indent='  ')}")

# %% [markdown]
# ## 5 · A budget for every seat
#
# `TOOLKIT_BUDGET_USD` sets the cap of the **home's Budget** for every Studio created afterwards in that
# environment. Put it in the workshop's launch command (`TOOLKIT_BUDGET_USD=0.50 jupyter lab`) and every
# seat has a cap without touching a notebook. The Budget lives in the home's ledger, so every notebook,
# kernel and process of the seat shares one cap (a kernel restart does not reset it); `Studio(seat=...)`
# gives named seats their own caps inside one shared home. A Studio refuses, *before sending*, any call
# that would take the Budget past the cap. Replays from the pack cost $0 and always go through. Offline the
# cap never binds, because the simulator spends nothing.
#
# Here it is set in `os.environ` *before* the Studios are created. It is not an option that applies to
# Studios that already exist.

# %%
os.environ["TOOLKIT_BUDGET_USD"] = "0.50"
seat = tk.Studio(backend="offline", replay=PACK, home=WORKDIR / "seat-offline")
print(f"offline seat: budget_usd = {seat.budget_usd}")

# %% [markdown]
# A seat **with** a key (a room sharing the instructor's key, played by the fake again). Each 1K image
# from Nano Banana 2 lists at about $0.067, so $0.50 buys seven. The eighth request is refused before it
# is sent. The `CostMeter` app, which every widget app embeds, shows the seat's spend against its cap.
# Its badge says `GEMINI` and "calls cost real money": the Studio cannot tell the fake from the real API,
# which is what makes this rehearsal honest.

# %%
from toolkit.widgets import CostMeter

live_seat = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=WORKDIR / "seat-live")
print(f"live seat: budget_usd = {live_seat.budget_usd}")
for i in range(1, 12):
    try:
        live_seat.generate(f"a hot air balloon over mountains, take {i}", image_size="1K")
    except tk.BudgetExceededError as err:
        print(f"take {i} refused, nothing sent:\n  {textwrap.fill(str(err), 100, subsequent_indent='  ')}")
        break
print(f"spent ${live_seat.budget.spent:.4f} of ${live_seat.budget.cap:.2f}")
del os.environ["TOOLKIT_BUDGET_USD"]  # back to no default cap for the rest of this notebook
CostMeter(live_seat)

# %% [markdown]
# ## 6 · One key for a room, without a stampede
#
# Thirty kernels that each press *Generate* with `n=4` send 120 requests at the same moment, and a shared
# key's per-minute quota answers with 429 errors. Each Studio retries, and uncoordinated retries make it
# worse. `tk.RateLimit(rpm=..., concurrent=...)` sets, per model, how often requests may **start**
# (`rpm`, across everyone) and how many may be **in flight** at once (`concurrent`).
#
# The limiter's state is not in the kernel. It lives in `ratelimit.sqlite` in the **home**, so every
# kernel that uses the same home (the same `TOOLKIT_HOME`) takes its turn from one shared schedule. A 429
# seen by any kernel halves the shared rate and pauses all of them for the server's `retryDelay`, and
# successes win the rate back step by step. Use a home on a local disk of the one machine. SQLite locking
# over network file systems is not reliable.
#
# The demo: two separate Python processes stand in for two students' kernels. They share one home and
# the key, and each asks for `n=4` at once. The "API" (the fake, with 0.1 s per answer) records when each
# request arrives. This is done twice: without a limit, then with `tk.RateLimit(rpm=120, concurrent=2)`,
# one start every 0.5 s across both kernels.

# %%
ROOM_HOME = WORKDIR / "room"
KERNEL = WORKDIR / "student_kernel.py"
KERNEL.write_text(textwrap.dedent("""
    import sys
    import toolkit as tk

    name, rpm, run = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    limit = tk.RateLimit(rpm=rpm, concurrent=2) if rpm else None
    studio = tk.Studio(base_url=sys.argv[4], rate_limit=limit)  # key and home come from the environment
    r = studio.generate(f"kernel {name}: a paper boat on a pond ({run})", n=4, image_size="512")
    print(name, r.status, len(r.images), "images")
"""))
# what each student kernel has: the shared key and the shared home (and no other key, replay pack or cap)
env = {k: v for k, v in os.environ.items()
       if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TOOLKIT_REPLAY", "TOOLKIT_BUDGET_USD")}
env.update(GEMINI_API_KEY=KEY, TOOLKIT_HOME=str(ROOM_HOME))


def room(rpm: float, run: str) -> pd.DataFrame:
    """Start two 'kernels' at once; return when each of their requests reached the API."""
    first = len(server.calls)
    procs = [subprocess.Popen([sys.executable, str(KERNEL), name, str(rpm), run, server.base_url], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("A", "B")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        if p.returncode:
            raise RuntimeError(f"a student kernel failed:\n{err}")
    calls = server.calls[first:]
    t0 = min(c.received_at for c in calls)
    return pd.DataFrame({"kernel": [c.json["contents"][0]["parts"][0]["text"].split(":")[0] for c in calls],
                         "arrived_s": [round(c.received_at - t0, 3) for c in calls]}).sort_values("arrived_s")


free = room(0, "no limit")
limited = room(120, "rpm=120")
for label, df in (("no limit", free), ("RateLimit(rpm=120, concurrent=2)", limited)):
    gaps = df.arrived_s.diff().dropna()
    print(f"{label:34s} {len(df)} requests arrived over {df.arrived_s.max():.2f} s; "
          f"smallest gap {gaps.min():.2f} s; kernels {sorted(df.kernel.str[-1].unique())}")

# %%
fig, ax = plt.subplots(figsize=(9, 2.6), constrained_layout=True)
style = {"kernel A": ("#4477aa", "o", -0.12), "kernel B": ("#ee6677", "s", 0.12)}  # colour, marker, offset
for y, df in enumerate((free, limited)):
    for kernel, part in df.groupby("kernel"):
        colour, marker, dy = style[kernel]
        ax.scatter(part.arrived_s, [y + dy] * len(part), s=60, color=colour, marker=marker, alpha=0.8,
                   label=kernel if y == 0 else None, edgecolor="white", zorder=3)
ax.set_yticks([0, 1], ["no limit", "rpm=120,\nconcurrent=2"])
ax.set_ylim(-0.6, 1.6)
ax.invert_yaxis()
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
ax.set_xlabel("seconds since the first request reached the API")
ax.set_title("When two kernels' requests (n=4 each) reached the API", fontsize=10)
ax.grid(axis="x", alpha=0.3)

# %% [markdown]
# Without a limit, all eight requests arrive within a fraction of a second. With the limit, they arrive
# about one every half second. The starts are spaced exactly, and arrival adds a little jitter. All eight
# starts from both kernels fall on **one shared schedule**: whichever kernel asks next gets the next
# slot. Neither kernel knows about the other. They share only the home. For a real room, set `rpm` a little under the key's
# per-minute quota for the model, and `concurrent` to what the quota tolerates in parallel. Different
# models can get different limits: `rate_limit={"nano-banana-pro": tk.RateLimit(rpm=10)}`.

# %% [markdown]
# ## 7 · Checklists
#
# **Instructor, a few days before**
#
# - [ ] Use a **dedicated home**: `TOOLKIT_HOME=~/workshop-home`, so the pack holds only the workshop.
# - [ ] Run every workshop notebook top to bottom **with your key**, at the sizes and options the room
#       will use (replay matches exact requests). Check the images: they are what the room will see.
# - [ ] `python -m toolkit pack export workshop.pack`, then `python -m toolkit pack show workshop.pack`:
#       models, counts, original cost.
# - [ ] Search the pack for your key (`grep -c "$GEMINI_API_KEY" workshop.pack` prints 0), and read
#       the prompts, which *are* in it.
# - [ ] On a machine **with no key and no network**, run the notebooks with `TOOLKIT_REPLAY=workshop.pack`.
#       Every exercise cell should say `cached`, and the ledger should show $0.
# - [ ] Decide on misses: the simulator (default, stamped `OFFLINE SIMULATOR`) or `replay_strict=True`.
#
# **On the day**
#
# - [ ] Launch with `TOOLKIT_REPLAY=workshop.pack TOOLKIT_BUDGET_USD=0.50 jupyter lab notebooks/`.
# - [ ] If seats share one key, give every kernel the same `TOOLKIT_HOME` and a
#       `tk.RateLimit(rpm=..., concurrent=...)` under the key's quota.
# - [ ] Keep `python -m toolkit ledger` open on the shared home to watch spend.
#
# **What students see**
#
# - The exercises run instantly, with the instructor's images. Each caption says `cached`, and the ledger
#   and `CostMeter` show **$0**. No key is needed and no network is used.
# - Their own prompts give `OFFLINE SIMULATOR` images, labelled as such (or, in strict mode, a message that
#   the request is not in the pack).
# - With a key and a seat budget, the `CostMeter` bar fills towards the cap. A call over it is refused
#   with a message that states spent, estimate and cap, before anything is sent.
# - In a shared-key room, a short wait before a request starts, instead of 429 errors.

# %% [markdown]
# ## 8 · A room of judges and their agreement
#
# In a workshop, everyone can judge the same study in the arena (`study.arena(...)`): each person's
# judgements go into the shared home under their name, so `study.ratings(by="human")` pools the room and
# `study.agreement()` says how far to trust it: how much the people agree **with each other**
# (Krippendorff's alpha; Fleiss' kappa when everyone judged every pair) and with a **vision-model judge**
# (`study.judge_pairs`, see notebook 09). Krippendorff suggests alpha of at least 0.8 for conclusions, and
# 0.667 for tentative ones; below that the room does not share one idea of "better", and no judge can be
# checked against it.
#
# So that this notebook runs unattended, the room below is four **scripted stand-ins, not people**: each
# prefers the image whose palette is closer to a reference photo, and each misreads a different share of
# the pairs (5% to 35%). The figures show the mechanics; offline, the simulated judge reads related
# evidence, so its agreement with the stand-ins is partly built in.

# %%
import random

from toolkit import ratings as rt

judging = tk.Studio(backend="offline", home=WORKDIR / "judging-room")
room_study = judging.compare("A {subject} on a wooden table, LIGHT", progress=False, seed=[1, 2],
                             subject=["teapot", "lemon", "croissant", "candle", "book", "apple"],
                             replace={"LIGHT": ["in soft morning light", "by warm candle light"]},
                             reference=tk.sample("coffee"))
palette = room_study.df.set_index("key")["sim_histogram"]  # request key -> palette similarity to the reference
pairs = rt.arena_pairs(room_study, "replace:LIGHT", seed=0)
for person, slip in {"Ana": 0.05, "Ben": 0.15, "Chen": 0.25, "Dee": 0.35}.items():
    rng = random.Random(person)  # each stand-in's misreadings, reproducible
    for a, b in pairs:
        choice = "a" if palette[a] >= palette[b] else "b"
        if rng.random() < slip:
            choice = rng.choice(["tie", "b" if choice == "a" else "a"])
        rt.record_judgement(judging.store.home, rt.Judgement(a, b, choice, study=room_study.study_key, judge=person))
print(f"{len(pairs)} pairs, each judged by 4 stand-ins")
print(room_study.judge_pairs(arm="replace:LIGHT", criterion="stays closest to the house look of the reference photo",
                             show=False))
room_study.agreement("replace:LIGHT")

# %% [markdown]
# Read the `n` and the interval before the value: 12 pairs is a small room's afternoon, and its intervals
# are wide. With real people, run the table after the session; if alpha is low, talk about the criterion
# before collecting more judgements, and only then ask how well the judge matches the room.

# %% [markdown]
# ## What this notebook cost

# %%
server.stop()
room_ledger = tk.Ledger(tk.Store(ROOM_HOME)).df
roles = {"instructor (recording)": instructor.session_ledger.df, "student": student.session_ledger.df,
         "strict student": strict.session_ledger.df, "seat with a key": live_seat.session_ledger.df,
         "room (2 kernels)": room_ledger}
summary = pd.DataFrame.from_dict({role: {"calls": len(d), "from the cache": int(d.cached.sum()),
                                         "spent_usd": round(d.cost_usd.sum(), 4),
                                         "list_usd": round(d.list_cost_usd.sum(), 4)}
                                  for role, d in roles.items()}, orient="index")
print(f"{int(summary.calls.sum())} calls, {int(summary['from the cache'].sum())} from the cache; "
      f"${summary.spent_usd.sum():.4f} recorded as spent, all of it on the loopback fake: nothing was charged")
print("All images above came from the offline simulator (through tk.FakeGeminiServer), not from a Google model.")
summary

# %%
import shutil

shutil.rmtree(WORKDIR, ignore_errors=True)  # the workshop's temporary folder (packs, homes), so nothing is left behind
