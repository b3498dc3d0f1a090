"""Writes for the rubric: loading a version (idempotent, all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction

from core.audit import audit_event_append
from lib.errors import DomainError, ErrorItem

from .maturity import SCHEMA as MATURITY_SCHEMA
from .maturity import MaturityFramework, parse_maturity
from .models import RubricVersion
from .rubric import Rubric, load_rubric_file, load_rubric_text
from .selectors import rubric_version_references

Framework = Rubric | MaturityFramework


def load_framework_file(path: Path | str) -> Framework:
    """Load and validate a framework file: a PSF-style rubric or a maturity framework (PAI-8),
    told apart by its ``schema`` line. Raises DomainError with one line per problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DomainError(f"Cannot read {p}: {exc}", [ErrorItem("", f"cannot read file: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return load_rubric_text(text)  # reports the YAML error the same way for both kinds
    if isinstance(data, dict) and data.get("schema") == MATURITY_SCHEMA:
        return parse_maturity(data)
    return load_rubric_file(p)


@dataclass(frozen=True)
class LoadOutcome:
    version: RubricVersion
    action: str  # "created" | "unchanged" | "updated"


def rubric_load(*, path: Path | str, make_current: bool = True, actor_email: str = "") -> LoadOutcome:
    """Validate a framework file (the PSF rubric or PAI-8) and store it as a version.

    Loading the same content twice changes nothing. Changing the content of a version that an
    assessment or trust mark refers to is refused: publish it as a new version instead.
    Raises DomainError (with one line per problem) on an invalid file; nothing is half-loaded.
    """
    rubric = load_framework_file(path)
    return rubric_store(rubric=rubric, source=str(path), make_current=make_current, actor_email=actor_email)


def rubric_store(
    *, rubric: Framework, source: str = "", make_current: bool = True, actor_email: str = ""
) -> LoadOutcome:
    data = rubric.to_data()
    digest = rubric.content_hash()
    with transaction.atomic():
        existing = (
            RubricVersion.objects.select_for_update()
            .filter(framework=rubric.framework, version=rubric.version)
            .first()
        )
        if existing is not None and existing.content_hash == digest:
            action = "unchanged"
            rv = existing
        elif existing is not None:
            refs = rubric_version_references(version=existing)
            if refs:
                raise DomainError(
                    f"{existing.key} is referenced by {refs} and cannot be changed in place; publish the change as a new version.",
                    code="immutable",
                    status=409,
                )
            existing.data, existing.content_hash, existing.title, existing.source = (
                data,
                digest,
                rubric.title,
                source,
            )
            existing.save(update_fields=["data", "content_hash", "title", "source"])
            rv, action = existing, "updated"
        else:
            rv = RubricVersion.objects.create(
                framework=rubric.framework,
                version=rubric.version,
                title=rubric.title,
                data=data,
                content_hash=digest,
                source=source,
            )
            action = "created"
        if make_current and not rv.is_current:
            RubricVersion.objects.filter(framework=rv.framework, is_current=True).exclude(pk=rv.pk).update(
                is_current=False
            )
            rv.is_current = True
            rv.save(update_fields=["is_current"])
        if action != "unchanged":
            audit_event_append(
                action=f"rubric.{action}",
                object_type="rubric",
                object_id=rv.key,
                actor_email=actor_email,
                data={"content_hash": digest},
            )
    return LoadOutcome(rv, action)
