"""Export a rubric as an OSCAL 1.1.2 catalog, so GRC tools can import the PSF.

Pure Python (no Django). One group per domain, one control per criterion. Identifiers and
uuids are derived from the rubric, so exporting the same rubric at the same ``generated`` time
gives byte-identical JSON.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from psf.rubric import EVIDENCE_TYPE_LABELS, Criterion, Domain, Rubric

OSCAL_VERSION = "1.1.2"
# Namespace for props and parts that are not part of core OSCAL.
NS = "https://workflowos.example/ns/oscal"
# Fixed for ever: changing it would change every exported uuid.
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, NS)

# Rubric mapping field → OSCAL prop name (OSCAL names are lowercase tokens with hyphens).
MAPPING_PROPS: dict[str, str] = {
    "eu_ai_act": "eu-ai-act",
    "nist_ai_rmf": "nist-ai-rmf",
    "iso_42001": "iso-iec-42001",
    "owasp_llm_2025": "owasp-llm-2025",
    "mitre_atlas": "mitre-atlas",
}


def rubric_to_oscal(rubric: Rubric, *, generated: datetime | None = None) -> dict[str, Any]:
    """Return the rubric as an OSCAL 1.1.2 catalog (a JSON-ready dict).

    ``generated`` becomes ``metadata.last-modified`` (now, in UTC, when not given); it must be
    timezone-aware. Everything else depends only on the rubric.
    """
    when = generated if generated is not None else datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("generated must be a timezone-aware datetime")
    content_hash = rubric.content_hash()
    publisher_uuid = _uuid(rubric, "party:publisher")

    metadata: dict[str, Any] = {
        "title": rubric.title,
        "published": f"{rubric.published.isoformat()}T00:00:00Z",
        "last-modified": _timestamp(when),
        "version": rubric.version,
        "oscal-version": OSCAL_VERSION,
        "props": [
            _prop("framework", rubric.framework),
            _prop("schema", rubric.schema_),
            _prop("content-hash", f"sha256:{content_hash}"),
            _prop("licence", rubric.licence),
        ],
        "links": [{"href": rubric.licence_url, "rel": "license", "text": rubric.licence}],
        "roles": [{"id": "publisher", "title": "Publisher"}],
        "parties": [{"uuid": publisher_uuid, "type": "organization", "name": rubric.publisher}],
        "responsible-parties": [{"role-id": "publisher", "party-uuids": [publisher_uuid]}],
        "remarks": f"{rubric.authored_note}\n\nAttribution: {rubric.attribution}\n\nCitation: {rubric.citation}",
    }
    catalog: dict[str, Any] = {
        # The catalog uuid follows the content: two different files claiming the same version
        # must not pass for the same OSCAL document.
        "uuid": _uuid(rubric, f"catalog:{content_hash}"),
        "metadata": metadata,
        "groups": [_group(rubric, d) for d in rubric.domains],
        "back-matter": {
            "resources": [
                {
                    "uuid": _uuid(rubric, "resource:source"),
                    "title": rubric.title,
                    "description": rubric.attribution,
                    "citation": {"text": rubric.citation},
                    "rlinks": [{"href": rubric.licence_url}],
                }
            ]
        },
    }
    return {"catalog": catalog}


def _group(rubric: Rubric, domain: Domain) -> dict[str, Any]:
    gid = _id(domain.code)
    props = [
        _core_prop("label", domain.code),
        _core_prop("sort-id", f"{_id(rubric.framework)}-{domain.number:02d}"),
    ]
    threshold = rubric.pass_rule.threshold_for(domain.code)
    if threshold > 0:
        props.append(_prop("pass-threshold", f"{threshold:.1f}"))
    props.extend(_prop("scope", s.code) for s in rubric.scopes if domain.code in s.domains)
    parts: list[dict[str, Any]] = [
        {"id": f"{gid}_ovw", "name": "overview", "prose": domain.principle},
        {"id": f"{gid}_smry", "name": "summary", "ns": NS, "prose": domain.summary},
    ]
    if domain.changes_in_version.strip():
        parts.append(
            {"id": f"{gid}_chg", "name": "changes-in-version", "ns": NS, "prose": domain.changes_in_version}
        )
    return {
        "id": gid,
        "class": "domain",
        "title": domain.name,
        "props": props,
        "parts": parts,
        "controls": [_control(rubric, domain, c) for c in domain.criteria],
    }


def _control(rubric: Rubric, domain: Domain, criterion: Criterion) -> dict[str, Any]:
    cid = _id(criterion.code)
    major, minor = criterion.code.rsplit("-", 1)[1].split(".")
    props = [
        _core_prop("label", criterion.code),
        _core_prop("sort-id", f"{_id(rubric.framework)}-{int(major):02d}.{int(minor):02d}"),
        _prop("map-observable", "true" if criterion.map_observable else "false"),
        _prop("authored", "true" if criterion.authored else "false"),
    ]
    props.extend(_prop("evidence-type", e) for e in criterion.evidence)
    props.extend(_prop("automated-check", check) for check in criterion.automated_checks)
    for field, name in MAPPING_PROPS.items():
        props.extend(_prop(name, ref) for ref in getattr(criterion.mappings, field))

    evidence = "; ".join(EVIDENCE_TYPE_LABELS[e] for e in criterion.evidence)
    levels = [
        {
            "id": f"{cid}_obj.level-{lv.score}",
            "name": "scoring-level",
            "ns": NS,
            "title": f"Level {lv.score}",
            "props": [_prop("score", str(lv.score))],
            "prose": lv.descriptor,
        }
        for lv in criterion.levels
    ]
    objective = {
        "id": f"{cid}_obj",
        "name": "assessment-objective",
        "prose": (
            f"Determine the extent to which the requirement of {criterion.code} is met, scored "
            f"{rubric.pass_rule.score_min}–{rubric.pass_rule.score_max} against the levels below. "
            f"Evidence the assessor expects: {evidence}."
        ),
        "parts": levels,
    }
    return {
        "id": cid,
        "class": "criterion",
        "title": criterion.title,
        "props": props,
        "parts": [
            {"id": f"{cid}_smt", "name": "statement", "prose": criterion.requirement},
            {"id": f"{cid}_gdn", "name": "guidance", "prose": criterion.guidance},
            objective,
        ],
    }


def _id(code: str) -> str:
    """``PSF-1.1`` → ``psf-1.1`` (OSCAL ids are conventionally lowercase)."""
    return code.lower()


def _uuid(rubric: Rubric, name: str) -> str:
    return uuid_for(rubric.key, name)


def uuid_for(key: str, name: str) -> str:
    """A stable uuid (v5) for ``name`` within the framework version ``key``."""
    return str(uuid.uuid5(UUID_NAMESPACE, f"{key}|{name}"))


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": value}


def _core_prop(name: str, value: str) -> dict[str, str]:
    # "label" and "sort-id" are defined by OSCAL itself, so they carry no namespace.
    return {"name": name, "value": value}


def _timestamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
