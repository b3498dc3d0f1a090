from __future__ import annotations

import gzip
import random
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from lib.keys import KeyRing, b64url_encode
from trustmarks import statuslist as sl

from .helpers import ISSUER, REVOCATION_URL

# The example encodedList of the W3C Bitstring Status List v1.0 spec: 131,072 zero bits.
W3C_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_the_spec_example_decodes_to_an_empty_list_of_131072_entries():
    bits = sl.decode(W3C_EXAMPLE)
    assert len(bits) * 8 == 131_072
    assert not any(bits)


def test_two_bit_entries_are_read_most_significant_bit_first():
    """Entry i of a statusSize-2 list is bits 2i and 2i+1, the first of them the high bit."""
    bits = sl.new_list(size=2)
    assert len(bits) * 8 == 2 * 131_072  # 131,072 entries of two bits
    sl.set_value(bits, 0, sl.REVOKED, 2)  # 0b10 → bits 0..1
    sl.set_value(bits, 1, sl.SUSPENDED, 2)  # 0b01 → bits 2..3
    sl.set_value(bits, 3, sl.INVALID, 2)  # 0b11 → bits 6..7
    sl.set_value(bits, 131_071, sl.SUSPENDED, 2)
    assert bits[0] == 0b10_01_00_11 and bits[-1] == 0b00_00_00_01
    assert [sl.get_value(bits, i, 2) for i in range(5)] == [2, 1, 0, 3, 0]
    sl.set_value(bits, 0, sl.ACTIVE, 2)
    assert bits[0] == 0b00_01_00_11
    assert sl.get_value(sl.decode(sl.encode(bits)), 131_071, 2) == sl.SUSPENDED
    with pytest.raises(IndexError):
        sl.get_value(bits, 131_072, 2)
    with pytest.raises(ValueError):
        sl.set_value(bits, 5, 4, 2)


def test_mark_statuses_map_to_list_values():
    assert [sl.mark_status_value("message", s) for s in ("active", "suspended", "revoked", "expired")] == [
        0,
        1,
        2,
        0,
    ]
    assert [sl.mark_status_value("revocation", s) for s in ("active", "suspended", "revoked")] == [0, 0, 1]
    assert [sl.mark_status_value("suspension", s) for s in ("active", "suspended", "revoked")] == [0, 1, 0]
    assert sl.status_message_entries()[2] == {"status": "0x2", "message": "revoked"}


def test_bit_order_index_zero_is_the_leftmost_bit_of_the_first_byte():
    bits = sl.new_list()
    for index in (0, 7, 9, 131_071):
        sl.set_bit(bits, index, True)

    # Hand-computed: bit 0 → 0b1000_0000 and bit 7 → 0b0000_0001 of byte 0;
    # bit 9 → 0b0100_0000 of byte 1; bit 131,071 → 0b0000_0001 of the last byte.
    assert bits[0] == 0b1000_0001
    assert bits[1] == 0b0100_0000
    assert bits[-1] == 0b0000_0001
    assert sum(bin(b).count("1") for b in bits) == 4
    # And a list encoded by hand (GZIP + base64url + 'u') reads the same way.
    raw = bytearray(16_384)
    raw[2] = 0b0010_0000  # index 18
    encoded = "u" + b64url_encode(gzip.compress(bytes(raw)))
    decoded = sl.decode(encoded)
    assert [i for i in range(64) if sl.get_bit(decoded, i)] == [18]


def test_encode_decode_round_trip_keeps_every_bit():
    rng = random.Random(7)
    bits = sl.new_list()
    flagged = {rng.randrange(131_072) for _ in range(500)}
    for index in flagged:
        sl.set_bit(bits, index, True)

    encoded = sl.encode(bits)

    assert encoded.startswith("u") and "=" not in encoded
    decoded = sl.decode(encoded)
    assert decoded == bits
    assert {i for i in range(131_072) if sl.get_bit(decoded, i)} == flagged


def test_set_and_unset_flip_only_that_bit():
    bits = sl.new_list()
    sl.set_bit(bits, 4242, True)
    assert sl.get_bit(bits, 4242) and not sl.get_bit(bits, 4243) and not sl.get_bit(bits, 4241)
    sl.set_bit(bits, 4242, False)
    assert not any(bits)
    sl.set_bit(bits, 4242, False)
    assert not any(bits)


def test_lists_below_the_minimum_size_or_out_of_range_are_refused():
    with pytest.raises(ValueError):
        sl.new_list(1024)
    with pytest.raises(ValueError):
        sl.encode(bytearray(100))
    with pytest.raises(IndexError):
        sl.get_bit(sl.new_list(), 131_072)
    with pytest.raises(IndexError):
        sl.set_bit(sl.new_list(), -1, True)


@pytest.mark.parametrize(
    "encoded",
    [
        W3C_EXAMPLE[1:],  # no multibase prefix
        "u!!!",
        "u" + b64url_encode(b"not gzip"),
        "u" + b64url_encode(gzip.compress(bytes(1000))),  # too short
        "u" + b64url_encode(gzip.compress(bytes(20 * 1024 * 1024))),  # a small file inflating to 20 MiB
    ],
    # Fixed ids: gzip headers carry the time, and pytest-xdist workers must collect the same tests.
    ids=["no-prefix", "not-base64", "not-gzip", "too-short", "inflates-to-20MiB"],
)
def test_malformed_short_or_oversize_lists_are_refused(encoded: str):
    with pytest.raises(sl.StatusListError):
        sl.decode(encoded)


def test_allocate_index_is_random_and_unused():
    rng = random.Random(1)
    used: set[int] = set()
    for _ in range(200):
        index = sl.allocate_index(used, rng)
        assert 0 <= index < 131_072 and index not in used
        used.add(index)
    # Random, not sequential: the allocations are spread over the list.
    assert max(used) - min(used) > 100_000
    assert sorted(used) != list(range(min(used), min(used) + 200))


def test_allocate_index_finds_the_last_free_slot_and_reports_a_full_list():
    used = set(range(16)) - {11}
    assert sl.allocate_index(used, random.Random(3), entries=16) == 11
    with pytest.raises(ValueError):
        sl.allocate_index(set(range(16)), entries=16)


def test_status_list_credential_is_signed_and_verifiable_independently(ring: KeyRing):
    bits = sl.new_list()
    sl.set_bit(bits, 99, True)
    credential = sl.build_status_list_credential(
        url=REVOCATION_URL,
        purpose="revocation",
        encoded_list=sl.encode(bits),
        issuer_id=ISSUER,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["credentialSubject"]["type"] == "BitstringStatusList"
    assert credential["credentialSubject"]["statusPurpose"] == "revocation"

    token = sl.sign_status_list_credential(credential, ring)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by "Ed25519" (RFC 9864)
        key_set = KeySet.import_key_set(ring.jwks())
        decoded = jose_jwt.decode(
            token,
            lambda obj: key_set.get_by_kid(
                obj.headers()["kid"].rpartition("#")[2]
            ),  # kid: JWKS URL#thumbprint
            algorithms=["EdDSA"],
        )
    assert decoded.claims["credentialSubject"]["encodedList"] == sl.encode(bits)
    status = sl.verify_status_list_jwt(token, ring.jwks(), now=datetime(2026, 2, 1, tzinfo=UTC))
    assert status.purpose == "revocation" and status.issuer == ISSUER and status.url == REVOCATION_URL
    assert status.get(99) and not status.get(100)


def test_an_expired_or_foreign_status_list_is_refused(ring: KeyRing, tmp_path):
    credential = sl.build_status_list_credential(
        url=REVOCATION_URL,
        purpose="revocation",
        encoded_list=sl.encode(sl.new_list()),
        issuer_id=ISSUER,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        valid_until=datetime(2026, 1, 2, tzinfo=UTC),
    )
    token = sl.sign_status_list_credential(credential, ring)
    with pytest.raises(sl.StatusListError, match="expired"):
        sl.verify_status_list_jwt(token, ring.jwks(), now=datetime(2026, 1, 3, tzinfo=UTC))
    with pytest.raises(sl.StatusListError, match="not in the issuer's key set"):
        sl.verify_status_list_jwt(
            token, KeyRing(tmp_path / "other").jwks(), now=datetime(2026, 1, 1, 12, tzinfo=UTC)
        )
    assert sl.verify_status_list_jwt(
        token, ring.jwks(), now=datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(hours=1)
    )
