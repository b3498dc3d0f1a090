"""Re-sign trust-mark credentials issued before Open Badges 3.0 conformance.

Such credentials name two one-bit status lists, carry a bare-thumbprint ``kid`` and a ``jti``;
they keep verifying, but fail the OB 3.0 schema and strict JSON-LD processing. Re-signing keeps
the credential's id, validity period and status index, so nothing a holder or relying party sees
changes except the token (and the badges that bake it).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from trustmarks import tlog
from trustmarks.credentials import is_outdated
from trustmarks.models import TrustMark


def credentials_resign(*, everything: bool = False) -> int:
    """Re-sign every outdated credential (every credential with ``everything``); how many."""
    from trustmarks.services import _forget_answer, _sign_credential, status_list_publish

    count = 0
    for pk in TrustMark.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            mark = TrustMark.objects.select_for_update().select_related("rubric_version").get(pk=pk)
            if not everything and not is_outdated(mark.credential_jwt):
                continue
            mark.credential_jwt, mark.credential_kid = _sign_credential(mark)
            mark.updated = timezone.now()  # the badges (cached by this) bake the new credential
            mark.save(update_fields=["credential_jwt", "credential_kid", "updated"])
            tlog.append_for_mark(mark, kind="reissued")  # the log vouches for the new credential
            _forget_answer(mark)
            count += 1
    if count:
        status_list_publish(purpose="message")
    return count
