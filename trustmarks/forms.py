from __future__ import annotations

from django import forms

from .services import MAX_REASON


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the mark's history for assessors; the public sees only the new status.",
    )
