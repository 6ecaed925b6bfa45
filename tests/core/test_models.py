"""Domain models: the normalizers, record validation and Filters (pure, no fixtures)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from drafter.core.records import (
    AGE_GROUPS,
    FaqArticle,
    Filters,
    Hit,
    QAPair,
    normalize_age_group,
    normalize_sex,
    normalize_specialty,
)

GOOD_QA: dict[str, Any] = {
    "id": "qa-1",
    "title": "Knee pain",
    "question": "My knee hurts when I climb stairs.",
    "answer": "That is often the kneecap joint.",
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("70-79", "70-79"),
        ("80+", "80+"),
        ("70~79", "70-79"),
        ("70 – 79", "70-79"),
        ("74", "70-79"),
        (" 74 ", "70-79"),
        (74, "70-79"),
        (85, "80+"),
        ("85+", "80+"),
        ("80", "80+"),
        ("0", "0-9"),
        (9, "0-9"),
        ("10", "10-19"),
        ("15 years", "10-19"),
        ("70-79 year old", "70-79"),
        ("40-49 years", "40-49"),
    ],
)
def test_normalize_age_group_accepts(value: str | int | None, expected: str | None) -> None:
    assert normalize_age_group(value) == expected


@pytest.mark.parametrize("value", ["abc", "seventy", "70s", "-5", "1234", "age 70", "70/79"])
def test_normalize_age_group_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="age group"):
        normalize_age_group(value)


def test_every_age_group_is_a_fixed_point() -> None:
    assert [normalize_age_group(g) for g in AGE_GROUPS] == list(AGE_GROUPS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("female", "female"),
        (" Female ", "female"),
        ("F", "female"),
        ("woman", "female"),
        ("MALE", "male"),
        ("m", "male"),
        ("man", "male"),
        ("Other", "other"),
    ],
)
def test_normalize_sex_accepts(value: str | None, expected: str | None) -> None:
    assert normalize_sex(value) == expected


@pytest.mark.parametrize("value", ["x", "women", "unknown", "fem", "mf"])
def test_normalize_sex_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="sex"):
        normalize_sex(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("Orthopedics", "Orthopedics"),
        ("orthopedics", "Orthopedics"),
        ("  infectious   disease ", "Infectious Disease"),
        ("obstetrics and gynecology", "Obstetrics and Gynecology"),
        ("physical medicine and rehabilitation", "Physical Medicine and Rehabilitation"),
    ],
)
def test_normalize_specialty(value: str | None, expected: str | None) -> None:
    assert normalize_specialty(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ORTHOPEDICS", "Orthopedics"), ("OBSTETRICS AND GYNECOLOGY", "Obstetrics and Gynecology")],
)
def test_normalize_specialty_is_case_insensitive(value: str, expected: str) -> None:
    assert normalize_specialty(value) == expected


def test_qapair_normalizes_and_strips() -> None:
    qa = QAPair(
        **{**GOOD_QA, "id": "  qa-1  "},
        age_group="74",
        sex="F",
        specialty="orthopedics",
        asked_date="2021-03-14",  # type: ignore[arg-type]
    )
    assert (qa.id, qa.age_group, qa.sex, qa.specialty) == ("qa-1", "70-79", "female", "Orthopedics")
    assert qa.asked_date == date(2021, 3, 14)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"colour": "blue"}, "colour"),
        ({"id": "qa#1"}, "id"),
        ({"id": ""}, "id"),
        ({"question": ""}, "question"),
        ({"answer": "   "}, "answer"),
        ({"age_group": "old"}, "age_group"),
        ({"sex": "robot"}, "sex"),
        ({"asked_date": "yesterday"}, "asked_date"),
    ],
)
def test_qapair_rejects(change: dict[str, Any], loc: str) -> None:
    with pytest.raises(ValidationError) as info:
        QAPair(**{**GOOD_QA, **change})
    assert [e["loc"][0] for e in info.value.errors()] == [loc]


def test_qapair_extra_field_is_forbidden() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        QAPair(**GOOD_QA, colour="blue")  # type: ignore[call-arg]


def test_qapair_missing_answer() -> None:
    data = {k: v for k, v in GOOD_QA.items() if k != "answer"}
    with pytest.raises(ValidationError, match="answer"):
        QAPair(**data)


def test_faq_article_rejects_hash_in_id() -> None:
    with pytest.raises(ValidationError, match="must not contain '#'"):
        FaqArticle(id="faq#0", title="Acne", body="## What\nSpots.")
    article = FaqArticle(id="faq-acne", title="Acne", body="Spots.", specialty="dermatology")
    assert article.specialty == "Dermatology"


def test_records_are_frozen() -> None:
    qa = QAPair(**GOOD_QA)
    with pytest.raises(ValidationError):
        qa.title = "changed"  # type: ignore[misc]


def test_filters_normalize_every_field() -> None:
    filters = Filters("orthopedics", "74", "F")
    assert filters == Filters("Orthopedics", "70-79", "female")
    assert filters.as_dict() == {"specialty": "Orthopedics", "age_group": "70-79", "sex": "female"}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, {}),
        ({"specialty": "  "}, {}),
        ({"sex": "m"}, {"sex": "male"}),
        ({"age_group": 85}, {"age_group": "80+"}),
    ],
)
def test_filters_as_dict_drops_empty(kwargs: dict[str, Any], expected: dict[str, str]) -> None:
    assert Filters(**kwargs).as_dict() == expected


@pytest.mark.parametrize(("field", "value"), [("age_group", "old"), ("sex", "robot")])
def test_filters_reject_bad_values(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field.split("_")[0]):
        Filters(**{field: value})


def test_hit_excerpt_and_json() -> None:
    text = "word " * 100
    hit = Hit("qa-1", "qa", "T", 0.1234567, {"dense": 1, "bm25": None}, "why", text,
              {"specialty": "Cardiology"}, ("qa-2",))  # fmt: skip
    excerpt = hit.excerpt(50)
    assert len(excerpt) <= 50
    assert excerpt.endswith("…")
    assert hit.excerpt(10_000) == " ".join(text.split())
    assert hit.to_json() == {
        "id": "qa-1", "kind": "qa", "title": "T", "score": 0.123457,
        "ranks": {"dense": 1, "bm25": None}, "why": "why", "specialty": "Cardiology",
        "duplicates": ["qa-2"],
    }  # fmt: skip
