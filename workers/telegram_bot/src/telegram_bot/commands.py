"""The bot's commands: a registry from name to handler (the menu itself is `texts.COMMANDS`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram_bot import answering, proxy_client, texts
from telegram_bot.chat import TOKENS_PER_DAY, Chat, Turn
from telegram_bot.proxy_client import ProxyError

Handler = Callable[[Chat, Turn, str], Awaitable[None]]


async def start(chat: Chat, turn: Turn, _argument: str) -> None:
    idle = texts.wait_phrase(chat.config.idle_reset_seconds)
    chat.say(texts.WELCOME.format(idle=idle, commands=texts.command_list()), reply_to=turn.reply_to)


async def help_(chat: Chat, turn: Turn, _argument: str) -> None:
    config = chat.config
    chat.say(
        texts.HELP.format(
            commands=texts.command_list(),
            per_minute=config.messages_per_minute or "unlimited",
            per_day=config.tokens_per_day or "unlimited",
        ),
        reply_to=turn.reply_to,
    )


async def reset(chat: Chat, turn: Turn, _argument: str) -> None:
    await chat.conversation().reset()
    chat.say(texts.RESET, reply_to=turn.reply_to)


def _model_list(models: list[str], current: str) -> str:
    return "\n".join(f"- `{m}`" + (" (current)" if m == current else "") for m in models)


async def model(chat: Chat, turn: Turn, argument: str) -> None:
    conversation = chat.conversation()
    try:
        models = await proxy_client.list_models(chat.env.PROXY, chat.config.proxy_key, traceparent=turn.traceparent)
        info = await conversation.info()
        current = await answering.model_of(chat, (info or {}).get("settings"))
    except ProxyError:
        chat.say(texts.MODELS_UNAVAILABLE, reply_to=turn.reply_to)
        return
    if not argument:
        chat.say(texts.MODEL_CURRENT.format(model=current, models=_model_list(models, current)), reply_to=turn.reply_to)
    elif argument in models:
        await conversation.configure({"model": argument})
        chat.say(texts.MODEL_SET.format(model=argument), reply_to=turn.reply_to)
    else:
        chat.say(
            texts.MODEL_UNKNOWN.format(model=argument[:64], models=_model_list(models, current)), reply_to=turn.reply_to
        )


def _tokens(period: dict) -> int:
    return int(period.get("input_tokens") or 0) + int(period.get("output_tokens") or 0)


async def stats(chat: Chat, turn: Turn, _argument: str) -> None:
    current = await chat.conversation().stats()
    spent = await chat.usage.summary(chat.subject)
    today, total = spent.get("today") or {}, spent.get("total") or {}
    tokens_left = "unlimited"
    if chat.config.tokens_per_day:
        decision = await chat.limiter.peek(chat.subject, chat.limits)
        status = decision.status(TOKENS_PER_DAY)
        tokens_left = str(status.remaining) if status is not None else "?"
    try:
        model_name = await answering.model_of(chat, current.get("settings") or {})
    except ProxyError:
        model_name = "unknown"
    chat.say(
        texts.STATS.format(
            messages=current.get("messages", 0),
            tokens=current.get("tokens", 0),
            estimated=" (estimated)" if current.get("tokens_estimated") else "",
            today_answers=today.get("requests", 0),
            today_tokens=_tokens(today),
            today_cost=float(today.get("cost_usd") or 0),
            tokens_left=tokens_left,
            tokens_per_day=chat.config.tokens_per_day or "unlimited",
            total_answers=total.get("requests", 0),
            total_tokens=_tokens(total),
            total_cost=float(total.get("cost_usd") or 0),
            model=model_name,
        ),
        reply_to=turn.reply_to,
    )


async def retry(chat: Chat, turn: Turn, _argument: str) -> None:
    await answering.reply_with_model(
        chat, prompt=None, private=turn.private, reply_to=turn.reply_to, traceparent=turn.traceparent
    )


COMMAND_HANDLERS: dict[str, Handler] = {
    "start": start,
    "help": help_,
    "reset": reset,
    "model": model,
    "stats": stats,
    "retry": retry,
}
