"""Who gets answers: groups only when addressed, the allow list, per-chat limits, and proxy failures."""

from __future__ import annotations

import re

import pytest
from conftest import BOT_USER

from flaresim.ai import simulator

CHAT = 1111111


@pytest.fixture
def quiet_bot(load_bot):
    return load_bot(BOT_STREAM="off")


async def test_in_a_group_the_bot_answers_only_mentions_replies_and_its_commands(quiet_bot, updates):
    group = updates.group_chat()
    member = updates.user(2222, "Bo", "bo")
    await quiet_bot.send(updates.text("just chatting among us", user=member, chat=group))
    await quiet_bot.send(updates.text("/help@other_bot", user=member, chat=group))
    assert quiet_bot.api.calls_of("sendMessage") == [] and quiet_bot.model_calls() == []

    mention = updates.text("@flarekit_bot what is 2+2?", user=member, chat=group)
    await quiet_bot.send(mention)
    assert quiet_bot.model_calls()[-1]["messages"][-1]["content"] == "what is 2+2?"
    [answer] = quiet_bot.api.calls_of("sendMessage")
    assert answer.params["chat_id"] == group["id"]
    assert answer.params["reply_parameters"]["message_id"] == mention["message"]["message_id"]

    earlier = updates.bot_message(BOT_USER, group, "4")
    await quiet_bot.send(updates.text("why?", user=member, chat=group, reply_to=earlier))
    await quiet_bot.send(updates.text("/help@flarekit_bot", user=member, chat=group))
    assert len(quiet_bot.model_calls()) == 2
    assert len(quiet_bot.api.calls_of("sendMessage")) == 3
    assert quiet_bot.api.calls_of("editMessageText") == []  # no streaming in groups


async def test_without_a_configured_username_the_bot_asks_telegram_who_it_is_once(load_bot, updates):
    bot = load_bot(BOT_STREAM="off", TELEGRAM_BOT_USERNAME="")
    group = updates.group_chat()
    await bot.send(updates.text("@flarekit_bot hi", chat=group))
    await bot.send(updates.text("@flarekit_bot again", chat=group))
    assert len(bot.api.calls_of("getMe")) == 1
    assert len(bot.model_calls()) == 2


async def test_users_not_on_the_allow_list_get_one_polite_refusal(load_bot, updates):
    bot = load_bot(BOT_STREAM="off", TELEGRAM_ALLOWED_USERS="42, 43")
    await bot.send(updates.text("hello"))
    await bot.send(updates.text("hello again"))
    [refusal] = bot.answers(CHAT)
    assert "not on its list of users" in refusal and "1111111" in refusal
    assert bot.model_calls() == []
    allowed = updates.user(42, "Al", "al")
    await bot.send(updates.text("hi", user=allowed))
    assert len(bot.model_calls()) == 1


async def test_messages_past_the_per_minute_limit_are_refused_with_when_to_try_again(load_bot, updates, flaresim):
    bot = load_bot(BOT_STREAM="off", BOT_MESSAGES_PER_MINUTE="2")
    for text in ("one", "two", "three"):
        await bot.send(updates.text(text))
    assert len(bot.model_calls()) == 2
    refusal = bot.answers(CHAT)[-1]
    assert refusal.startswith("You're sending messages faster than this chat allows (2 a minute)")
    assert re.search(r"try again in \d+ (s|min)", refusal)
    await flaresim.advance(120)
    await bot.send(updates.text("four"))
    assert len(bot.model_calls()) == 3


async def test_the_per_minute_limit_is_exact_across_isolates(load_bot, updates):
    bot = load_bot(isolates=3, BOT_STREAM="off", BOT_MESSAGES_PER_MINUTE="4")
    for i in range(9):
        await bot.send(updates.text(f"message {i}"))
    assert len(bot.model_calls()) == 4


async def test_a_chat_out_of_daily_tokens_is_told_when_its_quota_resets(load_bot, updates):
    bot = load_bot(BOT_STREAM="off", BOT_TOKENS_PER_DAY="150")
    await bot.send(updates.text("first"))
    await bot.send(updates.text("second " * 40))
    refusal = bot.answers(CHAT)[-1]
    assert refusal.startswith("This chat has used today's 150 tokens. Please try again in")
    assert len(bot.model_calls()) == 1


async def test_when_the_model_fails_the_user_gets_a_friendly_message_and_retry_works(quiet_bot, updates, flaresim):
    simulator(flaresim).fail_next("3043: Internal server error", times=20)  # more than the proxy retries
    await quiet_bot.send(updates.text("are you there?"))
    assert quiet_bot.answers(CHAT) == [
        "Sorry, I couldn't reach the AI just now. Please try again in a moment (/retry)."
    ]
    simulator(flaresim).failures.clear()
    await flaresim.advance(120)  # past the proxy's circuit-breaker cooldown
    await quiet_bot.send(updates.text("/retry"))
    assert quiet_bot.model_calls()[-1]["messages"][-1]["content"] == "are you there?"
    assert quiet_bot.answers(CHAT)[-1].startswith("[simulated]")


async def test_when_the_model_is_too_slow_the_user_is_told_so(load_bot, updates, flaresim):
    bot = load_bot(BOT_STREAM="off", BOT_PROXY_TIMEOUT_SECONDS="0.05")
    simulator(flaresim).token_delay = 0.02  # a real-time trickle: the timeout is the platform's timer
    await bot.send(updates.text("take your time"))
    assert bot.answers(CHAT) == ["Sorry, the AI took too long to answer. Please try again (/retry)."]


async def test_a_proxy_failure_while_streaming_ends_the_placeholder_with_the_apology(bot, updates, flaresim):
    simulator(flaresim).fail_next("3043: Internal server error", times=20)
    await bot.send(updates.text("are you there?"))
    [placeholder] = bot.api.calls_of("sendMessage")
    assert placeholder.params["text"] == "…"
    assert bot.answers(CHAT) == ["Sorry, I couldn't reach the AI just now. Please try again in a moment (/retry)."]
