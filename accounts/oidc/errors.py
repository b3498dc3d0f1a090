from __future__ import annotations

from lib.errors import DomainError


class SsoError(DomainError):
    """A single sign-on that was refused; ``message`` is what the sign-in page shows.

    ``email`` is the address the provider vouched for, when the refusal came after the identity
    token was verified (it is counted by the sign-in throttle and audited)."""

    def __init__(self, message: str, *, code: str, status: int = 400, email: str = "") -> None:
        super().__init__(message, status=status, code=code)
        self.email = email
