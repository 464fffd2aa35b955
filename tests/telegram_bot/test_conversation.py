"""Memory and commands: what the model sees after /reset, idle time and /retry; /model, /stats, /start."""

from __future__ import annotations

import pytest
from conftest import TWO_MODELS

from flaresim.ai import simulator

CHAT = 1111111


def contents(call):
    return [m["content"] for m in call["messages"]]


@pytest.fixture
def quiet_bot(load_bot):
    return load_bot(BOT_STREAM="off")


async def test_the_model_sees_the_conversation_so_far(quiet_bot, updates):
    await quiet_bot.send(updates.text("my name is Zed"))
    await quiet_bot.send(updates.text("what is my name?"))
    asked = contents(quiet_bot.model_calls()[-1])
    assert "my name is Zed" in asked and asked[-1] == "what is my name?"
    assert quiet_bot.model_calls()[-1]["messages"][2]["role"] == "assistant"


async def test_reset_clears_the_history_so_the_next_answer_does_not_see_earlier_messages(quiet_bot, updates):
    await quiet_bot.send(updates.text("my name is Zed"))
    await quiet_bot.send(updates.text("/reset"))
    assert quiet_bot.answers(CHAT)[-1] == "Started a new conversation. Earlier messages are forgotten."
    await quiet_bot.send(updates.text("what is my name?"))
    asked = contents(quiet_bot.model_calls()[-1])
    assert not any("Zed" in text for text in asked)
    assert [m["role"] for m in quiet_bot.model_calls()[-1]["messages"]] == ["system", "user"]


async def test_a_conversation_idle_for_three_hours_starts_afresh(quiet_bot, updates, flaresim):
    await quiet_bot.send(updates.text("my name is Zed"))
    await flaresim.advance(3 * 3600 - 60)
    await quiet_bot.send(updates.text("still there?"))
    assert "my name is Zed" in contents(quiet_bot.model_calls()[-1])
    await flaresim.advance(3 * 3600 + 1)
    await quiet_bot.send(updates.text("what is my name?"))
    assert not any("Zed" in text for text in contents(quiet_bot.model_calls()[-1]))


async def test_history_is_trimmed_to_the_token_budget_keeping_the_newest(load_bot, updates, scripted_model):
    bot = load_bot(BOT_STREAM="off", BOT_HISTORY_TOKENS="400", BOT_MESSAGES_PER_MINUTE="0")
    scripted_model.default = "ok"
    for i in range(12):
        await bot.send(updates.text(f"message {i}: " + "padding " * 20))
    asked = contents(bot.model_calls()[-1])
    assert asked[-1].startswith("message 11:")
    assert not any(text.startswith("message 0:") for text in asked)
    assert sum(len(text) for text in asked) // 4 <= 400


async def test_retry_asks_the_same_question_again_and_replaces_the_answer(quiet_bot, updates, scripted_model, flaresim):
    scripted_model.answers += ["first try", "second try"]
    await quiet_bot.send(updates.text("tell me a joke"))
    await quiet_bot.send(updates.text("/retry"))
    first, second = scripted_model.requests
    assert second["messages"] == first["messages"]
    assert quiet_bot.answers(CHAT) == ["first try", "second try"]
    await quiet_bot.send(updates.text("and another"))
    history = [m["content"] for m in scripted_model.requests[-1]["messages"]]
    assert "second try" in history and "first try" not in history


async def test_retry_with_nothing_asked_yet_says_so(quiet_bot, updates):
    await quiet_bot.send(updates.text("/retry"))
    assert quiet_bot.answers(CHAT) == ["There is no message of yours to answer again yet."]


async def test_model_lists_the_proxys_models_and_switches_the_chats_model(load_bot, updates):
    bot = load_bot(BOT_STREAM="off", proxy={"GATEWAY_CONFIG": TWO_MODELS})
    await bot.send(updates.text("/model"))
    listing = bot.answers(CHAT)[-1]
    assert "glm-flash (current)" in listing and "gpt-oss" in listing
    await bot.send(updates.text("/model gpt-oss"))
    assert bot.answers(CHAT)[-1] == "Model set to gpt-oss for this chat."
    await bot.send(updates.text("hi"))
    assert [model for model, _ in simulator(bot.runtime).calls][-1] == "@cf/openai/gpt-oss-20b"
    await bot.send(updates.text("/model no-such-model"))
    assert bot.answers(CHAT)[-1].startswith("There is no model no-such-model.")


async def test_the_model_choice_survives_reset(load_bot, updates):
    bot = load_bot(BOT_STREAM="off", proxy={"GATEWAY_CONFIG": TWO_MODELS})
    await bot.send(updates.text("/model gpt-oss"))
    await bot.send(updates.text("/reset"))
    await bot.send(updates.text("hi"))
    assert [model for model, _ in simulator(bot.runtime).calls][-1] == "@cf/openai/gpt-oss-20b"


async def test_stats_reports_this_chats_messages_tokens_and_cost(quiet_bot, updates):
    await quiet_bot.send(updates.text("hello"))
    await quiet_bot.send(updates.text("again"))
    await quiet_bot.send(updates.text("/stats"))
    stats = quiet_bot.answers(CHAT)[-1]
    assert "This conversation: 4 messages" in stats
    assert "Today: 2 answers" in stats and "All time: 2 answers" in stats
    assert "of 100000 tokens left" in stats and "Model: @cf/zai-org/glm-4.7-flash" in stats


@pytest.mark.parametrize("command", ["/start", "/help"])
async def test_start_and_help_list_every_command(quiet_bot, updates, command):
    await quiet_bot.send(updates.text(command))
    text = quiet_bot.answers(CHAT)[-1]
    for name in ("/start", "/help", "/reset", "/model", "/stats", "/retry"):
        assert name in text
    assert quiet_bot.model_calls() == []


async def test_an_unknown_command_gets_a_hint_in_a_private_chat(quiet_bot, updates):
    await quiet_bot.send(updates.text("/frobnicate"))
    assert quiet_bot.answers(CHAT) == ["I don't know /frobnicate. Try /help."]
