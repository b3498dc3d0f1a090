"""Export a maturity framework (PAI-8) as an OSCAL 1.1.2 catalog, like the PSF's.

One control per PAI-8 control (C1–C8), one sub-control per checkpoint; the L0–L3 descriptors are
the assessment objective's parts; the authored crosswalk to PSF domains and the "authored" flags
are props. Deterministic: the same framework and ``generated`` time give byte-identical JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psf.maturity import Checkpoint, Control, MaturityFramework
from psf.oscal import NS, OSCAL_VERSION, _core_prop, _id, _prop, _timestamp, uuid_for


def maturity_to_oscal(fw: MaturityFramework, *, generated: datetime | None = None) -> dict[str, Any]:
    when = generated if generated is not None else datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("generated must be a timezone-aware datetime")
    digest = fw.content_hash()
    publisher = uuid_for(fw.key, "party:publisher")
    rule = fw.posture_rule
    metadata: dict[str, Any] = {
        "title": fw.title,
        "published": f"{fw.published.isoformat()}T00:00:00Z",
        "last-modified": _timestamp(when),
        "version": fw.version,
        "oscal-version": OSCAL_VERSION,
        "props": [
            _prop("framework", fw.framework),
            _prop("schema", fw.schema_),
            _prop("content-hash", f"sha256:{digest}"),
            _prop("posture-rule", f"{rule.control_level}; {rule.posture}"),
        ],
        "links": [{"href": fw.licence_url, "rel": "reference", "text": fw.licence}],
        "roles": [{"id": "publisher", "title": "Publisher"}],
        "parties": [{"uuid": publisher, "type": "organization", "name": fw.publisher}],
        "responsible-parties": [{"role-id": "publisher", "party-uuids": [publisher]}],
        "remarks": (
            f"{fw.authored_note}\n\nPosture rule (authored): {rule.description}\n\n"
            f"Crosswalk to PSF domains (authored): {fw.crosswalk.note}\n\nCitation: {fw.citation}"
        ),
    }
    return {
        "catalog": {
            "uuid": uuid_for(fw.key, f"catalog:{digest}"),
            "metadata": metadata,
            "controls": [_control(fw, c) for c in fw.controls],
            "back-matter": {
                "resources": [
                    {
                        "uuid": uuid_for(fw.key, "resource:source"),
                        "title": fw.title,
                        "description": fw.attribution,
                        "citation": {"text": fw.citation},
                        "rlinks": [{"href": fw.licence_url}],
                    }
                ]
            },
        }
    }


def _control(fw: MaturityFramework, control: Control) -> dict[str, Any]:
    cid = f"pai8-{_id(control.code)}"
    props = [
        _core_prop("label", control.code),
        _core_prop("sort-id", f"pai8-{control.number:02d}"),
    ]
    props.extend(_prop("psf-domain", code) for code in control.psf_domains)
    levels = [
        {
            "id": f"{cid}_obj.l{lv.level}",
            "name": "maturity-level",
            "ns": NS,
            "title": f"L{lv.level} {fw.level_name(lv.level)}",
            "props": [_prop("level", str(lv.level))],
            "prose": lv.descriptor,
        }
        for lv in control.levels
    ]
    return {
        "id": cid,
        "class": "control",
        "title": control.name,
        "props": props,
        "parts": [
            {"id": f"{cid}_smt", "name": "statement", "prose": control.intent},
            {
                "id": f"{cid}_obj",
                "name": "assessment-objective",
                "prose": (
                    f"Determine the maturity level (L0–L3) of {control.code}: each checkpoint is rated; "
                    f"the control's level follows the posture rule ({fw.posture_rule.control_level})."
                ),
                "parts": levels,
            },
        ],
        "controls": [_checkpoint(cid, p) for p in control.checkpoints],
    }


def _checkpoint(parent: str, checkpoint: Checkpoint) -> dict[str, Any]:
    pid = f"pai8-{_id(checkpoint.code)}"
    props = [
        _core_prop("label", checkpoint.code),
        _prop("authored", "true" if checkpoint.authored else "false"),
    ]
    props.extend(_prop("proposed-evidence", p) for p in checkpoint.proposes)
    return {
        "id": pid,
        "class": "checkpoint",
        "title": checkpoint.text.rstrip("."),
        "props": props,
        "parts": [{"id": f"{pid}_smt", "name": "statement", "prose": checkpoint.text}],
    }
