"""The live draft: each part streams into the page under its label, and a retry (or a More
Info assembled from the sources) replaces what its part showed, so the page shows what is kept."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from ui.components.live_draft import LiveText

    live = LiveText(st.status("Drafting…", expanded=False))
    live.on_stage("reply")
    live.on_token("reply", "Hello, the first try ")
    live.on_token("reply", "was cut.")
    live.on_stage("reply (retry: reply cites no source)")
    live.on_token("reply", "Hello, this is the kept reply [1].")
    live.on_stage("explainer")
    live.on_token("explainer", "A failed article.")
    live.on_stage("explainer (assembled from sources)")
    live.on_token("explainer", "Opening.\n\n## Causes\nA cited sentence [2].")


def test_a_retry_replaces_the_text_its_part_showed() -> None:
    at = AppTest.from_function(_script).run()
    assert not at.exception, at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "this is the kept reply" in shown
    assert "first try" not in shown
    assert "A failed article" not in shown
    assert "A cited sentence" in shown
    labels = [c.value for c in at.caption]
    assert labels == ["Short reply · being written", "More Info · being written"]
    (status,) = at.status
    assert status.label == "Drafting: explainer (assembled from sources)…"
