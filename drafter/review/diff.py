"""Word-level comparison of two texts: the diff a reviewer reads and the edit distance the
dashboard counts.

A word is a run of non-space characters, so punctuation belongs to its word ("knee." is not
"knee") and case matters. The edit distance is the Levenshtein distance over words: the fewest
words inserted, deleted or replaced to turn one text into the other. Normalised, it is divided by
the longer text's word count, so 0 is identical and 1 is nothing in common.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

OpName = Literal["equal", "insert", "delete", "replace"]


@dataclass(frozen=True)
class DiffOp:
    """One stretch of the diff: words of the old text (`old`) and of the new text (`new`)."""

    op: OpName
    old: tuple[str, ...]
    new: tuple[str, ...]


def words(text: str) -> list[str]:
    return text.split()


def word_diff(old: str, new: str) -> list[DiffOp]:
    """The changes from `old` to `new` as equal/insert/delete/replace stretches of words."""
    a, b = words(old), words(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [
        DiffOp(tag, tuple(a[i1:i2]), tuple(b[j1:j2]))  # type: ignore[arg-type]
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


def edit_distance(old: str, new: str) -> int:
    """Levenshtein distance in words (insert, delete and replace each cost 1)."""
    a, b = words(old), words(new)
    # A doctor's edit is usually local: the shared start and end cost nothing and are skipped.
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    ids: dict[str, int] = {}
    xs = [ids.setdefault(w, len(ids)) for w in a]
    ys = [ids.setdefault(w, len(ids)) for w in b]
    previous = list(range(len(ys) + 1))
    for i, x in enumerate(xs, 1):
        current = [i]
        for j, y in enumerate(ys, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def normalised_edit_distance(old: str, new: str) -> float:
    """Edit distance divided by the longer text's word count: 0 identical, 1 all different."""
    longest = max(len(words(old)), len(words(new)))
    return edit_distance(old, new) / longest if longest else 0.0
