"""The monthly governance report: scores over time, marks and expiry, simulations' escape rates;
the beat task mails it to each client's admins once per month, however often it runs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from msp.launchpack import month_start, monthly_report_for, months_ending, previous_month
from msp.models import MonthlyReportDelivery
from msp.monthly_reports import monthly_reports_send
from msp.tasks import monthly_reports_task
from tests.msp.helpers import HOSTILE, analysis_of, from_template, head, make_workflow, unguarded_doc

pytestmark = pytest.mark.django_db


def _second_admin(org: Any) -> Any:
    from accounts.models import Membership, User

    user = User.objects.create_user("carol@acme.example", "pw", name="Carol Admin")
    Membership.objects.create(user=user, organisation=org, role=Membership.ADMIN)
    return user


def test_beat_task_mails_each_admin_once_per_month(personas: Any, settings: Any) -> None:
    settings.PUBLIC_URL = "https://wos.example"
    make_workflow(personas.acme, personas.pat, unguarded_doc("Sales bot"))
    _second_admin(personas.acme)
    assert "msp-monthly-reports" in settings.CELERY_BEAT_SCHEDULE
    assert settings.CELERY_BEAT_SCHEDULE["msp-monthly-reports"]["task"] == "msp.monthly_reports"

    assert monthly_reports_task() == 2  # alice and carol; Globex has no workflow, no report
    assert monthly_reports_task() == 0  # the second run sends nothing
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@acme.example", "carol@acme.example"]
    last = previous_month(timezone.localdate())
    msg = mail.outbox[0]
    assert msg.subject == f"Acme AI: AI governance report for {last:%B %Y}"
    assert f"https://wos.example/clients/acme-ai/reports/monthly/{last:%Y-%m}/" in msg.body
    assert MonthlyReportDelivery.objects.filter(month=last).count() == 2
    # A new month is a new report.
    outcome = monthly_reports_send(month=month_start(timezone.localdate()))
    assert outcome.sent == 2 and len(mail.outbox) == 4


def test_a_failed_mail_is_retried_by_the_next_run_only_for_that_admin(personas: Any) -> None:
    make_workflow(personas.acme, personas.pat, unguarded_doc("Sales bot"))
    _second_admin(personas.acme)
    real_send = mail.send_mail
    calls: list[str] = []

    def flaky(subject: str, body: str, sender: str, to: list[str], **kw: Any) -> int:
        calls.append(to[0])
        if to[0] == "carol@acme.example" and calls.count(to[0]) == 1:
            raise OSError("mail server down")
        return real_send(subject, body, sender, to, **kw)

    with mock.patch("msp.monthly_reports.send_mail", flaky):
        first = monthly_reports_send()
        second = monthly_reports_send()
    assert (first.sent, first.failed) == (1, 1)
    assert (second.sent, second.skipped) == (1, 1)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@acme.example", "carol@acme.example"]


def test_the_mail_keeps_a_hostile_name_on_one_subject_line(personas: Any) -> None:
    personas.acme.name = "Acme\nBcc: x@evil.example " + HOSTILE
    personas.acme.save()
    make_workflow(personas.acme, personas.pat, unguarded_doc("Sales bot"))
    monthly_reports_send()
    assert "\n" not in mail.outbox[0].subject


def test_report_scores_over_time_marks_and_escape_rates(personas: Any, rubric_version: Any) -> None:
    from studio.models import Workflow, WorkflowVersion
    from tests.evidence.helpers import add_simulation
    from tests.trustmarks.helpers import issue_mark

    today = timezone.localdate()
    this_month = month_start(today)
    wf = from_template(personas.acme, personas.alice, "rag-assistant", "Help-centre assistant")
    bare = make_workflow(personas.acme, personas.pat, unguarded_doc(HOSTILE))
    # The unguarded workflow existed three months ago already.
    earlier = timezone.now() - timedelta(days=95)
    Workflow.objects.filter(pk=bare.pk).update(created=earlier)
    WorkflowVersion.objects.filter(workflow=bare).update(created=earlier)
    run = add_simulation(head(wf), n=2_000)
    type(run).objects.filter(pk=run.pk).update(finished=timezone.now())
    mark = issue_mark(personas, rubric_version, org=personas.acme, days_ago=340)

    report = monthly_report_for(organisation=personas.acme, month=today, user=personas.mia)

    assert list(report.months) == months_ending(this_month) and len(report.months) == 6
    by_name = {h.workflow: h.scores for h in report.history}
    bare_score = analysis_of(bare)["overall_score"]
    assert by_name[HOSTILE][-1] == bare_score and by_name[HOSTILE][-4] == bare_score
    assert by_name[HOSTILE][0] is None  # not mapped six months ago
    assert by_name["Help-centre assistant"][-1] == analysis_of(wf)["overall_score"]
    assert by_name["Help-centre assistant"][-2] is None
    assert report.marks[0].mark_id == mark.mark_id and report.marks[0].status == "active"
    assert report.marks[0].expiring_soon  # issued 340 days ago: expires within 60 days
    assert len(report.simulations) == 1
    sim = report.simulations[0]
    assert sim.escape_rate == run.report["summary"]["escape_rate"] and sim.runs == 2_000
    assert report.open_findings > 0
    # Nothing of another month's runs: last month's report has no simulation.
    assert (
        monthly_report_for(organisation=personas.acme, month=previous_month(today), user=None).simulations
        == ()
    )


def test_report_page_escapes_names_and_refuses_bad_or_future_months(personas: Any, client_for: Any) -> None:
    make_workflow(personas.acme, personas.pat, unguarded_doc(HOSTILE))
    c = client_for(personas.alice)
    key = timezone.localdate().strftime("%Y-%m")
    resp = c.get(f"/clients/acme-ai/reports/monthly/{key}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    nxt = month_start(timezone.localdate()) + timedelta(days=32)
    for bad in ("2026-13", "1999-01", f"{nxt:%Y-%m}", "2026-1"):
        assert c.get(f"/clients/acme-ai/reports/monthly/{bad}/").status_code == 404, bad
    assert c.get("/clients/acme-ai/reports/monthly/2026-00/pdf/").status_code in (404, 405)


def test_months_ending_crosses_the_year() -> None:
    assert months_ending(date(2027, 2, 1), 4) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
