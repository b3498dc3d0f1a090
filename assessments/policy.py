"""The DSA programme's service levels and prices, read from ``data/policy.yaml`` (strictly validated)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

POLICY_PATH = Path(__file__).with_name("data") / "policy.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Track(_Strict):
    label: str = Field(min_length=1)
    acknowledge_days: int = Field(ge=1, le=30)
    review_days: int = Field(ge=1, le=60)
    target_days: int = Field(ge=1, le=120)
    surcharge_percent: int = Field(ge=0, le=500)


class Tracks(_Strict):
    standard: Track
    expedited: Track


class Policy(_Strict):
    schema_: Literal["workflowos.dsa-policy/v1"] = Field(alias="schema")
    tracks: Tracks
    reassessment_window_days: int = Field(ge=1, le=365)
    currency: str = Field(min_length=3, max_length=3)
    annual_price: dict[str, int | None]
    override_reason_min_length: int = Field(ge=1, le=1000)

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    def track(self, expedited: bool) -> Track:
        return self.tracks.expedited if expedited else self.tracks.standard

    def price(self, size_tier: str, expedited: bool) -> Decimal | None:
        """The annual price for a tier, with the expedited surcharge; None when it is quoted."""
        base = self.annual_price.get(size_tier)
        if base is None:
            return None
        surcharge = self.track(expedited).surcharge_percent
        return (Decimal(base) * (100 + surcharge) / 100).quantize(Decimal("0.01"))


@cache
def policy() -> Policy:
    """The programme policy, parsed once per process."""
    return Policy.model_validate(yaml.safe_load(POLICY_PATH.read_text(encoding="utf-8")))
