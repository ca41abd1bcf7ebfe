"""Workshop replay packs: record against the Gemini fake, export, import into a fresh home, replay at $0."""

from __future__ import annotations

import zipfile

import pytest

import toolkit as tk
from toolkit.__main__ import main

KEY = "instructor-key-SECRET-0987654321"


@pytest.fixture()
def recorded(tmp_path):
    """An instructor's session: a few calls against the loopback Gemini fake, exported as a pack."""
    home = tmp_path / "instructor"
    with tk.FakeGeminiServer() as server:
        studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
        results = [
            studio.generate("A lighthouse at dusk", image_size="512"),
            studio.edit(tk.sample("cat"), "Blur the background", image_size="512"),
            studio.generate("A red kite", n=2, image_size="512"),
        ]
        server.enqueue("image_safety")
        studio.generate("refused prompt", image_size="512")  # not ok: never exported
        pack = tmp_path / "workshop.pack"
        manifest = studio.export_pack(pack)
    return pack, manifest, results


def test_manifest_counts_and_original_cost(recorded):
    pack, manifest, results = recorded
    assert manifest.entries == 4 and manifest.backends == ("gemini",)
    assert manifest.models == {tk.DEFAULT_MODEL: 4}
    spent = sum(r.cost_usd for r in results)
    assert manifest.original_cost_usd == pytest.approx(spent) and spent > 0
    assert tk.read_pack_manifest(pack).entries == 4


def test_pack_never_holds_a_key(recorded):
    pack, _, _ = recorded
    assert KEY.encode() not in pack.read_bytes()
    with zipfile.ZipFile(pack) as z:
        assert all(KEY.encode() not in z.read(n) for n in z.namelist())


def test_replay_in_a_fresh_home_with_no_key_and_no_server(recorded, tmp_path):
    pack, _, originals = recorded
    student = tk.Studio(replay=pack, home=tmp_path / "student")  # no key: falls back to offline for misses
    assert "replay pack" in repr(student)
    again = [
        student.generate("A lighthouse at dusk", image_size="512"),
        student.edit(tk.sample("cat"), "Blur the background", image_size="512"),
        student.generate("A red kite", n=2, image_size="512"),
    ]
    for old, new in zip(originals, again, strict=True):
        assert new.cached and new.cost_usd == 0
        assert [o.data for o in new.outputs] == [o.data for o in old.outputs]  # identical image bytes
    assert student.spent_usd == 0
    # a new request falls through to the configured backend (here: the offline simulator), labelled as such
    new = student.generate("A brand new prompt", image_size="512")
    assert new.status == "ok" and new.backend == "offline" and not new.cached
    assert not student.generate("A brand new prompt", image_size="512").cached  # never cached under pack keys
    assert student.ledger.df["backend"].iloc[-1] == "offline"


def test_strict_replay_refuses_new_requests(recorded, tmp_path, monkeypatch):
    pack, _, _ = recorded
    monkeypatch.setenv("TOOLKIT_REPLAY", str(pack))
    student = tk.Studio(home=tmp_path / "strict", replay_strict=True)
    assert student.generate("A lighthouse at dusk", image_size="512").cached
    r = student.generate("Something else", image_size="512")
    assert r.status == "no_image" and "not in the replay pack" in r.reason


def test_cli_export_import_show(recorded, tmp_path, capsys):
    pack, _, _ = recorded
    home = tmp_path / "cli-home"
    assert main(["--home", str(home), "pack", "import", str(pack)]) == 0
    assert "4 answers" in capsys.readouterr().out
    assert main(["pack", "show", str(pack)]) == 0
    assert "gemini" in capsys.readouterr().out
    out = tmp_path / "again.pack"
    assert main(["--home", str(home), "pack", "export", str(out)]) == 0  # every cached answer in the home
    assert tk.read_pack_manifest(out).entries == 4
    assert main(["--home", str(home), "pack", "export", str(out), "--since", "2999-01-01"]) == 2
    assert "Nothing to export" in capsys.readouterr().err


def test_bad_packs_are_explained(tmp_path):
    with pytest.raises(tk.ConfigError, match="No such pack"):
        tk.Studio(replay=tmp_path / "missing.pack", home=tmp_path / "h")
    junk = tmp_path / "junk.pack"
    junk.write_bytes(b"not a zip")
    with pytest.raises(tk.ConfigError, match="not a replay pack"):
        tk.Studio(replay=junk, home=tmp_path / "h")


def test_budget_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TOOLKIT_BUDGET_USD", "1.25")
    assert tk.Studio(home=tmp_path / "b").budget_usd == 1.25
    assert tk.Studio(home=tmp_path / "b", budget_usd=3).budget_usd == 3
    monkeypatch.setenv("TOOLKIT_BUDGET_USD", "lots")
    with pytest.raises(tk.ConfigError, match="TOOLKIT_BUDGET_USD"):
        tk.Studio(home=tmp_path / "b")


def test_select_by_notebook(tmp_path, monkeypatch):
    import toolkit.engine as engine_module

    home = tmp_path / "nb"
    monkeypatch.setattr(engine_module, "NOTEBOOK", "03_prompt_editing.ipynb")
    s = tk.Studio(backend="offline", home=home)
    s.generate("from notebook three", image_size="512")
    monkeypatch.setattr(engine_module, "NOTEBOOK", "05_multi_image_fusion.ipynb")
    s.generate("from notebook five", image_size="512")
    assert s.ledger.df["notebook"].tolist() == ["03_prompt_editing.ipynb", "05_multi_image_fusion.ipynb"]
    manifest = s.export_pack(tmp_path / "three.pack", notebook="03_prompt_editing.ipynb")
    assert manifest.entries == 1 and manifest.selection["notebook"] == "03_prompt_editing.ipynb"


def test_pack_answers_replay_only_for_studios_that_ask_for_the_pack(recorded, tmp_path):
    pack, _, _ = recorded
    home = tmp_path / "seat"
    seat = tk.Studio(backend="offline", home=home, replay=pack)
    replayed = seat.generate("A lighthouse at dusk", image_size="512")
    source = tk.read_pack_manifest(pack).source
    assert replayed.cached and replayed.source == source and source.startswith("pack:workshop.pack@")
    assert f"from {source}" in replayed.caption()
    assert seat.ledger.df["source"].tolist() == [source]
    with tk.FakeGeminiServer() as server:  # weeks later, a real-key Studio on the same home, no replay=
        later = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
        fresh = later.generate("A lighthouse at dusk", image_size="512")
        assert not fresh.cached and fresh.source is None and server.call_count == 1
        again = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
        again.import_pack(pack)  # an explicit import: this Studio asked for it
        assert again.generate("A red kite", n=2, image_size="512").source == source


def test_a_recorded_pack_is_private_and_passes_every_import_check(recorded, tmp_path):
    import os
    import stat

    pack, manifest, _ = recorded
    if os.name == "posix":
        assert stat.S_IMODE(pack.stat().st_mode) == 0o600  # created 0600 whatever the umask
    seat = tk.Studio(backend="offline", home=tmp_path / "seat")
    assert seat.import_pack(pack).entries == manifest.entries  # signatures, model turns and all: schema-clean
    assert seat.import_pack(pack).entries == manifest.entries  # importing again changes nothing
    assert len(seat.store.cache_keys()) == manifest.entries
