"""A local stand-in for the Telegram Bot API: a real HTTP server plus Update builders.

`FakeBotApi` serves `/bot<token>/<method>` on 127.0.0.1 with Telegram's answers and errors (no-op
edits refused, HTML entities parsed strictly, text length checked) and scripted faults (429 with
`retry_after`, 400 "can't parse entities", 5xx, dropped connections). `updates` builds the Update
JSON Telegram would POST to a webhook. Used by the tests and by `scripts/chat.py`.
"""

from flaresim.fake_telegram.entities import EntityError, parse_html
from flaresim.fake_telegram.server import BotCall, FakeBotApi, Fault
from flaresim.fake_telegram.updates import UpdateFactory

__all__ = ["BotCall", "EntityError", "FakeBotApi", "Fault", "UpdateFactory", "parse_html"]
