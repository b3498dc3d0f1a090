"""``GET /api/certify/credential/verify?id=AIDA-2026-0001``: the trust-mark verify API's shape,
CORS, ETag and per-client rate limit (the same budget), for personal credentials."""

from __future__ import annotations

import json
import math
import time

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from lib.http import client_ip
from trustmarks import verify_cache
from trustmarks.api.views import NOT_FOUND_MAX_AGE, PUBLIC_MAX_AGE, FastPublicView, _conditional, _json
from trustmarks.services import end_of_day

from ..models import PersonalCredential
from ..selectors import credential_get, parse_credential_id, verify_answer


class CredentialAnswerSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    holder = serializers.CharField()
    credential = serializers.CharField()
    expires = serializers.DateField()
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "suspended", "revoked", "expired"])
    issued = serializers.DateField()
    psf_version = serializers.CharField()
    record_url = serializers.URLField()
    credential_url = serializers.URLField()


class CredentialErrorSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    error = serializers.CharField()
    message = serializers.CharField(required=False)
    id = serializers.CharField(required=False)


_VALID = {
    "valid": True,
    "holder": "Pat Practitioner",
    "credential": "AIDA — AI Deployment Awareness",
    "expires": "2028-12-03",
    "id": "AIDA-2026-0001",
    "status": "active",
    "issued": "2026-12-03",
    "psf_version": "1.1",
    "record_url": "https://certify.example.org/registry/AIDA-2026-0001",
    "credential_url": "https://certify.example.org/credentials/AIDA-2026-0001/credential.jwt",
}


class CredentialVerifyView(FastPublicView):
    cors = True

    @extend_schema(
        operation_id="credential_verify",
        summary="Verify a personal credential (AIDA)",
        description=(
            "Like the trust-mark verify API: no sign-in, CORS `*`, `ETag`/`If-None-Match`, the same "
            "per-client rate limit. **200** for every issued credential (`valid` is true only while "
            "active and not expired), **404** for an id never issued, **400** for a missing or "
            "malformed id (`AIDA-` year `-` four or more digits; letter case does not matter), **429** "
            "when rate-limited."
        ),
        parameters=[
            OpenApiParameter(
                "id",
                str,
                OpenApiParameter.QUERY,
                required=True,
                pattern=r"^AIDA-[0-9]{4}-[0-9]{4,7}$",
                examples=[OpenApiExample("AIDA-2026-0001", value="AIDA-2026-0001")],
            )
        ],
        responses={
            200: OpenApiResponse(CredentialAnswerSerializer, "The credential and whether it is valid now."),
            304: OpenApiResponse(description="Not modified."),
            400: OpenApiResponse(CredentialErrorSerializer, "Missing or malformed id."),
            404: OpenApiResponse(CredentialErrorSerializer, "No credential was ever issued with this id."),
            429: OpenApiResponse(CredentialErrorSerializer, "Too many requests from this client."),
        },
        examples=[OpenApiExample("Valid", value=_VALID, response_only=True, status_codes=["200"])],
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        retry_after = verify_cache.rate_limit_hit(client_ip(request))
        ids = request.GET.getlist("id")
        parsed = parse_credential_id(ids[0]) if len(ids) == 1 else None
        if retry_after:
            response = _json(
                429,
                {
                    "valid": False,
                    "error": "rate_limited",
                    "message": f"Too many requests; retry after {retry_after} seconds.",
                },
            )
            response["Retry-After"] = str(retry_after)
            return response
        if parsed is None:
            return _json(
                400,
                {
                    "valid": False,
                    "error": "invalid_id",
                    "message": "Give one credential id like AIDA-2026-0001.",
                },
                max_age=PUBLIC_MAX_AGE,
            )
        kind, year, number = parsed
        canonical = f"{kind}-{year}-{number:04d}"
        credential = credential_get(credential_id=canonical)
        if credential is None:
            body = json.dumps({"valid": False, "id": canonical, "error": "not_found"}).encode()
            return _conditional(
                request, status=404, body=body, content_type="application/json", max_age=NOT_FOUND_MAX_AGE
            )
        today = timezone.localdate()
        body = json.dumps(verify_answer(credential=credential, today=today), ensure_ascii=False).encode(
            "utf-8"
        )
        max_age = PUBLIC_MAX_AGE
        if credential.effective_status(today) in (PersonalCredential.ACTIVE, PersonalCredential.SUSPENDED):
            max_age = min(
                max_age, max(0, math.ceil(end_of_day(credential.expires).timestamp() + 1 - time.time()))
            )
        return _conditional(request, status=200, body=body, content_type="application/json", max_age=max_age)
