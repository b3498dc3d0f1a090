from __future__ import annotations

from typing import Any

from django import forms

from studio.models import Workflow

from .models import AISystem, ImprovementAction


class ListField(forms.CharField):
    """A list typed as "a; b; c"."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "; ".join(value)
        return value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value) or ""
        items: list[str] = []
        for part in text.split(";"):
            part = part.strip()[:100]
            if part and part not in items:
                items.append(part)
        if len(items) > 50:
            raise forms.ValidationError("At most 50 items.")
        return items


class AISystemForm(forms.ModelForm):
    vendors = ListField(required=False, help_text="Separate with semicolons. Linked workflows add theirs.")
    models_used = ListField(label="Models", required=False, help_text="Separate with semicolons.")
    data_categories = ListField(required=False, help_text="e.g. personal; financial; public")
    workflows = forms.ModelMultipleChoiceField(
        queryset=Workflow.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = AISystem
        fields = [
            "name",
            "purpose",
            "business_owner",
            "technical_owner",
            "status",
            "risk_tier",
            "eu_role",
            "eu_risk_class",
            "annex_iii_area",
            "vendors",
            "models_used",
            "data_categories",
            "users_affected",
            "autonomy_level",
        ]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, workflows: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["workflows"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = workflows
        if self.instance.pk:
            self.initial["workflows"] = list(self.instance.workflows.values_list("pk", flat=True))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("annex_iii_area") and data.get("eu_risk_class") != "high_risk":
            self.add_error("annex_iii_area", "Only high-risk systems fall under an Annex III area.")
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV with a header row (name, purpose, status, …) or JSON. At most 2 MB."
    )


class ImprovementActionForm(forms.ModelForm):
    class Meta:
        model = ImprovementAction
        fields = ["control", "action", "owner", "due", "status"]
        widgets = {"due": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, controls: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["control"] = forms.ChoiceField(choices=controls)


class Pai8EvidenceForm(forms.Form):
    """Attach evidence to a PAI-8 checkpoint: the DSA's kinds plus an inventory record. The form
    only collects; the checks (file content and size, http(s) links, same-organisation
    references) run in ``governance.evidence.pai8_evidence_add``."""

    kind = forms.ChoiceField(label="Kind of evidence")
    title = forms.CharField(
        label="Title", max_length=200, required=False, help_text="Defaults to the file name, link or object."
    )
    file = forms.FileField(label="File", required=False, allow_empty_file=True)
    url = forms.CharField(
        label="Link",
        max_length=2000,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    note = forms.CharField(
        label="Note", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, scope: Any, **kwargs: Any) -> None:
        from lib.uploads import ACCEPTED_EXTENSIONS

        from .evidence import pai8_kinds

        super().__init__(*args, **kwargs)
        kinds = pai8_kinds()
        self.fields["kind"].choices = [(k.code, k.label) for k in kinds]  # type: ignore[attr-defined]
        self.fields["file"].widget.attrs["accept"] = ",".join(ACCEPTED_EXTENSIONS)
        self.ref_fields = []
        for k in kinds:
            if k.options is None:
                continue
            name = f"ref_{k.code}"
            self.fields[name] = forms.ChoiceField(
                label=k.label, required=False, choices=[("", "—"), *k.options(scope)]
            )
            self.ref_fields.append(name)
        self.kind_help = {k.code: k.help for k in kinds}

    def ref_value(self) -> str:
        return str(self.cleaned_data.get(f"ref_{self.cleaned_data['kind']}", "") or "")
