"""Split a long Markdown answer into Telegram messages of at most 4,096 characters.

Telegram counts a message's length after entity parsing, in UTF-16 code units. We split the
Markdown source, whose length is never smaller than what Telegram counts once it is rendered by
`markdown_to_html` (markup only disappears or keeps its length), so each part fits both as HTML and
as the plain-text fallback. Cuts fall between paragraphs first, then between lines, then at a space;
a code block is never left open: a block that must be cut is closed and reopened with its language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MESSAGE_LIMIT = 4096
"""Telegram's maximum message text length, after entity parsing."""

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)")


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Block:
    text: str
    separator: str  # what stood between this block and the previous one ("\n" or "\n\n")
    fence: str = ""  # the opening fence of a code block ("```python"), else ""
    closing: str = ""  # its closing fence ("```")


def _is_closing(line: str, marker: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(marker) and stripped == marker[0] * len(stripped)


def _blocks(text: str) -> list[_Block]:
    """Paragraphs and fenced code blocks, each with the separator that preceded it."""
    blocks: list[_Block] = []
    lines = text.split("\n")
    paragraph: list[str] = []
    paragraph_separator = ""
    blank = False

    def separator() -> str:
        return "" if not blocks else ("\n\n" if blank else "\n")

    def flush() -> None:
        if paragraph:
            blocks.append(_Block("\n".join(paragraph), paragraph_separator))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            before = separator()
            marker = fence.group(1)
            end = i + 1
            while end < len(lines) and not _is_closing(lines[end], marker):
                end += 1
            closing = lines[end].strip() if end < len(lines) else marker  # an unterminated block gets closed
            blocks.append(_Block("\n".join([*lines[i:end], closing]), before, line.strip(), closing))
            blank = False
            i = end + 1
            continue
        if not line.strip():
            flush()
            blank = True
        else:
            if not paragraph:
                paragraph_separator = separator()
                blank = False
            paragraph.append(line)
        i += 1
    flush()
    return blocks


def _hard_cut(text: str, limit: int) -> list[str]:
    """Cut one long line at the last space that fits, or mid-word when there is none."""
    parts: list[str] = []
    while utf16_length(text) > limit:
        cut = limit
        while utf16_length(text[:cut]) > limit:  # surrogate pairs take two units
            cut -= 1
        space = text.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip(" ")
    if text:
        parts.append(text)
    return parts


def _pack(pieces: list[str], separator: str, limit: int) -> list[str]:
    """Join pieces greedily with `separator` into strings of at most `limit`."""
    out: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if utf16_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        current = piece
    if current:
        out.append(current)
    return out


def _split_lines(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(_hard_cut(line, limit) if utf16_length(line) > limit else [line])
    return _pack(lines, "\n", limit)


def _split_code(block: _Block, limit: int) -> list[str]:
    body = block.text.split("\n")[1:-1]
    frame = utf16_length(block.fence) + utf16_length(block.closing) + 2  # two newlines
    budget = max(limit - frame, 1)
    return [f"{block.fence}\n{chunk}\n{block.closing}" for chunk in _split_lines("\n".join(body), budget)]


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Parts of `text`, each at most `limit` UTF-16 units, cut on paragraph, line, then word bounds."""
    if not text.strip():
        return []
    if utf16_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for block in _blocks(text):
        if utf16_length(block.text) <= limit:
            pieces = [block.text]
        elif block.fence:
            pieces = _split_code(block, limit)
        else:
            pieces = _split_lines(block.text, limit)
        for index, piece in enumerate(pieces):
            separator = block.separator if index == 0 else "\n"
            candidate = f"{current}{separator}{piece}" if current else piece
            if utf16_length(candidate) <= limit:
                current = candidate
                continue
            if current:
                parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts
