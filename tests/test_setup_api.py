"""The set-up over the JSON API: same rules, messages and scope as the web."""

from __future__ import annotations

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import AuditEvent, OperationPhase, Participation, ParticipationStatus
from tests.conftest import bearer


def call(client, method, url, token, body=None):
    return client.open(f"/api/v1{url}", method=method, json=body, headers=bearer(token))


def test_phase_moves_report_every_failed_guard(client, operation, api_tokens):
    org = api_tokens["organiser"]
    state = call(client, "GET", f"/operations/{operation.id}/phase", org).get_json()
    assert state["phase"] == "planning"
    briefing = next(m for m in state["next"] if m["phase"] == "briefing")
    assert briefing == {
        "phase": "briefing",
        "allowed": False,
        "reasons": [
            "the operation has no priorities yet",
            "no country has confirmed its participation yet",
        ],
    }
    refused = call(client, "POST", f"/operations/{operation.id}/phase", org, {"phase": "briefing"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["field"] == "phase"
    assert (
        "no priorities yet" in error["message"] and "no country has confirmed" in error["message"]
    )
    bad = call(client, "POST", f"/operations/{operation.id}/phase", org, {"phase": "later"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "phase"

    # A focal point sees the phase but not the organiser's moves.
    fp = call(client, "GET", f"/operations/{operation.id}/phase", api_tokens["fp_tha"]).get_json()
    assert fp["phase"] == "planning" and fp["next"] == []


def test_full_planning_moves_over_the_api(client, operation, api_tokens):
    org, fp = api_tokens["organiser"], api_tokens["fp_tha"]
    created = call(
        client,
        "POST",
        f"/operations/{operation.id}/priorities",
        org,
        {
            "kind": "trade_route",
            "title": "Gulf transit",
            "origin_codes": ["M49:014"],
            "transit_codes": ["ARE"],
            "destination_codes": ["THA"],
            "conveyances": ["air_cargo"],
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["rank"], body["origin_codes"], body["conveyances"]) == (
        1,
        ["M49:014"],
        ["air_cargo"],
    )
    answer = call(
        client,
        "PATCH",
        f"/operations/{operation.id}/participations/THA",
        fp,
        {"status": "confirmed"},
    )
    assert answer.status_code == 200
    moved = call(
        client,
        "POST",
        f"/operations/{operation.id}/phase",
        org,
        {"phase": "briefing", "note": "priorities agreed"},
    )
    assert moved.status_code == 200
    state = moved.get_json()
    assert state["phase"] == "briefing"
    assert state["history"][-1]["note"] == "priorities agreed"
    db.session.expire_all()
    assert operation.phase is OperationPhase.BRIEFING


def test_priority_errors_name_the_field(client, operation, api_tokens):
    org = api_tokens["organiser"]
    url = f"/operations/{operation.id}/priorities"
    response = call(
        client, "POST", url, org, {"kind": "trade_route", "title": "x", "origin_codes": ["NGA"]}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "origin_codes"
    response = call(
        client, "POST", url, org, {"kind": "commodity", "title": "x", "commodity": "unicorn"}
    )
    assert response.get_json()["error"]["field"] == "commodity"
    forbidden = call(
        client, "POST", url, api_tokens["coord_asean"], {"kind": "commodity", "title": "x"}
    )
    assert forbidden.status_code == 403


def test_priorities_move_edit_delete(client, operation, api_tokens):
    org = api_tokens["organiser"]
    url = f"/operations/{operation.id}/priorities"
    ids = [
        call(
            client, "POST", url, org, {"kind": "commodity", "title": t, "commodity": "ivory"}
        ).get_json()["id"]
        for t in ("A", "B")
    ]
    assert call(client, "PATCH", f"{url}/{ids[1]}", org, {"move": "up"}).get_json()["rank"] == 1
    edited = call(
        client,
        "PATCH",
        f"{url}/{ids[0]}",
        org,
        {"kind": "commodity", "title": "A renamed", "commodity": "timber"},
    )
    assert edited.get_json()["commodity"] == "timber"
    assert call(client, "DELETE", f"{url}/{ids[1]}", org).status_code == 204
    listing = call(client, "GET", url, api_tokens["fp_ken"]).get_json()
    assert [(p["rank"], p["title"]) for p in listing["items"]] == [(1, "A renamed")]


def test_invite_network_and_trade_chain(client, operation, api_tokens):
    org = api_tokens["organiser"]
    result = call(
        client, "POST", f"/operations/{operation.id}/networks", org, {"network": "NAWEG"}
    ).get_json()
    assert sorted(result["invited"]) == ["CAN", "MEX", "USA"]
    unknown = call(client, "POST", f"/operations/{operation.id}/networks", org, {"network": "NOPE"})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "network"
    call(
        client,
        "POST",
        f"/operations/{operation.id}/priorities",
        org,
        {
            "kind": "trade_route",
            "title": "Americas",
            "origin_codes": ["MEX"],
            "destination_codes": ["USA", "CAN"],
        },
    )
    chain = call(client, "GET", f"/operations/{operation.id}/trade-chain", org).get_json()
    (item,) = chain["items"]
    assert {g["country"]: g["status"] for g in item["gaps"]} == {
        "MEX": "invited",
        "USA": "invited",
        "CAN": "invited",
    }


def test_directory_is_scoped_and_audited(client, operation, api_tokens, users):
    p = db.session.scalar(select(Participation).where(Participation.country_iso3 == "KEN"))
    p.focal_points.append(users["fp_ken"])
    db.session.commit()
    mine = call(client, "GET", f"/operations/{operation.id}/directory", api_tokens["fp_ken"])
    assert [r["iso3"] for r in mine.get_json()["items"]] == ["KEN"]
    assert mine.get_json()["items"][0]["email"] == users["fp_ken"].email
    comms = call(client, "GET", f"/operations/{operation.id}/directory", api_tokens["comms"])
    assert comms.status_code == 404
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "directory.export"))
    assert [(e.actor_email, e.via) for e in events] == [(users["fp_ken"].email, "api")]


def test_readiness_for_a_coordinator_is_its_network_only(client, operation, api_tokens):
    for iso3 in ("THA", "KEN"):
        p = db.session.scalar(select(Participation).where(Participation.country_iso3 == iso3))
        p.status = ParticipationStatus.CONFIRMED
    db.session.commit()
    board = call(
        client, "GET", f"/operations/{operation.id}/readiness", api_tokens["coord_asean"]
    ).get_json()
    assert [(n["network"], n["confirmed"]) for n in board["networks"]] == [("ASEAN-WEN", 1)]
    assert board["networks"][0]["confirmed_without_plan"] == ["Thailand"]
    assert (
        call(
            client, "GET", f"/operations/{operation.id}/readiness", api_tokens["fp_tha"]
        ).status_code
        == 404
    )


def test_partial_edit_keeps_other_fields_and_checks_the_schedule(client, operation, api_tokens):
    org = api_tokens["organiser"]
    url = f"/operations/{operation.id}"
    done = call(
        client, "PATCH", url, org, {"guidelines": "# Report daily", "timezone": "Asia/Bangkok"}
    )
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["guidelines"], done.get_json()["timezone"]) == (
        "# Report daily",
        "Asia/Bangkok",
    )
    assert done.get_json()["secure_channel"] == "CENcomm CUG TEST"
    bad = call(client, "PATCH", url, org, {"window_end": "2027-03-10"})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field"] == "window_end"
    zone = call(client, "PATCH", url, org, {"timezone": "Mars/Olympus"})
    assert zone.get_json()["error"]["field"] == "timezone"
