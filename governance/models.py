"""The organisation path: an AI use-case inventory and PAI-8 self-assessments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation


class AISystem(models.Model):
    """One AI system (use case) in an organisation's inventory."""

    IDEA, PILOT, PRODUCTION, RETIRED = "idea", "pilot", "production", "retired"
    STATUSES = [(IDEA, "Idea"), (PILOT, "Pilot"), (PRODUCTION, "Production"), (RETIRED, "Retired")]
    RISK_TIERS = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]
    EU_ROLES = [
        ("provider", "Provider"),
        ("deployer", "Deployer"),
        ("importer", "Importer"),
        ("distributor", "Distributor"),
        ("product_manufacturer", "Product manufacturer"),
        ("not_applicable", "Not applicable"),
    ]
    EU_RISK_CLASSES = [
        ("prohibited", "Prohibited"),
        ("high_risk", "High-risk"),
        ("limited", "Limited risk (transparency)"),
        ("minimal", "Minimal risk"),
    ]
    # EU AI Act Annex III areas (for high-risk systems).
    ANNEX_III = [
        ("", "—"),
        ("biometrics", "1. Biometrics"),
        ("critical_infrastructure", "2. Critical infrastructure"),
        ("education", "3. Education and vocational training"),
        ("employment", "4. Employment and workers management"),
        ("essential_services", "5. Access to essential private and public services"),
        ("law_enforcement", "6. Law enforcement"),
        ("migration", "7. Migration, asylum and border control"),
        ("justice", "8. Administration of justice and democratic processes"),
    ]
    AUTONOMY = [
        ("", "—"),
        ("L0", "L0 Suggests only"),
        ("L1", "L1 Acts with approval"),
        ("L2", "L2 Acts, human can override"),
        ("L3", "L3 Acts within limits"),
        ("L4", "L4 Fully autonomous"),
    ]

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="ai_systems")
    name = models.CharField(max_length=200)
    purpose = models.TextField(max_length=4000, blank=True)
    business_owner = models.CharField(max_length=200, blank=True)
    technical_owner = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=STATUSES, default=IDEA)
    risk_tier = models.CharField(max_length=20, choices=RISK_TIERS, default="medium")
    eu_role = models.CharField("EU AI Act role", max_length=30, choices=EU_ROLES, default="deployer")
    eu_risk_class = models.CharField(
        "EU AI Act risk class", max_length=20, choices=EU_RISK_CLASSES, default="minimal"
    )
    annex_iii_area = models.CharField("Annex III area", max_length=40, choices=ANNEX_III, blank=True)
    vendors = models.JSONField(default=list, blank=True)
    models_used = models.JSONField("models", default=list, blank=True)
    data_categories = models.JSONField(default=list, blank=True)
    users_affected = models.CharField(max_length=300, blank=True)
    autonomy_level = models.CharField(max_length=2, choices=AUTONOMY, blank=True)
    workflows = models.ManyToManyField("studio.Workflow", blank=True, related_name="ai_systems")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="ai_system_name_unique")]
        indexes = [models.Index(fields=["organisation", "status", "risk_tier"])]
        verbose_name = "AI system"

    def __str__(self) -> str:
        return self.name


class Pai8Assessment(models.Model):
    """One PAI-8 self-assessment of an organisation, optionally audited by an assessor."""

    DRAFT, COMPLETED, SUBMITTED, AUDITED = "draft", "completed", "submitted", "audited"
    STATUSES = [
        (DRAFT, "Draft"),
        (COMPLETED, "Completed (self-assessed)"),
        (SUBMITTED, "Submitted for review"),
        (AUDITED, "Audited"),
    ]

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="pai8_assessments")
    # PROTECT: a referenced framework version cannot change in place (see psf.services).
    framework_version = models.ForeignKey(
        "psf.RubricVersion", on_delete=models.PROTECT, related_name="pai8_assessments"
    )
    status = models.CharField(max_length=20, choices=STATUSES, default=DRAFT)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    posture_level = models.PositiveSmallIntegerField(null=True, blank=True)
    posture_mean = models.FloatField(null=True, blank=True)
    control_levels = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    audited_at = models.DateTimeField(null=True, blank=True)
    audited_posture_level = models.PositiveSmallIntegerField(null=True, blank=True)
    audited_posture_mean = models.FloatField(null=True, blank=True)
    audited_control_levels = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "PAI-8 self-assessment"

    def __str__(self) -> str:
        return f"PAI-8 self-assessment #{self.pk} of {self.organisation}"

    @property
    def reference(self) -> str:
        return f"PAI8-{self.pk:05d}"


class Pai8Answer(models.Model):
    """The level an organisation reached on one checkpoint, with its justification and evidence."""

    assessment = models.ForeignKey(Pai8Assessment, on_delete=models.CASCADE, related_name="answers")
    checkpoint = models.CharField(max_length=8)
    level = models.PositiveSmallIntegerField()
    justification = models.TextField(max_length=4000)
    evidence = models.TextField(max_length=4000, blank=True)
    owner = models.CharField(max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated = models.DateTimeField(default=timezone.now)
    audited_level = models.PositiveSmallIntegerField(null=True, blank=True)
    audit_comment = models.TextField(max_length=4000, blank=True)

    class Meta:
        ordering = ["checkpoint"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "checkpoint"], name="pai8_answer_unique"),
            models.CheckConstraint(condition=models.Q(level__lte=3), name="pai8_answer_level_l0_l3"),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint} L{self.level}"


class ImprovementAction(models.Model):
    """One action of the improvement plan: what, who, by when."""

    OPEN, IN_PROGRESS, DONE = "open", "in_progress", "done"
    STATUSES = [(OPEN, "Open"), (IN_PROGRESS, "In progress"), (DONE, "Done")]

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="improvement_actions"
    )
    assessment = models.ForeignKey(
        Pai8Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    control = models.CharField(max_length=8)
    action = models.CharField(max_length=500)
    owner = models.CharField(max_length=200)
    due = models.DateField()
    status = models.CharField(max_length=20, choices=STATUSES, default=OPEN)
    created = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due"]

    def __str__(self) -> str:
        return f"{self.control}: {self.action}"

    @property
    def is_overdue(self) -> bool:
        return self.status != self.DONE and self.due < timezone.localdate()


class Pai8Evidence(models.Model):
    """One piece of evidence attached to a PAI-8 checkpoint while the self-assessment is a draft:
    the DSA's kinds (file, link, workflow version, analysis, evidence pack; see
    ``assessments.evidence_kinds``) plus an inventory record. Files live in the DSA's private
    evidence storage under a random name and are served only after a SHA-256 check."""

    INVENTORY = "inventory"
    REF_INVENTORY = "governance.AISystem"

    assessment = models.ForeignKey(Pai8Assessment, on_delete=models.CASCADE, related_name="evidence_items")
    checkpoint = models.CharField(max_length=8, db_index=True)
    kind = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True, max_length=5000)
    url = models.URLField(blank=True, max_length=2000)
    storage_name = models.CharField(max_length=100, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    ref_type = models.CharField(max_length=40, blank=True)
    ref_id = models.BigIntegerField(null=True, blank=True)
    ref_label = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["checkpoint", "created"]

    def __str__(self) -> str:
        return f"{self.checkpoint}: {self.title}"

    @property
    def kind_label(self) -> str:
        from .evidence import kind_label

        return kind_label(self.kind)
