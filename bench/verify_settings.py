"""Bench-only settings: the product's settings plus one bare JSON view to compare against."""

from __future__ import annotations

from workflowos.settings import *  # noqa: F403

ROOT_URLCONF = "bench.verify_urls"
