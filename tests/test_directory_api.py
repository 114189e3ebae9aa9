"""The network directory's API: sheets (read, partial update with the version, comparison),
the catalogue, and the usage a country records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import AuditEvent, Network, ToolService, ToolUsage
from opsplanner.services import sheets
from opsplanner.services.directory_seed import load_directory_seed
from tests.conftest import bearer

A = "/api/v1"


@pytest.fixture
def api(app, users, api_tokens):
    load_directory_seed()
    db.session.commit()
    client = app.test_client()

    def call(method: str, url: str, who: str, **kwargs):
        return client.open(A + url, method=method, headers=bearer(api_tokens[who]), **kwargs)

    return call


def current(acronym: str):
    db.session.commit()
    net = db.session.scalar(select(Network).where(Network.acronym == acronym))
    return sheets.sheet_of(net)


def test_sheets_are_listed_with_their_staleness(api):
    body = api("GET", "/sheets", "comms").get_json()
    assert body["count"] == 25
    asean = next(s for s in body["items"] if s["network"] == "ASEAN-WEN")
    assert asean["version"] == 1 and asean["stale"] is True and asean["missing"] is False
    assert asean["updated_at"].startswith("2016-09-28") and asean["updated_by"] is None

    one = api("GET", "/sheets/ASEAN-WEN", "fp_ken").get_json()
    assert one["fields"]["formation_date"] == "2005-12-01"
    assert one["fields"]["has_secretariat"] is None
    assert one["history"] == [
        {"version": 1, "saved_at": one["updated_at"], "saved_by": None, "via": "seed"}
    ]


def test_a_coordinator_patches_the_sheet_and_the_rest_is_kept(api, users):
    response = api(
        "PATCH",
        "/sheets/ASEAN-WEN",
        "coord_asean",
        json={"version": 1, "mandate": "policy", "has_secretariat": False, "challenges": "Funds"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["version"] == 2 and body["stale"] is False
    assert body["updated_by"] == "Coord Asean"
    assert body["fields"]["mandate"] == "policy" and body["fields"]["has_secretariat"] is False
    assert body["fields"]["formation_date"] == "2005-12-01"  # not sent: kept
    assert [h["via"] for h in body["history"]] == ["api", "seed"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sheet.update"))
    assert event.via == "api" and event.actor_id == users["coord_asean"].id

    # "" clears a field back to "not stated"
    cleared = api("PATCH", "/sheets/ASEAN-WEN", "organiser", json={"version": 2, "mandate": ""})
    assert cleared.status_code == 200 and cleared.get_json()["fields"]["mandate"] is None
    assert current("ASEAN-WEN").version == 3


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"mandate": "policy"}, 422, "version"),
        ({"version": 7, "mandate": "policy"}, 409, "version"),
        ({"version": 1, "mandate": "advisory"}, 422, "mandate"),
        ({"version": 1, "formation_date": "yesterday"}, 422, "formation_date"),
        ({"version": 1, "has_secretariat": False, "secretariat_location": "X"}, 422, None),
        ({"version": 1, "challenges": {"nested": True}}, 422, "challenges"),
    ],
)
def test_a_refused_patch_names_the_field_and_changes_nothing(api, body, status, field):
    response = api("PATCH", "/sheets/ASEAN-WEN", "coord_asean", json=body)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    if field:
        assert error["field"] == field
    assert current("ASEAN-WEN").version == 1


def test_only_the_networks_coordinator_or_an_organiser_patches(api):
    for who in ("coord_latf", "fp_tha", "comms"):
        response = api("PATCH", "/sheets/ASEAN-WEN", who, json={"version": 1, "mandate": "both"})
        assert response.status_code == 403
    assert api("PATCH", "/sheets/NOPE", "organiser", json={"version": 1}).status_code == 404
    assert current("ASEAN-WEN").version == 1
    created = api("PATCH", "/sheets/LATF", "coord_latf", json={"version": 1, "mandate": "both"})
    assert created.status_code == 200


def test_a_network_without_a_sheet_gets_one_at_version_zero(app, api):
    net = db.session.scalar(select(Network).where(Network.acronym == "LATF"))
    db.session.delete(sheets.sheet_of(net))
    db.session.commit()
    assert api("GET", "/sheets/LATF", "coord_latf").get_json()["missing"] is True
    refused = api("PATCH", "/sheets/LATF", "coord_latf", json={"version": 1, "mandate": "both"})
    assert refused.status_code == 409
    made = api("PATCH", "/sheets/LATF", "coord_latf", json={"version": 0, "mandate": "both"})
    assert made.status_code == 200 and made.get_json()["version"] == 1


def test_the_comparison_through_the_api(api):
    api(
        "PATCH",
        "/sheets/ASEAN-WEN",
        "coord_asean",
        json={"version": 1, "has_secretariat": True, "mandate": "operational"},
    )
    body = api(
        "GET", "/sheets/comparison?fields=mandate,has_secretariat&secretariat=yes", "comms"
    ).get_json()
    assert [c["key"] for c in body["columns"]] == ["mandate", "has_secretariat"]
    rows = {r["network"]: r for r in body["rows"]}
    assert rows["ASEAN-WEN"]["values"] == {
        "mandate": "operational task force",
        "has_secretariat": "yes",
    }
    assert rows["ASEAN-WEN"]["stale"] is False and rows["SA-WEN"]["stale"] is True
    assert "NAWEG" not in rows  # not stated: neither with nor without
    repeated = api("GET", "/sheets/comparison?fields=form&fields=maturity&form=commodity", "comms")
    assert [r["network"] for r in repeated.get_json()["rows"]] == ["SADC RESG"]
    bad = api("GET", "/sheets/comparison?maturity=ancient", "comms")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "maturity"


def test_the_catalogue_through_the_api(api):
    body = api("GET", "/tools", "fp_tha").get_json()
    assert body["count"] == db.session.scalar(select(db.func.count(ToolService.id)))
    twix = next(t for t in body["items"] if t["name"] == "EU-TWIX")
    assert twix["region_codes"] == ["150"] and twix["networks"] == ["EU Enforcement Group"]
    latf = {t["name"] for t in api("GET", "/tools?network=LATF", "fp_tha").get_json()["items"]}
    assert "INTERPOL Regional Bureau Nairobi" in latf and "EU-TWIX" not in latf
    assert api("GET", "/tools?network=NOPE", "fp_tha").status_code == 422


def test_a_focal_point_records_usage_through_the_api(api, users):
    ids = {t.name: t.id for t in db.session.scalars(select(ToolService))}
    put = api("PUT", "/tools/usage/THA", "fp_tha", json={"tools": [ids["SHERLOC"], ids["TRACK"]]})
    assert put.status_code == 200, put.get_json()
    marks = {t["tool"]: t["uses"] for t in put.get_json()["tools"]}
    assert marks["SHERLOC"] is True and marks["TRACK"] is True and marks["ENVIRONET"] is False
    db.session.commit()
    assert (
        db.session.scalar(select(db.func.count(ToolUsage.id)).where(ToolUsage.uses.is_(True))) == 2
    )

    # the coordinator reads their member state's answers but does not give them
    read = api("GET", "/tools/usage/THA", "coord_asean")
    assert read.status_code == 200 and read.get_json()["may_change"] is False
    assert api("PUT", "/tools/usage/THA", "coord_asean", json={"tools": []}).status_code == 403
    assert api("PUT", "/tools/usage/KEN", "fp_tha", json={"tools": []}).status_code == 404
    assert api("GET", "/tools/usage/THA", "comms").status_code == 404
    missing = api("PUT", "/tools/usage/THA", "fp_tha", json={})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "tools"
    unknown = api("PUT", "/tools/usage/THA", "fp_tha", json={"tools": [999999]})
    assert unknown.status_code == 422
    not_json = api("PUT", "/tools/usage/THA", "fp_tha", data="tools=1")
    assert not_json.status_code == 415


def test_the_directory_paths_are_in_the_openapi_document(app):
    doc = app.test_client().get(f"{A}/openapi.json").get_json()
    for path in ("/sheets", "/sheets/{acronym}", "/sheets/comparison", "/directory/contacts"):
        assert path in doc["paths"], path
    assert set(doc["paths"]["/tools/usage/{iso3}"]) == {"get", "put"}
    assert "version" in doc["components"]["schemas"]["SheetInput"]["required"]
