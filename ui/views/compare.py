"""Compare & rate: the AI draft against the approved final (word diff, edit distance), and
blind A/B of two drafts from different prompt versions or models; reviewers rate on the rubric."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from drafter.core.errors import DrafterError
from drafter.review import pairs as review
from drafter.review.dashboard import ACCEPT_THRESHOLD, is_accepted
from drafter.workflow.doctor import Part
from ui.components.review import diff_html, diff_legend, question_header, rating_form, rubric_help
from ui.services import get_workflow, signed_in

FINAL, AB = "AI draft vs approved final", "Blind A/B"
PARTS: dict[str, Part] = {"Short reply": "reply", "More Info": "explainer"}

user = signed_in()
state = st.session_state
workflow = get_workflow()
st.title("Compare & rate")
mode = st.radio("Comparison", [FINAL, AB], horizontal=True, key="compare_mode")
mine = {
    (r.version_id, r.other_version_id) for r in review.ratings(workflow, reviewer=user.username)
}
if not user.can("rate"):
    st.info("You can look at the comparisons; only reviewers rate them.")


def pick(label: str, labels: list[str], done: list[bool], key: str) -> int:
    """The pair to show; opens at the first one this reviewer has not rated yet."""
    if state.get(key) not in range(len(labels)):
        state[key] = next((i for i, d in enumerate(done) if not d), 0)
    return int(st.selectbox(label, range(len(labels)), key=key, format_func=labels.__getitem__))


def rated_before() -> None:
    st.caption("You rated this comparison before; a new rating is added, not replaced.")


def save(rate: Callable[[], int], prefix: str) -> None:
    """Store through the library, which checks the role and the scores; show why if it refuses."""
    try:
        state[f"{prefix}-saved"] = rate()
    except DrafterError as exc:
        st.error(f"Not saved: {exc}")
        return
    st.rerun()


if mode == FINAL:
    part = PARTS[st.radio("Part", list(PARTS), horizontal=True, key="compare_part")]
    pairs = review.final_pairs(workflow, part)
    if not pairs:
        st.info(
            "Nothing approved yet. When a doctor approves a reply (or an editor a More Info "
            "article), its AI draft and the approved text appear here with the changes marked."
        )
        st.stop()
    labels = [f"#{p.question.id} · {p.final.title or p.question.text[:60]}" for p in pairs]
    done = [(p.ai.id, p.final.id) in mine for p in pairs]
    chosen = pick("Approved answer", labels, done, f"pick-{part}")
    pair = pairs[chosen]
    question_header(pair.question)
    ai_words, final_words = pair.word_counts
    a, b, c, d = st.columns(4)
    a.metric("Edit distance", f"{pair.edit_distance} words")
    b.metric("Normalised", f"{pair.normalised_edit_distance:.0%}")
    accepted = is_accepted(pair.normalised_edit_distance)
    c.metric("Accepted", "yes" if accepted else "no", help=f"≤ {ACCEPT_THRESHOLD:.0%} changed")
    d.metric("Words: AI → final", f"{ai_words} → {final_words}")
    diff_legend()
    st.markdown(diff_html(pair.diff()), unsafe_allow_html=True)
    with st.expander("Side by side"):
        left, right = st.columns(2)
        left.markdown(f"**AI draft** · version {pair.ai.number} · {pair.ai.model or '-'}")
        left.text(pair.ai_text)
        by = workflow.display_name(pair.approval.approved_by)
        right.markdown(f"**Approved** · version {pair.final.number} · {by}")
        right.text(pair.final_text)
    prefix = f"final-{pair.ai.id}-{pair.final.id}"
    if saved := state.pop(f"{prefix}-saved", None):
        st.success(f"Rating {saved} saved for the AI draft of question #{pair.question.id}.")
    elif done[chosen]:
        rated_before()
    if user.can("rate"):
        st.subheader("Rate the AI draft")
        st.caption("The approved text is the reference: judge what the AI offered the doctor.")
        rubric_help()
        submitted, scores, _, comment = rating_form(prefix, ["AI draft"], prefer=False)
        if submitted:
            save(
                lambda: review.rate_final(workflow, user, pair, scores["AI draft"], comment), prefix
            )
    st.stop()

# --- blind A/B: the sides are shuffled by a seed kept for this session and stored with the rating
pairs_ab = review.ab_pairs(workflow)
if not pairs_ab:
    st.info(
        "No question has two drafts from different prompt versions or models yet. Draft one "
        "again with another prompt, e.g. `drafter questions draft 3 --prompt reply=1 --user NAME`, "
        "or with another model (`--backend`, `DRAFTER_OPENAI_MODEL`)."
    )
    st.stop()
done = [{(p.first.id, p.second.id), (p.second.id, p.first.id)} & mine != set() for p in pairs_ab]
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
            st.success(f"Draft {name} was {review.reveal(version)}")
        st.markdown(f"**{version.title}**")
        st.text(version.reply)
        with st.expander("More Info"):
            st.text(version.explainer)
if revealed:
    st.success(f"Rating {revealed} saved; the drafts are revealed above (shuffle seed {seed}).")
    st.button("Next pair", key="ab-next", on_click=next_pair, type="primary")
elif user.can("rate"):
    st.caption("Which prompt or model wrote each draft stays hidden until you save your rating.")
    rubric_help()
    submitted, scores, preferred, comment = rating_form(prefix, ["Draft A", "Draft B"], True)
    if submitted:
        save(
            lambda: review.rate_blind(
                workflow, user, shown, scores["Draft A"], scores["Draft B"], preferred, comment
            ),
            prefix,
        )
