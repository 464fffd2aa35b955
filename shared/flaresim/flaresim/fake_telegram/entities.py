"""Telegram's HTML parse mode, strictly: what it accepts and the errors it gives for the rest.

Telegram answers 400 "Bad Request: can't parse entities: ..." for an unknown tag, an unbalanced
one, or a `<` / `&` that is not part of a tag or entity (https://core.telegram.org/bots/api#html-style).
"""

from __future__ import annotations

import html
import re

_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"]*\"|='[^']*'|=[^\s>\"']+)?)*)\s*(/?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")


class EntityError(ValueError):
    """Text Telegram would refuse with "can't parse entities"."""


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def parse_html(text: str) -> str:
    """The visible text of `text` in HTML parse mode; raises EntityError where Telegram would."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            tag = _TAG.match(text, i)
            if tag is None:
                raise EntityError(f"Unexpected end of name token at byte offset {_offset(text, i)}")
            closing, name, attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
            if name not in _TAGS:
                kind = "end" if closing else "start"
                raise EntityError(f'Unsupported {kind} tag "{name}" at byte offset {_offset(text, i)}')
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityError(
                        f'Unmatched end tag at byte offset {_offset(text, i)}, expected "</{stack[-1] if stack else ""}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                inside_code = [t for t in stack if t in ("code", "pre")]
                if inside_code and not (name == "code" and stack[-1] == "pre"):
                    raise EntityError(
                        f"Can't nest <{name}> inside <{inside_code[0]}> at byte offset {_offset(text, i)}"
                    )
                if name == "a":
                    attrs = {
                        m.group(1): m.group(2) or m.group(3) or m.group(4) or ""
                        for m in _ATTRIBUTE.finditer(attributes)
                    }
                    if not attrs.get("href"):
                        raise EntityError(f"Can't find end of href attribute at byte offset {_offset(text, i)}")
                stack.append(name)
            i = tag.end()
            continue
        if char == "&":
            entity = _ENTITY.match(text, i)
            if entity is None:
                raise EntityError(f"Unsupported HTML entity at byte offset {_offset(text, i)}")
            out.append(html.unescape(entity.group(0)))
            i = entity.end()
            continue
        if char == ">":
            raise EntityError(f"Unexpected > at byte offset {_offset(text, i)}")
        out.append(char)
        i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)
