from __future__ import annotations

from typing import Any

from django import forms

from studio.catalogue import ConfigField, NodeType, load_catalogue
from studio.format import Facts

ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"


def node_type_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    cat = load_catalogue()
    groups = []
    for category, title in (
        ("input", "Inputs"),
        ("processing", "Processing"),
        ("control", "Controls"),
        ("sink", "Sinks"),
    ):
        groups.append((title, [(t.type, t.label) for t in cat.of_category(category)]))  # type: ignore[arg-type]
    return groups


class WorkflowCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    template = forms.ChoiceField(required=False, label="Start from")

    def __init__(self, *args: Any, templates: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "A blank workflow"), *(templates or [])]  # type: ignore[attr-defined]


class FactsForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    personal_data = forms.BooleanField(required=False, label="Handles personal data")
    stakes = forms.ChoiceField(choices=[("low", "Low"), ("high", "High")], label="Decision stakes")
    audience = forms.ChoiceField(
        choices=[("internal", "Internal"), ("external", "External (customers, public)")]
    )
    regulated = forms.BooleanField(
        required=False, label="Regulated (e.g. EU AI Act high-risk, finance, health)"
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def facts(self) -> Facts:
        d = self.cleaned_data
        return Facts(
            personal_data=d["personal_data"],
            stakes=d["stakes"],
            audience=d["audience"],
            regulated=d["regulated"],
        )


class AddStepForm(forms.Form):
    type = forms.ChoiceField(label="Step type")
    label = forms.CharField(max_length=200)
    node_id = forms.RegexField(
        regex=ID_PATTERN,
        required=False,
        label="Id (optional)",
        help_text="Letters, digits, _ . : - (generated when empty)",
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = node_type_choices()  # type: ignore[attr-defined]


class ConnectForm(forms.Form):
    source = forms.ChoiceField(label="From")
    target = forms.ChoiceField(label="To")
    kind = forms.ChoiceField(
        choices=[("data", "Data"), ("fallback", "Fallback"), ("escalation", "Escalation")]
    )
    label = forms.CharField(max_length=200, required=False)
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, nodes: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = nodes or []  # type: ignore[attr-defined]
        self.fields["target"].choices = nodes or []  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") and data.get("source") == data.get("target"):
            raise forms.ValidationError("A step cannot be connected to itself.")
        return data


class BaseVersionForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def _config_form_field(f: ConfigField, initial: Any) -> forms.Field:
    common: dict[str, Any] = {"label": f.label, "required": False, "help_text": f.help}
    if f.type == "string":
        return forms.CharField(max_length=2000, initial=initial, **common)
    if f.type == "text":
        return forms.CharField(
            max_length=20000, widget=forms.Textarea(attrs={"rows": 2}), initial=initial, **common
        )
    if f.type == "integer":
        return forms.IntegerField(
            min_value=int(f.min) if f.min is not None else None,
            max_value=int(f.max) if f.max is not None else None,
            initial=initial,
            **common,
        )
    if f.type == "number":
        return forms.FloatField(min_value=f.min, max_value=f.max, initial=initial, **common)
    if f.type == "boolean":
        choices = [("", "—"), ("true", "Yes"), ("false", "No")]
        init = "" if initial is None else ("true" if initial else "false")
        return forms.ChoiceField(choices=choices, initial=init, **common)
    if f.type == "enum":
        return forms.ChoiceField(
            choices=[("", "—"), *[(o, o) for o in f.options]], initial=initial or "", **common
        )
    # string_list
    common["help_text"] = (f.help + " " if f.help else "") + "Comma-separated."
    return forms.CharField(max_length=5000, initial=", ".join(initial or []), **common)


class StepForm(forms.Form):
    """Edit one step: its label and the config fields its type takes (from the catalogue)."""

    label = forms.CharField(max_length=200)
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, node_type: NodeType, config: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.node_type = node_type
        for f in node_type.fields:
            self.fields[f"cfg_{f.name}"] = _config_form_field(f, config.get(f.name))

    def config(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.node_type.fields:
            value = self.cleaned_data.get(f"cfg_{f.name}")
            if value in (None, ""):
                continue
            if f.type == "boolean":
                out[f.name] = value == "true"
            elif f.type == "string_list":
                items = [v.strip() for v in str(value).split(",") if v.strip()]
                if items:
                    out[f.name] = items
            else:
                out[f.name] = value
        return out

    def config_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("cfg_")]
