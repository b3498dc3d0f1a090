"""The public certification API: verify a trust mark, the status lists, the log head, the JWKS.

No login anywhere here and nothing confidential: only what the public record shows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from core.audit import audit_log_head
from lib.http import client_ip
from trustmarks import tlog, verify_cache
from trustmarks.credentials import MEDIA_TYPE as VC_JWT_MEDIA_TYPE
from trustmarks.models import TrustMark
from trustmarks.selectors import parse_mark_id, status_list_stored, verify_answer
from trustmarks.services import end_of_day, status_list_publish
from trustmarks.signing import signing_ring

from . import serializers

log = logging.getLogger(__name__)

NOT_FOUND_MAX_AGE = 60
PUBLIC_MAX_AGE = 300


class FastPublicView(APIView):
    """An API view documented like any other, served without DRF's request machinery.

    drf-spectacular reads the ``@extend_schema`` of the handler methods; at run time ``dispatch``
    calls them with the plain Django request and they return plain responses, so these hot,
    anonymous, read-only endpoints pay for no authentication, negotiation or rendering.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    http_method_names = ["get", "head", "options"]
    cors = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.args, self.kwargs = args, kwargs
        method = (request.method or "GET").lower()
        if method == "options":
            response = HttpResponse(status=204)
            response["Allow"] = "GET, HEAD, OPTIONS"
            if self.cors:
                response["Access-Control-Allow-Origin"] = "*"
                response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
                response["Access-Control-Allow-Headers"] = "If-None-Match"
                response["Access-Control-Max-Age"] = "86400"
            return response
        if method not in ("get", "head"):
            response = _json(405, {"error": "method_not_allowed", "message": "Only GET is allowed here."})
            response["Allow"] = "GET, HEAD, OPTIONS"
            return response
        response = self.get(request, *args, **kwargs)  # type: ignore[attr-defined]
        if self.cors:
            # A browser on another origin may read these (the documented If-None-Match step).
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        if method == "head":
            response.content = b""
        return response


def _json(status: int, data: dict[str, Any], *, max_age: int | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
    )
    response["Cache-Control"] = f"public, max-age={max_age}" if max_age is not None else "no-store"
    return response


def etag_for(body: bytes) -> str:
    """A strong ETag of a response body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(request: HttpRequest, etag: str) -> bool:
    """True when the request's ``If-None-Match`` names ``etag`` (or ``*``)."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _conditional(
    request: HttpRequest, *, status: int, body: bytes, content_type: str, max_age: int, etag: str = ""
) -> HttpResponse:
    """A cacheable response with an ETag, or 304 when the client already has this version."""
    etag = etag or etag_for(body)
    if status == 200 and etag_matches(request, etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, status=status, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


# --- verify ---------------------------------------------------------------------------------------

_ACME = {
    "valid": True,
    "company": "Acme AI",
    "expires": "2026-12-31",
    "domains": "PSF-1..8",
    "id": "TM-00142",
    "status": "active",
    "issued": "2025-12-31",
    "psf_version": "1.1",
    "scores": {
        "PSF-1": 3.4,
        "PSF-2": 3.6,
        "PSF-3": 3.2,
        "PSF-4": 3.0,
        "PSF-5": 3.8,
        "PSF-6": 3.5,
        "PSF-7": 3.1,
        "PSF-8": 2.6,
    },
    "record_url": "https://certify.example.org/verify/TM-00142",
    "credential_url": "https://certify.example.org/trust-marks/TM-00142/credential.jwt",
}


def _not_valid(mark_id: str, company: str, status: str, expires: str) -> dict[str, Any]:
    return {
        **_ACME,
        "valid": False,
        "company": company,
        "id": mark_id,
        "status": status,
        "expires": expires,
        "issued": f"{int(expires[:4]) - 1}{expires[4:]}",
        "record_url": f"https://certify.example.org/verify/{mark_id}",
        "credential_url": f"https://certify.example.org/trust-marks/{mark_id}/credential.jwt",
    }


VERIFY_EXAMPLES = [
    OpenApiExample("Valid (active) mark", value=_ACME, response_only=True, status_codes=["200"]),
    OpenApiExample(
        "Suspended mark",
        value=_not_valid("TM-00143", "Initech", "suspended", "2027-03-01"),
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Revoked mark",
        value=_not_valid("TM-00144", "Umbrella Health", "revoked", "2027-02-01"),
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Expired mark",
        value=_not_valid("TM-00145", "Hooli", "expired", "2026-10-19"),
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Malformed or missing id",
        value={"valid": False, "error": "invalid_id", "message": "Give one trust-mark id like TM-00142."},
        response_only=True,
        status_codes=["400"],
    ),
    OpenApiExample(
        "Unknown id",
        value={"valid": False, "id": "TM-99999", "error": "not_found"},
        response_only=True,
        status_codes=["404"],
    ),
    OpenApiExample(
        "Record disagrees with the transparency log",
        value={
            "valid": False,
            "id": "TM-00144",
            "error": "log_mismatch",
            "message": "This mark's record disagrees with the public transparency log; it cannot be "
            "verified now. Check the signed credential and the log (workflowos verify-log).",
        },
        response_only=True,
        status_codes=["409"],
    ),
    OpenApiExample(
        "Too many requests",
        value={
            "valid": False,
            "error": "rate_limited",
            "message": "Too many requests; retry after 37 seconds.",
        },
        response_only=True,
        status_codes=["429"],
    ),
]

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, description="The ETag of an answer you hold."
)
_CACHE_HEADERS = [
    OpenApiParameter(
        "Cache-Control",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304, 400, 404],
        description="`public, max-age=300` or less.",
    ),
    OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="Send it back in `If-None-Match`.",
    ),
    OpenApiParameter(
        "Access-Control-Allow-Origin",
        str,
        OpenApiParameter.HEADER,
        response=True,
        description="`*`: any web page may call this endpoint.",
    ),
]


class TrustMarkVerifyView(FastPublicView):
    cors = True

    @extend_schema(
        operation_id="trust_mark_verify",
        summary="Verify a trust mark",
        description=(
            "Anyone may call this endpoint, from any web page (CORS `*`), without signing in.\n\n"
            "* **200** for every issued mark. `valid` is `true` only for an **active** mark that has not "
            "expired; a suspended, revoked or expired mark answers `valid: false` with its `status`. "
            "The first four keys are always `valid`, `company`, `expires`, `domains`.\n"
            '* **404** for an id that was never issued: always `{"valid": false, "id": …, "error": "not_found"}`.\n'
            "* **400** for a missing, repeated or malformed id (`TM-` and five digits).\n"
            "* **409** `log_mismatch` when the mark's stored record disagrees with its latest entry in the "
            "signed transparency log (`/api/certify/log/checkpoint`): tampering is never answered as valid.\n"
            "* **429** when one client IP sends too many requests; wait `Retry-After` seconds.\n\n"
            "Answers carry `Cache-Control: public, max-age=300` (or less, never past the expiry) and an "
            "`ETag`; send it back in `If-None-Match` to get **304**. For a check that does not depend on "
            "this service being up, verify the signed credential (`credential_url`) offline with the "
            "keys at `/.well-known/jwks.json`."
        ),
        parameters=[
            OpenApiParameter(
                "id",
                str,
                OpenApiParameter.QUERY,
                required=True,
                pattern=r"^TM-[0-9]{5}$",
                description="The trust-mark id printed on the badge, e.g. `TM-00142`.",
                examples=[OpenApiExample("TM-00142", value="TM-00142")],
            ),
            IF_NONE_MATCH,
            *_CACHE_HEADERS,
            OpenApiParameter(
                "Retry-After", int, OpenApiParameter.HEADER, response=[429], description="Seconds to wait."
            ),
        ],
        responses={
            200: OpenApiResponse(serializers.VerifyAnswerSerializer, "The mark and whether it is valid now."),
            304: OpenApiResponse(description="Not modified: the answer you hold (If-None-Match) is current."),
            400: OpenApiResponse(serializers.VerifyErrorSerializer, "Missing or malformed id."),
            404: OpenApiResponse(
                serializers.VerifyNotFoundSerializer, "No mark was ever issued with this id."
            ),
            409: OpenApiResponse(
                serializers.VerifyErrorSerializer,
                "`log_mismatch`: the mark's record disagrees with the transparency log (never valid).",
            ),
            429: OpenApiResponse(serializers.VerifyErrorSerializer, "Too many requests from this client."),
        },
        examples=VERIFY_EXAMPLES,
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        retry_after = verify_cache.rate_limit_hit(client_ip(request))
        ids = request.GET.getlist("id")
        number = parse_mark_id(ids[0]) if len(ids) == 1 else None
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
        elif number is None:
            response = _json(
                400,
                {"valid": False, "error": "invalid_id", "message": "Give one trust-mark id like TM-00142."},
                max_age=PUBLIC_MAX_AGE,
            )
        else:
            answer = verify_cache.answer_get(number) or _answer(number)
            max_age = (
                NOT_FOUND_MAX_AGE if answer.status == 404 else math.ceil(answer.fresh_until - time.time())
            )
            response = _conditional(
                request,
                status=answer.status,
                body=answer.body,
                content_type="application/json",
                max_age=max(0, max_age),
                etag=answer.etag,
            )
        response["Access-Control-Allow-Origin"] = "*"
        return response


def _answer(number: int) -> verify_cache.Answer:
    """Look the mark up, check its row against the transparency log, and cache the answer until
    it could change by itself. A row the log does not vouch for answers 409, never ``valid``."""
    mark_id = f"TM-{number:05d}"
    now = time.time()
    try:
        mark = tlog.mark_check(
            mark_id, lambda: TrustMark.objects.select_related("rubric_version").filter(number=number).first()
        )
    except tlog.LogIntegrityError as exc:
        log.error("verify %s: transparency-log check failed: %s", mark_id, exc)
        body = json.dumps(
            {
                "valid": False,
                "id": mark_id,
                "error": "log_mismatch",
                "message": "This mark's record disagrees with the public transparency log; it cannot be "
                "verified now. Check the signed credential and the log (workflowos verify-log).",
            }
        ).encode()
        return verify_cache.Answer(409, body, etag_for(body), now)  # not cached
    if mark is None:
        body = json.dumps({"valid": False, "id": f"TM-{number:05d}", "error": "not_found"}).encode()
        # Not cached here: the id may be issued any moment, and the query is one index probe.
        return verify_cache.Answer(404, body, etag_for(body), now + NOT_FOUND_MAX_AGE)
    today: date = timezone.localdate()
    body = json.dumps(verify_answer(mark=mark, today=today), ensure_ascii=False).encode("utf-8")
    fresh_until = now + verify_cache.ANSWER_MAX_AGE
    if mark.effective_status(today) in (TrustMark.ACTIVE, TrustMark.SUSPENDED):
        # An active mark must never be served as valid after its last day.
        fresh_until = min(fresh_until, end_of_day(mark.expires).timestamp() + 1)
    answer = verify_cache.Answer(200, body, etag_for(body), fresh_until)
    verify_cache.answer_set(number, answer)
    return answer


# --- status lists, log head, keys ---------------------------------------------------------------


class VcJwtRenderer(BaseRenderer):
    """Documents (and names) the ``application/vc+jwt`` media type of signed lists."""

    media_type = VC_JWT_MEDIA_TYPE
    format = "jwt"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return str(data).encode("ascii")


_STATUS_LIST_ROLE = {
    "message": (
        "Two bits per mark (`statusSize: 2`): `0x0` active, `0x1` suspended, `0x2` revoked. This is "
        "the list every current credential's single `credentialStatus` entry names."
    ),
    "revocation": "One bit per mark (set = revoked), named by credentials issued before the message list.",
    "suspension": "One bit per mark (set = suspended), named by credentials issued before the message list.",
}


def _status_list_schema(purpose: str) -> Any:
    return extend_schema(
        operation_id=f"status_list_{purpose}",
        summary=f"Signed {purpose} status list",
        description=(
            f"A W3C `BitstringStatusListCredential` (`statusPurpose: {purpose}`) signed as a VC-JWT "
            "(EdDSA) with the keys at `/.well-known/jwks.json`. It has 131,072 entries; a credential's "
            "`credentialStatus` names its random index. Fetching the whole list tells nobody which "
            f"mark you check. {_STATUS_LIST_ROLE[purpose]}"
        ),
        parameters=[IF_NONE_MATCH, *_CACHE_HEADERS[:2]],
        responses={
            200: OpenApiResponse(OpenApiTypes.STR, "Compact VC-JWT (`application/vc+jwt`)."),
            304: OpenApiResponse(description="Not modified."),
        },
        auth=[],
        tags=["certify"],
    )


class StatusListView(FastPublicView):
    renderer_classes = [VcJwtRenderer]
    purpose = "revocation"

    def get(self, request: HttpRequest) -> HttpResponse:
        token = status_list_stored(purpose=self.purpose) or status_list_publish(purpose=self.purpose)
        return _conditional(
            request,
            status=200,
            body=token.encode("ascii"),
            content_type=VC_JWT_MEDIA_TYPE,
            max_age=PUBLIC_MAX_AGE,
        )


class MessageListView(StatusListView):
    purpose = "message"

    @_status_list_schema("message")
    def get(self, request: HttpRequest) -> HttpResponse:
        return super().get(request)


class RevocationListView(StatusListView):
    purpose = "revocation"

    @_status_list_schema("revocation")
    def get(self, request: HttpRequest) -> HttpResponse:
        return super().get(request)


class SuspensionListView(StatusListView):
    purpose = "suspension"

    @_status_list_schema("suspension")
    def get(self, request: HttpRequest) -> HttpResponse:
        return super().get(request)


class LogHeadView(FastPublicView):
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="trust_mark_log_head",
        summary="Head of the trust-mark transparency log",
        description=(
            "Every issuance and status change of a trust mark is appended to a SHA-256 hash chain. "
            "Note the head (`sequence`, `hash`) from time to time: if history were rewritten, the "
            "chain would no longer lead to a head you noted (`python manage.py verify_audit_log`)."
        ),
        responses={200: serializers.LogHeadSerializer},
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        response = _json(200, audit_log_head(chain="trustmarks"), max_age=10)
        return response


class JwksView(FastPublicView):
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="issuer_jwks",
        summary="The issuer's public signing keys (JWKS)",
        description=(
            "Ed25519 public keys (`kty: OKP`, `alg: EdDSA`) that sign trust-mark credentials and "
            "status lists, the active key first. Retired keys stay listed so older credentials keep "
            "verifying. Keep a copy to verify credentials offline."
        ),
        responses={200: serializers.JwksSerializer},
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        body = json.dumps(signing_ring().jwks(), indent=2).encode("ascii")
        return _conditional(request, status=200, body=body, content_type="application/json", max_age=300)
