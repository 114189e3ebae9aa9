"""National activity plans: every planning rule with the message the user sees, the version
lock (web and API), scope, comments, the taxonomy administration, the audit trail, the API and
the demo plans."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from opsplanner.extensions import db
from opsplanner.models import (
    Activity,
    ActivityType,
    AuditEvent,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    PlanComment,
    Priority,
    PriorityKind,
)
from opsplanner.services import activities
from opsplanner.services import operations as ops
from opsplanner.services.errors import Conflict
from tests.conftest import bearer, csrf_token, field_errors, location_path, signed_in

A = "/api/v1"
WINDOW = "2027-02-01 to 2027-02-14"
STALE = "changed by someone else since you opened it"


def fresh() -> None:
    db.session.commit()  # end the test's transaction: see what the requests committed


def participation(op_id: int, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op_id, Participation.country_iso3 == iso3
        )
    )


def count(model: Any, *where: Any) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_events(action: str) -> list[AuditEvent]:
    fresh()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def plan_events() -> int:
    """Audit events of plans (signing in leaves events of its own)."""
    return count(
        AuditEvent, AuditEvent.action.like("activity.%") | AuditEvent.action.like("plan.%")
    )


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def errors(response: Any) -> dict[str, list[str]]:
    return {k: [html.unescape(m) for m in v] for k, v in field_errors(text(response)).items()}


def post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/account/")})


@pytest.fixture
def restore_taxonomy(app):
    """The taxonomy is reference data, kept across tests on PostgreSQL: put it back."""
    fresh()
    before = {
        t.code: (t.name, t.definition, t.examples, t.position, t.active)
        for t in db.session.scalars(select(ActivityType))
    }
    yield
    db.session.rollback()
    added = set(db.session.scalars(select(ActivityType.code))) - set(before)
    if added:
        db.session.execute(delete(Activity).where(Activity.activity_type_code.in_(added)))
        db.session.execute(delete(ActivityType).where(ActivityType.code.in_(added)))
    for t in db.session.scalars(select(ActivityType)):
        t.name, t.definition, t.examples, t.position, t.active = before[t.code]
    db.session.commit()


@pytest.fixture
def plan(app, users, operation):
    """Priorities on the operation (a commodity and a trade route), Thailand confirmed, one
    activity in Thailand's plan, and another operation with a priority of its own."""
    ivory = Priority(
        operation=operation, rank=1, kind=PriorityKind.COMMODITY, title="Ivory", commodity="ivory"
    )
    route = Priority(
        operation=operation,
        rank=2,
        kind=PriorityKind.TRADE_ROUTE,
        title="Africa to Asia air cargo",
        origin_codes=["KEN", "UGA"],
        destination_codes=["THA", "VNM"],
        conveyances=["air_cargo"],
    )
    db.session.add_all([ivory, route])
    ops.respond(
        participation(operation.id, "THA"), ParticipationStatus.CONFIRMED, "", users["fp_tha"]
    )
    other = ops.create_operation(
        ops.OperationInput(
            code_name="Operation Elsewhere",
            organising_agency=OrganisingAgency.INTERPOL,
            window_start=date(2028, 2, 1),
            window_end=date(2028, 2, 14),
            world_wildlife_day=date(2028, 3, 3),
            reporting_deadline=operation.reporting_deadline.replace(year=2028),
            embargo_until=operation.embargo_until.replace(year=2028),
        ),
        by=users["organiser"],
    )
    foreign = Priority(operation=other, rank=1, kind=PriorityKind.COMMODITY, title="Timber")
    db.session.add(foreign)
    db.session.flush()
    existing = activities.create(
        participation(operation.id, "THA"),
        activities.ActivityInput(
            activity_type="air_cargo_screening",
            title="Air cargo screening at the hub",
            location="International airport cargo terminal",
            start_date=date(2027, 2, 2),
            end_date=date(2027, 2, 6),
            priority_ids=[route.id],
            agencies=["customs", "wildlife"],
        ),
        users["fp_tha"],
    )
    db.session.commit()
    return {
        "op": operation.id,
        "ivory": ivory.id,
        "route": route.id,
        "foreign": foreign.id,
        "activity": existing.id,
        "url": f"/operations/{operation.id}/plans",
    }


def valid(plan: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {
        "activity_type": "market_inspection",
        "title": "Market sweep",
        "location": "Wildlife markets in the capital",
        "start_date": "2027-02-03",
        "end_date": "2027-02-05",
        "priorities": [plan["ivory"]],
        "agencies": ["police", "wildlife"],
        "description": "Pet shops and traditional-medicine outlets.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# -- planning an activity -----------------------------------------------------------------------
def test_a_focal_point_plans_an_activity_and_it_is_audited(app, users, plan):
    client = signed_in(app, "fp_tha@test.example")
    response = post(client, f"{plan['url']}/THA", valid(plan))
    assert response.status_code == 302
    assert location_path(response) == f"{plan['url']}/THA"
    page = text(client.get(f"{plan['url']}/THA"))
    assert "Activity Market sweep added to the plan." in page
    for shown in ("Market sweep", "Market and shop inspections", "Wildlife markets in the capital"):
        assert shown in page
    assert "2027-02-03 \u2013 2027-02-05" in page
    assert "1. Ivory" in page and "Police" in page and "Wildlife authority" in page

    fresh()
    a = db.session.scalar(select(Activity).where(Activity.title == "Market sweep"))
    assert (a.activity_type_code, a.location, a.version) == (
        "market_inspection",
        "Wildlife markets in the capital",
        1,
    )
    assert [p.id for p in a.priorities] == [plan["ivory"]]
    assert a.agencies == ["police", "wildlife"]
    assert a.created_by_id == users["fp_tha"].id
    [event] = audit_events("activity.create")[-1:]
    assert (event.operation_id, event.country_iso3, event.actor_id, event.via) == (
        plan["op"],
        "THA",
        users["fp_tha"].id,
        "web",
    )
    assert event.after["title"] == "Market sweep"
    assert event.after["priorities"] == [plan["ivory"]]


def test_the_form_offers_the_active_taxonomy_with_definitions_and_the_window(app, users, plan):
    page = text(signed_in(app, "fp_tha@test.example").get(f"{plan['url']}/THA"))
    assert '<option value="air_cargo_screening">Air cargo screening</option>' in page
    assert "Dates fall inside the operation window, 2027-02-01 to 2027-02-14." in page
    assert 'min="2027-02-01"' in page and 'max="2027-02-14"' in page
    assert "Financial intelligence unit" in page  # an agency choice
    assert "2. Africa to Asia air cargo" in page  # a priority choice


OUTSIDE = "{d} is outside the operation window ({w}): planned activities take place inside it."


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"start_date": "2027-01-31"},
            {"start_date": [OUTSIDE.format(d="2027-01-31", w=WINDOW)]},
        ),
        (
            {"end_date": "2027-02-15"},
            {"end_date": [OUTSIDE.format(d="2027-02-15", w=WINDOW)]},
        ),
        (
            {"start_date": "2026-12-01", "end_date": "2027-03-01"},
            {
                "start_date": [OUTSIDE.format(d="2026-12-01", w=WINDOW)],
                "end_date": [OUTSIDE.format(d="2027-03-01", w=WINDOW)],
            },
        ),
        (
            {"start_date": "2027-02-10", "end_date": "2027-02-05"},
            {"end_date": ["The activity must end on or after the day it starts."]},
        ),
        (
            {"start_date": None, "end_date": None},
            {
                "start_date": [f"Give a date inside the operation window ({WINDOW})."],
                "end_date": [f"Give a date inside the operation window ({WINDOW})."],
            },
        ),
        ({"start_date": "next week"}, {"start_date": ["Not a valid date value."]}),
        (
            {"activity_type": "crystal_ball"},
            {
                "activity_type": [
                    "Unknown activity type crystal_ball: choose one from the taxonomy."
                ]
            },
        ),
        ({"activity_type": ""}, {"activity_type": ["Choose the type of activity."]}),
        ({"title": ""}, {"title": ["Give the activity a title."]}),
        (
            {"location": "  "},
            {"location": ["Say where the activity takes place (port, airport, market, city)."]},
        ),
        ({"priorities": None}, {"priorities": ["Link the activity to at least one priority."]}),
        ({"agencies": None}, {"agencies": ["Name at least one agency involved."]}),
        ({"agencies": ["customs", "navy"]}, {"agencies": ["Unknown agency: navy."]}),
    ],
    ids=[
        "starts-before-window",
        "ends-after-window",
        "both-outside",
        "end-before-start",
        "no-dates",
        "unreadable-date",
        "unknown-type",
        "no-type",
        "no-title",
        "no-location",
        "no-priority",
        "no-agency",
        "unknown-agency",
    ],
)
def test_every_rule_names_the_field_and_says_why(app, users, plan, changes, expected):
    before = count(Activity)
    response = post(
        signed_in(app, "fp_tha@test.example"), f"{plan['url']}/THA", valid(plan, **changes)
    )
    assert response.status_code == 200
    assert errors(response) == expected
    assert count(Activity) == before
    assert not audit_events("activity.create")[1:]  # only the fixture's


def test_a_priority_of_another_operation_is_refused(app, users, plan):
    data = valid(plan, priorities=[plan["ivory"], plan["foreign"]])
    response = post(signed_in(app, "fp_tha@test.example"), f"{plan['url']}/THA", data)
    assert errors(response) == {
        "priorities": [f"Not a priority of Operation Test Shield: {plan['foreign']}."]
    }
    assert count(Activity) == 1


def test_a_retired_type_is_refused_but_kept_by_the_plans_that_use_it(
    app, users, plan, restore_taxonomy
):
    organiser = signed_in(app, "organiser@test.example")
    assert post(organiser, "/activity-types/air_cargo_screening/deactivate", {}).status_code == 302
    fp = signed_in(app, "fp_tha@test.example")
    response = post(fp, f"{plan['url']}/THA", valid(plan, activity_type="air_cargo_screening"))
    assert errors(response) == {
        "activity_type": [
            "The activity type Air cargo screening is no longer in use: choose another one."
        ]
    }
    assert '<option value="air_cargo_screening">' not in text(fp.get(f"{plan['url']}/THA"))
    # The existing activity of that type can still be edited without re-classifying it.
    edit = f"{plan['url']}/THA/activities/{plan['activity']}"
    assert '<option selected value="air_cargo_screening">' in text(fp.get(edit))
    data = valid(
        plan, activity_type="air_cargo_screening", title="Renamed", priorities=[plan["route"]]
    )
    assert post(fp, edit, {**data, "version": 1}).status_code == 302
    fresh()
    assert db.session.get(Activity, plan["activity"]).title == "Renamed"


@pytest.mark.parametrize(
    "status, message",
    [
        (
            ParticipationStatus.DECLINED,
            "Kenya declined to take part: its activity plan cannot be changed.",
        ),
        (
            ParticipationStatus.WITHDRAWN,
            "Kenya withdrew from the operation: its activity plan cannot be changed.",
        ),
    ],
)
def test_a_country_that_declined_or_withdrew_cannot_plan(
    app, users, plan, api_tokens, status, message
):
    p = participation(plan["op"], "KEN")
    if status is ParticipationStatus.WITHDRAWN:
        ops.respond(p, ParticipationStatus.CONFIRMED, "", users["fp_ken"])
    ops.respond(p, status, "", users["fp_ken"])
    db.session.commit()
    client = signed_in(app, "fp_ken@test.example")
    page = client.get(f"{plan['url']}/KEN")
    assert message in text(page)
    assert 'id="add"' not in text(page)  # no form to fill in for nothing
    response = post(client, f"{plan['url']}/KEN", valid(plan))
    assert response.status_code == 200
    assert message in text(response)
    api = app.test_client().post(
        f"{A}{plan['url']}/KEN/activities",
        json=valid(plan),
        headers=bearer(api_tokens["fp_ken"]),
    )
    assert api.status_code == 422
    assert api.get_json()["error"]["message"] == message
    assert count(Activity, Activity.participation_id == p.id) == 0


@pytest.mark.parametrize(
    "phase, allowed",
    [
        (OperationPhase.DRAFT, False),
        (OperationPhase.PLANNING, True),
        (OperationPhase.BRIEFING, True),
        (OperationPhase.ACTIVE, True),
        (OperationPhase.REPORTING, False),
        (OperationPhase.PUBLISHED, False),
    ],
)
def test_plans_change_only_in_planning_briefing_and_active(app, users, plan, phase, allowed):
    db.session.get(Operation, plan["op"]).phase = phase
    db.session.commit()
    message = (
        "Activity plans can be changed while the operation is in planning, briefing or active; "
        f"Operation Test Shield is {phase.value}."
    )
    organiser = signed_in(app, "organiser@test.example")
    response = post(organiser, f"{plan['url']}/THA", valid(plan))
    edit = f"{plan['url']}/THA/activities/{plan['activity']}"
    if allowed:
        assert response.status_code == 302
        assert count(Activity) == 2
        return
    assert response.status_code == 200
    assert message in text(response)
    # editing and deleting say the same, and change nothing
    refused = organiser.get(edit)
    assert location_path(refused) == f"{plan['url']}/THA"
    assert message in text(organiser.get(f"{plan['url']}/THA"))
    deleted = post(organiser, f"{edit}/delete", {"version": 1})
    assert deleted.status_code == 302
    assert message in text(organiser.get(f"{plan['url']}/THA"))
    assert count(Activity) == 1
    assert len(audit_events("activity.create")) == 1
    assert not audit_events("activity.delete")


# -- editing: the version lock ------------------------------------------------------------------
def test_a_stale_edit_is_refused_never_silently_overwritten(app, users, plan):
    edit = f"{plan['url']}/THA/activities/{plan['activity']}"
    fp = signed_in(app, "fp_tha@test.example")
    opened = text(fp.get(edit))
    assert 'name="version" type="hidden" value="1"' in opened

    organiser = signed_in(app, "organiser@test.example")
    theirs = valid(plan, title="Organiser's title", priorities=[plan["route"]])
    assert post(organiser, edit, {**theirs, "version": 1}).status_code == 302

    mine = valid(plan, title="Focal point's title", priorities=[plan["route"]])
    response = post(fp, edit, {**mine, "version": 1})
    assert response.status_code == 409
    [message] = errors(response)["version"]
    assert STALE in message and "version 2" in message
    assert "Focal point&#39;s title" in response.get_data(as_text=True)  # their input is kept
    fresh()
    a = db.session.get(Activity, plan["activity"])
    assert (a.title, a.version) == ("Organiser's title", 2)
    # saving again is refused again; reloading gives the current version to work on
    assert post(fp, edit, {**mine, "version": 1}).status_code == 409
    assert 'name="version" type="hidden" value="2"' in text(fp.get(edit))
    assert post(fp, edit, {**mine, "version": 2}).status_code == 302
    fresh()
    assert (a.title, a.version) == ("Focal point's title", 3)
    updates = audit_events("activity.update")
    assert [e.after["title"] for e in updates] == ["Organiser's title", "Focal point's title"]
    assert [e.after["version"] for e in updates] == [2, 3]
    assert updates[1].before == {"title": "Organiser's title"}
    assert {(e.operation_id, e.country_iso3) for e in updates} == {(plan["op"], "THA")}


def test_a_stale_version_wins_over_other_errors(app, users, plan):
    edit = f"{plan['url']}/THA/activities/{plan['activity']}"
    fp = signed_in(app, "fp_tha@test.example")
    assert (
        post(fp, edit, {**valid(plan, priorities=[plan["route"]]), "version": 1}).status_code == 302
    )
    response = post(fp, edit, {**valid(plan, title=""), "version": 1})
    assert response.status_code == 409
    assert list(errors(response)) == ["version"]


def test_changing_only_the_priorities_bumps_the_version(app, users, plan):
    a = db.session.get(Activity, plan["activity"])
    data = activities.ActivityInput(
        activity_type=a.activity_type_code,
        title=a.title,
        location=a.location,
        start_date=a.start_date,
        end_date=a.end_date,
        priority_ids=[plan["route"], plan["ivory"]],
        agencies=list(a.agencies),
    )
    assert activities.update(a, data, 1, users["fp_tha"]) is True
    db.session.commit()
    assert a.version == 2
    assert activities.update(a, data, 2, users["fp_tha"]) is False  # nothing changed
    db.session.commit()
    assert a.version == 2
    assert len(audit_events("activity.update")) == 1


def test_a_save_that_loses_the_race_at_flush_is_a_conflict(app, users, plan):
    a = db.session.get(Activity, plan["activity"])
    assert a.version == 1
    # Someone else commits between our read and our write.
    with db.engine.begin() as other:
        other.execute(
            update(Activity.__table__)
            .where(Activity.__table__.c.id == a.id)
            .values(title="Theirs", version=2)
        )
    data = activities.ActivityInput(
        activity_type=a.activity_type_code,
        title="Mine",
        location=a.location,
        start_date=a.start_date,
        end_date=a.end_date,
        priority_ids=[plan["route"]],
        agencies=list(a.agencies),
    )
    with pytest.raises(Conflict) as refused:
        activities.update(a, data, 1, users["fp_tha"])
    assert STALE in refused.value.message
    db.session.rollback()
    assert db.session.get(Activity, plan["activity"]).title == "Theirs"


def test_deleting_a_stale_copy_is_refused_and_a_current_one_is_audited(app, users, plan):
    edit = f"{plan['url']}/THA/activities/{plan['activity']}"
    organiser = signed_in(app, "organiser@test.example")
    fp = signed_in(app, "fp_tha@test.example")
    assert post(organiser, edit, {**valid(plan, title="Changed"), "version": 1}).status_code == 302
    response = post(fp, f"{edit}/delete", {"version": 1})
    assert response.status_code == 302
    assert STALE in text(fp.get(f"{plan['url']}/THA"))
    assert count(Activity) == 1
    assert post(fp, f"{edit}/delete", {"version": 2}).status_code == 302
    assert "Activity Changed deleted." in text(fp.get(f"{plan['url']}/THA"))
    assert count(Activity) == 0
    [event] = audit_events("activity.delete")
    assert (event.object_id, event.operation_id, event.country_iso3) == (
        str(plan["activity"]),
        plan["op"],
        "THA",
    )
    assert event.before["title"] == "Changed" and event.before["version"] == 2


# -- scope ---------------------------------------------------------------------------------------
def test_a_focal_point_cannot_see_or_change_another_countrys_plan(app, users, plan, api_tokens):
    url = f"{plan['url']}/THA"
    edit = f"{url}/activities/{plan['activity']}"
    before = (count(Activity), count(PlanComment), plan_events())
    fp = signed_in(app, "fp_ken@test.example")
    assert fp.get(url).status_code == 404
    assert fp.get(edit).status_code == 404
    assert post(fp, url, valid(plan)).status_code == 404
    assert post(fp, edit, {**valid(plan), "version": 1}).status_code == 404
    assert post(fp, f"{edit}/delete", {"version": 1}).status_code == 404
    assert post(fp, f"{url}/comments", {"body": "hello"}).status_code == 404
    # nor through their own country's address
    own = f"{plan['url']}/KEN/activities/{plan['activity']}"
    assert fp.get(own).status_code == 404
    assert post(fp, f"{own}/delete", {"version": 1}).status_code == 404
    # the overview sends them to their own plan
    assert location_path(fp.get(plan["url"])) == f"{plan['url']}/KEN"
    assert "Thailand" not in text(fp.get(f"{plan['url']}/KEN"))

    api, headers = app.test_client(), bearer(api_tokens["fp_ken"])
    api_url = f"{A}{url}/activities"
    assert api.get(api_url, headers=headers).status_code == 404
    assert api.post(api_url, json=valid(plan), headers=headers).status_code == 404
    item = f"{api_url}/{plan['activity']}"
    assert api.get(item, headers=headers).status_code == 404
    assert api.patch(item, json={"title": "x", "version": 1}, headers=headers).status_code == 404
    assert api.delete(item, headers=headers).status_code == 404
    own_item = f"{A}{plan['url']}/KEN/activities/{plan['activity']}"
    assert api.delete(own_item, headers=headers).status_code == 404
    assert api.post(f"{A}{url}/comments", json={"body": "x"}, headers=headers).status_code == 404
    assert (count(Activity), count(PlanComment), plan_events()) == before
    fresh()
    assert db.session.get(Activity, plan["activity"]).version == 1


def test_a_coordinator_reads_and_comments_but_does_not_edit(app, users, plan, api_tokens):
    coord = signed_in(app, "coord_asean@test.example")
    overview = text(coord.get(plan["url"]))
    assert "Thailand" in overview and "Vietnam" in overview
    assert "Kenya" not in overview and "France" not in overview
    assert 'name="network"' not in overview  # the filter is the organiser's
    page = text(coord.get(f"{plan['url']}/THA"))
    assert "Air cargo screening at the hub" in page
    assert 'id="add"' not in page and "/delete" not in page
    assert coord.get(f"{plan['url']}/VNM").status_code == 200
    assert coord.get(f"{plan['url']}/KEN").status_code == 404

    edit = f"{plan['url']}/THA/activities/{plan['activity']}"
    refusal = "Only the country's focal point or an organiser can change its plan."
    response = post(coord, f"{plan['url']}/THA", valid(plan))
    assert response.status_code == 403 and refusal in text(response)
    assert coord.get(edit).status_code == 403
    assert post(coord, edit, {**valid(plan), "version": 1}).status_code == 403
    assert post(coord, f"{edit}/delete", {"version": 1}).status_code == 403
    api, headers = app.test_client(), bearer(api_tokens["coord_asean"])
    api_url = f"{A}{plan['url']}/THA/activities"
    assert api.post(api_url, json=valid(plan), headers=headers).status_code == 403
    patched = api.patch(
        f"{api_url}/{plan['activity']}", json={"title": "x", "version": 1}, headers=headers
    )
    assert patched.status_code == 403
    assert api.delete(f"{api_url}/{plan['activity']}", headers=headers).status_code == 403
    assert count(Activity) == 1

    response = post(coord, f"{plan['url']}/THA/comments", {"body": "Please add the courier hub."})
    assert location_path(response) == f"{plan['url']}/THA"
    fresh()
    [c] = db.session.scalars(select(PlanComment)).all()
    assert (c.body, c.author_id) == ("Please add the courier hub.", users["coord_asean"].id)
    other = signed_in(app, "coord_latf@test.example")
    assert post(other, f"{plan['url']}/THA/comments", {"body": "x"}).status_code == 404
    assert other.get(f"{plan['url']}/THA").status_code == 404


def test_communications_gets_no_plan_but_reads_the_taxonomy(app, users, plan, api_tokens):
    comms = signed_in(app, "comms@test.example")
    for url in (
        plan["url"],
        f"{plan['url']}/THA",
        f"{plan['url']}/THA/activities/{plan['activity']}",
    ):
        assert comms.get(url).status_code == 404, url
    assert post(comms, f"{plan['url']}/THA/comments", {"body": "x"}).status_code == 404
    assert "Plans</a>" not in text(comms.get(f"/operations/{plan['op']}"))
    taxonomy = comms.get("/activity-types")
    assert taxonomy.status_code == 200
    assert "Risk-based selection and physical or X-ray examination of air cargo" in text(taxonomy)
    assert "Retire" not in text(taxonomy)
    api, headers = app.test_client(), bearer(api_tokens["comms"])
    assert api.get(f"{A}{plan['url']}/THA/activities", headers=headers).status_code == 404
    assert api.get(f"{A}/activity-types", headers=headers).status_code == 200


def test_the_organiser_filters_the_overview_by_network(app, users, plan):
    organiser = signed_in(app, "organiser@test.example")
    everything = text(organiser.get(plan["url"]))
    for name in ("Thailand", "Vietnam", "Kenya", "Uganda", "France"):
        assert name in everything
    latf = text(organiser.get(f"{plan['url']}?network=LATF"))
    assert "Kenya" in latf and "Uganda" in latf and "Thailand" not in latf
    loose = text(organiser.get(f"{plan['url']}?network=none"))
    assert "France" in loose and "Kenya" not in loose
    # Thailand's row: one activity, its type and when the plan last changed
    row = everything.split("Thailand</a>")[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row
    assert "Air cargo screening" in row
    assert " UTC" in row


def test_the_plans_tab_and_the_participation_link(app, users, plan):
    fp = signed_in(app, "fp_tha@test.example")
    detail = fp.get(f"/operations/{plan['op']}").get_data(as_text=True)
    assert f'href="{plan["url"]}/THA">Plan</a>' in detail
    coord = signed_in(app, "coord_asean@test.example")
    assert f'href="{plan["url"]}">Plans</a>' in coord.get(f"/operations/{plan['op']}").get_data(
        as_text=True
    )
    participation_page = coord.get(f"/operations/{plan['op']}/participations/THA")
    assert f'href="{plan["url"]}/THA"' in participation_page.get_data(as_text=True)


# -- comments -----------------------------------------------------------------------------------
def test_the_focal_point_sees_and_answers_the_comments_on_their_plan(app, users, plan):
    url = f"{plan['url']}/THA"
    post(signed_in(app, "coord_asean@test.example"), f"{url}/comments", {"body": "Add postal?"})
    post(signed_in(app, "organiser@test.example"), f"{url}/comments", {"body": "Looks good."})
    fp = signed_in(app, "fp_tha@test.example")
    page = text(fp.get(url))
    assert "Add postal?" in page and "Looks good." in page
    assert "Coord Asean · Network coordinator" in page
    assert page.index("Add postal?") < page.index("Looks good.")
    assert post(fp, f"{url}/comments", {"body": "Will do."}).status_code == 302
    empty = post(fp, f"{url}/comments", {"body": "   "})
    assert empty.status_code == 200
    assert errors(empty) == {"body": ["Write a comment first."]}
    events = audit_events("plan.comment")
    assert [e.after["body"] for e in events] == ["Add postal?", "Looks good.", "Will do."]
    assert {(e.operation_id, e.country_iso3) for e in events} == {(plan["op"], "THA")}
    assert [e.actor_role for e in events] == ["coordinator", "organiser", "focal_point"]
    # the coordinator of another network sees none of it
    assert count(PlanComment) == 3


# -- the taxonomy -------------------------------------------------------------------------------
def test_every_role_reads_the_one_line_definitions(app, users):
    for who in ("organiser", "coord_asean", "fp_ken", "comms"):
        page = text(signed_in(app, f"{who}@test.example").get("/activity-types"))
        assert "What is an operational activity?" in page
        assert "Controlled deliveries" in page
        assert "Letting a detected illegal consignment proceed under surveillance" in page


def test_organisers_edit_retire_and_add_activity_types(app, users, restore_taxonomy):
    organiser = signed_in(app, "organiser@test.example")
    edit = "/activity-types/online_monitoring"
    data = {
        "name": "Online monitoring and takedowns",
        "definition": "Systematic searches of online marketplaces for illegal offers.",
        "examples": "Takedown requests.",
    }
    response = post(organiser, edit, data)
    assert location_path(response) == "/activity-types"
    fresh()
    t = db.session.get(ActivityType, "online_monitoring")
    assert (t.name, t.examples) == ("Online monitoring and takedowns", "Takedown requests.")
    [event] = audit_events("activity_type.update")
    assert event.before["name"] == "Online monitoring"
    assert event.after["name"] == "Online monitoring and takedowns"
    empty = post(organiser, edit, {**data, "definition": ""})
    assert "definition" in errors(empty)

    assert post(organiser, "/activity-types/online_monitoring/deactivate", {}).status_code == 302
    fresh()
    assert db.session.get(ActivityType, "online_monitoring").active is False
    assert "retired" in text(organiser.get("/activity-types"))
    assert post(organiser, "/activity-types/online_monitoring/reactivate", {}).status_code == 302
    fresh()
    assert db.session.get(ActivityType, "online_monitoring").active is True
    assert [e.action for e in audit_events("activity_type.deactivate")] == [
        "activity_type.deactivate"
    ]
    assert len(audit_events("activity_type.reactivate")) == 1

    new = {"name": "Wildlife farm audits", "definition": "Audits of wildlife farms."}
    bad = post(organiser, "/activity-types", {**new, "code": "Farm Audit"})
    assert errors(bad)["code"] == [
        "Use 3 to 40 lower-case letters, digits and underscores, starting with a letter "
        "(e.g. wildlife_farm_audit)."
    ]
    taken = post(organiser, "/activity-types", {**new, "code": "online_monitoring"})
    assert errors(taken)["code"] == [
        "An activity type with the code online_monitoring already exists."
    ]
    created = post(organiser, "/activity-types", {**new, "code": "wildlife_farm_audit"})
    assert created.status_code == 302
    fresh()
    t = db.session.get(ActivityType, "wildlife_farm_audit")
    assert t.active and t.position == max(db.session.scalars(select(ActivityType.position)).all())
    [event] = audit_events("activity_type.create")
    assert event.object_id == "wildlife_farm_audit"


@pytest.mark.parametrize("who", ["coord_asean", "fp_tha", "comms"])
def test_only_organisers_change_the_taxonomy(app, users, who, restore_taxonomy):
    client = signed_in(app, f"{who}@test.example")
    data = {"code": "sneaky_type", "name": "x", "definition": "x"}
    assert post(client, "/activity-types", data).status_code == 404
    assert client.get("/activity-types/online_monitoring").status_code == 404
    assert post(client, "/activity-types/online_monitoring", data).status_code == 404
    assert post(client, "/activity-types/online_monitoring/deactivate", {}).status_code == 404
    fresh()
    assert db.session.get(ActivityType, "sneaky_type") is None
    assert db.session.get(ActivityType, "online_monitoring").active is True


# -- the API ------------------------------------------------------------------------------------
def api_body(plan: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = valid(plan, **changes)
    body["priorities"] = [int(x) for x in body.get("priorities", [])]
    return body


def test_the_api_plans_changes_and_deletes_with_the_version(app, users, plan, api_tokens):
    api, headers = app.test_client(), bearer(api_tokens["fp_tha"])
    url = f"{A}{plan['url']}/tha/activities"
    body = api_body(plan, priorities=[plan["ivory"], plan["route"]], agencies=["customs", "fiu"])
    refused = api.post(url, json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "agencies"

    created = api.post(url, json={**body, "agencies": ["customs", "police"]}, headers=headers)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert item["priorities"] == [plan["ivory"], plan["route"]]
    assert (item["country"], item["version"], item["agencies"]) == ("THA", 1, ["customs", "police"])
    assert item["activity_type_name"] == "Market and shop inspections"
    location = location_path(created)
    assert location == f"{A}{plan['url']}/THA/activities/{item['id']}"
    assert api.get(location, headers=headers).get_json() == item

    listed = api.get(url, headers=headers).get_json()
    assert listed["count"] == 2
    assert [a["title"] for a in listed["items"]] == [
        "Air cargo screening at the hub",
        "Market sweep",
    ]

    # a partial change: the other fields keep their values
    patched = api.patch(location, json={"title": "Market sweep II", "version": 1}, headers=headers)
    assert patched.status_code == 200
    assert patched.get_json()["title"] == "Market sweep II"
    assert patched.get_json()["version"] == 2
    assert patched.get_json()["priorities"] == [plan["ivory"], plan["route"]]

    stale = api.patch(location, json={"title": "Lost update", "version": 1}, headers=headers)
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert STALE in error["message"] and error["field"] == "version"
    missing = api.patch(location, json={"title": "No version"}, headers=headers)
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "version"
    cleared = api.patch(location, json={"priorities": [], "version": 2}, headers=headers)
    assert cleared.status_code == 422 and cleared.get_json()["error"]["field"] == "priorities"
    outside = api.patch(location, json={"end_date": "2027-02-20", "version": 2}, headers=headers)
    assert outside.status_code == 422
    assert outside.get_json()["error"]["fields"]["end_date"] == [
        OUTSIDE.format(d="2027-02-20", w=WINDOW)
    ]
    fresh()
    assert db.session.get(Activity, item["id"]).title == "Market sweep II"

    assert api.delete(f"{location}?version=1", headers=headers).status_code == 409
    assert api.delete(f"{location}?version=two", headers=headers).status_code == 422
    assert api.delete(f"{location}?version=2", headers=headers).status_code == 204
    assert api.get(location, headers=headers).status_code == 404
    assert {e.via for e in audit_events("activity.update")} == {"api"}
    assert len(audit_events("activity.create")) == 2
    [deleted] = audit_events("activity.delete")
    assert (deleted.via, deleted.country_iso3) == ("api", "THA")


def test_the_api_refuses_a_foreign_priority_and_an_unknown_type(app, users, plan, api_tokens):
    api, headers = app.test_client(), bearer(api_tokens["organiser"])
    url = f"{A}{plan['url']}/THA/activities"
    foreign = api.post(url, json=api_body(plan, priorities=[plan["foreign"]]), headers=headers)
    assert foreign.status_code == 422
    assert foreign.get_json()["error"]["fields"] == {
        "priorities": [f"Not a priority of Operation Test Shield: {plan['foreign']}."]
    }
    unknown = api.post(url, json=api_body(plan, activity_type="telepathy"), headers=headers)
    assert unknown.get_json()["error"]["field"] == "activity_type"
    nested = api.post(url, json={**api_body(plan), "agencies": [["customs"]]}, headers=headers)
    assert nested.status_code == 422
    garbled = api.post(url, json={**api_body(plan), "priorities": ["first"]}, headers=headers)
    assert garbled.get_json()["error"]["field"] == "priorities"
    single = api.post(url, json={**api_body(plan), "title": ["a", "b"]}, headers=headers)
    assert single.get_json()["error"] == {
        "status": 422,
        "message": "title: expected a single value",
        "field": "title",
    }
    assert count(Activity) == 1


def test_comments_and_the_taxonomy_over_the_api(app, users, plan, api_tokens):
    api = app.test_client()
    url = f"{A}{plan['url']}/THA/comments"
    posted = api.post(url, json={"body": "Add postal?"}, headers=bearer(api_tokens["coord_asean"]))
    assert posted.status_code == 201
    assert posted.get_json()["author_role"] == "coordinator"
    empty = api.post(url, json={"body": ""}, headers=bearer(api_tokens["fp_tha"]))
    assert empty.status_code == 422 and empty.get_json()["error"]["field"] == "body"
    listed = api.get(url, headers=bearer(api_tokens["fp_tha"])).get_json()
    assert [c["body"] for c in listed["items"]] == ["Add postal?"]

    types = api.get(f"{A}/activity-types", headers=bearer(api_tokens["fp_ken"])).get_json()
    codes = [t["code"] for t in types["items"]]
    assert codes[:2] == ["port_border_inspection", "air_cargo_screening"]
    assert all(t["definition"] for t in types["items"])


# -- the demo -----------------------------------------------------------------------------------
def test_demo_plans_are_realistic(app):
    from opsplanner.services.demo import DEMO_OPERATION, load_demo

    # The demo plans through the same service as the web form, so every rule applies.
    created = load_demo(today=date(2026, 11, 30))
    db.session.commit()
    op = db.session.scalar(select(Operation).where(Operation.code_name == DEMO_OPERATION))
    confirmed = db.session.scalars(
        select(Participation).where(
            Participation.operation_id == op.id,
            Participation.status == ParticipationStatus.CONFIRMED,
        )
    ).all()
    planned = [p for p in confirmed if p.activities]
    assert len(planned) > 0.7 * len(confirmed)
    assert all(1 <= len(p.activities) <= 4 for p in planned)
    rows = db.session.scalars(select(Activity)).all()
    assert created["activities"] == len(rows)
    own_priorities = {p.id for p in op.priorities}
    for a in rows:
        assert op.window_start <= a.start_date <= a.end_date <= op.window_end
        assert a.activity_type.active and a.location and a.agencies
        assert a.priorities and {p.id for p in a.priorities} <= own_priorities
    # a trade-route priority is linked only by countries on its route
    from opsplanner.services import areas

    for a in rows:
        for prio in a.priorities:
            if prio.kind is PriorityKind.TRADE_ROUTE:
                chain = areas.expand(
                    prio.origin_codes + prio.transit_codes + prio.destination_codes
                )
                assert a.participation.country_iso3 in chain
    assert any(prio.kind is PriorityKind.TRADE_ROUTE for a in rows for prio in a.priorities), (
        "countries on the demo routes plan for them"
    )
    assert created["comments"] >= 1
    comments = db.session.scalars(select(PlanComment)).all()
    assert all(c.author.role.value == "coordinator" for c in comments)
    assert all(c.author.network_id == c.participation.network_id for c in comments)
