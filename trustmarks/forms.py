from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from .services import MAX_REASON

REVIEW_NOTES_MAX = 4000


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the mark's history for assessors; the public sees only the new status.",
    )


class DecisionForm(forms.Form):
    """Approve or reject another assessor's request; the note is optional (kept for assessors)."""

    note = forms.CharField(
        max_length=MAX_REASON, strip=True, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SurveillanceReviewForm(forms.Form):
    """The annual surveillance review: evidence still valid, each domain score confirmed or
    changed (pre-filled with the mark's current scores), notes."""

    evidence_valid = forms.TypedChoiceField(
        label="Is the evidence still valid?",
        choices=[("yes", "Yes: the controls assessed are still in place"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label="Review notes",
        max_length=REVIEW_NOTES_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Confidential: kept for assessors, never published.",
    )

    def __init__(self, *args: Any, scores: dict[str, float], names: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.domain_codes = list(scores)
        for code, current in scores.items():
            self.fields[f"score_{code}"] = forms.DecimalField(
                label=f"{code} {names.get(code, '')}".strip(),
                min_value=Decimal(0),
                max_value=Decimal(5),
                max_digits=2,
                decimal_places=1,
                initial=Decimal(str(current)),
                help_text=f"Was {current:.1f}. Keep it to confirm, or change it.",
                widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "5"}),
            )

    def domain_fields(self) -> list[forms.BoundField]:
        return [self[f"score_{code}"] for code in self.domain_codes]

    def scores(self) -> dict[str, float]:
        return {code: float(self.cleaned_data[f"score_{code}"]) for code in self.domain_codes}
