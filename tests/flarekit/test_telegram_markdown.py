"""Markdown from a model becomes Telegram HTML that Telegram accepts, with everything else escaped."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from flarekit.telegram import markdown_to_html

# The tags Telegram's HTML parse mode knows (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote"}


class _TelegramHTML(HTMLParser):
    """Fails the way Telegram does: unknown tags, unbalanced tags, formatting inside code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag in TELEGRAM_TAGS, f"unsupported tag <{tag}>"
        assert not {"code", "pre"} & set(self.stack) or (tag == "code" and self.stack[-1:] == ["pre"]), (
            f"<{tag}> inside code"
        )
        if tag == "a":
            assert [name for name, _ in attrs] == ["href"]
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> in {self.stack}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def visible_text(html: str) -> str:
    parser = _TelegramHTML()
    parser.feed(html)
    parser.close()
    assert parser.stack == [], f"unclosed tags {parser.stack}"
    return "".join(parser.text)


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("plain words", "plain words"),
        ("**bold** and *italic* and _also_", "<b>bold</b> and <i>italic</i> and <i>also</i>"),
        ("__bold__ ~~gone~~ ***both***", "<b>bold</b> <s>gone</s> <b><i>both</i></b>"),
        ("use `x < y && z` here", "use <code>x &lt; y &amp;&amp; z</code> here"),
        ("``a ` b``", "<code>a ` b</code>"),
        ('[docs](https://example.com/a?b=1&c="2")', '<a href="https://example.com/a?b=1&amp;c=&quot;2&quot;">docs</a>'),
        ("[**bold link**](https://x.y)", '<a href="https://x.y"><b>bold link</b></a>'),
        ("<https://x.y/z>", '<a href="https://x.y/z">https://x.y/z</a>'),
        ("# Title", "<b>Title</b>"),
        ("### Sub *title* ###", "<b>Sub <i>title</i></b>"),
        ("- one\n* two\n  + nested", "• one\n• two\n  • nested"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("> quoted *words*\n> more", "<blockquote>quoted <i>words</i>\nmore</blockquote>"),
        ("---", "———"),
        ("| a | b |\n|---|---|\n| 1 | <2> |", "<pre>| a | b |\n|---|---|\n| 1 | &lt;2&gt; |</pre>"),
        ("\\*not italic\\*", "*not italic*"),
    ],
)
def test_markdown_constructs_become_telegram_html(markdown, html):
    assert markdown_to_html(markdown) == html
    visible_text(html)


def test_code_block_keeps_its_language_and_escapes_its_body():
    markdown = "Try:\n```python\nif a < b and c > d:\n    print('**not bold**')\n```\ndone"
    assert markdown_to_html(markdown) == (
        'Try:\n<pre><code class="language-python">if a &lt; b and c &gt; d:\n'
        "    print('**not bold**')</code></pre>\ndone"
    )


def test_an_unterminated_code_block_is_closed_as_when_streaming():
    html = markdown_to_html("```js\nconst a = 1 < 2;")
    assert html == '<pre><code class="language-js">const a = 1 &lt; 2;</code></pre>'


def test_a_strange_language_name_is_dropped_rather_than_put_in_an_attribute():
    assert markdown_to_html('```"><script>\nx\n```') == "<pre>x</pre>"


@pytest.mark.parametrize(
    "markdown",
    [
        "snake_case_names stay as they are",
        "2*3*4 = 24",
        "a * b * c",
        "unclosed **bold",
        "price < 5 & > 2",
        "<b>not a real tag</b>",
        "stray ` backtick",
        "emoji 🎉 and <tags>",
    ],
)
def test_text_that_is_not_markup_is_escaped_and_kept(markdown):
    html = markdown_to_html(markdown)
    assert visible_text(html) == markdown


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/relative/path", "data:text/html,x"])
def test_links_with_unsafe_schemes_are_shown_as_text(url):
    html = markdown_to_html(f"[click]({url})")
    assert "<a " not in html
    assert visible_text(html) == f"click ({url})"


def test_markup_never_spans_lines_so_a_cut_between_lines_keeps_tags_balanced():
    html = markdown_to_html("**start of bold\nend of bold**")
    assert visible_text(html) == "**start of bold\nend of bold**"


def test_rendered_text_is_never_longer_than_the_markdown_source():
    # split_message relies on this: a part that fits as Markdown fits as HTML too.
    samples = [
        "# Heading\n\n- a **b** c\n- [l](https://x.y)\n\n> q\n\n```py\nx = 1\n```\n| t |",
        "[x](javascript:y) \\* ~~s~~ `c` ***bi*** __b__ _i_ ---",
    ]
    for markdown in samples:
        assert len(visible_text(markdown_to_html(markdown))) <= len(markdown)
