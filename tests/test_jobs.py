"""The job machinery without a worker: claim, run, retry, give up, reconcile, outputs."""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, select, text, update

from opsplanner.extensions import db
from opsplanner.models import Job, JobStatus, Participation
from opsplanner.services import broker, exports, jobs


def broker_messages(app) -> list[str]:
    """Payloads waiting in the SQL transport's queue (what a worker would receive)."""
    engine = create_engine(app.config["CELERY_BROKER_URL"].removeprefix("sqla+"))
    try:
        with engine.connect() as conn:
            if not conn.execute(
                text("SELECT name FROM sqlite_master WHERE name='kombu_message'")
            ).first():
                return []
            return [
                r[0]
                for r in conn.execute(
                    text("SELECT payload FROM kombu_message WHERE visible = 1 ORDER BY id")
                )
            ]
    finally:
        engine.dispose()


def request_export(operation, users) -> Job:
    return exports.request_participation_export(operation, by=users["organiser"])


def test_enqueue_commits_the_job_and_sends_one_message(app, operation, users):
    job = request_export(operation, users)
    db.session.expire_all()
    stored = db.session.get(Job, job.id)
    assert stored.status is JobStatus.QUEUED
    assert stored.params["operation_id"] == operation.id
    messages = broker_messages(app)
    assert len(messages) == 1 and jobs.RUN_JOB_TASK in messages[0]


def test_same_data_reuses_the_job_changed_data_makes_a_new_one(app, operation, users):
    first = request_export(operation, users)
    assert request_export(operation, users).id == first.id
    assert len(broker_messages(app)) == 1  # no second wake-up for the same work

    p = db.session.scalar(select(Participation).where(Participation.country_iso3 == "FRA"))
    p.status_note = "changed"
    from opsplanner.models import ParticipationStatus

    p.status = ParticipationStatus.DECLINED
    db.session.commit()
    assert request_export(operation, users).id != first.id


def test_claim_is_compare_and_set(app, operation, users):
    job = request_export(operation, users)
    assert jobs.claim(job.id, "worker-a") is not None
    assert jobs.claim(job.id, "worker-b") is None  # lease still valid
    db.session.expire_all()
    stored = db.session.get(Job, job.id)
    assert (stored.status, stored.attempts, stored.lease_owner) == (
        JobStatus.RUNNING,
        1,
        "worker-a",
    )


def test_run_builds_verified_outputs_once(app, operation, users):
    job = request_export(operation, users)
    outcome = jobs.run(job.id)
    assert outcome.status == "succeeded"
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status is JobStatus.SUCCEEDED and job.progress == 100
    n = len(operation.participations)
    assert job.result["rows"] == n
    folder = jobs.output_dir(job)
    names = sorted(f["name"] for f in job.result["files"])
    assert sorted(p.name for p in folder.iterdir()) == names

    csv_path = jobs.result_file(job, "operation-test-shield-participations.csv")
    with csv_path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["ISO3"] for r in rows) == sorted(
        p.country_iso3 for p in operation.participations
    )
    assert {r["Coordinating network"] for r in rows if r["ISO3"] == "KEN"} == {"LATF"}
    sheet = load_workbook(jobs.result_file(job, "operation-test-shield-participations.xlsx"))
    assert sheet.active.max_row == n + 1

    # Running the same job again does nothing: it is finished.
    assert jobs.run(job.id).status == "skipped"
    assert sorted(p.name for p in folder.iterdir()) == names
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_exports_neutralise_formula_text(app, operation, users):
    users["fp_ken"].name = '=HYPERLINK("http://x")'
    p = db.session.scalar(select(Participation).where(Participation.country_iso3 == "KEN"))
    p.focal_points.append(users["fp_ken"])
    db.session.commit()
    job = request_export(operation, users)
    jobs.run(job.id)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    text_csv = jobs.result_file(job, "operation-test-shield-participations.csv").read_text(
        encoding="utf-8-sig"
    )
    assert "'=HYPERLINK" in text_csv
    ws = load_workbook(jobs.result_file(job, "operation-test-shield-participations.xlsx")).active
    cells = [c for row in ws.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)


def test_transient_failures_retry_then_fail_with_the_error(app, operation, users, tmp_path):
    # A file where the export folder should be: every attempt fails the same way.
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    app.config["EXPORT_DIR"] = str(blocker)
    job = request_export(operation, users)
    outcomes = [jobs.run(job.id) for _ in range(job.max_attempts)]
    assert [o.status for o in outcomes] == ["retry"] * (job.max_attempts - 1) + ["failed"]
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status is JobStatus.FAILED
    assert job.attempts == job.max_attempts
    assert "NotADirectoryError" in job.error or "FileExistsError" in job.error
    assert jobs.run(job.id).status == "skipped"  # the cap holds


def test_a_permanent_error_fails_at_once(app, operation, users):
    job = jobs.enqueue(exports.PARTICIPATION_EXPORT, key="gone", params={"operation_id": 999})
    outcome = jobs.run(job.id)
    assert outcome.status == "failed" and outcome.attempts == 1
    assert "no longer exists" in db.session.get(Job, job.id).error


def test_a_failed_job_can_be_requested_again(app, operation, users):
    job = jobs.enqueue(exports.PARTICIPATION_EXPORT, key="k", params={"operation_id": 999})
    jobs.run(job.id)
    again = jobs.enqueue(exports.PARTICIPATION_EXPORT, key="k", params={"operation_id": 999})
    assert again.id == job.id
    assert (again.status, again.attempts, again.error) == (JobStatus.QUEUED, 0, None)


def _expire_lease(job_id: int, attempts: int) -> None:
    db.session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=JobStatus.RUNNING,
            attempts=attempts,
            lease_owner="dead-worker",
            lease_expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
    )
    db.session.commit()


def test_reconcile_resends_a_job_whose_worker_died(app, operation, users):
    job = request_export(operation, users)
    _expire_lease(job.id, attempts=1)
    assert jobs.reconcile() == [job.id]
    db.session.expire_all()
    assert db.session.get(Job, job.id).status is JobStatus.QUEUED
    assert len(broker_messages(app)) == 2  # the original message and the re-send
    assert jobs.run(job.id).status == "succeeded"
    assert db.session.get(Job, job.id).attempts == 2


def test_reconcile_gives_up_when_attempts_are_exhausted(app, operation, users):
    job = request_export(operation, users)
    _expire_lease(job.id, attempts=job.max_attempts)
    assert jobs.reconcile() == []
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status is JobStatus.FAILED
    assert job.error.startswith(f"gave up after {job.max_attempts} attempt(s)")


def test_reconcile_resends_a_queued_job_whose_message_was_lost(app, operation, users):
    job = jobs.enqueue(
        exports.PARTICIPATION_EXPORT, key="lost", params={"operation_id": operation.id}, send=False
    )
    assert jobs.reconcile() == []  # within the grace period: the message may still come
    later = datetime.now(UTC) + timedelta(seconds=app.config["JOB_QUEUE_GRACE_SECONDS"] + 1)
    assert jobs.reconcile(now=later) == [job.id]
    assert len(broker_messages(app)) == 1


def test_a_broker_outage_loses_no_request(app, operation, users, caplog):
    app.extensions["celery"].conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens
    with caplog.at_level(logging.WARNING):
        job = request_export(operation, users)
    assert "reconciler will retry" in caplog.text
    db.session.expire_all()
    assert db.session.get(Job, job.id).status is JobStatus.QUEUED  # committed before the send


def test_atomic_output_leaves_nothing_behind_on_failure(app, operation, users):
    job = request_export(operation, users)
    with pytest.raises(RuntimeError), jobs.atomic_output(job) as folder:
        (folder / "half.csv").write_text("partial")
        raise RuntimeError("crash mid-write")
    parent = jobs.output_dir(job).parent
    assert list(parent.iterdir()) == []


def test_result_file_refuses_names_outside_the_result(app, operation, users):
    job = request_export(operation, users)
    jobs.run(job.id)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert jobs.result_file(job, "../../opsplanner.sqlite") is None
    assert jobs.result_file(job, "secret_key") is None


def test_broker_cleanup_deletes_consumed_messages_only(app, operation, users):
    request_export(operation, users)
    jobs.dispatch(12345)
    url = app.config["CELERY_BROKER_URL"].removeprefix("sqla+")
    engine = create_engine(url)
    with engine.begin() as conn:
        first = conn.execute(text("SELECT min(id) FROM kombu_message")).scalar()
        conn.execute(
            text("UPDATE kombu_message SET visible = 0, timestamp = :old WHERE id = :id"),
            {"old": datetime.now() - timedelta(hours=2), "id": first},
        )
    engine.dispose()
    assert broker.delete_consumed_messages() == 1
    assert len(broker_messages(app)) == 1


def test_job_page_and_status_are_scoped_to_the_requester(app, client, operation, users):
    from tests.conftest import login

    job = request_export(operation, users)
    login(client, users["fp_ken"].email)
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}/status").status_code == 404
    other = app.test_client()
    login(other, users["organiser"].email)
    body = other.get(f"/jobs/{job.id}/status").get_json()
    assert body["status"] == "queued" and body["files"] == []


def test_progress_extends_the_lease_of_the_owner_only(app, operation, users):
    job = request_export(operation, users)
    jobs.claim(job.id, "me")
    jobs.report_progress(job.id, "someone-else", 50, "ignored")
    db.session.expire_all()
    assert db.session.get(Job, job.id).progress == 0
    jobs.report_progress(job.id, "me", 50, "half way")
    db.session.expire_all()
    stored = db.session.get(Job, job.id)
    assert (stored.progress, stored.progress_message) == (50, "half way")
    assert stored.lease_expires_at > datetime.now(UTC) + timedelta(seconds=10)


def test_output_dir_is_under_the_export_dir(app, operation, users):
    job = request_export(operation, users)
    assert Path(app.config["EXPORT_DIR"]) in jobs.output_dir(job).parents
