"""Triage: recall, false alarms and latency of each layer and of all together, on the labelled
test split (never tuned on), the routine questions, knowledge/eval/red_flags.jsonl and 300 real
questions from ../shared/data (K-QA and doctor_qa patient questions: every flag raised listed);
the lexicon layer alone is the baseline each figure is a ratio against, and the semantic layer
on PyTorch the baseline of its ONNX Runtime latency (same findings expected).

    .venv/bin/python bench/triage.py [--split test] [--real 300]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import need_shared, percentiles  # noqa: E402
from drafter.core.settings import load_settings  # noqa: E402
from drafter.evaluation.sets import load_eval_set  # noqa: E402
from drafter.evaluation.triage import evaluate_triage  # noqa: E402
from drafter.services import Services  # noqa: E402
from drafter.triage.semantic import SemanticLayer, SemanticModel  # noqa: E402
from drafter.triage.stage import Layer, Triager  # noqa: E402
from knowledge.embeddings import local_embedder  # noqa: E402

SETS = Path(__file__).resolve().parents[1] / "knowledge" / "eval"


def real_questions(n: int) -> list[str]:
    """n patient questions from K-QA and doctor_qa, a fixed sample (half from each)."""
    found = []
    for parts in (("kqa", "kqa_patient_questions.jsonl"), ("doctor_qa_scrapes", "doctor_qa.jsonl")):
        path = need_shared(*parts)
        if path is None:
            continue
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        texts = [str(r.get("question") or "").strip() for r in rows]
        texts = [t for t in texts if 20 <= len(t) <= 6000]
        found += random.Random(f"triage:{parts[0]}").sample(texts, min(n // 2, len(texts)))
    return found


def runtimes(full: Triager, paths: list[Path]) -> None:
    """The semantic layer on ONNX Runtime (what ships) against PyTorch, same process, same texts:
    latency of the layer and how many messages' findings differ."""
    model = SemanticModel.load()
    if model is None or "semantic" not in full.layers:
        return
    layers: dict[str, Layer] = {
        "onnx": full.layers["semantic"],
        "torch": SemanticLayer(model, local_embedder(runtime="torch").embed),
    }
    texts = [item.question for path in paths for item in load_eval_set(path).items]
    seconds: dict[str, list[float]] = {name: [] for name in layers}
    found: dict[str, list[list[str]]] = {name: [] for name in layers}
    for name, layer in layers.items():
        layer("warm up")
        for text in texts:
            t0 = time.perf_counter()
            found[name].append(sorted(f.category for f in layer(text)))
            seconds[name].append(time.perf_counter() - t0)
    (o50, o95), (t50, t95) = percentiles(seconds["onnx"]), percentiles(seconds["torch"])
    differ = sum(a != b for a, b in zip(found["onnx"], found["torch"], strict=True))
    print(f"\n## Semantic layer: ONNX Runtime against PyTorch ({len(texts)} messages)\n\n"
          f"| runtime | p50 ms | p95 ms |\n|---|---|---|\n| PyTorch | {t50:.1f} | {t95:.1f} |\n"
          f"| ONNX Runtime | {o50:.1f} | {o95:.1f} |\n\np95 x{o95 / t95:.2f} of PyTorch's; "
          f"messages whose findings differ: {differ}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", help="which split of knowledge/eval/triage")
    parser.add_argument("--real", type=int, default=300, help="real questions for false alarms")
    args = parser.parse_args()

    started = time.perf_counter()
    full = Services(load_settings()).triager()
    full("warm up: loads spaCy, the termsets and MiniLM")
    loading = time.perf_counter() - started
    print(f"# Triage ({args.split} split)\n\nloading spaCy + NegEx + MiniLM + classifier: "
          f"{loading:.1f} s\n")  # fmt: skip
    configs = {name: Triager({name: full.layers[name]}) for name in full.layers}
    configs["all layers"] = full
    sets = {
        f"{args.split} (labelled)": SETS / "triage" / f"{args.split}.jsonl",
        f"routine_{args.split}": SETS / "triage" / f"routine_{args.split}.jsonl",
        "red_flags.jsonl": SETS / "red_flags.jsonl",
        # batches by writers who saw no code and no earlier message, kept out of the splits
        **{f"fresh/{p.name}": p for p in sorted((SETS / "triage" / "fresh").glob("*.jsonl"))},
    }
    rows: dict[str, dict[str, dict[str, object]]] = {}
    for config, triager in configs.items():
        for label, path in sets.items():
            rows.setdefault(label, {})[config] = evaluate_triage(load_eval_set(path), triager)
    print("| set | layers | any-flag recall | category recall | false alarms | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for label, by_config in rows.items():
        for config, r in by_config.items():
            lat = r["latency_ms"]
            assert isinstance(lat, dict)  # noqa: S101 - fixed shape
            print(f"| {label} | {config} | {r['any_flag_recall']} | {r['recall']} | "
                  f"{r['false_alarm_rate']} | {lat['p50']} | {lat['p95']} |")  # fmt: skip
    labelled = rows[f"{args.split} (labelled)"]
    base, best = labelled["lexicon"], labelled["all layers"]
    ratio = (best["recall"] or 0) / (base["recall"] or 1)  # type: ignore[operator]
    print(f"\nall layers vs lexicon alone: recall x{ratio:.2f}, "
          f"false alarms {base['false_alarm_rate']} -> {best['false_alarm_rate']}")  # fmt: skip
    per = best["per_category"]
    assert isinstance(per, dict)  # noqa: S101 - fixed shape
    print("\n| category | found / expected | recall |\n|---|---|---|")
    for category, c in per.items():
        print(f"| {category} | {c['found']} / {c['expected']} | {c['recall']:.2f} |")

    runtimes(full, [sets[f"{args.split} (labelled)"], sets[f"routine_{args.split}"]])
    questions = real_questions(args.real)
    if questions:
        seconds, flagged = [], []
        for text in questions:
            t0 = time.perf_counter()
            result = full(text)
            seconds.append(time.perf_counter() - t0)
            if result.findings:
                flagged.append((text, result))
        p50, p95 = percentiles(seconds)
        print(f"\n## {len(questions)} real questions (K-QA, doctor_qa)\n\nflagged "
              f"{len(flagged)} ({len(flagged) / len(questions):.1%}); latency p50 {p50:.1f} ms, "
              f"p95 {p95:.1f} ms\n")  # fmt: skip
        for text, result in flagged:
            found = ", ".join(
                f"{f.category} “{f.matched[:60]}” ({f.layer})" for f in result.findings
            )
            print(f"- {found}: {text[:140]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
