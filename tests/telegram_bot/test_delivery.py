"""Delivery to Telegram: HTML with a plain-text fallback, splitting, and retries that honour retry_after."""

from __future__ import annotations

import pytest

from flaresim.fake_telegram import parse_html

CHAT = 1111111
MARKDOWN = "Here is **bold**, *italic*, a [link](https://example.com) and `x < y`:\n\n```python\nprint('<hi>')\n```"


@pytest.fixture
def quiet_bot(load_bot):
    """The bot without streaming, so each answer is exactly one queued sendMessage per part."""
    return load_bot(BOT_STREAM="off")


async def test_markdown_answers_are_sent_as_telegram_html(quiet_bot, updates, scripted_model):
    scripted_model.answers.append(MARKDOWN)
    await quiet_bot.send(updates.text("show me formatting"))
    [call] = quiet_bot.api.calls_of("sendMessage")
    assert call.params["parse_mode"] == "HTML"
    assert "<b>bold</b>" in call.params["text"] and '<a href="https://example.com">link</a>' in call.params["text"]
    assert "<pre><code class=\"language-python\">print('&lt;hi&gt;')</code></pre>" in call.params["text"]
    assert quiet_bot.answers(CHAT) == [parse_html(call.params["text"])]


async def test_when_telegram_refuses_the_html_the_answer_is_sent_as_plain_text(quiet_bot, updates, scripted_model):
    scripted_model.answers.append(MARKDOWN)
    quiet_bot.api.fail_next(
        "sendMessage", 400, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    await quiet_bot.send(updates.text("show me formatting"))
    refused, accepted = quiet_bot.api.calls_of("sendMessage", ok_only=False)
    assert refused.status == 400 and refused.params["parse_mode"] == "HTML"
    assert accepted.status == 200 and "parse_mode" not in accepted.params
    assert quiet_bot.answers(CHAT) == [MARKDOWN]


async def test_a_long_answer_is_split_into_messages_within_the_limit_without_breaking_code(
    quiet_bot, updates, scripted_model
):
    code = "\n".join(f"line_{i} = {i}  # {'.' * 50}" for i in range(120))
    paragraphs = "\n\n".join(f"Paragraph {i}: " + "words " * 80 for i in range(8))
    scripted_model.answers.append(f"{paragraphs}\n\n```python\n{code}\n```\n\nDone.")
    await quiet_bot.send(updates.text("write a lot"))
    sent = quiet_bot.api.calls_of("sendMessage")
    assert len(sent) >= 3
    shown = quiet_bot.answers(CHAT)
    assert all(len(text.encode("utf-16-le")) // 2 <= 4096 for text in shown)
    for call in sent:  # every part is valid HTML on its own (the fake parses it as Telegram does)
        assert call.params["text"].count("<pre>") == call.params["text"].count("</pre>")
    code_lines = [line for text in shown for line in text.split("\n") if line.startswith("line_")]
    assert code_lines == code.split("\n")
    assert shown[0].startswith("Paragraph 0") and shown[-1].endswith("Done.")


async def test_a_429_is_retried_after_retry_after_and_later_messages_wait_behind_it(quiet_bot, updates, flaresim):
    quiet_bot.api.fail_next("sendMessage", 429, retry_after=30)
    await quiet_bot.send(updates.text("first"))
    assert quiet_bot.answers(CHAT) == []
    await quiet_bot.send(updates.text("second"))
    assert quiet_bot.answers(CHAT) == []  # queued behind the first, in order
    await flaresim.advance(29)
    assert quiet_bot.answers(CHAT) == []
    await flaresim.advance(1)
    await flaresim.drain()
    assert len(quiet_bot.answers(CHAT)) == 2
    attempts = quiet_bot.api.calls_of("sendMessage", ok_only=False)
    assert [c.status for c in attempts] == [429, 200, 200]
    assert attempts[1].at - attempts[0].at == 30
    assert attempts[1].params == attempts[0].params


async def test_server_errors_are_retried_with_backoff_up_to_three_tries(quiet_bot, updates, flaresim):
    quiet_bot.api.fail_next("sendMessage", 502, times=2)
    await quiet_bot.send(updates.text("hello"))
    await flaresim.advance(1)
    await flaresim.advance(4)
    await flaresim.drain()
    attempts = quiet_bot.api.calls_of("sendMessage", ok_only=False)
    assert [c.status for c in attempts] == [502, 502, 200]
    assert len(quiet_bot.answers(CHAT)) == 1


async def test_a_message_that_fails_three_times_is_dropped_logged_and_counted(quiet_bot, updates, flaresim, caplog):
    quiet_bot.api.fail_next("sendMessage", 500, disconnect=True, times=3)
    await quiet_bot.send(updates.text("hello"))
    await flaresim.advance(1)
    await flaresim.advance(4)
    await flaresim.drain()
    assert len(quiet_bot.api.calls_of("sendMessage", ok_only=False)) == 3
    assert quiet_bot.answers(CHAT) == []
    assert "telegram delivery failed for good" in caplog.text
    stats = await chat_session(flaresim, CHAT).stats()
    assert stats["counters"]["failed"] == 1 and stats["outbox"] == 0
    # the chat is not stuck: the next answer goes out
    await quiet_bot.send(updates.text("again"))
    assert len(quiet_bot.answers(CHAT)) == 1


async def test_a_permanent_refusal_is_not_retried(quiet_bot, updates, flaresim):
    quiet_bot.api.fail_next("sendMessage", 403)
    await quiet_bot.send(updates.text("hello"))
    await flaresim.advance(60)
    assert len(quiet_bot.api.calls_of("sendMessage", ok_only=False)) == 1
    stats = await chat_session(flaresim, CHAT).stats()
    assert stats["counters"]["failed"] == 1


async def test_in_a_private_chat_the_answer_streams_into_a_placeholder_that_ends_as_the_answer(bot, updates):
    await bot.send(updates.text("stream please"))
    [placeholder] = bot.api.calls_of("sendMessage")
    assert placeholder.params["text"] == "…"
    edits = bot.api.calls_of("editMessageText", ok_only=False)
    assert edits and all(c.status == 200 for c in edits)  # never an unchanged edit
    assert edits[-1].params["message_id"] == 1 and edits[-1].params["parse_mode"] == "HTML"
    [answer] = bot.answers(CHAT)
    assert answer.startswith("[simulated]") and not answer.endswith("▌")


def chat_session(runtime, chat_id):
    namespace = runtime.worker("telegram-bot").isolates[0].env.CHATS
    return namespace.get(namespace.idFromName(str(chat_id)))


async def test_a_long_streamed_answer_ends_as_the_placeholder_plus_further_messages(bot, updates, scripted_model):
    scripted_model.answers.append("\n\n".join(f"Paragraph {i}: " + "words " * 120 for i in range(12)))
    await bot.send(updates.text("write a lot"))
    shown = bot.answers(CHAT)
    assert len(shown) >= 2
    assert shown[0].startswith("Paragraph 0") and shown[-1].startswith("Paragraph")
    assert all(len(text) <= 4096 for text in shown)
    assert sum(text.count("Paragraph") for text in shown) == 12
    assert bot.api.calls_of("editMessageText")[-1].params["message_id"] == 1
