"""Telegram message text: Markdown from a model rendered as Telegram HTML, and split to Telegram's limits."""

from flarekit.telegram.markdown_html import markdown_to_html
from flarekit.telegram.split import MESSAGE_LIMIT, split_message, utf16_length

__all__ = ["MESSAGE_LIMIT", "markdown_to_html", "split_message", "utf16_length"]
