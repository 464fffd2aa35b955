"""Streaming edits: at most one a second, never with unchanged text, paused by flood control."""

from __future__ import annotations

from conftest import TOKEN

from telegram_bot.bot_api import BotApi
from telegram_bot.streaming import CURSOR, StreamEditor

CHAT = 555


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def editor_for(bot_api, clock):
    editor = StreamEditor(BotApi(bot_api.url, TOKEN), CHAT, clock)
    assert await editor.start()
    return editor


async def test_edits_happen_at_most_once_a_second(flaresim, bot_api):
    clock = Clock()
    editor = await editor_for(bot_api, clock)
    text = ""
    shown_at = []
    for step in range(12):  # a chunk every 0.25 s for 3 s
        text += f"word{step} "
        clock.now += 0.25
        before = len(bot_api.calls_of("editMessageText"))
        await editor.update(text)
        if len(bot_api.calls_of("editMessageText")) > before:
            shown_at.append(clock.now)
    assert shown_at == [101.0, 102.0, 103.0]
    assert bot_api.calls_of("editMessageText")[-1].params["text"] == text + CURSOR


async def test_an_edit_with_unchanged_text_is_never_sent(flaresim, bot_api):
    clock = Clock()
    editor = await editor_for(bot_api, clock)
    for _ in range(5):
        clock.now += 2
        await editor.update("the same words")
    assert len(bot_api.calls_of("editMessageText", ok_only=False)) == 1


async def test_flood_control_pauses_edits_for_retry_after(flaresim, bot_api):
    clock = Clock()
    editor = await editor_for(bot_api, clock)
    bot_api.fail_next("editMessageText", 429, retry_after=10)
    clock.now += 1
    await editor.update("one")
    for step in range(9):
        clock.now += 1
        await editor.update(f"one {step}")
    assert [c.status for c in bot_api.calls_of("editMessageText", ok_only=False)] == [429]
    clock.now += 1
    await editor.update("one two")
    assert [c.status for c in bot_api.calls_of("editMessageText", ok_only=False)] == [429, 200]


async def test_without_a_placeholder_there_is_no_streaming(flaresim, bot_api):
    bot_api.fail_next("sendMessage", 429, retry_after=5)
    editor = StreamEditor(BotApi(bot_api.url, TOKEN), CHAT, Clock())
    assert not await editor.start()
    await editor.update("anything")
    assert bot_api.calls_of("editMessageText", ok_only=False) == []
