"""Small inline SVG charts for offline HTML reports: grouped bars and box plots, no JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from drafter.evaluation.measures import quantile

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
FONT = 'font-family="sans-serif" font-size="11"'


def _fmt(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    top: float | None = None,
    width: int = 640,
    height: int = 260,
) -> str:
    """Grouped vertical bars: one group per category, one bar per series; None leaves a gap."""
    left, right, head, foot = 44, 10, 28, 58
    values = [v for _, vals in series for v in vals if v is not None]
    top = top or max([*values, 1e-9]) * 1.1
    plot_w, plot_h = width - left - right, height - head - foot
    group = plot_w / max(1, len(categories))
    bar = group * 0.8 / max(1, len(series))
    out = [_open(width, height, title), _text(width / 2, 16, title, bold=True)]
    for tick in _ticks(0, top):
        y = head + plot_h - tick / top * plot_h
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')  # fmt: skip
        out.append(_text(left - 4, y + 4, _fmt(tick), anchor="end"))
    for c, category in enumerate(categories):
        x0 = left + c * group + group * 0.1
        for s, (name, vals) in enumerate(series):
            value = vals[c] if c < len(vals) else None
            x = x0 + s * bar
            if value is None:
                out.append(_text(x + bar / 2, head + plot_h - 4, "n/a", anchor="middle"))
                continue
            h = max(0.0, min(value, top)) / top * plot_h
            out.append(
                f'<rect x="{x:.1f}" y="{head + plot_h - h:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(name)}: {escape(category)} {_fmt(value)}</title></rect>"
            )
            out.append(_text(x + bar / 2 - 1, head + plot_h - h - 3, _fmt(value), anchor="middle"))
        out.append(_text(left + (c + 0.5) * group, height - foot + 16, category, anchor="middle"))
    out.append(_legend([name for name, _ in series], left, height - 18))
    out.append("</svg>")
    return "".join(out)


def box_plot(
    title: str,
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    unit: str = "",
    bounds: tuple[float, float] | None = None,
    width: int = 640,
    row: int = 34,
) -> str:
    """Horizontal box plots, one row per series: whiskers min-max, box q1-q3, median line,
    every value as a dot. The axis spans `bounds` (e.g. 0-1 for shares) or the values."""
    left, right, head = 150, 20, 30
    height = head + row * max(1, len(series)) + 26
    values = [v for _, vals in series for v in vals]
    low, high = bounds or ((min(values), max(values)) if values else (0.0, 1.0))
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    span = high - low

    def x(v: float) -> float:
        return left + (v - low) / span * (width - left - right)

    out = [_open(width, height, title), _text(width / 2, 16, title, bold=True)]
    for tick in _ticks(low, high):
        out.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{head - 4}" '
                   f'y2="{height - 22}" stroke="#eee"/>')  # fmt: skip
        out.append(_text(x(tick), height - 8, f"{_fmt(tick)}{unit}", anchor="middle"))
    for s, (name, vals) in enumerate(series):
        mid = head + s * row + row / 2
        color = PALETTE[s % len(PALETTE)]
        out.append(_text(left - 8, mid + 4, f"{name} (n={len(vals)})", anchor="end"))
        if not vals:
            continue
        q = [quantile(vals, p) or 0.0 for p in (0.0, 0.25, 0.5, 0.75, 1.0)]
        out.append(f'<line x1="{x(q[0]):.1f}" x2="{x(q[4]):.1f}" y1="{mid}" y2="{mid}" '
                   f'stroke="{color}"/>')  # fmt: skip
        out.append(
            f'<rect x="{x(q[1]):.1f}" y="{mid - 9}" width="{max(1.0, x(q[3]) - x(q[1])):.1f}" '
            f'height="18" fill="{color}" fill-opacity="0.25" stroke="{color}">'
            f"<title>{escape(name)}: median {_fmt(q[2])}{unit}, quartiles {_fmt(q[1])}-"
            f"{_fmt(q[3])}</title></rect>"
        )
        out.append(f'<line x1="{x(q[2]):.1f}" x2="{x(q[2]):.1f}" y1="{mid - 9}" y2="{mid + 9}" '
                   f'stroke="{color}" stroke-width="2"/>')  # fmt: skip
        out += [f'<circle cx="{x(v):.1f}" cy="{mid}" r="2.5" fill="{color}"/>' for v in vals]
    out.append("</svg>")
    return "".join(out)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT}{weight}>{escape(text)}</text>'
    )


def _legend(names: Sequence[str], x: float, y: float) -> str:
    out = []
    for i, name in enumerate(names):
        out.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/>')  # fmt: skip
        out.append(_text(x + 14, y, name))
        x += 24 + 7 * len(name)
    return "".join(out)
