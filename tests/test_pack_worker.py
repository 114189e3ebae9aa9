"""Publication packs on real Celery workers (SQL transport): a pack requested through the web
completes end to end with its sections spread over two workers, and a worker SIGKILLed in the
middle of a section still yields exactly one complete pack."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import Job, JobStatus, Pack, PackStatus
from opsplanner.services import packs
from tests import pack_datasets, test_worker
from tests.conftest import login, post_form

pytestmark = pytest.mark.worker
# the real-worker fixtures of test_worker
start_worker = test_worker.start_worker

# kaleido would start Chromium for every PNG: the in-process tests cover images; here the
# workers skip them (the path names no browser), which keeps the runs short.
NO_CHROMIUM = {"CHROMIUM_PATH": "/nonexistent/chromium"}


def _logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text()[-3000:] for p in sorted(tmp_path.glob("worker-*.log")))


def wait_for_pack(pack_id: int, tmp_path: Path, timeout: float = 180) -> Pack:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        pack = db.session.get(Pack, pack_id)
        if pack.status in (PackStatus.SUCCEEDED, PackStatus.FAILED):
            return pack
        db.session.rollback()  # a fresh read transaction for the next poll
        time.sleep(0.3)
    pytest.fail(f"pack {pack_id} did not finish in {timeout}s; worker logs:\n{_logs(tmp_path)}")


def wait_until(predicate, tmp_path: Path, timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if predicate():
            return
        db.session.rollback()
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker logs:\n{_logs(tmp_path)}")


def assert_one_complete_pack(pack: Pack) -> None:
    folder = packs.pack_dir(pack)
    assert [p.name for p in folder.glob("*.zip")] == [pack.zip_name]
    assert not [p for p in folder.rglob(".*")], "scratch files left behind"
    with zipfile.ZipFile(folder / pack.zip_name) as zf:
        names = zf.namelist()
        assert len(names) == len(set(names))
        manifest = json.loads(zf.read("manifest.json"))
        listed = {f["path"]: f["sha256"] for f in manifest["files"]}
        assert set(listed) == set(names) - {"manifest.json"}
        for name, digest in listed.items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest, name
    assert manifest["data_version"] == pack.data_version
    assert pack.zip_sha256 == packs.sha256_file(folder / pack.zip_name)
    assert db.session.scalar(select(func.count()).select_from(Pack)) == 1
    assembled = db.session.scalar(
        select(func.count()).where(Job.kind == packs.ASSEMBLE_JOB, Job.key.like(f"pack{pack.id}:%"))
    )
    assert assembled == 1


def test_a_pack_requested_on_the_web_is_built_by_the_workers(
    app,
    client,
    users,
    reporting,
    start_worker,
    tmp_path,
):
    assert app.extensions["celery"].conf.broker_url.startswith("sqla+sqlite")
    pack_datasets.mixed(reporting, users)
    start_worker(**NO_CHROMIUM)
    start_worker(**NO_CHROMIUM)  # sections build in parallel and join at the end
    login(client, users["organiser"].email)
    url = f"/operations/{reporting.id}/packs"
    response = post_form(client, url, {"audience": "public"})
    assert response.status_code == 302
    pack_id = int(response.headers["Location"].rstrip("/").split("/")[-1])

    pack = wait_for_pack(pack_id, tmp_path)
    assert pack.status is PackStatus.SUCCEEDED, (pack.error, _logs(tmp_path))
    status = client.get(f"{url}/{pack_id}/status.json").get_json()
    assert (status["status"], status["percent"], status["done"]) == ("succeeded", 100, 5)
    assert {s["artifact"] for s in status["skipped"]} >= {"map.png", "timeline.png"}
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == pack.zip_sha256
    assert_one_complete_pack(pack)
    jobs_run = db.session.scalars(select(Job).where(Job.key.like(f"pack{pack_id}:%"))).all()
    assert len(jobs_run) == 5 and all(j.status is JobStatus.SUCCEEDED for j in jobs_run)
    # asking again with unchanged data: the same pack, nothing queued
    again = post_form(client, url, {"audience": "public"})
    assert again.headers["Location"].endswith(f"/packs/{pack_id}")
    assert db.session.scalar(select(func.count()).select_from(Job)) == 5


def test_a_worker_killed_mid_pack_still_yields_exactly_one_complete_pack(
    app,
    users,
    reporting,
    start_worker,
    tmp_path,
):
    from opsplanner.services.scoping import Scope

    pack_datasets.mixed(reporting, users)
    # The first worker pauses the report section half-way through writing its files.
    doomed = start_worker(PACK_SECTION_DELAY="report:300", JOB_LEASE_SECONDS="3", **NO_CHROMIUM)
    pack = packs.request_pack(Scope(users["organiser"]), reporting, "public")
    pack_id = pack.id
    report = next(s for s in pack.sections if s.name == "report")
    report_job = report.job_id

    def paused() -> bool:
        job = db.session.get(Job, report_job)
        return job.status is JobStatus.RUNNING and job.progress_message == "paused (test hook)"

    wait_until(paused, tmp_path, what="the report section to pause")
    sections = packs.pack_dir(pack_id) / "sections"
    assert list(sections.glob(".tmp-report-*")), "the report is half-written in its scratch"
    os.kill(doomed.pid, signal.SIGKILL)  # no ack, no cleanup, no failure recorded
    doomed.wait(timeout=10)
    assert db.session.get(Job, report_job).status is JobStatus.RUNNING

    # A second worker with the periodic reconciler: the lease runs out, the job is re-sent.
    start_worker(beat=True, RECONCILE_INTERVAL_SECONDS="1", **NO_CHROMIUM)
    pack = wait_for_pack(pack_id, tmp_path)
    assert pack.status is PackStatus.SUCCEEDED, (pack.error, _logs(tmp_path))
    job = db.session.get(Job, report_job)
    assert job.status is JobStatus.SUCCEEDED and job.attempts == 2
    assert_one_complete_pack(pack)
    report_files = {f["name"] for f in next(s for s in pack.sections if s.name == "report").files}
    assert report_files == {p.name for p in (sections / "report").iterdir()}
