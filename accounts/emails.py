"""E-mails about a person's account and membership, sent after the change commits.

An e-mail about an organisation that set a display name (its branding, PRODUCT.md §12) carries
that name in the sender ("Acme Trust via WorkflowOS <noreply@…>") and in the footer; the address
stays ours. Plain text, so no logo or colour.
"""

from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

if TYPE_CHECKING:
    from .models import Organisation

log = logging.getLogger(__name__)


def brand_name_of(organisation: Organisation | None) -> str:
    """The display name an organisation set for its branding, on one line ("" when none)."""
    if organisation is None:
        return ""
    return " ".join((organisation.brand_name or "").split())[:100]


def sender_for(organisation: Organisation | None) -> str:
    """``DEFAULT_FROM_EMAIL``, with the organisation's display name in front when it set one."""
    brand = brand_name_of(organisation)
    if not brand:
        return str(settings.DEFAULT_FROM_EMAIL)
    name, address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))
    return formataddr((f"{brand} via {name or 'WorkflowOS'}", address))


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``emails/<template>.txt``; its first line is ``Subject: …``."""
    text = render_to_string(f"emails/{template}.txt", context).lstrip()
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"emails/{template}.txt must start with a Subject: line")
    # Headers must stay on one line whatever an organisation or a person is called.
    return " ".join(first.removeprefix("Subject:").split())[:200], body.strip() + "\n"


def email_after_commit(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Render now (the data is current), send once the transaction commits (a rolled-back
    change sends nothing). A mail outage is logged, never undoes the change. A context's
    ``organisation`` brands the sender and footer."""
    from .models import Organisation

    org = context.get("organisation")
    org = org if isinstance(org, Organisation) else None
    subject, body = render_email(
        template, {"base_url": settings.PUBLIC_URL, "brand_name": brand_name_of(org), **context}
    )
    sender = sender_for(org)

    def send() -> None:
        try:
            send_mail(subject, body, sender, [to])
        except Exception:
            log.exception("could not send %r to %s", subject, to)

    transaction.on_commit(send)
