"""Public pages of PAI-8, the organisational standard: /pai8/ and /pai8/C1/ …"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .maturity import MaturityFramework
from .models import RubricVersion
from .selectors import PAI8, maturity_of, pai8_version_get


def _framework(request: HttpRequest) -> tuple[RubricVersion, MaturityFramework]:
    version = request.GET.get("version") or None
    if version is not None and len(version) > 20:
        raise Http404("No such PAI-8 version.")
    rv = pai8_version_get(version=version)
    if rv is None:
        raise Http404("PAI-8 is not loaded on this instance yet (run `manage.py load_rubric`).")
    return rv, maturity_of(rv)


def index(request: HttpRequest) -> HttpResponse:
    rv, fw = _framework(request)
    versions = RubricVersion.objects.filter(framework=PAI8).only("version", "is_current")
    return render(request, "psf/pai8_index.html", {"rv": rv, "fw": fw, "versions": versions})


def control_detail(request: HttpRequest, code: str) -> HttpResponse:
    rv, fw = _framework(request)
    control = fw.control(code.upper())
    if control is None:
        raise Http404(f"PAI-8 has no control {code}.")
    idx = fw.controls.index(control)
    levels = [(fw.levels[lv.level], lv) for lv in control.levels]
    return render(
        request,
        "psf/pai8_control.html",
        {
            "rv": rv,
            "fw": fw,
            "control": control,
            "levels": levels,
            "prev": fw.controls[idx - 1] if idx > 0 else None,
            "next": fw.controls[idx + 1] if idx + 1 < len(fw.controls) else None,
        },
    )
