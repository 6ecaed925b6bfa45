"""What the entry points (the CLI, the app, the benchmarks) set before any model loads."""

from __future__ import annotations

import os

# Nothing phones home: no Hugging Face downloads, no Chroma telemetry, no progress noise.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def go_offline() -> None:
    """Set the offline flags, keeping any the caller set already."""
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
