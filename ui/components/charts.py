"""The dashboard's charts (Altair, st.altair_chart), drawn from drafter.review.dashboard's data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import altair as alt
import pandas as pd

from drafter.review.dashboard import AxisScore, Group, Preference
from drafter.review.pairs import RUBRIC

_HEIGHT = 260


def _rows(n: int) -> int:
    """Height for a chart of n horizontal bars: room for each bar and the axis below."""
    return 60 + 40 * max(n, 2)


def over_time(groups: Sequence[Group], field: str, title: str, percent: bool) -> alt.Chart:
    """One measure per day or week as a line with points; hover shows the numbers behind it."""
    data = pd.DataFrame([asdict(g) for g in groups])
    data["key"] = pd.to_datetime(data["key"])
    axis = alt.Axis(format="%" if percent else "d", title=title)
    scale = alt.Scale(domain=[0, 1]) if percent else alt.Scale(zero=True)
    return (
        alt.Chart(data, height=_HEIGHT)
        .mark_line(point=True)
        .encode(
            x=alt.X("key:T", title=None),
            y=alt.Y(f"{field}:Q", axis=axis, scale=scale),
            tooltip=[
                alt.Tooltip("key:T", title="from"),
                alt.Tooltip(f"{field}:Q", title=title, format=".0%" if percent else ".1f"),
                alt.Tooltip("approvals:Q"),
            ],
        )
    )


def by_group(groups: Sequence[Group], field: str, title: str, percent: bool) -> alt.Chart:
    """One horizontal bar per prompt version, model or specialty."""
    data = pd.DataFrame([asdict(g) for g in groups])
    axis = alt.Axis(format="%" if percent else "d", title=title)
    scale = alt.Scale(domain=[0, 1]) if percent else alt.Scale(zero=True)
    number = ".0%" if percent else ".1f"
    return (
        alt.Chart(data, height=_rows(len(groups)))
        .mark_bar()
        .encode(
            y=alt.Y("key:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
            x=alt.X(f"{field}:Q", axis=axis, scale=scale),
            tooltip=["key:N", alt.Tooltip(f"{field}:Q", format=number), "approvals:Q"],
        )
    )


def rubric_heatmap(scores: Sequence[AxisScore]) -> alt.LayerChart:
    """Prompt versions across, rubric axes down; colour is the mean on 0 (worst) to 1 (best)."""
    data = pd.DataFrame([asdict(s) for s in scores])
    order = [axis.name for axis in RUBRIC]
    base = alt.Chart(data, height=36 * len(order)).encode(
        x=alt.X("prompt:N", title=None, axis=alt.Axis(orient="top", labelAngle=0, labelLimit=320)),
        y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "normalised:Q",
            scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen"),
            legend=alt.Legend(title="worst → best", format=".0%"),
        ),
        tooltip=["prompt:N", "name:N", alt.Tooltip("mean:Q", format=".2f"), "ratings:Q"],
    )
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("mean:Q", format=".1f"),
        color=alt.condition(  # readable on the dark ends of the scale
            "datum.normalised < 0.25 || datum.normalised > 0.8",
            alt.value("white"),
            alt.value("black"),
        ),
    )
    return cells + text


def ab_wins(preferences: Sequence[Preference]) -> alt.Chart:
    """Wins, ties and losses of each setup in blind A/B, stacked."""
    rows = [
        {"setup": p.setup, "outcome": outcome, "count": getattr(p, attr), "rank": rank}
        for p in preferences
        for rank, (outcome, attr) in enumerate(
            (("preferred", "wins"), ("tie", "ties"), ("not preferred", "losses"))
        )
    ]
    return (
        alt.Chart(pd.DataFrame(rows), height=_rows(len(preferences)))
        .mark_bar()
        .encode(
            y=alt.Y("setup:N", title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("count:Q", title="share of blind comparisons", stack="normalize"),
            color=alt.Color(
                "outcome:N",
                sort=["preferred", "tie", "not preferred"],
                scale=alt.Scale(range=["#2e7d32", "#bdbdbd", "#c62828"]),
            ),
            order=alt.Order("rank:Q"),
            tooltip=["setup:N", "outcome:N", "count:Q"],
        )
    )


def counts(data: dict[str, int], label: str, title: str) -> alt.Chart:
    frame = pd.DataFrame({label: list(data), "questions": list(data.values())})
    return (
        alt.Chart(frame, height=_rows(len(data)))
        .mark_bar(color="#c62828")
        .encode(
            y=alt.Y(f"{label}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
            x=alt.X("questions:Q", title=title, axis=alt.Axis(tickMinStep=1)),
            tooltip=[f"{label}:N", "questions:Q"],
        )
    )


def flagged(rows: Sequence[tuple[str, int, int]]) -> alt.Chart:
    """Questions per day or week, the red-flagged share of each bar in red."""
    frame = pd.DataFrame(
        [
            {"from": key, "questions": n, "kind": kind, "rank": rank}
            for key, total, red in rows
            for rank, (kind, n) in enumerate((("red-flagged", red), ("other", total - red)))
        ]
    )
    return (
        alt.Chart(frame, height=_HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("from:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("questions:Q", title="questions", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "kind:N",
                sort=["red-flagged", "other"],
                scale=alt.Scale(range=["#c62828", "#90a4ae"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            order=alt.Order("rank:Q"),
            tooltip=["from:O", "kind:N", "questions:Q"],
        )
    )
