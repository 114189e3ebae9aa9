"""The API's bulk import of seizures: the same checks as an upload, a dry run that plans,
an apply in one transaction (nothing written on any error), idempotent by national reference."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    ImportBatch,
    ImportStatus,
    Participation,
    RecordSource,
    Seizure,
    SeizureQuantity,
)
from opsplanner.services import reports, seizures
from opsplanner.services.scoping import Scope
from tests.conftest import bearer, seizure_row

A = "/api/v1"


def fresh() -> None:
    db.session.commit()


def state() -> tuple[int, int, int]:
    fresh()
    return (
        db.session.scalar(select(func.count()).select_from(Seizure)),
        db.session.scalar(select(func.count()).select_from(SeizureQuantity)),
        db.session.scalar(select(func.count()).select_from(ImportBatch)),
    )


def by_reference(reference: str) -> Seizure:
    fresh()
    return db.session.scalar(select(Seizure).where(Seizure.national_reference == reference))


def rows(n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [seizure_row(national_reference=f"TH-API-{i:03d}", **overrides) for i in range(1, n + 1)]


@pytest.fixture
def post(app: Any, api_tokens: dict[str, str], reporting: Any):
    client = app.test_client()

    def send(body: Any, who: str = "fp_tha", iso3: str = "THA") -> Any:
        return client.post(
            f"{A}/operations/{reporting.id}/countries/{iso3}/seizures/import",
            json=body,
            headers=bearer(api_tokens[who]),
        )

    return send


def test_a_dry_run_plans_and_writes_nothing(app, post):
    response = post({"rows": rows(2), "dry_run": True})
    assert response.status_code == 200
    body = response.get_json()
    assert body["dry_run"] is True and body["batch_id"] is None
    assert (body["rows"], body["created"], body["updated"], body["unchanged"]) == (2, 2, 0, 0)
    assert body["items"] == [
        {"row": 1, "national_reference": "TH-API-001", "action": "create", "seizure_id": None},
        {"row": 2, "national_reference": "TH-API-002", "action": "create", "seizure_id": None},
    ]
    assert state() == (0, 0, 0)


def test_rows_are_applied_then_the_same_rows_change_nothing(app, users, post):
    response = post({"rows": rows(3)})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["created"] == 3 and body["dry_run"] is False
    assert state() == (3, 3, 1)
    batch = db.session.get(ImportBatch, body["batch_id"])
    assert batch.source is RecordSource.API and batch.status is ImportStatus.APPLIED
    assert (batch.rows_total, batch.rows_created, batch.file_format) == (3, 3, "json")
    s = by_reference("TH-API-002")
    assert s.source is RecordSource.API and s.import_batch_id == batch.id
    assert body["items"][1] == {
        "row": 2,
        "national_reference": "TH-API-002",
        "action": "create",
        "seizure_id": s.id,
    }
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.apply"))
    assert event.via == "api" and event.after["rows_created"] == 3

    again = post({"rows": rows(3)}).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert again["batch_id"] is None
    assert {i["action"] for i in again["items"]} == {"unchanged"}
    assert again["items"][1]["seizure_id"] == s.id
    assert state() == (3, 3, 1)  # no new batch either


def test_a_changed_row_is_updated_with_its_history(app, users, post):
    post({"rows": rows(2)})
    changed = rows(2)
    changed[0]["quantities"] = [{"amount": 7.5, "unit": "kg"}]
    del changed[0]["quantity_1"], changed[0]["unit_1"]
    changed[0]["suspects"] = 4
    changed[0]["sensitive"] = True
    changed[0]["publishable"] = False
    changed[0]["origin"] = ["NG", "CMR"]
    body = post({"rows": changed}).get_json()
    assert (body["updated"], body["unchanged"]) == (1, 1)
    s = by_reference("TH-API-001")
    assert [(q.amount, q.unit) for q in s.quantities] == [(Decimal("7.5"), "kg")]
    assert (s.suspects, s.sensitive, s.origin_codes) == (4, True, ["NGA", "CMR"])
    [event] = [e for e in seizures.history(s) if e.action == "seizure.update"]
    assert event.before["suspects"] == 2 and event.after["suspects"] == 4
    assert event.after["import_batch_id"] == body["batch_id"]


def test_any_invalid_row_writes_nothing_and_every_problem_is_listed(app, post):
    bad = rows(4)
    bad[1]["seized_on"] = "2027-13-01"
    bad[2]["quantity_1"] = "-2"
    bad[3]["national_reference"] = "TH-API-001"
    response = post({"rows": bad})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["status"] == 422 and "nothing was written" in error["message"]
    assert error["error_count"] == 3
    found = {(e["row"], e["column"]) for e in error["rows"]}
    assert found == {(2, "seized_on"), (3, "quantity_1"), (4, "national_reference")}
    assert "TH-API-001 is also on row 1" in error["rows"][-1]["message"]
    assert state() == (0, 0, 0)
    # a dry run answers the same
    dry = post({"rows": bad, "dry_run": True})
    assert dry.status_code == 422 and dry.get_json()["error"]["rows"] == error["rows"]


@pytest.mark.parametrize(
    "row, column, message",
    [
        ({"suspect_name": "x"}, "suspect_name", "Unknown field suspect_name"),
        ({"place": {"city": "Bangkok"}}, "place", "place: expected a single value"),
        ({"origin": [["NGA"]]}, "origin", "origin: expected a single value"),
        (
            {"quantities": [{"amount": 1, "unit": "kg"}]},
            "quantities",
            "either as a quantities list or as quantity_N/unit_N",
        ),
        ({"species": "Manis imaginaria"}, "species", "Unknown species Manis imaginaria"),
        ({"destination": "XXZ"}, "destination", "Unknown country code XXZ"),
    ],
)
def test_row_problems_are_named(app, post, row, column, message):
    response = post({"rows": [{**seizure_row(), **row}]})
    assert response.status_code == 422
    problems = response.get_json()["error"]["rows"]
    assert any(
        p["row"] == 1 and p["column"] == column and message in p["message"] for p in problems
    )
    assert state() == (0, 0, 0)


def test_a_row_that_is_not_an_object_is_refused(app, post):
    response = post({"rows": [seizure_row(), "TH-1"]})
    assert response.status_code == 422
    assert response.get_json()["error"]["rows"] == [
        {"row": 2, "column": None, "message": "Row 2: expected an object."}
    ]
    assert state() == (0, 0, 0)


@pytest.mark.parametrize(
    "body, field",
    [
        ([seizure_row()], None),
        ({}, "rows"),
        ({"rows": []}, "rows"),
        ({"rows": seizure_row()}, "rows"),
        ({"rows": [seizure_row()], "dry_run": "yes"}, "dry_run"),
        ({"rows": [seizure_row()], "commit": True}, "commit"),
    ],
)
def test_a_malformed_body_is_422(app, post, body, field):
    response = post(body)
    assert response.status_code == 422
    assert response.get_json()["error"].get("field") == field
    assert state() == (0, 0, 0)


def test_the_row_limit_applies(app, post):
    app.config["IMPORT_MAX_ROWS"] = 2
    response = post({"rows": rows(3)})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Send at most 2 rows per call."


def test_who_may_import(app, post):
    assert post({"rows": rows(1)}, who="coord_asean").status_code == 403
    assert post({"rows": rows(1)}, who="fp_ken").status_code == 404
    assert post({"rows": rows(1)}, who="comms").status_code == 404
    assert post({"rows": rows(1)}, who="organiser").status_code == 200
    assert state()[0] == 1


def test_a_locked_report_refuses_imports_with_the_reason(app, users, reporting, post):
    p = db.session.scalar(
        select(Participation).where(
            Participation.operation_id == reporting.id, Participation.country_iso3 == "THA"
        )
    )
    reports.transition(Scope(users["fp_tha"]), p, "submit")
    fresh()
    response = post({"rows": rows(1), "dry_run": True})
    assert response.status_code == 422
    assert "locked while ASEAN-WEN validates it" in response.get_json()["error"]["message"]
    assert state() == (0, 0, 0)


def test_the_import_is_documented(app, post):
    doc = app.test_client().get(f"{A}/openapi.json").get_json()
    operation = doc["paths"]["/operations/{operation_id}/countries/{iso3}/seizures/import"]["post"]
    assert set(operation["responses"]) >= {"200", "401", "403", "404", "415", "422"}
    row = doc["components"]["schemas"]["ImportRow"]["properties"]
    assert "quantities" in row and "national_reference" in row


# -- a file over the API ---------------------------------------------------------------------------
@pytest.fixture
def send_file(app: Any, api_tokens: dict[str, str], reporting: Any):
    client = app.test_client()

    def send(parts: dict[str, Any], who: str = "fp_tha", iso3: str = "THA") -> Any:
        return client.post(
            f"{A}/operations/{reporting.id}/countries/{iso3}/seizures/import",
            data=parts,
            content_type="multipart/form-data",
            headers=bearer(api_tokens[who]),
        )

    return send


def csv_file(data: list[dict[str, Any]], name: str = "seizures.csv") -> tuple[Any, str]:
    import io

    from tests.test_imports import csv_bytes

    return (io.BytesIO(csv_bytes(data)), name)


def test_a_file_is_planned_then_applied_as_on_the_upload_page(app, send_file):
    three = [seizure_row(national_reference=f"TH-FILE-{i}") for i in range(1, 4)]
    planned = send_file({"file": csv_file(three), "dry_run": "true"})
    assert planned.status_code == 200, planned.get_json()
    body = planned.get_json()
    assert (body["dry_run"], body["rows"], body["created"]) == (True, 3, 3)
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Seizure)) == 0
    assert db.session.get(ImportBatch, body["batch_id"]).status is ImportStatus.DISCARDED

    applied = send_file({"file": csv_file(three)})
    assert applied.status_code == 200, applied.get_json()
    body = applied.get_json()
    assert (body["dry_run"], body["created"], body["filename"]) == (False, 3, "seizures.csv")
    batch = db.session.get(ImportBatch, body["batch_id"])
    assert (batch.status, batch.source) == (ImportStatus.APPLIED, RecordSource.UPLOAD)
    assert by_reference("TH-FILE-2").import_batch_id == batch.id
    # the same file again changes nothing
    again = send_file({"file": csv_file(three)}).get_json()
    assert (again["created"], again["unchanged"]) == (0, 3)


def test_a_bad_file_writes_nothing_and_names_rows_and_columns(app, send_file):
    bad = [
        seizure_row(national_reference="TH-BAD-1"),
        seizure_row(national_reference="TH-BAD-2", seized_on="2027-13-40"),
    ]
    response = send_file({"file": csv_file(bad)})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["error_count"] == 1
    [problem] = error["rows"]
    assert (problem["row"], problem["column"]) == (3, "seized_on")  # the header is row 1
    assert state()[:2] == (0, 0)


def test_file_parts_are_checked(app, send_file, api_tokens, reporting):
    missing = send_file({"dry_run": "true"})
    assert (missing.status_code, missing.get_json()["error"]["field"]) == (422, "file")
    odd = send_file({"file": csv_file([seizure_row()]), "rows": "x"})
    assert (odd.status_code, odd.get_json()["error"]["field"]) == (422, "rows")
    maybe = send_file({"file": csv_file([seizure_row()]), "dry_run": "maybe"})
    assert (maybe.status_code, maybe.get_json()["error"]["field"]) == (422, "dry_run")
    assert send_file({"file": csv_file([seizure_row()])}, who="fp_ken").status_code == 404
    assert send_file({"file": csv_file([seizure_row()])}, who="comms").status_code == 404
    assert state() == (0, 0, 0)
    # any other body type is still refused
    refused = app.test_client().post(
        f"{A}/operations/{reporting.id}/countries/THA/seizures/import",
        data="national_reference\nTH-1\n",
        content_type="text/csv",
        headers=bearer(api_tokens["fp_tha"]),
    )
    assert refused.status_code == 415
