"""Hostile paths and MIME types in a pack: refused at import, writing nothing; exports read only the store's own
files (items 1, 3 and 7 of the pack security audit)."""

from __future__ import annotations

import json
import os
import zipfile

import pytest
from pack_helpers import digest, home_files, image_of, items, members, repack, retarget

import toolkit as tk

SECRET = b"-----BEGIN OPENSSH PRIVATE KEY----- not-for-a-pack 0123456789"


def refused_without_writes(studio, pack, match):
    """Import ``pack`` into ``studio``'s home: it must raise ConfigError matching ``match`` and write nothing."""
    before_files = {p: p.read_bytes() for p in home_files(studio.store.home)}
    before_keys = studio.store.cache_keys()
    with pytest.raises(tk.ConfigError, match=match) as info:
        studio.import_pack(pack)
    assert str(pack) in str(info.value) and "Nothing was imported" in str(info.value)
    assert studio.store.cache_keys() == before_keys
    assert {p: p.read_bytes() for p in home_files(studio.store.home)} == before_files
    return str(info.value)


def test_a_hash_that_is_a_path_is_refused_and_nothing_lands_outside_the_home(recorded, tmp_path):
    def edit(lines):
        retarget(lines[0]["entry"], lines[0]["entry"]["files"][0]["sha256"], sha256="../outside/pwned")

    pack = repack(recorded, tmp_path / "traversal.pack", edit)
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    message = refused_without_writes(studio, pack, r"cache\.jsonl line 1 \(key [0-9a-f]{12}\.\.\.\).*sha256")
    assert "../outside/pwned" in message
    assert not (tmp_path / "outside").exists() and not (tmp_path / "home" / "outside").exists()


@pytest.mark.parametrize("with_member", [False, True], ids=["entry-only", "entry-and-member"])
def test_a_path_not_in_the_stores_own_form_cannot_overwrite_a_home_image(recorded, tmp_path, with_member):
    # the student's home already holds an image; the pack aims other bytes at it through "./ab/<hash>"
    student = tk.Studio(backend="offline", home=tmp_path / "home")
    mine = student.generate("my own drawing", image_size="512").outputs[0]
    target = items(recorded)[0]
    ref = image_of(target)
    sneaky = f"./{mine.sha256[:2]}/{mine.sha256}"

    def edit(lines):
        retarget(lines[0]["entry"], ref["sha256"], path=sneaky)

    extra = {sneaky: members(recorded)[ref["path"]]} if with_member else {}
    pack = repack(recorded, tmp_path / "dotted.pack", edit, extra)
    original = (tmp_path / "home" / student.store.image_relpath(mine.sha256, mine.mime)).read_bytes()
    message = refused_without_writes(student, pack, "path|member")
    assert sneaky in message
    assert (tmp_path / "home" / student.store.image_relpath(mine.sha256, mime=mine.mime)).read_bytes() == original


@pytest.mark.parametrize("with_member", [False, True], ids=["entry-only", "entry-and-member"])
def test_a_pack_aiming_at_a_private_key_is_refused(recorded, tmp_path, with_member):
    def edit(lines):
        retarget(lines[1]["entry"], lines[1]["entry"]["files"][0]["sha256"], path="../id_ed25519")

    extra = {"../id_ed25519": members(recorded)[items(recorded)[1]["entry"]["files"][0]["path"]]} \
        if with_member else {}
    pack = repack(recorded, tmp_path / "exfil.pack", edit, extra)
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    message = refused_without_writes(studio, pack, "id_ed25519")
    assert ("line 2" in message) != with_member  # the entry is named; a stray member is refused before lines


@pytest.mark.parametrize("mime", ['image/png" onmouseover="alert(1)', "text/html", "image/svg+xml", "IMAGE/PNG"])
def test_only_known_image_mime_types_are_accepted(recorded, tmp_path, mime):
    def edit(lines):
        retarget(lines[0]["entry"], lines[0]["entry"]["files"][0]["sha256"], mime=mime)

    pack = repack(recorded, tmp_path / "mime.pack", edit)
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    refused_without_writes(studio, pack, r"line 1 .*mime|MIME")


def plant(studio, path_value, sha256, mime):
    """A cache entry in ``studio``'s home whose first file ref says ``path_value`` (as a hostile import could have
    left with an older toolkit)."""
    row = studio.store.cache_row(studio.store.cache_keys()[0])
    entry = json.loads(row["entry"])
    retarget(entry, entry["files"][0]["sha256"], path=path_value, sha256=sha256, mime=mime)
    studio.store.cache_put("f" * 64, row["backend"], row["model"], entry, row["created"])


def test_export_never_reads_a_path_taken_from_an_entry(tmp_path):
    (tmp_path / "id_ed25519").write_bytes(SECRET)
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    first = studio.generate("A red kite", image_size="512").outputs[0]
    plant(studio, "../id_ed25519", first.sha256, first.mime)  # a real image's hash, a path to the secret
    with pytest.warns(UserWarning, match="left out of the pack"):
        manifest = studio.export_pack(tmp_path / "out.pack")
    assert manifest.entries == 1
    assert SECRET not in (tmp_path / "out.pack").read_bytes()


def test_export_never_follows_a_symlink_out_of_the_home(tmp_path):
    (tmp_path / "id_ed25519").write_bytes(SECRET)
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    studio.generate("A red kite", image_size="512")
    second = studio.generate("A lighthouse at dusk", image_size="512").outputs[0]
    stored = tmp_path / "home" / studio.store.image_relpath(second.sha256, second.mime)
    stored.unlink()
    os.symlink(tmp_path / "id_ed25519", stored)  # the home's file now points at the secret
    with pytest.warns(UserWarning, match="outside the home|not match"):
        manifest = studio.export_pack(tmp_path / "out.pack")
    assert manifest.entries == 1 and manifest.images == 1
    assert SECRET not in (tmp_path / "out.pack").read_bytes()
    with zipfile.ZipFile(tmp_path / "out.pack") as z:
        assert all(SECRET not in z.read(n) for n in z.namelist())


def test_export_leaves_out_a_damaged_image_so_the_pack_imports(tmp_path):
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    studio.generate("A red kite", image_size="512")
    bad = studio.generate("A lighthouse at dusk", image_size="512").outputs[0]
    stored = tmp_path / "home" / studio.store.image_relpath(bad.sha256, bad.mime)
    data = bytearray(stored.read_bytes())
    data[-100] ^= 0xFF
    stored.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="do not match its sha256"):
        manifest = studio.export_pack(tmp_path / "out.pack")
    assert manifest.entries == 1 and digest(bytes(data)) not in str(members(tmp_path / "out.pack").keys())
    fresh = tk.Studio(backend="offline", home=tmp_path / "fresh")
    assert fresh.import_pack(tmp_path / "out.pack").entries == 1
