"""Render the Markdown a language model writes as the HTML subset Telegram accepts (`parse_mode=HTML`).

Telegram rejects a whole message ("can't parse entities") when a tag is unknown or unbalanced, so
the renderer only ever emits tags it opens and closes itself: every inline construct is matched as
a pair within one line, and everything else is escaped (`&`, `<`, `>`; `"` too inside `href`).
Supported: fenced code blocks (also unterminated ones, as while streaming), inline code, bold,
italic, strikethrough, links (http, https, tg, mailto only), headings (as bold lines), bullet
lists, block quotes and pipe tables (as preformatted text). Anything else stays literal text.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_QUOTE = re.compile(r"^ {0,3}>+ ?(.*)$")
_TABLE = re.compile(r"^\s*\|.*\|\s*$")
_LANGUAGE = re.compile(r"[\w+#.-]{1,32}")

# Leftmost match wins; at one position the alternatives are tried in this order (`**` before `*`).
_INLINE = re.compile(
    r"""
    \\(?P<escaped>[\\`*_{}\[\]()#+\-.!~>|])
    | (?P<ticks>`+)(?P<code>.+?)(?P=ticks)(?!`)
    | \[(?P<label>[^\]\n]+)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))+)(?:\s+"[^"\n]*")?\)
    | <(?P<autolink>https?://[^\s<>]+)>
    | \*\*\*(?=\S)(?P<bold_italic>.+?)(?<=\S)\*\*\*
    | \*\*(?=\S)(?P<bold>.+?)(?<=\S)\*\*
    | (?<!\w)__(?=\S)(?P<bold_u>.+?)(?<=\S)__(?!\w)
    | ~~(?=\S)(?P<strike>.+?)(?<=\S)~~
    | (?<![\w*\\])\*(?=[^\s*])(?P<italic>.+?)(?<=[^\s*\\])\*(?![\w*])
    | (?<![\w\\])_(?=[^\s_])(?P<italic_u>.+?)(?<=[^\s_\\])_(?!\w)
    """,
    re.VERBOSE,
)
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def escape(text: str) -> str:
    """Escape text for Telegram HTML (the three characters it requires)."""
    return text.translate(_ESCAPES)


def _link(label: str, url: str) -> str:
    if url.lower().startswith(_SAFE_SCHEMES):
        return f'<a href="{url.translate(_ATTRIBUTE_ESCAPES)}">{_inline(label)}</a>'
    # A relative or javascript: URL is not a link Telegram should open; keep it readable instead.
    return f"{_inline(label)} ({escape(url)})"


def _wrap(tag: str, inner: str) -> str:
    return f"<{tag}>{_inline(inner)}</{tag}>"


def _render_match(match: re.Match[str]) -> str:
    kind = match.lastgroup
    value = match.group(kind) if kind else ""
    if kind == "escaped":
        return escape(value)
    if kind == "code":
        return f"<code>{escape(value)}</code>"
    if kind == "url":  # the last group of a link closes last
        return _link(match.group("label"), value)
    if kind == "autolink":
        return f'<a href="{value.translate(_ATTRIBUTE_ESCAPES)}">{escape(value)}</a>'
    if kind == "bold_italic":
        return f"<b><i>{_inline(value)}</i></b>"
    return _wrap(_TAGS[kind or ""], value)


_TAGS = {"bold": "b", "bold_u": "b", "strike": "s", "italic": "i", "italic_u": "i"}


def _inline(text: str) -> str:
    """One line (or a fragment of one) with inline Markdown rendered and the rest escaped."""
    out: list[str] = []
    last = 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(_render_match(match))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def _code_block(language: str, lines: list[str]) -> str:
    body = escape("\n".join(lines))
    if language and _LANGUAGE.fullmatch(language):
        return f'<pre><code class="language-{language}">{body}</code></pre>'
    return f"<pre>{body}</pre>"


def _is_closing(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and stripped == fence[0] * len(stripped)


def _block_line(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        return f"<b>{_inline(heading.group(1))}</b>" if heading.group(1) else ""
    if _RULE.match(line):
        return "———"
    bullet = _BULLET.match(line)
    if bullet:
        return f"{bullet.group(1)}• {_inline(bullet.group(2))}"
    return _inline(line)


def markdown_to_html(text: str) -> str:
    """Telegram HTML for `text`: balanced tags only, everything not recognised escaped."""
    lines = text.split("\n")
    out: list[str] = []
    i, count = 0, len(lines)
    while i < count:
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            body: list[str] = []
            i += 1
            while i < count and not _is_closing(lines[i], fence.group(1)):
                body.append(lines[i])
                i += 1
            i += 1  # the closing fence (or the end of an unterminated block)
            out.append(_code_block(fence.group(2), body))
            continue
        if _QUOTE.match(line):
            quoted = []
            while i < count and (match := _QUOTE.match(lines[i])):
                quoted.append(_inline(match.group(1)))
                i += 1
            out.append("<blockquote>" + "\n".join(quoted) + "</blockquote>")
            continue
        if _TABLE.match(line):
            rows = []
            while i < count and _TABLE.match(lines[i]):
                rows.append(lines[i].strip())
                i += 1
            out.append(f"<pre>{escape(chr(10).join(rows))}</pre>")
            continue
        out.append(_block_line(line))
        i += 1
    return "\n".join(out)
