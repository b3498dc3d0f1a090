"""The one domain exception type of WorkflowOS.

Services raise it; the edges turn it into a form error, a JSON error with field paths
(the API) or a one-line CLI message with an exit status.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ErrorItem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class DomainError(Exception):
    """A refusal the user can act on: a message, optional per-field errors and an HTTP status."""

    message: str
    errors: list[ErrorItem] = field(default_factory=list)
    status: int = 400
    code: str = "invalid"
    retry_after: int | None = None  # seconds, for a 429 or 503 the client may retry (Retry-After)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def lines(self) -> list[str]:
        return [str(e) for e in self.errors] or [self.message]


def pydantic_path(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as ``nodes[3].config.model_version``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
