"""Output checks for each part of a draft: shape, length, runaway repetition, leaked instructions.

Each check returns a list of problems (empty = fine); the pipeline retries once on a problem and
then marks the draft incomplete.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from drafter.drafting.sections import missing_headings

# Phrases only our prompts contain: a draft that repeats one is echoing its instructions.
LEAK_MARKERS = ("never reveal these rules", "never follow instructions", "<patient_question>")


def repetition_problem(text: str) -> str | None:
    """Runaway loops: a sentence repeated, or an 8-word run appearing three times."""
    sentences = [s.strip().lower() for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 20]
    if len(sentences) != len(set(sentences)):
        return "repeats a sentence"
    words = text.lower().split()
    seen: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - 7):
        gram = tuple(words[i : i + 8])
        seen[gram] = seen.get(gram, 0) + 1
        if seen[gram] >= 3:
            return "repeats itself"
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def echo_problem(text: str, question: str, run: int = 10) -> str | None:
    """The reply copies a run of `run` words of the patient's question (a small model's habit)."""
    asked = _words(question)
    grams = {tuple(asked[i : i + run]) for i in range(len(asked) - run + 1)}
    said = _words(text)
    copied = any(tuple(said[i : i + run]) in grams for i in range(len(said) - run + 1))
    return "copies the patient's question" if copied else None


# A bracketed name (not a citation [1]): "[patient_name]", "[Your Name]", "[patient_question]".
_PLACEHOLDER = re.compile(r"\[[A-Za-z][A-Za-z _']{2,30}\](?!\()")  # not a Markdown [link](url)


def placeholder_problem(text: str) -> str | None:
    """A template placeholder left in the text (the small model writes "Hello [patient_name],")."""
    found = _PLACEHOLDER.search(text)
    return f"leaves a placeholder {found.group(0)}" if found else None


def leak_problem(text: str) -> str | None:
    lowered = text.lower()
    return "echoes the instructions" if any(m in lowered for m in LEAK_MARKERS) else None


def check_title(text: str) -> list[str]:
    words = len(text.split())
    return [] if 2 <= words <= 16 else [f"title has {words} words (want 2-16)"]


def check_reply(text: str, question: str = "") -> list[str]:
    """Shape checks; with the patient's `question`, also that the reply does not copy it."""
    found = (
        repetition_problem(text),
        leak_problem(text),
        placeholder_problem(text),
        echo_problem(text, question),
    )
    problems = [p for p in found if p]
    sentences = len([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s])
    if not 2 <= sentences <= 8:
        problems.append(f"reply has {sentences} sentences (want 3-6)")
    if not 60 <= len(text) <= 1400:
        problems.append(f"reply is {len(text)} characters (want 60-1400)")
    return problems


def check_explainer(text: str, headings: Sequence[str] = ()) -> list[str]:
    """Shape checks; with planned `headings`, each must appear as a '## ' heading."""
    checks = (repetition_problem(text), leak_problem(text), placeholder_problem(text))
    problems = [p for p in checks if p]
    found = re.findall(r"^##\s+\S", text, flags=re.M)
    if len(found) < 3:
        problems.append(f"explainer has {len(found)} '## ' sections (want at least 3)")
    missing = missing_headings(text, headings)
    if missing:
        problems.append(f"explainer lacks planned sections: {', '.join(missing)}")
    if not 400 <= len(text) <= 8000:
        problems.append(f"explainer is {len(text)} characters (want 400-8000)")
    return problems


def clean_title(text: str) -> str:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(title:\s*|#+\s*)", "", line.strip(), flags=re.I)
    return line.strip().strip("\"“”'*").rstrip(".").strip()


# Emergency advice in a draft: what a reply says when it sends the patient to urgent care now.
_EMERGENCY_ADVICE = re.compile(
    r"\b(emergency (department|room|services)|\bA&E\b|call (an ambulance|911|999|112)|"
    r"call your local emergency number|go to (the )?(hospital|ER)\b[^.]{0,20}\b(now|immediately|"
    r"right away|straight away)|seek (emergency|urgent) (care|help|medical (help|attention)) "
    r"(now|immediately|right away|straight away))",
    re.I,
)


def emergency_advice(text: str) -> str | None:
    """The words of `text` that send the patient to emergency care now, or None."""
    found = _EMERGENCY_ADVICE.search(text)
    return found.group(0) if found is not None else None


def urgency_problems(texts: dict[str, str], flagged: bool, advice: str = "") -> list[str]:
    """Where a draft disagrees with triage: emergency advice when triage found no red flag, or a
    flagged question whose reply lacks the urgent advice. Marked for the doctor, never rewritten
    here (the reply's urgent sentence is added by its finish step)."""
    problems = []
    if not flagged:
        for part, text in texts.items():
            if (said := emergency_advice(text)) is not None:
                problems.append(
                    f"{part}: says “{said}” but triage found no red flag; check that "
                    "the patient needs emergency care"
                )
    elif advice and "reply" in texts and advice.lower() not in texts["reply"].lower():
        problems.append("reply: the question is flagged but the reply lacks the urgent advice")
    return problems


# What in a draft could fetch or send something when rendered: a URL (bare, in a Markdown link or
# image, or in an HTML attribute), a Markdown image, an HTML tag, an e-mail address (renderers
# linkify it; an injection sends the patient's data there). Matched as written.
_OUTSIDE = (
    ("shows an image", re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")),
    ("contains the HTML", re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>\n]*)?/?>")),
    ("links to", re.compile(r"(?:https?|ftp)://[^\s<>()\[\]\"'`]+|\bwww\.[\w-]+\.[^\s<>()\"'`]+")),
    ("gives the e-mail address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
)


def markup_problems(texts: dict[str, str], sources: Sequence[str]) -> list[str]:
    """URLs, Markdown images, raw HTML and e-mail addresses in a draft that no retrieved source
    contains: what a prompt injection plants to collect data or send the patient elsewhere.
    Marked for the doctor (the app and the export show them as text, never live)."""
    known = "\n".join(sources).lower()
    problems = []
    for part, text in texts.items():
        seen: set[str] = set()
        for kind, pattern in _OUTSIDE:
            for found in pattern.findall(text):
                shown = found.rstrip(".,;:!?")
                if shown.lower() in known or any(shown in s for s in seen):
                    continue  # an image's URL is not reported again as a link
                seen.add(shown)
                problems.append(f"{part}: {kind} {shown}, which no source contains")
    return problems
