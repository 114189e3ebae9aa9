"""Reminders to the respondents whose evaluation answers are not submitted as the evaluation
deadline (``Operation.evaluation_deadline``, set by the organiser on the questionnaire page)
nears: the outbox of ``EvaluationReminder`` rows, filled by a daily task and sent by e-mail when
an SMTP server is configured (otherwise they stay in the outbox, shown on the responses page).
The mechanics are those of the results reminders (``services/report_reminders.py``).

Stages, only while the operation is in its evaluation phase (answers are taken only then), for
each expected respondent (country or network) without submitted answers:

- ``7d``: the deadline is at most seven days away;
- ``2d``: at most two days away;
- ``overdue``: the deadline has passed.

One reminder per respondent and stage: the (operation, respondent, stage) unique key lets only
one in, so two schedulers or a rerun never remind twice. A run records the stage that applies at
that moment only. An operation without a deadline gets no reminders.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import EvaluationReminder, Operation, OperationPhase, ResponseStatus
from opsplanner.services import evaluation, mailer
from opsplanner.services.evaluation import Respondent

STAGE_LEADS = mailer.REMINDER_LEADS


def now_utc() -> datetime:
    return datetime.now(UTC)


def stage_for(op: Operation, now: datetime) -> str | None:
    """The reminder stage of ``op`` at ``now``, or None when no reminder is due."""
    if op.phase is not OperationPhase.EVALUATION or op.evaluation_deadline is None:
        return None
    return mailer.stage_before(op.evaluation_deadline, now)


def answer_path(op: Operation, r: Respondent) -> str:
    if r.iso3 is not None:
        return f"/operations/{op.id}/evaluation/countries/{r.iso3}"
    return f"/operations/{op.id}/evaluation/networks/{r.network_id}"


def reminder_text(op: Operation, r: Respondent, stage: str) -> tuple[str, str]:
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    link = base + answer_path(op, r)
    assert op.evaluation_deadline is not None
    deadline = op.evaluation_deadline.strftime("%Y-%m-%d %H:%M UTC")
    if stage == "overdue":
        subject = _(
            "%(operation)s: the evaluation answers of %(who)s are overdue",
            operation=op.code_name,
            who=r.label,
        )
        body = _(
            "The evaluation of %(operation)s was due on %(deadline)s and the answers of "
            "%(who)s have not been submitted yet. They are still taken while the evaluation "
            "runs: please answer and submit as soon as you can: %(link)s",
            operation=op.code_name,
            deadline=deadline,
            who=r.label,
            link=link,
        )
    else:
        subject = _(
            "%(operation)s: the evaluation answers of %(who)s are due on %(deadline)s",
            operation=op.code_name,
            who=r.label,
            deadline=deadline,
        )
        body = _(
            "The evaluation of %(operation)s closes on %(deadline)s, in less than %(days)d "
            "days, and the answers of %(who)s have not been submitted yet. It takes a few "
            "minutes: %(link)s",
            operation=op.code_name,
            deadline=deadline,
            days=STAGE_LEADS[stage].days,
            who=r.label,
            link=link,
        )
    return subject, body


def _due_operations(only: Operation | None = None) -> list[Operation]:
    query = (
        select(Operation)
        .where(
            Operation.phase == OperationPhase.EVALUATION,
            Operation.evaluation_deadline.is_not(None),
        )
        .order_by(Operation.id)
    )
    if only is not None:
        query = query.where(Operation.id == only.id)
    return list(db.session.scalars(query))


def remind_due(
    now: datetime | None = None,
    *,
    send: bool = True,
    only: Operation | None = None,
    commit: bool = True,
) -> list[EvaluationReminder]:
    """Record the reminders due at ``now`` for every operation in evaluation (or ``only``
    that one), then send the unsent ones if e-mail is set up and ``send``. Commits unless
    ``commit`` is false; returns the reminders it recorded."""
    now = now or now_utc()
    created: list[EvaluationReminder] = []
    for op in _due_operations(only):
        stage = stage_for(op, now)
        if stage is None:
            continue
        answers = evaluation.responses(op)
        pending = [
            r
            for r in evaluation.expected_respondents(op)
            if not (r.key in answers and answers[r.key].status is ResponseStatus.SUBMITTED)
        ]
        if not pending:
            continue
        done = set(
            db.session.scalars(
                select(EvaluationReminder.respondent).where(
                    EvaluationReminder.operation_id == op.id,
                    EvaluationReminder.stage == stage,
                )
            )
        )
        emails = evaluation.respondent_emails(pending)
        chosen = mailer.chosen_languages(e for found in emails.values() for e in found)
        for r in pending:
            if r.key in done:
                continue
            recipients = emails.get(r.key, [])
            if not recipients:
                continue  # nobody to write to yet; a later run reminds an account added since
            with mailer.written_in(recipients, chosen):
                subject, body = reminder_text(op, r, stage)
            reminder = EvaluationReminder(
                operation_id=op.id,
                respondent=r.key,
                stage=stage,
                created_at=now,
                recipients=recipients,
                subject=subject[:200],
                body=body,
            )
            if mailer.record_once(
                reminder,
                "evaluation.reminder",
                "operation",
                op.id,
                after={"respondent": r.key, "stage": stage, "recipients": len(recipients)},
                operation_id=op.id,
                country_iso3=r.iso3,
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
    """Send the outbox by e-mail when SMTP is configured. Returns how many were sent."""
    return mailer.deliver_outbox(EvaluationReminder, now)


def outbox(op: Operation, keys: set[str], limit: int = 500) -> list[EvaluationReminder]:
    """The operation's reminders to the given respondents (those the viewer sees), newest
    first."""
    if not keys:
        return []
    return list(
        db.session.scalars(
            select(EvaluationReminder)
            .where(
                EvaluationReminder.operation_id == op.id,
                EvaluationReminder.respondent.in_(sorted(keys)),
            )
            .order_by(EvaluationReminder.created_at.desc(), EvaluationReminder.id.desc())
            .limit(limit)
        )
    )
