"""SARIF 2.1.0 output.

No copy of the official SARIF 2.1.0 JSON schema is installed in this environment, so the test
validates against the subset of it that our output uses: the definitions below are transcribed
from the OASIS schema (sarif-schema-2.1.0.json, same names, required fields, enums, minimums
and ``additionalProperties: false``), plus checks the schema states only in prose.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

import jsonschema

from analysis.engine import analyse
from analysis.ruleset import default_rules
from analysis.sarif import json_positions, to_sarif
from tests.analysis.helpers import FIXTURES, load_fixture, rubric

BAG = {"$ref": "#/definitions/propertyBag"}
MSG = {"$ref": "#/definitions/message"}
MMS = {"$ref": "#/definitions/multiformatMessageString"}


def _obj(properties: dict, required: tuple[str, ...] = (), **extra: object) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": list(required),
        **extra,
    }


SARIF_SUBSET = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {"$ref": "#/definitions/run"}},
        "properties": BAG,
    },
    "definitions": {
        "propertyBag": {
            "type": "object",
            "additionalProperties": True,
            "properties": {"tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}},
        },
        "message": _obj(
            {
                "text": {"type": "string"},
                "markdown": {"type": "string"},
                "id": {"type": "string"},
                "properties": BAG,
            },
            anyOf=[{"required": ["text"]}, {"required": ["id"]}],
        ),
        "multiformatMessageString": _obj(
            {"text": {"type": "string"}, "markdown": {"type": "string"}, "properties": BAG}, ("text",)
        ),
        "run": _obj(
            {
                "tool": {"$ref": "#/definitions/tool"},
                "artifacts": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/artifact"},
                },
                "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "properties": BAG,
            },
            ("tool",),
        ),
        "tool": _obj({"driver": {"$ref": "#/definitions/toolComponent"}, "properties": BAG}, ("driver",)),
        "toolComponent": _obj(
            {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "informationUri": {"type": "string"},
                "rules": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/reportingDescriptor"},
                },
                "properties": BAG,
            },
            ("name",),
        ),
        "reportingDescriptor": _obj(
            {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": MMS,
                "fullDescription": MMS,
                "help": MMS,
                "helpUri": {"type": "string"},
                "defaultConfiguration": {"$ref": "#/definitions/reportingConfiguration"},
                "properties": BAG,
            },
            ("id",),
        ),
        "reportingConfiguration": _obj(
            {
                "enabled": {"type": "boolean"},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "rank": {"type": "number", "minimum": -1, "maximum": 100},
                "properties": BAG,
            }
        ),
        "artifact": _obj(
            {
                "location": {"$ref": "#/definitions/artifactLocation"},
                "mimeType": {"type": "string", "pattern": "[^/]+/.+"},
                "properties": BAG,
            }
        ),
        "artifactLocation": _obj(
            {
                "uri": {"type": "string"},
                "uriBaseId": {"type": "string"},
                "index": {"type": "integer", "minimum": -1},
                "properties": BAG,
            }
        ),
        "result": _obj(
            {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": MSG,
                "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}},
                "relatedLocations": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/location"},
                },
                "codeFlows": {"type": "array", "items": {"$ref": "#/definitions/codeFlow"}},
                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                "properties": BAG,
            },
            ("message",),
        ),
        "location": _obj(
            {
                "id": {"type": "integer", "minimum": -1},
                "physicalLocation": {"$ref": "#/definitions/physicalLocation"},
                "logicalLocations": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/logicalLocation"},
                },
                "message": MSG,
                "properties": BAG,
            }
        ),
        "physicalLocation": _obj(
            {
                "artifactLocation": {"$ref": "#/definitions/artifactLocation"},
                "region": {"$ref": "#/definitions/region"},
                "properties": BAG,
            },
            anyOf=[{"required": ["address"]}, {"required": ["artifactLocation"]}],
        ),
        "region": _obj(
            {
                "startLine": {"type": "integer", "minimum": 1},
                "startColumn": {"type": "integer", "minimum": 1},
                "endLine": {"type": "integer", "minimum": 1},
                "endColumn": {"type": "integer", "minimum": 1},
                "properties": BAG,
            }
        ),
        "logicalLocation": _obj(
            {
                "name": {"type": "string"},
                "index": {"type": "integer", "minimum": -1},
                "fullyQualifiedName": {"type": "string"},
                "kind": {"type": "string"},
                "properties": BAG,
            }
        ),
        "codeFlow": _obj(
            {
                "message": MSG,
                "threadFlows": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/definitions/threadFlow"},
                },
                "properties": BAG,
            },
            ("threadFlows",),
        ),
        "threadFlow": _obj(
            {
                "id": {"type": "string"},
                "message": MSG,
                "locations": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/definitions/threadFlowLocation"},
                },
                "properties": BAG,
            },
            ("locations",),
        ),
        "threadFlowLocation": _obj(
            {
                "index": {"type": "integer", "minimum": -1},
                "location": {"$ref": "#/definitions/location"},
                "properties": BAG,
            }
        ),
    },
}


def sarif_for(name: str, uri: str | None = None) -> tuple[dict, str]:
    text = (FIXTURES / f"{name}.json").read_text(encoding="utf-8")
    doc = load_fixture(name)
    result = analyse(doc, rubric())
    labels = {n.id: n.label for n in doc.nodes}
    return to_sarif(result, default_rules(), uri or f"workflows/{name}.json", text, labels), text


def test_sarif_is_valid_against_the_schema_subset():
    validator = jsonschema.Draft7Validator(SARIF_SUBSET)
    for name in ("rag_assistant_bare", "claims_intake_partial", "rag_assistant_controlled", "etl_no_model"):
        log, _ = sarif_for(name)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_validator_rejects_what_sarif_forbids():
    validator = jsonschema.Draft7Validator(SARIF_SUBSET)
    log, _ = sarif_for("rag_assistant_bare")
    log["runs"][0]["results"][0]["level"] = "critical"
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    log["runs"][0]["tool"]["driver"]["rules"][0]["colour"] = "red"
    assert len(list(validator.iter_errors(log))) == 3


def test_rules_metadata_and_results():
    log, _ = sarif_for("claims_intake_partial")
    run = log["runs"][0]
    assert log["version"] == "2.1.0"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        f.rule_id for f in analyse(load_fixture("claims_intake_partial"), rubric()).findings
    ]
    first = rules[0]
    assert first["id"] == "PSF-1-R01"
    assert first["properties"]["domain"] == "PSF-1" and first["properties"]["criterion"] == "PSF-1.1"
    assert first["properties"]["severity"] == "critical" and first["defaultConfiguration"]["level"] == "error"
    assert urlparse(first["helpUri"]).scheme == "https" and first["helpUri"].endswith("/psf/PSF-1/#PSF-1.1")
    assert first["shortDescription"]["text"] and first["fullDescription"]["text"]
    result = analyse(load_fixture("claims_intake_partial"), rubric())
    failing = [f for f in result.findings if f.failing]
    assert [r["ruleId"] for r in run["results"]] == [f.rule_id for f in failing]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert (
            r["level"]
            == {"critical": "error", "high": "error", "medium": "warning", "low": "note"}[
                r["properties"]["severity"]
            ]
        )
    assert run["properties"]["passed"] is False
    assert run["properties"]["domainScores"]["PSF-6"] == result.domain("PSF-6").score


def test_locations_point_at_the_step_in_the_file():
    log, text = sarif_for("claims_intake_partial")
    data = json.loads(text)
    lines = text.splitlines()
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "PSF-1-R01")
    loc = result["locations"][0]
    pointer = loc["properties"]["jsonPointer"]
    index = int(pointer.rsplit("/", 1)[1])
    assert data["nodes"][index]["id"] == loc["logicalLocations"][0]["name"] == "llm"
    region = loc["physicalLocation"]["region"]
    assert lines[region["startLine"] - 1][region["startColumn"] - 1] == "{"
    # the step's id is on the next line of the pretty-printed file
    assert f'"id": "{data["nodes"][index]["id"]}"' in lines[region["startLine"]]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "workflows/claims_intake_partial.json"
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [f["location"]["logicalLocations"][0]["name"] for f in flow] == ["mail", "llm"]


def test_json_positions_on_compact_and_tricky_text():
    text = '{"edges":[{"from":"a","to":"b"}],"name":"x [y] {z}","nodes":[{"id":"a","label":"q\\"]"},\n  {"id":"b"}]}'
    positions = json_positions(text)
    assert positions["/nodes/0"] == (1, text.index('{"id":"a"') + 1)
    assert positions["/nodes/1"] == (2, 3)
    assert positions["/edges/0"] == (1, 11)


def test_a_finding_without_steps_points_at_the_file():
    log, _ = sarif_for("rag_assistant_bare")
    result = next(
        r for r in log["runs"][0]["results"] if r["ruleId"] == "PSF-4-R05"
    )  # no alerting step at all
    loc = result["locations"][0]
    assert loc["properties"]["jsonPointer"] == ""
    assert loc["physicalLocation"]["region"] == {"startLine": 1}
    assert "logicalLocations" not in loc
