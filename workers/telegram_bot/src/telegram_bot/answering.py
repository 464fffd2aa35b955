"""Answering a message with the model: limits, history, the proxy call, streaming, memory, delivery.

Order of work for one message:
1. the conversation's history (trimmed to the token budget; an idle conversation comes back empty);
2. the chat's limits, charged up front with the prompt's estimated tokens;
3. "typing…", then the proxy call, streamed into a placeholder in private chats;
4. the exchange stored in the Conversation object, the limiter corrected to the real token count;
5. the answer queued in the outbox (split, HTML with a plain-text twin), which delivers it.
"""

from __future__ import annotations

import logging
from typing import Any

from flarekit.errors import StorageError
from flarekit.llm.prices import cost_usd, default_price
from flarekit.llm.tokens import Usage
from flarekit.tokens import estimate_messages_tokens, estimate_text_tokens
from flarekit.usage import UsageEntry
from telegram_bot import outbox, proxy_client, replies, session_store, texts
from telegram_bot.chat import TOKENS_PER_DAY, Chat
from telegram_bot.proxy_client import Answer, ProxyError
from telegram_bot.streaming import StreamEditor

log = logging.getLogger("telegram_bot.answering")

TYPING_EVERY_SECONDS = 4.0  # Telegram shows "typing…" for at most 5 s
# Without BOT_MODEL the proxy's first model is used; the list is asked again after a day.
DEFAULT_MODEL_KEPT_MS = 86_400_000


async def model_of(chat: Chat, settings: dict[str, Any] | None) -> str:
    """The chat's model: chosen with /model, else BOT_MODEL, else the first the proxy offers."""
    chosen = (settings or {}).get("model")
    if chosen:
        return str(chosen)
    if chat.config.model:
        return chat.config.model
    known = session_store.get_setting(chat.sql, "proxy_default_model")
    if isinstance(known, dict) and chat.now_ms() - int(known.get("at_ms", 0)) < DEFAULT_MODEL_KEPT_MS:
        return str(known["model"])
    models = await proxy_client.list_models(chat.env.PROXY, chat.config.proxy_key)
    if not models:
        raise ProxyError("unavailable", "the proxy offers no models")
    session_store.set_setting(chat.sql, "proxy_default_model", {"model": models[0], "at_ms": chat.now_ms()})
    return models[0]


async def history(chat: Chat, budget: int) -> dict[str, Any]:
    """The conversation so far, trimmed to `budget` tokens; sets the conversation's settings on first use."""
    conversation = chat.conversation()
    past = await conversation.history(budget)
    settings = past.get("settings") or {}
    wanted = {"system_prompt": chat.config.system_prompt, "idle_ttl": chat.config.idle_reset_seconds}
    if any(settings.get(key) != value for key, value in wanted.items()):
        await conversation.configure({**wanted, "on_idle": "clear"})
        past = await conversation.history(budget)
    return dict(past)


def _refusal(chat: Chat, decision: Any) -> str:
    if TOKENS_PER_DAY in decision.rejected:
        return texts.OUT_OF_TOKENS.format(
            limit=chat.config.tokens_per_day, wait=texts.wait_phrase(decision.retry_after or 60)
        )
    return texts.TOO_FAST.format(
        limit=chat.config.messages_per_minute, wait=texts.wait_phrase(decision.retry_after or 1)
    )


def _friendly(error: ProxyError) -> str:
    if error.kind == "timeout":
        return texts.PROXY_TIMEOUT
    if error.kind == "rate_limited":
        return texts.PROXY_LIMITED.format(wait=texts.wait_phrase(error.retry_after or 30))
    if error.kind == "rejected":
        return texts.PROXY_REJECTED.format(message=str(error)[:500])
    return texts.PROXY_FAILED


def _cost(answer: Answer, model: str, prompt_tokens: int, completion_tokens: int) -> float:
    if answer.cost_usd is not None:
        return answer.cost_usd
    return cost_usd(default_price(answer.model or model), Usage(prompt_tokens, completion_tokens))


class _Progress:
    """What happens while the answer arrives: edits of the placeholder, or "typing…" every few seconds."""

    def __init__(self, chat: Chat, editor: StreamEditor | None) -> None:
        self.chat = chat
        self.editor = editor
        self.typed_at = chat.clock()

    async def __call__(self, text: str) -> None:
        if self.editor is not None:
            await self.editor.update(text)
        elif self.chat.clock() - self.typed_at >= TYPING_EVERY_SECONDS:
            self.typed_at = self.chat.clock()
            await self.chat.typing()


async def reply_with_model(
    chat: Chat, *, prompt: str | None, private: bool, reply_to: int | None, traceparent: str
) -> None:
    """Answer `prompt` (or, with None, the last user message again: /retry) and queue the answer."""
    config = chat.config
    conversation = chat.conversation()
    user = {"role": "user", "content": prompt} if prompt is not None else None
    budget = config.history_tokens - (estimate_text_tokens(prompt) + 3 if prompt else 0)
    past = await history(chat, max(budget, 0))
    messages = list(past["messages"])
    if user is not None:
        messages.append(user)
    else:
        # /retry: leave out the last answer here; it is replaced only once a new one arrived.
        while messages and messages[-1].get("role") == "assistant":
            messages.pop()
        if not messages or messages[-1].get("role") != "user":
            chat.say(texts.NOTHING_TO_RETRY, reply_to=reply_to)
            return
    estimated = estimate_messages_tokens(messages)
    decision = await chat.limiter.hit(chat.subject, chat.limits, {"messages": 1, "tokens": estimated})
    if not decision.allowed:
        chat.say(_refusal(chat, decision), reply_to=reply_to)
        return
    await chat.typing()
    editor = None
    if private and config.stream_private and outbox.pending(chat.sql) == 0:
        # Stream only when nothing older is still queued, so the chat's messages stay in order.
        editor = StreamEditor(chat.api, chat.chat_id, chat.clock)
        if not await editor.start():
            editor = None
    edit = editor.message_id if editor is not None else None
    try:
        model = await model_of(chat, past.get("settings"))
        request = {"model": model, "messages": messages, "max_tokens": config.max_answer_tokens}
        answer = await proxy_client.complete(
            chat.env.PROXY,
            config.proxy_key,
            request,
            timeout=config.proxy_timeout_seconds,
            traceparent=traceparent,
            on_text=_Progress(chat, editor),
            fresh=user is None,
        )
    except ProxyError as error:
        log.warning("proxy call failed for chat %s: %s (%s)", chat.chat_id, error, error.kind)
        outbox.bump(chat.sql, "proxy_failures")
        if user is not None:
            await conversation.append([user])  # kept so /retry can answer it
        await chat.limiter.charge(chat.subject, chat.limits, {"tokens": -estimated})
        chat.send(replies.answer(chat.chat_id, _friendly(error), reply_to=reply_to, edit=edit))
        return
    prompt_tokens = answer.prompt_tokens if answer.prompt_tokens is not None else estimated
    completion_tokens = (
        answer.completion_tokens if answer.completion_tokens is not None else estimate_text_tokens(answer.text)
    )
    cost = _cost(answer, model, prompt_tokens, completion_tokens)
    reply = {"role": "assistant", "content": answer.text, "tokens": completion_tokens, "cost_usd": cost}
    if user is None:
        await conversation.pop_reply()
    await conversation.append(([user] if user else []) + [reply])
    await chat.limiter.charge(chat.subject, chat.limits, {"tokens": prompt_tokens + completion_tokens - estimated})
    try:
        await chat.usage.record(chat.subject, UsageEntry(answer.model or model, prompt_tokens, completion_tokens, cost))
    except StorageError as error:
        log.error("usage not recorded for chat %s: %s", chat.chat_id, error)
    chat.send(replies.answer(chat.chat_id, answer.text or texts.EMPTY_ANSWER, reply_to=reply_to, edit=edit))
