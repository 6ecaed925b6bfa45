"""The `drafter eval` report: report.json and a self-contained report.html (inline SVG, no
scripts, nothing fetched), for one run or several side by side."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from drafter.core.errors import InputError
from drafter.evaluation.svg import bar_chart, box_plot

Report = dict[str, Any]

# (key in "aggregate", label, format, which way is better)
MEASURES: tuple[tuple[str, str, str, str], ...] = (
    ("items", "questions", "int", ""),
    ("complete", "complete drafts (passed the pipeline's checks)", "int", "higher"),
    ("errors", "backend or input errors", "int", "lower"),
    ("cannot_answer", "said the sources do not cover it", "int", ""),
    ("citation_validity", "citation validity: citations naming a given source", "share", "higher"),
    ("citation_issue_free", "drafts with no citation issue", "share", "higher"),
    ("groundedness", "groundedness: sentences supported by a source", "share", "higher"),
    ("supported", "sentence check: claims a source supports", "share", "higher"),
    ("cited_supported", "sentence check: cited sentences the cited source supports", "share",
     "higher"),
    ("cited_sentences", "sentences with a citation", "int", "higher"),
    ("about_the_patient", "sentences about the patient the patient did not write", "int",
     "lower"),
    ("wrong_voice", "sentences in the wrong voice", "int", "lower"),
    ("groundedness_reply", "groundedness of the short reply", "share", "higher"),
    ("reference_similarity", "similarity to the reference (cosine)", "share", "higher"),
    ("rouge_l", "ROUGE-L F1 against the reference", "share", "higher"),
    ("comprehensiveness", "K-QA comprehensiveness: must-have covered", "share", "higher"),
    ("hallucination", "K-QA hallucination: contradicted statements per answer (approx.)",
     "number", "lower"),
    ("answers_with_contradiction", "K-QA answers with a contradiction (approx.)", "share", "lower"),
    ("red_flag_recall", "red-flag recall (labelled items)", "share", "higher"),
    ("red_flag_false_alarm_rate", "red-flag false alarms (labelled negatives)", "share", "lower"),
    ("grade_level", "reading grade, Flesch-Kincaid (whole answer)", "number", "lower"),
    ("grade_level_reply", "reading grade of the short reply", "number", "lower"),
    ("words_reply", "words in the short reply", "number", ""),
    ("words_explainer", "words in the More Info explainer", "number", ""),
    ("latency_p50", "seconds per question, median", "number", "lower"),
    ("latency_p95", "seconds per question, 95th percentile", "number", "lower"),
)  # fmt: skip
SHARES = (
    ("citation_validity", "citations"),
    ("groundedness", "grounded"),
    ("reference_similarity", "ref. cosine"),
    ("rouge_l", "ROUGE-L"),
    ("comprehensiveness", "K-QA comp."),
    ("red_flag_recall", "red-flag recall"),
)
# (item key, title, unit, fixed axis or None to fit the values)
DISTRIBUTIONS: tuple[tuple[str, str, str, tuple[float, float] | None], ...] = (
    ("groundedness", "Groundedness per draft", "", (0.0, 1.0)),
    ("reference_similarity", "Similarity to the reference per draft", "", (0.0, 1.0)),
    ("comprehensiveness", "K-QA comprehensiveness per draft", "", (0.0, 1.0)),
    ("grade_level", "Reading grade per draft (Flesch-Kincaid)", "", None),
    ("seconds", "Seconds per question", " s", None),
)


def load_report(directory: Path) -> Report:
    path = directory / "report.json" if directory.is_dir() else directory
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a drafter eval report ({exc})") from None
    if not isinstance(report, dict) or not {"run", "aggregate", "items"} <= set(report):
        raise InputError(f"{path}: not a drafter eval report (no run/aggregate/items)")
    return report


def labels(reports: Sequence[Report]) -> list[str]:
    """Each run's label (its folder's name), made unique."""
    out: list[str] = []
    for i, report in enumerate(reports):
        label = str(report["run"].get("label") or f"run {i + 1}")
        out.append(label if label not in out else f"{label} ({i + 1})")
    return out


def comparison(reports: Sequence[Report]) -> dict[str, Any]:
    """The aggregates side by side, and last minus first for each numeric measure."""
    names = labels(reports)
    keys = [key for key, *_ in MEASURES]
    values = {k: [r["aggregate"].get(k) for r in reports] for k in keys}
    delta = {
        k: round(v[-1] - v[0], 4) if None not in (v[0], v[-1]) else None for k, v in values.items()
    }
    return {"runs": names, "aggregate": values, "delta": delta}


def write_report(report: Report, out_dir: Path, others: Sequence[Report] = ()) -> tuple[Path, Path]:
    """DIR/report.json (this run; with a `comparison` when others are given) and report.html."""
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [report, *others]
    data = {**report, "comparison": comparison(runs)} if others else report
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(runs), encoding="utf-8")
    return json_path, html_path


# --- HTML ---------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:1300px;color:#222;
line-height:1.4;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;
padding:.3rem .5rem;vertical-align:top;text-align:left}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}.better{color:#1a7f37}
.worse{color:#b42318}.pre{white-space:pre-wrap;font-size:.9em}.m{font-size:.85em;color:#444}
.charts svg{margin:0 1rem 1rem 0;border:1px solid #eee}.note{background:#fff8e1;padding:.6rem;
border-left:4px solid #f0b400}details summary{cursor:pointer;color:#345}
.ok{color:#1a7f37}.bad{color:#b42318}
"""


def fmt(value: Any, kind: str = "number") -> str:
    if value is None:
        return "–"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "share":
        return f"{value:.3f}"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def render_html(reports: Sequence[Report]) -> str:
    names = labels(reports)
    title = "Drafter evaluation: " + " vs ".join(names)
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title><style>{CSS}</style></head><body><h1>{escape(title)}</h1>",
        "<p class='note'>Automated measures of DRAFTS, not of approved answers. They point at "
        "differences worth reading; they do not replace a doctor's review. K-QA coverage and "
        "contradiction are approximations by sentence similarity (see <a href='#method'>how "
        "each figure is computed</a>).</p>",
        _runs_table(reports, names),
        _summary_table(reports, names),
        _charts(reports, names),
        _items_table(reports, names),
        _method(reports[0]),
        "</body></html>",
    ]
    return "\n".join(parts)


def _runs_table(reports: Sequence[Report], names: list[str]) -> str:
    rows = []
    for name, report in zip(names, reports, strict=True):
        run = report["run"]
        prompts = ", ".join(f"{k} {v}" for k, v in run.get("prompts", {}).items())
        skipped = len(run.get("skipped_lines", []))
        rows.append(
            f"<tr><td>{escape(name)}</td><td>{escape(Path(run.get('set', '')).name)} "
            f"({escape(str(run.get('set_format', '')))})</td><td>{escape(str(run.get('model')))}"
            f"</td><td>{escape(prompts)}</td><td class='num'>{len(report['items'])}</td>"
            f"<td class='num'>{skipped}</td>"
            f"<td class='num'>{fmt(report['aggregate'].get('seconds_total'))}</td>"
            f"<td>{escape(str(run.get('started', '')))}</td></tr>"
        )
    return (
        "<h2>Runs</h2><table><tr><th>run</th><th>set</th><th>model</th><th>prompts</th>"
        "<th>questions</th><th>skipped lines</th><th>drafting seconds</th><th>started</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _summary_table(reports: Sequence[Report], names: list[str]) -> str:
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    delta_head = f"<th>{escape(names[-1])} − {escape(names[0])}</th>" if len(reports) > 1 else ""
    rows = []
    for key, label, kind, better in MEASURES:
        values = [r["aggregate"].get(key) for r in reports]
        cells = "".join(f"<td class='num'>{fmt(v, kind)}</td>" for v in values)
        delta = ""
        if len(reports) > 1:
            first, last = values[0], values[-1]
            if first is None or last is None:
                delta = "<td class='num'>–</td>"
            else:
                diff = last - first
                css = ""
                if better and abs(diff) > 1e-9:
                    css = "better" if (diff > 0) == (better == "higher") else "worse"
                shown = f"{diff:+,.0f}" if kind == "int" else f"{diff:+.3f}"
                delta = f"<td class='num {css}'>{shown}</td>"
        arrow = {"higher": " ↑", "lower": " ↓"}.get(better, "")
        rows.append(f"<tr><td>{escape(label)}{arrow}</td>{cells}{delta}</tr>")
    return (
        "<h2>Summary</h2><p class='m'>↑ higher is better, ↓ lower is better; – = not measured "
        "on this set.</p>"
        f"<table><tr><th>measure</th>{head}{delta_head}</tr>{''.join(rows)}</table>"
    )


def _charts(reports: Sequence[Report], names: list[str]) -> str:
    series = [
        (name, [r["aggregate"].get(k) for k, _ in SHARES])
        for name, r in zip(names, reports, strict=True)
    ]
    charts = [bar_chart("Aggregate shares (0-1)", [lbl for _, lbl in SHARES], series, top=1.0)]
    for key, title, unit, bounds in DISTRIBUTIONS:
        per_run = [
            (name, [i[key] for i in r["items"] if i.get(key) is not None])
            for name, r in zip(names, reports, strict=True)
        ]
        if any(values for _, values in per_run):
            charts.append(box_plot(title, per_run, unit=unit, bounds=bounds))
    return "<h2>Plots</h2><div class='charts'>" + "".join(charts) + "</div>"


def _item_measures(item: dict[str, Any]) -> str:
    c = item["citations"]
    flags = item["red_flags"]
    lines = [
        f"status {escape(str(item.get('status')))}"
        + (
            f" <span class='bad'>error: {escape(item['error'])}</span>" if item.get("error") else ""
        ),
        f"citations valid {c['valid']}/{c['cited']}"
        + (f" · {escape('; '.join(c['issues']))}" if c["issues"] else ""),
        f"grounded {fmt(item['groundedness'], 'share')} (reply "
        f"{fmt(item['groundedness_reply'], 'share')})",
        f"ref. cosine {fmt(item['reference_similarity'], 'share')} · ROUGE-L "
        f"{fmt(item['rouge_l'], 'share')}",
        f"grade {fmt(item['grade_level'])} (reply {fmt(item['grade_level_reply'])}) · words "
        f"{item['words_reply']} + {item['words_explainer']}",
        f"{fmt(item['seconds'])} s",
    ]
    if item["comprehensiveness"] is not None:
        lines.append(
            f"K-QA comprehensiveness {fmt(item['comprehensiveness'], 'share')} · contradicted "
            f"{item['contradictions']}"
        )
    if flags["expected"] is not None or flags["found"]:
        expected = "none" if flags["expected"] == [] else ", ".join(flags["expected"] or ["–"])
        lines.append(
            f"red flags expected {escape(expected)} · found "
            f"{escape(', '.join(flags['found']) or 'none')}"
        )
    out = "<div class='m'>" + "<br>".join(lines) + "</div>"
    if item["statements"]:
        rows = []
        for s in item["statements"]:
            verdict = (
                "<span class='bad'>contradicted?</span>"
                if s["contradicted"]
                else "<span class='ok'>covered</span>"
                if s["covered"]
                else "missed"
            )
            kind = "must" if s["must_have"] else "nice"
            rows.append(
                f"<tr><td>{kind}</td><td>{escape(s['statement'])}</td><td>{verdict}</td>"
                f"<td class='num'>{s['score']:.2f}</td><td>{escape(s['sentence'])}</td></tr>"
            )
        out += (
            "<details><summary>gold statements</summary><table><tr><th></th><th>statement</th>"
            "<th>verdict</th><th>cos</th><th>closest draft sentence</th></tr>"
            + "".join(rows)
            + "</table></details>"
        )
    return out


def _draft_cell(item: dict[str, Any] | None) -> str:
    if item is None:
        return "<td>(not in this run)</td>"
    explainer = (
        f"<details><summary>More Info ({item['words_explainer']} words)</summary>"
        f"<div class='pre'>{escape(item['explainer'])}</div></details>"
        if item["explainer"]
        else ""
    )
    return (
        f"<td><b>{escape(item['title'])}</b><div class='pre'>{escape(item['reply'])}</div>"
        f"{explainer}{_item_measures(item)}</td>"
    )


def _items_table(reports: Sequence[Report], names: list[str]) -> str:
    by_run = [{i["id"]: i for i in r["items"]} for r in reports]
    order = list(dict.fromkeys(i["id"] for r in reports for i in r["items"]))
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    rows = []
    for number, item_id in enumerate(order, start=1):
        first = next(run[item_id] for run in by_run if item_id in run)
        references = "".join(
            f"<details><summary>reference {k}</summary><div class='pre'>{escape(ref)}</div>"
            "</details>"
            for k, ref in enumerate(first["references"], start=1)
        )
        rows.append(
            f"<tr id='item-{escape(item_id)}'><td>{number}<br><span class='m'>{escape(item_id)}"
            f"</span></td><td><div class='pre'>{escape(first['question'])}</div>{references}</td>"
            + "".join(_draft_cell(run.get(item_id)) for run in by_run)
            + "</tr>"
        )
    return (
        "<h2>Questions</h2><table class='items'><tr><th>#</th><th>question and reference</th>"
        f"{head}</tr>{''.join(rows)}</table>"
    )


def _method(report: Report) -> str:
    t = report.get("thresholds", {})
    support = t.get("support")
    return f"""<h2 id='method'>How each figure is computed</h2><ul>
<li><b>Citation validity</b>: of all [n] markers, the share naming a source that part was given
(the reply sees the top sources, the explainer all). <i>Drafts with no citation issue</i> also
counts sections citing nothing (drafter/drafting/citations.py).</li>
<li><b>Groundedness</b>: the share of draft sentences (at least {t.get("min_sentence_words")}
words; headings and [n] removed) whose closest sentence in the numbered source excerpts the
model was shown (for a past Q&A, the doctor's answer, not the patient's question) has a
cosine of at least {support} ({escape(str(t.get("calibrated_for")))}). Greetings and generic
advice count as unsupported, so 1.0 is not expected; compare runs.</li>
<li><b>Similarity to the reference</b>: cosine of the mean sentence vectors of the draft (reply +
More Info) and of the reference answer (the best reference where there are several). ROUGE-L:
longest common word subsequence, F1.</li>
<li><b>K-QA</b> (sets with must-have statements): a statement is <i>covered</i> when some draft
sentence has a cosine of at least {support} with it, <i>contradicted</i> when that closest
sentence is that close and exactly one of the two is negated (not, no, never, without, n't ...).
Comprehensiveness = covered must-have statements / must-have statements; hallucination =
contradicted statements (must-have and nice-to-have) per answer, as in the K-QA paper, which uses
an entailment model or a physician instead. <b>This contradiction test is a crude approximation:
it misses contradictions without a negation word and can flag paraphrases that negate
differently.</b></li>
<li><b>Red-flag recall</b>: on items labelled with the triage categories they should raise
(drafter/triage/data/categories.toml), the share that triage raised;
false alarms: labelled negatives (no flag expected) that were flagged.</li>
<li><b>Reading grade</b>: Flesch-Kincaid, 0.39 × words/sentence + 11.8 × syllables/word − 15.59,
with syllables counted by vowel groups less silent endings (drafter/evaluation/measures.py). US
school grade; patient material aims at 6-8.</li>
<li><b>Latency</b>: wall seconds per question (retrieval + every part, retries included);
with a remote backend several questions run at once.</li></ul>"""
