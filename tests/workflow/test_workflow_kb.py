"""The workflow with the real pipeline and knowledge base: a draft's provenance is stored, an
interrupted draft is kept with its partial text, and an approved reply joins the Chroma knowledge
base, where the next similar question finds it first."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafter.core.question import PatientQuestion
from drafter.core.settings import Settings, load_settings
from drafter.drafting.pipeline import draft_page
from drafter.services import Services
from drafter.workflow.doctor import Workflow
from drafter.workflow.export import version_draft
from drafter.workflow.publish import knowledge_base_publisher
from knowledge.retrieval import HybridRetriever
from tests.conftest import SampleKb
from tests.support.fakes import scripted_backend
from tests.support.workflow_kit import Desk, ai_draft, make_desk

TITLE = "Shin Pain After Starting to Run: Causes and Care"
REPLY = (
    "Hello, aching along the inner edge of both shins after a new running habit is most often "
    "shin splints [1]. Cut your running by half for two weeks and build up slowly [2]. "
    "Please see a doctor if one spot is very tender or the pain comes at rest."
)
EXPLAINER = "Shin splints are common in new runners [1].\n\n## Conclusion\nMost people recover."
SHINS = PatientQuestion(
    "I started running three months ago and now the inside of both shins aches during every "
    "run. Should I stop running?",
    "30-39",
    "female",
)

GOUT = (
    "Last night the joint at the base of my big toe suddenly became red, hot and so swollen that "
    "even the bed sheet hurt. I had a barbecue with a lot of beer. Could this be gout?"
)
GOUT_REPLY = (
    "Hello, a sudden red, hot and very painful big toe joint after a night of beer and meat is "
    "the classic picture of a gout attack. Rest the foot, keep it cool and raised, drink water "
    "and avoid alcohol; an anti-inflammatory from your doctor shortens the attack. A blood test "
    "for uric acid and a visit to check the joint will confirm it."
)
NEXT_QUESTION = "Woke up with a swollen, burning hot big toe joint after drinking beer. Is it gout?"


def test_a_pipeline_draft_is_saved_with_its_provenance_and_sources(
    desk: Desk, sample_kb: SampleKb
) -> None:
    backend, _ = scripted_backend(TITLE, REPLY, EXPLAINER)
    draft = draft_page(
        SHINS, retriever=sample_kb.retriever, llm=backend, settings=sample_kb.settings
    )
    q = desk.workflow.add_question(desk.doctor, SHINS.text, age_group="30-39", sex="female")
    version = desk.workflow.save_draft(desk.doctor, q.id, draft)
    assert draft.title == TITLE
    assert draft.reply
    assert draft.explainer
    assert (version.title, version.reply, version.explainer) == (
        draft.title,
        draft.reply,
        draft.explainer,
    )
    assert version.model == "fake:scripted"
    assert version.prompt_version == ", ".join(
        f"{part}={ref}" for part, ref in draft.prompt_versions.items()
    )
    assert "reply=short_reply@v" in (version.prompt_version or "")
    event = desk.workflow.audit(question_id=q.id)[-1]
    assert (event.action, event.model, event.prompt_version) == (
        "draft.create",
        "fake:scripted",
        version.prompt_version,
    )
    assert event.detail["status"] == draft.status
    # what the page shows can be rebuilt from the stored version alone
    shown = version_draft(q, version)
    assert [h.id for h in shown.similar_qa] == [h.id for h in draft.similar_qa]
    assert [h.id for h in shown.related_faq] == [h.id for h in draft.related_faq]
    assert [(s.n, s.id) for s in shown.sources] == [(s.n, s.id) for s in draft.sources]
    assert shown.citation_issues == draft.citation_issues


def test_an_interrupted_draft_is_saved_as_a_version_with_its_partial_text(
    desk: Desk, sample_kb: SampleKb
) -> None:
    backend, _ = scripted_backend(TITLE, "FAIL_AFTER:6:" + REPLY)
    draft = draft_page(
        SHINS, retriever=sample_kb.retriever, llm=backend, settings=sample_kb.settings
    )
    assert draft.error
    q = desk.workflow.add_question(desk.doctor, SHINS.text)
    version = desk.workflow.save_draft(desk.doctor, q.id, draft)
    assert version.reply == " ".join(REPLY.split(" ")[:6])
    assert (version.title, version.explainer) == (TITLE, "")
    assert "backend went away" in version.details["error"]
    assert version.details["status"] == "incomplete"
    assert desk.workflow.versions(q.id) == [version]
    assert desk.workflow.question(q.id).status == "drafted"
    event = desk.workflow.audit(question_id=q.id)[-1]
    assert event.detail["status"] == "incomplete"
    assert "backend went away" in event.detail["error"]


@pytest.fixture
def kb_copy(sample_kb: SampleKb, tmp_path: Path) -> Settings:
    """A private, writable copy of the sample knowledge base."""
    data = sample_kb.copy_to(tmp_path / "kb")
    return load_settings(data_dir=data, database_url=f"sqlite:///{tmp_path / 'kb.db'}")


def test_an_approved_reply_joins_the_knowledge_base_and_ranks_first_next_time(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, kb_copy: Settings
) -> None:
    retriever = Services(kb_copy).retriever()
    before = retriever.page(NEXT_QUESTION, k=3, m=1).similar_qa
    assert before
    assert all(h.id.startswith("qa-") for h in before)
    qa_count = retriever.store.count("qa")

    desk = make_desk(
        tmp_path_factory, tmp_path, publisher=knowledge_base_publisher(lambda: retriever)
    )
    q = desk.workflow.add_question(
        desk.doctor, GOUT, age_group="50-59", sex="male", specialty="Orthopedics"
    )
    desk.workflow.save_draft(
        desk.doctor,
        q.id,
        ai_draft(GOUT, title="Sudden Red, Hot Big Toe After Beer", reply=GOUT_REPLY[:-1]),
    )
    desk.workflow.save_edit(  # the doctor's edit: a doctor-written answer
        desk.doctor,
        q.id,
        base=1,
        title="Sudden Red, Hot Big Toe After Beer",
        reply=GOUT_REPLY,
        explainer="## Causes\nShin splints come from doing too much too soon [1].",
    )
    approval = desk.workflow.approve(desk.doctor, q.id, "reply")
    assert approval.published == f"drafter-q{q.id}"
    assert approval.publish_error is None

    for searcher in (retriever, Services(kb_copy).retriever()):  # this process and a new one
        top = searcher.page(NEXT_QUESTION, k=3, m=1).similar_qa[0]
        assert top.id == f"drafter-q{q.id}"
        assert top.metadata["origin"] == "doctor"
        assert top.title == "Sudden Red, Hot Big Toe After Beer"
        assert top.metadata["doctor"] == "Dr. Ana Ruiz"
        assert top.specialty == "Orthopedics"
        assert GOUT_REPLY[:60] in top.metadata["answer"]
    assert retriever.store.count("qa") == qa_count + 1

    # the editor's approved explainer replaces the record; it is not added twice
    desk.workflow.save_edit(
        desk.editor,
        q.id,
        base=2,
        title="Sudden Red, Hot Big Toe After Beer",
        reply=GOUT_REPLY,
        explainer="## What gout is\nUric acid crystals in a joint cause a sudden attack.",
    )
    assert desk.workflow.approve(desk.editor, q.id, "explainer").published == f"drafter-q{q.id}"
    assert retriever.store.count("qa") == qa_count + 1
    stored = retriever.store.get("qa", [f"drafter-q{q.id}"])
    assert [s.metadata["explainer"] for s in stored] == [
        "## What gout is\nUric acid crystals in a joint cause a sudden attack."
    ]
    assert [e.action for e in desk.workflow.audit(question_id=q.id)][-2:] == [
        "approve.explainer",
        "publish.knowledge_base",
    ]


def test_the_settings_workflow_publishes_into_the_configured_knowledge_base(
    kb_copy: Settings,
) -> None:
    from tests.support.workflow_kit import add_staff

    workflow: Workflow = Services(kb_copy).workflow()
    doctor = add_staff(workflow, {"doc": ("doctor", "Dr. Lee", "doctor-pass-1")})["doc"]
    q = workflow.add_question(doctor, GOUT)
    workflow.save_draft(doctor, q.id, ai_draft(GOUT, reply=GOUT_REPLY))
    assert workflow.approve(doctor, q.id, "reply").published == f"drafter-q{q.id}"
    fresh: HybridRetriever = Services(kb_copy).retriever()
    assert fresh.page(NEXT_QUESTION, k=1, m=1).similar_qa[0].id == f"drafter-q{q.id}"


def test_an_ai_draft_approved_unedited_is_marked_and_ranks_below_doctor_written_answers(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, kb_copy: Settings
) -> None:
    retriever = Services(kb_copy).retriever()
    desk = make_desk(
        tmp_path_factory, tmp_path, publisher=knowledge_base_publisher(lambda: retriever)
    )
    q = desk.workflow.add_question(desk.doctor, GOUT, age_group="50-59", sex="male")
    desk.workflow.save_draft(
        desk.doctor, q.id, ai_draft(GOUT, title="Elephant Sneeze Condition", reply=GOUT_REPLY)
    )
    desk.workflow.approve(desk.doctor, q.id, "reply")  # not a word changed
    hits = retriever.page(NEXT_QUESTION, k=3, m=1).similar_qa
    ours = next(h for h in hits if h.id == f"drafter-q{q.id}")  # still found, but last
    assert hits[-1] is ours  # the edited twin of this answer ranks first (test above)
    assert all(h.id.startswith("qa-") for h in hits[:-1])
    assert ours.metadata["origin"] == "ai_unedited"
    assert "AI draft approved unedited" in ours.why
