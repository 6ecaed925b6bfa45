"""Hostile text for the untrusted-text tests, and a check that Markdown holds nothing live."""

from __future__ import annotations

import re
from typing import Any

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
# Drafter's own directives (the inbox's red label, its icons) are formatting, not hostile text.
_OWN = r"(?!red\[\*\*:material/emergency:)(?!material/(?:add|emergency|verified):)"
_DIRECTIVE = re.compile(rf"(?<!\\):{_OWN}[a-z][\w-]*\[|(?<!\\):{_OWN}material/", re.I)


def live_markup(markdown: str) -> list[str]:
    """What in this Markdown source would render as more than text: an image, a link, HTML, a
    colour directive or icon, a bare URL or address the renderer linkifies. Headings, lists and
    emphasis (Drafter's own formatting) are allowed."""
    rendered = _RENDER.render(markdown)
    found = [t for t in re.findall(r"<([a-z][\w-]*)", rendered, re.I) if t.lower() not in _FORMAT]
    text = re.sub(r"<[^>]+>", " ", rendered)
    found += _AUTOLINK.findall(text) + _DIRECTIVE.findall(markdown)
    return found


_OWN_TAGS = {"div", "br", "mark", "b", "del", "ins", "em"}  # Drafter's escaped HTML widgets
# The one script Drafter writes (ui/sign_in.py): the sign-in cookie, a token of base64url and dots.
_COOKIE_SCRIPT = re.compile(
    r'<script>document\.cookie = "drafter_session=[A-Za-z0-9._-]*; Path=/; Max-Age=\d+; '
    r'SameSite=Strict" \+ \(location\.protocol === "https:" \? "; Secure" : ""\);</script>'
)


def _markdown_elements(at: Any) -> list[Any]:
    kinds = ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info",
             "success", "toast")  # fmt: skip
    return [el for kind in kinds for el in at.get(kind)]


def shown_markdown(at: Any) -> list[str]:
    """Every Markdown source an AppTest run rendered (bodies, captions, alerts, headings, and the
    labels that take Markdown), except Drafter's own HTML widgets."""
    shown = [str(el.value) for el in _markdown_elements(at) if not getattr(el, "allow_html", False)]
    shown += [str(b.label) for kind in ("expander", "status", "tab") for b in at.get(kind)]
    shown += [str(el.label) for kind in ("button", "checkbox", "metric") for el in at.get(kind)]
    return shown


def live_in_app(at: Any) -> list[tuple[str, list[str]]]:
    """The rendered pieces of an AppTest run that hold live markup, with what was found. Drafter's
    HTML widgets (st.html, the reviewer's diff) escape everything and are one HTML block, which
    no renderer linkifies: only a tag of theirs could be live. The sign-in cookie's script is
    Drafter's own and holds only the token."""
    found = [(text, live) for text in shown_markdown(at) if (live := live_markup(text))]
    widgets = [el for el in _markdown_elements(at) if getattr(el, "allow_html", False)] + list(
        at.get("html")
    )
    for el in widgets:
        if _COOKIE_SCRIPT.fullmatch(str(el.value)):
            continue
        tags = re.findall(r"<([a-z][\w-]*)", str(el.value), re.I)
        if live := [t for t in tags if t.lower() not in _OWN_TAGS]:
            found.append((str(el.value), live))
    return found
