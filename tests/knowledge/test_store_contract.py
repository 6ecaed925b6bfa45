"""One contract for every store backend: embedded Chroma and a real `chroma run` server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from drafter.core.errors import BackendUnavailableError, StoreMissingError
from drafter.core.records import Filters
from drafter.core.settings import Settings
from drafter.services import Services
from knowledge.retrieval import MODES, Mode
from tests.conftest import MakeKb, MakeSettings, RunCli, WriteJsonl, free_port

QAS: list[dict[str, Any]] = [
    {"id": "qa-knee", "title": "Knee pain on stairs", "specialty": "Orthopedics",
     "age_group": "60-69", "sex": "female",
     "question": "My knee aches and clicks when I climb stairs or kneel in the garden.",
     "answer": "Often the kneecap joint; strengthen the thigh muscles."},
    {"id": "qa-statin", "title": "Muscle aches on a statin", "specialty": "Cardiology",
     "age_group": "50-59", "sex": "male",
     "question": "Since I started atorvastatin my thigh muscles ache and feel weak.",
     "answer": "Statin muscle aches are common; we can check CK and try another statin."},
    {"id": "qa-palp", "title": "Racing heart at night", "specialty": "Cardiology",
     "question": "My heart races and pounds when I lie down at night.",
     "answer": "Palpitations are usually harmless extra beats; an ECG can tell."},
    {"id": "qa-rash", "title": "Itchy rash on elbows", "specialty": "Dermatology",
     "question": "I have an itchy scaly rash on both elbows that will not go away.",
     "answer": "This may be psoriasis or eczema; a moisturiser and a steroid cream help."},
]  # fmt: skip
FAQS: list[dict[str, Any]] = [
    {"id": "faq-statins", "title": "Statins", "specialty": "Cardiology",
     "body": "## What statins do\nThey lower LDL cholesterol.\n\n"
             "## Muscle aches\nMuscle pain on statins is common and usually mild.\n\n"
             "## Liver tests\nA blood test checks liver enzymes before starting."},
    {"id": "faq-knee", "title": "Knee pain", "specialty": "Orthopedics",
     "body": "## Causes\nKnee pain and aching muscles around the knee often come from arthritis."
             "\n\n## Exercises\nStrong thigh muscles protect the knee."},
]  # fmt: skip


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def backend(request: pytest.FixtureRequest, make_settings: MakeSettings) -> Settings:
    if request.param == "server":
        return request.getfixturevalue("server_settings")
    return make_settings()


@pytest.fixture
def kb_files(tmp_path: Path, write_jsonl: WriteJsonl) -> tuple[Path, Path]:
    return write_jsonl(tmp_path / "qa.jsonl", QAS), write_jsonl(tmp_path / "faq.jsonl", FAQS)


def test_ingest_counts_and_reingest_is_idempotent(
    backend: Settings, kb_files: tuple[Path, Path], make_kb: MakeKb
) -> None:
    retriever = make_kb(kb_files, settings=backend)
    store = retriever.store
    assert (store.count("qa"), store.count("faq")) == (4, 5)
    before = sorted((i.id, i.document) for i in store.get("qa"))
    retriever = make_kb(kb_files, settings=backend)
    store = retriever.store
    assert (store.count("qa"), store.count("faq")) == (4, 5)
    assert sorted((i.id, i.document) for i in store.get("qa")) == before
    assert sorted(i.id for i in store.get("faq")) == [
        "faq-knee#0", "faq-knee#1", "faq-statins#0", "faq-statins#1", "faq-statins#2",
    ]  # fmt: skip


def test_updated_text_replaces_old(
    backend: Settings, kb_files: tuple[Path, Path], make_kb: MakeKb, write_jsonl: WriteJsonl
) -> None:
    make_kb(kb_files, settings=backend)
    changed = [{**QAS[3], "question": "Dandruff flakes cover my scalp and eyebrows.",
                "answer": "Try a ketoconazole shampoo."}]  # fmt: skip
    retriever = make_kb(
        [write_jsonl(kb_files[0].with_name("new.jsonl"), changed)], settings=backend
    )
    assert retriever.store.count("qa") == 4
    [item] = retriever.store.get("qa", ["qa-rash"])
    assert "Dandruff" in item.document
    assert item.metadata["answer"] == "Try a ketoconazole shampoo."
    assert [h.id for h in retriever.search("dandruff flakes", mode="bm25")] == ["qa-rash"]
    assert retriever.search("scaly", mode="bm25") == []
    assert retriever.search("dandruff on my scalp", mode="dense", k=1)[0].id == "qa-rash"


@pytest.mark.parametrize("mode", MODES)
def test_specialty_filter_excludes_other_specialties(
    mode: Mode, backend: Settings, kb_files: tuple[Path, Path], make_kb: MakeKb
) -> None:
    retriever = make_kb(kb_files, settings=backend)
    query = "aching thigh muscles and knee pain"
    unfiltered = {h.specialty for kind in ("qa", "faq")
                  for h in retriever.search(query, kind=kind, k=5, mode=mode)}  # fmt: skip
    assert {"Cardiology", "Orthopedics"} <= unfiltered
    ortho = Filters(specialty="orthopedics")
    qa = retriever.search(query, kind="qa", k=5, mode=mode, filters=ortho)
    faq = retriever.search(query, kind="faq", k=5, mode=mode, filters=ortho)
    assert [h.id for h in qa] == ["qa-knee"]
    assert [h.id for h in faq] == ["faq-knee"]
    cardio = retriever.search(query, kind="qa", k=5, mode=mode, filters=Filters("Cardiology"))
    assert cardio
    assert {h.specialty for h in cardio} == {"Cardiology"}


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        (Filters(age_group="74", sex="m"), set()),
        (Filters(age_group="55"), {"qa-statin"}),
        (Filters(sex="female"), {"qa-knee"}),
        (Filters("Cardiology", sex="male"), {"qa-statin"}),
    ],
)
def test_age_and_sex_filters(
    filters: Filters, ids: set[str], backend: Settings, kb_files: tuple[Path, Path],
    make_kb: MakeKb,
) -> None:  # fmt: skip
    retriever = make_kb(kb_files, settings=backend)
    for mode in MODES:
        hits = retriever.search("muscles ache knee heart rash", k=10, mode=mode, filters=filters)
        assert {h.id for h in hits} <= ids, mode
    hybrid = retriever.search("muscles ache knee heart rash", k=10, filters=filters)
    assert {h.id for h in hybrid} == ids


def test_faq_reimport_with_fewer_sections_leaves_no_stale_chunks(
    backend: Settings, kb_files: tuple[Path, Path], make_kb: MakeKb, write_jsonl: WriteJsonl
) -> None:
    make_kb(kb_files, settings=backend)
    shorter = [{**FAQS[0], "body": "## What statins do\nThey lower LDL cholesterol."}]
    path = write_jsonl(kb_files[1].with_name("faq2.jsonl"), shorter)
    retriever = make_kb([path], settings=backend)
    store = retriever.store
    assert sorted(i.id for i in store.get("faq", where={"parent_id": "faq-statins"})) == [
        "faq-statins#0"
    ]
    assert store.count("faq") == 3
    for mode in MODES:
        hits = retriever.search("liver enzymes blood test", kind="faq", k=5, mode=mode)
        assert all(h.text.startswith("They lower") for h in hits if h.id == "faq-statins"), mode
    assert retriever.search("liver enzymes", kind="faq", mode="bm25") == []


def test_search_end_to_end(backend: Settings, kb_files: tuple[Path, Path], make_kb: MakeKb) -> None:
    retriever = make_kb(kb_files, settings=backend)
    page = retriever.page("is my statin causing these muscle aches?", k=2, m=2)
    assert page.similar_qa[0].id == "qa-statin"
    assert page.similar_qa[0].ranks == {"dense": 1, "bm25": 1}
    assert page.related_faq[0].id == "faq-statins"
    assert page.related_faq[0].kind == "faq"
    assert page.seconds > 0


@pytest.mark.usefixtures("embedder")
def test_empty_store_raises_store_missing(backend: Settings) -> None:
    with pytest.raises(StoreMissingError, match="drafter ingest"):
        Services(backend).retriever().page("anything at all")


@pytest.mark.usefixtures("embedder")
def test_cli_end_to_end(
    backend: Settings, kb_files: tuple[Path, Path], run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRAFTER_DATA_DIR", str(backend.data_dir))
    monkeypatch.setenv("DRAFTER_COLLECTION_PREFIX", backend.collection_prefix)
    if backend.chroma_url:
        monkeypatch.setenv("DRAFTER_CHROMA_URL", backend.chroma_url)
    result = run_cli("ingest", *map(str, kb_files), "-q")
    assert result.code == 0, result.err
    location = backend.chroma_url or str(backend.chroma_dir)
    assert result.out.splitlines()[-1] == f"store {location}: 4 Q&As, 5 FAQ chunks"
    data = run_cli("search", "is my statin causing these muscle aches?", "--json").json()
    assert data["similar_qa"][0]["id"] == "qa-statin"
    assert data["related_faq"][0]["id"] == "faq-statins"
    stats = run_cli("stats", "--json").json()
    assert stats["location"] == location
    assert (stats["qa"]["records"], stats["faq"]["records"], stats["faq"]["rows"]) == (4, 2, 5)


def test_missing_embedded_store_names_ingest(make_settings: MakeSettings) -> None:
    settings = make_settings()
    with pytest.raises(StoreMissingError, match=r"`drafter ingest`") as info:
        Services(settings).store()
    assert str(settings.chroma_dir) in str(info.value)
    assert not settings.chroma_dir.exists()


def test_unreachable_server_fails_fast(
    make_settings: MakeSettings, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="DRAFTER_CHROMA_URL") as info:
        Services(make_settings(chroma_url=url)).store()
    assert time.monotonic() - started < 10
    assert url in str(info.value)
    assert info.value.exit_code == 4
    monkeypatch.setenv("DRAFTER_CHROMA_URL", url)
    result = run_cli("stats")
    assert result.code == 4
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"drafter: error: Chroma server at {url} does not answer")
