"""The PAI-8 report: the same content as JSON and as a branded PDF, and the history chart."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from .models import ImprovementAction, Pai8Assessment
from .services import framework_of


def report_data(a: Pai8Assessment) -> dict[str, Any]:
    fw = framework_of(a)
    from .evidence import evidence_by_checkpoint, evidence_json

    answers = {x.checkpoint: x for x in a.answers.all()}
    attached = evidence_by_checkpoint(a)
    audited = a.status == Pai8Assessment.AUDITED
    levels = a.audited_control_levels if audited else a.control_levels
    controls = []
    for c in fw.controls:
        controls.append(
            {
                "code": c.code,
                "name": c.name,
                "level": levels.get(c.code),
                "self_assessed_level": a.control_levels.get(c.code),
                "checkpoints": [
                    {
                        "code": p.code,
                        "text": p.text,
                        "authored": p.authored,
                        "level": answers[p.code].level if p.code in answers else None,
                        "audited_level": answers[p.code].audited_level if p.code in answers else None,
                        "justification": answers[p.code].justification if p.code in answers else "",
                        "evidence_note": answers[p.code].evidence if p.code in answers else "",
                        "evidence": [evidence_json(x) for x in attached.get(p.code, [])],
                        "owner": answers[p.code].owner if p.code in answers else "",
                        "audit_comment": answers[p.code].audit_comment if p.code in answers else "",
                    }
                    for p in c.checkpoints
                ],
            }
        )
    posture = a.audited_posture_level if audited else a.posture_level
    gaps = [
        {
            "checkpoint": cp["code"],
            "control": c["code"],
            "level": cp["audited_level"] if audited and cp["audited_level"] is not None else cp["level"],
        }
        for c in controls
        for cp in c["checkpoints"]
        if (cp["audited_level"] if audited and cp["audited_level"] is not None else cp["level"] or 0) < 2
    ]
    return {
        "schema": "workflowos.pai8-report/v2",
        "reference": a.reference,
        "organisation": a.organisation.name,
        "framework": fw.key,
        "framework_content_hash": a.framework_version.content_hash,
        "status": a.status,
        "completed_at": a.completed_at.isoformat() if a.completed_at else None,
        "posture": {
            "level": posture,
            "code": f"L{posture}" if posture is not None else None,
            "label": fw.rating_label(posture) if posture is not None else None,
            "mean": a.audited_posture_mean if audited else a.posture_mean,
            "rule": fw.posture_rule.description,
            "audited": audited,
            "auditor": a.auditor.display_name if audited and a.auditor else None,
            "audited_at": a.audited_at.isoformat() if audited and a.audited_at else None,
        },
        "controls": controls,
        "gaps": gaps,
        "improvement_plan": [
            {
                "control": x.control,
                "action": x.action,
                "owner": x.owner,
                "due": x.due.isoformat(),
                "status": x.status,
            }
            for x in ImprovementAction.objects.filter(organisation_id=a.organisation_id).order_by("due")
        ],
    }


def report_pdf(a: Pai8Assessment) -> bytes:
    from accounts.branding import branding_for
    from lib.pdf import render_pdf

    data = report_data(a)
    html = render_to_string(
        "pdf/pai8_report.html",
        {"r": data, "brand": branding_for(a.organisation), "generated": timezone.now()},
    )
    return render_pdf(html).pdf


def history_chart(history: list[Pai8Assessment], *, width: int = 560, height: int = 160) -> str:
    """An SVG line of the posture mean (and the posture level as dots) over time, server-side, no
    script and no inline style (CSP)."""
    points: list[tuple[Pai8Assessment, float]] = []
    for a in history:
        mean = a.audited_posture_mean if a.status == Pai8Assessment.AUDITED else a.posture_mean
        if mean is not None:
            points.append((a, mean))
    if not points:
        return ""
    pad_l, pad_r, pad_t, pad_b = 36, 12, 10, 28
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(points)

    def x(i: int) -> float:
        return pad_l + (w * i / (n - 1) if n > 1 else w / 2)

    def anchor(i: int) -> str:
        return "middle" if n == 1 else "start" if i == 0 else "end" if i == n - 1 else "middle"

    def y(v: float) -> float:
        return pad_t + h - h * v / 3

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="PAI-8 posture over time" class="pai8-chart">'
    ]
    for lv in range(4):
        parts.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(lv):.1f}" y2="{y(lv):.1f}" stroke="#e2e8f0"/>'
            f'<text x="4" y="{y(lv) + 4:.1f}" font-size="11" fill="#64748b">L{lv}</text>'
        )
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#1e3a8a" stroke-width="2"/>')
    for i, (a, v) in enumerate(points):
        level = a.audited_posture_level if a.status == Pai8Assessment.AUDITED else a.posture_level
        when = a.completed_at or a.created
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="4" fill="#1e3a8a"><title>{escape(when.date().isoformat())}: '
            f"mean {v:.2f}, posture L{level}</title></circle>"
            f'<text x="{x(i):.1f}" y="{height - 8}" font-size="10" fill="#475569" text-anchor="{anchor(i)}">'
            f"{escape(when.strftime('%b %Y'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
