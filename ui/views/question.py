"""One question: similar answers, a live-streamed draft, edits saved as versions, approval,
preview and export in the published page's layout."""

from __future__ import annotations

from typing import Any

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.core.question import PatientQuestion
from drafter.drafting.draft import Draft, Part
from drafter.drafting.page import page_markdown
from drafter.drafting.parts import MAX_INSTRUCTION_CHARS
from drafter.drafting.pipeline import draft_page
from drafter.workflow.doctor import Question, Version, Workflow
from drafter.workflow.export import approved_draft, render, version_draft
from ui.components.widgets import autosave, red_flag_banner, show_faq, show_qa
from ui.services import get_llm, get_retriever, get_settings, get_workflow, signed_in

PRESETS = ["shorter", "warmer", "simpler words", "more detail on when to come in"]
PART_LABELS: dict[str, tuple[Part, ...]] = {
    "whole page": ("title", "reply", "explainer"),
    "reply only": ("reply",),
    "More Info only": ("explainer",),
}

user = signed_in()
state = st.session_state


def chosen_question_id() -> int | None:
    """From the URL (?q=7, so a refresh keeps the page) or from the inbox's Open button."""
    raw = st.query_params.get("q") or state.get("question_id")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


chosen = chosen_question_id()
if chosen is None:
    st.info("Open a question from the **Inbox** first.")
    st.page_link("views/inbox.py", label="Go to the inbox", icon=":material/inbox:")
    st.stop()
question_id: int = chosen
st.query_params["q"] = str(question_id)

try:
    workflow: Workflow = get_workflow()
    question: Question = workflow.question(question_id)
    versions: list[Version] = workflow.versions(question_id)
except DrafterError as exc:
    st.error(str(exc))
    st.stop()

# --- the editor's state: which version the text boxes show ---------------------------------------

BASE, TITLE, REPLY, EXPLAINER, LOAD = (
    f"{name}-{question_id}" for name in ("base", "t", "r", "e", "load")
)


def show_version(version: Version) -> None:
    state[BASE] = version.number
    state[TITLE], state[REPLY], state[EXPLAINER] = version.title, version.reply, version.explainer


def save_edit() -> None:
    """Every change is saved as a new version (on leaving a box, or with Save)."""
    autosave(
        lambda: workflow.save_edit(
            user,
            question_id,
            base=state[BASE],
            title=state[TITLE],
            reply=state[REPLY],
            explainer=state[EXPLAINER],
        ),
        base_key=BASE,
        flash_key="flash",
        conflict_hint="Compare them under **History**.",
        where="the boxes",
    )


by_number = {v.number: v for v in versions}
if (pending := state.pop(LOAD, None)) in by_number:
    show_version(by_number[pending])
elif versions and state.get(BASE) not in by_number:
    show_version(versions[-1])
current = by_number.get(state.get(BASE, -1))

# --- header ---------------------------------------------------------------------------------------

red_flag_banner(question.red_flags)
st.page_link("views/inbox.py", label="Back to the inbox", icon=":material/arrow_back:")
st.title(f"Question #{question.id}")
with st.container(border=True):
    st.write(question.text)
    st.caption(
        f"{question.asker_line} · {question.specialty or 'specialty not set'} · "
        f"waiting {question.waiting()} · {question.status}"
    )

if flash := state.pop("flash", None):
    getattr(st, flash[0])(flash[1])
for approval in {a.part: a for a in workflow.approvals(question_id)}.values():
    what = "Reply" if approval.part == "reply" else "More Info"
    st.caption(
        f":material/verified: {what} of version {approval.version_number} approved by "
        f"{workflow.display_name(approval.approved_by)} on {approval.approved_at:%Y-%m-%d %H:%M} "
        "UTC. Approving a later version replaces it."
    )


# --- drafting -------------------------------------------------------------------------------------


class LiveText:
    """Shows each part as the model writes it."""

    def __init__(self, status: Any) -> None:
        self.status = status
        self.text: dict[str, str] = {}
        self.boxes = {part: st.empty() for part in ("title", "reply", "explainer")}

    def on_stage(self, stage: str) -> None:
        self.status.update(label=f"Drafting: {stage}…")

    def on_token(self, part: str, text: str) -> None:
        self.text[part] = self.text.get(part, "") + text
        shown = self.text[part]
        box = self.boxes.get(part)
        if box is not None:
            box.markdown(f"### {shown}" if part == "title" else shown)


def run_draft(parts: tuple[Part, ...], instruction: str | None) -> None:
    """Draft (or regenerate) and save what came out, even a draft cut short by the backend."""
    status = st.status("Drafting…", expanded=True)
    with status:
        live = LiveText(status)
        try:
            draft: Draft = draft_page(
                PatientQuestion.of(question),
                retriever=get_retriever(),
                llm=get_llm(),
                settings=get_settings(),
                listener=live,
                parts=parts,
                instruction=instruction,
            )
        except DrafterError as exc:
            status.update(label="Drafting failed", state="error")
            st.error(f"{exc}. Nothing was lost: your saved versions are unchanged.")
            return
    if current is not None:  # parts not regenerated keep the doctor's current text
        for part in ("title", "reply", "explainer"):
            if part not in parts:
                setattr(draft, part, getattr(current, part))
    saved = workflow.save_draft(
        user,
        question_id,
        draft,
        kind="regenerate" if current else "ai",
        based_on=current.number if current else None,
        instruction=instruction,
    )
    state[LOAD] = saved.number  # the text boxes are filled before they are drawn next run
    if draft.error:
        state["flash"] = (
            "error",
            f"The model stopped: {draft.error}. What it wrote so far is saved as version "
            f"{saved.number}; try again when the model is back.",
        )
    else:
        state["flash"] = ("success", f"Draft saved as version {saved.number} ({draft.status}).")
    st.rerun()


# --- the page -------------------------------------------------------------------------------------

draft_tab, preview_tab, history_tab = st.tabs(["Draft", "Preview & export", "History"])

with draft_tab:
    left, right = st.columns([3, 2], gap="large")
    with left:
        if current is None:
            st.info(
                "No draft yet. **Draft** writes a title, a short reply and a More Info article "
                "from the similar answers; you then edit and approve."
            )
            if user.can("draft"):
                if st.button("Draft", type="primary", key="draft"):
                    run_draft(("title", "reply", "explainer"), None)
            else:
                st.caption(f"A {user.role} cannot draft; a doctor or an editor can.")
        else:
            st.caption(
                f"Version {current.number} of {len(versions)} · {current.kind} by "
                f"{workflow.display_name(current.author)} · {current.created_at:%Y-%m-%d %H:%M} "
                f"UTC · model {current.model or '-'} · DRAFT until approved"
            )
            details = current.details
            for problem in details.get("problems", []):
                st.warning(f"Check: {problem}")
            if details.get("error"):
                st.error(f"This draft was cut short: {details['error']}")
            for issue in details.get("citation_issues", []):
                st.warning(f"Citation: {issue['where']}: {issue['detail']}")
            for redaction in details.get("redactions", []):
                st.caption(
                    f"Sent to the model without the {redaction['kind']} "
                    f"“{redaction['original']}” (as {redaction['replacement']})."
                )
            editable = user.can("edit")
            st.text_input("Title", key=TITLE, on_change=save_edit, disabled=not editable)
            st.text_area(
                "Short reply", key=REPLY, height=200, on_change=save_edit, disabled=not editable
            )
            st.text_area(
                "More Info (Markdown)",
                key=EXPLAINER,
                height=420,
                on_change=save_edit,
                disabled=not editable,
            )
            sources = details.get("sources", [])
            with st.expander(f"Sources the draft may cite ({len(sources)})"):
                for source in sources:
                    st.markdown(f"**[{source['n']}] {source['title']}** ({source['kind']})")
                    st.caption(source["excerpt"])
            if editable:
                st.button("Save", key="save", on_click=save_edit, help="Leaving a box saves too.")

            buttons = st.columns(2)
            if user.can("approve_reply") and buttons[0].button(
                "Approve reply", type="primary", key="approve_reply"
            ):
                try:
                    approval = workflow.approve(user, question_id, "reply", version=current.number)
                except DrafterError as exc:
                    st.error(str(exc))
                else:
                    note = (
                        f" Added to the knowledge base as {approval.published}."
                        if approval.published
                        else f" Not yet in the knowledge base: {approval.publish_error}."
                    )
                    state["flash"] = (
                        "success",
                        f"Reply approved (version {current.number})." + note,
                    )
                    st.rerun()
            if user.can("approve_explainer") and buttons[1].button(
                "Approve More Info", type="primary", key="approve_explainer"
            ):
                try:
                    workflow.approve(user, question_id, "explainer", version=current.number)
                except DrafterError as exc:
                    st.error(str(exc))
                else:
                    state["flash"] = ("success", f"More Info approved (version {current.number}).")
                    st.rerun()

            if user.can("draft"):
                with st.form("regenerate"):
                    st.markdown("**Regenerate** with an instruction")
                    a, b, c = st.columns([2, 3, 2])
                    preset = a.selectbox("Preset", ["none", *PRESETS])
                    custom = b.text_input(
                        "Or your own words",
                        max_chars=MAX_INSTRUCTION_CHARS,
                        placeholder="e.g. mention that physiotherapy helps",
                    )
                    which = c.selectbox("What", list(PART_LABELS))
                    if st.form_submit_button("Regenerate"):
                        wanted = ", ".join(
                            p for p in (None if preset == "none" else preset, custom.strip()) if p
                        )
                        run_draft(PART_LABELS[which], wanted or None)

    with right:
        st.subheader("Similar Q&A")
        if current is not None:
            shown = version_draft(question, current)
            similar, related = shown.similar_qa, shown.related_faq
        else:
            try:
                settings = get_settings()
                result = get_retriever().page(question.text, k=settings.similar_k, m=settings.faq_k)
                similar, related = result.similar_qa, result.related_faq
            except DrafterError as exc:
                st.error(f"The knowledge base is unavailable: {exc}")
                similar, related = [], []
        if not similar:
            st.info("No similar past question found.")
        for hit in similar:
            show_qa(hit)
        st.subheader("Related FAQ")
        for hit in related:
            show_faq(hit)

with preview_tab:
    approved = approved_draft(workflow, question_id)
    if approved is not None:
        st.success(approved.marker)
        md, html = render(approved, "md"), render(approved, "html")
        a, b = st.columns(2)
        a.download_button(
            "Download HTML", html, f"question-{question_id}.html", "text/html", key="dl_html"
        )
        b.download_button(
            "Download Markdown", md, f"question-{question_id}.md", "text/markdown", key="dl_md"
        )
        st.markdown(page_markdown(approved))
    elif current is not None:
        st.info("Not approved yet: this is the draft as the page would show it.")
        st.markdown(page_markdown(version_draft(question, current)))
    else:
        st.info("Nothing to preview yet: draft first.")

with history_tab:
    if not versions:
        st.info("No versions yet.")
    rows = [
        {
            "version": v.number,
            "kind": v.kind,
            "by": workflow.display_name(v.author),
            "at (UTC)": f"{v.created_at:%Y-%m-%d %H:%M:%S}",
            "from": v.based_on,
            "instruction": v.instruction or "",
            "model": v.model or "",
            "conflict with": v.details.get("conflict_with", ""),
        }
        for v in reversed(versions)
    ]
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
        pick = st.selectbox("Show version", [v.number for v in reversed(versions)])
        picked = by_number[pick]
        st.markdown(f"**{picked.title}**\n\n{picked.reply}")
        with st.expander("More Info of this version"):
            st.markdown(picked.explainer)
    st.subheader("Audit")
    for event in workflow.audit(question_id=question_id):
        st.caption(
            f"{event.at:%Y-%m-%d %H:%M:%S} · {event.actor} · {event.action}"
            + (f" · {event.model}" if event.model else "")
        )
