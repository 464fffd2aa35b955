"""The webhook: the secret, a fast 200, one reply per update, and bad input acknowledged without a crash."""

from __future__ import annotations

import asyncio

import pytest

from flaresim.fake_telegram import UpdateFactory

CHAT = 1111111


async def test_a_text_message_is_answered_in_its_chat_with_the_models_answer(bot, updates):
    response = await bot.send(updates.text("hello bot"))
    assert response.status == 200
    answers = bot.answers(CHAT)
    assert len(answers) == 1
    assert answers[0].startswith("[simulated]")
    asked = bot.model_calls()[-1]["messages"]
    assert asked[0]["role"] == "system"
    assert asked[-1] == {"role": "user", "content": "hello bot"}
    assert bot.api.calls_of("sendChatAction")[0].params == {"chat_id": CHAT, "action": "typing"}


async def test_the_webhook_answers_before_the_model_is_asked(bot, updates):
    response = await bot.post(updates.text("hello"))
    assert response.status == 200
    assert bot.model_calls() == []  # the work continues after the response
    await bot.runtime.drain()
    assert len(bot.model_calls()) == 1


@pytest.mark.parametrize("secret", ["wrong-secret", "", None, "dev-webhook-secre"])
async def test_a_wrong_or_missing_secret_gets_401_and_nothing_is_sent(bot, updates, secret):
    response = await bot.send(updates.text("hello"), secret=secret)
    assert response.status == 401
    assert bot.model_calls() == [] and list(bot.api.calls) == []


async def test_without_a_secret_configured_production_refuses_every_call(load_bot, updates):
    bot = load_bot(ENVIRONMENT="production", TELEGRAM_WEBHOOK_SECRET="")
    response = await bot.send(updates.text("hello"), secret="")
    assert response.status == 503
    assert "TELEGRAM_WEBHOOK_SECRET" in (await response.json())["description"]
    assert bot.model_calls() == []


async def test_a_redelivered_update_gets_one_reply(bot, updates):
    update = updates.text("hello once")
    first = await bot.send(update)
    second = await bot.send(update)
    assert first.status == second.status == 200
    assert len(bot.model_calls()) == 1
    assert len(bot.answers(CHAT)) == 1


async def test_concurrent_deliveries_of_one_update_get_one_reply(load_bot, updates):
    bot = load_bot(isolates=2)
    update = updates.text("hello at once")
    responses = await asyncio.gather(*(bot.post(update) for _ in range(5)))
    await bot.runtime.drain()
    assert [r.status for r in responses] == [200] * 5
    assert len(bot.model_calls()) == 1
    assert len(bot.answers(CHAT)) == 1


async def test_updates_of_one_chat_are_answered_in_order_and_each_sees_the_ones_before(bot, updates):
    texts = ["first question", "second question", "third question"]
    await asyncio.gather(*(bot.post(updates.text(t)) for t in texts))
    await bot.runtime.drain()
    asked = [call["messages"] for call in bot.model_calls()]
    assert [m[-1]["content"] for m in asked] == texts
    # each question was asked with the earlier exchanges in its history
    assert [len(m) for m in asked] == [2, 4, 6]
    sent = [c.params["text"] for c in bot.api.calls_of("sendMessage")]
    assert len(sent) == 3


BAD_INPUT = {
    "malformed JSON": "{not json",
    "JSON that is not an object": "[1, 2, 3]",
    "empty body": "",
    "update without a chat": '{"update_id": 5, "inline_query": {"id": "1", "query": "x"}}',
}


@pytest.mark.parametrize("raw", BAD_INPUT.values(), ids=BAD_INPUT.keys())
async def test_malformed_updates_get_200_and_no_reply(bot, raw):
    response = await bot.send(None, raw=raw)
    assert response.status == 200
    assert list(bot.api.calls) == [] and bot.model_calls() == []
    assert bot.runtime.background_failures == 0


UNHANDLED = {
    "edited message": UpdateFactory().edited("changed text"),
    "channel post": UpdateFactory().channel_post("news of the day"),
    "callback query": UpdateFactory().callback_query("again"),
    "empty text": UpdateFactory().text("   "),
    "message from a bot": UpdateFactory().text("beep", user={"id": 99, "is_bot": True, "first_name": "B"}),
    "wrong field types": {"update_id": 77, "message": {"message_id": "x", "chat": {"id": "1"}, "from": [], "text": 5}},
}


@pytest.mark.parametrize("update", UNHANDLED.values(), ids=UNHANDLED.keys())
async def test_updates_the_bot_does_not_handle_get_200_and_no_reply(bot, update):
    response = await bot.send(update)
    assert response.status == 200
    assert bot.model_calls() == []
    assert bot.api.calls_of("sendMessage") == []
    assert bot.runtime.background_failures == 0


async def test_a_sticker_in_a_private_chat_gets_a_note_that_only_text_is_read(bot, updates):
    await bot.send(updates.sticker())
    assert bot.answers(CHAT) == ["I can only read text messages (and photo captions) for now."]
    assert bot.model_calls() == []


async def test_a_photo_caption_is_answered_and_the_model_is_told_it_cannot_see_the_photo(bot, updates):
    await bot.send(updates.photo("what breed is this dog?"))
    asked = bot.model_calls()[-1]["messages"][-1]["content"]
    assert asked.endswith("what breed is this dog?") and "photo" in asked
    assert len(bot.answers(CHAT)) == 1
