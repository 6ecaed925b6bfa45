"""The shown version's sentences as the evidence check sees them now: re-checked on every run
(embeddings only, cached vectors), so a mark never outlives the text it was about. The ones to
check come first, most dangerous first, each with Remove (a new version without it) and Keep.

Kept sentences live in this browser session, per question, by part and exact text: an edit that
leaves the sentence as it was keeps it kept; changing a word brings the mark back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.core.question import PatientQuestion
from drafter.drafting.evidence import RED, VERDICTS, SentenceCheck
from drafter.drafting.page_check import check_page, cut_sentence
from drafter.drafting.sources import Source
from drafter.workflow.doctor import Version
from ui.components.open_question import FLASH, OpenQuestion
from ui.components.plain import md
from ui.services import get_services

PARTS = {"reply": "Short reply", "explainer": "More Info"}


@dataclass(frozen=True)
class Checked:
    """The check of one version and the sentences the doctor chose to keep."""

    checks: list[SentenceCheck]
    kept: frozenset[tuple[str, str]]

    def is_kept(self, check: SentenceCheck) -> bool:
        return (check.part, check.text) in self.kept

    @property
    def to_check(self) -> list[SentenceCheck]:
        """The marked sentences not kept yet, most dangerous first (in text order within)."""
        marked = [c for c in self.checks if c.to_check and not self.is_kept(c)]
        return sorted(marked, key=lambda c: VERDICTS.index(c.verdict))

    def open_red(self, part: str) -> list[SentenceCheck]:
        return [c for c in self.to_check if c.part == part and c.verdict in RED]

    def marks(self, part: str) -> list[dict[str, object]]:
        """The red marks of `part` as an approval's audit records them, kept ones included."""
        return [
            {"verdict": c.verdict, "text": c.text, "note": c.note, "kept": self.is_kept(c)}
            for c in self.checks
            if c.part == part and c.verdict in RED
        ]


def kept_key(question_id: int) -> str:
    return f"kept-{question_id}"


def check_version(opened: OpenQuestion, current: Version) -> list[SentenceCheck]:
    """The reply and explainer of `current` checked against the sources it was drafted from."""
    services = get_services()
    question = opened.question
    return check_page(
        {"reply": current.reply, "explainer": current.explainer},
        question=PatientQuestion.of(question),
        sources=[Source.from_json(s) for s in current.details.get("sources", [])],
        flagged=bool(question.red_flags),
        checker=services.evidence_checker(),
        settings=services.settings,
    )


def checked_view(opened: OpenQuestion, current: Version) -> Checked:
    """Show the check of `current`; returns it for the approve buttons."""
    kept = frozenset(st.session_state.get(kept_key(opened.id), set()))
    try:
        checked = Checked(check_version(opened, current), kept)
    except DrafterError as exc:
        st.warning(f"The sentence check could not run: {md(str(exc))}")
        return Checked([], kept)
    marked = checked.to_check
    st.markdown(
        f"**{len(marked)} sentence{'' if len(marked) == 1 else 's'} to check** "
        f"of {len(checked.checks)} in version {current.number}"
    )
    editable = opened.user.can("edit")
    for i, check in enumerate(marked):
        _marked(opened, check, key=f"{opened.id}-{current.number}-{i}", editable=editable)
    _backed(checked)
    return checked


def _marked(opened: OpenQuestion, check: SentenceCheck, *, key: str, editable: bool) -> None:
    label = check.verdict.replace("_", " ")
    body = f"**{label}** · {PARTS.get(check.part, check.part)}: “{md(check.text)}”"
    if check.note:
        body += f"  \n{md(check.note)}"
    if check.suggested is not None:
        body += f" (cite \\[{check.suggested}\\])"
    show: Callable[..., object] = st.error if check.verdict in RED else st.warning
    show(body, icon=":material/error:" if check.verdict in RED else ":material/help:")
    if editable:
        remove, keep, _ = st.columns([1, 1, 3])
        remove.button("Remove", key=f"cut-{key}", on_click=_remove, args=(opened, check))
        keep.button("Keep", key=f"keep-{key}", on_click=_keep, args=(opened.id, check))


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


def _keep(question_id: int, check: SentenceCheck) -> None:
    kept = st.session_state.setdefault(kept_key(question_id), set())
    kept.add((check.part, check.text))


def _remove(opened: OpenQuestion, check: SentenceCheck) -> None:
    """Save the edit boxes' text without the sentence as a new version, and show it."""
    state, keys = st.session_state, opened.keys
    part_key = keys.reply if check.part == "reply" else keys.explainer
    cut = cut_sentence(state[part_key], check)
    if cut == state[part_key]:
        state[FLASH] = ("warning", "That sentence changed since the check: nothing removed.")
        return
    state[part_key] = cut
    opened.save_edit()
    state[keys.load] = state[keys.base]
