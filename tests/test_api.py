"""The JSON API: bearer tokens, reference data, validation that names the field, the audit of
API changes, background exports, and the OpenAPI document checked against the real routes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pycountry
import pytest
from sqlalchemy import func, select, text

from opsplanner.extensions import db
from opsplanner.models import (
    ApiToken,
    AuditEvent,
    Country,
    Job,
    JobStatus,
    Network,
    Operation,
    OperationPhase,
)
from opsplanner.services import accounts
from opsplanner.services import jobs as jobs_service
from tests.conftest import bearer, csrf_token, signed_in

A = "/api/v1"
ASEAN = {"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"}
VALID = {
    "code_name": "Operation Api Shield",
    "organising_agency": "INTERPOL",
    "window_start": "2028-02-01",
    "window_end": "2028-02-14",
    "world_wildlife_day": "2028-03-03",
    "reporting_deadline": "2028-02-24T23:59",
    "embargo_until": "2028-03-03T09:00",
    "secure_channel": "I-24/7 API",
}


@pytest.fixture
def api(app):
    return app.test_client()


def fresh() -> None:
    db.session.commit()  # end the test's transaction: see what the requests committed


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == status
    assert error["message"]
    if field is not None:
        assert error.get("field") == field, error
    return error


# -- bearer tokens ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}],
    ids=["none", "basic", "empty"],
)
def test_a_missing_token_is_401_saying_how_to_send_one(app, api, users, headers):
    error = assert_error(api.get(f"{A}/operations", headers=headers), 401)
    assert "Bearer" in error["message"]


def test_an_unknown_token_is_401(app, api, api_tokens):
    forged = api_tokens["organiser"][:-4] + "AAAA"
    error = assert_error(api.get(f"{A}/operations", headers=bearer(forged)), 401)
    assert "unknown" in error["message"]


def test_a_revoked_token_is_401(app, api, users, api_tokens):
    raw = api_tokens["fp_tha"]
    assert api.get(f"{A}/operations", headers=bearer(raw)).status_code == 200
    # revoked from the account page, by its owner
    client = signed_in(app, "fp_tha@test.example")
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == users["fp_tha"].id))
    response = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account/")}
    )
    assert response.status_code == 302
    error = assert_error(api.get(f"{A}/operations", headers=bearer(raw)), 401)
    assert "revoked" in error["message"]
    # the other tokens keep working
    assert api.get(f"{A}/operations", headers=bearer(api_tokens["fp_ken"])).status_code == 200


def test_an_expired_token_is_401(app, api, users):
    raw = accounts.create_token(users["fp_tha"], "short-lived", days=1)
    never = accounts.create_token(users["fp_tha"], "no expiry", days=None)
    db.session.commit()
    assert api.get(f"{A}/operations", headers=bearer(raw)).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == accounts.sha256(raw)))
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    error = assert_error(api.get(f"{A}/operations", headers=bearer(raw)), 401)
    assert "expired" in error["message"]
    assert api.get(f"{A}/operations", headers=bearer(never)).status_code == 200


def test_a_disabled_accounts_token_is_401(app, api, users, api_tokens):
    users["fp_ken"].active = False
    db.session.commit()
    assert_error(api.get(f"{A}/operations", headers=bearer(api_tokens["fp_ken"])), 401)


def test_tokens_are_stored_hashed(app, api, users, api_tokens):
    fresh()
    rows = db.session.execute(text("SELECT * FROM api_token")).mappings().all()
    assert len(rows) == len(api_tokens)
    stored = " ".join(str(value) for row in rows for value in row.values())
    for raw in api_tokens.values():
        assert raw.startswith(app.config["API_TOKEN_PREFIX"])
        assert raw not in stored
        assert raw[10:] not in stored
        assert accounts.sha256(raw) in stored
    # a token made on the account page is shown once and not kept either
    client = signed_in(app, "comms@test.example")
    page = client.post(
        "/account/tokens", data={"name": "sync", "csrf_token": csrf_token(client, "/account/")}
    )
    assert page.status_code == 200
    shown = re.findall(r"opk_[A-Za-z0-9_-]{20,}", page.get_data(as_text=True))
    assert len(set(shown)) == 1
    fresh()
    stored = " ".join(
        str(v) for r in db.session.execute(text("SELECT * FROM api_token")).all() for v in r
    )
    assert shown[0] not in stored
    assert api.get(f"{A}/operations", headers=bearer(shown[0])).status_code == 200


def test_using_a_token_records_when(app, api, users, api_tokens):
    api.get(f"{A}/countries/KEN", headers=bearer(api_tokens["comms"]))
    fresh()
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == users["comms"].id))
    assert token.last_used_at is not None


def test_unknown_api_routes_answer_json(app, api, api_tokens):
    assert_error(api.get(f"{A}/no-such-thing", headers=bearer(api_tokens["comms"])), 404)


# -- reference data -----------------------------------------------------------------------------
def test_countries_lists_every_iso_country(app, api, api_tokens):
    body = api.get(f"{A}/countries", headers=bearer(api_tokens["comms"])).get_json()
    assert body["count"] == len(pycountry.countries) == len(body["items"])
    assert {c["iso3"] for c in body["items"]} == {c.alpha_3 for c in pycountry.countries}
    kenya = api.get(f"{A}/countries/ken", headers=bearer(api_tokens["comms"])).get_json()
    assert (kenya["iso2"], kenya["subregion"]["name"]) == ("KE", "Sub-Saharan Africa")


def test_countries_filter_by_region(app, api, api_tokens):
    body = api.get(f"{A}/countries?region=Africa", headers=bearer(api_tokens["comms"])).get_json()
    expected = db.session.scalar(select(func.count()).where(Country.region == "Africa"))
    assert body["count"] == expected > 50
    assert {c["region"]["name"] for c in body["items"]} == {"Africa"}


def test_asean_wen_has_the_ten_asean_members(app, api, api_tokens):
    response = api.get(f"{A}/networks/ASEAN-WEN", headers=bearer(api_tokens["fp_ken"]))
    body = response.get_json()
    assert body["member_count"] == 10
    assert {m["iso3"] for m in body["memberships"] if m["current"]} == ASEAN
    assert body["sources"]
    listing = api.get(f"{A}/networks", headers=bearer(api_tokens["fp_ken"])).get_json()
    assert listing["count"] == db.session.scalar(select(func.count()).select_from(Network))
    asean = next(n for n in listing["items"] if n["acronym"] == "ASEAN-WEN")
    assert asean["member_count"] == 10


# -- creating operations ------------------------------------------------------------------------
def test_an_organiser_creates_an_operation(app, api, users, api_tokens):
    response = api.post(f"{A}/operations", json=VALID, headers=bearer(api_tokens["organiser"]))
    assert response.status_code == 201
    body = response.get_json()
    assert body["phase"] == "draft"
    assert body["reporting_deadline"] == "2028-02-24T23:59:00+00:00"
    assert response.headers["Location"].endswith(f"{A}/operations/{body['id']}")
    fresh()
    op = db.session.get(Operation, body["id"])
    assert (op.code_name, op.phase) == ("Operation Api Shield", OperationPhase.DRAFT)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "operation.create"))
    assert (event.via, event.actor_id, event.operation_id) == ("api", users["organiser"].id, op.id)


INVALID = [
    ({"window_end": "2028-03-03"}, "window_end"),  # not before World Wildlife Day
    ({"window_end": "2028-01-20"}, "window_end"),  # before the start
    ({"reporting_deadline": "2028-02-10T12:00"}, "reporting_deadline"),
    ({"reporting_deadline": "2028-03-04T00:00"}, "reporting_deadline"),
    ({"embargo_until": "2028-03-02T23:00"}, "embargo_until"),
    ({"window_start": "1 February"}, "window_start"),
    ({"organising_agency": "EUROPOL"}, "organising_agency"),
    ({"code_name": ""}, "code_name"),
    ({"code_name": "<script>"}, "code_name"),
    ({"code_name": None}, "code_name"),
    ({"world_wildlife_day": 20280303}, "world_wildlife_day"),
    ({"description": {"text": "nested"}}, "description"),
    ({"secure_channel": ["a", "b"]}, "secure_channel"),
]


def test_invalid_operations_are_422_naming_the_field(app, api, api_tokens):
    headers = bearer(api_tokens["organiser"])
    wrong = []
    for change, field in INVALID:
        response = api.post(f"{A}/operations", json={**VALID, **change}, headers=headers)
        body = response.get_json() or {}
        got = (response.status_code, body.get("error", {}).get("field"))
        if got != (422, field):
            wrong.append(f"{change}: {got}, expected (422, {field!r})")
    assert not wrong, "\n".join(wrong)
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Operation)) == 0


def test_a_missing_field_is_named(app, api, api_tokens):
    body = {k: v for k, v in VALID.items() if k != "embargo_until"}
    response = api.post(f"{A}/operations", json=body, headers=bearer(api_tokens["organiser"]))
    error = assert_error(response, 422, "embargo_until")
    assert set(error["fields"]) == {"embargo_until"}


@pytest.mark.parametrize("body", [[VALID], "Operation X", 42], ids=["list", "string", "number"])
def test_a_body_that_is_not_an_object_is_422(app, api, api_tokens, body):
    response = api.post(f"{A}/operations", json=body, headers=bearer(api_tokens["organiser"]))
    assert_error(response, 422)


def test_malformed_json_is_refused(app, api, api_tokens):
    headers = {**bearer(api_tokens["organiser"]), "Content-Type": "application/json"}
    response = api.post(f"{A}/operations", data='{"code_name": ', headers=headers)
    assert_error(response, 422)


def test_a_duplicate_code_name_is_409(app, api, api_tokens, operation):
    body = {**VALID, "code_name": operation.code_name.upper()}
    response = api.post(f"{A}/operations", json=body, headers=bearer(api_tokens["organiser"]))
    assert_error(response, 409, "code_name")
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Operation)) == 1


def test_non_json_writes_are_415(app, api, api_tokens, operation):
    headers = bearer(api_tokens["organiser"])
    assert_error(api.post(f"{A}/operations", data=VALID, headers=headers), 415)
    url = f"{A}/operations/{operation.id}/participations/THA"
    assert_error(api.patch(url, data={"status": "confirmed"}, headers=headers), 415)
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Operation)) == 1


# -- answering and inviting ---------------------------------------------------------------------
def test_a_focal_point_answers_through_the_api_and_it_is_audited(
    app, api, users, api_tokens, operation
):
    url = f"{A}/operations/{operation.id}/participations/tha"
    response = api.patch(
        url, json={"status": "confirmed", "note": "ready"}, headers=bearer(api_tokens["fp_tha"])
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["country"], body["status"], body["status_note"]) == ("THA", "confirmed", "ready")
    assert body["responded_at"]
    fresh()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "participation.respond")
    ).all()
    assert len(events) == 1
    event = events[0]
    assert (event.via, event.actor_id, event.actor_role) == (
        "api",
        users["fp_tha"].id,
        "focal_point",
    )
    assert (event.country_iso3, event.operation_id) == ("THA", operation.id)
    assert event.before == {"status": "invited", "note": ""}
    assert event.after == {"status": "confirmed", "note": "ready"}


@pytest.mark.parametrize(
    "body", [{"status": "withdrawn"}, {"status": "maybe"}, {}], ids=["withdraw", "bad", "none"]
)
def test_a_refused_answer_is_422_on_status(app, api, api_tokens, operation, body):
    url = f"{A}/operations/{operation.id}/participations/THA"
    response = api.patch(url, json=body, headers=bearer(api_tokens["fp_tha"]))
    assert_error(response, 422, "status")
    fresh()
    assert db.session.scalar(select(func.count()).where(AuditEvent.via == "api")) == 0


def test_an_organiser_invites_through_the_api(app, api, api_tokens, operation):
    url = f"{A}/operations/{operation.id}/participations"
    headers = bearer(api_tokens["organiser"])
    response = api.post(url, json={"country": "mys", "network": "ASEAN-WEN"}, headers=headers)
    assert response.status_code == 201
    assert (response.get_json()["country"], response.get_json()["network"]) == ("MYS", "ASEAN-WEN")
    assert_error(api.post(url, json={"country": "MYS"}, headers=headers), 409, "country")
    assert_error(api.post(url, json={"country": "ZZZ"}, headers=headers), 422, "country")
    assert_error(
        api.post(url, json={"country": "SGP", "network": "NOPE"}, headers=headers), 422, "network"
    )


# -- exports ------------------------------------------------------------------------------------
def test_an_export_is_queued_as_a_job(app, api, users, api_tokens, operation, monkeypatch):
    dispatched: list[tuple[int, bool]] = []

    def fake_dispatch(job_id: int, countdown: float | None = None) -> bool:
        # the wake-up call goes out only once the job row is committed
        with db.engine.connect() as conn:
            committed = conn.execute(text("SELECT id FROM job WHERE id = :id"), {"id": job_id})
            dispatched.append((job_id, committed.first() is not None))
        return True

    monkeypatch.setattr(jobs_service, "dispatch", fake_dispatch)
    headers = bearer(api_tokens["organiser"])
    response = api.post(f"{A}/operations/{operation.id}/exports", headers=headers, json={})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued"
    assert dispatched == [(body["job_id"], True)]
    fresh()
    job = db.session.get(Job, body["job_id"])
    assert (job.kind, job.status, job.attempts) == ("participation_export", JobStatus.QUEUED, 0)
    assert job.requested_by_id == users["organiser"].id
    assert job.params["operation_id"] == operation.id
    assert response.headers["Location"].endswith(f"{A}/jobs/{job.id}")
    status = api.get(f"{A}/jobs/{job.id}", headers=headers).get_json()
    assert (status["id"], status["status"], status["finished"]) == (job.id, "queued", False)
    # asking again for the same data reuses the job
    again = api.post(f"{A}/operations/{operation.id}/exports", headers=headers, json={})
    assert again.get_json()["job_id"] == job.id
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


# -- the OpenAPI document -----------------------------------------------------------------------
def api_routes(app: Any) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(A + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(A))
        for method in set(rule.methods or ()) - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def test_openapi_document_matches_the_routes(app, api, users):
    response = api.get(f"{A}/openapi.json")  # no token needed
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["servers"] == [{"url": A}]
    documented = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert documented == api_routes(app)

    for path, item in doc["paths"].items():
        declared = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            assert operation.get("responses"), (path, method)
            params = [
                resolve(doc, p["$ref"]) if "$ref" in p else p
                for p in operation.get("parameters", [])
            ]
            in_path = {p["name"] for p in params if p["in"] == "path"}
            assert in_path == declared, (path, method)
            if path != "/openapi.json":
                assert "401" in operation["responses"], (path, method)
            if method in ("post", "patch", "put"):
                assert "415" in operation["responses"] or "requestBody" not in operation

    all_refs = refs(doc)
    assert all_refs
    for ref in all_refs:
        resolve(doc, ref)
    assert set(doc["components"]["schemas"]) == {r.rsplit("/", 1)[1] for r in all_refs}
