"""The results API: seizures (checked by the one validation, every field error named), version
conflicts that never overwrite, locks with their reason, the review of reports one by one and in
bulk, national results, highlight cases, the species reference and a record's history."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    CountryReport,
    HighlightCase,
    Participation,
    RecordSource,
    ReportStatus,
    Seizure,
    Species,
)
from opsplanner.services import reports
from tests.conftest import bearer

A = "/api/v1"


class Api:
    def __init__(self, client: Any, token: str) -> None:
        self.client, self.headers = client, bearer(token)

    def __call__(self, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
        response = self.client.open(f"{A}{url}", method=method, json=body, headers=self.headers)
        assert response.status_code == expect, (method, url, response.get_data(as_text=True))
        return response.get_json() if response.is_json else response


@pytest.fixture
def as_(app, api_tokens):
    return {key: Api(app.test_client(), token) for key, token in api_tokens.items()}


def fresh() -> None:
    db.session.commit()  # end the test's transaction: see what the requests committed


def new_seizure(**overrides: Any) -> dict[str, Any]:
    """A valid seizure as JSON for Thailand in Operation Test Shield."""
    body: dict[str, Any] = {
        "national_reference": "TH-2027-001",
        "seized_on": "2027-02-05",
        "place": "Suvarnabhumi Airport cargo terminal",
        "port": "BKK",
        "agency": "customs",
        "detection_method": "xray_scanner",
        "species": "Manis javanica",
        "commodity": "pangolin_scales",
        "description": "Scales in sacks declared as fish maw",
        "quantities": [{"amount": 120.5, "unit": "kg"}],
        "conveyance": "air_cargo",
        "origin": ["NGA"],
        "transit": ["ETH", "ARE"],
        "destination": ["THA"],
        "online_linked": False,
        "priority": 2,
        "suspects": 2,
        "arrests": 1,
        "sensitive": False,
        "publishable": True,
    }
    body.update(overrides)
    return body


def participation(op: Any, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


def report_status(op: Any, iso3: str) -> ReportStatus | None:
    fresh()
    r = reports.existing_report(participation(op, iso3))
    return r.status if r else None


def seizure_count() -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(Seizure))


# -- seizures ------------------------------------------------------------------------------------
def test_a_focal_point_creates_lists_reads_changes_and_deletes_a_seizure(
    app, users, as_, reporting
):
    tha = as_["fp_tha"]
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    response = tha.client.post(f"{A}{url}", json=new_seizure(), headers=tha.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert response.headers["Location"].endswith(f"{A}{url}/{created['id']}")
    assert created["species"]["scientific_name"] == "Manis javanica"
    assert set(created["species"]) == {
        "id",
        "scientific_name",
        "common_name",
        "cites_appendix",
        "taxon_group",
    }
    assert (created["species_other"], created["species_unverified"]) == ("", False)
    assert created["quantities"] == [{"amount": "120.5", "unit": "kg"}]
    assert (created["origin"], created["transit"]) == (["NGA"], ["ETH", "ARE"])
    assert (created["priority"], created["source"], created["import_batch_id"]) == (2, "api", None)
    assert (created["version"], created["sensitive"], created["publishable"]) == (1, False, True)
    assert created["created_at"] and created["updated_at"]

    fresh()
    record = db.session.get(Seizure, created["id"])
    assert (record.source, record.created_by_id) == (RecordSource.API, users["fp_tha"].id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "seizure.create"))
    assert (event.via, event.actor_id, event.after["source"]) == ("api", users["fp_tha"].id, "api")

    listing = tha("GET", url)
    assert (listing["count"], listing["page"], listing["pages"]) == (1, 1, 1)
    assert [s["id"] for s in listing["items"]] == [created["id"]]
    assert tha("GET", f"{url}/{created['id']}") == created

    # a partial change keeps what was not sent
    changed = tha(
        "PATCH",
        f"{url}/{created['id']}",
        {"version": 1, "place": "Don Mueang cargo", "quantities": [{"amount": "12", "unit": "kg"}]},
    )
    assert (changed["place"], changed["version"]) == ("Don Mueang cargo", 2)
    assert changed["quantities"] == [{"amount": "12", "unit": "kg"}]
    assert changed["species"] == created["species"]
    assert changed["origin"] == ["NGA"] and changed["priority"] == 2

    # deleting needs the version, and a current one
    tha("DELETE", f"{url}/{created['id']}", expect=422)
    tha("DELETE", f"{url}/{created['id']}?version=1", expect=409)
    tha("DELETE", f"{url}/{created['id']}?version=2", expect=204)
    tha("GET", f"{url}/{created['id']}", expect=404)
    assert seizure_count() == 0


def test_the_template_columns_work_too_and_a_duplicate_reference_is_409(app, as_, reporting):
    tha = as_["fp_tha"]
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    body = new_seizure(quantities=None, quantity_1="3,5", unit_1="kg", online_linked="yes")
    del body["quantities"]
    created = tha("POST", url, body, expect=201)
    assert created["quantities"] == [{"amount": "3.5", "unit": "kg"}]
    assert created["online_linked"] is True
    error = tha("POST", url, new_seizure(), expect=409)["error"]
    assert error["field"] == "national_reference"
    mixed = new_seizure(national_reference="TH-2", quantity_1="1", unit_1="kg")
    assert tha("POST", url, mixed, expect=422)["error"]["field"] == "quantities"
    assert seizure_count() == 1


FIELD_ERRORS = [
    ({"seized_on": "2027-03-01"}, "seized_on"),  # outside the window
    ({"seized_on": "5 February"}, "seized_on"),
    ({"agency": "navy"}, "agency"),
    ({"detection_method": None}, "detection_method"),
    ({"species": "Dragonus imaginarius"}, "species"),
    ({"species": None}, "species"),
    ({"species": ["Manis javanica"]}, "species"),
    (
        {"quantities": [{"amount": 1, "unit": "kg"}, {"amount": 2, "unit": "pieces"}]},
        "quantities[2].unit",
    ),
    (
        {"quantities": [{"amount": 1, "unit": "kg"}, {"amount": 2, "unit": "kg"}]},
        "quantities[2].unit",
    ),
    ({"quantities": [{"amount": 1, "unit": "kg"}, {"amount": 2, "unit": 7}]}, "quantities[2].unit"),
    ({"quantities": [{"amount": "a lot", "unit": "kg"}]}, "quantities[1].amount"),
    ({"quantities": [{"amount": True, "unit": "kg"}]}, "quantities[1].amount"),
    ({"quantities": [{"amount": 0, "unit": "kg"}]}, "quantities[1].amount"),
    ({"quantities": [{"amount": 1.0001, "unit": "kg"}]}, "quantities[1].amount"),
    ({"quantities": [{"unit": "kg"}]}, "quantities[1].amount"),
    ({"quantities": [{"amount": 1, "unit": "kg"}, 5]}, "quantities[2]"),
    ({"quantities": [{"amount": 1, "unit": "kg", "colour": "grey"}]}, "quantities[1].colour"),
    ({"quantities": []}, "quantities"),
    ({"quantities": "12 kg"}, "quantities"),
    (
        {
            "quantities": [
                {"amount": n, "unit": u} for n, u in ((1, "kg"), (2, "a"), (3, "b"), (4, "c"))
            ]
        },
        "quantities",
    ),
    ({"origin": ["NGA", 5]}, "origin[2]"),
    ({"origin": ["XXX"]}, "origin"),
    ({"destination": "ZZ"}, "destination"),
    ({"place": {"city": "Bangkok"}}, "place"),
    ({"place": ""}, "place"),
    ({"national_reference": "x" * 81}, "national_reference"),
    ({"online_linked": "maybe"}, "online_linked"),
    ({"sensitive": True, "publishable": True}, "publishable"),
    ({"suspects": 1, "arrests": 2}, "arrests"),
    ({"suspects": -1, "arrests": 0}, "suspects"),
    ({"priority": 9}, "priority"),
    ({"colour": "red"}, "colour"),
]


def test_every_field_error_comes_back_with_its_field(app, as_, reporting):
    tha = as_["fp_tha"]
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    wrong = []
    for change, field in FIELD_ERRORS:
        response = tha.client.post(f"{A}{url}", json=new_seizure(**change), headers=tha.headers)
        error = (response.get_json() or {}).get("error", {})
        got = (response.status_code, error.get("field"), field in error.get("fields", {}))
        if got != (422, field, True):
            wrong.append(f"{change}: {got} {error.get('fields')}, expected {field!r}")
    assert not wrong, "\n".join(wrong)
    assert seizure_count() == 0


def test_all_the_errors_of_a_seizure_come_back_at_once(app, as_, reporting):
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    body = {
        "national_reference": "TH-9",
        "seized_on": "2027-02-30",
        "quantities": [{"amount": 5, "unit": "kg"}, {"amount": -2, "unit": "kg"}, {"unit": 3}],
        "origin": ["NGA", {"iso3": "CMR"}],
        "sensitive": "yes",
        "publishable": "yes",
    }
    error = as_["fp_tha"]("POST", url, body, expect=422)["error"]
    assert error["status"] == 422
    assert error["field"] == "origin[2]" and error["message"].startswith("origin[2]: ")
    assert set(error["fields"]) == {
        "origin[2]",
        "quantities[3].unit",
        "seized_on",
        "place",
        "agency",
        "detection_method",
        "commodity",
        "conveyance",
        "species",
        "quantities[2].amount",
        "publishable",
    }
    assert all(messages for messages in error["fields"].values())


def test_an_empty_body_names_every_required_field(app, as_, reporting):
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    error = as_["organiser"]("POST", url, {}, expect=422)["error"]
    assert set(error["fields"]) == {
        "national_reference",
        "seized_on",
        "place",
        "agency",
        "detection_method",
        "commodity",
        "conveyance",
        "species",
        "quantities",
    }
    assert as_["organiser"]("POST", url, [new_seizure()], expect=422)["error"]["message"]


def test_a_patch_merges_and_a_get_body_can_be_put_back(app, as_, reporting):
    tha = as_["fp_tha"]
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    s = tha("POST", url, new_seizure(), expect=201)
    item = f"{url}/{s['id']}"
    # the same values again: nothing changes, not even the version
    same = tha("PUT", item, {**s, "version": 1})
    assert same == s
    unverified = tha(
        "PATCH",
        item,
        {"version": 1, "species": None, "species_other": "Manis sp. (unidentified)"},
    )
    assert unverified["species"] is None and unverified["species_unverified"] is True
    assert unverified["species_other"] == "Manis sp. (unidentified)"
    assert unverified["version"] == 2
    secret = tha("PATCH", item, {"version": 2, "sensitive": True, "publishable": False})
    assert (secret["sensitive"], secret["place"], secret["version"]) == (True, s["place"], 3)
    # a change of the commodity is checked against the quantities the record keeps
    error = tha("PATCH", item, {"version": 3, "commodity": "live_animals_other"}, expect=422)
    assert error["error"]["field"] == "quantities[1].unit"
    # a replacement: what is not sent is empty
    error = tha("PUT", item, {"version": 3, "place": "Elsewhere"}, expect=422)["error"]
    assert {"seized_on", "agency", "quantities"} <= set(error["fields"])
    fresh()
    assert db.session.get(Seizure, s["id"]).version == 3


def test_a_stale_version_is_409_and_the_first_writer_keeps_the_change(app, as_, reporting):
    tha, org = as_["fp_tha"], as_["organiser"]
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    s = tha("POST", url, new_seizure(), expect=201)
    item = f"{url}/{s['id']}"
    # both load version 1; the organiser saves first
    assert org("GET", item)["version"] == tha("GET", item)["version"] == 1
    org("PATCH", item, {"version": 1, "place": "Organiser's correction"})
    error = tha("PATCH", item, {"version": 1, "place": "Focal point's edit"}, expect=409)["error"]
    assert error["field"] == "version" and "changed by someone else" in error["message"]
    tha("PUT", item, {**new_seizure(place="Focal point's copy"), "version": 1}, expect=409)
    # a stale version is refused even when the rest is invalid
    tha("PATCH", item, {"version": 1, "suspects": -4}, expect=409)
    assert tha("PATCH", item, {"place": "x"}, expect=422)["error"]["field"] == "version"
    assert tha("PATCH", item, {"version": "two"}, expect=422)["error"]["field"] == "version"
    fresh()
    record = db.session.get(Seizure, s["id"])
    assert (record.place, record.version) == ("Organiser's correction", 2)
    updates = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seizure.update"))
    assert [e.after["place"] for e in updates] == ["Organiser's correction"]


def test_the_list_pages_filters_and_flags_sensitive_records(app, as_, reporting):
    tha = as_["fp_tha"]
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    tha("POST", url, new_seizure(national_reference="TH-1", seized_on="2027-02-02"), expect=201)
    tha(
        "POST",
        url,
        new_seizure(
            national_reference="TH-2",
            seized_on="2027-02-03",
            sensitive=True,
            publishable=False,
        ),
        expect=201,
    )
    tha(
        "POST",
        url,
        new_seizure(
            national_reference="TH-3",
            species="Loxodonta africana",
            commodity="ivory",
            quantities=[{"amount": 40, "unit": "pieces"}, {"amount": 96.2, "unit": "kg"}],
            priority=1,
        ),
        expect=201,
    )
    first = tha("GET", f"{url}?per_page=2")
    assert (first["count"], first["pages"], first["per_page"]) == (3, 2, 2)
    assert [s["national_reference"] for s in first["items"]] == ["TH-1", "TH-2"]
    second = tha("GET", f"{url}?per_page=2&page=2")
    assert [s["national_reference"] for s in second["items"]] == ["TH-3"]
    assert second["items"][0]["quantities"] == [
        {"amount": "40", "unit": "pieces"},
        {"amount": "96.2", "unit": "kg"},
    ]
    assert tha("GET", f"{url}?page=9")["items"] == []
    # the coordinator sees the sensitive record, flagged
    secret = as_["coord_asean"]("GET", f"{url}?sensitive=true")
    assert [(s["national_reference"], s["sensitive"]) for s in secret["items"]] == [("TH-2", True)]
    assert tha("GET", f"{url}?sensitive=false")["count"] == 2
    assert [s["national_reference"] for s in tha("GET", f"{url}?commodity=ivory")["items"]] == [
        "TH-3"
    ]
    for query, field in [
        ("commodity=unicorn", "commodity"),
        ("sensitive=perhaps", "sensitive"),
        ("page=0", "page"),
        ("per_page=501", "per_page"),
        ("per_page=x", "per_page"),
    ]:
        assert tha("GET", f"{url}?{query}", expect=422)["error"]["field"] == field


def test_history_lists_the_changes_of_a_record(app, users, as_, reporting):
    tha, org = as_["fp_tha"], as_["organiser"]
    url = f"/operations/{reporting.id}/countries/THA/seizures"
    s = tha("POST", url, new_seizure(), expect=201)
    tha("PATCH", f"{url}/{s['id']}", {"version": 1, "arrests": 2})
    org("PATCH", f"{url}/{s['id']}", {"version": 2, "port": "DMK"})
    history = as_["coord_asean"]("GET", f"{url}/{s['id']}/history")
    assert history["count"] == 3
    create, first, second = history["items"]
    assert (create["action"], create["actor"], create["via"]) == ("seizure.create", "Fp Tha", "api")
    assert create["after"]["national_reference"] == "TH-2027-001"
    assert (first["action"], first["before"], first["after"]) == (
        "seizure.update",
        {"arrests": 1},
        {"arrests": 2, "version": 2},
    )
    assert (second["actor"], second["actor_role"]) == ("Organiser", "organiser")
    assert (second["before"], second["after"]) == ({"port": "BKK"}, {"port": "DMK", "version": 3})


# -- locks and the review -------------------------------------------------------------------------
def test_a_locked_report_refuses_changes_with_the_reason(app, as_, reporting):
    tha = as_["fp_tha"]
    country = f"/operations/{reporting.id}/countries/THA"
    s = tha("POST", f"{country}/seizures", new_seizure(), expect=201)
    tha("POST", f"{country}/report/submit", {"version": 1})
    report = tha("GET", f"{country}/report")
    reason = report["lock_reason"]
    assert reason.startswith("Submitted on ") and "ASEAN-WEN validates it" in reason
    assert report["available_actions"] == []
    for method, url, body in [
        ("POST", f"{country}/seizures", new_seizure(national_reference="TH-LATE")),
        ("PATCH", f"{country}/seizures/{s['id']}", {"version": 1, "place": "x"}),
        ("PUT", f"{country}/seizures/{s['id']}", {**new_seizure(place="y"), "version": 1}),
        ("DELETE", f"{country}/seizures/{s['id']}?version=1", None),
        ("PUT", f"{country}/national-results", {"version": 2, "counts": {"arrests": 4}}),
        ("POST", f"{country}/highlights", {"seizure_id": s["id"], "narrative": "A case"}),
    ]:
        assert tha(method, url, body, expect=422)["error"]["message"] == reason, (method, url)
    fresh()
    record = db.session.get(Seizure, s["id"])
    assert (record.place, record.version) == (s["place"], 1)
    assert db.session.scalar(select(func.count()).select_from(HighlightCase)) == 0
    assert tha("GET", f"{country}/national-results")["counts"]["arrests"] == 0


def test_the_review_over_the_api(app, users, as_, reporting):
    tha, asean, latf, org = as_["fp_tha"], as_["coord_asean"], as_["coord_latf"], as_["organiser"]
    country = f"/operations/{reporting.id}/countries/THA"
    report = tha("GET", f"{country}/report")
    assert (report["status"], report["version"], report["available_actions"]) == (
        "draft",
        1,
        ["submit"],
    )
    assert tha("POST", f"{country}/report/submit", {}, expect=422)["error"]["field"] == "version"
    tha("POST", f"{country}/report/submit", {"version": 7}, expect=409)
    tha("POST", f"{country}/report/publish", {"version": 1}, expect=404)

    submitted = tha("POST", f"{country}/report/submit", {"version": 1})
    assert (submitted["status"], submitted["version"]) == ("submitted", 2)
    assert submitted["on_time"] is True and submitted["first_submitted_at"]
    first_submitted = submitted["first_submitted_at"]
    # validated by the coordinator of the country's network only
    tha("POST", f"{country}/report/validate", {"version": 2}, expect=403)
    latf("POST", f"{country}/report/validate", {"version": 2}, expect=404)
    asean("POST", f"{country}/report/approve", {"version": 2}, expect=403)
    assert asean("GET", f"{country}/report")["available_actions"] == ["validate", "return"]
    validated = asean("POST", f"{country}/report/validate", {"version": 2, "comment": "Fine"})
    assert (validated["status"], validated["validated_at"] is not None) == ("validated", True)
    assert report_status(reporting, "THA") is ReportStatus.VALIDATED
    # approved by an organiser
    asean("POST", f"{country}/report/approve", {"version": 3}, expect=403)
    approved = org("POST", f"{country}/report/approve", {"version": 3})
    assert approved["status"] == "approved" and approved["lock_reason"].startswith("Approved")
    assert report_status(reporting, "THA") is ReportStatus.APPROVED
    # only an organiser returns approved results, and a return says what must change
    error = asean("POST", f"{country}/report/return", {"version": 4, "comment": "x"}, expect=422)
    assert "organiser" in error["error"]["message"]
    tha("POST", f"{country}/report/reopen", {"version": 4}, expect=403)
    error = org("POST", f"{country}/report/return", {"version": 4, "comment": "  "}, expect=422)
    assert error["error"]["field"] == "comment"
    returned = org(
        "POST", f"{country}/report/return", {"version": 4, "comment": "Add the airway bills."}
    )
    assert (returned["status"], returned["return_comment"]) == ("returned", "Add the airway bills.")
    assert returned["lock_reason"] is None
    # returned: the focal point corrects and submits again; the first submission still counts
    tha("POST", f"{country}/seizures", new_seizure(), expect=201)
    again = tha("POST", f"{country}/report/submit", {"version": 5})
    assert (again["status"], again["first_submitted_at"]) == ("submitted", first_submitted)
    assert again["seizure_count"] == 1
    reopened = org("POST", f"{country}/report/reopen", {"version": 6, "comment": "Late data"})
    assert reopened["status"] == "draft"
    assert [(t["action"], t["from_status"], t["to_status"]) for t in reopened["transitions"]] == [
        ("submit", "draft", "submitted"),
        ("validate", "submitted", "validated"),
        ("approve", "validated", "approved"),
        ("return", "approved", "returned"),
        ("submit", "returned", "submitted"),
        ("reopen", "submitted", "draft"),
    ]
    assert [t["by"] for t in reopened["transitions"]][:3] == ["Fp Tha", "Coord Asean", "Organiser"]
    fresh()
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "country_report")
    ).all()
    assert events == [
        "report.submit",
        "report.validate",
        "report.approve",
        "report.return",
        "report.submit",
        "report.reopen",
    ]


def test_the_reports_list_and_bulk_over_a_filtered_set(app, as_, reporting):
    org, asean, tha, ken = as_["organiser"], as_["coord_asean"], as_["fp_tha"], as_["fp_ken"]
    op = f"/operations/{reporting.id}"
    tha("POST", f"{op}/countries/THA/report/submit", {"version": 1})
    ken("POST", f"{op}/countries/KEN/report/submit", {"version": 1})
    org("POST", f"{op}/countries/VNM/report/submit", {"version": 1})

    listed = org("GET", f"{op}/reports")
    assert [(r["country"], r["status"]) for r in listed["items"]] == [
        ("FRA", "draft"),
        ("KEN", "submitted"),
        ("THA", "submitted"),
        ("UGA", "draft"),
        ("VNM", "submitted"),
    ]
    assert listed["items"][0]["on_time"] is None and listed["items"][1]["on_time"] is True
    assert [r["country"] for r in org("GET", f"{op}/reports?network=none")["items"]] == ["FRA"]
    assert [
        r["country"] for r in org("GET", f"{op}/reports?status=submitted&network=latf")["items"]
    ] == ["KEN"]
    assert [r["country"] for r in asean("GET", f"{op}/reports")["items"]] == ["THA", "VNM"]
    assert org("GET", f"{op}/reports?network=NOPE", expect=422)["error"]["field"] == "network"

    # the coordinator validates its network's submitted reports in one go; Kenya is not its
    outcome = asean(
        "POST", f"{op}/reports/bulk", {"action": "validate", "filter": {"status": "submitted"}}
    )
    assert (outcome["done"], outcome["skipped"]) == (["THA", "VNM"], {})
    # a focal point's bulk approve: its own report only, refused with the reason
    refused = tha("POST", f"{op}/reports/bulk", {"action": "approve"})
    assert refused["done"] == [] and list(refused["skipped"]) == ["THA"]
    assert "organiser" in refused["skipped"]["THA"]
    # the organiser approves ASEAN-WEN's; names countries it cannot act on
    outcome = org(
        "POST",
        f"{op}/reports/bulk",
        {"action": "approve", "filter": {"network": "ASEAN-WEN", "countries": ["tha", "VNM"]}},
    )
    assert outcome == {"action": "approve", "done": ["THA", "VNM"], "skipped": {}}
    outcome = org(
        "POST",
        f"{op}/reports/bulk",
        {"action": "validate", "filter": {"countries": ["KEN", "UGA", "ZZZ"]}},
    )
    assert outcome["done"] == ["KEN"]
    assert set(outcome["skipped"]) == {"UGA", "ZZZ"}
    assert "draft" in outcome["skipped"]["UGA"]
    # Kenya's focal point asking for Thailand learns nothing about it
    hidden = ken(
        "POST", f"{op}/reports/bulk", {"action": "submit", "filter": {"countries": ["THA"]}}
    )
    assert hidden["skipped"]["THA"] == outcome["skipped"]["ZZZ"]
    assert [report_status(reporting, c) for c in ("THA", "VNM", "KEN", "UGA")] == [
        ReportStatus.APPROVED,
        ReportStatus.APPROVED,
        ReportStatus.VALIDATED,
        ReportStatus.DRAFT,  # started by the refused bulk move
    ]
    # refused bodies name the field
    for body, field in [
        ({"action": "return", "filter": {"status": "validated"}}, "comment"),
        ({"action": "publish"}, "action"),
        ({"action": "submit", "filter": {"countries": "THA"}}, "filter.countries"),
        ({"action": "submit", "filter": {"countries": ["THA", 4]}}, "filter.countries[2]"),
        ({"action": "submit", "filter": {"status": "lost"}}, "filter.status"),
        ({"action": "submit", "filter": {"region": "Asia"}}, "filter.region"),
        ({"action": "submit", "comment": 5}, "comment"),
        ({"action": "submit", "filter": ["THA"]}, "filter"),
    ]:
        error = org("POST", f"{op}/reports/bulk", body, expect=422)["error"]
        assert error.get("field") == field, (body, error)
    assert report_status(reporting, "KEN") is ReportStatus.VALIDATED


# -- national results ---------------------------------------------------------------------------
def test_national_results_are_replaced_with_a_version(app, users, as_, reporting):
    tha, org = as_["fp_tha"], as_["organiser"]
    url = f"/operations/{reporting.id}/countries/THA/national-results"
    empty = tha("GET", url)
    assert (empty["version"], empty["counts"]["arrests"], empty["assets"]) == (
        1,
        0,
        {"amount": None, "currency": ""},
    )
    assert empty["suspects_by_nationality"] == {} and empty["consent_to_be_named"] is False
    body = {
        "version": 1,
        "counts": {"arrests": 4, "investigations_opened": 2, "online_adverts_removed": 31},
        "suspects_by_nationality": {"vnm": 3, "THA": 1},
        "assets": {"amount": "1500.50", "currency": "usd"},
        "consent_to_be_named": True,
        "notes": "Two controlled deliveries still running.",
    }
    saved = tha("PUT", url, body)
    assert saved["version"] == 2
    assert saved["counts"]["arrests"] == 4 and saved["counts"]["prosecutions_initiated"] == 0
    assert saved["suspects_by_nationality"] == {"THA": 1, "VNM": 3}
    assert saved["assets"] == {"amount": "1500.50", "currency": "USD"}
    assert as_["coord_asean"]("GET", url) == saved
    fresh()
    r = reports.existing_report(participation(reporting, "THA"))
    assert (r.arrests, r.suspects_by_nationality, str(r.assets_seized_amount)) == (
        4,
        {"THA": 1, "VNM": 3},
        "1500.50",
    )
    assert r.consent_to_be_named is True

    # a second writer with the old version is refused; the first writer's values stay
    stale = org("PUT", url, {**body, "version": 1, "counts": {"arrests": 9}}, expect=409)
    assert stale["error"]["field"] == "version"
    assert org("PUT", url, {"counts": {"arrests": 9}}, expect=422)["error"]["field"] == "version"
    as_["coord_asean"]("PUT", url, {**body, "version": 2}, expect=403)
    assert tha("GET", url)["counts"]["arrests"] == 4

    # every error named, by the API's field names
    error = org(
        "PUT",
        url,
        {
            "version": 2,
            "counts": {"arrests": -1, "prosecutions_initiated": "3", "raids": 2},
            "suspects_by_nationality": {"ZZZ": 1, "VNM": 0},
            "assets": {"amount": "12.345", "currency": 840},
            "consent_to_be_named": "yes",
            "notes": ["a"],
        },
        expect=422,
    )["error"]
    assert set(error["fields"]) == {
        "counts.arrests",
        "counts.prosecutions_initiated",
        "counts.raids",
        "suspects_by_nationality",
        "assets.amount",
        "assets.currency",
        "consent_to_be_named",
        "notes",
    }
    error = org(
        "PUT", url, {"version": 2, "assets": {"amount": 10, "currency": "XYZ"}}, expect=422
    )["error"]
    assert error["field"] == "assets.currency" and "XYZ" in error["message"]
    error = org("PUT", url, {"version": 2, "assets": {"amount": 10}}, expect=422)["error"]
    assert error["field"] == "assets.currency"
    assert org("PUT", url, {"version": 2, "counts": [1]}, expect=422)["error"]["field"] == "counts"
    # a replacement: what is not sent is zero or empty
    cleared = org("PUT", url, {"version": 2, "counts": {"arrests": 5}})
    assert cleared["counts"]["investigations_opened"] == 0 and cleared["assets"]["amount"] is None
    assert cleared["version"] == 3


# -- highlights -----------------------------------------------------------------------------------
def test_highlight_cases(app, as_, reporting):
    tha = as_["fp_tha"]
    country = f"/operations/{reporting.id}/countries/THA"
    s = tha("POST", f"{country}/seizures", new_seizure(), expect=201)
    secret = tha(
        "POST",
        f"{country}/seizures",
        new_seizure(national_reference="TH-SECRET", sensitive=True, publishable=False),
        expect=201,
    )
    nominated = tha(
        "POST",
        f"{country}/highlights",
        {
            "seizure_id": s["id"],
            "narrative": "  Scales hidden in fish maw sacks. ",
            "consent": True,
        },
        expect=201,
    )
    assert (nominated["seizure_id"], nominated["narrative"], nominated["consent"]) == (
        s["id"],
        "Scales hidden in fish maw sacks.",
        True,
    )
    assert nominated["national_reference"] == "TH-2027-001"
    again = tha(
        "POST", f"{country}/highlights", {"seizure_id": s["id"], "narrative": "x"}, expect=409
    )
    assert again["error"]["field"] == "seizure_id"
    sensitive = tha(
        "POST",
        f"{country}/highlights",
        {"seizure_id": secret["id"], "narrative": "Do not publish"},
        expect=422,
    )["error"]
    assert sensitive["field"] == "seizure_id" and "sensitive" in sensitive["message"]
    for body, field in [
        ({"seizure_id": 999999, "narrative": "x"}, "seizure_id"),
        ({"narrative": "x"}, "seizure_id"),
        ({"seizure_id": s["id"], "narrative": ""}, "narrative"),
        ({"seizure_id": s["id"], "narrative": "x", "consent": "yes"}, "consent"),
    ]:
        error = tha("POST", f"{country}/highlights", body, expect=422)["error"]
        assert error["field"] == field, body
    listed = as_["coord_asean"]("GET", f"{country}/highlights")
    assert [h["id"] for h in listed["items"]] == [nominated["id"]]
    as_["coord_asean"]("DELETE", f"{country}/highlights/{nominated['id']}", expect=403)
    kenya = f"/operations/{reporting.id}/countries/KEN"
    as_["organiser"]("DELETE", f"{kenya}/highlights/{nominated['id']}", expect=404)
    tha("DELETE", f"{country}/highlights/{nominated['id']}", expect=204)
    assert tha("GET", f"{country}/highlights")["count"] == 0


# -- the species reference ------------------------------------------------------------------------
def test_species_search(app, as_, reporting):
    comms = as_["comms"]
    everything = comms("GET", "/species")
    fresh()
    assert everything["count"] == db.session.scalar(select(func.count()).select_from(Species))
    assert everything["count"] > 200
    found = comms("GET", "/species?q=PANGOLIN")
    names = {s["scientific_name"] for s in found["items"]}
    assert "Manis javanica" in names and found["count"] < 20
    for s in found["items"]:
        text = " ".join([s["scientific_name"], s["common_name"], *s["synonyms"]]).lower()
        assert "pangolin" in text
    assert {
        s["scientific_name"] for s in comms("GET", "/species?q=manis%20%20javanica")["items"]
    } == {"Manis javanica"}
    timber = comms("GET", "/species?group=timber")
    assert timber["count"] and {s["taxon_group"] for s in timber["items"]} == {"timber"}
    assert comms("GET", "/species?group=dragons", expect=422)["error"]["field"] == "group"
    one = found["items"][0]
    assert as_["fp_ken"]("GET", f"/species/{one['id']}") == one
    assert set(one) >= {"id", "scientific_name", "common_name", "cites_appendix", "taxon_group"}
    comms("GET", "/species/999999", expect=404)


# -- communications -------------------------------------------------------------------------------
def test_communications_gets_404_on_everything_country_level(app, as_, reporting):
    tha = as_["fp_tha"]
    country = f"/operations/{reporting.id}/countries/THA"
    s = tha("POST", f"{country}/seizures", new_seizure(), expect=201)
    h = tha(
        "POST", f"{country}/highlights", {"seizure_id": s["id"], "narrative": "Case"}, expect=201
    )
    comms = as_["comms"]
    item = f"{country}/seizures/{s['id']}"
    for method, url, body in [
        ("GET", f"/operations/{reporting.id}/reports", None),
        ("POST", f"/operations/{reporting.id}/reports/bulk", {"action": "submit"}),
        ("GET", f"{country}/report", None),
        ("POST", f"{country}/report/submit", {"version": 1}),
        ("GET", f"{country}/seizures", None),
        ("POST", f"{country}/seizures", new_seizure(national_reference="TH-COMMS")),
        ("GET", item, None),
        ("PATCH", item, {"version": 1, "place": "x"}),
        ("PUT", item, {**new_seizure(), "version": 1}),
        ("DELETE", f"{item}?version=1", None),
        ("GET", f"{item}/history", None),
        ("GET", f"{country}/national-results", None),
        ("PUT", f"{country}/national-results", {"version": 1}),
        ("GET", f"{country}/highlights", None),
        ("POST", f"{country}/highlights", {"seizure_id": s["id"], "narrative": "x"}),
        ("DELETE", f"{country}/highlights/{h['id']}", None),
    ]:
        body = comms(method, url, body, expect=404)
        assert "Thailand" not in str(body) and "TH-2027" not in str(body), (method, url)
    assert seizure_count() == 1
    assert db.session.scalar(select(func.count()).select_from(HighlightCase)) == 1
    assert db.session.scalar(select(func.count()).select_from(CountryReport)) <= 1
