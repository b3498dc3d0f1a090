from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from simulator.params import MAX_REQUESTS, Tolerances


def _pct(rate: float) -> Decimal:
    return (Decimal(str(rate)) * 100).normalize()


class SimulationStartForm(forms.Form):
    """The page's start form. Tolerances are typed as percentages and stored as rates."""

    n = forms.IntegerField(
        label="Requests (N)",
        min_value=1,
        max_value=MAX_REQUESTS,
        initial=100_000,
        help_text=f"Synthetic requests to push through the workflow, up to {MAX_REQUESTS:,}.",
        error_messages={"max_value": f"At most {MAX_REQUESTS:,} requests per run."},
    )
    seed = forms.IntegerField(
        label="Seed", min_value=0, max_value=2**63 - 1, help_text="The same seed gives the same report."
    )
    version = forms.TypedChoiceField(label="Workflow version", coerce=int)
    max_escape_rate = forms.DecimalField(
        label="Max escape rate (%)",
        min_value=0,
        max_value=100,
        decimal_places=4,
        initial=_pct(Tolerances().max_escape_rate),
    )
    min_availability = forms.DecimalField(
        label="Min availability (%)",
        min_value=0,
        max_value=100,
        decimal_places=4,
        initial=_pct(Tolerances().min_availability),
    )
    max_p99_latency_ms = forms.IntegerField(
        label="Max p99 latency (ms)",
        min_value=1,
        required=False,
        help_text="Leave empty not to check latency.",
    )

    def __init__(self, *args: Any, versions: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        latest = max(versions) if versions else None
        field = self.fields["version"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(v, f"v{v}" + (" (latest)" if v == latest else "")) for v in versions]
        if latest is not None:
            self.fields["version"].initial = latest

    def params(self) -> dict[str, Any]:
        d = self.cleaned_data
        tolerances: dict[str, Any] = {
            "max_escape_rate": float(d["max_escape_rate"] / 100),
            "min_availability": float(d["min_availability"] / 100),
        }
        if d.get("max_p99_latency_ms"):
            tolerances["max_p99_latency_ms"] = float(d["max_p99_latency_ms"])
        return {"tolerances": tolerances}
