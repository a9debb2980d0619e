"""Rich display in Jupyter: small self-contained HTML tables and an inline SVG loss curve.

Objects a user looks at in a notebook (a Module, a `History`, a gradient
report) define `_repr_html_` with these helpers, so Jupyter shows a table
instead of the plain `repr`, which stays what a terminal prints. Nothing here
needs matplotlib, a server or JavaScript.
"""
from __future__ import annotations

import html
import math
from typing import Any, Sequence

__all__ = ["esc", "html_table", "loss_curve_svg", "PASS_MARK", "FAIL_MARK"]

PASS_MARK = '<span style="color:#15803d">✓</span>'
FAIL_MARK = '<span style="color:#b91c1c;font-weight:bold">✗</span>'
_TABLE_STYLE = "border-collapse:collapse;font-family:monospace;font-size:12px"
_CELL_STYLE = "padding:2px 8px;border-bottom:1px solid #e2e8f0"


def esc(value: Any) -> str:
    """`value` as text safe inside HTML."""
    return html.escape(str(value))


def html_table(head: Sequence[str], rows: Sequence[Sequence[Any]], caption: str | None = None,
               right: Sequence[int] = (), raw: Sequence[int] = (), footer: str | None = None) -> str:
    """An HTML table: `head` cells, then `rows`; columns in `right` are right-aligned.

    Cells are escaped except in columns listed in `raw` (already HTML, e.g.
    ✓/✗ marks). `caption` goes above the table, `footer` (HTML) below it.
    """
    def cell(tag: str, j: int, value: Any) -> str:
        align = "right" if j in right else "left"
        text = str(value) if j in raw else esc(value)
        return f'<{tag} style="{_CELL_STYLE};text-align:{align}">{text}</{tag}>'

    parts = [f'<table style="{_TABLE_STYLE}">']
    if caption:
        parts.append(f'<caption style="text-align:left;font-weight:bold;padding:4px 0">{esc(caption)}</caption>')
    parts.append("<tr>" + "".join(cell("th", j, h) for j, h in enumerate(head)) + "</tr>")
    parts += ["<tr>" + "".join(cell("td", j, v) for j, v in enumerate(row)) + "</tr>" for row in rows]
    parts.append("</table>")
    if footer:
        parts.append(f'<div style="font-family:monospace;font-size:12px;padding-top:4px">{footer}</div>')
    return "".join(parts)


def loss_curve_svg(curves: Sequence[tuple[str, Sequence[float], str]], width: int = 320,
                   height: int = 120, log: bool = True) -> str:
    """An inline SVG with one polyline per (label, values, colour), on a log scale by default.

    Non-finite values (and, on a log scale, non-positive ones) are left out;
    with nothing left to draw the result is an empty string.
    """
    def keep(v: float) -> bool:
        return math.isfinite(v) and (v > 0 or not log)

    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    points = [[(i, scale(float(v))) for i, v in enumerate(vals) if keep(float(v))] for _, vals, _ in curves]
    every = [p for pts in points for p in pts]
    if not every:
        return ""
    n = max(len(vals) for _, vals, _ in curves)
    lo, hi = min(y for _, y in every), max(y for _, y in every)
    span, pad = (hi - lo) or 1.0, 6
    lines, legend = [], []
    for k, ((label, _, colour), pts) in enumerate(zip(curves, points)):
        xy = " ".join(f"{pad + (width - 2 * pad) * i / max(n - 1, 1):.1f},"
                      f"{pad + (height - 2 * pad) * (hi - y) / span:.1f}" for i, y in pts)
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{xy}"/>')
        legend.append(f'<text x="{width - pad}" y="{14 + 12 * k}" text-anchor="end" font-size="10" '
                      f'fill="{colour}">{esc(label)}</text>')
    unscale = (lambda v: 10 ** v) if log else (lambda v: v)
    axis = (f'<text x="{pad}" y="{pad + 8}" font-size="9" fill="#64748b">{unscale(hi):.3g}</text>'
            f'<text x="{pad}" y="{height - pad}" font-size="9" fill="#64748b">{unscale(lo):.3g}'
            f'{" (log scale)" if log else ""}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="border:1px solid #e2e8f0">{axis}{"".join(lines)}{"".join(legend)}</svg>')
