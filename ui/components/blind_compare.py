"""Compare & rate, second mode: blind A/B of two drafts from different prompt versions or
models. The sides are shuffled by a seed kept for this session and stored with the rating."""

from __future__ import annotations

import streamlit as st

from drafter.review import pairs as review
from drafter.workflow.accounts import User
from drafter.workflow.doctor import Workflow
from ui.components.plain import md
from ui.components.review import (
    pick,
    question_header,
    rated_before,
    rating_form,
    rubric_help,
    save_rating,
)


def blind_compare(workflow: Workflow, user: User, mine: set[tuple[int, int | None]]) -> None:
    """`mine` holds the (version, other version) pairs this reviewer has rated."""
    state = st.session_state
    pairs_ab = review.ab_pairs(workflow)
    if not pairs_ab:
        st.info(
            "No question has two drafts from different prompt versions or models yet. Draft one "
            "again with another prompt, e.g. `drafter questions draft 3 --prompt reply=1 --user "
            "NAME`, or with another model (`--backend`, `DRAFTER_OPENAI_MODEL`)."
        )
        return
    done = [
        {(p.first.id, p.second.id), (p.second.id, p.first.id)} & mine != set() for p in pairs_ab
    ]
    labels = [f"Question #{p.question.id} · pair {i}" for i, p in enumerate(pairs_ab, 1)]
    chosen = pick("Pair of drafts", labels, done, "pick-ab")
    pair_ab = pairs_ab[chosen]
    seed = state.setdefault(f"seed-{pair_ab.key}", review.new_seed())
    shown = review.blind(pair_ab, seed)
    prefix = f"ab-{pair_ab.key}-{seed}"
    revealed = state.get(f"{prefix}-saved")

    def next_pair() -> None:
        """Forget this showing (a later one is shuffled afresh) and open the next unrated pair."""
        del state[f"seed-{pair_ab.key}"], state[f"{prefix}-saved"]
        rest = [i for i, d in enumerate(done) if not d and pairs_ab[i].key != pair_ab.key]
        state["pick-ab"] = rest[0] if rest else state["pick-ab"]

    if done[chosen] and not revealed:
        rated_before()
    question_header(pair_ab.question)
    for column, name, version in zip(st.columns(2), "AB", (shown.a, shown.b), strict=True):
        with column, st.container(border=True):
            st.subheader(f"Draft {name}")
            if revealed:
                st.success(f"Draft {name} was {md(review.reveal(version))}")
            st.markdown(f"**{md(version.title)}**")
            st.text(version.reply)
            with st.expander("More Info"):
                st.text(version.explainer)
    if revealed:
        st.success(f"Rating {revealed} saved; the drafts are revealed above (shuffle seed {seed}).")
        st.button("Next pair", key="ab-next", on_click=next_pair, type="primary")
    elif user.can("rate"):
        st.caption(
            "Which prompt or model wrote each draft stays hidden until you save your rating."
        )
        rubric_help()
        submitted, scores, preferred, comment = rating_form(prefix, ["Draft A", "Draft B"], True)
        if submitted:
            save_rating(
                lambda: review.rate_blind(
                    workflow, user, shown, scores["Draft A"], scores["Draft B"], preferred, comment
                ),
                prefix,
            )
