"""Long answers are split into Telegram-sized messages without breaking paragraphs or code blocks."""

from __future__ import annotations

import pytest

from flarekit.telegram import MESSAGE_LIMIT, markdown_to_html, split_message, utf16_length


def paragraph(n: int, words: int = 60) -> str:
    return " ".join(f"p{n}w{i}" for i in range(words))


def test_a_short_message_is_one_part_unchanged():
    assert split_message("hello\n\nworld") == ["hello\n\nworld"]


def test_empty_or_blank_text_gives_no_parts():
    assert split_message("") == []
    assert split_message("  \n\n ") == []


def test_parts_are_cut_between_paragraphs_and_keep_every_paragraph_whole():
    paragraphs = [paragraph(n) for n in range(40)]
    text = "\n\n".join(paragraphs)
    parts = split_message(text)
    assert len(parts) > 1
    assert all(utf16_length(p) <= MESSAGE_LIMIT for p in parts)
    assert [q for p in parts for q in p.split("\n\n")] == paragraphs


def test_a_paragraph_longer_than_the_limit_is_cut_between_lines():
    lines = [f"line {i} " + "x" * 90 for i in range(100)]
    parts = split_message("\n".join(lines))
    assert all(utf16_length(p) <= MESSAGE_LIMIT for p in parts)
    assert [line for p in parts for line in p.split("\n")] == lines


def test_a_single_huge_line_is_cut_at_spaces():
    words = [f"word{i}" for i in range(2000)]
    parts = split_message(" ".join(words), limit=1000)
    assert all(utf16_length(p) <= 1000 for p in parts)
    assert [w for p in parts for w in p.split(" ")] == words


def test_a_long_code_block_is_closed_and_reopened_with_its_language_in_each_part():
    code = "\n".join(f"print({i})  # {'c' * 60}" for i in range(200))
    text = f"Here is the program:\n\n```python\n{code}\n```\n\nThat is all."
    parts = split_message(text)
    assert len(parts) > 2
    assert all(utf16_length(p) <= MESSAGE_LIMIT for p in parts)
    body_lines = []
    for part in parts:
        assert part.count("```") % 2 == 0, "every part opens and closes its code fences"
        if "```python" in part:
            body_lines += part.split("```python\n", 1)[1].split("\n```", 1)[0].split("\n")
    assert body_lines == code.split("\n")
    assert parts[0].startswith("Here is the program:")
    assert parts[-1].endswith("That is all.")


def test_each_part_renders_to_balanced_html_within_the_limit():
    code = "\n".join(f"x{i} = {i} < {i + 1}" for i in range(400))
    text = "# Title\n\n" + "\n\n".join(paragraph(n, 30) for n in range(30)) + f"\n\n```\n{code}\n```\n**end**"
    for part in split_message(text):
        html = markdown_to_html(part)
        assert html.count("<pre>") == html.count("</pre>")
        assert html.count("<b>") == html.count("</b>")


def test_emoji_count_as_two_units_like_telegram_counts_them():
    assert utf16_length("🎉") == 2
    parts = split_message("🎉" * 3000)
    assert all(utf16_length(p) <= MESSAGE_LIMIT for p in parts)
    assert "".join(parts) == "🎉" * 3000


def test_an_unterminated_code_block_is_closed_when_it_must_be_split():
    text = "```sql\n" + "\n".join(f"SELECT {i};" for i in range(800))
    parts = split_message(text)
    assert len(parts) > 1
    assert all(p.startswith("```sql\n") and p.endswith("\n```") for p in parts)


@pytest.mark.parametrize("limit", [50, 200, 4096])
def test_no_part_exceeds_the_limit_for_mixed_content(limit):
    text = "\n\n".join(
        [paragraph(1, 40), "```\n" + "\n".join("y" * 70 for _ in range(20)) + "\n```", "- a\n- b\n" * 30]
    )
    parts = split_message(text, limit=limit)
    assert parts and all(utf16_length(p) <= limit for p in parts)
