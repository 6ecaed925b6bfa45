"""Pieces of the reviewer's page: the coloured word diff, the rubric inputs, the pair picker and
saving a rating."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.review.diff import DiffOp
from drafter.review.pairs import RUBRIC
from drafter.workflow.doctor import Question
from ui.components.plain import md, plain

# Markdown and LaTeX punctuation as entities, so patient text is shown as written.
_MARKDOWN = str.maketrans({c: f"&#{ord(c)};" for c in "*_`[]$~#|\\"})
PREFER = {"A": "Draft A", "tie": "About the same", "B": "Draft B"}
_DEL = "background:#fde2e1;color:#7f1d1d;text-decoration:line-through"
_INS = "background:#d9f2e1;color:#14532d;text-decoration:underline"


def _text(words: Sequence[str]) -> str:
    return html.escape(" ".join(words)).translate(_MARKDOWN)


def diff_html(ops: Sequence[DiffOp]) -> str:
    """Deleted words struck through in red, inserted words underlined in green (the strike and
    the underline tell them apart without colour)."""
    out = []
    for op in ops:
        if op.op == "equal":
            out.append(_text(op.old))
            continue
        if op.old:
            out.append(f'<del style="{_DEL}">{_text(op.old)}</del>')
        if op.new:
            out.append(f'<ins style="{_INS}">{_text(op.new)}</ins>')
    body = " ".join(out) or "<em>(both texts are empty)</em>"
    return f'<div style="line-height:1.8">{body}</div>'


def question_header(question: Question) -> None:
    st.caption(f"{md(question.asker_line)} · {md(question.specialty or 'specialty not set')}")
    plain(question.text)


def diff_legend() -> None:
    st.caption(
        "Word-level changes from the AI draft to the approved text: "
        f'<del style="{_DEL}">removed</del> · <ins style="{_INS}">added</ins>',
        unsafe_allow_html=True,
    )


def rubric_inputs(prefix: str, sides: Sequence[str]) -> dict[str, dict[str, int | None]]:
    """One horizontal radio per axis and side, nothing preselected (every score is a choice).
    Tab moves between axes and the arrow keys choose a score."""
    chosen: dict[str, dict[str, int | None]] = {side: {} for side in sides}
    for axis in RUBRIC:
        st.markdown(f"**{axis.name}** · {axis.question}")
        for column, side in zip(st.columns(len(sides)), sides, strict=True):
            chosen[side][axis.key] = column.radio(
                f"{axis.name}: {side}" if len(sides) > 1 else axis.name,
                range(1, axis.top + 1),
                format_func=lambda score, axis=axis: f"{score} {axis.label(score)}",
                index=None,
                horizontal=True,
                key=f"{prefix}-{side}-{axis.key}",
                label_visibility="visible" if len(sides) > 1 else "collapsed",
            )
    return chosen


def rubric_help() -> None:
    with st.expander("How to rate (the scales)"):
        for axis in RUBRIC:
            scale = "; ".join(f"{i} {label}" for i, label in enumerate(axis.labels, 1))
            st.markdown(f"**{axis.name}**: {axis.question} {scale}. Higher is better.")


def rating_form(
    prefix: str, sides: list[str], prefer: bool
) -> tuple[bool, dict[str, dict[str, int | None]], str | None, str]:
    """Tab through the axes, arrow keys choose, Ctrl+Enter in the comment box saves."""
    with st.form(f"{prefix}-form"):
        scores = rubric_inputs(prefix, sides)
        preferred = None
        if prefer:
            preferred = st.radio(
                "Overall, which would you rather send to the patient?",
                list(PREFER),
                index=None,
                format_func=PREFER.__getitem__,
                horizontal=True,
                key=f"{prefix}-preferred",
            )
        comment = st.text_area("Comment (optional)", key=f"{prefix}-comment", height=90)
        submitted = st.form_submit_button("Save rating", type="primary")
    return submitted, scores, preferred, comment


def pick(label: str, labels: list[str], done: list[bool], key: str) -> int:
    """The pair to show; opens at the first one this reviewer has not rated yet."""
    state = st.session_state
    if state.get(key) not in range(len(labels)):
        state[key] = next((i for i, d in enumerate(done) if not d), 0)
    return int(st.selectbox(label, range(len(labels)), key=key, format_func=labels.__getitem__))


def rated_before() -> None:
    st.caption("You rated this comparison before; a new rating is added, not replaced.")


def save_rating(rate: Callable[[], int], prefix: str) -> None:
    """Store through the library, which checks the role and the scores; show why if it refuses."""
    try:
        st.session_state[f"{prefix}-saved"] = rate()
    except DrafterError as exc:
        st.error(f"Not saved: {md(str(exc))}")
        return
    st.rerun()
