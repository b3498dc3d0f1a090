"""Standard Webhooks signatures: the library's reference vector, and our headers checked with an
independent HMAC computation and with the reference verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from notify.signing import SECRET_PREFIX, message_id_new, secret_new, signed_headers


def independent_signature(secret: str, msg_id: str, timestamp: str, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_reference_vector_of_the_standard_webhooks_libraries():
    # From standard-webhooks/libraries/python/tests/test_webhooks.py (test_sign_function).
    headers = signed_headers(
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        body='{"test": 2432232314}',
        at=datetime.fromtimestamp(1614265330, UTC),
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_secret_and_id_formats():
    secret = secret_new()
    assert secret.startswith(SECRET_PREFIX)
    assert 24 <= len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) <= 64
    assert secret != secret_new()
    msg_id = message_id_new()
    assert msg_id.startswith("msg_") and "." not in msg_id


def test_headers_verify_independently_and_with_the_reference_verifier():
    secret, msg_id = secret_new(), message_id_new()
    body = '{"type":"trustmark.revoked","data":{"id":"TM-00142","company":"Ünïcode Co"}}'
    headers = signed_headers(secret=secret, msg_id=msg_id, body=body)
    assert headers["webhook-signature"] == independent_signature(
        secret, msg_id, headers["webhook-timestamp"], body
    )
    assert Webhook(secret).verify(body, headers)["data"]["id"] == "TM-00142"
