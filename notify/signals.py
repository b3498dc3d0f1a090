"""The one hook into trust marks: every ``TrustMarkEvent`` (issuance and each status change, from
``trustmarks.services``) is fanned out to subscribers once its transaction commits.

Only a task is queued here (``robust``: a broker outage never undoes or breaks the change itself);
the work is in ``notify.services.event_fanout``, and the beat sweep catches any event whose task
was lost.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from trustmarks.models import TrustMarkEvent


@receiver(post_save, sender=TrustMarkEvent, dispatch_uid="notify.trust_mark_event")
def trust_mark_event_saved(sender: Any, instance: TrustMarkEvent, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    from .tasks import enqueue_fanout

    transaction.on_commit(partial(enqueue_fanout, instance.pk), robust=True)
