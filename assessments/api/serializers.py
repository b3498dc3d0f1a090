"""Response shapes of the assessment API (documented in the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Assessment


class DueSerializer(serializers.Serializer):
    due = serializers.DateField(
        allow_null=True, help_text="The service-level date that matters in the current status."
    )
    days_left = serializers.IntegerField(
        allow_null=True, help_text="Business days left; negative when overdue."
    )
    overdue = serializers.BooleanField()
    paused = serializers.BooleanField(
        help_text="True while a clarification is open (the review clock is paused)."
    )
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label", not Field.label


class AssessmentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="DSA-00012")
    organisation = serializers.CharField()
    # A plain string (not an enum) so the schema's enum names do not collide with other features' "status".
    status = serializers.CharField(
        help_text="One of: " + ", ".join(f"`{code}`" for code, _ in Assessment.STATUSES)
    )
    status_label = serializers.CharField()
    expedited = serializers.BooleanField()
    size_tier = serializers.CharField()
    assessor = serializers.EmailField(allow_null=True)
    applied_at = serializers.DateTimeField()
    acknowledge_due = serializers.DateField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    review_due = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    sla = DueSerializer()
    url = serializers.URLField(
        help_text="The page of this assessment for the requesting side (organisation or assessor)."
    )


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    criterion = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True, help_text="Links only.")
    original_name = serializers.CharField(allow_blank=True)
    content_type = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField()
    sha256 = serializers.CharField(allow_blank=True)
    ref = serializers.CharField(
        allow_null=True, help_text="`studio.WorkflowVersion:12` and the like, for reference kinds."
    )
    download_url = serializers.URLField(
        allow_null=True, help_text="Access-checked download (session or token auth)."
    )
    created = serializers.DateTimeField()


class SubmissionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created = serializers.DateTimeField()
    snapshot_hash = serializers.CharField(help_text="SHA-256 of the canonical JSON of the frozen snapshot.")


class AssessmentDetailSerializer(AssessmentSummarySerializer):
    rubric_version = serializers.CharField()
    systems_description = serializers.CharField()
    scope_summary = serializers.CharField(allow_blank=True)
    scope_workflows = serializers.ListField(child=serializers.DictField())
    timeline = serializers.CharField(allow_blank=True)
    target_date = serializers.DateField(allow_null=True)
    checklist = serializers.ListField(child=serializers.DictField())
    evidence = EvidenceSerializer(many=True)
    submissions = SubmissionSerializer(many=True)
    domain_scores = serializers.DictField(child=serializers.FloatField())
    computed_passed = serializers.BooleanField(allow_null=True)
    decision_overridden = serializers.BooleanField()
    reassessment_of = serializers.CharField(allow_null=True)
    reassessment_deadline = serializers.DateField(allow_null=True)
    has_gap_report = serializers.BooleanField(
        help_text="The gap report itself is confidential and only served as a page/PDF to the organisation and its assessor."
    )


class AssessmentListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    results = AssessmentSummarySerializer(many=True)
