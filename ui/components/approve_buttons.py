"""Approving the reply (doctors) or the More Info (editors) of the version in the edit boxes. A
part that still has red marks, or is the model's text unedited (all the more from an incomplete
draft), needs "Approve anyway" ticked first; the approval's audit event records what was
confirmed."""

from __future__ import annotations

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.workflow.doctor import Version
from drafter.workflow.drafts import Part, approval_cautions
from ui.components.checked_view import PARTS, Checked
from ui.components.open_question import FLASH, OpenQuestion
from ui.components.plain import md


def _anyway_key(opened: OpenQuestion, current: Version, part: Part) -> str:
    return f"anyway-{opened.id}-{current.number}-{part}"


def _reasons(opened: OpenQuestion, current: Version, checked: Checked, part: Part) -> list[str]:
    """Why approving `part` needs an explicit confirmation (none: it does not)."""
    reasons = []
    if red := len(checked.open_red(part)):
        reasons.append(
            f"the {PARTS[part]} still has {red} red mark{'' if red == 1 else 's'} (above)"
        )
    return reasons + approval_cautions(opened.versions, current, part)


def _anyway_box(opened: OpenQuestion, current: Version, checked: Checked, part: Part) -> None:
    """The explicit confirmation a part needs before it is approved, with its reasons."""
    if reasons := _reasons(opened, current, checked, part):
        st.checkbox(
            f"Approve the {PARTS[part]} anyway",
            key=_anyway_key(opened, current, part),
            help="Ticking it confirms: " + "; ".join(reasons),
        )
        for reason in reasons:
            st.caption(f"⚠ {md(reason[0].upper() + reason[1:])}.")


def _approve(opened: OpenQuestion, current: Version, checked: Checked, part: Part) -> bool:
    """Approve `part` of `current` if confirmed; True when it was approved."""
    reasons = _reasons(opened, current, checked, part)
    if reasons and not st.session_state.get(_anyway_key(opened, current, part)):
        st.error(
            f"Not approved: {md('; '.join(reasons))}. Edit the text, remove or keep the marks, "
            f"or tick “Approve the {PARTS[part]} anyway”."
        )
        return False
    try:
        approval = opened.workflow.approve(
            opened.user, opened.id, part, version=current.number, marks=checked.marks(part)
        )
    except DrafterError as exc:
        st.error(md(str(exc)))
        return False
    if part == "reply":
        note = (
            f" Added to the knowledge base as {md(approval.published)}."
            if approval.published
            else f" Not yet in the knowledge base: {md(approval.publish_error or '')}."
        )
        st.session_state[FLASH] = ("success", f"Reply approved (version {current.number})." + note)
    else:
        st.session_state[FLASH] = ("success", f"More Info approved (version {current.number}).")
    return True


_BUTTONS: tuple[tuple[Part, str], ...] = (
    ("reply", "Approve reply"),
    ("explainer", "Approve More Info"),
)


def approve_buttons(opened: OpenQuestion, current: Version, checked: Checked) -> None:
    user = opened.user
    parts = [
        (p, label)
        for p, label in _BUTTONS
        if user.can("approve_reply" if p == "reply" else "approve_explainer")
    ]
    for part, _ in parts:
        _anyway_box(opened, current, checked, part)
    buttons = st.columns(2)
    for i, (part, label) in enumerate(parts):
        if buttons[i].button(label, type="primary", key=f"approve_{part}") and _approve(
            opened, current, checked, part
        ):
            st.rerun()
