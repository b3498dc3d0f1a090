"""Demo holders, so a newcomer sees the registry working: pat holds a current AIDA (listed),
one AIDA has expired and one is suspended."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User

from .models import PersonalCredential
from .services import credential_issue, credential_status_change

EXPIRED_HOLDER = "Ed Expired (demo)"
SUSPENDED_HOLDER = "Sam Suspended (demo)"


def seed(log: list[str]) -> None:
    pat = User.objects.filter(email="pat@acme.example").first()
    ada = User.objects.filter(email="ada@workflowos.example").first()
    if pat is None or PersonalCredential.objects.exists():
        return
    today = timezone.localdate()
    pat_credential = credential_issue(
        user=pat, holder_name=pat.name or "Pat Practitioner", listed=True, score=17, total=20
    )
    expired = credential_issue(
        user=None,
        holder_name=EXPIRED_HOLDER,
        listed=True,
        score=15,
        total=20,
        issued_on=today - timedelta(days=800),
    )
    suspended = credential_issue(user=None, holder_name=SUSPENDED_HOLDER, listed=True, score=16, total=20)
    if ada is not None:
        credential_status_change(
            credential=suspended, actor=ada, action="suspend", reason="Demo: identity check pending."
        )
    log.append(
        f"credentials: {pat_credential.credential_id} (pat), {expired.credential_id} (expired), "
        f"{suspended.credential_id} (suspended)"
    )
