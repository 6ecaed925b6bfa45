"""What the knowledge base holds (`drafter stats`)."""

from __future__ import annotations

from collections import Counter

from knowledge.store import KINDS, KnowledgeStore


def collect_stats(store: KnowledgeStore) -> dict[str, object]:
    out: dict[str, object] = {"location": store.location}
    for kind in KINDS:
        rows = [item for page in store.iter_all(kind) for item in page] if store.count(kind) else []
        parents = {item.metadata.get("parent_id", item.id) for item in rows}
        specialties = Counter(
            item.metadata.get("specialty") or "(none)"
            for item in rows
            if kind == "qa" or item.metadata.get("chunk") in (0, None)
        )
        out[kind] = {
            "records": len(parents),
            "rows": len(rows),
            "embedder": store.embedder_name(kind) if rows else None,
            "by_specialty": dict(specialties.most_common()),
        }
    return out


def format_stats(stats: dict[str, object]) -> str:
    lines = [f"store: {stats['location']}"]
    for kind, label in (("qa", "Q&As"), ("faq", "FAQ articles")):
        info = stats[kind]
        if not isinstance(info, dict):
            continue
        lines.append(f"{label}: {info['records']} ({info['rows']} rows, {info['embedder']})")
        for name, n in info["by_specialty"].items():
            lines.append(f"  {name:<28} {n:>6}")
    return "\n".join(lines)
