from __future__ import annotations

from django import forms

from .parsers import PARSERS


class ResultImportForm(forms.Form):
    file = forms.FileField(
        label="Results file",
        help_text="promptfoo results.json or OpenTelemetry traces as OTLP/JSON (uncompressed).",
    )
    format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Detect from the content")] + [(k, k) for k in sorted(PARSERS)],
    )
    version = forms.TypedChoiceField(label="Run against version", coerce=int, choices=[])

    def __init__(self, *args: object, versions: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["version"].choices = [(n, f"v{n}") for n in versions]  # type: ignore[attr-defined]
        if versions:
            self.fields["version"].initial = versions[0]
