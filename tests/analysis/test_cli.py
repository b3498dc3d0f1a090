"""``workflowos analyze``: formats, exit statuses, error lines without tracebacks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.analysis.helpers import FIXTURES, fixture_rubric_data
from workflowos.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD = str(FIXTURES / "rag_assistant_controlled.json")
BAD = str(FIXTURES / "rag_assistant_bare.json")


def test_text_report_of_a_passing_workflow(capsys):
    assert main(["analyze", GOOD]) == 0
    out = capsys.readouterr().out
    assert "RAG assistant (controlled)" in out
    assert "PSF-1 Input Governance" in out and "PASS" in out
    assert "Failing findings" not in out
    assert (
        "Needs evidence (not visible on a map): PSF-3.4, PSF-3.5, PSF-6.5, PSF-7.5, PSF-8.4, PSF-8.5" in out
    )


def test_text_report_of_a_failing_workflow_names_fixes(capsys):
    assert main(["analyze", BAD]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "Why it fails:" in out
    assert "[critical] PSF-1-R01 missing" in out
    assert "fix:   Add a prompt-injection filter" in out
    assert "user → llm" in out


def test_json_format(capsys):
    assert main(["analyze", BAD, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "workflowos.analysis/v1"
    assert data["passed"] is False
    assert {f["rule_id"] for f in data["findings"]} >= {"PSF-1-R01", "PSF-8-R08"}


def test_sarif_format_to_a_file(tmp_path, capsys):
    out = tmp_path / "psf.sarif"
    assert main(["analyze", BAD, "--format", "sarif", "--output", str(out)]) == 1
    assert capsys.readouterr().out == ""
    log = json.loads(out.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    assert log["runs"][0]["results"]


def test_fail_under(capsys):
    assert main(["analyze", GOOD, "--fail-under", "3.5"]) == 0
    assert main(["analyze", GOOD, "--fail-under", "4.5"]) == 1
    assert "below --fail-under 4.5" in capsys.readouterr().out
    assert main(["analyze", GOOD, "--fail-under", "7"]) == 2
    assert "between 0 and 5" in capsys.readouterr().err


def test_custom_rubric_and_rules(tmp_path, capsys):
    rubric_file = tmp_path / "rubric.yaml"
    rubric_file.write_text(yaml.safe_dump(fixture_rubric_data(), allow_unicode=True), encoding="utf-8")
    assert main(["analyze", GOOD, "--rubric", str(rubric_file)]) == 0
    assert "PSF v1.1" in capsys.readouterr().out
    rules = yaml.safe_load((ROOT / "analysis/rules/psf-v1.1.yaml").read_text(encoding="utf-8"))
    rules["rules"] = [r for r in rules["rules"] if r["domain"] == "PSF-1"]
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rules), encoding="utf-8")
    assert main(["analyze", GOOD, "--rules", str(rules_file), "--format", "json"]) == 1  # PSF-2..8 unscored
    data = json.loads(capsys.readouterr().out)
    assert {f["domain"] for f in data["findings"]} == {"PSF-1"}
    assert "PSF-2 has no score" in data["reasons"]


def invalid(capsys, *argv: str) -> list[str]:
    assert main(["analyze", *argv]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err.splitlines()


def test_missing_file(capsys, tmp_path):
    lines = invalid(capsys, str(tmp_path / "nope.json"))
    assert lines[0].startswith("workflowos analyze: ") and "nope.json" in lines[0]
    assert "cannot read file" in lines[1]


def test_bad_json(capsys, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"name": "x",', encoding="utf-8")
    lines = invalid(capsys, str(path))
    assert any("not valid JSON" in line for line in lines)


def test_invalid_document_lists_paths(capsys, tmp_path):
    path = tmp_path / "wf.json"
    doc = {
        "name": "x",
        "nodes": [
            {"id": "a", "type": "llm_cal", "label": "A"},
            {"id": "b", "type": "tracing", "label": "B", "config": {"retention_days": "30"}},
        ],
        "edges": [{"from": "a", "to": "zz"}],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    lines = invalid(capsys, str(path))
    assert "nodes[0].type: unknown node type 'llm_cal'" in lines
    assert any(line.startswith("nodes[1].config.retention_days: ") for line in lines)
    assert "edges[0].to: no node with id 'zz'" in lines


def test_invalid_rubric_and_rules(capsys, tmp_path):
    rubric_file = tmp_path / "rubric.yaml"
    rubric_file.write_text("schema: workflowos.rubric/v1\nframework: PSF\n", encoding="utf-8")
    lines = invalid(capsys, GOOD, "--rubric", str(rubric_file))
    assert "rubric.yaml" in lines[0]
    assert any(line.startswith("version: ") for line in lines)
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(
        "schema: workflowos.rules/v1\nframework: PSF\nversion: '1.1'\nrevision: 1\nrules: [{id: X}]\n",
        encoding="utf-8",
    )
    lines = invalid(capsys, GOOD, "--rules", str(rules_file))
    assert any(line.startswith("rules[0].id: ") for line in lines)


def test_console_entry_point_in_a_subprocess():
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "workflowos.cli", "analyze", BAD, "--format", "sarif"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["runs"][0]["results"]
