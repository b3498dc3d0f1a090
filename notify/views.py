"""Notification pages: e-mail subscription to a mark (public, double opt-in), confirm and
unsubscribe links, and the webhook delivery log for the subscriber (or the platform admin)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import get_usage

from accounts.access import login_required_page, request_user
from lib.errors import DomainError
from lib.http import client_ip
from trustmarks.models import TrustMark
from trustmarks.selectors import mark_urls, trust_mark_get

from . import services
from .forms import SubscribeForm
from .models import EmailSubscription, WebhookSubscription
from .selectors import webhook_deliveries_of, webhook_subscriptions_all, webhook_subscriptions_of

log = logging.getLogger(__name__)
SUBSCRIBE_RATE = "10/h"  # subscription requests per client address


def _mark(mark_id: str) -> TrustMark:
    mark = trust_mark_get(mark_id=mark_id)
    if mark is None:
        raise Http404("No trust mark has this id.")
    return mark


def _throttled(request: HttpRequest) -> bool:
    try:
        usage = get_usage(
            request,
            group="notify.subscribe",
            key=lambda _g, _r: client_ip(request),
            rate=SUBSCRIBE_RATE,
            increment=True,
        )
    except Exception:  # the cache is down: let it through (the per-address resend limit still holds)
        log.warning("subscribe throttle unavailable", exc_info=True)
        return False
    return bool(usage and usage["should_limit"])


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, mark_id: str) -> HttpResponse:
    """Subscribe an e-mail address to a mark. The answer is the same whether or not the address
    was already subscribed: only its mailbox learns which."""
    mark = _mark(mark_id)
    form = SubscribeForm(request.POST or None)
    context = {"mark": mark, "urls": mark_urls(mark), "form": form, "done": False}
    status = 200
    if request.method == "POST":
        if _throttled(request):
            context["throttled"] = True
            status = 429
        elif form.is_valid():
            try:
                services.email_subscribe(mark=mark, email=form.cleaned_data["email"])
            except DomainError as exc:
                form.add_error("email", exc.message)
                status = 400
            else:
                context["done"] = True
        else:
            status = 400
    response = render(request, "notify/subscribe.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (so a mail scanner following links confirms nothing); POST confirms."""
    if request.method == "GET":
        return render(request, "notify/confirm.html", {"token": token, "confirmed": None})
    try:
        sub = services.email_subscription_confirm(token=token)
    except DomainError as exc:
        return render(request, "notify/confirm.html", {"error": exc.message}, status=400)
    return render(
        request,
        "notify/confirm.html",
        {
            "confirmed": sub,
            "urls": mark_urls(sub.trust_mark),
            "unsubscribe_url": services.unsubscribe_url(sub),
        },
    )


# One-click unsubscribe (RFC 8058) posts from the mail client, without our CSRF token; the
# unguessable token in the URL is the authority, and unsubscribing is harmless to replay.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":
        sub = EmailSubscription.objects.select_related("trust_mark").filter(token=token).first()
        return render(
            request, "notify/unsubscribe.html", {"token": token, "subscription": sub, "done": False}
        )
    services.email_unsubscribe(token=token)
    return render(request, "notify/unsubscribe.html", {"done": True})


# --- the webhook delivery log --------------------------------------------------------------------


@require_GET
@login_required_page
def webhook_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    everyone = bool(user.is_superuser) and request.GET.get("all") == "1"
    subs = webhook_subscriptions_all() if everyone else webhook_subscriptions_of(user=user)
    return render(
        request,
        "notify/webhook_list.html",
        {"subscriptions": list(subs[:200]), "everyone": everyone, "is_platform_admin": user.is_superuser},
    )


@require_GET
@login_required_page
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    sub = WebhookSubscription.objects.select_related("trust_mark", "owner").filter(pk=pk).first()
    # Someone else's subscription is "not found", except for the platform admin.
    if sub is None or (sub.owner_id != user.pk and not user.is_superuser):
        raise Http404("No such subscription.")
    if not user.is_active:
        raise PermissionDenied
    return render(
        request,
        "notify/webhook_detail.html",
        {"subscription": sub, "deliveries": webhook_deliveries_of(subscription=sub)},
    )
