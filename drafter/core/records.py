"""Domain objects of the knowledge side: past Q&As, FAQ articles and search hits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

AGE_GROUPS: tuple[str, ...] = (
    "0-9",
    "10-19",
    "20-29",
    "30-39",
    "40-49",
    "50-59",
    "60-69",
    "70-79",
    "80+",
)
SEXES: tuple[str, ...] = ("female", "male", "other")

Kind = Literal["qa", "faq"]

_AGE_RE = re.compile(r"^\s*(\d{1,3})\s*(?:[-~–]\s*(\d{1,3}))?\s*\+?\s*(?:years?.*)?$", re.I)


def normalize_age_group(value: str | int | None) -> str | None:
    """Map '70~79', '74', '70-79 year old' or 85 to one of AGE_GROUPS; None stays None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if text in AGE_GROUPS:
        return text
    match = _AGE_RE.match(text)
    if not match:
        raise ValueError(f"age group {text!r} is not like '70-79' or '80+'")
    low = int(match.group(1))
    if low >= 80:
        return "80+"
    return AGE_GROUPS[low // 10]


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, got {type(value).__name__}")
    return value


def normalize_sex(value: str | None) -> str | None:
    if value is None or not _text(value, "sex").strip():
        return None
    text = value.strip().lower()
    aliases = {"f": "female", "woman": "female", "m": "male", "man": "male"}
    text = aliases.get(text, text)
    if text not in SEXES:
        raise ValueError(f"sex {value!r} is not one of {', '.join(SEXES)}")
    return text


def normalize_specialty(value: str | None) -> str | None:
    """Specialties compare case-insensitively and are stored title-cased."""
    if value is None or not _text(value, "specialty").strip():
        return None
    words = value.strip().split()
    return " ".join(
        w.lower()
        if w.lower() in {"and", "of"}
        else w
        if w.isupper() and len(w) <= 3  # acronyms: ENT, ICU
        else w[:1].upper() + w[1:].lower()
        for w in words
    )


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id_has_no_hash(cls, value: str) -> str:
        if "#" in value:
            raise ValueError("id must not contain '#' (used for FAQ section chunks)")
        return value


class QAPair(_Record):
    """One published past question with the doctor's reply."""

    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    age_group: str | None = None
    sex: str | None = None
    asked_date: date | None = None
    doctor: str | None = None
    specialty: str | None = None
    answer_date: date | None = None
    explainer: str | None = None
    source_url: str | None = None
    # "ai_unedited": an AI draft a doctor approved without a change (ranked below the others)
    origin: Literal["doctor", "ai_unedited"] | None = None

    _age = field_validator("age_group", mode="before")(normalize_age_group)
    _sex = field_validator("sex", mode="before")(normalize_sex)
    _spec = field_validator("specialty", mode="before")(normalize_specialty)


class FaqArticle(_Record):
    """A health-topic article ('Related FAQ')."""

    body: str = Field(min_length=1)
    specialty: str | None = None
    url: str | None = None

    _spec = field_validator("specialty", mode="before")(normalize_specialty)


Record = QAPair | FaqArticle


@dataclass(frozen=True)
class Filters:
    """Restricts a search; None means 'any'."""

    specialty: str | None = None
    age_group: str | None = None
    sex: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "specialty", normalize_specialty(self.specialty))
        object.__setattr__(self, "age_group", normalize_age_group(self.age_group))
        object.__setattr__(self, "sex", normalize_sex(self.sex))

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class Hit:
    """One retrieved Q&A or FAQ article, with its fused score and why it matched."""

    id: str
    kind: Kind
    title: str
    score: float
    ranks: dict[str, int | None]
    why: str
    text: str
    metadata: dict[str, str] = field(default_factory=dict)
    duplicates: tuple[str, ...] = ()

    @property
    def specialty(self) -> str | None:
        return self.metadata.get("specialty") or None

    def excerpt(self, chars: int = 280) -> str:
        body = " ".join(self.text.split())
        return body if len(body) <= chars else body[: chars - 1].rsplit(" ", 1)[0] + "…"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "score": round(self.score, 6),
            "ranks": self.ranks,
            "why": self.why,
            "specialty": self.specialty,
            "duplicates": list(self.duplicates),
        }


@dataclass(frozen=True)
class SearchResult:
    """The 'Similar Q&A' and 'Related FAQ' lists for one question."""

    query: str
    similar_qa: list[Hit]
    related_faq: list[Hit]
    seconds: float = 0.0
