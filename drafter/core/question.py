"""The patient's question as every stage sees it, built in one place from whatever holds one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from drafter.core.errors import InputError
from drafter.core.records import normalize_age_group, normalize_sex, normalize_specialty


class AsksQuestion(Protocol):
    """Anything that carries a patient's question: an inbox row, a stored Q&A, an eval item."""

    @property
    def age_group(self) -> str | None: ...

    @property
    def sex(self) -> str | None: ...

    @property
    def specialty(self) -> str | None: ...


@dataclass(frozen=True)
class PatientQuestion:
    text: str
    age_group: str | None = None
    sex: str | None = None
    specialty: str | None = None

    @classmethod
    def create(
        cls,
        text: str,
        age_group: str | int | None = None,
        sex: str | None = None,
        specialty: str | None = None,
    ) -> PatientQuestion:
        """A question as typed or imported: age group, sex and specialty normalised, a value
        that is none of them refused with InputError."""
        try:
            return cls(
                text,
                normalize_age_group(age_group),
                normalize_sex(sex),
                normalize_specialty(specialty),
            )
        except ValueError as exc:
            raise InputError(str(exc)) from None

    @classmethod
    def of(cls, source: AsksQuestion, text: str | None = None) -> PatientQuestion:
        """The question of an inbox row, a stored Q&A or an eval item (their text is `text` or
        `question`; `text` overrides it)."""
        body = text if text is not None else getattr(source, "text", None)
        if body is None:
            body = getattr(source, "question", "")
        return cls(str(body), source.age_group, source.sex, source.specialty)

    @property
    def asker(self) -> str:
        who = " ".join(
            p for p in (f"{self.age_group} year old" if self.age_group else "", self.sex or "") if p
        )
        return who or "age and sex not given"

    def to_json(self) -> dict[str, str | None]:
        return {
            "text": self.text,
            "age_group": self.age_group,
            "sex": self.sex,
            "specialty": self.specialty,
        }
