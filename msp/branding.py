"""Writes of an organisation's branding (what the Branding page saves), audited."""

from __future__ import annotations

import hashlib

from django.db import transaction

from accounts.models import Organisation, User
from core.audit import audit_event_append


def organisation_branding_update(
    *,
    organisation: Organisation,
    actor: User,
    brand_name: str,
    brand_colour: str,
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
) -> list[str]:
    """Save the branding (values already checked by the form: ``accounts.branding``'s rules) and
    audit what changed; returns the names of the changed fields (empty: nothing changed)."""
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        changed: dict[str, object] = {}
        if org.brand_name != brand_name:
            changed["brand_name"] = {"from": org.brand_name, "to": brand_name}
            org.brand_name = brand_name
        if org.brand_colour != brand_colour:
            changed["brand_colour"] = {"from": org.brand_colour, "to": brand_colour}
            org.brand_colour = brand_colour
        if logo is not None:
            data, mime = logo
            # The audit log keeps the logo's fingerprint, not the image.
            changed["brand_logo"] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "type": mime,
            }
            org.brand_logo = data
            org.brand_logo_type = mime
        elif remove_logo and org.brand_logo:
            changed["brand_logo"] = {"removed": True}
            org.brand_logo = None
            org.brand_logo_type = ""
        if not changed:
            return []
        org.save(update_fields=["brand_name", "brand_colour", "brand_logo", "brand_logo_type"])
        audit_event_append(
            action="organisation.branding_changed",
            object_type="organisation",
            object_id=org.pk,
            actor_email=actor.email,
            organisation_id=org.pk,
            data=changed,
        )
    # The caller's instance shows the new branding too.
    organisation.brand_name, organisation.brand_colour = org.brand_name, org.brand_colour
    organisation.brand_logo, organisation.brand_logo_type = org.brand_logo, org.brand_logo_type
    return sorted(changed)
