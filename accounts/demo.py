"""Demo users and organisations (embedded default and tests only)."""

from __future__ import annotations

from django.conf import settings

from .models import Membership, Organisation, User

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
