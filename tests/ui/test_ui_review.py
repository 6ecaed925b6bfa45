"""The reviewer's pages through AppTest: Compare & rate (AI draft vs approved final with its word
diff; blind A/B with the labels hidden until the rating is saved) and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from streamlit.testing.v1 import AppTest

from drafter.review import pairs as review
from drafter.workflow.accounts import User
from drafter.workflow.doctor import Question, Workflow
from tests.conftest import AppEnv
from tests.support.apptest import app_as, login
from tests.support.workflow_kit import ai_draft

AI_REPLY = "Hello, rest the knee for a week and ice it twice a day [1]."
FINAL_REPLY = "Hello, rest the knee for two weeks and ice it twice a day [1]. Come in if it swells."
OLD_PROMPTS = {
    "title": "title@v1#aaaa",
    "reply": "short_reply@v1#bbbb",
    "explainer": "explainer@v1#cccc",
}
SCORES = {"consensus": 3, "reasoning": 3, "omission": 2, "harm_extent": 3, "harm_likelihood": 3,
          "empathy": 4, "readability": 5, "citations": 2}  # fmt: skip


def open_compare(env: AppEnv, role: str, mode: str | None = None) -> AppTest:
    at = app_as(login(env, role))
    at.switch_page("views/compare.py")
    at.run()
    assert not at.exception, at.exception
    if mode:
        at.radio(key="compare_mode").set_value(mode).run()
        assert not at.exception, at.exception
    return at


def approved_with_edit(wf: Workflow, doctor: User) -> Question:
    q = wf.add_question(doctor, "My knee hurts after running.", specialty="Orthopedics")
    v1 = wf.save_draft(doctor, q.id, ai_draft(q.text, reply=AI_REPLY))
    wf.save_edit(doctor, q.id, base=1, title=v1.title, reply=FINAL_REPLY, explainer=v1.explainer)
    wf.approve(doctor, q.id, "reply")
    return q


def two_setups(wf: Workflow, doctor: User) -> Question:
    """Two drafts of one question by different models and prompt versions."""
    q = wf.add_question(doctor, "Why do my shins ache when I run?")
    first = ai_draft(q.text, reply="Shin splints are common in new runners [1].")
    first.model = "model-alpha"
    second = ai_draft(q.text, reply="Hello, this is most often shin splints [1].")
    second.model, second.prompt_versions = "model-beta", dict(OLD_PROMPTS)
    wf.save_draft(doctor, q.id, first)
    wf.save_draft(doctor, q.id, second, kind="regenerate")
    return q


def fill(at: AppTest, prefix: str, side: str, scores: dict[str, int]) -> None:
    for axis, score in scores.items():
        at.radio(key=f"{prefix}-{side}-{axis}").set_value(score)


def save_rating(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Save rating").click().run()
    assert not at.exception, at.exception


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def page_text(at: AppTest) -> str:
    """Everything the page sent to the browser: text, labels, options, captions."""
    return "\n".join(str(getattr(n, "proto", "")) for n in _walk(at._tree))


def test_compare_pages_say_what_to_do_when_there_is_nothing_to_compare(app_env: AppEnv) -> None:
    at = open_compare(app_env, "reviewer")
    assert any("Nothing approved yet" in i.value for i in at.info)
    at.radio(key="compare_mode").set_value("Blind A/B").run()
    assert any("--prompt reply=1" in i.value for i in at.info)


def test_a_reviewer_rates_the_ai_draft_against_the_approved_final(app_env: AppEnv) -> None:
    wf = app_env.workflow()
    q = approved_with_edit(wf, login(app_env, "doctor"))
    at = open_compare(app_env, "reviewer")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Edit distance"] == "7 words"  # "a week" -> "two weeks", 5 words added
    assert metrics["Words: AI → final"] == "14 → 19"
    assert metrics["Accepted"] == "no"
    diff = next(m.value for m in at.markdown if m.value.startswith("<div"))
    assert "week</del>" in diff
    assert ">two weeks</ins>" in diff
    assert "Come in if it swells.</ins>" in diff

    ai, final = (v.id for v in wf.versions(q.id))
    prefix = f"final-{ai}-{final}"
    fill(at, prefix, "AI draft", {k: v for k, v in SCORES.items() if k != "empathy"})
    save_rating(at)
    assert any("missing: Empathy" in e.value for e in at.error)
    assert review.ratings(wf) == []

    at.radio(key=f"{prefix}-AI draft-empathy").set_value(4)
    at.text_area(key=f"{prefix}-comment").input("Missed when to come in.")
    save_rating(at)
    assert any("Rating 1 saved" in s.value for s in at.success)
    [rating] = review.ratings(wf)
    assert (rating.reviewer, rating.version_id, rating.other_version_id) == ("reviewer", ai, final)
    assert (rating.axes, rating.comment, rating.mode) == (
        SCORES,
        "Missed when to come in.",
        "final",
    )


def test_other_roles_see_the_comparison_but_cannot_rate(app_env: AppEnv) -> None:
    approved_with_edit(app_env.workflow(), login(app_env, "doctor"))
    for role in ("doctor", "editor", "admin"):
        at = open_compare(app_env, role)
        assert any("only reviewers rate" in i.value for i in at.info)
        assert any(m.label == "Edit distance" for m in at.metric)
        assert "Save rating" not in {b.label for b in at.button}


def test_blind_ab_hides_who_wrote_each_draft_until_the_rating_is_saved(app_env: AppEnv) -> None:
    wf = app_env.workflow()
    q = two_setups(wf, login(app_env, "doctor"))
    at = open_compare(app_env, "reviewer", "Blind A/B")
    [pair] = review.ab_pairs(wf)
    seed = at.session_state[f"seed-{pair.key}"]
    shown = review.blind(pair, seed)
    before = page_text(at)
    assert "Shin splints are common" in before  # both drafts are shown...
    assert "most often shin splints" in before
    for secret in ("model-alpha", "model-beta", "reply v1", "short_reply", "regenerate"):
        assert secret not in before  # ...but not who wrote them

    prefix = f"ab-{pair.key}-{seed}"
    fill(at, prefix, "Draft A", SCORES)
    fill(at, prefix, "Draft B", {**SCORES, "empathy": 2})
    at.radio(key=f"{prefix}-preferred").set_value("A")
    save_rating(at)
    revealed = [s.value for s in at.success]
    assert f"Draft A was {review.reveal(shown.a)}" in revealed
    assert f"Draft B was {review.reveal(shown.b)}" in revealed
    assert any(f"shuffle seed {seed}" in s for s in revealed)
    [rating] = review.ratings(wf)
    assert (rating.seed, rating.preferred, rating.preferred_version_id) == (seed, "A", shown.a.id)
    assert (rating.version_id, rating.other_version_id) == (shown.a.id, shown.b.id)
    assert rating.other_axes == {**SCORES, "empathy": 2}
    assert wf.question(q.id).status == "drafted"

    at.button(key="ab-next").click().run()  # the only pair is rated: shown again, reshuffled
    assert not at.exception, at.exception
    assert not [s for s in at.success if "was version" in s.value]
    assert any("You rated this comparison before" in c.value for c in at.caption)


def test_dashboard_empty_state(app_env: AppEnv) -> None:
    at = app_as(login(app_env, "reviewer"))
    at.switch_page("views/dashboard.py")
    at.run()
    assert not at.exception, at.exception
    assert any("Nothing to show yet" in i.value for i in at.info)


def test_dashboard_plots_the_figures_and_offers_csv(app_env: AppEnv) -> None:
    wf = app_env.workflow()
    doctor, reviewer = login(app_env, "doctor"), login(app_env, "reviewer")
    q = approved_with_edit(wf, doctor)
    same = wf.add_question(doctor, "Sudden crushing chest pain going to my left arm")
    wf.save_draft(doctor, same.id, ai_draft(same.text, reply=AI_REPLY))
    wf.approve(doctor, same.id, "reply")
    pair = review.final_pair(wf, wf.question(q.id))
    assert pair is not None
    review.rate_final(wf, reviewer, pair, SCORES)

    at = app_as(reviewer)
    at.switch_page("views/dashboard.py")
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Approved replies": "2",
        "Acceptance rate": "50%",
        "Median edit distance": "3.5 words",
        "Ratings": "1",
        "Red-flagged questions": "1 of 2",
    }
    charts = at.get("vega_lite_chart")
    assert len(charts) == 7  # 2 over time, 2 by group, rubric, red flags by rule and by week
    labels = [getattr(d, "label", None) for d in at.get("download_button")]
    assert labels == ["Approved replies (2 rows, CSV)", "Ratings (1 rows, CSV)"]
    at.selectbox(key="group_by").set_value("specialty").run()
    assert not at.exception, at.exception
