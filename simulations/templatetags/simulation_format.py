from __future__ import annotations

from django import template

from simulations.presenters import pct as _pct

register = template.Library()


@register.filter
def pct(rate: float | None, digits: int = 3) -> str:
    """``{{ 0.0123|pct }}`` → ``1.230 %``; ``{{ x|pct:1 }}`` for one decimal."""
    return _pct(rate, int(digits))


@register.filter
def status_pill(status: str) -> str:
    """The pill class for a run status."""
    return {"done": "pill-ok", "failed": "pill-bad", "cancelled": "pill-muted", "running": "pill-warn"}.get(
        status, "pill-muted"
    )


@register.filter
def heat_level(alpha: str | float | None) -> int:
    """A heat-map cell's opacity (0–1) as a class level 0–20 (``heat-N`` in simulations.css, steps
    of 0.05): the page's Content-Security-Policy allows no inline ``style`` attributes."""
    try:
        return max(0, min(20, round(float(alpha or 0) * 20)))
    except (TypeError, ValueError):
        return 0


@register.filter
def flex_weight(rate: float | None) -> int:
    """An outcome's share (0–1) as a whole-percent flex weight 1–100 (``flex-N`` in simulations.css)."""
    try:
        return max(1, min(100, round(float(rate or 0) * 100)))
    except (TypeError, ValueError):
        return 1
