"""Thin Celery tasks: the logic lives in opsplanner.services and is testable without a worker."""

from __future__ import annotations

import logging

from celery import shared_task

from opsplanner.services import (
    broker,
    evaluation_reminders,
    jobs,
    packs,
    report_reminders,
    sheets,
)

log = logging.getLogger(__name__)


@shared_task(bind=True, name=jobs.RUN_JOB_TASK, max_retries=None, acks_late=True)
def run_job(self, job_id: int) -> str:
    owner = f"{self.request.hostname}:{self.request.id}"
    outcome = jobs.run(job_id, owner=owner)
    if outcome.status == "retry":
        # Our own attempt cap (on the job row) bounds this, not Celery's counter: a task that
        # kills its worker never reaches this line, and the reconciler counts that attempt.
        delay = jobs.retry_delay(outcome.attempts)
        if not jobs.dispatch(job_id, countdown=delay):
            log.warning("job %s will be re-sent by the reconciler", job_id)
    return outcome.status


@shared_task(name="opsplanner.reconcile_jobs", ignore_result=True)
def reconcile_jobs() -> list[int]:
    resent = jobs.reconcile()
    # Packs whose sections all succeeded but whose assembly was never queued (a worker died
    # between a section's commit and its join), and packs whose jobs gave up.
    packs.reconcile_packs()
    return resent


@shared_task(name="opsplanner.clean_broker", ignore_result=True)
def clean_broker() -> int:
    return broker.delete_consumed_messages()


@shared_task(name="opsplanner.remind_stale_sheets", ignore_result=True)
def remind_stale_sheets() -> int:
    # Idempotent: one reminder per sheet and stale period, however often this runs.
    return len(sheets.remind_stale())


@shared_task(name="opsplanner.remind_report_deadlines", ignore_result=True)
def remind_report_deadlines() -> int:
    # Idempotent: one reminder per country and stage (7d, 2d, overdue), however often this runs.
    return len(report_reminders.remind_due())


@shared_task(name="opsplanner.remind_evaluation_deadlines", ignore_result=True)
def remind_evaluation_deadlines() -> int:
    # Idempotent: one reminder per respondent and stage (7d, 2d, overdue), however often it runs.
    return len(evaluation_reminders.remind_due())
