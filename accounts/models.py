from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with an email address.

    Platform roles live here (assessor, platform admin = staff); organisation roles live on
    :class:`Membership`.
    """

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform admin: can use the Django admin.")
    is_assessor = models.BooleanField(default=False, help_text="Platform assessor: works the review queue.")
    is_lead_assessor = models.BooleanField(
        default=False,
        help_text="Lead assessor: may act on (and countersign) any trust mark, not only the ones "
        "they assessed. Needs the assessor role too.",
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # When the address was proven. Only self-service sign-up creates an account without it (see
    # accounts/services/signup.py); every other way in vouches for the address: an invitation link
    # that reached it, single sign-on with a verified address, a platform admin, the demo seeder.
    # Until it is set the account can only verify, re-send the link or sign out
    # (accounts.middleware.EmailVerificationMiddleware).
    email_verified = models.DateTimeField(null=True, blank=True, default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified is not None


class Organisation(models.Model):
    """A client organisation. Everything it maps, analyses and submits is scoped to it."""

    SIZE_TIERS = [
        ("startup", "Start-up (under 50 employees)"),
        ("mid_market", "Mid-market (50–500 employees or $5–50M ARR)"),
        ("enterprise", "Enterprise (over 500 employees)"),
    ]

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    size_tier = models.CharField(max_length=20, choices=SIZE_TIERS, default="mid_market")
    # Optional branding for exports (MSPs brand each client's evidence packs).
    brand_name = models.CharField(max_length=200, blank=True)
    brand_colour = models.CharField(max_length=7, blank=True, help_text="Hex colour, e.g. #1d4ed8")
    # A PNG or JPEG of at most 1 MB, checked by content (accounts.branding.check_logo). Kept in the
    # database so every web and worker host sees it and backups carry it.
    brand_logo = models.BinaryField(null=True, blank=True, editable=False)
    brand_logo_type = models.CharField(max_length=20, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    ADMIN = "admin"
    PRACTITIONER = "practitioner"
    ROLES = [(ADMIN, "Organisation admin"), (PRACTITIONER, "Practitioner")]

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=ROLES, default=PRACTITIONER)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.ADMIN


class PastMembership(models.Model):
    """A membership that ended (the member was removed), kept for the conflict-of-interest rule:
    an assessor may not act on an organisation they belonged to in the last two years
    (``accounts.access.conflict_of_interest``). Written by ``membership_remove``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="past_memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="past_memberships")
    role = models.CharField(max_length=20, choices=Membership.ROLES, blank=True)
    joined = models.DateTimeField(null=True, blank=True)  # unknown for removals backfilled from the log
    ended = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-ended"]
        indexes = [models.Index(fields=["user", "organisation", "ended"])]

    def __str__(self) -> str:
        return f"{self.user} was in {self.organisation} until {self.ended:%Y-%m-%d}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    # None: never expires (automation via issue_api_token, or an admin's choice in the UI).
    expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires is not None and self.expires <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked is None and not self.is_expired


class Invitation(models.Model):
    """An invitation to join an organisation, sent by e-mail.

    The link carries a random secret; only its SHA-256 is stored, so a database reader cannot
    accept an invitation. It is single-use (``accepted``), can be cancelled, and expires.
    Re-sending rotates the secret: the previous link stops working.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Membership.ROLES, default=Membership.PRACTITIONER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    sent = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    accepted = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancelled = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["organisation", "email"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return self.accepted is None and self.cancelled is None and self.expires > timezone.now()


class UserSession(models.Model):
    """One signed-in browser session, recorded so its owner can see and end it.

    Only a SHA-256 of the session key is kept (a database reader cannot hijack a session).
    Ending a session sets ``ended``; the session middleware signs that browser out on its next
    request, whatever the session engine.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    key_hash = models.CharField(max_length=64, db_index=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"session of {self.user} ({self.ip})"


class OidcProvider(models.Model):
    """An organisation's OpenID Connect identity provider (single sign-on), set by a platform admin.

    The endpoints come from the issuer's discovery document (``/.well-known/openid-configuration``)
    at each sign-in. The client secret is read from the environment variable named in
    ``client_secret_env`` (preferred: it never enters the database) or, failing that, from
    ``client_secret``, which the admin never shows back.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="oidc_providers")
    name = models.CharField(max_length=100, help_text='Shown on the button: "Sign in with <name>".')
    issuer = models.URLField(
        max_length=300, help_text="The issuer URL exactly as the provider's discovery document states it."
    )
    client_id = models.CharField(max_length=255)
    client_secret_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="Name of the environment variable holding the client secret (preferred).",
    )
    client_secret = models.CharField(max_length=500, blank=True, help_text="Used when no variable is named.")
    allowed_domains = models.TextField(
        help_text="E-mail domains this provider may sign in, one per line or comma-separated."
    )
    default_role = models.CharField(max_length=20, choices=Membership.ROLES, default=Membership.PRACTITIONER)
    auto_join = models.BooleanField(
        default=True,
        help_text="Just-in-time membership: a verified address of an allowed domain joins with the "
        "default role. Off: only existing members may sign in with this provider.",
    )
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = "OpenID Connect provider"

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    @property
    def domains(self) -> list[str]:
        raw = self.allowed_domains.replace(",", "\n").split()
        return sorted({d.strip().lower().lstrip("@") for d in raw if d.strip()})

    def allows_email(self, email: str) -> bool:
        domain = email.rpartition("@")[2].strip().lower()
        return bool(domain) and domain in self.domains


class OidcIdentity(models.Model):
    """An account's identity at a provider: its ``sub``, the one identifier OpenID Connect keeps
    stable and unique per issuer (addresses can change or be reassigned)."""

    provider = models.ForeignKey(OidcProvider, on_delete=models.CASCADE, related_name="identities")
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="oidc_identities")
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="oidc_identity_subject_unique"),
            models.UniqueConstraint(fields=["provider", "user"], name="oidc_identity_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.provider}"


class SsoRemoval(models.Model):
    """An admin removed this address from the organisation: single sign-on will not re-add it
    (just-in-time membership is refused) until an admin invites it again."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sso_removals")
    email = models.EmailField()
    removed = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "email"], name="sso_removal_unique")]

    def __str__(self) -> str:
        return f"{self.email} removed from {self.organisation}"
