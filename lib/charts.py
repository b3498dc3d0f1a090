"""Small server-rendered SVG charts (no JavaScript, print-friendly, every label escaped)."""

from __future__ import annotations

from html import escape


def domain_scores_svg(domains: list[dict[str, object]], *, width: int = 640, max_score: float = 5.0) -> str:
    """Horizontal bars of domain scores (0–5) with the pass threshold marked on each bar.

    ``domains``: [{"code", "name", "score" (float | None), "threshold", "passed"}].
    """
    row_h, label_w, right_pad, top = 30, 210, 46, 24
    bar_w = width - label_w - right_pad
    height = top + row_h * len(domains) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Domain scores from 0 to {max_score:g}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">'
    ]
    for i in range(int(max_score) + 1):
        x = label_w + bar_w * i / max_score
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" fill="#64748b">{i}</text>')
    for idx, d in enumerate(domains):
        y = top + idx * row_h
        score = d.get("score")
        threshold = float(d.get("threshold") or 0)  # type: ignore[arg-type]
        label = escape(f"{d.get('code')} {d.get('name')}")
        parts.append(f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" fill="#0f172a">{label}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="18" rx="3" fill="#f1f5f9"/>')
        if score is None:
            parts.append(f'<text x="{label_w + 6}" y="{y + 18}" fill="#64748b">needs evidence</text>')
        else:
            s = float(score)  # type: ignore[arg-type]
            colour = "#15803d" if d.get("passed") else "#b91c1c"
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{bar_w * s / max_score:.1f}" height="18" rx="3" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{width - right_pad + 6}" y="{y + 18}" fill="#0f172a" font-weight="bold">{s:.1f}</text>'
            )
        tx = label_w + bar_w * threshold / max_score
        parts.append(
            f'<line x1="{tx:.1f}" y1="{y + 2}" x2="{tx:.1f}" y2="{y + 26}" stroke="#0f172a" stroke-width="2" stroke-dasharray="3 2"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
