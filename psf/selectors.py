"""Reads for the rubric."""

from __future__ import annotations

from functools import lru_cache

from .maturity import MaturityFramework, parse_maturity
from .models import RubricVersion
from .rubric import Rubric, parse_rubric


def rubric_version_references(*, version: RubricVersion) -> str:
    """A human description of what refers to this version ('' when nothing does)."""
    parts = []
    for rel in RubricVersion._meta.related_objects:
        accessor = rel.get_accessor_name()
        if accessor is None or isinstance(rel.related_model, str):
            continue
        count = getattr(version, accessor).count()
        if count:
            parts.append(f"{count} {rel.related_model._meta.verbose_name_plural}")
    return ", ".join(parts)


def rubric_version_current(*, framework: str = "PSF") -> RubricVersion | None:
    return RubricVersion.objects.filter(framework=framework, is_current=True).first()


def rubric_version_get(*, framework: str = "PSF", version: str | None = None) -> RubricVersion | None:
    if version is None:
        return rubric_version_current(framework=framework)
    return RubricVersion.objects.filter(framework=framework, version=version).first()


@lru_cache(maxsize=16)
def _parse_cached(content_hash: str, data_json: str) -> Rubric:
    import json

    return parse_rubric(json.loads(data_json))


def rubric_of(version: RubricVersion) -> Rubric:
    """The typed rubric of a stored version (parsed once per content hash per process)."""
    import json

    return _parse_cached(version.content_hash, json.dumps(version.data))


PAI8 = "PAI-8"


@lru_cache(maxsize=8)
def _parse_maturity_cached(content_hash: str, data_json: str) -> MaturityFramework:
    import json

    return parse_maturity(json.loads(data_json))


def maturity_of(version: RubricVersion) -> MaturityFramework:
    """The typed maturity framework (PAI-8) of a stored version (parsed once per content hash)."""
    import json

    return _parse_maturity_cached(version.content_hash, json.dumps(version.data))


def pai8_version_get(*, version: str | None = None) -> RubricVersion | None:
    """The current PAI-8 version, or the named one."""
    return rubric_version_get(framework=PAI8, version=version)
