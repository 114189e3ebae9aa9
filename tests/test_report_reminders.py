"""Reminders to countries whose results are not in: the stages, one per country and stage with
a fixed clock, the outbox without SMTP, sending through SMTP (and failing), the daily task and
the outbox page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    OperationPhase,
    Participation,
    ParticipationStatus,
    ReportReminder,
    Role,
)
from opsplanner.services import accounts, mailer, report_reminders, reports
from opsplanner.services.scoping import Scope
from tests.conftest import signed_in

DEADLINE = datetime(2027, 2, 24, 23, 59, tzinfo=UTC)


def part(op: Any, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


def reminders() -> set[tuple[str, str]]:
    db.session.expire_all()
    return {
        (r.participation.country_iso3, r.stage)
        for r in db.session.scalars(select(ReportReminder)).all()
    }


@pytest.fixture
def vnm_focal_point(reporting) -> Any:
    """Viet Nam has a named focal point; Uganda and France have no focal-point account."""
    user = accounts.create_user(
        email="fp_vnm@test.example", name="Lan", role=Role.FOCAL_POINT, country_iso3="VNM"
    )
    vnm = part(reporting, "VNM")
    vnm.focal_points.append(user)
    db.session.commit()
    return user


@pytest.mark.parametrize(
    "phase, now, stage",
    [
        ("reporting", DEADLINE - timedelta(days=8), None),
        ("reporting", DEADLINE - timedelta(days=7), "7d"),
        ("reporting", DEADLINE - timedelta(days=3), "7d"),
        ("reporting", DEADLINE - timedelta(days=2), "2d"),
        ("active", DEADLINE - timedelta(hours=1), "2d"),
        ("active", DEADLINE - timedelta(days=5), "7d"),
        ("reporting", DEADLINE + timedelta(minutes=1), "overdue"),
        ("evaluation", DEADLINE + timedelta(days=20), "overdue"),
        ("active", DEADLINE + timedelta(days=1), None),
        ("evaluation", DEADLINE - timedelta(days=1), None),
        ("briefing", DEADLINE - timedelta(days=1), None),
        ("published", DEADLINE + timedelta(days=1), None),
    ],
)
def test_stages(app, reporting, phase, now, stage):
    reporting.phase = OperationPhase(phase)
    assert report_reminders.stage_for(reporting, now) == stage


def test_one_reminder_per_country_and_stage(app, users, reporting, vnm_focal_point):
    organiser = Scope(users["organiser"])
    part(reporting, "UGA").status = ParticipationStatus.DECLINED
    db.session.commit()
    early = DEADLINE - timedelta(days=10)
    assert report_reminders.remind_due(early) == []

    week = DEADLINE - timedelta(days=6)
    created = report_reminders.remind_due(week)
    # FRA: confirmed but no focal-point account; UGA declined
    assert reminders() == {("THA", "7d"), ("KEN", "7d"), ("VNM", "7d")}
    assert len(created) == 3
    assert report_reminders.remind_due(week) == []
    assert report_reminders.remind_due(week + timedelta(hours=5)) == []
    assert len(reminders()) == 3

    vnm = db.session.scalar(
        select(ReportReminder)
        .where(ReportReminder.stage == "7d")
        .where(ReportReminder.participation_id == part(reporting, "VNM").id)
    )
    assert vnm.recipients == ["fp_vnm@test.example"]  # the named focal point
    assert vnm.created_at == week and vnm.sent_at is None and vnm.attempts == 0
    assert "Operation Test Shield" in vnm.subject and "Vietnam" in vnm.subject
    assert "2027-02-24 23:59 UTC" in vnm.body
    tha = db.session.scalar(
        select(ReportReminder).where(ReportReminder.participation_id == part(reporting, "THA").id)
    )
    assert tha.recipients == ["fp_tha@test.example"]  # the country's focal-point accounts

    # Thailand submits; Kenya submits and is returned: it is chased again
    reports.transition(organiser, part(reporting, "THA"), "submit", now=week)
    reports.transition(organiser, part(reporting, "KEN"), "submit", now=week)
    reports.transition(organiser, part(reporting, "KEN"), "return", comment="Units", now=week)
    db.session.commit()
    two_days = DEADLINE - timedelta(days=1)
    report_reminders.remind_due(two_days)
    report_reminders.remind_due(two_days)
    assert reminders() - {("THA", "7d"), ("KEN", "7d"), ("VNM", "7d")} == {
        ("KEN", "2d"),
        ("VNM", "2d"),
    }
    after = DEADLINE + timedelta(hours=2)
    report_reminders.remind_due(after)
    report_reminders.remind_due(after + timedelta(days=3))
    assert {r for r in reminders() if r[1] == "overdue"} == {("KEN", "overdue"), ("VNM", "overdue")}
    # an audit event per reminder, by the system
    events = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "report.reminder")
    )
    assert events == len(reminders()) == 7


def test_a_country_first_seen_late_gets_only_the_current_stage(app, users, reporting):
    report_reminders.remind_due(DEADLINE - timedelta(hours=30))
    assert {stage for _c, stage in reminders()} == {"2d"}


def test_operations_outside_the_reminder_phases_are_left_alone(app, users, reporting):
    reporting.phase = OperationPhase.BRIEFING
    db.session.commit()
    assert report_reminders.remind_due(DEADLINE - timedelta(days=1)) == []
    reporting.phase = OperationPhase.PUBLISHED
    db.session.commit()
    assert report_reminders.remind_due(DEADLINE + timedelta(days=1)) == []


def test_a_focal_point_added_later_is_reminded_on_the_next_run(app, users, reporting):
    week = DEADLINE - timedelta(days=6)
    report_reminders.remind_due(week)
    assert ("FRA", "7d") not in reminders()
    fra = accounts.create_user(
        email="fp_fra@test.example", name="Claire", role=Role.FOCAL_POINT, country_iso3="FRA"
    )
    db.session.commit()
    report_reminders.remind_due(week + timedelta(days=1))
    assert ("FRA", "7d") in reminders()
    assert fra.email in db.session.scalar(
        select(ReportReminder.recipients).where(
            ReportReminder.participation_id == part(reporting, "FRA").id
        )
    )


def test_without_smtp_the_reminders_stay_in_the_outbox(app, users, reporting, monkeypatch):
    sent: list[Any] = []
    monkeypatch.setattr(mailer, "send", lambda *a: sent.append(a))
    assert not mailer.configured()
    report_reminders.remind_due(DEADLINE - timedelta(days=6))
    assert sent == []
    rows = db.session.scalars(select(ReportReminder)).all()
    assert rows and all(r.sent_at is None and r.attempts == 0 for r in rows)
    assert report_reminders.deliver() == 0


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what mailer.send hands over."""

    outbox: list[Any] = []
    fail: Exception | None = None

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port = host, port

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def starttls(self) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        pass

    def send_message(self, message: Any) -> None:
        if FakeSMTP.fail is not None:
            raise FakeSMTP.fail
        FakeSMTP.outbox.append(message)


@pytest.fixture
def smtp(app, monkeypatch) -> type[FakeSMTP]:
    import smtplib

    FakeSMTP.outbox, FakeSMTP.fail = [], None
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test.example")
    monkeypatch.setitem(app.config, "SMTP_FROM", "opsplanner@test.example")
    return FakeSMTP


def test_with_smtp_the_reminders_are_sent(app, users, reporting, vnm_focal_point, smtp):
    week = DEADLINE - timedelta(days=6)
    created = report_reminders.remind_due(week)
    assert len(smtp.outbox) == len(created) == 3
    to = sorted(m["To"] for m in smtp.outbox)
    assert to == ["fp_ken@test.example", "fp_tha@test.example", "fp_vnm@test.example"]
    message = next(m for m in smtp.outbox if m["To"] == "fp_vnm@test.example")
    assert message["From"] == "opsplanner@test.example"
    assert "Vietnam" in message["Subject"]
    assert "2027-02-24 23:59 UTC" in message.get_content()
    db.session.expire_all()
    rows = db.session.scalars(select(ReportReminder)).all()
    assert all(r.sent_at == week and r.attempts == 1 and r.error == "" for r in rows)
    # nothing is sent twice
    report_reminders.remind_due(week + timedelta(hours=1))
    assert report_reminders.deliver() == 0
    assert len(smtp.outbox) == 3


def test_a_failed_send_is_kept_and_retried_up_to_three_times(app, users, reporting, smtp):
    smtp.fail = OSError("connection refused")
    report_reminders.remind_due(DEADLINE - timedelta(days=6))
    db.session.expire_all()
    rows = db.session.scalars(select(ReportReminder)).all()
    assert rows and all(
        r.sent_at is None and r.attempts == 1 and "connection refused" in r.error for r in rows
    )
    assert report_reminders.deliver() == 0
    assert report_reminders.deliver() == 0
    assert report_reminders.deliver() == 0  # attempts exhausted: no fourth try
    db.session.expire_all()
    assert {r.attempts for r in db.session.scalars(select(ReportReminder))} == {3}
    smtp.fail = None
    assert report_reminders.deliver() == 0 and smtp.outbox == []


def test_a_transient_failure_is_sent_on_the_next_run(app, users, reporting, smtp):
    smtp.fail = OSError("timeout")
    report_reminders.remind_due(DEADLINE - timedelta(days=6))
    smtp.fail = None
    assert report_reminders.deliver() == 2  # THA and KEN (VNM/UGA/FRA have no account)
    db.session.expire_all()
    assert all(
        r.sent_at is not None and r.error == "" and r.attempts == 2
        for r in db.session.scalars(select(ReportReminder))
    )


def test_the_daily_task_is_scheduled_and_runs(app, users, reporting, monkeypatch):
    from opsplanner.celery_setup import celery_config
    from worker import tasks

    entry = celery_config(app)["beat_schedule"]["remind-report-deadlines"]
    assert entry["task"] == "opsplanner.remind_report_deadlines"
    assert entry["schedule"] == timedelta(hours=24)
    monkeypatch.setattr(report_reminders, "now_utc", lambda: DEADLINE - timedelta(days=1))
    assert tasks.remind_report_deadlines.run() == 2
    assert tasks.remind_report_deadlines.run() == 0


def test_the_outbox_page(app, users, reporting, vnm_focal_point):
    report_reminders.remind_due(DEADLINE - timedelta(days=6))
    url = f"/operations/{reporting.id}/reminders"
    html = signed_in(app, "organiser@test.example").get(url).get_data(as_text=True)
    assert "Thailand" in html and "Kenya" in html and "fp_vnm@test.example" in html
    assert "in the outbox" in html
    asean = signed_in(app, "coord_asean@test.example").get(url)
    assert asean.status_code == 200
    html = asean.get_data(as_text=True)
    assert "Thailand" in html and "Vietnam" in html
    assert "Kenya" not in html and "fp_ken@test.example" not in html
    for role in ("fp_tha", "fp_ken", "comms"):
        assert signed_in(app, f"{role}@test.example").get(url).status_code == 404


def test_a_reminder_is_written_in_its_recipients_language(app, users, reporting, vnm_focal_point):
    from babel.messages.pofile import read_po

    from tests.test_i18n import TRANSLATIONS

    vnm_focal_point.locale = "fr"  # Viet Nam's focal point reads French; Thailand's chose none
    db.session.commit()
    report_reminders.remind_due(DEADLINE + timedelta(hours=1))
    db.session.expire_all()

    def reminder(iso3: str) -> ReportReminder:
        return db.session.scalar(
            select(ReportReminder).where(
                ReportReminder.participation_id == part(reporting, iso3).id
            )
        )

    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        french = read_po(fh)
    msgid = "%(operation)s: the results of %(country)s are overdue"
    assert french[msgid].string

    def subject(template: str, iso3: str) -> str:
        p = part(reporting, iso3)
        return template % {"operation": reporting.code_name, "country": p.country.name}

    assert reminder("VNM").subject == subject(french[msgid].string, "VNM")
    assert reminder("THA").subject == subject(msgid, "THA")  # no language chosen: English
    chosen = mailer.chosen_languages(["fp_tha@test.example", "fp_vnm@test.example"])
    assert mailer.language_of(["fp_tha@test.example", "fp_vnm@test.example"], chosen) == "fr"
    assert mailer.language_of(["fp_tha@test.example"], chosen) is None
