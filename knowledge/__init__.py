"""The knowledge side of Drafter: importers, embeddings, the Chroma store, BM25 and fusion."""

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
