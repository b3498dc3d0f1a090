from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .access import active_membership, is_assessor
from .models import User
from .selectors import memberships_of


def organisation(request: HttpRequest) -> dict[str, Any]:
    """Every page shows the active organisation and offers the others (MSPs switch clients)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    assert isinstance(user, User)
    active = active_membership(request)
    return {
        "active_membership": active,
        "active_organisation": active.organisation if active else None,
        "user_memberships": list(memberships_of(user=user)),
        "user_is_assessor": is_assessor(user),
    }


def signup(request: HttpRequest) -> dict[str, Any]:
    """Whether pages offer "Create an account" (WORKFLOWOS_SIGNUP=open)."""
    return {"signup_open": settings.WORKFLOWOS_SIGNUP == "open"}
