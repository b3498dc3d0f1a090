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
