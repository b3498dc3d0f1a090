"""Acme AI objects the access matrix refers to. Later features add theirs here."""

from __future__ import annotations

from typing import Any


def build_acme_objects(personas: Any) -> dict[str, Any]:
    return {}
