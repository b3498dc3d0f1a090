"""E-mails about a person's account and membership, sent after the change commits."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


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
    change sends nothing). A mail outage is logged, never undoes the change."""
    subject, body = render_email(template, {"base_url": settings.PUBLIC_URL, **context})

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
        except Exception:
            log.exception("could not send %r to %s", subject, to)

    transaction.on_commit(send)
