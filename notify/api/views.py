"""The subscriptions API: webhooks for API clients, authenticated with a personal API token only.

``POST /api/certify/subscriptions/`` {"mark": "TM-00142" | "*", "url": "https://…", "events": [...]}
answers the signing secret once; list, read, delete; and each subscription's delivery log.
Another client's subscription answers 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import TokenAuthentication
from accounts.models import User
from lib.errors import DomainError, ErrorItem, pydantic_path

from .. import services
from ..models import WebhookSubscription
from ..selectors import (
    delivery_as_dict,
    webhook_deliveries_of,
    webhook_subscription_of,
    webhook_subscriptions_of,
)


class SubscriptionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    mark: str = Field(min_length=1, max_length=20)
    url: str = Field(min_length=1, max_length=2000)
    events: list[str] | None = Field(default=None, max_length=10)


def _parse(data: Any) -> SubscriptionBody:
    if not isinstance(data, dict):
        raise DomainError("The body must be a JSON object.", [ErrorItem("", "expected a JSON object")])
    try:
        return SubscriptionBody.model_validate(data)
    except ValidationError as exc:
        raise DomainError(
            "The subscription is not valid.",
            [ErrorItem(pydantic_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)],
        ) from None


def subscription_as_dict(sub: WebhookSubscription, *, secret: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": sub.pk,
        "mark": sub.mark_label,
        "url": sub.url,
        "events": list(sub.events),
        "active": sub.active,
        "disabled_reason": sub.disabled_reason,
        "created": sub.created.isoformat(),
    }
    if secret is not None:
        data["secret"] = secret
    return data


class SubscriptionOut(serializers.Serializer):
    id = serializers.IntegerField()
    mark = serializers.CharField(help_text='"TM-00142", or "*" for every mark')
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    created = serializers.DateTimeField()
    secret = serializers.CharField(required=False, help_text="whsec_…, only in the answer to POST")


# The error shape of every API answer (core/api.py); "errors" would shadow Serializer.errors as a
# class attribute, so it is declared inline.
ErrorOut = inline_serializer(
    "SubscriptionError",
    {
        "error": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.DictField(child=serializers.CharField())),
    },
)


class SubscriptionListOut(serializers.Serializer):
    results = SubscriptionOut(many=True)


class SubscriptionIn(serializers.Serializer):
    mark = serializers.CharField(help_text='"TM-00142", or "*" for every mark')
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField(), required=False)


class _TokenOnly(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    def _user(self, request: Request) -> User:
        assert isinstance(request.user, User)
        return request.user

    def _own(self, request: Request, pk: int) -> WebhookSubscription:
        sub = webhook_subscription_of(user=self._user(request), pk=pk)
        if sub is None:
            raise DomainError("No such subscription.", status=404, code="not_found")
        return sub


class SubscriptionListView(_TokenOnly):
    @extend_schema(
        operation_id="api_certify_subscriptions_list",
        tags=["subscriptions"],
        summary="Your webhook subscriptions",
        responses={200: SubscriptionListOut, 401: ErrorOut},
    )
    def get(self, request: Request) -> Response:
        subs = webhook_subscriptions_of(user=self._user(request))
        return Response({"results": [subscription_as_dict(s) for s in subs]})

    @extend_schema(
        tags=["subscriptions"],
        summary="Subscribe a URL to a trust mark (or every mark)",
        description=(
            "Webhooks follow Standard Webhooks: headers `webhook-id`, `webhook-timestamp`, "
            "`webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` with the returned "
            "`whsec_` secret (shown only here). Events: " + ", ".join(services.EVENT_TYPES) + "; "
            "`trustmark.issued` only for the mark `*`. Retried with exponential backoff for 24 hours; "
            "a 410 answer disables the subscription. The URL must be https and resolve to public addresses."
        ),
        request=SubscriptionIn,
        responses={201: SubscriptionOut, 400: ErrorOut, 401: ErrorOut, 409: ErrorOut},
        examples=[
            OpenApiExample(
                "One mark",
                value={
                    "mark": "TM-00142",
                    "url": "https://buyer.example/hooks/wfos",
                    "events": ["trustmark.revoked"],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        body = _parse(request.data)
        created = services.webhook_subscription_create(
            owner=self._user(request), mark_id=body.mark, url=body.url, events=body.events
        )
        return Response(subscription_as_dict(created.subscription, secret=created.secret), status=201)


class SubscriptionDetailView(_TokenOnly):
    @extend_schema(
        tags=["subscriptions"],
        summary="One of your subscriptions",
        responses={200: SubscriptionOut, 401: ErrorOut, 404: ErrorOut},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(subscription_as_dict(self._own(request, pk)))

    @extend_schema(
        tags=["subscriptions"],
        summary="Delete a subscription",
        responses={204: None, 401: ErrorOut, 404: ErrorOut},
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.webhook_subscription_delete(subscription=self._own(request, pk))
        return Response(status=204)


class DeliveryListView(_TokenOnly):
    @extend_schema(
        tags=["subscriptions"],
        summary="The delivery log of a subscription",
        description="The newest 100 deliveries with every attempt: time, status code, error, "
        "a short excerpt of the answer, and when the next attempt is due.",
        responses={200: OpenApiTypes.OBJECT, 401: ErrorOut, 404: ErrorOut},
    )
    def get(self, request: Request, pk: int) -> Response:
        sub = self._own(request, pk)
        return Response({"results": [delivery_as_dict(d) for d in webhook_deliveries_of(subscription=sub)]})
