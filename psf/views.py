from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .models import RubricVersion
from .rubric import EVIDENCE_TYPE_LABELS, Rubric
from .selectors import rubric_of, rubric_version_get


def _rubric(request: HttpRequest) -> tuple[RubricVersion, Rubric]:
    version = request.GET.get("version") or None
    if version is not None and len(version) > 20:
        raise Http404("No such rubric version.")
    rv = rubric_version_get(version=version)
    if rv is None:
        raise Http404("No PSF rubric is loaded on this instance yet (run `manage.py load_rubric`).")
    return rv, rubric_of(rv)


def index(request: HttpRequest) -> HttpResponse:
    rv, rubric = _rubric(request)
    thresholds = [(d, rubric.pass_rule.threshold_for(d.code)) for d in rubric.domains]
    versions = RubricVersion.objects.filter(framework=rv.framework).only("version", "is_current")
    return render(
        request,
        "psf/index.html",
        {
            "rv": rv,
            "rubric": rubric,
            "thresholds": thresholds,
            "versions": versions,
            "cpap": next((s for s in rubric.scopes if s.code == "cpap"), None),
        },
    )


def domain_detail(request: HttpRequest, code: str) -> HttpResponse:
    rv, rubric = _rubric(request)
    domain = rubric.domain(code.upper())
    if domain is None:
        raise Http404(f"{rubric.framework} has no domain {code}.")
    idx = rubric.domains.index(domain)
    return render(
        request,
        "psf/domain.html",
        {
            "rv": rv,
            "rubric": rubric,
            "domain": domain,
            "threshold": rubric.pass_rule.threshold_for(domain.code),
            "evidence_labels": EVIDENCE_TYPE_LABELS,
            "prev": rubric.domains[idx - 1] if idx > 0 else None,
            "next": rubric.domains[idx + 1] if idx + 1 < len(rubric.domains) else None,
        },
    )


def cite(request: HttpRequest) -> HttpResponse:
    rv, rubric = _rubric(request)
    return render(request, "psf/cite.html", {"rv": rv, "rubric": rubric})


def knowledge_check(request: HttpRequest) -> HttpResponse:
    """The free 20-question knowledge check over the eight domains (no sign-in, nothing stored)."""
    import secrets

    from django.core import signing

    from .knowledge import draw, grade, load_bank

    bank = load_bank()
    signer = signing.TimestampSigner(salt="psf.knowledge-check")
    if request.method == "POST":
        try:
            seed = int(signer.unsign(request.POST.get("attempt", ""), max_age=6 * 3600))
        except (signing.BadSignature, ValueError):
            return render(
                request,
                "psf/knowledge_check.html",
                {"error": "This knowledge check expired or was altered. Start a new one.", "bank": bank},
                status=400,
            )
        questions = draw(seed, bank)
        answers: dict[str, int | None] = {}
        for q in questions:
            raw = request.POST.get(f"q_{q.id}")
            answers[q.id] = int(raw) if raw and raw.isdigit() and int(raw) < len(q.options) else None
        result = grade(questions, answers, bank.pass_mark)
        return render(request, "psf/knowledge_check.html", {"result": result, "bank": bank})
    seed = secrets.randbelow(2**31)
    return render(
        request,
        "psf/knowledge_check.html",
        {"questions": draw(seed, bank), "attempt": signer.sign(str(seed)), "bank": bank},
    )
