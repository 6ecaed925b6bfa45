"""Plain-text tables of hits for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from drafter.core.records import Hit


def print_hits(title: str, hits: Sequence[Hit], console: Console | None = None) -> None:
    console = console or Console()
    if not hits:
        console.print(f"[bold]{title}[/bold]: nothing found")
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("id", no_wrap=True, min_width=max(len(h.id) for h in hits))
    table.add_column("title", max_width=60)
    table.add_column("specialty")
    table.add_column("why it matched", max_width=48)
    for n, hit in enumerate(hits, start=1):
        dups = f" (+{len(hit.duplicates)} near-duplicate)" if hit.duplicates else ""
        table.add_row(
            str(n), f"{hit.score:.4f}", hit.id, hit.title + dups, hit.specialty or "-", hit.why
        )
    console.print(table)
