"""The published page's Markdown and HTML: untrusted text is inert in both, the explainer's
sections are real headings, and red flags are styled."""

from __future__ import annotations

from drafter.core.question import PatientQuestion
from drafter.core.records import Hit
from drafter.drafting.draft import Draft
from drafter.drafting.page import explainer_markdown, page_html, page_markdown
from drafter.drafting.sections import Block, Section, parse_explainer
from drafter.triage.findings import Finding
from tests.support.hostile import hostile_question, live_markup

HOSTILE = hostile_question()
EXPLAINER = (
    "Intro with ![x](http://127.0.0.1:9/e.png) [1].\n\n## Causes\nOveruse [1].\n"
    "- rest\n- ice <img src=x>\n\n## When to see a doctor\n1. swelling\n2. fever"
)


def hostile_draft() -> Draft:
    hit = Hit(
        id="qa-1",
        kind="qa",
        title="[Knee](http://127.0.0.1:9/t) pain",
        score=0.9,
        ranks={},
        why="",
        text=HOSTILE,
        metadata={"doctor": "Dr. X", "answer": "See ![a](http://127.0.0.1:9/a.png)"},
    )
    flag = Finding("chest", "Chest pain", "emergency", "Call 911.", ((0, 4),), "knee", 1.0, "x")
    return Draft(
        question=PatientQuestion(HOSTILE, specialty="[Ortho](http://127.0.0.1:9/s)"),
        title="Knee :red[pain]",
        reply="Hello ![r](http://127.0.0.1:9/r.png) <b>rest</b> [1].",
        explainer=EXPLAINER,
        similar_qa=[hit],
        related_faq=[hit],
        red_flags=[flag],
        problems=["reply: links to http://127.0.0.1:9/r.png, which no source contains"],
        model="m",
    )


def test_markdown_export_has_no_live_image_link_or_html() -> None:
    page = page_markdown(hostile_draft())
    assert live_markup(page) == []
    assert "## More Info" in page  # Drafter's own headings stay
    assert "### Causes" in page
    assert "### When to see a doctor" in page


def test_html_export_styles_red_flags_and_makes_explainer_headings_real() -> None:
    page = page_html(hostile_draft())
    assert "{{" not in page
    assert "}}" not in page
    assert ".flag{color:#a00" in page
    assert "<h3>Causes</h3>" in page
    assert "<h3>When to see a doctor</h3>" in page
    assert "## " not in page
    assert "<ul><li>rest</li><li>ice &lt;img src=x&gt;</li></ul>" in page
    assert "<ol><li>swelling</li><li>fever</li></ol>" in page
    assert "<img" not in page
    assert "<a " not in page
    assert "<b>rest" not in page


def test_explainer_is_parsed_into_headings_paragraphs_and_lists() -> None:
    assert parse_explainer(EXPLAINER) == [
        Section("", (Block("paragraph", ("Intro with ![x](http://127.0.0.1:9/e.png) [1].",)),)),
        Section(
            "Causes",
            (Block("paragraph", ("Overuse [1].",)), Block("bullets", ("rest", "ice <img src=x>"))),
        ),
        Section("When to see a doctor", (Block("numbered", ("swelling", "fever")),)),
    ]
    shown = explainer_markdown(EXPLAINER)
    assert live_markup(shown) == []
    assert "- ice \\<img src=x\\>" in shown
