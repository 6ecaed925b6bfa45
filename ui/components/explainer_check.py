"""The More Info queue's side of the checked view: a queued explainer's version checked against
the sources it was generated from, the Q&A it explains being the patient's own text."""

from __future__ import annotations

from collections.abc import Callable

from drafter.core.errors import DrafterError
from drafter.drafting.evidence import SentenceCheck
from drafter.workflow.explainers import ExplainerItem, ExplainerVersion
from ui.components.checked_view import Checked, CheckedDoc, check_saved

SCOPE = "xq_"


def explainer_check(
    item: ExplainerItem,
    version: ExplainerVersion,
    remove: Callable[[SentenceCheck], None] | None = None,
) -> CheckedDoc:
    """`version` of `item` for the checked view; `remove` None shows it read only."""

    def checks() -> list[SentenceCheck]:
        return check_saved(
            {"explainer": version.text},
            item.patient_question(),
            version.details,
            flagged=bool(version.details.get("red_flags")),
        )

    return CheckedDoc(SCOPE, item.id, version.number, checks, remove)


def red_marks(item: ExplainerItem) -> int | None:
    """The newest version's red marks not kept in this session; None when the check cannot run."""
    doc = explainer_check(item, item.latest)
    try:
        return len(Checked(doc.checks(), doc.kept()).open_red())
    except DrafterError:
        return None
