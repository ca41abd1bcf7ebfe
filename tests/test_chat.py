"""Chats: Interactions on the Gemini backend (through the real SDK against the fake), full replay elsewhere."""

from __future__ import annotations

import functools
import hashlib

import pytest

import toolkit as tk
from toolkit.chat import RESTART_NOTE
from toolkit.images import strip_metadata

KEY = "test-key-123456"


@functools.cache
def cat():
    return tk.sample("cat")


def two_turns(chat):
    first = chat.send("Make it night time", images=[cat()], image_size="512")
    second = chat.send("Now add a moon", image_size="512")
    assert first.status == second.status == "ok"
    return first, second


# -- which API --------------------------------------------------------------------------------------------------
def test_chats_use_interactions_and_one_shot_calls_stay_on_generate_content(gemini, server):
    assert gemini.gemini_api == "interactions"
    gemini.generate("a lighthouse", image_size="512")
    assert server.call_count == 1 and server.interactions.call_count == 0
    chat = gemini.chat()
    assert chat.api == "interactions"
    two_turns(chat)
    assert server.call_count == 1 and server.interactions.call_count == 2
    assert gemini.ledger.df["operation"].tolist() == ["generate", "chat", "chat"]
    assert gemini.ledger.df["backend"].tolist() == ["gemini"] * 3


def test_generate_content_option_keeps_the_full_replay(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                       gemini_api="generate_content")
    chat = studio.chat()
    assert chat.api == "generate_content"
    two_turns(chat)
    assert server.interactions.call_count == 0 and server.call_count == 2
    assert len(server.calls[-1].json["contents"]) == 3  # user, model (with its signature), user
    assert [r["api"] for r in studio.store.chat_turns(chat.chat_id)] == ["generate_content"] * 2


def test_per_chat_override(gemini, server):
    chat = gemini.chat(gemini_api="generate-content")
    chat.send("a boat", image_size="512")
    assert chat.api == "generate_content" and server.call_count == 1 and server.interactions.call_count == 0


def test_bad_gemini_api_is_a_config_error(home):
    with pytest.raises(tk.ConfigError, match="gemini_api='stateful'"):
        tk.Studio(backend="offline", home=home, gemini_api="stateful")


def test_other_backends_keep_the_replay_path(studio):
    chat = studio.chat(gemini_api="interactions")  # no Interactions API offline: the history is replayed
    assert chat.api == "generate_content"
    two_turns(chat)
    assert len(chat) == 2 and len(chat.turns) == 4


# -- the conversation on the server -----------------------------------------------------------------------------
def test_each_turn_continues_the_previous_interaction(gemini, server):
    chat = gemini.chat()
    first, second = two_turns(chat)
    third = chat.send("Now add snow", image_size="512")
    prev = [c.json.get("previous_interaction_id") for c in server.interactions.creates]
    assert prev == [None, first.response_id, second.response_id]
    assert chat.interaction_id == third.response_id
    assert [ex.interaction_id for ex in chat.history] == [first.response_id, second.response_id, third.response_id]
    assert len(gemini.ledger) == 3 and gemini.ledger.df["response_id"].tolist() == [*prev[1:], third.response_id]


def test_expired_state_restarts_from_the_last_saved_image(gemini, server):
    chat = gemini.chat()
    _, second = two_turns(chat)
    server.interactions.expire()  # a day later on the free tier
    third = chat.send("Now add snow", image_size="512")
    assert third.status == "ok" and third.reason.startswith(RESTART_NOTE) and second.response_id in third.reason
    expired, restart = server.interactions.creates[-2:]
    assert expired.status_code == 404 and expired.json["previous_interaction_id"] == second.response_id
    assert "previous_interaction_id" not in restart.json
    sent = restart.json["input"][0]["content"]
    assert [c["type"] for c in sent] == ["text", "image"] and sent[0]["text"] == "Now add snow"
    assert third.request.turns[-1].images[0].sha256 == second.outputs[0].sha256  # the last saved image
    # one turn, one ledger row: the 404 is not a failed call
    assert len(gemini.ledger) == 3 and set(gemini.ledger.df["status"]) == {"ok"}
    assert gemini.ledger.df["reason"].iloc[-1].startswith(RESTART_NOTE)
    # and it carries on from the new chain
    fourth = chat.send("Now add a dog", image_size="512")
    assert fourth.reason is None and server.interactions.creates[-1].json["previous_interaction_id"] == third.response_id
    assert [r["restarted"] for r in gemini.store.chat_turns(chat.chat_id)] == [False, False, True, False]
    assert "restarted" in chat._repr_html_()


def test_restart_without_any_saved_image(gemini, server):
    chat = gemini.chat()
    chat.send("a boat", image_size="512")
    server.interactions.enqueue("no_image")
    chat.send("describe it")  # text-only answer: joins the history, no image in it
    assert chat.history[-1].result.status == "no_image"
    chat.undo()
    server.interactions.expire()
    r = chat.send("make it night time", image_size="512")
    assert r.status == "ok" and RESTART_NOTE in r.reason  # restarted from turn 1's image


def test_undo_continues_from_the_previous_id(gemini, server):
    chat = gemini.chat()
    first, second = two_turns(chat)
    undone = chat.undo()
    assert undone.result is second and len(chat) == 1 and chat.interaction_id == first.response_id
    chat.send("Now add a sun", image_size="512")
    assert server.interactions.creates[-1].json["previous_interaction_id"] == first.response_id
    assert chat.undo() is not None and chat.undo() is not None and chat.undo() is None and len(chat) == 0


def test_branch_by_id_while_the_server_keeps_it_then_by_replay(gemini, server):
    chat = gemini.chat()
    first, _ = two_turns(chat)
    assert chat.branch(0).result is first
    assert len(chat) == 1 and chat.interaction_id == first.response_id
    b1 = chat.send("Now add rain", image_size="512")
    assert server.interactions.creates[-1].json["previous_interaction_id"] == first.response_id and b1.reason is None
    # the first turn's state is gone: branching from it restarts from its saved image
    server.interactions.expire(first.response_id)
    chat.branch(0)
    b2 = chat.send("Now add fog", image_size="512")
    assert RESTART_NOTE in b2.reason and b2.request.turns[-1].images[0].sha256 == first.outputs[0].sha256
    rows = gemini.store.chat_turns(chat.chat_id)
    assert [(r["turn"], r["parent"]) for r in rows] == [(0, None), (1, 0), (2, 0), (3, 0)]
    with pytest.raises(tk.InputError, match="branch"):
        chat.branch(7)


def test_blocked_and_failed_turns_do_not_join_the_history(gemini, server):
    chat = gemini.chat()
    first = chat.send("Make it night time", images=[cat()], image_size="512")
    server.interactions.enqueue("blocked")
    assert chat.send("Now add a moon", image_size="512").status == "blocked"
    assert len(chat) == 1
    chat.send("Now add a star", image_size="512")
    assert server.interactions.creates[-1].json["previous_interaction_id"] == first.response_id


def test_provider_error_is_raised_and_recorded(gemini, server):
    chat = gemini.chat()
    chat.send("a boat", image_size="512")
    server.interactions.enqueue(400)
    with pytest.raises(tk.ProviderError):
        chat.send("now add a moon", image_size="512")
    rows = gemini.store.chat_turns(chat.chat_id)
    assert [r["status"] for r in rows] == ["ok", "error"] and "400" in rows[-1]["reason"]
    assert len(chat) == 1 and gemini.ledger.df["status"].tolist() == ["ok", "error"]


# -- the local record -------------------------------------------------------------------------------------------
def test_every_turn_is_recorded_with_its_images_and_id(gemini, server):
    chat = gemini.chat()
    first, second = two_turns(chat)
    rows = gemini.store.chat_turns(chat.chat_id)
    assert [r["turn"] for r in rows] == [0, 1] and [r["parent"] for r in rows] == [None, 0]
    assert [r["prompt"] for r in rows] == ["Make it night time", "Now add a moon"]
    assert [r["interaction_id"] for r in rows] == [first.response_id, second.response_id]
    assert rows[1]["previous_interaction_id"] == first.response_id
    assert all(r["model"] == tk.DEFAULT_MODEL and r["status"] == "ok" and r["created"] for r in rows)
    assert rows[0]["options"] == {"image_size": "512"} and rows[0]["key"] == first.key
    # the input photo and each output are in the home's image store, intact
    refs = rows[0]["inputs"] + [rows[0]["output"], rows[1]["output"]]
    assert len(rows[0]["inputs"]) == 1 and rows[1]["inputs"] == []
    for ref in refs:
        data = strip_metadata((gemini.store.home / ref["path"]).read_bytes(), ref["mime"])
        assert hashlib.sha256(data).hexdigest() == ref["sha256"]
    assert rows[1]["output"]["sha256"] == second.outputs[0].sha256
    assert list(chat.record()["prompt"]) == ["Make it night time", "Now add a moon"]
    assert gemini.store.chat_ids() == [chat.chat_id]


def test_resume_continues_by_id_and_restarts_once_expired(gemini, server, home):
    chat = gemini.chat()
    _, second = two_turns(chat)
    later = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home)
    again = later.chat(resume=chat.chat_id)
    assert [ex.prompt for ex in again.history] == ["Make it night time", "Now add a moon"]
    assert again.interaction_id == second.response_id and again.image.size == second.image.size
    third = again.send("Now add snow", image_size="512")
    assert third.reason is None and server.interactions.creates[-1].json["previous_interaction_id"] == second.response_id
    # the same conversation's cache key, rebuilt from the record, equals the live one
    assert third.key == chat.send("Now add snow", image_size="512").key
    server.interactions.expire()
    fourth = later.chat(resume=chat.chat_id).send("Now add a dog", image_size="512")
    assert RESTART_NOTE in fourth.reason
    with pytest.raises(tk.InputError, match="No chat"):
        later.chat(resume="nope")


def test_resuming_a_generate_content_chat_restarts_from_its_saved_image(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home,
                       gemini_api="generate_content")
    chat = studio.chat()
    _, second = two_turns(chat)
    resumed = studio.chat(resume=chat.chat_id)
    r = resumed.send("Now add snow", image_size="512")  # no signatures in the record: nothing to replay
    assert r.status == "ok" and "restarted from the last saved image" in r.reason
    assert len(server.calls[-1].json["contents"]) == 1 and r.request.turns[-1].images[0].sha256 == second.outputs[0].sha256


# -- the cache --------------------------------------------------------------------------------------------------
def test_a_recorded_conversation_replays_from_the_cache_and_continues_on_the_server(gemini, server):
    _, second = two_turns(gemini.chat())
    calls = server.interactions.call_count
    chat = gemini.chat()
    a, b = two_turns(chat)
    assert a.cached and b.cached and a.cost_usd == b.cost_usd == 0 and server.interactions.call_count == calls
    assert b.response_id == second.response_id  # the recorded interaction id, still alive on the server
    chat.send("Now add snow", image_size="512")
    assert server.interactions.creates[-1].json["previous_interaction_id"] == second.response_id
    assert len(gemini.ledger) == 5 and gemini.ledger.df["cached"].tolist() == [False, False, True, True, False]


def test_interactions_keys_never_collide_with_generate_content_or_restarts(gemini, server):
    ia = gemini.chat()
    i1, i2 = two_turns(ia)
    gc = gemini.chat(gemini_api="generate_content")
    g1 = gc.send("Make it night time", images=[cat()], image_size="512")
    assert not g1.cached and g1.key != i1.key  # same conversation, other API: never answers for the other
    assert i1.request.payload()["api"] == "interactions" and "api" not in g1.request.payload()
    server.interactions.expire()
    restarted = ia.send("Now add snow", image_size="512")
    ia2 = gemini.chat()
    seeded = ia2.send("Now add snow", images=[i2.outputs[0]], image_size="512")
    assert restarted.request.payload()["restart"] is True and seeded.key != restarted.key and not seeded.cached


def test_refresh_skips_the_cache(gemini, server):
    two_turns(gemini.chat())
    r = gemini.chat().send("Make it night time", images=[cat()], image_size="512", refresh=True)
    assert not r.cached and server.interactions.call_count == 3


# -- housekeeping -----------------------------------------------------------------------------------------------
def test_delete_server_state(gemini, server):
    chat = gemini.chat()
    two_turns(chat)
    assert len(server.interactions.stored_ids) == 2
    assert chat.delete_server_state() == 2 and server.interactions.stored_ids == []
    assert chat.delete_server_state() == 0
    assert RESTART_NOTE in chat.send("Now add snow", image_size="512").reason


def test_budget_refusal_sends_nothing(server, home):
    studio = tk.Studio(backend="gemini", api_key=KEY, base_url=server.base_url, home=home, budget_usd=0.001)
    with pytest.raises(tk.BudgetExceededError):
        studio.chat().send("a boat", image_size="512")
    assert server.interactions.call_count == 0 and studio.ledger.df["status"].tolist() == ["refused"]


def test_repr(gemini):
    chat = gemini.chat()
    assert "api='interactions'" in repr(chat) and "no turns yet" in chat._repr_html_()
