from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Organisation
from studio.models import Workflow

from .services import MAX_WORKFLOWS


class ExportWorkflowsForm(forms.Form):
    """Choose the workflows of one evidence pack (the latest version of each is exported)."""

    workflows = forms.ModelMultipleChoiceField(
        queryset=Workflow.objects.none(), widget=forms.CheckboxSelectMultiple, label="Workflows to include"
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["workflows"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Workflow.objects.filter(organisation=organisation, deleted_at__isnull=True).order_by(
            "name"
        )

    def clean_workflows(self) -> Any:
        chosen = self.cleaned_data["workflows"]
        if len(chosen) > MAX_WORKFLOWS:
            raise forms.ValidationError(f"An evidence pack holds at most {MAX_WORKFLOWS} workflows.")
        return chosen
