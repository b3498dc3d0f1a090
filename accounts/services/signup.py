"""Self-service sign-up (WORKFLOWOS_SIGNUP=open): a new account, its e-mail verification, and the
choice that follows (create an organisation or stay a personal account).

Nothing here tells a visitor whether an address already has an account: signing up with a
registered address answers like a new one and e-mails the address's owner instead.

The verification link is a ``TimestampSigner`` signature over the user's id and a digest of
their address and ``email_verified``. Verifying sets ``email_verified``, which changes the digest,
so a used link no longer matches (single use); the signature's age gives the expiry; any edit
breaks the signature.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_event_append
from lib.errors import DomainError, ErrorItem

from ..emails import email_after_commit
from ..models import Membership, User
from . import organisation_create

SIGNUP_OPEN, SIGNUP_INVITE_ONLY, SIGNUP_CLOSED = "open", "invite-only", "closed"
VERIFY_SALT = "workflowos.accounts.verify-email"


class VerificationInvalid(DomainError):
    """A verification link that cannot be used: tampered, expired or already used."""


def signup_mode() -> str:
    """``open``, ``invite-only`` or ``closed`` (settings.WORKFLOWOS_SIGNUP)."""
    return str(settings.WORKFLOWOS_SIGNUP)


def _state(user: User) -> str:
    """What a link is bound to: the address and whether (when) it was verified."""
    verified = user.email_verified.isoformat() if user.email_verified else ""
    return hashlib.sha256(f"{user.pk}:{user.email.lower()}:{verified}".encode()).hexdigest()[:32]


def email_verification_token(user: User) -> str:
    return signing.TimestampSigner(salt=VERIFY_SALT).sign(f"{user.pk}.{_state(user)}")


def email_verification_url(user: User) -> str:
    return f"{settings.PUBLIC_URL}/accounts/verify-email/{email_verification_token(user)}/"


def email_verification_send(*, user: User) -> None:
    """E-mail ``user`` a fresh verification link (after the transaction commits)."""
    email_after_commit(
        to=user.email,
        template="signup_verify",
        context={
            "recipient": user,
            "url": email_verification_url(user),
            "hours": settings.EMAIL_VERIFICATION_TIMEOUT // 3600,
        },
    )


def email_verification_check(token: str) -> User:
    """The unverified user a link is for, or VerificationInvalid saying why it cannot be used."""
    try:
        value = signing.TimestampSigner(salt=VERIFY_SALT).unsign(
            token, max_age=settings.EMAIL_VERIFICATION_TIMEOUT
        )
    except signing.SignatureExpired:
        raise VerificationInvalid(
            "This verification link has expired. Sign in and ask for a new one.",
            status=410,
            code="verification_expired",
        ) from None
    except signing.BadSignature:
        raise VerificationInvalid(
            "This verification link is not valid. It may have been cut short or mistyped: "
            "copy the whole link from the e-mail.",
            status=404,
            code="verification_invalid",
        ) from None
    user_id, _, state = value.partition(".")
    user = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
    if user is None or not user.is_active:
        raise VerificationInvalid(
            "This verification link is not valid: its account no longer exists.",
            status=404,
            code="verification_invalid",
        )
    if user.email_verified is not None:
        raise VerificationInvalid(
            "This verification link was already used: your address is verified. Sign in to continue.",
            status=410,
            code="verification_used",
        )
    if state != _state(user):
        raise VerificationInvalid(
            "This verification link is for an earlier address of this account: use the most recent e-mail.",
            status=410,
            code="verification_invalid",
        )
    return user


def email_verify(*, token: str) -> User:
    """Mark the address behind a valid link as verified (once: the link then stops working)."""
    user = email_verification_check(token)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.email_verified is not None or _state(locked) != _state(user):
            raise VerificationInvalid(
                "This verification link was already used: your address is verified. Sign in to continue.",
                status=410,
                code="verification_used",
            )
        locked.email_verified = timezone.now()
        locked.save(update_fields=["email_verified"])
        audit_event_append(
            action="user.email_verified", object_type="user", object_id=locked.pk, actor_email=locked.email
        )
    return locked


def user_sign_up(*, email: str, name: str, password: str) -> User | None:
    """Create an unverified account and e-mail its verification link.

    Django's password validators apply. When the address already has an account, nothing is
    created, the owner gets an e-mail saying someone tried, and None is returned: the caller
    answers exactly as for a new account."""
    if signup_mode() != SIGNUP_OPEN:
        raise DomainError("Sign-up is not open on this instance.", status=403, code="signup_closed")
    email = User.objects.normalize_email(email.strip()).lower()
    name = name.strip()[:150]
    try:
        validate_password(password, user=User(email=email, name=name))
    except ValidationError as exc:
        raise DomainError(
            "Choose a stronger password.", [ErrorItem("password1", m) for m in exc.messages]
        ) from None
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email, password, name=name, email_verified=None)
                audit_event_append(
                    action="user.signed_up", object_type="user", object_id=user.pk, actor_email=email
                )
                email_verification_send(user=user)
            return user
        except IntegrityError:  # the same address signed up at the same moment
            existing = User.objects.filter(email__iexact=email).first()
            if existing is None:
                raise
    # Hash the password anyway, so this path takes as long as creating an account (a quicker
    # answer would tell the address is registered).
    make_password(password)
    with transaction.atomic():
        audit_event_append(
            action="user.sign_up_existing_address",
            object_type="user",
            object_id=existing.pk,
            actor_email="",
        )
        email_after_commit(to=existing.email, template="signup_existing", context={"recipient": existing})
    return None


def signup_organisation_create(*, user: User, name: str) -> Membership:
    """A verified user creates an organisation and becomes its admin (the slug comes from the
    name, made unique)."""
    if user.email_verified is None:
        raise DomainError("Verify your e-mail address first.", status=403, code="email_unverified")
    name = " ".join(name.split())[:200]
    if not name:
        raise DomainError("Name your organisation.", [ErrorItem("name", "Name your organisation.")])
    with transaction.atomic():
        org = organisation_create(name=name, admin=user)
        membership = Membership.objects.select_related("organisation").get(user=user, organisation=org)
        audit_event_append(
            action="organisation.created",
            object_type="organisation",
            object_id=org.pk,
            actor_email=user.email,
            organisation_id=org.pk,
            data={"name": org.name, "slug": org.slug},
        )
    return membership
