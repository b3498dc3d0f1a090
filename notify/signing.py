"""Standard Webhooks signatures (https://www.standardwebhooks.com, symmetric ``v1``).

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}`` under HMAC-SHA256 with the
subscription's secret (``whsec_`` + base64 of 32 random bytes); the ``standardwebhooks`` library
does the signing, so our headers are exactly what its verifiers (in every language) expect.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix the spec gives secrets, not a secret
SECRET_BYTES = 32  # the spec asks for 24 to 64


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def message_id_new() -> str:
    # No "." in it: the id is one of the dot-separated parts of the signed content.
    return "msg_" + secrets.token_urlsafe(18)


def signed_headers(*, secret: str, msg_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt (the timestamp is the attempt's)."""
    at = at or datetime.now(UTC)
    timestamp = int(at.timestamp())
    signature = Webhook(secret).sign(
        msg_id=msg_id, timestamp=datetime.fromtimestamp(timestamp, UTC), data=body
    )
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}
