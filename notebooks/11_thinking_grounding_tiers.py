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
# # 11 · Thinking, search grounding, several images and service tiers
#
# The Gemini 3 image models do more than draw one picture per prompt:
#
# 1. **Thinking.** They plan before they draw. `thinking_level=` sets how hard they think, and
#    `include_thoughts=True` returns the thoughts: the text, and the *interim* images drawn while thinking.
#    Interim images are not charged and are never the answer.
# 2. **Search grounding.** `grounding="web"`, `"image"` or `("web", "image")` lets the model search Google
#    first (today's weather, a real landmark, what a product looks like). The answer carries the queries
#    and the sources.
# 3. **Several images in one answer**, interleaved with text ("show me how to bake macarons, with
#    images").
# 4. **Service tiers.** `service_tier="flex"` costs half and may be slower; `"priority"` costs more and is
#    more reliable.
# 5. **Aspect ratio "auto"**: an edit keeps its input image's shape.
#
# **Offline?** Nothing here reaches Google. The cells call `api`, a Studio pointed at `tk.FakeGeminiServer`,
# the toolkit's loopback stand-in for the Gemini API: it speaks the real wire format to the real `google-genai`
# SDK, but its pictures come from the offline simulator, its thoughts are canned, and its search results are
# made-up pages on `example.com`. The last section uses the offline simulator directly. With a key, make `api`
# a plain `tk.Studio()` and the same cells call Google (and cost money: about $0.60 for this notebook).

# %%
# %matplotlib inline
import tempfile

import matplotlib.pyplot as plt

import toolkit as tk

studio = tk.Studio()  # offline without a key
server = tk.FakeGeminiServer().start()  # the loopback stand-in for the Gemini API (no key, no cost)
api = tk.Studio(backend="gemini", api_key="demo-not-a-real-key", base_url=server.base_url,
                home=tempfile.mkdtemp(prefix="nb11-"))
api

# %% [markdown]
# ## Which model can do what
#
# The registry says, per model, which thinking levels it accepts, which kinds of search grounding, and
# which service tiers. 2.5 Flash Image has none of them; 3.1 Flash-Lite thinks but cannot search.

# %%
tk.models_table()[["model", "nickname", "thinking_levels", "grounding", "service_tiers", "checked"]]

# %% [markdown]
# Asking a model for something it cannot do is refused before anything is sent, with the fix:

# %%
for model, options in [("nano-banana-2", {"thinking_level": "medium"}),
                       ("nano-banana-2-lite", {"grounding": "web"})]:
    try:
        api.estimate("a lighthouse at dusk", model=model, **options)
    except tk.OptionError as e:
        print(f"{model}: {e}\n")

# %% [markdown]
# ## 1. Thinking, with the thought image
#
# `include_thoughts=True` asks for the thoughts. `r.thoughts` is the text; `r.thought_images` the interim
# images; `r.images` the answer. The Result's display shows the thoughts **collapsed**: click
# "Thoughts" to open them. Thought tokens are billed at the text-output rate; interim images are free.

# %%
r = api.generate("A lighthouse on a cliff at dusk, a sailing boat passing below", model="nano-banana-2",
                 thinking_level="high", include_thoughts=True, image_size="512")
print("thoughts:", r.thoughts[:300], "…" if len(r.thoughts) > 300 else "")
print("interim images:", len(r.thought_images), "| answer images:", len(r.images))
print(f"cost ${r.cost_usd:.4f}  (thought tokens: {r.usage.get('thought_tokens', 0)})")
r

# %%
fig, axes = plt.subplots(1, 1 + len(r.thought_images), figsize=(4 * (1 + len(r.thought_images)), 4))
axes = list(axes) if len(r.thought_images) else [axes]
for ax, img, title in zip(axes, [*r.thought_images, r.image],
                          [*(f"thought image {i + 1}" for i in range(len(r.thought_images))), "the answer"],
                          strict=True):
    ax.imshow(img)
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. Search grounding, with sources
#
# A grounded answer carries `r.grounding`: the web search queries, the image search queries, and the
# sources (title and link). The display renders the sources as links (escaped; Google's own search
# widget is shown only inside a sandboxed frame). Google charges per search query on Gemini 3 models,
# on top of the tokens: the ledger counts the queries and the cost includes them.

# %%
g = api.generate("A poster of tomorrow's weather in Lisbon: the tower of Belém, an umbrella, rain clouds",
                 model="nano-banana-2", grounding=("web", "image"), image_size="512")
print("web queries:  ", g.grounding["web_search_queries"])
print("image queries:", g.grounding["image_search_queries"])
for source in g.grounding["sources"]:
    print(f"  [{source['kind']}] {source['title']}: {source['uri']}")
print(f"{g.grounding['queries']} grounded queries; cost ${g.cost_usd:.4f} (tokens plus the per-query price)")
g

# %% [markdown]
# ## 3. Several images in one answer
#
# Ask for a sequence and the model may answer with several images interleaved with text. `r.images`
# holds every image in order; `r.interleaved` keeps the text between them. The cost is the same
# per-token bill: every image is counted in the reply's usage.

# %%
m = api.generate("Show me how to fold a paper crane, step by step, with images",
                 model="nano-banana-2", image_size="512")
print(len(m.images), "images")
for item in m.interleaved:
    if isinstance(item, str):
        print("text: ", item[:100])
    else:
        print("image:", item.size)
m

# %% [markdown]
# ## 4. Service tiers
#
# The same request on three tiers. The toolkit prices each call at its tier's rate, the budget reserves
# the tier's price, and the ledger's `tier` column records which tier was used. Flex is half price and
# best effort (it may queue for minutes on a busy day); priority costs about 1.8 times standard.

# %%
for tier in ("standard", "flex", "priority"):
    est = api.estimate("a red kite over a green hill", model="nano-banana-2", service_tier=tier)
    print(f"{tier:>9}: estimate ${est.cost_usd:.4f}")

for tier in ("standard", "flex", "priority"):
    api.generate("a red kite over a green hill", model="nano-banana-2", service_tier=tier)
api.ledger.df[["model", "tier", "status", "cost_usd", "grounding_queries"]].tail(4)

# %% [markdown]
# ## 5. Aspect ratio "auto": the edit keeps the input's shape
#
# With input images and no ratio (or `aspect_ratio="auto"`), the API returns the input's shape. With a
# ratio, it returns that ratio.

# %%
wide = studio.generate("a harbour at sunrise", aspect_ratio="16:9").image
kept = studio.edit(wide, "make it night", aspect_ratio="auto")
square = studio.edit(wide, "make it night", aspect_ratio="1:1")
print("input", wide.size, "| auto ->", kept.image.size, "| 1:1 ->", square.image.size)

# %%
server.stop()
print("Grounding sources, thoughts and multi-image answers above came from tk.FakeGeminiServer (made-up "
      "pages on example.com, images from the offline simulator), not from Google.")
