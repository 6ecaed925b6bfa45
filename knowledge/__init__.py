"""The knowledge side of Drafter: importers, embeddings, the Chroma store, BM25 and fusion."""

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
# Patient questions for the workflow's inbox (`drafter questions add --file`), not knowledge.
SAMPLE_INBOX = SAMPLE_DIR / "inbox.jsonl"


def sample_files() -> list[Path]:
    """The sample knowledge base's files: every JSONL in `sample/` but the inbox."""
    return sorted(p for p in SAMPLE_DIR.glob("*.jsonl") if p != SAMPLE_INBOX)
