"""The one rule for untrusted text in Markdown: patient text, stored Q&As and FAQ text and model
output are escaped so that a Markdown renderer shows them exactly as written.

No image, link, raw HTML, heading, list, table, math or colour directive (`:red[...]`) can come
from the escaped text, whatever it holds. Markdown renderers (Streamlit's remark-gfm, GitHub's
cmark-gfm) also turn bare `http://host`, `www.host` and `me@host` into links *after* decoding
escapes, so an invisible WORD JOINER breaks those patterns: a URL shows as text, not as a link.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
# Characters that open an inline construct anywhere in a line: emphasis, code, links and images
# (`![x](y)` needs its `[`), HTML, entities, tables, strikethrough, math; a colon before a word or
# a slash opens a directive (`:red[`), a shortcode (`:material/x:`) or a URL (`http://`).
_ANYWHERE = re.compile(r"([\\`*_\[\]<>|~$&]|:(?=\S))")
# Characters that open a block only at the start of a line: a list, a heading, a setext heading.
_LINE_START = re.compile(r"^(?=[-+=#])|^(\d+)(?=[.)])")
# After escaping: the places a bare URL, `www.` or an e-mail address would be linkified.
_AUTOLINK = re.compile(r"(?<=\\:)|(?i:(?<=www)(?=\.))|(?=@)")


def _escape_line(line: str) -> str:
    line = _ANYWHERE.sub(r"\\\1", line.strip())
    line = _LINE_START.sub(lambda m: (m.group(1) or "") + "\\", line, count=1)
    return _AUTOLINK.sub(WORD_JOINER, line)


def escape_inline(text: str) -> str:
    """Untrusted text for a place in Drafter's own Markdown (a label, a caption, a heading):
    one line, every Markdown or HTML character escaped."""
    return _escape_line(" ".join(str(text).split()))


def escape_block(text: str) -> str:
    """Untrusted text as a Markdown block shown as written: its line breaks kept (hard breaks),
    blank lines as paragraph breaks, indentation dropped (it would make a code block)."""
    paragraphs = re.split(r"\n\s*\n", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    shown = []
    for paragraph in paragraphs:
        lines = [_escape_line(line) for line in paragraph.split("\n") if line.strip()]
        if lines:
            shown.append("\\\n".join(lines))
    return "\n\n".join(shown)
