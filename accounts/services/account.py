"""A person's own account data: export it (a read) and delete the account (a write).

Deleting an account never deletes an organisation's content: workflows, versions, simulations,
exports, assessments and trust-mark events keep their rows and lose only the link to the person
(``on_delete=SET_NULL``; pages show "—" where the author was). The person's memberships, API
tokens and sessions go with the account.

Organisations are handed over, never orphaned:

* the last admin of an organisation with other members is refused until they make another
  member an admin;
* the only member of an organisation that holds nothing but its memberships and invitations
  (e.g. created at sign-up and never used) takes it with them;
* the only member of an organisation that holds content is refused: an account deletion never
  deletes an organisation's records; they invite someone and hand it over, or ask the platform
  admin to delete the organisation.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.admin.utils import NestedObjects
from django.db import router, transaction
from django.db.models import Model, Q
from django.utils import timezone

from core.audit import audit_event_append
from core.models import AuditEvent
from lib.errors import DomainError, ErrorItem

from ..emails import email_after_commit
from ..models import Membership, Organisation, User

# What an organisation created at sign-up and never used holds.
_EMPTY_ORGANISATION_MODELS = {"accounts.Organisation", "accounts.Membership", "accounts.Invitation"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def account_data_export(*, user: User) -> dict[str, Any]:
    """Everything WorkflowOS holds about ``user`` that is theirs to take: profile, memberships,
    sessions, API tokens (metadata only: never a secret or a hash), the audit events about them
    and the workflows they created (ids and names; the content belongs to the organisation)."""
    from studio.models import Workflow

    memberships = Membership.objects.filter(user=user).select_related("organisation").order_by("created")
    audit = AuditEvent.objects.filter(
        Q(actor_email__iexact=user.email)
        | Q(object_type="user", object_id=str(user.pk))
        | Q(data__email=user.email)
    ).order_by("created", "pk")
    return {
        "format": "workflowos.account-export/v1",
        "exported": _iso(timezone.now()),
        "profile": {
            "id": user.pk,
            "email": user.email,
            "name": user.name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_verified": _iso(user.email_verified),
            "is_assessor": user.is_assessor,
            "is_platform_admin": user.is_staff,
        },
        "memberships": [
            {
                "organisation": m.organisation.name,
                "organisation_slug": m.organisation.slug,
                "role": m.role,
                "since": _iso(m.created),
            }
            for m in memberships
        ],
        "sessions": [
            {
                "started": _iso(s.created),
                "last_seen": _iso(s.last_seen),
                "ended": _iso(s.ended),
                "ip": s.ip,
                "user_agent": s.user_agent,
            }
            for s in user.sessions.order_by("created")
        ],
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created": _iso(t.created),
                "expires": _iso(t.expires),
                "last_used": _iso(t.last_used),
                "revoked": _iso(t.revoked),
            }
            for t in user.api_tokens.order_by("created")
        ],
        "audit_events": [
            {
                "time": _iso(e.created),
                "action": e.action,
                "actor": e.actor_email,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "organisation_id": e.organisation_id_ref,
                "data": e.data,
            }
            for e in audit
        ],
        "workflows_created": [
            {
                "id": w.pk,
                "name": w.name,
                "organisation_slug": w.organisation.slug,
                "created": _iso(w.created),
                "deleted": _iso(w.deleted_at),
            }
            for w in Workflow.objects.filter(created_by=user).select_related("organisation").order_by("pk")
        ],
    }


def _organisation_is_empty(organisation: Organisation) -> bool:
    """Whether deleting ``organisation`` would delete nothing but its memberships and invitations."""
    collector = NestedObjects(using=router.db_for_write(Organisation))
    collector.collect([organisation])
    if collector.protected:
        return False
    # django-stubs types model_objs' keys as str; they are model classes.
    kinds = {cast(type[Model], model)._meta.label for model, objs in collector.model_objs.items() if objs}
    return kinds <= _EMPTY_ORGANISATION_MODELS


def account_deletion_blockers(*, user: User) -> tuple[list[str], list[Organisation]]:
    """Why ``user`` may not delete their account yet (one reason per organisation), and the empty
    organisations of which they are the only member (deleted with the account)."""
    reasons: list[str] = []
    empty: list[Organisation] = []
    for m in Membership.objects.filter(user=user, role=Membership.ADMIN).select_related("organisation"):
        org = m.organisation
        admins = list(
            Membership.objects.select_for_update()
            .filter(organisation=org, role=Membership.ADMIN)
            .values_list("user_id", flat=True)
        )
        if admins != [user.pk]:
            continue
        if Membership.objects.filter(organisation=org).exclude(user=user).exists():
            reasons.append(
                f"You are the only admin of {org.name}: make another member an admin first "
                "(Organisation → Members), then delete your account."
            )
        elif _organisation_is_empty(org):
            empty.append(org)
        else:
            reasons.append(
                f"You are the only member of {org.name}, which holds workflows or other records. "
                "Deleting an account never deletes an organisation's content: invite someone and "
                "make them admin, or ask the platform admin to delete the organisation."
            )
    return reasons, empty


def account_deletion_preview(*, user: User) -> list[str]:
    """The reasons ``user`` may not delete their account now (empty: they may), for the form."""
    with transaction.atomic():
        reasons, _empty = account_deletion_blockers(user=user)
    return reasons


def account_delete(*, user: User, password: str) -> list[str]:
    """Delete ``user``'s account after checking their password; returns the names of the empty
    organisations deleted with it. Refused (409) while an organisation would lose its last admin."""
    if not password or not user.check_password(password):
        raise DomainError(
            "That is not your current password.",
            [ErrorItem("password", "That is not your current password.")],
            code="wrong_password",
        )
    with transaction.atomic():
        reasons, empty = account_deletion_blockers(user=user)
        if reasons:
            raise DomainError(" ".join(reasons), status=409, code="last_admin")
        email, pk, name = user.email, user.pk, user.display_name
        deleted_orgs = []
        for org in empty:
            audit_event_append(
                action="organisation.deleted",
                object_type="organisation",
                object_id=org.pk,
                actor_email=email,
                organisation_id=org.pk,
                data={"name": org.name, "slug": org.slug, "reason": "its only member deleted their account"},
            )
            deleted_orgs.append(org.name)
            org.delete()
        for m in Membership.objects.filter(user=user).select_related("organisation"):
            audit_event_append(
                action="member.left",
                object_type="membership",
                object_id=m.pk,
                actor_email=email,
                organisation_id=m.organisation_id,
                data={"email": email, "role": m.role, "reason": "account deleted"},
            )
        audit_event_append(
            action="user.deleted",
            object_type="user",
            object_id=pk,
            actor_email=email,
            data={"email": email, "organisations_deleted": deleted_orgs},
        )
        email_after_commit(
            to=email,
            template="account_deleted",
            context={"name": name, "organisations_deleted": deleted_orgs},
        )
        user.delete()
    return deleted_orgs
