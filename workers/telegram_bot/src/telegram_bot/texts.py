"""What the bot says in its own words (Markdown, rendered like model answers)."""

from __future__ import annotations

import math

# name -> description, in menu order; the setup script registers these with setMyCommands.
COMMANDS: dict[str, str] = {
    "start": "Welcome and how to use this bot",
    "help": "Commands and limits",
    "reset": "Start a new conversation",
    "model": "Show or choose the model: /model [name]",
    "stats": "This chat's usage: messages, tokens, cost",
    "retry": "Answer the last message again",
}

WELCOME = (
    "Hi! I'm an AI assistant. Send me a message and I'll answer; I remember our conversation "
    "until you /reset it (or it has been idle for {idle}).\n\n"
    "In groups, mention me or reply to one of my messages.\n\n"
    "{commands}"
)
HELP = "{commands}\n\nLimits for this chat: {per_minute} messages a minute, {per_day} tokens a day."
RESET = "Started a new conversation. Earlier messages are forgotten."
NOTHING_TO_RETRY = "There is no message of yours to answer again yet."
MODEL_CURRENT = "Current model: `{model}`\n\nAvailable:\n{models}\n\nChoose one with /model name."
MODEL_SET = "Model set to `{model}` for this chat."
MODEL_UNKNOWN = "There is no model `{model}`. Available:\n{models}"
MODELS_UNAVAILABLE = "I couldn't get the model list right now. Please try again in a moment."
NOT_ALLOWED = (
    "Sorry, this bot is private and you are not on its list of users. "
    "If you should be, ask its owner to add your user id `{user_id}`."
)
TEXT_ONLY = "I can only read text messages (and photo captions) for now."
UNKNOWN_COMMAND = "I don't know /{command}. Try /help."
TOO_FAST = "You're sending messages faster than this chat allows ({limit} a minute). Please try again in {wait}."
OUT_OF_TOKENS = "This chat has used today's {limit} tokens. Please try again in {wait}."
PROXY_TIMEOUT = "Sorry, the AI took too long to answer. Please try again (/retry)."
PROXY_FAILED = "Sorry, I couldn't reach the AI just now. Please try again in a moment (/retry)."
PROXY_LIMITED = "The AI service is busy for this bot right now. Please try again in {wait} (/retry)."
PROXY_REJECTED = "The AI refused this request: {message}"
INTERNAL_ERROR = "Sorry, something went wrong on my side. Please try again."
EMPTY_ANSWER = "_(The model returned an empty answer. Try /retry.)_"
STATS = (
    "*This conversation:* {messages} messages, {tokens} tokens{estimated}\n"
    "*Today:* {today_answers} answers, {today_tokens} tokens, ${today_cost:.4f}; {tokens_left} of {tokens_per_day} tokens left\n"
    "*All time:* {total_answers} answers, {total_tokens} tokens, ${total_cost:.4f}\n"
    "*Model:* `{model}`"
)


def command_list() -> str:
    return "\n".join(f"/{name} - {description}" for name, description in COMMANDS.items())


def wait_phrase(seconds: float) -> str:
    """A human duration: "12 s", "1 min 10 s", "25 min", "2 h 5 min"."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
