"""The public verify API: every answer, its headers, caching and rate limit."""

from __future__ import annotations

import json

import pytest

from tests.trustmarks.helpers import lead_assessor

pytestmark = pytest.mark.django_db

URL = "/api/certify/trust-mark/verify"
SEED_KEYS = ["valid", "company", "expires", "domains"]
ALL_KEYS = [*SEED_KEYS, "id", "status", "issued", "psf_version", "scores", "record_url", "credential_url"]


def get(client, mark_id=None, **headers):
    return client.get(URL, {"id": mark_id} if mark_id is not None else {}, headers=headers)


def test_valid_mark_answers_seed_keys_first_with_their_types(client, make_mark):
    mark = make_mark()
    resp = get(client, mark.mark_id)
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json"
    body = json.loads(resp.content)
    assert list(body) == ALL_KEYS
    assert body["valid"] is True
    assert body["company"] == "Acme AI"
    assert body["expires"] == mark.expires.isoformat()
    assert body["domains"] == "PSF-1..8"
    assert body["id"] == mark.mark_id == "TM-00142"
    assert body["status"] == "active"
    assert body["issued"] == mark.issued.isoformat()
    assert body["psf_version"] == "1.1"
    assert body["scores"] == {
        "PSF-1": 3.4,
        "PSF-2": 3.6,
        "PSF-3": 3.2,
        "PSF-4": 3.0,
        "PSF-5": 3.8,
        "PSF-6": 3.5,
        "PSF-7": 3.1,
        "PSF-8": 2.6,
    }
    assert body["record_url"] == "https://certify.example.org/verify/TM-00142"
    assert body["credential_url"] == "https://certify.example.org/trust-marks/TM-00142/credential.jwt"
    # The raw text starts exactly like the published example.
    assert resp.content.decode().startswith('{"valid": true, "company": "Acme AI", "expires": "')


@pytest.mark.parametrize("status", ["suspended", "revoked", "expired"])
def test_non_active_marks_answer_200_valid_false_with_status(client, make_mark, status):
    mark = make_mark(company=f"{status} Ltd", status=status)
    resp = get(client, mark.mark_id)
    assert resp.status_code == 200
    body = json.loads(resp.content)
    assert list(body) == ALL_KEYS
    assert body["valid"] is False
    assert body["status"] == status
    assert body["company"] == f"{status} Ltd"


def test_active_mark_past_expiry_is_expired_before_the_task_runs(client, make_mark):
    mark = make_mark(days_ago=366)  # still stored as active
    assert mark.status == "active"
    body = json.loads(get(client, mark.mark_id).content)
    assert body["valid"] is False and body["status"] == "expired"


def test_mark_valid_through_its_last_day(client, make_mark):
    mark = make_mark(days_ago=365)
    from django.utils import timezone

    assert mark.expires == timezone.localdate()
    assert json.loads(get(client, mark.mark_id).content)["valid"] is True


@pytest.mark.parametrize("mark_id", ["TM-99999", "TM-00001", "TM-00143"])
def test_unknown_ids_answer_404_in_one_shape(client, make_mark, mark_id):
    make_mark()
    resp = get(client, mark_id)
    assert resp.status_code == 404
    assert resp["Content-Type"] == "application/json"
    assert json.loads(resp.content) == {"valid": False, "id": mark_id, "error": "not_found"}
    assert resp["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"id": ""},
        {"id": "TM-1"},
        {"id": "../"},
        {"id": "TM-001423"},
        {"id": "tm-00142x"},
        {"id": "TM-٠٠١٤٢"},  # Arabic-Indic digits are not ASCII digits
        {"id": "TM-00142\n"},
        {"id": "A" * 10_240},
        {"id": ["TM-00142", "TM-00143"]},
    ],
    ids=[
        "missing",
        "empty",
        "short",
        "dotdot",
        "six-digits",
        "suffix",
        "unicode-digits",
        "newline",
        "10kB",
        "repeated",
    ],
)
def test_missing_or_malformed_ids_answer_400(client, make_mark, params):
    make_mark()
    resp = client.get(URL, params)
    assert resp.status_code == 400
    body = json.loads(resp.content)
    assert body["valid"] is False
    assert body["error"] == "invalid_id"
    assert body["message"]
    assert "AAAA" not in resp.content.decode()  # nothing of the input is echoed


def test_cors_open_on_verify_only(client, make_mark):
    mark = make_mark()
    assert get(client, mark.mark_id)["Access-Control-Allow-Origin"] == "*"
    for other in (
        f"/verify/{mark.mark_id}",
        "/api/certify/status/revocation",
        "/api/certify/log/head",
        "/.well-known/jwks.json",
        "/api/psf/",
    ):
        assert "Access-Control-Allow-Origin" not in client.get(other), other


def test_preflight(client):
    resp = client.options(
        URL, headers={"Origin": "https://buyer.example", "Access-Control-Request-Method": "GET"}
    )
    assert resp.status_code == 204
    assert resp["Access-Control-Allow-Origin"] == "*"
    assert "GET" in resp["Access-Control-Allow-Methods"]


def test_only_read_methods(client, make_mark):
    mark = make_mark()
    for method in ("post", "put", "delete", "patch"):
        resp = getattr(client, method)(f"{URL}?id={mark.mark_id}")
        assert resp.status_code == 405
        assert "GET" in resp["Allow"]


def test_head_has_headers_and_no_body(client, make_mark):
    mark = make_mark()
    resp = client.head(URL, {"id": mark.mark_id})
    assert resp.status_code == 200
    assert resp.content == b""
    assert resp["ETag"]


def test_cache_control_and_etag_with_304(client, make_mark):
    mark = make_mark()
    first = get(client, mark.mark_id)
    assert first["Cache-Control"] == "public, max-age=300"
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = get(client, mark.mark_id, If_None_Match=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"
    assert get(client, mark.mark_id, If_None_Match='W/"other", ' + etag).status_code == 304
    assert get(client, mark.mark_id, If_None_Match='"stale"').status_code == 200


def test_max_age_never_reaches_past_the_last_valid_second(client, make_mark):
    mark = make_mark(days_ago=365)  # last valid day is today
    from datetime import UTC, datetime, timedelta

    resp = get(client, mark.mark_id)
    max_age = int(resp["Cache-Control"].split("max-age=")[1])
    now = datetime.now(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    assert 0 <= max_age <= min(300, (midnight - now).total_seconds() + 1)


def test_status_change_shows_at_once_and_changes_the_etag(client, make_mark, personas):
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    before = get(client, mark.mark_id)
    assert json.loads(before.content)["valid"] is True  # now cached
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Surveillance finding")
    after = get(client, mark.mark_id, If_None_Match=before["ETag"])
    assert after.status_code == 200
    assert json.loads(after.content)["status"] == "suspended"
    assert after["ETag"] != before["ETag"]


def test_one_indexed_query_then_served_from_cache(
    client, make_mark, django_assert_num_queries, django_assert_max_num_queries
):
    mark = make_mark()
    # The mark, then its transparency-log check: head, latest entry, proof nodes, later entries.
    with django_assert_max_num_queries(5):
        assert get(client, mark.mark_id).status_code == 200
    with django_assert_num_queries(0):
        assert get(client, mark.mark_id).status_code == 200
    with django_assert_num_queries(1):
        assert get(client, "TM-99999").status_code == 404
    with django_assert_num_queries(0):
        assert get(client, "TM-1").status_code == 400


def test_rate_limited_per_ip_with_retry_after(client, make_mark, settings):
    settings.VERIFY_RATE = "3/m"
    mark = make_mark()
    for _ in range(3):
        assert get(client, mark.mark_id).status_code == 200
    limited = get(client, mark.mark_id)
    assert limited.status_code == 429
    body = json.loads(limited.content)
    assert body["valid"] is False and body["error"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["Cache-Control"] == "no-store"
    assert get(client, "TM-1").status_code == 429  # bad ids count too (no free enumeration)
    # Another client address has its own budget.
    assert client.get(URL, {"id": mark.mark_id}, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_never_confidential(client, make_mark):
    from assessments.models import CriterionScore, GapReport

    mark = make_mark()
    CriterionScore.objects.create(
        assessment=mark.assessment, criterion="PSF-1.1", score=3, comment="SECRET-COMMENT"
    )
    GapReport.objects.create(
        assessment=mark.assessment, content=[{"criterion": "PSF-8.1", "comment": "SECRET-GAP"}]
    )
    mark.assessment.systems_description = "SECRET-SYSTEMS"
    mark.assessment.save()
    text = get(client, mark.mark_id).content.decode()
    for secret in ("SECRET", "assessor", "ada@", "gap", "comment", "evidence"):
        assert secret not in text


@pytest.fixture
def redis_backend(settings):
    import redis

    url = "redis://127.0.0.1:6379/12"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    for key in client.scan_iter("workflowos:trustmarks:*"):
        client.delete(key)
    settings.REDIS_URL = url
    yield client
    for key in client.scan_iter("workflowos:trustmarks:*"):
        client.delete(key)


def test_redis_backend_shares_the_budget_between_processes(client, make_mark, settings, redis_backend):
    from trustmarks import verify_cache

    settings.VERIFY_RATE = "4/m"
    mark = make_mark()
    assert get(client, mark.mark_id).status_code == 200
    assert get(client, mark.mark_id).status_code == 200
    keys = list(redis_backend.scan_iter("workflowos:trustmarks:v1:rate:127.0.0.1:*"))
    assert len(keys) == 1 and int(redis_backend.get(keys[0])) == 2
    assert 0 < redis_backend.ttl(keys[0]) <= 61
    verify_cache.reset()  # another process: its own cache, the same shared counter
    assert get(client, mark.mark_id).status_code == 200
    assert get(client, mark.mark_id).status_code == 200
    limited = get(client, mark.mark_id)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1


def test_budget_is_leased_in_slices_and_never_overspent(client, make_mark, settings, redis_backend):
    from trustmarks import verify_cache

    settings.VERIFY_RATE = "100/m"  # slices of 5
    mark = make_mark()
    allowed = 0
    for _process in range(3):  # three processes share one client's budget
        verify_cache.reset()
        for _ in range(40):
            allowed += get(client, mark.mark_id).status_code == 200
    keys = list(redis_backend.scan_iter("workflowos:trustmarks:v1:rate:127.0.0.1:*"))
    assert int(redis_backend.get(keys[0])) <= 120  # one round trip per slice, not per request
    assert 90 <= allowed <= 100


def test_changes_reach_other_processes_within_the_local_ttl(client, make_mark, personas, monkeypatch):
    from trustmarks import verify_cache
    from trustmarks.services import trust_mark_revoke

    mark = make_mark()
    assert json.loads(get(client, mark.mark_id).content)["valid"] is True
    cached = verify_cache.answer_get(mark.number)
    # Another process revoked it: this process still holds its answer, for LOCAL_TTL at most.
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="Withdrawn", approver=lead_assessor())
    verify_cache.answer_set(mark.number, cached)  # as another process's commit leaves this one
    assert json.loads(get(client, mark.mark_id).content)["valid"] is True
    later = __import__("time").time() + verify_cache.LOCAL_TTL + 0.1
    monkeypatch.setattr(verify_cache.time, "time", lambda: later)
    assert json.loads(get(client, mark.mark_id).content)["status"] == "revoked"


def test_redis_down_still_answers(client, make_mark, settings):
    mark = make_mark()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    resp = get(client, mark.mark_id)
    assert resp.status_code == 200
    assert json.loads(resp.content)["valid"] is True


def test_concurrent_threads_never_lock_a_client_out_early(settings):
    from concurrent.futures import ThreadPoolExecutor

    from trustmarks import verify_cache

    settings.VERIFY_RATE = "1000/m"  # slices of 50
    with ThreadPoolExecutor(16) as pool:
        refused = list(pool.map(lambda _: verify_cache.rate_limit_hit("198.51.100.7"), range(960)))
    assert sum(1 for r in refused if r) == 0


def test_ids_are_matched_case_insensitively(client, make_mark):
    mark = make_mark()
    lower = get(client, mark.mark_id.lower())
    assert lower.status_code == 200
    assert json.loads(lower.content)["id"] == "TM-00142"
    assert json.loads(lower.content)["valid"] is True
    assert client.get(f"/verify/{mark.mark_id.lower()}").status_code == 200
    bad = get(client, "TM-142")
    assert bad.status_code == 400
    assert "TM-00142" in json.loads(bad.content)["message"]  # says the expected form


def test_a_browser_on_another_origin_can_read_etag_and_retry_after(client, make_mark):
    mark = make_mark()
    resp = get(client, mark.mark_id, origin="https://buyer.example")
    assert resp["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip().lower() for h in resp["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "retry-after"} <= exposed
    assert resp["ETag"]
