"""Comparison studies: plans, runs, failures, replay, grid, gallery, metrics."""

from __future__ import annotations

import io

import matplotlib
import pytest

matplotlib.use("Agg")

import toolkit as tk

KEY = "test-key-123456"


def test_plan_counts_and_prices_before_sending(studio):
    plan = studio.plan("A {animal} at {time}", animal=["cat", "dog"], time=["noon", "night"],
                       model=["gemini-3.1-flash-image", "gemini-3-pro-image"], image_size="1K")
    assert plan.calls == 8 and plan.cached == 0
    assert plan.estimate_usd == 0  # the simulator spends nothing
    assert plan.list_estimate_usd == pytest.approx(4 * 0.0672 + 4 * 0.1344, rel=0.02)
    assert len(studio.ledger) == 0
    assert "8 calls" in repr(plan)
    # expensive axes run outermost: the first half of the cells are one model
    assert {c.request.model for c in plan.cells[:4]} == {"gemini-3.1-flash-image"}


def test_axes_kinds(studio):
    cat, coffee = tk.sample("cat"), tk.sample("coffee")
    plan = studio.plan("make the cat sepia", replace={"sepia": ["sepia", "black and white"]},
                       images={"cat": [cat], "coffee": [coffee]}, seed=[1, 2], aspect_ratio="1:1")
    assert plan.calls == 8 and set(plan.axes) == {"replace:sepia", "images", "seed"}
    prompts = {c.prompt for c in plan.cells}
    assert prompts == {"make the cat sepia", "make the cat black and white"}
    assert len({c.request.key for c in plan.cells}) == 8


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"prompt": "A {animal}"}, "placeholders"),
    ({"prompt": "a cat", "colour": ["red"]}, "Unknown axis"),
    ({"prompt": "a cat", "replace": {"dog": ["x"]}}, "does not occur"),
    ({"prompt": "a cat", "seed": []}, "no values"),
    ({"prompt": "a cat", "aspect_ratio": ["1:1", "7:5"]}, "7:5"),
])
def test_plan_mistakes_are_explained(studio, kwargs, match):
    with pytest.raises(tk.InputError, match=match):
        studio.plan(**kwargs)


def test_run_grid_html_and_replay(studio, tmp_path):
    study = studio.compare("A {thing} at {time}", thing=["cat", "boat"], time=["noon", "night"],
                           aspect_ratio="16:9", image_size="512", reference=tk.sample("cat"), progress=False)
    df = study.df
    assert len(df) == 4 and (df["status"] == "ok").all()
    assert {"thing", "time", "cost_usd", "latency_s", "path", "ar_error", "sim_phash", "sim_ssim",
            "sim_histogram"} <= set(df.columns)
    assert (df["ar_error"] < 0.05).all()
    fig = study.grid(rows="thing", cols="time")
    assert len([ax for ax in fig.axes if ax.images]) == 4
    page = study.to_html(tmp_path / "gallery.html").read_text()
    assert page.count("data:image/") == 4 and "<table" in page and "A cat at noon" in page
    rows_before = len(studio.ledger)
    again = studio.compare("A {thing} at {time}", thing=["cat", "boat"], time=["noon", "night"],
                           aspect_ratio="16:9", image_size="512", progress=False)
    assert again.df["cached"].all() and again.spent_usd == 0
    assert len(studio.ledger) == rows_before + 4


def test_failed_cells_are_kept_as_placeholders(server, home, tmp_path):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                       retry=tk.RetryPolicy(attempts=1), concurrency=1)
    server.enqueue("ok", "400", "image_safety", "ok")
    study = studio.compare("a {x}", x=["a", "b", "c", "d"], image_size="512", progress=False)
    statuses = study.df["status"].tolist()
    assert statuses.count("ok") == 2 and statuses.count("failed") == 1 and statuses.count("blocked") == 1
    failed = study.df[study.df["status"] == "failed"].iloc[0]
    assert "400" in failed["error"]
    assert len(studio.ledger) == 4  # one row per cell, failed ones included
    fig = study.grid()
    assert sum(1 for ax in fig.axes if ax.images) == 2
    assert "failed" in study.to_html(tmp_path / "g.html").read_text()
    # the rerun replays the good cells and retries only the others
    before = server.call_count
    again = studio.compare("a {x}", x=["a", "b", "c", "d"], image_size="512", progress=False)
    assert server.call_count - before == 2 and (again.df["status"] == "ok").all()


def test_budget_refuses_the_whole_plan_before_sending(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, budget_usd=0.2)
    with pytest.raises(tk.BudgetExceededError, match=r"cap is \$0\.2000"):
        studio.compare("a {x}", x=list("abcdef"), progress=False)  # 6 x $0.067
    assert server.call_count == 0 and len(studio.ledger) == 0


def test_two_hundred_cells(server, home):
    img = tk.sample("astronaut").resize((256, 256))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    server.static_image = buf.getvalue()
    try:
        studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, concurrency=16)
        server.enqueue(*(["ok"] * 50 + ["400"] + ["ok"] * 149))
        study = studio.compare("cell {i}", i=list(range(200)), progress=True)
    finally:
        server.static_image = None
    assert len(study.df) == 200 and (study.df["status"] == "ok").sum() >= 199
    replay = studio.compare("cell {i}", i=list(range(200)), progress=False)
    df = replay.df
    assert df["cached"].sum() >= 199 and (df["status"] == "ok").all()
    assert df.loc[df["cached"], "cost_usd"].sum() == 0  # only the cell that failed the first time is paid


def test_cross_provider_study(server, home):
    with tk.FakeOpenRouterServer() as openrouter:
        gemini = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
        other = tk.Studio(backend="openrouter", api_key="sk-or-test-000000", base_url=openrouter.base_url,
                          home=home)
        study = gemini.compare("a {thing}", thing=["kite", "boat"], image_size="512",
                               backends=["gemini", other, "offline"], progress=False)
    df = study.df
    assert list(study.axes)[:1] == ["thing"] and set(df["backend"]) == {"gemini", "openrouter", "offline"}
    assert (df["status"] == "ok").all() and server.call_count == 2 and openrouter.call_count == 2
    spent = df.groupby("backend")["cost_usd"].sum()
    assert spent["offline"] == 0 and spent["gemini"] > 0 and spent["openrouter"] > 0
    fig = study.grid(rows="thing", cols="backend")
    assert sum(1 for ax in fig.axes if ax.images) == 6
    with pytest.raises(tk.InputError, match="cannot use mode='batch'"):
        gemini.compare("a kite", backends=["gemini", "offline"], mode="batch", progress=False)
    with pytest.raises(tk.ConfigError, match="FAL_KEY"):
        gemini.plan("a kite", backends=["fal"])


def test_study_html_is_truncated_like_pandas(studio):
    long = "a lighthouse on a cliff above a stormy sea at dusk, oil painting, dramatic light, wide shot"
    study = studio.compare(long + " {n}", n=list(range(24)), image_size="512", progress=False)
    page = study._repr_html_()
    assert "4 more cells not shown" in page and long not in page and "…" in page
    assert page.count("<tr>") <= 22  # header + 20 rows


def test_a_pil_input_is_encoded_once_per_plan_not_once_per_cell(studio, monkeypatch):
    """A 40-cell plan over one PIL image encodes it once (planning used to re-encode it for every cell)."""
    from PIL import Image

    photo = Image.new("RGB", (320, 240), (200, 120, 40))
    saves = []
    real_save = Image.Image.save

    def counting_save(self, fp, *args, **kwargs):
        if self is photo or self.size == photo.size:
            saves.append(self.size)
        return real_save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", counting_save)
    plan = studio.plan("a poster of {thing}, edited", images=photo, thing=[f"thing {i}" for i in range(20)],
                       aspect_ratio=["1:1", "4:3"])
    assert len(plan.cells) == 40
    assert len(saves) == 1
    assert len({c.request.key for c in plan.cells}) == 40
