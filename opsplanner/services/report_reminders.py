"""Reminders to the countries whose results are not in as the reporting deadline nears: the
outbox of ``ReportReminder`` rows, filled by a daily task and sent by e-mail when an SMTP server
is configured (otherwise they stay in the outbox, which organisers and coordinators see in the
app). The mechanics follow the network-sheet reminders (``services/sheets.py``).

Stages, for each confirmed country whose report is a draft (or not started) or was returned:

- ``7d``: the deadline is at most seven days away (operation active or in reporting);
- ``2d``: at most two days away (operation active or in reporting);
- ``overdue``: the deadline has passed and the operation is in reporting or evaluation.

One reminder per country and stage, whatever the schedule: the (participation, stage) unique
key lets only one in, so two schedulers or a rerun never remind twice. A run records the stage
that applies at that moment only: a country first seen a day before the deadline gets the
two-day reminder, not the seven-day one as well.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    Operation,
    OperationPhase,
    Participation,
    ParticipationStatus,
    ReportReminder,
)
from opsplanner.services import mailer
from opsplanner.services.completeness import focal_point_emails, is_reported, reports_of
from opsplanner.services.scoping import Scope

STAGES = ("7d", "2d", "overdue")
STAGE_LEADS = mailer.REMINDER_LEADS
# Before the deadline: while seizures are made and reported. After it: while late reports
# are still taken.
BEFORE_DEADLINE_PHASES = (OperationPhase.ACTIVE, OperationPhase.REPORTING)
AFTER_DEADLINE_PHASES = (OperationPhase.REPORTING, OperationPhase.EVALUATION)
REMINDER_PHASES = (OperationPhase.ACTIVE, OperationPhase.REPORTING, OperationPhase.EVALUATION)


def now_utc() -> datetime:
    return datetime.now(UTC)


def stage_for(op: Operation, now: datetime) -> str | None:
    """The reminder stage of ``op`` at ``now``, or None when no reminder is due."""
    stage = mailer.stage_before(op.reporting_deadline, now)
    if stage == "overdue":
        return stage if op.phase in AFTER_DEADLINE_PHASES else None
    return stage if op.phase in BEFORE_DEADLINE_PHASES else None


def reminder_text(p: Participation, stage: str) -> tuple[str, str]:
    op = p.operation
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    link = f"{base}/operations/{op.id}"
    deadline = op.reporting_deadline.strftime("%Y-%m-%d %H:%M UTC")
    if stage == "overdue":
        subject = _(
            "%(operation)s: the results of %(country)s are overdue",
            operation=op.code_name,
            country=p.country.name,
        )
        body = _(
            "The results of %(country)s for %(operation)s were due on %(deadline)s and have "
            "not been submitted yet. Late results are still taken while the evaluation runs: "
            "please enter them and submit the report as soon as you can: %(link)s",
            country=p.country.name,
            operation=op.code_name,
            deadline=deadline,
            link=link,
        )
    else:
        subject = _(
            "%(operation)s: the results of %(country)s are due on %(deadline)s",
            operation=op.code_name,
            country=p.country.name,
            deadline=deadline,
        )
        body = _(
            "The results of %(country)s for %(operation)s are due on %(deadline)s, in less "
            "than %(days)d days, and the report has not been submitted yet. Please enter the "
            "seizures and national results, then submit the report: %(link)s",
            country=p.country.name,
            operation=op.code_name,
            deadline=deadline,
            days=STAGE_LEADS[stage].days,
            link=link,
        )
    return subject, body


def _due_operations(only: Operation | None = None) -> list[Operation]:
    query = select(Operation).where(Operation.phase.in_(REMINDER_PHASES)).order_by(Operation.id)
    if only is not None:
        query = query.where(Operation.id == only.id)
    return list(db.session.scalars(query))


def _confirmed(op: Operation) -> list[Participation]:
    return list(
        db.session.scalars(
            select(Participation)
            .where(
                Participation.operation_id == op.id,
                Participation.status == ParticipationStatus.CONFIRMED,
            )
            .options(
                selectinload(Participation.focal_points),
                selectinload(Participation.country),
            )
            .order_by(Participation.country_iso3)
        )
    )


def remind_due(
    now: datetime | None = None,
    *,
    send: bool = True,
    only: Operation | None = None,
    commit: bool = True,
) -> list[ReportReminder]:
    """Record the reminders due at ``now`` (default: the current time) for every operation in
    a reminder phase (or ``only`` that one), then send the unsent ones if e-mail is set up and
    ``send``. Commits (unless ``commit`` is false: the demo loader commits itself, and sends
    nothing); returns the reminders it recorded."""
    now = now or now_utc()
    created: list[ReportReminder] = []
    for op in _due_operations(only):
        stage = stage_for(op, now)
        if stage is None:
            continue
        participations = _confirmed(op)
        reports = reports_of([p.id for p in participations])
        pending = [
            p for p in participations if not is_reported(getattr(reports.get(p.id), "status", None))
        ]
        if not pending:
            continue
        done = set(
            db.session.scalars(
                select(ReportReminder.participation_id).where(
                    ReportReminder.participation_id.in_([p.id for p in pending]),
                    ReportReminder.stage == stage,
                )
            )
        )
        emails = focal_point_emails(pending)
        chosen = mailer.chosen_languages(e for found in emails.values() for e in found)
        for p in pending:
            if p.id in done:
                continue
            recipients = emails.get(p.id, [])
            if not recipients:
                continue  # nobody to write to yet; a later run reminds a focal point added since
            with mailer.written_in(recipients, chosen):
                subject, body = reminder_text(p, stage)
            reminder = ReportReminder(
                participation_id=p.id,
                stage=stage,
                created_at=now,
                recipients=recipients,
                subject=subject[:200],
                body=body,
            )
            if mailer.record_once(
                reminder,
                "report.reminder",
                "participation",
                p.id,
                after={"stage": stage, "recipients": len(recipients)},
                operation_id=op.id,
                country_iso3=p.country_iso3,
            ):
                created.append(reminder)
    if not commit:
        db.session.flush()
        return created
    db.session.commit()
    if send:
        deliver(now)
    return created


def deliver(now: datetime | None = None) -> int:
    """Send the outbox by e-mail when SMTP is configured; without it the reminders stay in
    the outbox, shown in the app. Returns how many were sent."""
    return mailer.deliver_outbox(ReportReminder, now)


def outbox(op: Operation, scope: Scope, limit: int = 500) -> list[ReportReminder]:
    """The operation's reminders the viewer may see (their countries), newest first."""
    visible = [p.id for p in db.session.scalars(scope.participations(op))]
    if not visible:
        return []
    return list(
        db.session.scalars(
            select(ReportReminder)
            .where(ReportReminder.participation_id.in_(visible))
            .options(selectinload(ReportReminder.participation).selectinload(Participation.country))
            .order_by(ReportReminder.created_at.desc(), ReportReminder.id.desc())
            .limit(limit)
        )
    )
