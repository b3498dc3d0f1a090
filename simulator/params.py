"""Parameters of a simulated run: tolerances (the steady-state hypothesis), traffic-mix overrides
and per-node / per-vendor overrides of the documented defaults. Validated by strict pydantic
models; every field is recorded in the report so that anyone can re-run it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lib.errors import DomainError, ErrorItem, pydantic_path
from simulator.catalogue import Domain

MAX_REQUESTS = 1_000_000

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Millis = Annotated[float, Field(ge=0.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Tolerances(_Strict):
    """The steady-state hypothesis a run is judged against. ``None`` leaves a check out."""

    max_escape_rate: Rate = 0.01
    min_availability: Rate = 0.995
    max_p99_latency_ms: Annotated[float, Field(gt=0.0)] | None = None
    max_false_positive_rate: Rate | None = None
    max_domain_escape_rate: dict[Domain, Rate] = Field(default_factory=dict)


class NodeOverride(_Strict):
    """Overrides for one node of the workflow, by node id (controls, model calls, reviewers)."""

    detection_rate: Rate | None = None
    detection: dict[str, Rate] = Field(default_factory=dict)
    false_positive_rate: Rate | None = None
    added_latency_ms: Millis | None = None
    availability: Rate | None = None
    latency_median_ms: Annotated[float, Field(gt=0.0)] | None = None
    latency_p99_ms: Annotated[float, Field(gt=0.0)] | None = None
    review_share: Rate | None = None
    review_minutes: Millis | None = None

    @model_validator(mode="after")
    def _p99_above_median(self) -> NodeOverride:
        if (
            self.latency_median_ms is not None
            and self.latency_p99_ms is not None
            and self.latency_p99_ms < self.latency_median_ms
        ):
            raise ValueError("latency_p99_ms must be at least latency_median_ms")
        return self


class VendorOverride(_Strict):
    availability: Rate | None = None
    latency_median_ms: Annotated[float, Field(gt=0.0)] | None = None
    latency_p99_ms: Annotated[float, Field(gt=0.0)] | None = None


class SimulationParams(_Strict):
    """Everything a run takes besides the workflow, N, the seed and the catalogue."""

    tolerances: Tolerances = Field(default_factory=Tolerances)
    scenario_weights: dict[str, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    node_overrides: dict[str, NodeOverride] = Field(default_factory=dict)
    vendor_overrides: dict[str, VendorOverride] = Field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def parse_params(data: Any) -> SimulationParams:
    """Validate parameters given as parsed JSON; raise DomainError with field paths."""
    if data is None:
        return SimulationParams()
    try:
        return SimulationParams.model_validate(data)
    except ValidationError as exc:
        items = [
            ErrorItem(pydantic_path(("params", *e["loc"])), e["msg"]) for e in exc.errors(include_url=False)
        ]
        raise DomainError("The simulation parameters are not valid.", items) from None


def check_request_count(n: Any) -> int:
    """N must be a whole number from 1 to MAX_REQUESTS; raise ValueError with a clear message."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"the number of requests must be a whole number, got {n!r}")
    if n < 1:
        raise ValueError(f"the number of requests must be at least 1, got {n}")
    if n > MAX_REQUESTS:
        raise ValueError(f"at most {MAX_REQUESTS:,} requests per run, got {n:,}")
    return n


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"the seed must be a whole number from 0 to 2**63 - 1, got {seed!r}")
    return seed
