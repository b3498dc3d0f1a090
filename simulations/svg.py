"""Server-rendered SVG for the simulation report: escape rate per PSF domain as horizontal bars with
95 % Wilson interval whiskers. No JavaScript, print-friendly, every label escaped."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

BAR, WHISKER, TOLERANCE, GRID, TEXT, MUTED = "#dc2626", "#0f172a", "#1d4ed8", "#e2e8f0", "#0f172a", "#64748b"


def _nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k not below ``value`` (at least 0.1 %)."""
    value = max(value, 0.001)
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exp
        if candidate >= value - 1e-12:
            return float(candidate)
    return float(10 ** (exp + 1))


def _pct(rate: float) -> str:
    pct = rate * 100
    if pct == 0:
        return "0 %"
    if pct >= 10:
        return f"{pct:.1f} %"
    if pct >= 1:
        return f"{pct:.2f} %"
    return f"{pct:.3f} %"


def domain_escape_svg(
    domains: Sequence[Mapping[str, Any]],
    *,
    names: Mapping[str, str] | None = None,
    tolerances: Mapping[str, float] | None = None,
    width: int = 760,
) -> str:
    """Bars of the escape rate per domain with their 95 % Wilson interval.

    ``domains``: the report's ``domains`` rows (``domain``, ``tested``, ``escaped``,
    ``escape_rate``, ``ci95``). ``names`` maps a code to its name for the labels; ``tolerances``
    (a code to a rate) draws the tolerated rate of a domain as a dashed mark.
    """
    names = names or {}
    tolerances = tolerances or {}
    row_h, label_w, value_w, top, bottom = 34, 230, 190, 30, 12
    bar_w = width - label_w - value_w
    height = top + row_h * len(domains) + bottom
    highs = [float(d["ci95"][1]) for d in domains if d.get("ci95")]
    highs += [float(t) for t in tolerances.values()]
    scale = _nice_max(max(highs, default=0.0))

    def x_of(rate: float) -> float:
        return label_w + bar_w * min(rate, scale) / scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Escape rate per PSF domain with 95 % Wilson intervals, scale 0 to {escape(_pct(scale))}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12" data-testid="domain-escape-svg">'
    ]
    for i in range(5):
        rate = scale * i / 4
        x = x_of(rate)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{height - bottom}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{top - 13}" text-anchor="middle" fill="{MUTED}">{round(rate * 100, 4):g} %</text>'
        )
    for idx, d in enumerate(domains):
        code = str(d.get("domain", ""))
        y = top + idx * row_h
        mid = y + row_h / 2
        label = f"{code} {names[code]}" if code in names else code
        parts.append(
            f'<text x="{label_w - 10}" y="{mid + 4:.1f}" text-anchor="end" fill="{TEXT}">{escape(label[:34])}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{mid - 9:.1f}" width="{bar_w}" height="18" rx="3" fill="#f8fafc"/>'
        )
        tested = int(d.get("tested") or 0)
        if not tested or d.get("escape_rate") is None or not d.get("ci95"):
            parts.append(
                f'<text x="{label_w + 8}" y="{mid + 4:.1f}" fill="{MUTED}">not tested by this traffic</text>'
            )
            continue
        rate = float(d["escape_rate"])
        low, high = (float(v) for v in d["ci95"])
        escaped = int(d.get("escaped") or 0)
        tip = f"{label}: {escaped:,} of {tested:,} escaped ({_pct(rate)}; 95 % interval {_pct(low)} to {_pct(high)})"
        parts.append(f"<g><title>{escape(tip)}</title>")
        if rate > 0:
            parts.append(
                f'<rect x="{label_w}" y="{mid - 9:.1f}" width="{max(x_of(rate) - label_w, 1.5):.1f}" height="18" '
                f'rx="3" fill="{BAR}" fill-opacity="0.85"/>'
            )
        x1, x2 = x_of(low), x_of(high)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{mid:.1f}" x2="{x2:.1f}" y2="{mid:.1f}" stroke="{WHISKER}" stroke-width="1.5"/>'
        )
        for xw in (x1, x2):
            parts.append(
                f'<line x1="{xw:.1f}" y1="{mid - 6:.1f}" x2="{xw:.1f}" y2="{mid + 6:.1f}" stroke="{WHISKER}" stroke-width="1.5"/>'
            )
        parts.append("</g>")
        if code in tolerances:
            tx = x_of(float(tolerances[code]))
            parts.append(
                f'<line x1="{tx:.1f}" y1="{mid - 13:.1f}" x2="{tx:.1f}" y2="{mid + 13:.1f}" stroke="{TOLERANCE}" '
                f'stroke-width="2" stroke-dasharray="3 2"><title>{escape(f"tolerated: {_pct(float(tolerances[code]))}")}</title></line>'
            )
        parts.append(
            f'<text x="{width - value_w + 10}" y="{mid + 4:.1f}" fill="{TEXT}">'
            f'<tspan font-weight="bold">{escape(_pct(rate))}</tspan>'
            f'<tspan fill="{MUTED}"> [{escape(_pct(low))} – {escape(_pct(high))}]</tspan></text>'
        )
    parts.append("</svg>")
    return "".join(parts)
