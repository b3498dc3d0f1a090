"""Atom feeds: well-formed, with the elements RFC 4287 requires, one entry per status event, and
never the confidential reason."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.trustmarks.helpers import lead_assessor

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def parse_atom(resp) -> ET.Element:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(resp.content)  # raises on anything not well-formed
    assert root.tag == f"{ATOM}feed"
    # RFC 4287 §4.1.1: exactly one id, title and updated; an author (here on the feed).
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), name
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    ids = set()
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        ids.add(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(root.findall(f"{ATOM}entry"))  # unique entry ids
    return root


def test_mark_feed_lists_its_status_events(personas, make_mark, client):
    from trustmarks.services import trust_mark_reinstate, trust_mark_revoke, trust_mark_suspend

    mark = make_mark(company='Acme <script>alert(1)</script> & "Co"')
    other = make_mark(company="Initech")
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="SECRET finding one")
    trust_mark_reinstate(mark=mark, actor=personas.ada, reason="SECRET finding two", approver=lead_assessor())
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="SECRET finding three", approver=lead_assessor())
    resp = client.get(f"/verify/{mark.mark_id.lower()}/feed.atom")
    root = parse_atom(resp)
    assert resp["Access-Control-Allow-Origin"] == "*"
    entries = root.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert [t.rsplit(" ", 1)[1] for t in titles] == ["revoked", "reinstated", "suspended", "issued"]
    assert all(mark.mark_id in t for t in titles)
    assert 'Acme <script>alert(1)</script> & "Co"' in titles[0]  # escaped in XML, intact when parsed
    summary = entries[0].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "&lt;script&gt;" in summary.text and "<script>" not in summary.text  # text, not markup
    assert entries[0].findtext(f"{ATOM}id").startswith("urn:uuid:")
    assert entries[0].find(f"{ATOM}category").get("term") == "trustmark.revoked"
    body = resp.content.decode()
    assert "SECRET" not in body and other.mark_id not in body
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"/verify/{mark.mark_id}")


def test_issuer_feed_has_every_mark(personas, make_mark, client):
    from trustmarks.services import trust_mark_suspend

    a = make_mark(company="Alpha")
    b = make_mark(company="Beta")
    trust_mark_suspend(mark=b, actor=personas.ada, reason="SECRET")
    resp = client.get("/marks/feed.atom")
    root = parse_atom(resp)
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles[0] == f"{b.mark_id} (Beta) suspended"
    assert f"{a.mark_id} (Alpha) issued" in titles
    assert "SECRET" not in resp.content.decode()


def test_unknown_mark_feed_is_404(client, db):
    assert client.get("/verify/TM-99999/feed.atom").status_code == 404
    assert client.get("/verify/nonsense/feed.atom").status_code == 404


def test_empty_issuer_feed_is_still_valid(client, db):
    parse_atom(client.get("/marks/feed.atom"))
