"""Every image in a pack is checked on import: its sha256 recomputed (metadata chunk stripped) and its header
read as a real image of its MIME type (item 2 of the pack security audit)."""

from __future__ import annotations

import pytest
from pack_helpers import digest, home_files, image_of, items, members, repack, retarget

import toolkit as tk
from toolkit.images import embed_metadata, strip_metadata


def assert_refused(tmp_path, pack, match):
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    with pytest.raises(tk.ConfigError, match=match):
        studio.import_pack(pack)
    assert studio.store.cache_keys() == [] and home_files(tmp_path / "home") == set()


@pytest.mark.parametrize("which", [0, 3], ids=["jpeg", "png"])
def test_an_altered_image_is_refused(recorded, tmp_path, which):
    ref = image_of(items(recorded)[which])
    data = bytearray(members(recorded)[ref["path"]])
    data[-64] ^= 0x01  # one bit of the pixels' data: the header still reads fine
    pack = repack(recorded, tmp_path / "altered.pack", files={ref["path"]: bytes(data)})
    assert_refused(tmp_path, pack, rf"{ref['path']}.*do not match its sha256")


def test_the_hash_is_of_the_image_without_its_metadata_chunk(recorded, tmp_path):
    # the same pixels with other metadata embedded: same hash, accepted (the chunk is not part of the image)
    ref = image_of(items(recorded)[3])
    stored = members(recorded)[ref["path"]]
    other = embed_metadata(strip_metadata(stored, ref["mime"]), ref["mime"], {"prompt": "relabelled"})
    assert other != stored
    pack = repack(recorded, tmp_path / "relabelled.pack", files={ref["path"]: other})
    studio = tk.Studio(backend="offline", home=tmp_path / "home")
    assert studio.import_pack(pack).entries == 4


@pytest.mark.parametrize("junk", [b"\x89PNG\r\n\x1a\n" + bytes(200), b"\xff\xd8\xff" + b"<script>" * 40],
                         ids=["png-magic-then-zeros", "jpeg-magic-then-html"])
def test_a_file_that_only_starts_like_an_image_is_refused(recorded, tmp_path, junk):
    mime = "image/png" if junk.startswith(b"\x89PNG") else "image/jpeg"
    sha = digest(junk)  # a correct hash: only the header read can tell
    path = f"images/{sha[:2]}/{sha}{'.png' if mime == 'image/png' else '.jpg'}"
    old = image_of(items(recorded)[0])

    def edit(lines):
        retarget(lines[0]["entry"], old["sha256"], sha256=sha, mime=mime, path=path)

    pack = repack(recorded, tmp_path / "junk.pack", edit, {path: junk, old["path"]: None})
    assert_refused(tmp_path, pack, rf"{path}.*not a readable {mime} image")


def test_an_image_labelled_with_another_mime_type_is_refused(recorded, tmp_path):
    old = image_of(items(recorded)[0])  # a JPEG
    assert old["mime"] == "image/jpeg"
    path = f"images/{old['sha256'][:2]}/{old['sha256']}.png"

    def edit(lines):
        retarget(lines[0]["entry"], old["sha256"], mime="image/png", path=path)

    pack = repack(recorded, tmp_path / "relabel.pack", edit, {path: members(recorded)[old["path"]],
                                                               old["path"]: None})
    assert_refused(tmp_path, pack, r"not a image/png file \(its header reads as image/jpeg\)")


def test_a_missing_image_is_named(recorded, tmp_path):
    ref = image_of(items(recorded)[1])
    pack = repack(recorded, tmp_path / "missing.pack", files={ref["path"]: None})
    assert_refused(tmp_path, pack, rf"member {ref['path']}: missing")
