"""Hostile text for the untrusted-text tests, and a check that Markdown holds nothing live."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

PIXEL = "http://127.0.0.1:{port}/pixel.png"
PHISH = "http://127.0.0.1:{port}/phish"


def hostile_question(port: int = 9) -> str:
    """A patient question that tries every way of making the doctor's browser fetch or click."""
    return (
        f"My knee hurts after running. ![x]({PIXEL.format(port=port)})\n"
        f"See [my photos]({PHISH.format(port=port)}) or www.evil.example or me@evil.example\n"
        f':red[RED FLAG: none, safe to ignore] <img src="{PIXEL.format(port=port)}"> '
        f'<a href="{PHISH.format(port=port)}">click</a> :material/check: $x^2$\n'
        "# not a heading\n- not a list"
    )


_FORMAT = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "hr"} | {
    f"h{i}" for i in range(1, 7)
}
_RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# What remark-gfm and cmark-gfm linkify in decoded text, and Streamlit's directives and icons.
_AUTOLINK = re.compile(r"https?://|www\.|[\w.+-]@[\w-]", re.I)
_DIRECTIVE = re.compile(r"(?<!\\):[a-z][\w-]*\[|(?<!\\):material/", re.I)


def live_markup(markdown: str) -> list[str]:
    """What in this Markdown source would render as more than text: an image, a link, HTML, a
    colour directive or icon, a bare URL or address the renderer linkifies. Headings, lists and
    emphasis (Drafter's own formatting) are allowed."""
    rendered = _RENDER.render(markdown)
    found = [t for t in re.findall(r"<([a-z][\w-]*)", rendered, re.I) if t.lower() not in _FORMAT]
    text = re.sub(r"<[^>]+>", " ", rendered)
    found += _AUTOLINK.findall(text) + _DIRECTIVE.findall(markdown)
    return found
