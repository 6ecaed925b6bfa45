"""A draft rendered in the published page's layout, as Markdown or HTML.

Everything from the patient, the knowledge base or the model is escaped (`drafter.core.markup`
for Markdown, `html.escape` for HTML); the only formatting is Drafter's own: the page's headings
and labels, and the explainer's sections, paragraphs and lists from `parse_explainer`.
"""

from __future__ import annotations

import html

from drafter.core.markup import escape_block, escape_inline
from drafter.drafting.draft import DRAFT_MARKER, Draft
from drafter.drafting.sections import Block, parse_explainer

md = escape_inline


def page_markdown(draft: Draft) -> str:
    q = draft.question
    specialty = q.specialty or (draft.similar_qa[0].specialty if draft.similar_qa else None)
    lines = [f"> **{md(draft.marker)}** · status: {draft.status} · model {md(draft.model)}", ""]
    for flag in draft.red_flags:
        lines += [f"> ⚠️ **Red flag: {md(flag.label)}** (matched “{md(flag.matched)}”)", ""]
    title = md(draft.title or "(untitled)") + (f" - {md(specialty)}" if specialty else "")
    lines += [f"# {title}", ""]
    lines += [escape_block(q.text), "", f"*{md(q.asker)}*", ""]
    lines += [f"## {_reply_heading(draft)}", "", escape_block(draft.reply or "(not drafted)"), ""]
    lines += ["## More Info", "", explainer_markdown(draft.explainer) or "(not drafted)", ""]
    lines += ["## Similar Q&A", ""]
    for hit in draft.similar_qa:
        doctor = hit.metadata.get("doctor") or "Doctor"
        answer = hit.metadata.get("answer", "")[:240]
        byline = f"*{md(doctor)} reply, {md(hit.specialty or '-')}:* {md(answer)}"
        lines += [f"**{md(hit.title)}**", "", md(hit.excerpt(240)), "", byline, ""]
    lines += ["## Related FAQ", ""]
    lines += [f"- {md(hit.title)} ({md(hit.specialty or 'General')})" for hit in draft.related_faq]
    lines += ["", "## Sources given to the model", ""]
    lines += [f"\\[{s.n}\\] {md(s.title)} ({s.kind}: {md(s.id)})" for s in draft.sources]
    if draft.citation_issues or draft.problems or draft.redactions:
        lines += ["", "## Checks", ""]
        lines += [f"- citation: {md(i.where)}: {md(i.detail)}" for i in draft.citation_issues]
        lines += [f"- {md(p)}" for p in draft.problems]
        lines += [
            f"- redacted {r.kind}: {md(repr(r.original))} -> {md(r.replacement)}"
            for r in draft.redactions
        ]
    return "\n".join(lines).rstrip() + "\n"


def _reply_heading(draft: Draft) -> str:
    return "Reply (draft)" if draft.marker == DRAFT_MARKER else "Doctor's reply"


def _block_markdown(block: Block) -> str:
    if block.kind == "paragraph":
        return escape_block("\n".join(block.lines))
    if block.kind == "numbered":
        return "\n".join(f"{i}. {md(line)}" for i, line in enumerate(block.lines, 1))
    return "\n".join(f"- {md(line)}" for line in block.lines)


def explainer_markdown(text: str, level: int = 3) -> str:
    """An explainer as Markdown: its section headings at `level` (under the page's 'More Info'
    heading), every word of the model's text escaped."""
    parts = []
    for section in parse_explainer(text):
        if section.heading:
            parts.append(f"{'#' * level} {md(section.heading)}")
        parts += [_block_markdown(block) for block in section.blocks]
    return "\n\n".join(parts)


def _block_html(block: Block) -> str:
    e = html.escape
    if block.kind == "paragraph":
        return "<p>" + "<br>".join(e(line) for line in block.lines) + "</p>"
    tag = "ol" if block.kind == "numbered" else "ul"
    return f"<{tag}>" + "".join(f"<li>{e(line)}</li>" for line in block.lines) + f"</{tag}>"


def explainer_html(text: str) -> str:
    """An explainer as HTML: real <h3> headings, paragraphs and lists, all text escaped."""
    out = []
    for section in parse_explainer(text):
        if section.heading:
            out.append(f"<h3>{html.escape(section.heading)}</h3>")
        out += [_block_html(block) for block in section.blocks]
    return "".join(out)


STYLE = (
    "body{font-family:sans-serif;max-width:48em;margin:2em auto}"
    " .flag{color:#a00;font-weight:bold} .marker{background:#fe8;padding:.3em}"
)


def page_html(draft: Draft) -> str:
    """A self-contained HTML page, everything from the patient, the sources or the model escaped."""
    e = html.escape
    q = draft.question
    flags = "".join(
        f"<p class='flag'>⚠️ Red flag: {e(f.label)} (“{e(f.matched)}”)</p>" for f in draft.red_flags
    )
    similar = "".join(
        f"<div class='qa'><h4>{e(h.title)}</h4><p>{e(h.excerpt(240))}</p><p><i>"
        f"{e(h.metadata.get('doctor') or 'Doctor')} reply, {e(h.specialty or '-')}</i></p></div>"
        for h in draft.similar_qa
    )
    faq = "".join(
        f"<li>{e(h.title)} ({e(h.specialty or 'General')})</li>" for h in draft.related_faq
    )
    reply = "<br>".join(e(line) for line in draft.reply.splitlines())
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{e(draft.title)}</title><style>{STYLE}</style></head><body>"
        f"<p class='marker'>{e(draft.marker)} · {e(draft.status)}</p>{flags}"
        f"<h1>{e(draft.title)}</h1><p>{e(q.text)}</p><p><i>{e(q.asker)}</i></p>"
        f"<h2>{_reply_heading(draft)}</h2><p>{reply}</p>"
        f"<h2>More Info</h2>{explainer_html(draft.explainer)}"
        f"<h2>Similar Q&amp;A</h2>{similar}<h2>Related FAQ</h2><ul>{faq}</ul></body></html>"
    )
