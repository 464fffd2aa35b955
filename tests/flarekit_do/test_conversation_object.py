"""The Conversation Durable Object through flaresim: history in a token budget, idle expiry by
alarm on the fake clock, reset/delete/retry, stats, and state shared by every isolate."""

from __future__ import annotations

import asyncio

import pytest

from flarekit.conversation import BOT_IDLE_TTL, conversation_stub
from flarekit.tokens import estimate_message_tokens


@pytest.fixture
def conversations(load_host):
    env = load_host(isolates=2).isolates[1].env
    return lambda name: conversation_stub(env.CONVERSATIONS, name)


def turn(i: int) -> list[dict]:
    return [
        {"role": "user", "content": f"question {i} " + "q" * 36},
        {"role": "assistant", "content": f"answer {i} " + "a" * 38, "tokens": 20, "cost_usd": 0.0001},
    ]


async def test_history_keeps_the_system_prompt_and_the_newest_turns_within_the_budget(conversations):
    chat = conversations("chat:1")
    await chat.create({"system_prompt": "Be brief.", "model": "fast"})
    for i in range(5):
        await chat.append(turn(i))
    full = await chat.history(None)
    assert len(full["messages"]) == 11 and full["dropped"] == 0
    system_tokens = estimate_message_tokens({"role": "system", "content": "Be brief."})
    user_tokens = estimate_message_tokens(turn(0)[0])
    budget = system_tokens + 2 * (user_tokens + 20)
    trimmed = await chat.history(budget)
    assert trimmed["messages"][0] == {"role": "system", "content": "Be brief."}
    assert [m["content"].split()[:2] for m in trimmed["messages"][1:]] == [
        ["question", "3"],
        ["answer", "3"],
        ["question", "4"],
        ["answer", "4"],
    ]
    assert trimmed["dropped"] == 6 and trimmed["tokens"] == budget
    assert trimmed["settings"]["model"] == "fast"


async def test_appends_from_concurrent_callers_are_all_kept(conversations):
    chat = conversations("chat:2")
    await asyncio.gather(*(chat.append([{"role": "user", "content": f"m{i}"}]) for i in range(40)))
    stats = await chat.stats()
    assert stats["messages"] == 40 and stats["tokens_estimated"]
    contents = [m["content"] for m in (await chat.history(None))["messages"]]
    assert sorted(contents) == sorted(f"m{i}" for i in range(40))


async def test_an_idle_conversation_is_cleared_by_its_alarm_and_starts_fresh(conversations, flaresim, host_rpc):
    chat = conversations("chat:3")
    await chat.configure({"system_prompt": "Hi.", "idle_ttl": BOT_IDLE_TTL})
    await chat.append(turn(0))
    await flaresim.advance(BOT_IDLE_TTL - 60)
    await chat.append(turn(1))  # activity pushes the deadline back
    await flaresim.advance(BOT_IDLE_TTL - 60)
    assert (await chat.stats())["messages"] == 4
    await flaresim.advance(120)  # the alarm fires 3 h after the last message
    stats = await chat.stats()
    assert stats["messages"] == 0 and stats["exists"]  # settings stay, messages are gone
    history = await chat.history(1000)
    assert history["messages"] == [{"role": "system", "content": "Hi."}]


async def test_an_idle_conversation_found_before_its_alarm_also_starts_fresh(conversations, flaresim_clock):
    chat = conversations("chat:4")
    await chat.configure({"idle_ttl": 60})
    await chat.append(turn(0))
    flaresim_clock.advance(61)  # the clock moves but no alarm is delivered
    history = await chat.history(None)
    assert history["expired"] and history["messages"] == []


async def test_on_idle_delete_removes_the_whole_conversation(conversations, flaresim):
    chat = conversations("conv_x")
    await chat.create({"idle_ttl": 600, "on_idle": "delete"})
    await chat.append(turn(0))
    await flaresim.advance(601)
    assert await chat.info() is None


async def test_reset_clears_messages_but_keeps_settings_and_delete_removes_everything(conversations):
    chat = conversations("chat:5")
    await chat.create({"system_prompt": "S", "model": "m", "metadata": {"chat": 5}})
    await chat.append(turn(0))
    after_reset = await chat.reset()
    assert after_reset["messages"] == 0 and after_reset["settings"]["metadata"] == {"chat": 5}
    assert (await chat.delete()) == {"deleted": True}
    assert await chat.info() is None
    assert (await chat.stats())["exists"] is False
    assert (await chat.delete()) == {"deleted": False}


async def test_retry_drops_the_last_answer_so_it_can_be_regenerated(conversations):
    chat = conversations("chat:6")
    await chat.append(turn(0) + turn(1))
    assert await chat.pop_reply() == {"removed": 1}
    messages = (await chat.history(None))["messages"]
    assert messages[-1]["role"] == "user" and messages[-1]["content"].startswith("question 1")
    assert await chat.pop_reply() == {"removed": 0}


async def test_stats_add_up_exact_and_estimated_tokens_and_recorded_cost(conversations):
    chat = conversations("chat:7")
    await chat.append(turn(0) + turn(1))
    stats = await chat.stats()
    user_tokens = estimate_message_tokens(turn(0)[0])
    assert stats["messages"] == 4 and stats["tokens"] == 2 * (user_tokens + 20)
    assert stats["cost_usd"] == pytest.approx(0.0002) and stats["tokens_estimated"]
    transcript = (await chat.transcript(2))["messages"]
    assert [m["estimated"] for m in transcript] == [True, False] and transcript[1]["tokens"] == 20


async def test_content_parts_and_tool_calls_come_back_as_sent(conversations):
    chat = conversations("chat:8")
    sent = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:x"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "look", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "a cat"},
    ]
    await chat.append(sent)
    assert (await chat.history(None))["messages"] == sent


async def test_bad_messages_and_settings_are_refused(conversations):
    chat = conversations("chat:9")
    with pytest.raises(Exception, match="role"):
        await chat.append([{"role": "wizard", "content": "x"}])
    with pytest.raises(Exception, match="idle_ttl"):
        await chat.configure({"idle_ttl": -1})
    assert (await chat.stats())["messages"] == 0


async def test_at_most_1000_messages_are_kept_and_the_totals_follow_every_deletion(conversations):
    chat = conversations("chat:10")
    for batch in range(11):
        await chat.append([{"role": "user", "content": f"{batch}-{i}", "tokens": 2} for i in range(100)])
    stats = await chat.stats()
    assert (stats["messages"], stats["tokens"], stats["trimmed"]) == (1000, 2000, 100)
    assert (await chat.transcript(1))["messages"][0]["content"] == "10-99"
    oldest = (await chat.history(None))["messages"][0]["content"]
    assert oldest == "1-0"
    await chat.append([{"role": "assistant", "content": "reply", "tokens": 5, "cost_usd": 0.25}])
    assert (await chat.stats())["cost_usd"] == 0.25
    await chat.pop_reply()  # the reply pushed "1-0" out; removing it leaves 999
    stats = await chat.stats()
    assert (stats["messages"], stats["tokens"], stats["cost_usd"], stats["trimmed"]) == (999, 1998, 0.0, 101)
    assert len((await chat.history(40))["messages"]) == 20  # the budget reads only the newest 20
