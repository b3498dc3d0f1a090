from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

SEED_DOMAINS = [
    (
        "PSF-1",
        "Input Governance",
        "Every input reaching an AI model must be validated, sanitised, and treated as untrusted.",
    ),
    (
        "PSF-2",
        "Output Validation",
        "Raw model output is never trusted. Every output is validated before it acts on any system.",
    ),
    (
        "PSF-3",
        "Data Protection",
        "Personal and sensitive data is protected throughout the AI pipeline, not just at rest.",
    ),
    (
        "PSF-4",
        "Observability",
        "You cannot manage what you cannot measure. Every AI system in production must be observable.",
    ),
    (
        "PSF-5",
        "Deployment Safety",
        "Every model change is a risk. Production AI deployments require the same rigour as critical software.",
    ),
    (
        "PSF-6",
        "Human Oversight",
        "Automation does not mean unaccountable. High-stakes AI decisions require human checkpoints.",
    ),
    (
        "PSF-7",
        "Security",
        "AI systems introduce new attack surfaces. Standard security practices must extend to cover them.",
    ),
    (
        "PSF-8",
        "Vendor Resilience",
        "A production AI system that only works with one vendor is a liability, not an asset.",
    ),
]


def test_index_shows_domains_principles_and_pass_rule(client, rubric_version):
    resp = client.get("/psf/")
    assert resp.status_code == 200
    html = resp.content.decode()
    for code, name, principle in SEED_DOMAINS:
        assert code in html and name in html
        assert principle in html.replace("&#x27;", "'")
    assert 'id="pass-rule"' in html
    assert "≥ 3.0" in html and "≥ 2.0" in html
    assert "CC BY 4.0" in html


@pytest.mark.parametrize("code", [d[0] for d in SEED_DOMAINS])
def test_domain_page_shows_five_criteria_with_levels_evidence_mappings(client, rubric_version, code):
    resp = client.get(f"/psf/{code}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.count('data-testid="criterion"') == 5
    n = code.split("-")[1]
    for i in range(1, 6):
        assert f'id="PSF-{n}.{i}"' in html
    assert "Scoring levels 0–5" in html
    assert "Evidence an assessor expects" in html
    assert any(fw in html for fw in ("EU AI Act", "NIST AI RMF", "ISO/IEC 42001", "OWASP"))


def test_unknown_domain_is_404(client, rubric_version):
    assert client.get("/psf/PSF-9/").status_code == 404
    assert client.get("/psf/PSF-1/?version=9.9").status_code == 404


def test_citation_page(client, rubric_version):
    resp = client.get("/psf/cite/")
    assert resp.status_code == 200
    assert "Production AI Institute" in resp.content.decode()
    assert "CC BY 4.0" in resp.content.decode()
