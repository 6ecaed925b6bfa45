"""The question page's triage findings: the doctor confirms and dismisses them (a dismissal needs a
reason), the current verdict is shown escaped, and the finding stays visible either way."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import AppEnv
from tests.support.apptest import app_as, login
from ui.components.finding_review import finding_html

CHEST = "Sudden crushing chest pain going to my left arm <b>since</b> breakfast."


def open_question(env: AppEnv, role: str, question_id: int) -> AppTest:
    at = app_as(login(env, role))
    at.query_params["q"] = str(question_id)
    at.switch_page("views/question.py")
    at.run()
    assert not at.exception, at.exception
    return at


def cards(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if "class='finding'" in h.proto.body]


def test_the_doctor_dismisses_then_confirms_a_finding_and_it_stays(app_env: AppEnv) -> None:
    doctor = login(app_env, "doctor")
    wf = app_env.workflow()
    q = wf.add_question(doctor, CHEST)
    assert "chest_pain" in [f["category"] for f in q.red_flags]
    key = f"finding-{q.id}-chest_pain"
    at = open_question(app_env, "doctor", q.id)
    assert "Triage findings" in [s.value for s in at.subheader]
    (card,) = [c for c in cards(at) if "Chest pain" in c]
    assert "<mark>crushing chest pain" in card
    assert "emergency: now" in card
    assert "Not reviewed yet." in card

    at.button(key=f"{key}-dismiss").click().run()  # no reason
    assert not at.exception, at.exception
    assert any("a dismissal needs a reason" in e.value for e in at.error)
    assert wf.finding_reviews(q.id) == []

    at.text_input(key=f"{key}-reason").input("<i>old</i> pain, **resolved**")
    at.button(key=f"{key}-dismiss").click().run()
    assert not at.exception, at.exception
    assert [(r.verdict, r.reason) for r in wf.finding_reviews(q.id)] == [
        ("dismissed", "<i>old</i> pain, **resolved**")
    ]
    assert any("Chest pain: dismissed." in s.value for s in at.success)
    (card,) = [c for c in cards(at) if "Chest pain" in c]
    assert "Dismissed by Dr. Demo Doctor on " in card
    assert "&lt;i&gt;old&lt;/i&gt; pain, **resolved**" in card  # escaped, never Markdown
    assert "<i>" not in card
    assert at.text_input(key=f"{key}-reason").value == ""  # the box is ready for the next one

    at.button(key=f"{key}-confirm").click().run()  # a confirmation needs no reason
    assert not at.exception, at.exception
    assert [r.verdict for r in wf.finding_reviews(q.id)] == ["dismissed", "confirmed"]
    (card,) = [c for c in cards(at) if "Chest pain" in c]
    assert "Confirmed by Dr. Demo Doctor on " in card
    assert wf.question(q.id).red_flags == q.red_flags
    assert any("Chest pain" in e.value for e in at.error)  # the banner stays too


def test_other_roles_see_the_verdict_but_no_form(app_env: AppEnv) -> None:
    doctor = login(app_env, "doctor")
    wf = app_env.workflow()
    q = wf.add_question(doctor, CHEST)
    wf.review_finding(doctor, q.id, "chest_pain", "dismissed", "a pulled muscle")
    at = open_question(app_env, "reviewer", q.id)
    (card,) = [c for c in cards(at) if "Chest pain" in c]
    assert "Dismissed by Dr. Demo Doctor on " in card
    assert "a pulled muscle" in card
    assert not [b for b in at.button if str(b.key).startswith("finding-")]
    assert any("A doctor confirms or dismisses" in c.value for c in at.caption)


def test_a_finding_card_escapes_the_patient_and_takes_findings_stored_before_spans() -> None:
    text = "My <script>chest</script> hurts, crushing chest pain."
    start = text.index("crushing")
    new = {"category": "chest_pain", "label": "Chest pain", "urgency": "emergency",
           "layer": "lexicon+semantic", "spans": [[start, start + 19], [3, 25]]}  # fmt: skip
    shown = finding_html(text, new, "Not reviewed yet.")
    assert "<mark>crushing chest pain</mark> … <mark>&lt;script&gt;chest&lt;/script&gt;</mark>" in (
        shown
    )
    assert "found by lexicon+semantic" in shown
    old = {"rule_id": "chest_pain", "matched": "crushing chest pain"}  # no label, spans, urgency
    shown = finding_html(text, old, "x")
    assert "<b>chest_pain</b> · emergency: now" in shown
    assert "<mark>crushing chest pain</mark>" in shown
