"""The official schemas in ``../shared/standards/``, for conformance tests.

The OSCAL schemas use ``\\p{L}``-style Unicode classes that Python's ``re`` lacks, so patterns are
checked with the ``regex`` package (same syntax as the schema's XML Schema heritage)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regex

STANDARDS = Path(__file__).resolve().parents[1].parent / "shared" / "standards"


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def standard_schema(relative: str) -> dict[str, Any]:
    path = STANDARDS / relative
    if not path.exists():
        pytest.skip(f"the official schema {relative} is not in {STANDARDS}")
    return json.loads(path.read_text(encoding="utf-8"))


def schema_errors(relative: str, document: Any) -> list[str]:
    """Every error of ``document`` against the official schema, as ``path: message`` lines."""
    schema = standard_schema(relative)
    base = jsonschema.validators.validator_for(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})
    validator = cls(schema, format_checker=base.FORMAT_CHECKER)
    return [
        f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:200]}"
        for e in validator.iter_errors(document)
    ]
