"""The public transparency-log API: signed checkpoint, entries, inclusion and consistency proofs.

No login, CORS open, nothing confidential (a leaf holds a mark's public status, expiry and
credential hash). Errors: ``{"error": code, "message": text, "errors": [{"path", "message"}]}``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer

from lib.errors import DomainError, ErrorItem
from trustmarks import tlog
from trustmarks.selectors import parse_mark_id

from .views import FastPublicView, _conditional

MAX_AGE = 10  # the log grows with every change; a short cache keeps it fresh


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return str(data).encode("utf-8")


# --- documented shapes ---------------------------------------------------------------------------


class LogErrorItemSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()


LogErrorSerializer = inline_serializer(
    name="LogError",
    fields={
        "error": serializers.CharField(help_text="invalid, not_found or log_integrity"),
        "message": serializers.CharField(),
        "errors": LogErrorItemSerializer(many=True),
    },
)


class LeafSerializer(serializers.Serializer):
    v = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=list(tlog.KINDS))
    mark = serializers.CharField(help_text="The trust-mark id, e.g. TM-00142.")
    status = serializers.CharField(help_text="The mark's status after this change.")
    expires = serializers.DateField()
    credential_sha256 = serializers.CharField(
        help_text="SHA-256 (hex) of the credential VC-JWT then current."
    )
    time = serializers.DateTimeField()
    event = serializers.IntegerField(allow_null=True)
    audit = serializers.CharField(help_text="Hash of the matching event in the trustmarks audit chain.")


class LogEntrySerializer(serializers.Serializer):
    index = serializers.IntegerField()
    leaf = LeafSerializer(
        help_text="The leaf; its bytes are this object as canonical JSON (sorted keys, no spaces)."
    )
    leaf_hash = serializers.CharField(help_text="SHA-256(0x00 || leaf bytes), hex.")


class LogEntriesSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    tree_size = serializers.IntegerField(help_text="Size of the latest signed checkpoint.")
    entries = LogEntrySerializer(many=True)


class InclusionSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf = LeafSerializer()
    leaf_b64 = serializers.CharField(help_text="The exact leaf bytes, base64.")
    leaf_hash = serializers.CharField()
    proof = serializers.ListField(child=serializers.CharField(), help_text="RFC 9162 PATH, base64 hashes.")
    checkpoint = serializers.CharField(help_text="The latest signed checkpoint (C2SP signed note).")


class ConsistencySerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    proof = serializers.ListField(child=serializers.CharField(), help_text="RFC 9162 PROOF, base64 hashes.")
    checkpoint = serializers.CharField()


_ERRORS = {
    400: OpenApiResponse(LogErrorSerializer, "A parameter is missing or out of range (see errors)."),
    409: OpenApiResponse(LogErrorSerializer, "The stored log failed its own integrity check."),
}
_CORS = OpenApiParameter(
    "Access-Control-Allow-Origin", str, OpenApiParameter.HEADER, response=True, description="`*`."
)


# --- helpers ----------------------------------------------------------------------------------------


def _json(status: int, data: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
    )
    response["Cache-Control"] = f"public, max-age={MAX_AGE}" if status == 200 else "no-store"
    return response


def _error(exc: DomainError) -> HttpResponse:
    return _json(
        exc.status, {"error": exc.code, "message": exc.message, "errors": [e.as_dict() for e in exc.errors]}
    )


def _integrity(exc: tlog.LogIntegrityError) -> HttpResponse:
    return _json(
        409, {"error": "log_integrity", "message": f"The log failed its integrity check: {exc}", "errors": []}
    )


def _int_param(request: HttpRequest, name: str, *, required: bool, minimum: int = 0) -> int | None:
    values = request.GET.getlist(name)
    if not values:
        if required:
            raise DomainError(f"Give {name}.", [ErrorItem(name, "This field is required.")])
        return None
    text = values[0]
    if len(values) > 1 or not text.isascii() or not text.isdigit() or len(text) > 15 or int(text) < minimum:
        raise DomainError(
            f"{name} must be a whole number of at least {minimum}.",
            [ErrorItem(name, f"A whole number ≥ {minimum}.")],
        )
    return int(text)


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in hashes]


# --- views ------------------------------------------------------------------------------------------


class LogCheckpointView(FastPublicView):
    cors = True
    renderer_classes = [PlainTextRenderer]

    @extend_schema(
        operation_id="trust_mark_log_checkpoint",
        summary="The latest signed checkpoint of the transparency log",
        description=(
            "A C2SP `tlog-checkpoint` (a C2SP `signed-note`): the origin line, the tree size, the "
            "base64 RFC 9162 root hash, a blank line and an Ed25519 signature line "
            "`— <origin> base64(key id || signature)`. The verifier key is at `/.well-known/tlog-key`. "
            "Keep a copy: `workflowos verify-log --checkpoint SAVED` later proves the log only grew."
        ),
        parameters=[_CORS],
        responses={200: OpenApiResponse(OpenApiTypes.STR, "text/plain signed note."), 409: _ERRORS[409]},
        examples=[
            OpenApiExample(
                "Checkpoint",
                value="certify.example.org/trust-marks/log\n4\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
                "— certify.example.org/trust-marks/log Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URY"
                "N7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n",
                response_only=True,
            )
        ],
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            note, _ = tlog.signed_checkpoint()
        except tlog.LogIntegrityError as exc:
            return _integrity(exc)
        return _conditional(
            request,
            status=200,
            body=note.encode("utf-8"),
            content_type="text/plain; charset=utf-8",
            max_age=MAX_AGE,
        )


class LogKeyView(FastPublicView):
    cors = True
    renderer_classes = [PlainTextRenderer]

    @extend_schema(
        operation_id="trust_mark_log_key",
        summary="The transparency log's verifier key",
        description=(
            "One line, `<name>+<key id hex>+base64(0x01 || Ed25519 public key)`, the note verifier key "
            "format of C2SP signed-note tools and Go's `golang.org/x/mod/sumdb/note`. The name is the "
            "checkpoints' origin."
        ),
        parameters=[_CORS],
        responses={200: OpenApiResponse(OpenApiTypes.STR, "text/plain verifier key.")},
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        body = (tlog.log_verifier().vkey + "\n").encode("ascii")
        return _conditional(
            request, status=200, body=body, content_type="text/plain; charset=utf-8", max_age=300
        )


class LogEntriesView(FastPublicView):
    cors = True
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="trust_mark_log_entries",
        summary="Entries of the transparency log",
        description=(
            f"Entries `start <= index < end` (at most {tlog.MAX_PAGE} per page; `end` defaults to "
            f"`start + {tlog.MAX_PAGE}` and is cut at the signed tree size). Each leaf's bytes are its "
            "canonical JSON; its hash is `SHA-256(0x00 || bytes)`."
        ),
        parameters=[
            OpenApiParameter(
                "start", int, OpenApiParameter.QUERY, required=True, description="First index (0-based)."
            ),
            OpenApiParameter("end", int, OpenApiParameter.QUERY, description="One past the last index."),
            _CORS,
        ],
        responses={200: LogEntriesSerializer, 400: _ERRORS[400], 409: _ERRORS[409]},
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            start = _int_param(request, "start", required=True)
            end = _int_param(request, "end", required=False, minimum=1)
            assert start is not None
            end = start + tlog.MAX_PAGE if end is None else end
            if end <= start:
                raise DomainError(
                    "end must be greater than start.", [ErrorItem("end", "Must be greater than start.")]
                )
            if end - start > tlog.MAX_PAGE:
                raise DomainError(
                    f"Ask for at most {tlog.MAX_PAGE} entries at a time.",
                    [ErrorItem("end", f"At most start + {tlog.MAX_PAGE}.")],
                )
            _, checkpoint = tlog.signed_checkpoint()
            rows = tlog.entries(start=start, end=end)
        except DomainError as exc:
            return _error(exc)
        except tlog.LogIntegrityError as exc:
            return _integrity(exc)
        return _json(
            200,
            {
                "start": start,
                "end": start + len(rows),
                "tree_size": checkpoint.size,
                "entries": [r.as_dict() for r in rows],
            },
        )


class LogInclusionView(FastPublicView):
    cors = True
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="trust_mark_log_inclusion_proof",
        summary="Inclusion proof of a mark's latest entry (or of one entry)",
        description=(
            "Give `id` (a trust-mark id: its latest entry) or `index`. The proof is RFC 9162's `PATH` "
            "for the tree of `tree_size` leaves (default: the latest signed checkpoint, returned too)."
        ),
        parameters=[
            OpenApiParameter(
                "id", str, OpenApiParameter.QUERY, pattern=r"^TM-[0-9]{5}$", description="e.g. TM-00142."
            ),
            OpenApiParameter("index", int, OpenApiParameter.QUERY, description="An entry index (0-based)."),
            OpenApiParameter(
                "tree_size", int, OpenApiParameter.QUERY, description="Prove against this size."
            ),
            _CORS,
        ],
        responses={
            200: InclusionSerializer,
            400: _ERRORS[400],
            404: OpenApiResponse(LogErrorSerializer, "The mark has no entry."),
            409: _ERRORS[409],
        },
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            ids = request.GET.getlist("id")
            size = _int_param(request, "tree_size", required=False, minimum=1)
            if ids and "index" in request.GET:
                raise DomainError(
                    "Give id or index, not both.", [ErrorItem("index", "Give id or index, not both.")]
                )
            if ids:
                number = parse_mark_id(ids[0]) if len(ids) == 1 else None
                if number is None:
                    raise DomainError(
                        "Give one trust-mark id like TM-00142.", [ErrorItem("id", "Like TM-00142.")]
                    )
                proof = tlog.inclusion(mark_id=f"TM-{number:05d}", size=size)
            else:
                index = _int_param(request, "index", required=False)
                if index is None:
                    raise DomainError("Give id or index.", [ErrorItem("id", "Give id or index.")])
                proof = tlog.inclusion(index=index, size=size)
        except DomainError as exc:
            return _error(exc)
        except tlog.LogIntegrityError as exc:
            return _integrity(exc)
        return _json(200, proof.as_dict())


class LogConsistencyView(FastPublicView):
    cors = True
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="trust_mark_log_consistency_proof",
        summary="Consistency proof between two tree sizes",
        description=(
            "RFC 9162's `PROOF(first, D[0:second])`: shows that the tree of `second` leaves extends "
            "the tree of `first` leaves, i.e. the log only grew. `second` defaults to the latest "
            "signed checkpoint, which is returned too."
        ),
        parameters=[
            OpenApiParameter(
                "first", int, OpenApiParameter.QUERY, required=True, description="The older size."
            ),
            OpenApiParameter("second", int, OpenApiParameter.QUERY, description="The newer size."),
            _CORS,
        ],
        responses={200: ConsistencySerializer, 400: _ERRORS[400], 409: _ERRORS[409]},
        auth=[],
        tags=["certify"],
    )
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            first = _int_param(request, "first", required=True)
            second = _int_param(request, "second", required=False)
            assert first is not None
            first, second, proof, note = tlog.consistency(first=first, second=second)
        except DomainError as exc:
            return _error(exc)
        except tlog.LogIntegrityError as exc:
            return _integrity(exc)
        return _json(200, {"first": first, "second": second, "proof": _b64(proof), "checkpoint": note})
