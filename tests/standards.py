"""The official schemas and sample files in ``../shared/standards/`` (see its README.md).

They live beside the repository, not in it: ``Path(repo) / ".." / "shared" / "standards"``
(``WORKFLOWOS_STANDARDS_DIR`` overrides it, e.g. for a worktree elsewhere). Tests that need them
skip, saying so, when the folder is absent.

The OSCAL schemas use ``\\p{L}``-style Unicode classes that Python's ``re`` lacks, so
:func:`schema_errors` checks patterns with the ``regex`` package.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regex

REPO = Path(__file__).resolve().parent.parent


def standards_dir() -> Path:
    override = os.environ.get("WORKFLOWOS_STANDARDS_DIR", "").strip()
    return Path(override) if override else REPO / ".." / "shared" / "standards"


def standards_file(*parts: str) -> Path:
    """A file under the standards folder, or skip the test when the folder is absent."""
    path = standards_dir().joinpath(*parts)
    if not path.is_file():
        pytest.skip(
            f"official standards file {path} is absent: clone the shared standards beside the "
            "repository (../shared/standards) or set WORKFLOWOS_STANDARDS_DIR"
        )
    return path


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _schema(relative: str) -> dict[str, Any]:
    return json.loads(standards_file(*relative.split("/")).read_text(encoding="utf-8"))


def standard_schema(relative: str) -> dict[str, Any]:
    return _schema(relative)


def schema_errors(relative: str, document: Any) -> list[str]:
    """Every error of ``document`` against the official schema, as ``/path: message`` lines."""
    schema = _schema(relative)
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})
    validator = cls(schema, format_checker=base.FORMAT_CHECKER)
    return [
        f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:200]}"
        for e in validator.iter_errors(document)
    ]
