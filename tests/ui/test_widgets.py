"""Widgets as pure functions: the patient's text shown inert, with triage's words marked."""

from __future__ import annotations

from ui.components.widgets import highlighted


def test_the_words_triage_found_are_marked_and_everything_is_escaped() -> None:
    text = "Hi <b>doc</b>.\nCrushing chest pain ![x](http://host/p.png) since 8am"
    start = text.index("Crushing chest pain")
    flags = [{"rule_id": "chest_pain", "spans": [[start, start + len("Crushing chest pain")]]}]
    shown = highlighted(text, flags)
    assert "<mark>Crushing chest pain</mark>" in shown
    assert "&lt;b&gt;doc&lt;/b&gt;" in shown
    assert "<b>" not in shown
    assert "<br>" in shown


def test_findings_stored_before_spans_existed_show_the_plain_text() -> None:
    flags = [{"rule_id": "chest_pain", "label": "Chest pain", "matched": "chest pain"}]
    assert highlighted("My chest pain", flags) == "<div class='patient-text'>My chest pain</div>"


def test_overlapping_and_out_of_range_spans_are_safe() -> None:
    flags = [{"spans": [[0, 4], [2, 7], [50, 60]]}, {"spans": [[5, 7]]}]
    assert highlighted("abcdefghij", flags) == (
        "<div class='patient-text'><mark>abcdefg</mark>hij</div>"
    )


def test_untrusted_text_in_the_app_masks_secrets() -> None:
    """A store's error quoting its URL, or a gateway's quoting the key, shows neither secret."""
    from drafter.core.secrets import remember
    from ui.components.plain import md

    remember("sk-widget-test-key-0042")
    shown = md("401 from http://drafter:pg-pass-0042@db:5432 Bearer sk-widget-test-key-0042")
    assert "pg-pass-0042" not in shown
    assert "sk-widget-test-key-0042" not in shown
    assert "401 from" in shown
