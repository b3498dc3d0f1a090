import json

import pytest

from lib.canonical import canonical_json
from tests.simulator.workflows import chain, node
from workflowos.cli import main


@pytest.fixture
def workflow_file(tmp_path):
    wf = chain(
        node("user", "user_input"),
        node("inject", "injection_filter"),
        node("llm", "llm_call", vendor="openai", timeout_ms=8_000),
        node("check", "output_validator"),
        node("out", "response"),
        extra_nodes=(node("backup", "llm_call", vendor="anthropic"),),
        extra_edges=(("llm", "backup", "fallback"), ("backup", "check")),
    )
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(wf.to_data()))
    return path


def test_pass_exits_0_and_prints_json(workflow_file, capsys):
    code = main(
        [
            "simulate",
            str(workflow_file),
            "--runs",
            "3000",
            "--seed",
            "4",
            "--format",
            "json",
            "--max-escape-rate",
            "0.5",
            "--min-availability",
            "0.9",
        ]
    )
    out = capsys.readouterr().out
    data = json.loads(out)
    assert code == 0
    assert data["verdict"]["pass"] is True
    assert out == canonical_json(data) + "\n"
    assert data["params"]["seed"] == 4 and data["params"]["n"] == 3000


def test_fail_exits_1_with_a_text_report(workflow_file, capsys):
    code = main(["simulate", str(workflow_file), "--runs", "3000", "--max-escape-rate", "0"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Verdict: FAIL" in out and "escape_rate" in out


def test_same_command_gives_the_same_bytes(workflow_file, capsys):
    args = ["simulate", str(workflow_file), "--runs", "2500", "--seed", "11", "--format", "json"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first


def test_journal_is_written(workflow_file, tmp_path, capsys):
    journal = tmp_path / "journal.jsonl"
    main(
        [
            "simulate",
            str(workflow_file),
            "--runs",
            "1200",
            "--journal",
            str(journal),
            "--max-escape-rate",
            "1",
        ]
    )
    lines = journal.read_text().splitlines()
    assert len(lines) == 1200
    assert json.loads(lines[0])["index"] == 0


def test_params_file_is_applied(workflow_file, tmp_path, capsys):
    params = tmp_path / "params.json"
    params.write_text(
        json.dumps(
            {
                "tolerances": {"max_escape_rate": 1.0, "min_availability": 0.0, "max_p99_latency_ms": 1e9},
                "scenario_weights": {"benign": 1.0},
            }
        )
    )
    code = main(
        ["simulate", str(workflow_file), "--runs", "1000", "--params", str(params), "--format", "json"]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [c["check"] for c in data["verdict"]["checks"]] == [
        "escape_rate",
        "availability",
        "p99_latency_ms",
    ]


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        ("{not json", [], "not valid JSON"),
        (
            json.dumps({"name": "x", "nodes": [{"id": "a", "type": "nope", "label": "A"}]}),
            [],
            "nodes[0].type: unknown node type 'nope'",
        ),
        (None, ["--runs", "1000001"], "--runs: at most 1,000,000 requests per run"),
        (None, ["--runs", "0"], "--runs: the number of requests must be at least 1"),
        (None, ["--seed", "-3"], "--seed:"),
        (None, ["--max-escape-rate", "2"], "params.tolerances.max_escape_rate:"),
    ],
)
def test_invalid_input_exits_2_with_one_line_per_problem(workflow_file, capsys, content, args, expected):
    if content is not None:
        workflow_file.write_text(content)
    code = main(["simulate", str(workflow_file), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert all(line.strip() for line in err.strip().splitlines())
    assert len(err.strip().splitlines()) == 1


def test_missing_file_exits_2(tmp_path, capsys):
    code = main(["simulate", str(tmp_path / "absent.json")])
    assert code == 2
    assert "absent.json: cannot read" in capsys.readouterr().err
