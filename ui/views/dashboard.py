"""Dashboard: how much doctors change the AI's replies, how reviewers rate each prompt version,
blind A/B wins and red flags, as charts; the figures behind them download as CSV."""

from __future__ import annotations

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.review import dashboard
from drafter.review.pairs import RUBRIC
from ui.components import charts
from ui.components.plain import md
from ui.services import get_workflow, signed_in

GROUPINGS: dict[str, dashboard.GroupBy] = {
    "prompt version": "prompt",
    "model": "model",
    "specialty": "specialty",
}
PERIODS: list[dashboard.Period] = ["week", "day"]

signed_in()
st.title("Dashboard")
try:
    data = dashboard.load(get_workflow())
except DrafterError as exc:
    st.error(md(str(exc)))
    st.stop()

if data.empty:
    st.info(
        "Nothing to show yet. The dashboard fills in as questions arrive, doctors approve "
        "replies (acceptance, edit distance) and reviewers rate drafts on **Compare & rate**."
    )
    st.page_link("views/compare.py", label="Go to Compare & rate", icon=":material/compare:")
    st.stop()

st.caption(
    "An approved reply is **accepted** when at most "
    f"{dashboard.ACCEPT_THRESHOLD:.0%} of its words differ from the AI's first draft "
    "(word edit distance ÷ the longer text's words). **Edit distance** counts the words a doctor "
    "inserted, deleted or replaced."
)
flagged = sum(1 for q in data.questions if q.red_flags)
a, b, c, d, e = st.columns(5)
a.metric("Approved replies", len(data.approvals))
b.metric("Acceptance rate", "-" if data.acceptance_rate is None else f"{data.acceptance_rate:.0%}")
median = data.median_edit_distance
c.metric("Median edit distance", "-" if median is None else f"{median:g} words")
d.metric("Ratings", len(data.ratings))
e.metric("Red-flagged questions", f"{flagged} of {len(data.questions)}")

period = st.segmented_control("Over time, per", PERIODS, default="week", key="period") or "week"

st.subheader("Acceptance and edit distance")
if not data.approvals:
    st.info("No approved replies yet: these charts start with the first approval.")
else:
    over_time = dashboard.group(data.approvals, period)
    left, right = st.columns(2)
    left.markdown("**Acceptance rate**")
    left.altair_chart(charts.over_time(over_time, "acceptance_rate", "accepted", True))
    right.markdown("**Median edit distance (words)**")
    right.altair_chart(charts.over_time(over_time, "median_edit_distance", "words", False))
    by = GROUPINGS[st.selectbox("By", list(GROUPINGS), key="group_by")]
    groups = dashboard.group(data.approvals, by)
    left, right = st.columns(2)
    left.altair_chart(charts.by_group(groups, "acceptance_rate", "acceptance rate", True))
    right.altair_chart(charts.by_group(groups, "median_edit_distance", "median words", False))

st.subheader("Rubric scores by prompt version")
scores = dashboard.rubric_by_prompt(data.ratings, data.setups)
if not scores:
    st.info("No ratings yet. Reviewers rate drafts on **Compare & rate**.")
else:
    st.caption(
        "Mean score per axis (1 = worst; top of the scale is 3 or 5 by axis); the colour puts "
        f"every axis on worst → best. Axes: {', '.join(axis.name for axis in RUBRIC)}."
    )
    st.altair_chart(charts.rubric_heatmap(scores))
    if preferences := dashboard.ab_preferences(data.ratings, data.setups):
        st.markdown("**Blind A/B: how often each model and prompt set was preferred**")
        st.altair_chart(charts.ab_wins(preferences))

st.subheader("Red flags")
counts = dashboard.red_flag_counts(data.questions)
left, right = st.columns(2)
if counts:
    left.markdown("**Questions per red flag**")
    left.altair_chart(charts.counts(counts, "red flag", "questions"))
else:
    left.info("No question has had a red flag.")
right.markdown(f"**Questions received per {period}, red-flagged in red**")
right.altair_chart(charts.flagged(dashboard.flagged_by_period(data.questions, period)))

st.subheader("Export")
rows = dashboard.rating_rows(data.ratings, data.setups)
a, b = st.columns(2)
a.download_button(
    f"Approved replies ({len(data.approvals)} rows, CSV)",
    dashboard.to_csv(dashboard.ApprovalRecord, data.approvals),
    "drafter-approvals.csv",
    "text/csv",
    key="csv_approvals",
)
b.download_button(
    f"Ratings ({len(rows)} rows, CSV)",
    dashboard.to_csv(dashboard.RatingExport, rows),
    "drafter-ratings.csv",
    "text/csv",
    key="csv_ratings",
)
