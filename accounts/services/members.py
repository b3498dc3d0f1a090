"""Writes for an organisation's members: invitations, roles, removal.

Every change is audited (core.audit) and e-mailed to the person it concerns after it commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_event_append
from lib.errors import DomainError, ErrorItem

from ..emails import email_after_commit
from ..models import Invitation, Membership, Organisation, PastMembership, User
from .sso import sso_removal_lift, sso_removal_record

INVITATION_TTL = timedelta(days=7)
ROLE_LABELS = dict(Membership.ROLES)


class InvitationInvalid(DomainError):
    """An invitation link that cannot be used: unknown (tampered), used, cancelled or expired."""


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invitation_url(raw: str) -> str:
    return f"{settings.PUBLIC_URL}/invitations/{raw}/"


def _send_invitation(invitation: Invitation, raw: str, actor: User) -> None:
    email_after_commit(
        to=invitation.email,
        template="member_invited",
        context={
            "organisation": invitation.organisation,
            "inviter_name": actor.display_name,
            "role_label": ROLE_LABELS[invitation.role].lower(),
            "expires": invitation.expires,
            "url": invitation_url(raw),
        },
    )


def _audit(
    action: str, *, actor: User | None, organisation: Organisation, obj: object, **data: object
) -> None:
    audit_event_append(
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "pk", ""),
        actor_email=actor.email if actor else "",
        organisation_id=organisation.pk,
        data=dict(data),
    )


def invitation_create(
    *, organisation: Organisation, email: str, role: str, actor: User
) -> tuple[Invitation, str]:
    """Invite ``email`` to ``organisation`` with ``role``; e-mail the single-use link.

    Returns the invitation and the link's secret (shown nowhere but the e-mail). Refuses an
    address that is already a member or already has a pending invitation."""
    email = email.strip().lower()
    if role not in ROLE_LABELS:
        raise DomainError(f"Unknown role {role!r}.", [ErrorItem("role", "Choose a role.")])
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise DomainError(
            f"{email} is already a member of {organisation.name}.", [ErrorItem("email", "Already a member.")]
        )
    now = timezone.now()
    if Invitation.objects.filter(
        organisation=organisation,
        email__iexact=email,
        accepted__isnull=True,
        cancelled__isnull=True,
        expires__gt=now,
    ).exists():
        raise DomainError(
            f"{email} already has a pending invitation: re-send it from the list below.",
            [ErrorItem("email", "Already invited.")],
        )
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            token_hash=_hash(raw),
            invited_by=actor,
            created=now,
            sent=now,
            expires=now + INVITATION_TTL,
        )
        _audit(
            "member.invited", actor=actor, organisation=organisation, obj=invitation, email=email, role=role
        )
        _send_invitation(invitation, raw, actor)
    return invitation, raw


def invitation_resend(*, invitation: Invitation, actor: User) -> str:
    """Send a pending (or expired) invitation again with a fresh link and a fresh 7 days; the
    previous link stops working."""
    if invitation.accepted or invitation.cancelled:
        raise DomainError("This invitation was already accepted or cancelled.")
    if Membership.objects.filter(
        organisation=invitation.organisation, user__email__iexact=invitation.email
    ).exists():
        raise DomainError(f"{invitation.email} is already a member.")
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        invitation.token_hash = _hash(raw)
        invitation.sent = now
        invitation.expires = now + INVITATION_TTL
        invitation.save(update_fields=["token_hash", "sent", "expires"])
        _audit(
            "member.invitation_resent",
            actor=actor,
            organisation=invitation.organisation,
            obj=invitation,
            email=invitation.email,
        )
        _send_invitation(invitation, raw, actor)
    return raw


def invitation_cancel(*, invitation: Invitation, actor: User) -> None:
    """Cancel an invitation that was not accepted: its link stops working."""
    if invitation.accepted:
        raise DomainError("This invitation was already accepted.")
    if invitation.cancelled:
        return
    with transaction.atomic():
        invitation.cancelled = timezone.now()
        invitation.save(update_fields=["cancelled"])
        _audit(
            "member.invitation_cancelled",
            actor=actor,
            organisation=invitation.organisation,
            obj=invitation,
            email=invitation.email,
        )


def invitation_check(raw: str) -> Invitation:
    """The usable invitation behind a link's secret, or InvitationInvalid saying why not."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by").filter(token_hash=_hash(raw)).first()
        if raw
        else None
    )
    if invitation is None:
        raise InvitationInvalid(
            "This invitation link is not valid. It may have been mistyped, or replaced by a newer "
            "invitation: use the link in the most recent e-mail.",
            status=404,
            code="invitation_invalid",
        )
    if invitation.accepted:
        raise InvitationInvalid(
            "This invitation was already used. Sign in with the account that accepted it.",
            status=410,
            code="invitation_used",
        )
    if invitation.cancelled:
        raise InvitationInvalid(
            "This invitation was cancelled by the organisation's admin.",
            status=410,
            code="invitation_cancelled",
        )
    if invitation.expires <= timezone.now():
        raise InvitationInvalid(
            "This invitation has expired. Ask the organisation's admin to send it again.",
            status=410,
            code="invitation_expired",
        )
    return invitation


def _join(invitation: Invitation, user: User) -> Membership:
    """Accept a checked invitation for ``user`` (inside the caller's transaction)."""
    # Lock the row so two concurrent accepts of one link cannot both succeed.
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted or locked.cancelled:
        raise InvitationInvalid("This invitation was already used.", status=410, code="invitation_used")
    now = timezone.now()
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role, "created": now}
    )
    locked.accepted = now
    locked.accepted_by = user
    locked.save(update_fields=["accepted", "accepted_by"])
    sso_removal_lift(membership=membership)  # a new invitation lets single sign-on in again
    _audit(
        "member.joined",
        actor=user,
        organisation=invitation.organisation,
        obj=membership,
        email=user.email,
        role=membership.role,
        invitation=invitation.pk,
    )
    email_after_commit(
        to=user.email,
        template="member_joined",
        context={
            "recipient": user,
            "organisation": invitation.organisation,
            "role_label": ROLE_LABELS[membership.role].lower(),
        },
    )
    return membership


def invitation_accept_new_user(*, raw: str, password: str, name: str = "") -> Membership:
    """Create the invitee's account with ``password`` (Django's validators apply) and join."""
    invitation = invitation_check(raw)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise DomainError(
            f"An account for {invitation.email} already exists: sign in, then open the invitation link again.",
            code="account_exists",
        )
    candidate = User(email=invitation.email, name=name.strip()[:150])
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise DomainError(
            "Choose a stronger password.", [ErrorItem("password1", m) for m in exc.messages]
        ) from None
    with transaction.atomic():
        user = User.objects.create_user(invitation.email, password, name=name.strip()[:150])
        return _join(invitation, user)


def invitation_accept_existing(*, raw: str, user: User) -> Membership:
    """A signed-in user accepts an invitation addressed to their own e-mail address."""
    invitation = invitation_check(raw)
    if user.email.lower() != invitation.email.lower():
        raise DomainError(
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}. "
            "Sign out and open the link again.",
            status=403,
            code="wrong_account",
        )
    with transaction.atomic():
        return _join(invitation, user)


def _lock_admins(organisation: Organisation) -> list[int]:
    """Lock the organisation's admin memberships; their ids. Serialises last-admin decisions."""
    return list(
        Membership.objects.select_for_update()
        .filter(organisation=organisation, role=Membership.ADMIN)
        .values_list("pk", flat=True)
    )


LAST_ADMIN = (
    "{name} is the only admin of {org}: an organisation always keeps at least one admin. "
    "Make another member an admin first."
)


def _lock_member(membership: Membership) -> tuple[Membership, bool]:
    """Lock the organisation's admins, then re-read and lock ``membership``; returns it and whether
    it is the organisation's only admin (last-admin decisions are serialised by the lock)."""
    admins = _lock_admins(membership.organisation)
    fresh = (
        Membership.objects.select_for_update().select_related("user", "organisation").get(pk=membership.pk)
    )
    return fresh, fresh.role == Membership.ADMIN and admins == [fresh.pk]


def _last_admin_refused(membership: Membership) -> DomainError:
    name, org = membership.user.display_name, membership.organisation.name
    return DomainError(LAST_ADMIN.format(name=name, org=org), status=409, code="last_admin")


def membership_role_change(*, membership: Membership, role: str, actor: User) -> Membership:
    """Change a member's role. Demoting the last admin is refused."""
    if role not in ROLE_LABELS:
        raise DomainError(f"Unknown role {role!r}.", [ErrorItem("role", "Choose a role.")])
    org = membership.organisation
    with transaction.atomic():
        membership, last_admin = _lock_member(membership)
        old = membership.role
        if old == role:
            return membership
        if last_admin:
            raise _last_admin_refused(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        _audit(
            "member.role_changed",
            actor=actor,
            organisation=org,
            obj=membership,
            email=membership.user.email,
            old_role=old,
            role=role,
        )
        email_after_commit(
            to=membership.user.email,
            template="member_role_changed",
            context={
                "recipient": membership.user,
                "organisation": org,
                "actor_name": actor.display_name,
                "old_role_label": ROLE_LABELS[old].lower(),
                "role_label": ROLE_LABELS[role].lower(),
            },
        )
    return membership


def membership_end(*, membership: Membership) -> PastMembership:
    """Delete a membership and keep a record that it existed (the conflict-of-interest rule
    looks two years back). The one way a membership ends: removal here, and the Django admin."""
    past = PastMembership.objects.create(
        user_id=membership.user_id,
        organisation_id=membership.organisation_id,
        role=membership.role,
        joined=membership.created,
        ended=timezone.now(),
    )
    membership.delete()
    return past


def membership_remove(*, membership: Membership, actor: User) -> None:
    """Remove a member from the organisation. Their account and everything they created in the
    organisation stay; only the membership goes. Removing the last admin is refused."""
    org = membership.organisation
    with transaction.atomic():
        membership, last_admin = _lock_member(membership)
        if last_admin:
            raise _last_admin_refused(membership)
        user = membership.user
        _audit(
            "member.removed",
            actor=actor,
            organisation=org,
            obj=membership,
            email=user.email,
            role=membership.role,
        )
        # Single sign-on must not add them straight back (accounts/services/sso.py).
        sso_removal_record(membership=membership, actor=actor)
        membership_end(membership=membership)
        email_after_commit(
            to=user.email,
            template="member_removed",
            context={"recipient": user, "organisation": org, "actor_name": actor.display_name},
        )
