"""A version's sentences as the evidence check sees them now, on the question page and in the More
Info queue: re-checked on every run (embeddings only, cached vectors), so a mark never outlives
the text it was about. The ones to check come first, most dangerous first, each with Remove (a
new version without it) and Keep where the user may edit.

Kept sentences live in this browser session, per document, by part and exact text: an edit that
leaves the sentence as it was keeps it kept; changing a word brings the mark back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.core.question import PatientQuestion
from drafter.drafting.evidence import RED, VERDICTS, SentenceCheck
from drafter.drafting.page_check import check_page, cut_sentence
from drafter.drafting.sources import Source
from ui.components.plain import md
from ui.services import get_services

PARTS = {"reply": "Short reply", "explainer": "More Info"}


@dataclass(frozen=True)
class Checked:
    """The check of one version and the sentences the user chose to keep."""

    checks: list[SentenceCheck]
    kept: frozenset[tuple[str, str]]

    def is_kept(self, check: SentenceCheck) -> bool:
        return (check.part, check.text) in self.kept

    @property
    def to_check(self) -> list[SentenceCheck]:
        """The marked sentences not kept yet, most dangerous first (in text order within)."""
        marked = [c for c in self.checks if c.to_check and not self.is_kept(c)]
        return sorted(marked, key=lambda c: VERDICTS.index(c.verdict))

    def open_red(self, part: str | None = None) -> list[SentenceCheck]:
        """The red marks not kept, of `part` (None: of every part)."""
        return [c for c in self.to_check if part in (None, c.part) and c.verdict in RED]

    def marks(self, part: str) -> list[dict[str, object]]:
        """The red marks of `part` as an approval's audit records them, kept ones included."""
        return [
            {"verdict": c.verdict, "text": c.text, "note": c.note, "kept": self.is_kept(c)}
            for c in self.checks
            if c.part == part and c.verdict in RED
        ]


@dataclass(frozen=True)
class CheckedDoc:
    """One version of a question's page or of a queued explainer, as the checked view shows it."""

    scope: str  # prefixes the widget and session keys: the pages' documents never mix
    doc_id: int
    number: int  # the version checked
    checks: Callable[[], list[SentenceCheck]]
    remove: Callable[[SentenceCheck], None] | None = None  # None: read only, no Remove or Keep

    @property
    def kept_key(self) -> str:
        return f"{self.scope}kept-{self.doc_id}"

    def kept(self) -> frozenset[tuple[str, str]]:
        return frozenset(st.session_state.get(self.kept_key, set()))


def check_saved(
    texts: Mapping[str, str],
    question: PatientQuestion,
    details: Mapping[str, Any],
    *,
    flagged: bool,
) -> list[SentenceCheck]:
    """`texts` checked against the sources a saved version's `details` say it was written from."""
    services = get_services()
    return check_page(
        texts,
        question=question,
        sources=[Source.from_json(s) for s in details.get("sources", [])],
        flagged=flagged,
        checker=services.evidence_checker(),
        settings=services.settings,
        judge=services.evidence_judge(),
    )


def checked_view(doc: CheckedDoc) -> Checked:
    """Show the check of `doc`; returns it for the approve buttons."""
    kept = doc.kept()
    try:
        checked = Checked(doc.checks(), kept)
    except DrafterError as exc:
        st.warning(f"The sentence check could not run: {md(str(exc))}")
        return Checked([], kept)
    marked = checked.to_check
    st.markdown(
        f"**{len(marked)} sentence{'' if len(marked) == 1 else 's'} to check** "
        f"of {len(checked.checks)} in version {doc.number}"
    )
    for i, check in enumerate(marked):
        _marked(doc, check, key=f"{doc.doc_id}-{doc.number}-{i}")
    _backed(checked)
    return checked


def _marked(doc: CheckedDoc, check: SentenceCheck, *, key: str) -> None:
    label = check.verdict.replace("_", " ")
    body = f"**{label}** · {PARTS.get(check.part, check.part)}: “{md(check.text)}”"
    if check.note:
        body += f"  \n{md(check.note)}"
    if check.suggested is not None:
        body += f" (cite \\[{check.suggested}\\])"
    show: Callable[..., object] = st.error if check.verdict in RED else st.warning
    show(body, icon=":material/error:" if check.verdict in RED else ":material/help:")
    if doc.remove is not None:
        remove, keep, _ = st.columns([1, 1, 3])
        remove.button("Remove", key=f"{doc.scope}cut-{key}", on_click=doc.remove, args=(check,))
        keep.button(
            "Keep", key=f"{doc.scope}keep-{key}", on_click=_keep, args=(doc.kept_key, check)
        )


def _backed(checked: Checked) -> None:
    rest = [c for c in checked.checks if not c.to_check or checked.is_kept(c)]
    if not rest:
        return
    with st.expander(f"Kept, backed by the sources or general ({len(rest)})"):
        for check in rest:
            kind = "kept" if checked.is_kept(check) else check.verdict
            st.markdown(f"{kind} · {md(check.text)}")
            for e in check.evidence[:1]:
                st.caption(f"\\[{e.source}\\] “{md(e.sentence)}” (score {e.score:.2f})")


def _keep(kept_key: str, check: SentenceCheck) -> None:
    kept = st.session_state.setdefault(kept_key, set())
    kept.add((check.part, check.text))


def cut_from_box(box_key: str, check: SentenceCheck, *, flash_key: str) -> bool:
    """Take the checked sentence out of the edit box `box_key`, for a Remove that then saves it;
    False, with a warning in `flash_key`, when the box's text changed since the check."""
    state = st.session_state
    cut = cut_sentence(state[box_key], check)
    if cut == state[box_key]:
        state[flash_key] = ("warning", "That sentence changed since the check: nothing removed.")
        return False
    state[box_key] = cut
    return True
