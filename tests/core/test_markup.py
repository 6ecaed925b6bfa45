"""The one rule for untrusted text: escaped Markdown shows the text as written, nothing live."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from drafter.core.markup import WORD_JOINER, escape_block, escape_inline
from tests.support.hostile import hostile_question, live_markup


def _text(markdown: str) -> str:
    """What a reader sees: the rendered text without tags, entities or word joiners."""
    import html

    rendered = MarkdownIt("commonmark").render(markdown).replace("<br />\n", "\n")
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace(WORD_JOINER, "").strip()


def test_hostile_text_renders_as_written_with_nothing_live() -> None:
    text = hostile_question()
    assert live_markup(text)  # the raw text is full of live markup
    shown = escape_block(text)
    assert live_markup(shown) == []
    assert _text(shown) == text
    rendered = MarkdownIt("commonmark").render(shown)
    assert "<h1>" not in rendered
    assert "<li>" not in rendered
    assert "<code>" not in rendered


def test_line_breaks_and_paragraphs_are_kept_indentation_dropped() -> None:
    shown = escape_block("first line\nsecond line\n\n\n    indented paragraph\n1. one\n2) two")
    assert _text(shown) == "first line\nsecond line\nindented paragraph\n1. one\n2) two"
    assert "<pre>" not in MarkdownIt("commonmark").render(shown)
    assert live_markup(shown) == []


def test_inline_is_one_line_and_plain_words_are_untouched() -> None:
    assert escape_inline("Knee Pain After Running: Causes and Care") == (
        "Knee Pain After Running: Causes and Care"
    )
    assert escape_inline("two\nlines  [1]") == "two lines \\[1\\]"
    for hostile in ("# heading", "- item", "> quote", "=== ", "**bold** _it_ `code` ~~s~~"):
        assert live_markup(escape_inline(hostile)) == [], hostile
        assert _text(escape_inline(hostile)) == hostile.strip()
    assert "<strong>" not in MarkdownIt("commonmark").render(escape_inline("**bold**"))
