"""Publication packs without a worker: request and reuse, sections and assembly run in-process
(``jobs.run`` for each job the code dispatches), the manifest and zip, the public pack's
content rules, the embargo on every role and route, and the Chromium-less build."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    Job,
    JobStatus,
    OperationPhase,
    Pack,
    PackAudience,
    PackSection,
    PackStatus,
    PressTemplate,
)
from opsplanner.services import chart_files, jobs, pack_sections, packs
from opsplanner.services.errors import Conflict, Forbidden, NotFound
from opsplanner.services.jobs import PermanentJobError
from opsplanner.services.scoping import Scope
from tests import pack_datasets
from tests.conftest import csrf_token, post_form, signed_in

ROLES = ("organiser", "coord_asean", "fp_tha", "comms")
# Participating countries that do not consent (or have no approved report) in ``mixed``.
NOT_NAMED = ("Viet Nam", "Uganda", "France")
NOT_NAMED_CODES = ("VNM", "UGA", "FRA")


# -- running the jobs in-process -----------------------------------------------------------------
@pytest.fixture
def sent(monkeypatch) -> list[int]:
    ids: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", lambda job_id, countdown=None: ids.append(job_id) or True)
    return ids


@pytest.fixture
def no_chromium(monkeypatch) -> None:
    monkeypatch.setattr(chart_files, "chromium_path", lambda: None)


def run_all(sent: list[int]) -> None:
    """Run every dispatched job, including the ones the jobs dispatch (the assembly)."""
    for _round in range(50):
        if not sent:
            return
        job_id = sent.pop(0)
        jobs.run(job_id)
    raise AssertionError("jobs kept dispatching")


def request(op: Any, user: Any, audience: str) -> Pack:
    return packs.request_pack(Scope(user), op, audience)


def build(op: Any, user: Any, audience: str, sent: list[int]) -> Pack:
    pack = request(op, user, audience)
    run_all(sent)
    db.session.expire_all()
    pack = db.session.get(Pack, pack.id)
    assert pack.status is PackStatus.SUCCEEDED, (pack.error, _job_errors())
    return pack


def _job_errors() -> list[str]:
    return [j.error for j in db.session.scalars(select(Job)) if j.error]


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Pack)),
        db.session.scalar(select(func.count()).select_from(PackSection)),
        db.session.scalar(select(func.count()).select_from(Job)),
    )


def read_zip(pack: Pack) -> dict[str, bytes]:
    path = packs.zip_path(pack)
    assert path is not None
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def embargo_ahead(op: Any, days: int = 30) -> None:
    op.embargo_until = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    db.session.commit()


# -- texts of every file -------------------------------------------------------------------------
def _library_free(text: str) -> str:
    """The text without the vendored plotly.js bundle and map geometry: plotly.js's table of
    every country's name and the world map's ISO3 ids are the library's, not the pack's data.
    Everything else in the file is searched."""
    text = text.replace(chart_files._plotly_bundle(), "")
    for name in ("world_110m",):
        text = text.replace(chart_files._topojson_text(name), "")
    return text


def _pdf_text(data: bytes) -> str | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None  # the PDF is made from the report's HTML, whose text is searched
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def file_texts(files: dict[str, bytes]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for name, data in files.items():
        if name.endswith(".xlsx"):
            wb = load_workbook(io.BytesIO(data), read_only=True)
            cells = [
                str(v)
                for ws in wb.worksheets
                for row in ws.iter_rows(values_only=True)
                for v in row
                if v is not None
            ]
            texts[name] = "\n".join([*wb.sheetnames, *cells])
        elif name.endswith(".pdf"):
            pdf = _pdf_text(data)
            if pdf is not None:
                texts[name] = pdf
        elif name.endswith(".png"):
            assert data.startswith(chart_files.PNG_SIGNATURE)
        else:
            texts[name] = _library_free(data.decode("utf-8"))
    return texts


def leaks(texts: dict[str, str], secrets: list[str]) -> list[tuple[str, str]]:
    found = []
    for name, text in texts.items():
        for secret in secrets:
            pattern = rf"(?<![\w-]){re.escape(secret)}(?![\w])"
            if re.search(pattern, text):
                found.append((name, secret))
    return found


# -- build, manifest, zip ------------------------------------------------------------------------
def test_a_pack_builds_with_a_manifest_of_every_file(app, users, reporting, sent, no_chromium):
    pack_datasets.mixed(reporting, users)
    pack = build(reporting, users["organiser"], "internal", sent)

    files = read_zip(pack)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest == pack.manifest
    assert (manifest["audience"], manifest["data_version"]) == ("internal", pack.data_version)
    assert manifest["operation"] == reporting.code_name
    assert manifest["embargo_until"] == pack.embargo_until.isoformat()
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(files)
    for path, data in files.items():
        assert listed[path]["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert listed[path]["bytes"] == len(data)
    assert pack.zip_sha256 == packs.sha256_file(packs.zip_path(pack))
    names = set(files)
    assert {
        "data/by-commodity.csv",
        "data/records.csv",
        "data/records.xlsx",
        "data/operation-test-shield-figures.xlsx",
        "press/press-release.md",
        "press/press-release.html",
        "report/report.html",
        "report/report.pdf",
    } <= names
    assert {f"charts/{n}.html" for n in ("commodities", "map", "routes", "timeline")} <= names
    assert not [n for n in names if n.endswith(".png")]  # no Chromium: no PNG...
    skipped = {s["artifact"] for s in manifest["skipped"]}
    assert {"map.png", "commodities.png"} <= skipped  # ...and the manifest says so
    assert all("Chromium" in s["reason"] for s in manifest["skipped"])
    assert pack.skipped == manifest["skipped"]
    assert files["report/report.pdf"].startswith(b"%PDF")

    # the internal pack holds the internal records (the search finds what is there)
    internal = file_texts(files)
    assert leaks(internal, ["TH-SECRET-777", "Viet Nam"])

    # no scratch folder is left anywhere
    assert not [p for p in packs.pack_dir(pack).rglob(".*")]
    # the figures of the CSV equal the pack's figures
    headline = files["data/headline.csv"].decode("utf-8-sig").splitlines()
    assert headline[0].startswith("# INTERNAL")
    assert "Seizures,11" in headline

    client = signed_in(app, "organiser@test.example")
    page = client.get(f"/operations/{reporting.id}/packs/{pack.id}").get_data(as_text=True)
    assert "Skipped artifacts" in page and "map.png" in page and "Chromium" in page
    status = client.get(f"/operations/{reporting.id}/packs/{pack.id}/status.json").get_json()
    assert (status["status"], status["percent"], status["done"], status["total"]) == (
        "succeeded",
        100,
        5,
        5,
    )
    assert status["finished"] and status["download_url"].endswith(f"/{pack.id}/download")
    assert {s["artifact"] for s in status["skipped"]} == skipped
    listing = client.get(f"/operations/{reporting.id}/packs").get_data(as_text=True)
    assert pack.data_version[:12] in listing and pack.zip_name in listing
    download = client.get(f"/operations/{reporting.id}/packs/{pack.id}/download")
    assert download.status_code == 200
    assert download.data == packs.zip_path(pack).read_bytes()


def test_unchanged_data_reuses_the_pack_changed_data_makes_a_new_version(
    app, users, reporting, sent, no_chromium
):
    pack_datasets.mixed(reporting, users)
    first = build(reporting, users["organiser"], "public", sent)
    before = counts()
    again = request(reporting, users["comms"], "public")
    assert again.id == first.id
    assert counts() == before and sent == []  # no new pack, section or job; nothing sent

    # a change to an approved record: reopened, corrected, approved again
    b = pack_datasets.Builder(reporting, users)
    b.move("THA", "reopen")
    b.update("THA", "TH-1", quantity_1="36")
    b.approve("THA")
    db.session.commit()
    second = build(reporting, users["organiser"], "public", sent)
    assert second.id != first.id and second.data_version != first.data_version
    old_zip = packs.zip_path(db.session.get(Pack, first.id))
    assert old_zip is not None and old_zip != packs.zip_path(second)
    client = signed_in(app, "organiser@test.example")
    for pack in (first, second):
        response = client.get(f"/operations/{reporting.id}/packs/{pack.id}/download")
        assert response.status_code == 200
        assert response.data == packs.zip_path(db.session.get(Pack, pack.id)).read_bytes()
    latest = client.get(f"/operations/{reporting.id}/packs/public/latest.zip")
    assert latest.data == packs.zip_path(second).read_bytes()
    # the internal audience is its own pack
    internal = request(reporting, users["organiser"], "internal")
    assert internal.id not in (first.id, second.id)


def test_a_sensitive_record_changed_does_not_change_the_public_version(
    app, users, reporting, sent, no_chromium
):
    pack_datasets.mixed(reporting, users)
    first = request(reporting, users["organiser"], "public")
    b = pack_datasets.Builder(reporting, users)
    b.move("THA", "reopen")
    b.update("THA", "TH-SECRET-777", quantity_1="1000")
    b.approve("THA")
    db.session.commit()
    assert request(reporting, users["organiser"], "public").id == first.id


def test_a_public_pack_holds_nothing_sensitive_and_names_only_consenting_countries(
    app, users, reporting, sent, no_chromium
):
    dataset = pack_datasets.mixed(reporting, users)
    pack = build(reporting, users["organiser"], "public", sent)
    files = read_zip(pack)
    texts = file_texts(files)
    assert len(texts) >= len(files) - 1  # every file but (without pypdf) the PDF
    secrets = [*dataset.secrets, *NOT_NAMED, *NOT_NAMED_CODES]
    assert leaks(texts, secrets) == []
    # named countries and the grouped ones are there
    records = texts["data/records.csv"]
    assert "Thailand" in records and "Kenya" in records
    assert "Other participating countries" in records
    assert "Other participating countries" in texts["data/by-country.csv"]
    assert "National reference" not in records and "Place" not in records.splitlines()[1]
    assert pack.seizures == 7
    # the records table has exactly the snapshot's rows
    assert len(records.strip().splitlines()) == 2 + 7  # notice, header, rows


def test_every_public_file_is_marked_embargoed_before_the_embargo(
    app, users, reporting, sent, no_chromium
):
    pack_datasets.mixed(reporting, users)
    embargo_ahead(reporting)
    pack = build(reporting, users["organiser"], "public", sent)
    mark = "EMBARGOED until " + pack.embargo_until.strftime("%Y-%m-%d %H:%M UTC")
    files = read_zip(pack)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["embargoed"] is True
    for name, data in files.items():
        if name.endswith(".csv"):
            assert data.decode("utf-8-sig").splitlines()[0] == f"# {mark}", name
        elif name.endswith(".xlsx"):
            wb = load_workbook(io.BytesIO(data), read_only=True)
            for ws in wb.worksheets:
                assert next(ws.iter_rows(values_only=True))[0] == mark, (name, ws.title)
        elif name.endswith(".md"):
            assert data.decode().splitlines()[0] == f"**{mark}**"
        elif name.endswith((".html", ".txt")):
            assert mark in data.decode(), name
        elif name.endswith(".pdf"):
            text = _pdf_text(data)
            assert text is None or mark in text
    # the PDF is rendered from the banner-carrying page (the notice is in its source)
    html = pack_sections.report_html(
        packs.section_context(pack, packs.load_snapshot(pack), lambda *a: None),
        {},
        {},
        interactive=False,
    )
    assert mark in html


def test_a_pack_built_after_the_embargo_is_not_marked(app, users, reporting, sent, no_chromium):
    pack_datasets.everyone_named(reporting, users)
    reporting.embargo_until = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    pack = build(reporting, users["organiser"], "public", sent)
    files = read_zip(pack)
    assert json.loads(files["manifest.json"])["embargoed"] is False
    assert not [n for n, d in files.items() if b"EMBARGOED" in d]


# -- who may do what -----------------------------------------------------------------------------
def _status(client: Any, url: str) -> int:
    return client.get(url).status_code


def test_the_embargo_is_enforced_for_every_role_and_route(app, users, reporting, sent, no_chromium):
    pack_datasets.everyone_named(reporting, users)
    embargo_ahead(reporting)
    public = build(reporting, users["organiser"], "public", sent)
    internal = build(reporting, users["organiser"], "internal", sent)
    op = reporting.id
    clients = {role: signed_in(app, f"{role}@test.example") for role in ROLES}
    clients["anonymous"] = app.test_client()
    routes = {
        "public": f"/operations/{op}/packs/{public.id}/download",
        "latest": f"/operations/{op}/packs/public/latest.zip",
        "internal": f"/operations/{op}/packs/{internal.id}/download",
    }

    def matrix() -> dict[str, dict[str, int]]:
        return {
            role: {route: _status(c, url) for route, url in routes.items()}
            for role, c in clients.items()
        }

    closed = {"public": 404, "latest": 404, "internal": 404}
    assert matrix() == {
        "organiser": {"public": 200, "latest": 200, "internal": 200},
        "comms": {"public": 200, "latest": 200, "internal": 404},
        "coord_asean": closed,
        "fp_tha": closed,
        "anonymous": closed,
    }
    # the embargo lifts (the pack keeps the embargo it was built with)
    public.embargo_until = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    released = {"public": 200, "latest": 200, "internal": 404}
    assert matrix() == {
        "organiser": {"public": 200, "latest": 200, "internal": 200},
        "comms": released,
        "coord_asean": released,
        "fp_tha": released,
        "anonymous": released,
    }
    # the service says the same with a clock of its own
    before = public.embargo_until - timedelta(seconds=1)
    assert not packs.may_download(None, public, now=before)
    assert packs.may_download(None, public, now=public.embargo_until)
    assert not packs.may_download(None, internal, now=datetime(2100, 1, 1, tzinfo=UTC))

    # the pages: organisers and communications (public packs only); others 404, anonymous 302
    pages = {
        "list": f"/operations/{op}/packs",
        "public": f"/operations/{op}/packs/{public.id}",
        "public_status": f"/operations/{op}/packs/{public.id}/status.json",
        "internal": f"/operations/{op}/packs/{internal.id}",
        "internal_status": f"/operations/{op}/packs/{internal.id}/status.json",
    }
    seen = {
        role: {name: _status(c, url) for name, url in pages.items()} for role, c in clients.items()
    }
    assert seen["organiser"] == dict.fromkeys(pages, 200)
    assert seen["comms"] == {
        "list": 200,
        "public": 200,
        "public_status": 200,
        "internal": 404,
        "internal_status": 404,
    }
    assert seen["coord_asean"] == seen["fp_tha"] == dict.fromkeys(pages, 404)
    assert seen["anonymous"] == dict.fromkeys(pages, 302)
    comms_list = clients["comms"].get(pages["list"]).get_data(as_text=True)
    assert internal.zip_name not in comms_list and public.zip_name in comms_list


def test_who_may_request_which_pack(app, users, reporting, operation, sent, no_chromium):
    organiser, comms = Scope(users["organiser"]), Scope(users["comms"])
    with pytest.raises(Forbidden):
        packs.request_pack(comms, reporting, "internal")
    for role in ("coord_asean", "fp_tha"):
        with pytest.raises(NotFound):
            packs.request_pack(Scope(users[role]), reporting, "public")
    with pytest.raises(NotFound):
        packs.request_pack(organiser, reporting, "press")
    assert packs.request_pack(comms, reporting, "public").audience is PackAudience.PUBLIC

    url = f"/operations/{reporting.id}/packs"
    client = signed_in(app, "comms@test.example")
    assert post_form(client, url, {"audience": "internal"}).status_code == 403
    response = post_form(client, url, {"audience": "public"})
    assert response.status_code == 302 and "/packs/" in response.headers["Location"]
    coordinator = signed_in(app, "coord_asean@test.example")
    token = csrf_token(coordinator, "/account/")
    denied = coordinator.post(url, data={"audience": "public", "csrf_token": token})
    assert denied.status_code == 404


@pytest.mark.parametrize("phase", [OperationPhase.PLANNING, OperationPhase.ACTIVE])
def test_no_pack_before_reporting(app, users, reporting, sent, phase):
    reporting.phase = phase
    db.session.commit()
    before = counts()
    with pytest.raises(Conflict):
        packs.request_pack(Scope(users["organiser"]), reporting, "public")
    client = signed_in(app, "organiser@test.example")
    url = f"/operations/{reporting.id}/packs"
    response = client.get(url)
    assert "once the operation is in reporting" in response.get_data(as_text=True)
    token = csrf_token(client, "/account/")
    refused = client.post(url, data={"audience": "public", "csrf_token": token})
    assert refused.status_code == 302
    assert "must be in reporting" in client.get(url).get_data(as_text=True)
    assert counts() == before


@pytest.mark.parametrize(
    "phase", [OperationPhase.REPORTING, OperationPhase.EVALUATION, OperationPhase.PUBLISHED]
)
def test_packs_are_built_from_reporting_on(app, users, reporting, sent, phase):
    reporting.phase = phase
    db.session.commit()
    assert packs.request_pack(Scope(users["organiser"]), reporting, "public").id


# -- reliability -------------------------------------------------------------------------------
def test_a_crash_between_the_last_section_and_the_join_is_reconciled(
    app, users, reporting, sent, no_chromium, monkeypatch
):
    pack_datasets.everyone_named(reporting, users)
    pack = request(reporting, users["organiser"], "public")
    monkeypatch.setattr(packs, "join", lambda pack: None)  # the worker dies right after commit
    run_all(sent)
    db.session.expire_all()
    pack = db.session.get(Pack, pack.id)
    assert all(s.status is PackStatus.SUCCEEDED for s in pack.sections)
    assert pack.status is PackStatus.BUILDING
    assert packs.progress_of(pack)["done"] == 4
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "dispatch", lambda job_id, countdown=None: sent.append(job_id))
    monkeypatch.setattr(chart_files, "chromium_path", lambda: None)
    assert packs.reconcile_packs() == [pack.id]
    assert packs.reconcile_packs() == []  # once
    run_all(sent)
    db.session.expire_all()
    assert db.session.get(Pack, pack.id).status is PackStatus.SUCCEEDED
    assert (
        db.session.scalar(
            select(func.count()).where(
                Job.kind == packs.ASSEMBLE_JOB, Job.key.like(f"pack{pack.id}:%")
            )
        )
        == 1
    )


def test_two_sections_joining_at_once_enqueue_one_assembly(
    app, users, reporting, sent, no_chromium
):
    pack_datasets.everyone_named(reporting, users)
    pack = request(reporting, users["organiser"], "public")
    run_all(sent)
    db.session.expire_all()
    pack = db.session.get(Pack, pack.id)
    first = packs.join(pack)
    assert first is not None and packs.join(pack).id == first.id


def test_a_failed_pack_is_retried_on_request(app, users, reporting, sent, no_chromium, monkeypatch):
    pack_datasets.everyone_named(reporting, users)

    def broken(ctx, folder):
        (folder / "half.md").write_text("half")
        raise PermanentJobError("template broken")

    monkeypatch.setitem(pack_sections.BUILDERS, "press", broken)
    pack = request(reporting, users["organiser"], "public")
    run_all(sent)
    db.session.expire_all()
    pack = db.session.get(Pack, pack.id)
    assert packs.progress_of(pack)["status"] == "failed"
    assert packs.reconcile_packs() == [pack.id]
    assert db.session.get(Pack, pack.id).status is PackStatus.FAILED
    assert "template broken" in db.session.get(Pack, pack.id).error
    assert not (packs.section_dir(pack, "press")).exists()  # nothing half-written
    assert not [p for p in packs.pack_dir(pack).rglob(".*")]

    monkeypatch.setitem(pack_sections.BUILDERS, "press", pack_sections.build_press)
    again = request(reporting, users["organiser"], "public")
    assert again.id == pack.id and again.status is PackStatus.QUEUED
    run_all(sent)
    db.session.expire_all()
    assert db.session.get(Pack, pack.id).status is PackStatus.SUCCEEDED


def test_a_rerun_replaces_a_killed_attempts_scratch_and_keeps_a_built_section(
    app, users, reporting, sent, no_chromium
):
    pack_datasets.everyone_named(reporting, users)
    pack = request(reporting, users["organiser"], "public")
    sections = packs.pack_dir(pack) / "sections"
    sections.mkdir(parents=True)
    (sections / ".tmp-data-deadbeef").mkdir()  # a killed worker's half-written folder
    (sections / ".tmp-data-deadbeef" / "records.csv").write_text("half")
    run_all(sent)
    db.session.expire_all()
    pack = db.session.get(Pack, pack.id)
    assert pack.status is PackStatus.SUCCEEDED
    assert sorted(p.name for p in sections.iterdir()) == sorted(pack_sections.SECTIONS)

    # the data section's job runs again (its worker died before recording success): the files
    # are intact, so they stay as the zip has them
    data = next(s for s in pack.sections if s.name == "data")
    job = db.session.get(Job, data.job_id)
    stamp = {p: p.stat().st_mtime_ns for p in packs.section_dir(pack, "data").iterdir()}
    job.status, job.attempts = JobStatus.QUEUED, 0
    db.session.commit()
    assert jobs.run(job.id).status == "succeeded"
    assert {p: p.stat().st_mtime_ns for p in packs.section_dir(pack, "data").iterdir()} == stamp


def test_the_press_release_uses_the_operations_template(app, users, reporting, sent, no_chromium):
    pack_datasets.mixed(reporting, users)
    db.session.add(
        PressTemplate(
            operation_id=reporting.id,
            body="# {operation}\n\n{seizures} seizures, {arrests} arrests; {unknown} stays."
            "\n\n{top_commodities}\n\n<script>alert(1)</script>",
        )
    )
    db.session.commit()
    pack = build(reporting, users["organiser"], "public", sent)
    files = read_zip(pack)
    md = files["press/press-release.md"].decode()
    assert "# Operation Test Shield" in md and "7 seizures, 13 arrests; {unknown} stays." in md
    assert "kg of ivory" in md
    page = files["press/press-release.html"].decode()
    assert "<script>" not in page and "7 seizures" in page


def test_the_shipped_press_release_fills_every_placeholder(
    app, users, reporting, sent, no_chromium
):
    pack_datasets.mixed(reporting, users)
    pack = build(reporting, users["organiser"], "public", sent)
    md = read_zip(pack)["press/press-release.md"].decode()
    assert not re.search(r"\{[a-z_]+\}", md)
    assert "5 countries" in md and "**7 seizures**" in md and "ICCWC" in md
    assert set(pack_sections.PLACEHOLDERS) >= set(
        re.findall(r"\{([a-z_]+)\}", pack_sections.DEFAULT_PRESS_TEMPLATE)
    )


@pytest.mark.skipif(chart_files.chromium_path() is None, reason="needs Debian's chromium")
def test_with_chromium_the_pack_has_pngs_and_a_self_contained_report(app, users, reporting, sent):
    pack_datasets.everyone_named(reporting, users)
    embargo_ahead(reporting)
    pack = build(reporting, users["organiser"], "public", sent)
    files = read_zip(pack)
    pngs = [n for n in files if n.endswith(".png")]
    assert sorted(pngs) == sorted(f"charts/{n}.png" for n in chart_files_names())
    assert pack.skipped == []
    report = files["report/report.html"].decode()
    assert report.count("data:image/png;base64,") == len(pngs)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", report)
    assert "<link" not in report and "plotly" not in report.lower()
    assert files["report/report.pdf"].startswith(b"%PDF")


def chart_files_names() -> list[str]:
    from opsplanner.services.pack_charts import CHART_NAMES

    return list(CHART_NAMES)


def test_the_snapshot_file_is_what_sections_read(app, users, reporting, sent, no_chromium):
    pack_datasets.everyone_named(reporting, users)
    pack = request(reporting, users["organiser"], "public")
    path = packs.snapshot_path(pack)
    assert path.is_file()
    # the live data changes after the request: the pack is still built from its snapshot
    b = pack_datasets.Builder(reporting, users)
    b.move("THA", "reopen")
    db.session.commit()
    run_all(sent)
    db.session.expire_all()
    pack = db.session.get(Pack, pack.id)
    assert pack.status is PackStatus.SUCCEEDED
    assert json.loads(read_zip(pack)["manifest.json"])["data_version"] == pack.data_version
    # a tampered snapshot fails the section for good instead of building wrong figures
    other = Path(path)
    other.write_bytes(other.read_bytes().replace(b'"operation_name":"', b'"operation_name":"X'))
    assert packs.load_snapshot.__name__  # documented in packs.load_snapshot
    with pytest.raises(PermanentJobError):
        packs.load_snapshot(pack)


# -- the evaluation in the internal pack -----------------------------------------------------------
def _submit_evaluation(op: Any, iso3: str, lesson: str, rating: int) -> None:
    from opsplanner.models import EvaluationResponse, Participation, ResponseStatus
    from opsplanner.services import evaluation

    q = evaluation.ensure_questionnaire(op)
    part = db.session.scalars(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    ).one()
    db.session.add(
        EvaluationResponse(
            operation_id=op.id,
            questionnaire_id=q.id,
            participation_id=part.id,
            status=ResponseStatus.SUBMITTED,
            ratings={d["code"]: rating for d in q.dimensions},
            challenges=[q.challenges[0]["code"]],
            answers={q.questions[0]["code"]: lesson},
            submitted_at=datetime.now(UTC),
        )
    )
    db.session.commit()


def test_the_internal_pack_carries_the_evaluation_and_the_public_pack_never_does(
    app, users, reporting, sent, no_chromium
):
    from opsplanner.services import evaluation_report

    pack_datasets.mixed(reporting, users)
    before = build(reporting, users["organiser"], "internal", sent)
    assert "report/evaluation.html" not in read_zip(before)  # no answers yet: nothing to carry

    lesson = "LESSON-ONLY-FOR-PARTNERS-4711"
    _submit_evaluation(reporting, "THA", lesson, 4)
    internal = build(reporting, users["organiser"], "internal", sent)
    assert internal.id != before.id  # the answers are part of the internal data version
    texts = file_texts(read_zip(internal))
    assert lesson in texts["report/evaluation.html"]
    assert "INTERNAL: for ICCWC partners only" in texts["report/evaluation.html"]
    summary = evaluation_report.evaluation_summary(reporting)
    assert summary.responded == 1
    assert "Post-operation evaluation" in texts["report/report.html"]
    assert f"1 of {summary.expected} respondents" in texts["report/report.html"]
    if "report/evaluation.pdf" in texts:
        assert lesson in texts["report/evaluation.pdf"].replace("\n", "")

    # A second answer makes another internal pack; the public pack does not move.
    public = build(reporting, users["organiser"], "public", sent)
    _submit_evaluation(reporting, "KEN", "another lesson", 2)
    assert request(reporting, users["organiser"], "public").id == public.id
    assert request(reporting, users["organiser"], "internal").id != internal.id
    public_texts = file_texts(read_zip(public))
    assert leaks(public_texts, [lesson]) == []
    assert not any("evaluation" in name for name in public_texts)
    assert packs.load_snapshot(public).evaluation is None


def test_the_evaluation_summary_survives_the_snapshot(app, users, reporting):
    from opsplanner.services import evaluation_report

    pack_datasets.mixed(reporting, users)
    _submit_evaluation(reporting, "THA", "lesson one", 5)
    _submit_evaluation(reporting, "KEN", "lesson two", 2)
    summary = evaluation_report.evaluation_summary(reporting)
    data = json.loads(json.dumps(evaluation_report.to_snapshot(summary)))
    again = evaluation_report.from_snapshot(data, summary.generated_at)
    assert again == summary
    assert evaluation_report.summary_html(again) == evaluation_report.summary_html(summary)
