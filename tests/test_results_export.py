"""The results export: a background job whose files depend on who asked (seizure rows of the
countries in scope, or aggregates only for communications), written with formula
neutralisation, requested from the web and the API."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Country, Job, JobStatus, Participation, RecordSource
from opsplanner.services import jobs, reports, results_export, seizures
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import FIELD_NAMES, Catalog, parse
from tests.conftest import bearer, csrf_token, location_path, seizure_row, signed_in

A = "/api/v1"
DEADLINE = datetime(2027, 2, 24, 23, 59, tzinfo=UTC)
EVIL = '=HYPERLINK("http://evil.example/x","click me")'
SECRET_REF = "TH-SECRET-31"
SECRET_PLACE = "Safe house near Mae Sot"
SECRET_AMOUNT = "4321.987"


def part(op: Any, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


@pytest.fixture
def results(app, users, reporting, monkeypatch) -> Any:
    """Seizures in Thailand (one with a formula in its description, one sensitive), Viet Nam,
    Kenya and Uganda; Thailand and Kenya submitted, Viet Nam validated, Uganda a draft."""
    monkeypatch.setattr(jobs, "dispatch", lambda job_id, countdown=None: True)
    scope = Scope(users["organiser"])
    catalog = Catalog.load(reporting)

    def add(iso3: str, reference: str, **overrides: Any) -> None:
        data, errors = parse(seizure_row(national_reference=reference, **overrides), catalog)
        assert not errors, errors
        seizures.create(scope, part(reporting, iso3), data, errors, source=RecordSource.FORM)

    add("THA", "TH-1", description=EVIL)
    add(
        "THA",
        "TH-2",
        commodity="ivory",
        species="Loxodonta africana",
        quantity_1="12",
        unit_1="kg",
        quantity_2="40",
        unit_2="pieces",
    )
    add(
        "THA",
        SECRET_REF,
        sensitive="yes",
        publishable="no",
        place=SECRET_PLACE,
        quantity_1=SECRET_AMOUNT,
    )
    add("VNM", "VN-1", quantity_1="30")
    add("KEN", "KE-1", commodity="ivory", species="Loxodonta africana", quantity_1="8", unit_1="kg")
    add("UGA", "UG-1", quantity_1="999")
    on_time = DEADLINE - timedelta(days=1)
    for iso3 in ("THA", "VNM", "KEN"):
        reports.transition(scope, part(reporting, iso3), "submit", now=on_time)
    reports.transition(scope, part(reporting, "VNM"), "validate", now=on_time)
    report = reports.report_for(part(reporting, "THA"))
    report.notes = "=1+1"
    report.arrests = 4
    db.session.commit()
    return reporting


def run_export(op: Any, user: Any) -> tuple[Job, Path]:
    job = results_export.request_results_export(op, user)
    outcome = jobs.run(job.id)
    assert outcome.status == "succeeded", outcome.error
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    return job, jobs.output_dir(job)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_xlsx(path: Path) -> tuple[list[str], list[list[Any]], Any]:
    ws = load_workbook(path).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    return rows[0], rows[1:], ws


def all_text(folder: Path) -> str:
    text = []
    for f in sorted(folder.iterdir()):
        if f.suffix == ".csv":
            text.append(f.read_text(encoding="utf-8-sig"))
        else:
            header, rows, _ws = read_xlsx(f)
            text.append(repr([header, *rows]))
    return "\n".join(text)


def names(*iso3: str) -> list[str]:
    return [db.session.get(Country, c).name for c in iso3]


def test_the_organiser_gets_every_seizure_row_with_formulas_neutralised(app, users, results):
    job, folder = run_export(results, users["organiser"])
    assert job.result["content"] == "rows"
    files = {f["name"]: f["rows"] for f in job.result["files"]}
    slug = "operation-test-shield"
    assert files == {
        f"{slug}-seizures.csv": 6,
        f"{slug}-seizures.xlsx": 6,
        f"{slug}-national-results.csv": 5,
        f"{slug}-national-results.xlsx": 5,
    }
    rows = read_csv(folder / f"{slug}-seizures.csv")
    assert list(rows[0]) == ["country", *FIELD_NAMES, "report_status", "source"]
    assert [r["country"] for r in rows] == ["KEN", "THA", "THA", "THA", "UGA", "VNM"]
    by_ref = {r["national_reference"]: r for r in rows}
    assert by_ref["TH-1"]["description"] == "'" + EVIL  # neutralised
    assert by_ref["TH-1"]["report_status"] == "submitted"
    assert by_ref["VN-1"]["report_status"] == "validated"
    assert by_ref["UG-1"]["report_status"] == "draft"
    assert by_ref["TH-1"]["source"] == "form"
    assert by_ref["TH-2"]["quantity_1"] == "12" and by_ref["TH-2"]["unit_2"] == "pieces"
    assert by_ref[SECRET_REF]["sensitive"] == "yes"  # organisers see sensitive cases

    header, xrows, ws = read_xlsx(folder / f"{slug}-seizures.xlsx")
    col = header.index("description")
    [evil_row] = [r for r in xrows if r[header.index("national_reference")] == "TH-1"]
    assert evil_row[col] == "'" + EVIL
    for row in ws.iter_rows(min_row=2):
        cell = row[col]
        assert cell.data_type == "s"  # text, never a formula

    national = {r["country"]: r for r in read_csv(folder / f"{slug}-national-results.csv")}
    assert set(national) == {"THA", "VNM", "KEN", "UGA", "FRA"}
    assert national["THA"]["notes"] == "'=1+1"
    assert national["THA"]["arrests"] == "4" and national["THA"]["on_time"] == "yes"
    assert national["FRA"]["report_status"] == "draft"
    header, xrows, _ws = read_xlsx(folder / f"{slug}-national-results.xlsx")
    assert "'=1+1" in xrows[[r[0] for r in xrows].index("THA")]


def test_the_row_export_reimports_unchanged(app, users, results):
    _job, folder = run_export(results, users["organiser"])
    rows = read_csv(folder / "operation-test-shield-seizures.csv")
    catalog = Catalog.load(results)
    for row in rows:
        if row["description"].startswith("'"):
            continue  # the neutralised cell is the one thing a spreadsheet shows differently
        _data, errors = parse({k: row[k] for k in FIELD_NAMES}, catalog)
        assert not errors, (row["national_reference"], errors)


@pytest.mark.parametrize(
    "role, countries",
    [("fp_tha", {"THA"}), ("fp_ken", {"KEN"}), ("coord_latf", {"KEN", "UGA"})],
)
def test_a_focal_point_or_coordinator_gets_only_their_countries(
    app, users, results, role, countries
):
    job, folder = run_export(results, users[role])
    assert job.requested_by_id == users[role].id
    slug = "operation-test-shield"
    assert {r["country"] for r in read_csv(folder / f"{slug}-seizures.csv")} == countries
    assert {r["country"] for r in read_csv(folder / f"{slug}-national-results.csv")} == countries
    others = names(*({"THA", "VNM", "KEN", "UGA", "FRA"} - countries))
    text = all_text(folder)
    assert not [n for n in others if n in text]
    _header, xrows, _ws = read_xlsx(folder / f"{slug}-seizures.xlsx")
    assert {r[0] for r in xrows} == countries


def test_communications_get_aggregates_only(app, users, results):
    job, folder = run_export(results, users["comms"])
    assert job.result["content"] == "aggregate"
    slug = "operation-test-shield"
    assert {f["name"] for f in job.result["files"]} == {
        f"{slug}-summary-seizures.csv",
        f"{slug}-summary-seizures.xlsx",
        f"{slug}-summary-national.csv",
        f"{slug}-summary-national.xlsx",
    }
    rows = read_csv(folder / f"{slug}-summary-seizures.csv")
    table = {(r["commodity"], r["unit"]): r for r in rows}
    # submitted reports only (THA, VNM, KEN), never the sensitive seizure; per unit
    assert table[("pangolin_scales", "kg")]["total_quantity"] == "150.5"  # 120.5 + 30
    assert table[("pangolin_scales", "kg")]["seizures_with_this_unit"] == "2"
    assert table[("ivory", "kg")]["total_quantity"] == "20"  # 12 + 8
    assert table[("ivory", "pieces")]["total_quantity"] == "40"
    assert table[("ivory", "kg")]["seizures_of_the_commodity"] == "2"
    national = {r["figure"]: r["total"] for r in read_csv(folder / f"{slug}-summary-national.csv")}
    assert national["countries_reported"] == "3" and national["seizures"] == "4"
    assert national["arrests"] == "4"

    text = all_text(folder)
    forbidden = [SECRET_REF, SECRET_PLACE, SECRET_AMOUNT, "4321", "999", "TH-1", "KE-1", EVIL]
    forbidden += names("THA", "VNM", "KEN", "UGA", "FRA")
    assert not [s for s in forbidden if s in text]
    for f in folder.iterdir():
        if f.suffix == ".xlsx":
            _h, xrows, _ws = read_xlsx(f)
            cells = {str(v) for r in xrows for v in r}
            assert not cells & {"THA", "VNM", "KEN", "UGA", "FRA"}
    _header, xrows, _ws = read_xlsx(folder / f"{slug}-summary-seizures.xlsx")
    amounts = {(r[0], r[2]): r[3] for r in xrows}
    assert float(amounts[("pangolin_scales", "kg")]) == 150.5  # a number in the workbook


def test_the_web_button_queues_the_job_and_shows_it(app, users, results):
    client = signed_in(app, "coord_asean@test.example")
    url = f"/operations/{results.id}/results/export"
    token = csrf_token(client, f"/operations/{results.id}/completeness")
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302
    job = db.session.scalar(select(Job).where(Job.kind == "results_export"))
    assert location_path(response) == f"/jobs/{job.id}"
    assert job.requested_by_id == users["coord_asean"].id and job.status is JobStatus.QUEUED
    # the same data again: the same job
    client.post(url, data={"csrf_token": token})
    assert db.session.scalar(select(Job.id).where(Job.kind == "results_export")) == job.id
    assert jobs.run(job.id).status == "succeeded"
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "operation-test-shield-seizures.csv" in page
    download = client.get(f"/jobs/{job.id}/files/operation-test-shield-seizures.csv")
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["country"] for r in rows} == {"THA", "VNM"}
    # another user cannot open the coordinator's job
    assert signed_in(app, "fp_tha@test.example").get(f"/jobs/{job.id}").status_code == 404


def test_changed_data_makes_a_new_job(app, users, results):
    first = results_export.request_results_export(results, users["fp_ken"])
    scope = Scope(users["organiser"])
    reports.transition(scope, part(results, "KEN"), "return", comment="Fix it")
    db.session.commit()
    second = results_export.request_results_export(results, users["fp_ken"])
    assert second.id != first.id
    other = results_export.request_results_export(results, users["fp_tha"])
    assert other.id not in (first.id, second.id)


def test_the_api_answers_202_with_the_job(app, users, results, api_tokens):
    response = app.test_client().post(
        f"{A}/operations/{results.id}/results/export",
        json={},
        headers=bearer(api_tokens["comms"]),
    )
    assert response.status_code == 202
    body = response.get_json()
    assert body["content"] == "aggregate" and body["status"] == "queued"
    assert response.headers["Location"].endswith(f"{A}/jobs/{body['job_id']}")
    status = app.test_client().get(
        f"{A}/jobs/{body['job_id']}", headers=bearer(api_tokens["comms"])
    )
    assert status.status_code == 200 and status.get_json()["kind"] == "results_export"


def test_a_disabled_account_gets_no_file(app, users, results):
    job = results_export.request_results_export(results, users["fp_tha"])
    users["fp_tha"].active = False
    db.session.commit()
    outcome = jobs.run(job.id)
    assert outcome.status == "failed" and "disabled" in (outcome.error or "")
    assert not jobs.output_dir(db.session.get(Job, job.id)).exists()
