"""Signing out ends the recorded session row (so it leaves the sessions list)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from .models import UserSession


@receiver(user_logged_out)
def end_session_row(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    row_id = (
        request.session.get("_wfos_session_row")
        if request is not None and hasattr(request, "session")
        else None
    )
    if row_id and user is not None:
        UserSession.objects.filter(pk=row_id, user=user, ended__isnull=True).update(ended=timezone.now())
