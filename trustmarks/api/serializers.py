"""Shapes of the public certification API, for the OpenAPI schema (the views write JSON directly)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trustmarks.models import TrustMark


@extend_schema_field({"type": "string", "enum": [s for s, _ in TrustMark.STATUSES]})
class MarkStatusField(serializers.CharField):
    """The mark's current status, documented inline (no shared enum component to collide with)."""


class VerifyAnswerSerializer(serializers.Serializer):
    valid = serializers.BooleanField(help_text="True only for an active mark that has not expired.")
    company = serializers.CharField(help_text="The organisation the mark was issued to.")
    expires = serializers.DateField(help_text="Last valid day (UTC).")
    domains = serializers.CharField(help_text="PSF domains covered, e.g. PSF-1..8.")
    id = serializers.CharField(help_text="The trust-mark id, e.g. TM-00142.")
    status = MarkStatusField(help_text="active, suspended, revoked or expired.")
    issued = serializers.DateField(help_text="First day of the current validity period.")
    psf_version = serializers.CharField(help_text="Rubric version assessed against, e.g. 1.1.")
    scores = serializers.DictField(child=serializers.FloatField(), help_text="Score (0-5) per PSF domain.")
    record_url = serializers.URLField(help_text="The public verification record.")
    credential_url = serializers.URLField(
        help_text="The signed Open Badges 3.0 credential (application/vc+jwt)."
    )


class VerifyErrorSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    error = serializers.CharField(help_text="invalid_id or rate_limited")
    message = serializers.CharField()


class VerifyNotFoundSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    id = serializers.CharField()
    error = serializers.CharField(help_text="Always not_found.")


class LogHeadSerializer(serializers.Serializer):
    chain = serializers.CharField()
    sequence = serializers.IntegerField(help_text="Number of events so far (0 before the first).")
    hash = serializers.CharField(help_text="SHA-256 (hex) of the last event; 64 zeros before the first.")
    created = serializers.DateTimeField(allow_null=True)


class JwkSerializer(serializers.Serializer):
    kty = serializers.CharField()
    crv = serializers.CharField()
    x = serializers.CharField()
    kid = serializers.CharField()
    alg = serializers.CharField()
    use = serializers.CharField()


class JwksSerializer(serializers.Serializer):
    keys = JwkSerializer(many=True)
