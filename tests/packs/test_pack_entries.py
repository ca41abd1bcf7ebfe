"""Malformed entries are refused at import against the one cache-entry schema, and an import is all or nothing
(items 5 and 6 of the pack security audit)."""

from __future__ import annotations

import json

import pytest
from pack_helpers import PROMPTS, home_files, image_of, items, members, repack, write_pack

import toolkit as tk


def drop_status(lines):
    del lines[0]["entry"]["status"]


def text_as_list(lines):
    lines[0]["entry"]["text"] = ["not", "a", "string"]


def usage_as_float(lines):
    lines[0]["entry"]["usage"]["output_tokens"] = 1.5


def cost_as_string(lines):
    lines[0]["entry"]["list_cost_usd"] = "free"


def unknown_image(lines):
    lines[0]["entry"]["images"].append("0" * 64)


def turn_with_a_stray_image(lines):
    ref = dict(lines[0]["entry"]["files"][0], sha256="1" * 64, path=f"images/11/{'1' * 64}.jpg")
    lines[0]["entry"]["model_turn"].append({"image": ref, "thought": False})


def turn_part_with_script(lines):
    lines[0]["entry"]["model_turn"][0]["html"] = "<script>alert(1)</script>"


def metadata_as_list(lines):
    lines[0]["entry"]["metadata"] = []


def key_as_a_path(lines):
    lines[0]["key"] = "../../cache"


def unknown_backend(lines):
    lines[0]["backend"] = "gemini"  # the manifest says offline


def nan_cost(lines):
    lines[0]["entry"]["latency_s"] = float("nan")


@pytest.mark.parametrize(("edit", "field"), [
    (drop_status, "entry.status: missing"), (text_as_list, "entry.text"),
    (usage_as_float, r"entry.usage\['output_tokens'\]"), (cost_as_string, "entry.list_cost_usd"),
    (unknown_image, r"entry.images\[1\]"), (turn_with_a_stray_image, r"entry.model_turn\[2\].image"),
    (turn_part_with_script, r"entry.model_turn\[0\].'html'"), (metadata_as_list, "entry.metadata"),
    (key_as_a_path, "key: not a request key"), (unknown_backend, "backend"), (nan_cost, "NaN"),
])
def test_a_malformed_entry_is_refused_naming_the_field(recorded, tmp_path, edit, field):
    pack = repack(recorded, tmp_path / "bad.pack", edit)
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    with pytest.raises(tk.ConfigError, match=rf"bad\.pack.*cache\.jsonl line 1.*{field}"):
        studio.import_pack(pack)
    assert studio.store.cache_keys() == []


def test_an_entry_without_status_never_reaches_a_replay(recorded, tmp_path):
    pack = repack(recorded, tmp_path / "nostatus.pack", drop_status)
    with pytest.raises(tk.ConfigError, match="status: missing"):
        tk.Studio(backend="offline", home=tmp_path / "home", replay=pack)
    student = tk.Studio(backend="offline", home=tmp_path / "home")  # the home is untouched and works
    assert not student.generate(PROMPTS[0], image_size="512").cached


@pytest.mark.parametrize("junk", [b"{not json", b"[1, 2]", b"\xff\xfe", b"[" * 100_000, b'{"key": NaN}'],
                         ids=["not-json", "a-list", "not-utf8", "nested-too-deep", "nan"])
def test_junk_lines_are_refused(recorded, tmp_path, junk):
    have = members(recorded)
    have["cache.jsonl"] = junk + b"\n" + have["cache.jsonl"]
    pack = write_pack(tmp_path / "junk.pack", have)
    with pytest.raises(tk.ConfigError, match=r"junk\.pack.*cache\.jsonl line 1"):
        tk.Studio(backend="offline", home=tmp_path / "home").import_pack(pack)


def test_a_pack_whose_third_entry_is_bad_writes_nothing(recorded, tmp_path):
    def third_bad(lines):
        del lines[2]["entry"]["usage"]

    pack = repack(recorded, tmp_path / "third.pack", third_bad)
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    studio.generate("already here", image_size="512")
    keys, files = studio.store.cache_keys(), home_files(tmp_path / "home")
    with pytest.raises(tk.ConfigError, match="line 3"):
        studio.import_pack(pack)
    assert studio.store.cache_keys() == keys and home_files(tmp_path / "home") == files  # 0 new rows, 0 new files


def test_a_pack_whose_third_image_is_bad_writes_nothing(recorded, tmp_path):
    ref = image_of(items(recorded)[2])
    data = bytearray(members(recorded)[ref["path"]])
    data[-64] ^= 0x01
    pack = repack(recorded, tmp_path / "third-image.pack", files={ref["path"]: bytes(data)})
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    with pytest.raises(tk.ConfigError, match=ref["path"]):
        studio.import_pack(pack)
    assert studio.store.cache_keys() == [] and home_files(tmp_path / "home") == set()


def test_a_manifest_that_does_not_match_the_pack_is_refused(recorded, tmp_path):
    pack = repack(recorded, tmp_path / "short.pack", lambda lines: lines.pop())  # one answer taken out
    with pytest.raises(tk.ConfigError, match="lists 4 answers and 4 images; the pack holds 3 and 3"):
        tk.Studio(backend="offline", home=tmp_path / "home").import_pack(pack)


@pytest.mark.parametrize(("change", "field"), [
    ({"entries": -1}, "entries"), ({"backends": ["../x"]}, "backends"), ({"models": {"../../x": 1}}, "model"),
    ({"original_cost_usd": "lots"}, "original_cost_usd"), ({"selection": {"keys": [1]}}, "selection"),
])
def test_a_malformed_manifest_is_refused(recorded, tmp_path, change, field):
    have = members(recorded)
    manifest = {**json.loads(have["manifest.json"]), **change}
    pack = repack(recorded, tmp_path / "manifest.pack", files={"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(tk.ConfigError, match=rf"manifest\.json.*{field}"):
        tk.read_pack_manifest(pack)


def test_a_good_pack_imports_every_answer_with_its_provenance_and_replays(recorded, tmp_path):
    studio = tk.Studio(backend="offline", home=tmp_path / "home", replay=recorded)
    source = tk.read_pack_manifest(recorded).source
    assert len(studio.store.cache_keys()) == 4
    assert {studio.store.cache_row(k)["source"] for k in studio.store.cache_keys()} == {source}
    again = studio.generate(PROMPTS[1], image_size="512")
    assert again.cached and again.source == source
    assert studio.import_pack(recorded).entries == 4  # again: nothing new, nothing changed
    assert len(studio.store.cache_keys()) == 4
