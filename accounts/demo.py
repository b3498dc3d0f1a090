"""Demo users and organisations (embedded default and tests only)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Invitation, Membership, Organisation, User

ORGANISATIONS = [("Acme AI", "acme-ai", "mid_market"), ("Globex", "globex", "enterprise")]
USERS = [
    # email, name, organisation slug, role, platform flags
    ("alice@acme.example", "Alice Admin", "acme-ai", Membership.ADMIN, {}),
    ("pat@acme.example", "Pat Practitioner", "acme-ai", Membership.PRACTITIONER, {}),
    ("gus@globex.example", "Gus Globex", "globex", Membership.PRACTITIONER, {}),
    # An adviser (MSP) who works for both client organisations and switches between them.
    ("mia@msp.example", "Mia Adviser", "acme-ai", Membership.PRACTITIONER, {}),
    ("mia@msp.example", "Mia Adviser", "globex", Membership.PRACTITIONER, {}),
    ("ada@workflowos.example", "Ada Assessor", None, None, {"is_assessor": True}),
    ("root@workflowos.example", "Root Admin", None, None, {"is_staff": True, "is_superuser": True}),
]


# A lead assessor countersigns revocations and reinstatements (four eyes). Seeded by the trust-mark
# demo, not with the personas above: as a second assessor Lee would also receive every "new
# application" e-mail the assessment tests count.
LEAD_ASSESSOR = ("lee@workflowos.example", "Lee Lead Assessor")


def seed_lead_assessor(log: list[str]) -> User:
    """The demo's lead assessor (idempotent)."""
    email, name = LEAD_ASSESSOR
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, settings.DEMO_PASSWORD, name=name, is_assessor=True, is_lead_assessor=True
        )
        log.append(f"user {email}")
    return user


def seed(log: list[str]) -> None:
    orgs = {}
    for name, slug, tier in ORGANISATIONS:
        org, created = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "size_tier": tier}
        )
        orgs[slug] = org
        if created:
            log.append(f"organisation {name}")
    for email, name, org_slug, role, flags in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, settings.DEMO_PASSWORD, name=name, **flags)
            log.append(f"user {email}")
        if org_slug and role:
            Membership.objects.get_or_create(user=user, organisation=orgs[org_slug], defaults={"role": role})
    _seed_invitation(orgs["acme-ai"], log)


def _seed_invitation(org: Organisation, log: list[str]) -> None:
    """One pending invitation, so Acme's admin sees the list working. Its link was never
    e-mailed (the secret is thrown away): "Re-send" mails a fresh one."""
    email = "newcomer@acme.example"
    if Invitation.objects.filter(organisation=org, email=email).exists():
        return
    now = timezone.now()
    Invitation.objects.create(
        organisation=org,
        email=email,
        role=Membership.PRACTITIONER,
        token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        invited_by=User.objects.filter(email="alice@acme.example").first(),
        sent=now,
        expires=now + timedelta(days=7),
    )
    log.append(f"invitation {email}")
