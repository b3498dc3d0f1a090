"""Single sign-on writes: just-in-time membership and the audit of every SSO sign-in.

Rules (docs/operations.md, "Single sign-on"):

* the provider must vouch for the address (``email_verified`` true) and its domain must be one of
  the provider's allowed domains;
* an existing member signs in; anyone else joins the organisation with the provider's default
  role when the provider has ``auto_join`` (a new account gets no usable password);
* an address an admin removed from the organisation (:class:`SsoRemoval`) is not re-added by
  single sign-on: it takes a new invitation, whose acceptance lifts the block;
* the provider's ``sub`` is linked to the account at the first sign-in (:class:`OidcIdentity`):
  an address the provider later gives to another ``sub`` does not open the old account;
* platform admin and disabled accounts never sign in through an organisation's provider.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.audit import audit_event_append

from ..emails import email_after_commit
from ..models import Membership, OidcIdentity, OidcProvider, SsoRemoval, User
from ..oidc.errors import SsoError

ROLE_LABELS = dict(Membership.ROLES)


def _verified(value: Any) -> bool:
    # Some providers send the JSON string "true" instead of the boolean.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def sso_claimed_email(*, provider: OidcProvider, claims: dict[str, Any]) -> str:
    """The lower-cased address in ``claims``, once checked: present, well formed, verified by the
    provider, and in one of its allowed domains. SsoError otherwise."""
    email = str(claims.get("email") or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise SsoError(
            f"{provider.name} did not share a usable e-mail address, so you cannot be signed in. "
            "Ask your administrator to release the e-mail claim to this application.",
            code="no_email",
        ) from None
    if not _verified(claims.get("email_verified")):
        raise SsoError(
            f"{provider.name} has not verified the address {email}. Verify it with your identity "
            "provider first, then sign in again.",
            code="email_unverified",
            status=403,
            email=email,
        )
    if not provider.allows_email(email):
        raise SsoError(
            f"{email} is not in a domain that {provider.organisation.name} allows for single "
            "sign-on. Sign in with your password, or use the address your organisation gave you.",
            code="domain_not_allowed",
            status=403,
            email=email,
        )
    return email


def _audit(
    action: str, *, provider: OidcProvider, email: str, obj_type: str, obj_id: object, **data: Any
) -> None:
    audit_event_append(
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        actor_email=email,
        organisation_id=provider.organisation_id,
        data={"provider": provider.pk, "provider_name": provider.name, **data},
    )


def sso_member_for_claims(*, provider: OidcProvider, claims: dict[str, Any]) -> User:
    """The user the verified ``claims`` sign in, a member of the provider's organisation.

    The provider's ``sub`` is the stable identifier (OpenID Connect Core §5.7): the first sign-in
    links it to the account with the claimed address, later ones sign in that account even if the
    address changed at the provider, and an address already linked to another ``sub`` (reassigned
    to someone else at the provider) is refused. Creates the account (no usable password), the
    membership and the link when just-in-time membership applies, all in one transaction: a
    refusal leaves nothing behind."""
    email = sso_claimed_email(provider=provider, claims=claims)
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SsoError(f"{provider.name} sent no subject identifier.", code="no_subject", email=email)
    org = provider.organisation
    with transaction.atomic():
        identity = (
            OidcIdentity.objects.select_for_update()
            .select_related("user")
            .filter(provider=provider, subject=subject)
            .first()
        )
        user = (
            identity.user
            if identity
            else User.objects.select_for_update().filter(email__iexact=email).first()
        )
        if user is not None and (user.is_staff or user.is_superuser):
            raise SsoError(
                "Platform admin accounts sign in with their password, not through an organisation's "
                "single sign-on.",
                code="platform_account",
                status=403,
                email=email,
            )
        if user is not None and not user.is_active:
            raise SsoError("This account is disabled.", code="account_disabled", status=403, email=email)
        if (
            identity is None
            and user is not None
            and OidcIdentity.objects.filter(provider=provider, user=user).exists()
        ):
            raise SsoError(
                f"{email} is linked to another identity at {provider.name}, so this sign-in is refused. "
                f"If the address now belongs to someone else, ask an admin of {org.name}.",
                code="identity_mismatch",
                status=403,
                email=email,
            )
        if user is not None and Membership.objects.filter(user=user, organisation=org).exists():
            _link(provider=provider, subject=subject, user=user, identity=identity)
            return user
        account_email = user.email if user is not None else email
        if SsoRemoval.objects.filter(organisation=org, email__iexact=account_email).exists():
            raise SsoError(
                f"An admin of {org.name} removed {account_email} from the organisation, so single "
                "sign-on will not add it back. Ask an admin to invite you again.",
                code="member_removed",
                status=403,
                email=email,
            )
        if not provider.auto_join:
            raise SsoError(
                f"{account_email} is not a member of {org.name}. Ask an admin to invite you.",
                code="not_a_member",
                status=403,
                email=email,
            )
        created = user is None
        if user is None:
            name = str(claims.get("name") or "").strip()[:150]
            user = User.objects.create_user(email, None, name=name)  # no usable password
        membership = Membership.objects.create(
            user=user, organisation=org, role=provider.default_role, created=timezone.now()
        )
        _link(provider=provider, subject=subject, user=user, identity=identity)
        _audit(
            "member.joined_sso",
            provider=provider,
            email=user.email,
            obj_type="membership",
            obj_id=membership.pk,
            role=membership.role,
            new_account=created,
        )
        email_after_commit(
            to=user.email,
            template="member_joined",
            context={
                "recipient": user,
                "organisation": org,
                "role_label": ROLE_LABELS[membership.role].lower(),
            },
        )
    return user


def _link(*, provider: OidcProvider, subject: str, user: User, identity: OidcIdentity | None) -> None:
    now = timezone.now()
    if identity is None:
        OidcIdentity.objects.create(provider=provider, subject=subject, user=user, created=now, last_used=now)
    else:
        OidcIdentity.objects.filter(pk=identity.pk).update(last_used=now)


def sso_signed_in(*, provider: OidcProvider, user: User) -> None:
    """Audit a completed single sign-on."""
    _audit("sso.signed_in", provider=provider, email=user.email, obj_type="user", obj_id=user.pk)


def sso_refused(*, provider: OidcProvider, error: SsoError) -> None:
    """Audit a refusal that came after the provider vouched for an address (earlier refusals,
    such as a stale state, name nobody and would only let strangers fill the log)."""
    if error.email:
        _audit(
            "sso.refused",
            provider=provider,
            email=error.email,
            obj_type="oidcprovider",
            obj_id=provider.pk,
            reason=error.code,
        )


def sso_removal_record(*, membership: Membership, actor: User) -> None:
    """Remember that ``membership`` was removed, so single sign-on does not re-add it."""
    SsoRemoval.objects.update_or_create(
        organisation=membership.organisation,
        email=membership.user.email.lower(),
        defaults={"removed": timezone.now(), "removed_by": actor},
    )


def sso_removal_lift(*, membership: Membership) -> None:
    """An invitation was accepted: single sign-on may sign this member in again."""
    SsoRemoval.objects.filter(
        organisation=membership.organisation, email__iexact=membership.user.email
    ).delete()
