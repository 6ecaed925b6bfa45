"""Pieces several pages share: hit cards, the red-flag banner, the specialty list, autosave, the
last action's message and the regenerate instruction."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, Protocol

import streamlit as st

from drafter.core.errors import DrafterError, EditConflictError
from drafter.core.records import Hit
from drafter.triage.findings import union
from ui.components.plain import md, plain

SPECIALTIES = [
    "Cardiology", "Dermatology", "Gastroenterology", "Neurology", "Obstetrics and Gynecology",
    "Orthopedics", "Otolaryngology", "Pediatrics", "Psychiatry",
]  # fmt: skip


def show_qa(hit: Hit) -> None:
    meta = hit.metadata
    with st.container(border=True):
        st.markdown(f"**{md(hit.title)}**")
        st.caption(
            f"{md(meta.get('specialty', '-'))} · {md(meta.get('doctor', ''))} · "
            f"score {hit.score:.3f} · {md(hit.why)}"
        )
        plain(hit.excerpt(300))
        with st.expander("Doctor's reply"):
            plain(meta.get("answer", ""))
        if hit.duplicates:
            st.caption(f"Also asked as: {md(', '.join(hit.duplicates))}")


def show_faq(hit: Hit) -> None:
    with st.expander(f"{md(hit.title)} ({md(hit.specialty or 'general')}) · {hit.score:.3f}"):
        st.caption(md(hit.why))
        plain(hit.text)


def highlighted(text: str, flags: list[dict[str, Any]]) -> str:
    """The patient's text as inert HTML (escaped, line breaks kept) with the words triage found
    marked: the doctor sees at a glance what raised each flag."""
    spans = union(
        (int(a), int(b)) for f in flags for a, b in f.get("spans", []) if 0 <= a < b <= len(text)
    )
    out, last = [], 0
    for start, end in spans:
        out += [html.escape(text[last:start]), f"<mark>{html.escape(text[start:end])}</mark>"]
        last = end
    out.append(html.escape(text[last:]))
    return "<div class='patient-text'>" + "".join(out).replace("\n", "<br>") + "</div>"


def red_flag_banner(flags: list[dict[str, Any]]) -> None:
    """Red flags come first on every page that shows a question. The patient's words are not
    repeated here: st.error renders Markdown, so they are shown escaped with the findings."""
    for flag in flags:
        st.error(
            f"**Red flag: {md(flag['label'])}**. "
            "The reply must tell them to seek urgent care first.",
            icon=":material/emergency:",
        )


class _Numbered(Protocol):
    @property
    def number(self) -> int: ...


def autosave(
    save: Callable[[], _Numbered],
    *,
    base_key: str,
    flash_key: str,
    conflict_hint: str,
    where: str,
) -> None:
    """Run one save of an edit box and say how it went in `flash_key`; `base_key` keeps the
    version number the next save starts from (a conflict's version too: both are kept)."""
    state = st.session_state
    try:
        saved = save()
    except EditConflictError as exc:
        state[base_key] = exc.saved_as
        state[flash_key] = ("warning", f"Careful: {exc}. {conflict_hint}")
        return
    except DrafterError as exc:
        state[flash_key] = ("error", f"Not saved: {exc}. Your text is still in {where}.")
        return
    if saved.number != state[base_key]:
        state[base_key] = saved.number
        state[flash_key] = ("success", f"Saved as version {saved.number}.")


def show_flash(flash_key: str) -> None:
    """What the last action did (a (kind, message) pair an action left in `flash_key`), once."""
    if flash := st.session_state.pop(flash_key, None):
        getattr(st, flash[0])(flash[1])


def instruction_from(preset: str, custom: str) -> str | None:
    """A regenerate request from the preset picked ("none" for none) and the editor's own words."""
    wanted = ", ".join(p for p in (None if preset == "none" else preset, custom.strip()) if p)
    return wanted or None
