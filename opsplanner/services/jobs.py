"""Background work through the job table.

The row is the source of truth; the broker only carries wake-up calls. A job is claimed with a
compare-and-set update that takes a lease and counts the attempt, so a duplicate message, a
redelivery after a worker crash, or a re-enqueue by the reconciler cannot run it twice at once,
and a job that keeps killing its worker stops after ``max_attempts``.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, update

from opsplanner.extensions import db
from opsplanner.models import Job, JobStatus, User

log = logging.getLogger(__name__)

RUN_JOB_TASK = "opsplanner.run_job"  # the name worker/tasks.py registers
ProgressFn = Callable[[int, str], None]
Handler = Callable[[Job, ProgressFn], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


class PermanentJobError(Exception):
    """A failure that no retry can fix (bad parameters, missing data): fail at once."""


def _now() -> datetime:
    return datetime.now(UTC)


# -- requesting work ------------------------------------------------------------------------
def enqueue(
    kind: str,
    key: str,
    params: dict[str, Any] | None = None,
    *,
    requested_by: User | None = None,
    send: bool = True,
) -> Job:
    """Insert or reuse the job for (kind, key), commit, then wake a worker.

    A succeeded or running job is reused as it is; a failed one is reset for a fresh try.
    """
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = db.session.scalar(select(Job).where(Job.kind == kind, Job.key == key))
    if job is None:
        job = Job(
            kind=kind,
            key=key,
            params=params or {},
            max_attempts=current_app.config["JOB_MAX_ATTEMPTS"],
            requested_by_id=requested_by.id if requested_by else None,
        )
        db.session.add(job)
    elif job.status is JobStatus.FAILED:
        job.status = JobStatus.QUEUED
        job.attempts = 0
        job.error = None
        job.progress = 0
        job.progress_message = ""
        job.lease_owner = None
        job.lease_expires_at = None
    else:
        return job
    job.enqueued_at = _now()
    db.session.commit()
    if send:
        dispatch(job.id)
    return job


def dispatch(job_id: int, countdown: float | None = None) -> bool:
    """Send the wake-up message. A broker outage is logged, not raised: the job row is already
    committed and the reconciler sends it again, so the request is not lost."""
    celery = current_app.extensions["celery"]
    try:
        celery.send_task(RUN_JOB_TASK, args=(job_id,), countdown=countdown, retry=False)
    except Exception:
        log.warning("could not send job %s to the broker; the reconciler will retry", job_id)
        return False
    return True


# -- running work ---------------------------------------------------------------------------
def claim(job_id: int, owner: str) -> Job | None:
    """Take the job if it is queued, or running with an expired lease, and has attempts left."""
    now = _now()
    lease = timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])
    result = db.session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.attempts < Job.max_attempts,
            or_(
                Job.status == JobStatus.QUEUED,
                and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now),
            ),
        )
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            lease_owner=owner,
            lease_expires_at=now + lease,
            started_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(Job, job_id, populate_existing=True)


def report_progress(job_id: int, owner: str, percent: int, message: str = "") -> None:
    """Record progress and extend the lease, on its own connection so the handler's unit of
    work is not committed half-way."""
    lease = timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])
    now = _now()
    with db.engine.begin() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.lease_owner == owner)
            .values(
                progress=max(0, min(100, int(percent))),
                progress_message=message[:200],
                lease_expires_at=now + lease,
                updated_at=now,
            )
        )


@dataclass
class Outcome:
    status: str  # "succeeded", "retry", "failed", "skipped"
    job_id: int
    attempts: int = 0
    error: str | None = None


def run(job_id: int, owner: str | None = None) -> Outcome:
    """Claim and execute one job. Safe to call any number of times for the same id."""
    owner = owner or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    job = claim(job_id, owner)
    if job is None:
        _fail_if_exhausted(job_id)
        return Outcome("skipped", job_id)
    handler = HANDLERS.get(job.kind)

    def progress(percent: int, message: str = "") -> None:
        report_progress(job_id, owner, percent, message)

    try:
        if handler is None:
            raise PermanentJobError(f"no handler for job kind {job.kind!r}")
        result = handler(job, progress)
    except Exception as exc:
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        log.exception("job %s (%s) attempt %s failed", job_id, job.kind, job.attempts)
        permanent = isinstance(exc, PermanentJobError)
        return _record_failure(job_id, owner, error, permanent=permanent)

    now = _now()
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner)
        .values(
            status=JobStatus.SUCCEEDED,
            progress=100,
            progress_message="done",
            result=result,
            error=None,
            finished_at=now,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return Outcome("succeeded", job_id, attempts=job.attempts)


def _record_failure(job_id: int, owner: str, error: str, *, permanent: bool) -> Outcome:
    job = db.session.get(Job, job_id, populate_existing=True)
    assert job is not None
    now = _now()
    if permanent or job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED
        job.finished_at = now
        status = "failed"
    else:
        job.status = JobStatus.QUEUED
        job.enqueued_at = now
        status = "retry"
    job.error = error[:4000]
    job.lease_owner = None
    job.lease_expires_at = None
    db.session.commit()
    return Outcome(status, job_id, attempts=job.attempts, error=error)


def _fail_if_exhausted(job_id: int) -> None:
    """A job whose attempts are used up and that is not finished is failed for good."""
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is None or job.is_finished or job.attempts < job.max_attempts:
        return
    if job.status is JobStatus.RUNNING and job.lease_expires_at and job.lease_expires_at > _now():
        return  # the last attempt is still under way
    _give_up(job)
    db.session.commit()


def _give_up(job: Job) -> None:
    job.status = JobStatus.FAILED
    job.finished_at = _now()
    last = job.error or "the worker stopped before finishing (lease expired)"
    job.error = f"gave up after {job.attempts} attempt(s): {last}"[:4000]
    job.lease_owner = None
    job.lease_expires_at = None


def retry_delay(attempts: int) -> float:
    """Exponential backoff: 5 s, 10 s, 20 s ... capped at five minutes."""
    return float(min(300, 5 * 2 ** max(0, attempts - 1)))


# -- recovery -------------------------------------------------------------------------------
def reconcile(now: datetime | None = None) -> list[int]:
    """Re-enqueue work whose message was lost or whose worker died; fail what is exhausted.

    Returns the ids sent again.
    """
    now = now or _now()
    grace = timedelta(seconds=current_app.config["JOB_QUEUE_GRACE_SECONDS"])
    stale = db.session.scalars(
        select(Job).where(
            or_(
                and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now),
                and_(Job.status == JobStatus.QUEUED, Job.enqueued_at < now - grace),
            )
        )
    ).all()
    resend: list[int] = []
    for job in stale:
        if job.attempts >= job.max_attempts:
            _give_up(job)
            continue
        if job.status is JobStatus.RUNNING:
            job.error = f"attempt {job.attempts} lost its worker (lease expired)"
        job.status = JobStatus.QUEUED
        job.lease_owner = None
        job.lease_expires_at = None
        job.enqueued_at = now
        resend.append(job.id)
    db.session.commit()
    for job_id in resend:
        dispatch(job_id)
    return resend


# -- outputs --------------------------------------------------------------------------------
def output_dir(job: Job) -> Path:
    return Path(current_app.config["EXPORT_DIR"]) / "jobs" / str(job.id)


@contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Write into a scratch folder next to ``final`` and move it into place only when complete,
    so a reader never sees a half-written result and a rerun replaces, never duplicates.
    Scratch folders left by a killed attempt at the same folder are removed first."""
    final.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".tmp-{final.name}-"
    for stale in final.parent.glob(prefix + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    scratch = final.parent / f"{prefix}{uuid.uuid4().hex}"
    scratch.mkdir()
    try:
        yield scratch
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    if final.exists():
        retired = final.parent / f".old-{final.name}-{uuid.uuid4().hex}"
        os.replace(final, retired)
        os.replace(scratch, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(scratch, final)


@contextmanager
def atomic_output(job: Job) -> Iterator[Path]:
    """A job's output folder, written atomically (see ``atomic_dir``)."""
    with atomic_dir(output_dir(job)) as scratch:
        yield scratch


def result_file(job: Job, name: str) -> Path | None:
    """The path of a finished job's output file, refusing anything outside its folder."""
    if job.status is not JobStatus.SUCCEEDED or not job.result:
        return None
    files = {f["name"] for f in job.result.get("files", [])}
    if name not in files:
        return None
    path = output_dir(job) / name
    return path if path.is_file() else None
