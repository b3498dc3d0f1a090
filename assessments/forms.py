"""Forms of the assessment pages. They validate shape only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Organisation, User
from lib.uploads import ACCEPTED_EXTENSIONS
from psf.rubric import EVIDENCE_TYPE_LABELS, Rubric
from studio.models import Workflow

from .evidence_kinds import evidence_kinds
from .models import Assessment

SCORE_CHOICES = [("", "—")] + [(str(i), str(i)) for i in range(6)]


class ApplyForm(forms.Form):
    systems_description = forms.CharField(
        label="AI systems in scope",
        max_length=10000,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "Which AI systems, what they do, who uses them, which vendors and models.",
            }
        ),
    )
    size_tier = forms.ChoiceField(label="Size tier", choices=Organisation.SIZE_TIERS)
    expedited = forms.BooleanField(
        label="Expedited assessment (shorter SLAs, 50 % surcharge)", required=False
    )


class ScopeForm(forms.Form):
    scope_summary = forms.CharField(
        label="Agreed scope",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "The AI systems agreed on the scoping call."}),
    )
    workflows = forms.ModelMultipleChoiceField(
        label="Workflows in scope",
        queryset=Workflow.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    timeline = forms.CharField(
        label="Timeline", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    target_date = forms.DateField(
        label="Target date for the decision", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workflows"].queryset = Workflow.objects.filter(  # type: ignore[attr-defined]
            organisation_id=assessment.organisation_id, deleted_at__isnull=True
        ).order_by("name")


def checklist_from_post(rubric: Rubric, data: Any) -> list[dict[str, Any]]:
    """The checklist rows of the scoping form: ``evidence__<code>`` (many) and ``note__<code>``."""
    return [
        {
            "criterion": c.code,
            "evidence": data.getlist(f"evidence__{c.code}"),
            "note": data.get(f"note__{c.code}", ""),
        }
        for c in rubric.all_criteria()
    ]


class EvidenceForm(forms.Form):
    criterion = forms.ChoiceField(label="Criterion")
    kind = forms.ChoiceField(label="Kind of evidence", widget=forms.RadioSelect)
    title = forms.CharField(
        label="Title", max_length=200, required=False, help_text="Defaults to the file name, link or object."
    )
    file = forms.FileField(
        label="File",
        required=False,
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}),
    )
    url = forms.CharField(
        label="Link",
        max_length=2000,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    note = forms.CharField(
        label="Note for the assessor",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, assessment: Assessment, rubric: Rubric, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [(c.code, f"{c.code} {c.title}") for c in rubric.all_criteria()]  # type: ignore[attr-defined]
        kinds = evidence_kinds()
        self.fields["kind"].choices = [(k.code, k.label) for k in kinds]  # type: ignore[attr-defined]
        self.ref_fields = []
        for k in kinds:
            if k.options is None:
                continue
            name = f"ref_{k.code}"
            self.fields[name] = forms.ChoiceField(
                label=k.label, required=False, choices=[("", "—"), *k.options(assessment)]
            )
            self.ref_fields.append((k, name))
        self.kind_help = {k.code: k.help for k in kinds}

    def ref_value(self) -> str:
        return str(self.cleaned_data.get(f"ref_{self.cleaned_data['kind']}", "") or "")


class AddScopeWorkflowForm(forms.Form):
    workflow = forms.ModelChoiceField(label="Workflow", queryset=Workflow.objects.none())

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .selectors import workflows_not_in_scope

        self.fields["workflow"].queryset = workflows_not_in_scope(assessment=assessment)  # type: ignore[attr-defined]


class MapFromTemplateForm(forms.Form):
    template = forms.ChoiceField(label="DSA template")
    name = forms.CharField(label="Name", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from studio.templates_data import list_templates

        self.fields["template"].choices = [(t.slug, t.title) for t in list_templates()]  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    answer = forms.CharField(label="Your answer", max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", max_length=1000, required=False)


class ClarifyForm(forms.Form):
    questions = forms.CharField(
        label="Questions for the organisation", max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Decision", choices=[("pass", "Pass"), ("fail", "Fail")], widget=forms.RadioSelect
    )
    override_reason = forms.CharField(
        label="Reason for overriding the computed decision",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(forms.Form):
    assessor = forms.ModelChoiceField(label="Assessor", queryset=User.objects.none())

    def __init__(self, *args: Any, candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in candidates]
        ).order_by("email")


def scores_from_post(rubric: Rubric, data: Any) -> tuple[dict[str, tuple[int | None, str]], list[str]]:
    """Scores of the review form (``score__<code>``, ``comment__<code>``) and per-field problems."""
    out: dict[str, tuple[int | None, str]] = {}
    problems = []
    for c in rubric.all_criteria():
        if f"score__{c.code}" not in data:
            continue  # a partial form leaves other criteria as they are
        raw = str(data.get(f"score__{c.code}", "")).strip()
        comment = str(data.get(f"comment__{c.code}", ""))
        if raw == "":
            out[c.code] = (None, comment)
        elif raw.isdigit() and 0 <= int(raw) <= 5:
            out[c.code] = (int(raw), comment)
        else:
            problems.append(f"{c.code}: a score is a whole number from 0 to 5")
    return out, problems


EVIDENCE_TYPES = list(EVIDENCE_TYPE_LABELS.items())
