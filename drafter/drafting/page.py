"""A draft rendered in the published page's layout, as Markdown or HTML."""

from __future__ import annotations

import html

from drafter.drafting.draft import DRAFT_MARKER, Draft


def page_markdown(draft: Draft) -> str:
    q = draft.question
    specialty = q.specialty or (draft.similar_qa[0].specialty if draft.similar_qa else None)
    lines = [f"> **{draft.marker}** · status: {draft.status} · model {draft.model}", ""]
    for flag in draft.red_flags:
        lines += [f"> ⚠️ **Red flag: {flag.label}** (matched “{flag.matched}”)", ""]
    lines += [f"# {draft.title or '(untitled)'}" + (f" - {specialty}" if specialty else ""), ""]
    lines += [q.text.strip(), "", f"*{q.asker}*", ""]
    lines += [f"## {_reply_heading(draft)}", "", draft.reply or "(not drafted)", ""]
    lines += ["## More Info", "", _demote(draft.explainer) or "(not drafted)", ""]
    lines += ["## Similar Q&A", ""]
    for hit in draft.similar_qa:
        doctor = hit.metadata.get("doctor") or "Doctor"
        answer = hit.metadata.get("answer", "")[:240]
        byline = f"*{doctor} reply, {hit.specialty or '-'}:* {answer}"
        lines += [f"**{hit.title}**", "", hit.excerpt(240), "", byline, ""]
    lines += ["## Related FAQ", ""]
    lines += [f"- {hit.title} ({hit.specialty or 'General'})" for hit in draft.related_faq]
    lines += ["", "## Sources given to the model", ""]
    lines += [f"[{s.n}] {s.title} ({s.kind}: {s.id})" for s in draft.sources]
    if draft.citation_issues or draft.problems or draft.redactions:
        lines += ["", "## Checks", ""]
        lines += [f"- citation: {i.where}: {i.detail}" for i in draft.citation_issues]
        lines += [f"- {p}" for p in draft.problems]
        lines += [
            f"- redacted {r.kind}: {r.original!r} -> {r.replacement}" for r in draft.redactions
        ]
    return "\n".join(lines).rstrip() + "\n"


def _reply_heading(draft: Draft) -> str:
    return "Reply (draft)" if draft.marker == DRAFT_MARKER else "Doctor's reply"


def _demote(markdown: str) -> str:
    """The explainer's '## ' sections sit under the page's 'More Info' heading."""
    return "\n".join("#" + ln if ln.startswith("## ") else ln for ln in markdown.splitlines())


def page_html(draft: Draft) -> str:
    """A self-contained HTML page (the Markdown in a <pre>-free, escaped layout)."""
    e = html.escape
    q = draft.question
    flags = "".join(
        f"<p class='flag'>⚠️ Red flag: {e(f.label)} (“{e(f.matched)}”)</p>" for f in draft.red_flags
    )
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in draft.explainer.split("\n\n") if p.strip())
    similar = "".join(
        f"<div class='qa'><h4>{e(h.title)}</h4><p>{e(h.excerpt(240))}</p><p><i>"
        f"{e(h.metadata.get('doctor') or 'Doctor')} reply, {e(h.specialty or '-')}</i></p></div>"
        for h in draft.similar_qa
    )
    faq = "".join(
        f"<li>{e(h.title)} ({e(h.specialty or 'General')})</li>" for h in draft.related_faq
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{e(draft.title)}</title><style>body{{font-family:sans-serif;max-width:48em;"
        "margin:2em auto}} .flag{{color:#a00;font-weight:bold}} .marker{{background:#fe8;"
        "padding:.3em}}</style></head><body>"
        f"<p class='marker'>{e(draft.marker)} · {e(draft.status)}</p>{flags}"
        f"<h1>{e(draft.title)}</h1><p>{e(q.text)}</p><p><i>{e(q.asker)}</i></p>"
        f"<h2>{_reply_heading(draft)}</h2><p>{e(draft.reply)}</p><h2>More Info</h2>{paragraphs}"
        f"<h2>Similar Q&amp;A</h2>{similar}<h2>Related FAQ</h2><ul>{faq}</ul></body></html>"
    )
