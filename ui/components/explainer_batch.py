"""Generating explainers from the More Info queue page: the filters of `drafter explain`, run by
the same library functions (`select_qas`, `run_batch`, so a rerun skips the queued Q&As), with a
progress bar that moves as each explainer finishes."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.jobs.explain import BatchReport, ItemResult, Selection, run_batch, select_qas
from drafter.workflow.accounts import User
from ui.components.plain import md
from ui.components.widgets import SPECIALTIES
from ui.services import get_explainer_queue, get_llm, get_retriever, get_services, get_settings

SHOWN_FAILURES = 10


class BatchBar:
    """The batch's progress as an `st.progress` bar: the count and the Q&A that just finished
    (a `JobListener`; the runner calls it from this script's thread)."""

    def __init__(self, titles: Mapping[str, str]) -> None:
        self.titles, self.total, self.finished = titles, 0, 0
        self.bar = st.progress(0.0, text="Starting…")

    def on_start(self, total: int, concurrency: int) -> None:
        self.total = total
        how = f"{concurrency} at a time" if concurrency > 1 else "one at a time"
        self.bar.progress(0.0, text=f"0 of {total} explainers, {how}")

    def on_result(self, result: ItemResult) -> None:
        self.finished += 1
        title = md(self.titles.get(result.qa_id, result.qa_id))
        self.bar.progress(
            self.finished / max(self.total, 1),
            text=f"{self.finished} of {self.total} · {result.outcome}: {title}",
        )

    def on_notice(self, text: str) -> None:
        st.warning(md(text))


def explainer_batch(user: User) -> None:
    """The batch form, for users who may run `drafter explain` (editors and admins)."""
    if not user.can("generate_explainers"):
        return
    with st.expander("Generate explainers", icon=":material/auto_awesome:"):
        with st.form("xq_batch"):
            specialty = st.selectbox("Specialty", ["all", *SPECIALTIES], key="xq_b_specialty")
            since_col, until_col = st.columns(2)
            since = since_col.date_input("Asked on or after", value=None, key="xq_b_since")
            until = until_col.date_input("Asked on or before", value=None, key="xq_b_until")
            missing = st.checkbox(
                "Only Q&As without an explainer in the knowledge base", key="xq_b_missing"
            )
            limit = st.number_input(
                "Generate at most",
                min_value=1,
                value=10,
                step=1,
                key="xq_b_limit",
                help="Q&As already in the queue do not count: a rerun continues the batch.",
            )
            start = st.form_submit_button("Start", type="primary", key="xq_b_start")
        if start:
            selection = Selection(None if specialty == "all" else specialty, since, until, missing)
            _run(user, selection, int(limit))


def _run(user: User, selection: Selection, limit: int) -> None:
    try:
        qas = select_qas(get_services().store(), selection)
        if not qas:
            st.info("No stored Q&A matches these filters.")
            return
        report = run_batch(
            get_explainer_queue(),
            user,
            qas,
            retriever=get_retriever(),
            llm=get_llm(),
            settings=get_settings(),
            limit=limit,
            listener=BatchBar({qa.id: qa.title for qa in qas}),
        )
    except DrafterError as exc:
        st.error(md(str(exc)))
        return
    _summary(report)


def _summary(report: BatchReport) -> None:
    text = (
        f"Generated {len(report.done)}"
        + (f" ({len(report.incomplete)} with failed checks)" if report.incomplete else "")
        + f", skipped {report.skipped_total} (already in the queue), failed {len(report.failed)}"
        + (f", not started {report.not_started}" if report.not_started else "")
        + f" · {report.seconds:.0f}s with {md(report.model)}"
    )
    (st.warning if report.failed or report.stopped else st.success)(text)
    for qa_id, reason in report.failed[:SHOWN_FAILURES]:
        st.caption(f"failed {md(qa_id)}: {md(reason)}")
    if report.stopped:
        st.error(f"Stopped early: {md(report.stopped)}")
    if report.failed or report.not_started:
        st.caption("Start it again to continue: finished explainers are kept and not redone.")
