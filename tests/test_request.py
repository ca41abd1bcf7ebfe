import hashlib
import json

from toolkit.request import ImagePart, Options, Request, TextPart, Turn, canonical_json

IMG = ImagePart.from_bytes(b"\x89PNG fake", "image/png")


def req(**kw):
    base = dict(backend="gemini", model="gemini-3.1-flash-image",
                turns=(Turn("user", (TextPart("a cat"), IMG)),), options=Options(aspect_ratio="16:9"))
    base.update(kw)
    return Request(**base)


def test_key_is_sha256_of_documented_payload():
    r = req()
    payload = {"v": 1, "backend": "gemini", "model": "gemini-3.1-flash-image",
               "turns": [{"role": "user", "parts": [{"text": "a cat"},
                                                     {"image": {"sha256": IMG.sha256, "mime": "image/png"}}]}],
               "options": {"aspect_ratio": "16:9"}}
    expected = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert r.key == expected


def test_key_changes_with_what_changes_the_output():
    base = req().key
    assert req(operation="edit").key == base  # bookkeeping only
    assert req(variant=1).key != base
    assert req(options=Options(aspect_ratio="16:9", seed=1)).key != base
    assert req(model="gemini-3-pro-image").key != base
    assert req(backend="offline").key != base
    other = ImagePart.from_bytes(b"\x89PNG other", "image/png")
    assert req(turns=(Turn("user", (TextPart("a cat"), other)),)).key != base
    assert req(turns=(Turn("user", (TextPart("a cat "), IMG)),)).key != base


def test_thought_signatures_are_part_of_history_key():
    user = Turn("user", (TextPart("draw"),))
    m1 = Turn("model", (ImagePart.from_bytes(b"x", "image/png", thought_signature=b"sig1"),))
    m2 = Turn("model", (ImagePart.from_bytes(b"x", "image/png", thought_signature=b"sig2"),))
    nxt = Turn("user", (TextPart("again"),))
    assert req(turns=(user, m1, nxt)).key != req(turns=(user, m2, nxt)).key


def test_working_images_falls_back_to_last_model_image():
    user = Turn("user", (TextPart("draw"), IMG))
    out = ImagePart.from_bytes(b"out", "image/jpeg")
    model = Turn("model", (TextPart("here"), out))
    r = req(turns=(user, model, Turn("user", (TextPart("add a moon"),))))
    assert r.working_images() == (out,)
    assert r.prompt == "add a moon"


def test_canonical_json_is_stable_and_utf8():
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
