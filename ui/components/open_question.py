"""The question the page shows, and its edit boxes' state: which version they hold, and saving
every change as a new version."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.workflow.accounts import User
from drafter.workflow.doctor import Question, Version, Workflow
from drafter.workflow.drafting_session import version_to_show
from ui.components.plain import md
from ui.components.widgets import autosave
from ui.services import get_workflow

FLASH = "flash"  # what the last action did, shown under the header on the next run


@dataclass(frozen=True)
class EditorKeys:
    """The session-state keys of one question's edit boxes (per question, so two never mix)."""

    question_id: int

    @property
    def base(self) -> str:
        """The number of the version the boxes started from."""
        return f"base-{self.question_id}"

    @property
    def title(self) -> str:
        return f"t-{self.question_id}"

    @property
    def reply(self) -> str:
        return f"r-{self.question_id}"

    @property
    def explainer(self) -> str:
        return f"e-{self.question_id}"

    @property
    def load(self) -> str:
        """A version to fill the boxes with on the next run, before they are drawn."""
        return f"load-{self.question_id}"


@dataclass(frozen=True)
class OpenQuestion:
    """One question as this run of the page sees it."""

    user: User
    workflow: Workflow
    question: Question
    versions: list[Version]
    current: Version | None  # the version the edit boxes show
    keys: EditorKeys

    @property
    def id(self) -> int:
        return self.question.id

    def version(self, number: int) -> Version:
        return next(v for v in self.versions if v.number == number)

    def save_edit(self) -> None:
        """Every change is saved as a new version (on leaving a box, or with Save)."""
        state, keys = st.session_state, self.keys
        autosave(
            lambda: self.workflow.save_edit(
                self.user,
                self.id,
                base=state[keys.base],
                title=state[keys.title],
                reply=state[keys.reply],
                explainer=state[keys.explainer],
            ),
            base_key=keys.base,
            flash_key=FLASH,
            conflict_hint="Compare them under **History**.",
            where="the boxes",
        )


def chosen_question_id() -> int:
    """From the URL (?q=7, so a refresh keeps the page) or the inbox's Open button, else stop."""
    raw = st.query_params.get("q") or st.session_state.get("question_id")
    try:
        chosen = int(raw) if raw is not None else None
    except ValueError:
        chosen = None
    if chosen is None:
        st.info("Open a question from the **Inbox** first.")
        st.page_link("views/inbox.py", label="Go to the inbox", icon=":material/inbox:")
        st.stop()
    st.query_params["q"] = str(chosen)
    return chosen


def open_question(user: User, question_id: int) -> OpenQuestion:
    """Load the question and its versions and fill the edit boxes; an error stops the page."""
    try:
        workflow = get_workflow()
        question = workflow.question(question_id)
        versions = workflow.versions(question_id)
    except DrafterError as exc:
        st.error(md(str(exc)))
        st.stop()
    state, keys = st.session_state, EditorKeys(question_id)
    shown = version_to_show(
        versions, shown=state.get(keys.base), pending=state.pop(keys.load, None)
    )
    if shown is not None:
        state[keys.base] = shown.number
        state[keys.title], state[keys.reply] = shown.title, shown.reply
        state[keys.explainer] = shown.explainer
    current = next((v for v in versions if v.number == state.get(keys.base)), None)
    return OpenQuestion(user, workflow, question, versions, current, keys)
