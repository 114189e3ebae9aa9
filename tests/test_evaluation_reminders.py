"""Reminders to the evaluation respondents who have not submitted: the stages against the
evaluation deadline, one per respondent and stage, who receives them (a country's focal points,
a network's coordinators), the outbox without SMTP, sending with it, and the daily task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import EvaluationReminder, Network, OperationPhase, Role
from opsplanner.services import accounts, evaluation, evaluation_reminders
from opsplanner.services.evaluation import AnswerInput
from opsplanner.services.scoping import Scope
from tests.conftest import signed_in
from tests.test_report_reminders import FakeSMTP

DEADLINE = datetime(2027, 4, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def evaluating(reporting: Any) -> Any:
    """In evaluation with a deadline: THA, VNM (ASEAN-WEN), KEN, UGA (LATF), FRA confirmed.
    Accounts: focal points of THA and KEN, coordinators of ASEAN-WEN and LATF."""
    reporting.phase = OperationPhase.EVALUATION
    reporting.evaluation_deadline = DEADLINE
    db.session.commit()
    return reporting


@pytest.fixture
def smtp(app, monkeypatch) -> type[FakeSMTP]:
    import smtplib

    FakeSMTP.outbox, FakeSMTP.fail = [], None
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test.example")
    monkeypatch.setitem(app.config, "SMTP_FROM", "opsplanner@test.example")
    return FakeSMTP


def net_id(acronym: str) -> int:
    return db.session.scalar(select(Network.id).where(Network.acronym == acronym))


def recorded() -> set[tuple[str, str]]:
    db.session.expire_all()
    return {(r.respondent, r.stage) for r in db.session.scalars(select(EvaluationReminder))}


def reachable(op: Any) -> set[str]:
    """Respondents with someone to write to, computed from the accounts and participations."""
    from opsplanner.models import User

    users = db.session.scalars(select(User).where(User.active.is_(True))).all()
    keys = set()
    for r in evaluation.expected_respondents(op):
        if r.kind == "country":
            named = [u for u in r.participation.focal_points if u.active]
            if named or any(u.role is Role.FOCAL_POINT and u.country_iso3 == r.iso3 for u in users):
                keys.add(r.key)
        elif any(u.role is Role.COORDINATOR and u.network_id == r.network_id for u in users):
            keys.add(r.key)
    return keys


@pytest.mark.parametrize(
    "phase, now, stage",
    [
        ("evaluation", DEADLINE - timedelta(days=8), None),
        ("evaluation", DEADLINE - timedelta(days=7), "7d"),
        ("evaluation", DEADLINE - timedelta(days=3), "7d"),
        ("evaluation", DEADLINE - timedelta(days=2), "2d"),
        ("evaluation", DEADLINE - timedelta(minutes=1), "2d"),
        ("evaluation", DEADLINE + timedelta(minutes=1), "overdue"),
        ("evaluation", DEADLINE + timedelta(days=30), "overdue"),
        ("reporting", DEADLINE - timedelta(days=1), None),
        ("published", DEADLINE + timedelta(days=1), None),
        ("archived", DEADLINE + timedelta(days=1), None),
    ],
)
def test_stages(app, evaluating, phase, now, stage):
    evaluating.phase = OperationPhase(phase)
    assert evaluation_reminders.stage_for(evaluating, now) == stage


def test_no_deadline_no_reminders(app, evaluating, users):
    evaluating.evaluation_deadline = None
    db.session.commit()
    assert evaluation_reminders.stage_for(evaluating, DEADLINE) is None
    assert evaluation_reminders.remind_due(DEADLINE + timedelta(days=3)) == []


def test_one_reminder_per_respondent_and_stage(app, evaluating, users):
    op = evaluating
    # Thailand submits; Kenya only has a draft (still reminded)
    for user, iso3, submit in ((users["fp_tha"], "THA", True), (users["fp_ken"], "KEN", False)):
        s = Scope(user)
        r = evaluation.country_respondent_or_404(s, op.id, iso3)
        ratings = {d["code"]: 3 for d in evaluation.ensure_questionnaire(op).dimensions}
        evaluation.save_answers(s, op, r, AnswerInput(ratings=ratings), 0, submit=submit)
    db.session.commit()

    pending = reachable(op) - {"country:THA"}
    week = DEADLINE - timedelta(days=6)
    created = evaluation_reminders.remind_due(week)
    assert {r.respondent for r in created} == pending
    assert pending == {"country:KEN", f"network:{net_id('ASEAN-WEN')}", f"network:{net_id('LATF')}"}
    assert recorded() == {(key, "7d") for key in pending}
    # a rerun (or a second scheduler) records nothing more
    assert evaluation_reminders.remind_due(week + timedelta(hours=3)) == []
    # the next stages
    evaluation_reminders.remind_due(DEADLINE - timedelta(days=1))
    evaluation_reminders.remind_due(DEADLINE + timedelta(days=1))
    assert recorded() == {(key, stage) for key in pending for stage in ("7d", "2d", "overdue")}

    by_key = {r.respondent: r for r in db.session.scalars(select(EvaluationReminder))}
    kenya = by_key["country:KEN"]
    assert kenya.recipients == ["fp_ken@test.example"]
    asean = by_key[f"network:{net_id('ASEAN-WEN')}"]
    assert asean.recipients == ["coord_asean@test.example"]
    assert f"/operations/{op.id}/evaluation/countries/KEN" in kenya.body
    assert "2027-04-15 12:00 UTC" in kenya.body
    assert all(r.sent_at is None for r in by_key.values())  # no SMTP: they stay in the outbox


def test_a_focal_point_added_later_is_reminded_on_the_next_run(app, evaluating, users):
    week = DEADLINE - timedelta(days=6)
    evaluation_reminders.remind_due(week)
    assert ("country:VNM", "7d") not in recorded()
    accounts.create_user(
        email="fp_vnm@test.example", name="Lan", role=Role.FOCAL_POINT, country_iso3="VNM"
    )
    db.session.commit()
    created = evaluation_reminders.remind_due(week + timedelta(days=1))
    assert [r.respondent for r in created] == ["country:VNM"]


def test_with_smtp_the_reminders_are_sent_once(app, evaluating, users, smtp):
    week = DEADLINE - timedelta(days=6)
    created = evaluation_reminders.remind_due(week)
    assert len(smtp.outbox) == len(created) == len(reachable(evaluating))
    assert sorted(m["To"] for m in smtp.outbox) == sorted(
        [
            "coord_asean@test.example",
            "coord_latf@test.example",
            "fp_ken@test.example",
            "fp_tha@test.example",
        ]
    )
    message = next(m for m in smtp.outbox if m["To"] == "fp_tha@test.example")
    assert "Thailand" in message["Subject"] and "Operation Test Shield" in message["Subject"]
    db.session.expire_all()
    assert all(r.sent_at == week for r in db.session.scalars(select(EvaluationReminder)))
    evaluation_reminders.remind_due(week + timedelta(hours=1))
    assert evaluation_reminders.deliver() == 0
    assert len(smtp.outbox) == len(created)


def test_the_daily_task_is_scheduled_and_runs(app, evaluating, users, monkeypatch):
    from opsplanner.celery_setup import celery_config
    from worker import tasks

    entry = celery_config(app)["beat_schedule"]["remind-evaluation-deadlines"]
    assert entry["task"] == "opsplanner.remind_evaluation_deadlines"
    assert entry["schedule"] == timedelta(hours=24)
    monkeypatch.setattr(evaluation_reminders, "now_utc", lambda: DEADLINE - timedelta(days=1))
    assert tasks.remind_evaluation_deadlines.run() == len(reachable(evaluating))
    assert tasks.remind_evaluation_deadlines.run() == 0


def test_the_outbox_is_on_the_responses_page_in_scope(app, evaluating, users):
    evaluation_reminders.remind_due(DEADLINE - timedelta(days=6))
    url = f"/operations/{evaluating.id}/evaluation/responses"
    html = signed_in(app, "organiser@test.example").get(url).get_data(as_text=True)
    assert "fp_tha@test.example" in html and "coord_latf@test.example" in html
    assert "in the outbox" in html
    asean = signed_in(app, "coord_asean@test.example").get(url).get_data(as_text=True)
    assert "fp_tha@test.example" in asean
    assert "fp_ken@test.example" not in asean and "coord_latf@test.example" not in asean
