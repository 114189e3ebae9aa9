"""Pre-operational briefings: scheduling rules and their messages, time zones, who is invited,
attendance and its scope, the guidelines acknowledgement, who has not, the iCalendar files,
the audit trail, the API and the demo briefings."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    Briefing,
    BriefingAttendance,
    BriefingKind,
    Country,
    MeetingMode,
    Network,
    OperationPhase,
    Participation,
    ParticipationStatus,
)
from opsplanner.services import briefings as service
from opsplanner.services import operations as ops
from opsplanner.services.errors import DomainError
from opsplanner.services.scoping import Scope
from tests.conftest import bearer, csrf_token, field_errors, location_path, post_form, signed_in

A = "/api/v1"
# Far enough ahead to stay in the future for years, with no daylight saving in Bangkok.
YEAR = date.today().year + 2
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)  # "now" for briefings that have taken place

DURATION = "the duration must be between 15 and 600 minutes"
UNKNOWN_ZONE = "unknown time zone: use an IANA name such as Asia/Bangkok or Africa/Nairobi"
PAST = "a new briefing cannot start in the past"
MOVED_INTO_PAST = "a briefing cannot be moved into the past"
REQUIRED = "This field is required."
GUIDELINES = "## Guidelines\n\nUse the secure channel for everything operational."


def fresh() -> None:
    db.session.commit()  # end the test's transaction: see what the requests committed


def network(acronym: str) -> Network:
    return db.session.scalar(select(Network).where(Network.acronym == acronym))


def participation(op: Any, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


def briefing_input(**overrides: Any) -> service.BriefingInput:
    values: dict[str, Any] = {
        "title": "Global briefing",
        "kind": BriefingKind.BRIEFING,
        "mode": MeetingMode.VIRTUAL,
        "network": None,
        "start_local": datetime(YEAR, 1, 20, 16, 0),
        "timezone": "Asia/Bangkok",
        "duration_minutes": 90,
        "location": "Video call: joining details over CENcomm",
        "agenda": "1. Priorities\n2. **Reporting**",
        "materials": "- [ID guide](https://example.org/id-guide)",
    }
    values.update(overrides)
    return service.BriefingInput(**values)


def make(op: Any, by: Any, *, held: bool = False, **overrides: Any) -> Briefing:
    """A briefing; ``held`` puts it in the past (scheduled back when that was the future)."""
    if held:
        overrides.setdefault("start_local", datetime(2021, 3, 1, 16, 0))
    b = service.schedule(op, briefing_input(**overrides), by, now=LONG_AGO if held else None)
    db.session.commit()
    return b


def events(action: str) -> list[AuditEvent]:
    fresh()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def attendance_rows() -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(BriefingAttendance))


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "title": "ASEAN-WEN regional briefing",
        "kind": "briefing",
        "mode": "virtual",
        "network": "",
        "start": f"{YEAR}-01-20T16:00",
        "timezone": "Asia/Bangkok",
        "duration_minutes": "90",
        "location": "Bangkok, DNP headquarters",
        "agenda": "1. Welcome\n2. Priorities",
        "materials": "- [Guide](https://example.org/guide)",
    }
    data.update(overrides)
    return data


def second_sunday_of_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


@pytest.fixture
def organiser(app, users):
    return signed_in(app, "organiser@test.example")


@pytest.fixture
def briefs(app, users, operation) -> dict[str, Briefing]:
    """A global briefing and one per network (ASEAN-WEN, LATF) that took place, and a future
    global pre-operation meeting."""
    org = users["organiser"]
    return {
        "global": make(operation, org, held=True, title="Global kick-off"),
        "asean": make(
            operation, org, held=True, title="ASEAN-WEN briefing", network=network("ASEAN-WEN")
        ),
        "latf": make(
            operation,
            org,
            held=True,
            title="LATF briefing",
            network=network("LATF"),
            timezone="Africa/Nairobi",
        ),
        "meeting": make(
            operation,
            org,
            title="Pre-operation meeting",
            kind=BriefingKind.PRE_OPERATION_MEETING,
        ),
    }


# -- scheduling rules, each with the message the organiser sees ----------------------------------
@pytest.mark.parametrize(
    "change, errors",
    [
        ({"duration_minutes": "14"}, {"duration_minutes": [DURATION]}),
        ({"duration_minutes": "601"}, {"duration_minutes": [DURATION]}),
        ({"timezone": "Mars/Olympus_Mons"}, {"timezone": [UNKNOWN_ZONE]}),
        ({"timezone": "../../etc/passwd"}, {"timezone": [UNKNOWN_ZONE]}),
        ({"timezone": ""}, {"timezone": [UNKNOWN_ZONE]}),
        ({"start": "2021-01-20T16:00"}, {"start": [PAST]}),
        ({"start": "20/01/2027 16:00"}, {"start": ["Not a valid datetime value."]}),
        ({"start": ""}, {"start": [REQUIRED]}),
        ({"title": ""}, {"title": [REQUIRED]}),
        ({"network": "999999"}, {"network": ["unknown network"]}),
        (
            {"network": "{naweg}"},
            {
                "network": [
                    "no invited or confirmed country of this operation is coordinated by "
                    "NAWEG: invite its member states first, or hold a global briefing"
                ]
            },
        ),
    ],
)
def test_scheduling_rules_name_their_field(app, organiser, operation, change, errors):
    url = f"/operations/{operation.id}/briefings/new"
    data = {k: v.format(naweg=network("NAWEG").id) for k, v in form_data(**change).items()}
    response = post_form(organiser, url, data)
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True)) == errors
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Briefing)) == 0


@pytest.mark.parametrize("minutes", ["15", "600"])
def test_duration_boundaries_are_accepted(app, organiser, operation, minutes):
    url = f"/operations/{operation.id}/briefings/new"
    response = post_form(organiser, url, form_data(duration_minutes=minutes))
    assert response.status_code == 302


def test_a_skipped_local_time_is_refused(app, organiser, operation):
    # 02:30 on the day New York's clocks go forward does not exist.
    day = second_sunday_of_march(YEAR)
    url = f"/operations/{operation.id}/briefings/new"
    response = post_form(
        organiser, url, form_data(start=f"{day}T02:30", timezone="America/New_York")
    )
    assert field_errors(response.get_data(as_text=True)) == {
        "start": ["02:30 does not exist in America/New_York on that day: the clocks go forward"]
    }


def test_a_network_whose_countries_all_declined_is_refused(app, organiser, operation, users):
    for iso3 in ("KEN", "UGA"):
        ops.respond(
            participation(operation, iso3), ParticipationStatus.DECLINED, "", users["fp_ken"]
        )
    db.session.commit()
    url = f"/operations/{operation.id}/briefings/new"
    response = post_form(organiser, url, form_data(network=str(network("LATF").id)))
    assert field_errors(response.get_data(as_text=True))["network"][0].startswith(
        "no invited or confirmed country of this operation is coordinated by LATF"
    )


def test_a_closed_operation_takes_no_briefings(app, users, operation):
    operation.phase = OperationPhase.PUBLISHED
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        service.schedule(operation, briefing_input(), users["organiser"])
    assert (refused.value.field, refused.value.message) == (
        "title",
        "the operation is published: it takes no briefings",
    )


def test_an_edit_may_keep_a_past_start_but_not_move_into_the_past(app, organiser, briefs):
    held = briefs["global"]
    url = f"/operations/{held.operation_id}/briefings/{held.id}/edit"
    page = organiser.get(url).get_data(as_text=True)
    assert 'value="2021-03-01T16:00"' in page  # the local time as entered, not UTC
    keep = form_data(start="2021-03-01T16:00", title="Global kick-off (slides added)")
    assert post_form(organiser, url, keep).status_code == 302
    moved = post_form(organiser, url, form_data(start="2021-03-02T16:00"))
    assert field_errors(moved.get_data(as_text=True)) == {"start": [MOVED_INTO_PAST]}


# -- time zones ----------------------------------------------------------------------------------
def test_the_start_is_entered_in_a_zone_and_stored_in_utc(app, organiser, operation):
    url = f"/operations/{operation.id}/briefings/new"
    response = post_form(organiser, url, form_data())
    assert response.status_code == 302
    fresh()
    b = db.session.scalar(select(Briefing))
    assert b.starts_at == datetime(YEAR, 1, 20, 9, 0, tzinfo=UTC)
    assert b.timezone == "Asia/Bangkok"
    assert location_path(response) == f"/operations/{operation.id}/briefings/{b.id}"
    page = organiser.get(location_path(response)).get_data(as_text=True)
    assert f"{YEAR}-01-20 09:00 UTC (16:00 Asia/Bangkok)" in page
    assert f"{YEAR}-01-20 10:30 UTC (17:30 Asia/Bangkok)" in page  # the end


@pytest.mark.parametrize(
    "local, tz, utc, shown",
    [
        (
            datetime(YEAR, 1, 21, 6, 0),
            "Asia/Bangkok",
            datetime(YEAR, 1, 20, 23, 0, tzinfo=UTC),
            f"{YEAR}-01-20 23:00 UTC ({YEAR}-01-21 06:00 Asia/Bangkok)",
        ),
        (
            datetime(YEAR, 1, 20, 10, 0),
            "Europe/Paris",
            datetime(YEAR, 1, 20, 9, 0, tzinfo=UTC),
            f"{YEAR}-01-20 09:00 UTC (10:00 Europe/Paris)",
        ),
        (
            datetime(YEAR, 7, 20, 10, 0),
            "Europe/Paris",
            datetime(YEAR, 7, 20, 8, 0, tzinfo=UTC),
            f"{YEAR}-07-20 08:00 UTC (10:00 Europe/Paris)",
        ),
        (
            datetime(YEAR, 1, 20, 9, 0),
            "UTC",
            datetime(YEAR, 1, 20, 9, 0, tzinfo=UTC),
            f"{YEAR}-01-20 09:00 UTC",
        ),
    ],
)
def test_zone_conversion_and_display(app, users, operation, local, tz, utc, shown):
    b = make(operation, users["organiser"], start_local=local, timezone=tz)
    assert b.starts_at == utc
    assert service.describe_time(b.starts_at, b.timezone) == shown
    assert service.local_start(b).replace(tzinfo=None) == local


# -- who is invited ------------------------------------------------------------------------------
def test_invited_countries_of_global_and_network_briefings(app, users, operation):
    org = users["organiser"]
    global_b = make(operation, org)
    asean = make(operation, org, network=network("ASEAN-WEN"))
    latf = make(operation, org, network=network("LATF"))
    ops.invite_country(operation, db.session.get(Country, "MYS"), None, by=org)
    ops.respond(participation(operation, "KEN"), ParticipationStatus.DECLINED, "", org)
    ops.respond(participation(operation, "THA"), ParticipationStatus.CONFIRMED, "", org)
    db.session.commit()

    def codes(b: Briefing) -> list[str]:
        return [p.country_iso3 for p in service.invited(b)]

    # declined countries are not expected; a country without a coordinating network only at
    # global briefings, even if it is a member state of the network
    assert codes(global_b) == ["FRA", "MYS", "THA", "UGA", "VNM"]
    assert codes(asean) == ["THA", "VNM"]
    assert codes(latf) == ["UGA"]
    coordinator = Scope(users["coord_asean"])
    assert [p.country_iso3 for p in service.invited(global_b, coordinator)] == [
        "MYS",
        "THA",
        "VNM",
    ]


def test_each_role_sees_the_briefings_it_is_invited_to(app, users, operation, briefs):
    op = operation.id
    visible = {
        "organiser": {"global", "asean", "latf", "meeting"},
        "coord_asean": {"global", "asean", "meeting"},
        "coord_latf": {"global", "latf", "meeting"},
        "fp_tha": {"global", "asean", "meeting"},
        "fp_ken": {"global", "latf", "meeting"},
    }
    for role, keys in visible.items():
        client = signed_in(app, f"{role}@test.example")
        index = client.get(f"/operations/{op}/briefings/").get_data(as_text=True)
        for key, b in briefs.items():
            status = client.get(f"/operations/{op}/briefings/{b.id}").status_code
            assert status == (200 if key in keys else 404), (role, key)
            assert (b.title in index) is (key in keys), (role, key)
        assert ">Briefings</a>" in index  # the operation's tab
    comms = signed_in(app, "comms@test.example")
    assert comms.get(f"/operations/{op}/briefings/").status_code == 404
    assert comms.get(f"/operations/{op}/briefings/{briefs['global'].id}").status_code == 404
    assert ">Briefings</a>" not in comms.get(f"/operations/{op}").get_data(as_text=True)


# -- attendance ----------------------------------------------------------------------------------
def attend(client: Any, b: Briefing, iso3: str, attended: str = "true", attendees: str = "2"):
    url = f"/operations/{b.operation_id}/briefings/{b.id}"
    return post_form(
        client,
        f"{url}/attendance",
        {"country": iso3, "attended": attended, "attendees": attendees},
        form_url=url,
    )


def test_a_focal_point_records_attendance_for_their_own_country(app, users, briefs):
    b = briefs["global"]
    client = signed_in(app, "fp_tha@test.example")
    response = attend(client, b, "THA", attendees="3")
    assert response.status_code == 302
    fresh()
    row = db.session.scalar(select(BriefingAttendance))
    assert (row.participation.country_iso3, row.attended, row.attendees) == ("THA", True, 3)
    assert row.recorded_by_id == users["fp_tha"].id
    [event] = events("briefing.attendance")
    assert (event.country_iso3, event.before, event.after) == (
        "THA",
        None,
        {"attended": True, "attendees": 3},
    )
    assert (event.actor_email, event.via, event.object_id) == (
        "fp_tha@test.example",
        "web",
        str(b.id),
    )
    # recording again corrects the one record
    assert attend(client, b, "THA", attended="false", attendees="").status_code == 302
    assert attendance_rows() == 1
    fresh()
    row = db.session.scalar(select(BriefingAttendance))
    assert (row.attended, row.attendees) == (False, 0)
    assert events("briefing.attendance")[-1].before == {"attended": True, "attendees": 3}


@pytest.mark.parametrize(
    "role, key, iso3",
    [
        ("fp_ken", "global", "THA"),
        ("fp_tha", "global", "VNM"),
        ("fp_tha", "latf", "KEN"),
        ("coord_asean", "global", "KEN"),
        ("coord_asean", "global", "FRA"),
        ("coord_latf", "asean", "THA"),
        ("comms", "global", "THA"),
    ],
)
def test_attendance_outside_the_scope_is_404_and_writes_nothing(app, briefs, role, key, iso3):
    b = briefs[key]
    client = signed_in(app, f"{role}@test.example")
    token = csrf_token(client, "/account/")
    response = client.post(
        f"/operations/{b.operation_id}/briefings/{b.id}/attendance",
        data={"country": iso3, "attended": "true", "attendees": "1", "csrf_token": token},
    )
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Thailand" not in text and "Kenya" not in text
    assert attendance_rows() == 0
    assert events("briefing.attendance") == []


@pytest.mark.parametrize(
    "role, key, iso3", [("organiser", "latf", "UGA"), ("coord_asean", "global", "VNM")]
)
def test_organisers_and_coordinators_record_for_the_countries_in_their_scope(
    app, briefs, role, key, iso3
):
    client = signed_in(app, f"{role}@test.example")
    assert attend(client, briefs[key], iso3).status_code == 302
    assert attendance_rows() == 1


@pytest.mark.parametrize(
    "key, iso3, attended, attendees, field, message",
    [
        ("asean", "KEN", "true", "2", "country", "Kenya is not invited to this briefing"),
        (
            "global",
            "THA",
            "true",
            "0",
            "attendees",
            "give the number of attendees, between 1 and 200, for a country that attended",
        ),
        (
            "global",
            "THA",
            "true",
            "201",
            "attendees",
            "give the number of attendees, between 1 and 200, for a country that attended",
        ),
        ("global", "THA", "", "2", "attended", REQUIRED),
    ],
)
def test_attendance_rules_name_their_field(
    app, organiser, briefs, key, iso3, attended, attendees, field, message
):
    response = attend(organiser, briefs[key], iso3, attended, attendees)
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True)) == {field: [message]}
    assert attendance_rows() == 0


def test_attendance_waits_for_the_briefing_to_start(app, organiser, briefs):
    b = briefs["meeting"]
    page = organiser.get(f"/operations/{b.operation_id}/briefings/{b.id}")
    assert "Attendance can be recorded once the briefing has started." in page.get_data(
        as_text=True
    )
    token = csrf_token(organiser, "/account/")
    response = organiser.post(
        f"/operations/{b.operation_id}/briefings/{b.id}/attendance",
        data={"country": "THA", "attended": "true", "attendees": "1", "csrf_token": token},
    )
    assert response.status_code == 200
    assert attendance_rows() == 0
    with pytest.raises(DomainError) as refused:
        service.record_attendance(b, participation(b.operation, "THA"), True, 1, None)
    assert refused.value.field == "attended"
    assert refused.value.message == (
        "attendance can be recorded once the briefing has started "
        f"({YEAR}-01-20 09:00 UTC (16:00 Asia/Bangkok))"
    )


# -- who has not ---------------------------------------------------------------------------------
def test_who_has_not_attended_per_role(app, users, operation, briefs):
    b = briefs["global"]
    org = users["organiser"]
    service.record_attendance(b, participation(operation, "THA"), True, 2, org)
    service.record_attendance(b, participation(operation, "KEN"), False, 0, org)
    db.session.commit()
    expected = {
        "organiser": ["FRA", "KEN", "UGA", "VNM"],
        "coord_asean": ["VNM"],
        "coord_latf": ["KEN", "UGA"],
        "fp_tha": [],
        "fp_ken": ["KEN"],
    }
    names = {
        iso3: db.session.get(Country, iso3).name for iso3 in ("THA", "VNM", "KEN", "UGA", "FRA")
    }
    for role, missing in expected.items():
        roll = service.roll(b, Scope(users[role]))
        assert [p.country_iso3 for p in roll.not_yet] == missing, role
        client = signed_in(app, f"{role}@test.example")
        index = client.get(f"/operations/{operation.id}/briefings/").get_data(as_text=True)
        detail = client.get(f"/operations/{operation.id}/briefings/{b.id}").get_data(as_text=True)
        visible = {p.country_iso3 for p in roll.invited}
        for iso3, name in names.items():
            assert (name in detail) is (iso3 in visible), (role, iso3)
            if iso3 not in visible:
                assert name not in index, (role, iso3)
    assert [p.country_iso3 for p in service.roll(b, Scope(org)).attended] == ["THA"]


def test_who_has_not_acknowledged_per_role(app, users, operation):
    operation.guidelines = GUIDELINES
    service.acknowledge_guidelines(participation(operation, "VNM"), users["organiser"])
    db.session.commit()
    expected = {
        "organiser": ["FRA", "KEN", "THA", "UGA"],
        "coord_asean": ["THA"],
        "coord_latf": ["KEN", "UGA"],
        "fp_tha": ["THA"],
    }
    for role, missing in expected.items():
        acks = service.acknowledgements(operation, Scope(users[role]))
        assert [p.country_iso3 for p in acks.not_yet] == missing, role
    page = signed_in(app, "coord_asean@test.example").get(f"/operations/{operation.id}/guidelines")
    html = page.get_data(as_text=True)
    assert "1 of 2 invited or confirmed countries have acknowledged the guidelines." in html
    assert "Not yet acknowledged:</strong> Thailand" in html
    assert "Kenya" not in html
    organiser_page = signed_in(app, "organiser@test.example").get(
        f"/operations/{operation.id}/briefings/"
    )
    assert "1 of 5 invited or confirmed countries" in organiser_page.get_data(as_text=True)


# -- the guidelines acknowledgement --------------------------------------------------------------
def test_a_focal_point_acknowledges_the_guidelines_once(app, users, operation):
    operation.guidelines = GUIDELINES
    db.session.commit()
    client = signed_in(app, "fp_tha@test.example")
    guidelines = f"/operations/{operation.id}/guidelines"
    page = client.get(guidelines).get_data(as_text=True)
    assert "I have read the guidelines for my country" in page
    url = f"/operations/{operation.id}/briefings/guidelines/acknowledge"
    response = post_form(client, url, {}, form_url=guidelines)
    assert response.status_code == 302
    assert location_path(response) == guidelines
    fresh()
    p = participation(operation, "THA")
    assert p.guidelines_acknowledged_at is not None
    assert p.guidelines_acknowledged_by_id == users["fp_tha"].id
    first = p.guidelines_acknowledged_at
    [event] = events("guidelines.acknowledge")
    assert (event.country_iso3, event.actor_email) == ("THA", "fp_tha@test.example")
    page = client.get(guidelines).get_data(as_text=True)
    assert "Thailand acknowledged the guidelines on" in page
    assert "I have read the guidelines" not in page
    # asking again changes nothing
    token = csrf_token(client, "/account/")
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    fresh()
    assert participation(operation, "THA").guidelines_acknowledged_at == first
    assert len(events("guidelines.acknowledge")) == 1


def test_acknowledgement_needs_guidelines_and_an_invited_country(app, users, operation):
    p = participation(operation, "KEN")
    with pytest.raises(DomainError) as refused:
        service.acknowledge_guidelines(p, users["fp_ken"])
    assert refused.value.message == (
        "the organiser has not written guidelines for this operation yet"
    )
    operation.guidelines = GUIDELINES
    ops.respond(p, ParticipationStatus.DECLINED, "", users["fp_ken"])
    with pytest.raises(DomainError) as refused:
        service.acknowledge_guidelines(p, users["fp_ken"])
    assert refused.value.message == (
        "Kenya has declined: only an invited or confirmed country acknowledges the guidelines"
    )
    db.session.rollback()


def test_changed_guidelines_are_acknowledged_again_only_when_the_organiser_asks(
    app, users, operation, api_tokens
):
    operation.guidelines = GUIDELINES
    db.session.commit()
    for iso3 in ("THA", "VNM"):
        service.acknowledge_guidelines(participation(operation, iso3), users["organiser"])
    db.session.commit()
    organiser = signed_in(app, "organiser@test.example")
    url = f"/operations/{operation.id}/edit"
    form = {
        "code_name": operation.code_name,
        "organising_agency": operation.organising_agency.value,
        "window_start": operation.window_start.isoformat(),
        "window_end": operation.window_end.isoformat(),
        "world_wildlife_day": operation.world_wildlife_day.isoformat(),
        "reporting_deadline": operation.reporting_deadline.strftime("%Y-%m-%dT%H:%M"),
        "embargo_until": operation.embargo_until.strftime("%Y-%m-%dT%H:%M"),
        "timezone": "UTC",
        "guidelines": GUIDELINES + "\n\nTypo fixed.",
    }

    def acknowledged() -> set[str]:
        fresh()
        return {
            iso3
            for iso3 in ("THA", "VNM", "KEN")
            if participation(operation, iso3).guidelines_acknowledged_at is not None
        }

    # a clarification: the acknowledgements stand
    assert post_form(organiser, url, form).status_code == 302
    assert acknowledged() == {"THA", "VNM"}
    # ticked without changing the guidelines: nothing to read again
    assert post_form(organiser, url, {**form, "reacknowledge": "y"}).status_code == 302
    assert acknowledged() == {"THA", "VNM"}
    # a change in substance, ticked: every acknowledgement is taken back, and audited
    changed = {
        **form,
        "guidelines": GUIDELINES + "\n\nReport within 24 hours.",
        "reacknowledge": "y",
    }
    response = post_form(organiser, url, changed)
    assert response.status_code == 302
    page = organiser.get(location_path(response)).get_data(as_text=True)
    assert "2 countries are asked to acknowledge them again." in page
    assert acknowledged() == set()
    taken_back = events("guidelines.reacknowledge")
    assert sorted(e.country_iso3 for e in taken_back) == ["THA", "VNM"]
    # the focal point is asked again
    page = signed_in(app, "fp_tha@test.example").get(f"/operations/{operation.id}/guidelines")
    assert "I have read the guidelines for my country" in page.get_data(as_text=True)

    # the same over the API
    service.acknowledge_guidelines(participation(operation, "THA"), users["fp_tha"])
    db.session.commit()
    response = app.test_client().patch(
        f"/api/v1/operations/{operation.id}",
        json={"guidelines": "New rules.", "reacknowledge": True},
        headers=bearer(api_tokens["organiser"]),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["acknowledgements_taken_back"] == 1
    assert acknowledged() == set()


@pytest.mark.parametrize("role", ["organiser", "coord_asean", "comms"])
def test_only_focal_points_acknowledge(app, users, operation, role):
    operation.guidelines = GUIDELINES
    db.session.commit()
    client = signed_in(app, f"{role}@test.example")
    token = csrf_token(client, "/account/")
    url = f"/operations/{operation.id}/briefings/guidelines/acknowledge"
    assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert events("guidelines.acknowledge") == []


# -- iCalendar -----------------------------------------------------------------------------------
def parse(body: bytes) -> tuple[Any, list[Any]]:
    cal = Calendar.from_ical(body)
    return cal, list(cal.walk("VEVENT"))


def test_a_briefing_downloads_as_an_icalendar_event(app, organiser, users, operation):
    operation.secure_channel = "CENcomm CUG TEST"
    b = make(operation, users["organiser"], title="ASEAN-WEN kick-off")
    response = organiser.get(f"/operations/{operation.id}/briefings/{b.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith(
        f'operation-test-shield-briefing-{b.id}.ics"'
    )
    cal, [event] = parse(response.data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["VERSION"]) == "2.0"
    assert str(event["UID"]) == b.ical_uid
    assert b.ical_uid.endswith("@opsplanner")
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime(YEAR, 1, 20, 9, 0, tzinfo=UTC)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == datetime(YEAR, 1, 20, 10, 30, tzinfo=UTC)
    assert b"DTSTART:" in response.data and f"{YEAR}0120T090000Z".encode() in response.data
    assert str(event["SUMMARY"]) == "Operation Test Shield: ASEAN-WEN kick-off"
    description = str(event["DESCRIPTION"])
    assert "1. Priorities" in description
    assert "secure channel (CENcomm CUG TEST)" in description
    assert str(event["LOCATION"]) == "Video call: joining details over CENcomm"
    assert event.decoded("DTSTAMP").tzinfo is not None


def test_the_uid_is_stable_and_the_sequence_goes_up_with_each_edit(app, organiser, operation):
    new = post_form(organiser, f"/operations/{operation.id}/briefings/new", form_data())
    detail = location_path(new)
    fresh()
    b = db.session.scalar(select(Briefing))
    uid = b.ical_uid
    sequences = []
    for title, start in [("Moved", f"{YEAR}-01-21T16:00"), ("Renamed", f"{YEAR}-01-21T16:00")]:
        edited = post_form(organiser, f"{detail}/edit", form_data(title=title, start=start))
        assert edited.status_code == 302
        _, [event] = parse(organiser.get(f"{detail}.ics").data)
        assert str(event["UID"]) == uid
        sequences.append(int(event["SEQUENCE"]))
    assert sequences == [1, 2]
    assert event.decoded("DTSTART") == datetime(YEAR, 1, 21, 9, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Operation Test Shield: Renamed"
    # saving without a change is not an edit: calendars have nothing to update
    same = post_form(organiser, f"{detail}/edit", form_data(title="Renamed", start=start))
    assert same.status_code == 302
    fresh()
    assert db.session.get(Briefing, b.id).ical_sequence == 2


def test_the_operation_calendar_holds_the_briefings_the_user_is_invited_to(app, briefs):
    op = briefs["global"].operation_id
    expected = {
        "organiser": {"global", "asean", "latf", "meeting"},
        "fp_tha": {"global", "asean", "meeting"},
        "coord_latf": {"global", "latf", "meeting"},
    }
    for role, keys in expected.items():
        client = signed_in(app, f"{role}@test.example")
        response = client.get(f"/operations/{op}/briefings/calendar.ics")
        assert response.status_code == 200
        _, found = parse(response.data)
        assert {str(e["UID"]) for e in found} == {briefs[k].ical_uid for k in keys}, role
    comms = signed_in(app, "comms@test.example")
    assert comms.get(f"/operations/{op}/briefings/calendar.ics").status_code == 404


# -- edits, cancellation and the audit trail -----------------------------------------------------
def test_schedule_edit_and_cancel_are_audited(app, organiser, operation):
    new = post_form(organiser, f"/operations/{operation.id}/briefings/new", form_data())
    detail = location_path(new)
    fresh()
    b = db.session.scalar(select(Briefing))
    briefing_id, uid = b.id, b.ical_uid
    [created] = events("briefing.create")
    assert created.after["starts_at"] == f"{YEAR}-01-20T09:00:00+00:00"
    assert created.after["timezone"] == "Asia/Bangkok"
    assert (created.actor_email, created.operation_id) == ("organiser@test.example", operation.id)
    post_form(
        organiser,
        f"{detail}/edit",
        form_data(network=str(network("ASEAN-WEN").id), duration_minutes="120"),
    )
    [updated] = events("briefing.update")
    assert updated.before == {"network": None, "duration_minutes": 90}
    assert updated.after == {"network": "ASEAN-WEN", "duration_minutes": 120, "ical_sequence": 1}
    response = post_form(
        organiser, f"{detail}/cancel", {"reason": "Merged with the LATF briefing"}, form_url=detail
    )
    assert location_path(response) == detail
    fresh()
    b = db.session.get(Briefing, briefing_id)  # kept, marked cancelled
    assert b.cancelled_at is not None and b.cancel_reason == "Merged with the LATF briefing"
    assert b.ical_sequence == 2  # calendars replace the event with its cancellation
    [cancelled] = events("briefing.cancel")
    assert cancelled.before["ical_uid"] == uid
    assert cancelled.after["reason"] == "Merged with the LATF briefing"
    page = organiser.get(detail).get_data(as_text=True)
    assert "Merged with the LATF briefing" in page and "Cancel this briefing" not in page
    listing = organiser.get(f"/operations/{operation.id}/briefings/").get_data(as_text=True)
    assert f"<s>{b.title}</s>" in listing
    [event] = parse(organiser.get(f"{detail}.ics").data)[1]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
    assert str(event["SUMMARY"]).startswith("Cancelled: ")
    # cancelling again changes nothing; a cancelled briefing takes no edits or attendance
    post_form(organiser, f"{detail}/cancel", {}, form_url=detail)
    assert len(events("briefing.cancel")) == 1
    with pytest.raises(DomainError, match="this briefing was cancelled on"):
        service.record_attendance(b, participation(operation, "THA"), True, 1, None)
    db.session.rollback()


def test_a_briefing_with_recorded_attendance_cannot_be_cancelled(app, organiser, users, briefs):
    b = briefs["global"]
    service.record_attendance(b, participation(b.operation, "THA"), True, 1, users["fp_tha"])
    db.session.commit()
    detail = f"/operations/{b.operation_id}/briefings/{b.id}"
    response = post_form(organiser, f"{detail}/cancel", {}, form_url=detail)
    assert location_path(response) == detail
    page = organiser.get(detail).get_data(as_text=True)
    assert "attendance is recorded for this briefing: it can no longer be cancelled" in page
    fresh()
    assert db.session.get(Briefing, b.id) is not None
    assert events("briefing.cancel") == []


@pytest.mark.parametrize("role", ["coord_asean", "fp_tha", "comms"])
def test_only_organisers_schedule_edit_and_cancel(app, briefs, role):
    b = briefs["asean"]
    op = b.operation_id
    client = signed_in(app, f"{role}@test.example")
    token = csrf_token(client, "/account/")
    data = {**form_data(), "csrf_token": token}
    assert client.get(f"/operations/{op}/briefings/new").status_code == 404
    assert client.post(f"/operations/{op}/briefings/new", data=data).status_code == 404
    assert client.post(f"/operations/{op}/briefings/{b.id}/edit", data=data).status_code == 404
    delete = client.post(f"/operations/{op}/briefings/{b.id}/cancel", data={"csrf_token": token})
    assert delete.status_code == 404
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Briefing)) == 4
    assert db.session.get(Briefing, b.id).ical_sequence == 0


def test_agenda_and_materials_are_rendered_safely(app, organiser, users, operation):
    b = make(
        operation,
        users["organiser"],
        agenda="1. **Priorities**\n\n<script>alert(1)</script>\n\n![x](https://evil.example/x.png)",
        materials="- [Guide](https://example.org/guide)\n- [bad](javascript:alert(1))",
    )
    html = organiser.get(f"/operations/{operation.id}/briefings/{b.id}").get_data(as_text=True)
    assert "<strong>Priorities</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "evil.example" not in html
    assert 'href="https://example.org/guide"' in html
    assert "javascript:" not in html


# -- the API -------------------------------------------------------------------------------------
API_BRIEFING = {
    "title": "ASEAN-WEN regional briefing",
    "kind": "briefing",
    "mode": "hybrid",
    "network": "ASEAN-WEN",
    "start": f"{YEAR}-01-20T16:00",
    "timezone": "Asia/Bangkok",
    "duration_minutes": 90,
    "location": "Bangkok",
    "agenda": "1. Welcome",
}


def test_an_organiser_schedules_and_edits_through_the_api(app, api_tokens, operation):
    api = app.test_client()
    headers = bearer(api_tokens["organiser"])
    url = f"{A}/operations/{operation.id}/briefings"
    response = api.post(url, json=API_BRIEFING, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["starts_at"] == f"{YEAR}-01-20T09:00:00+00:00"
    assert body["starts_local"] == f"{YEAR}-01-20T16:00:00+07:00"
    assert (body["network"], body["mode"], body["ical_sequence"]) == ("ASEAN-WEN", "hybrid", 0)
    assert body["invited"] == ["THA", "VNM"]
    assert response.headers["Location"].endswith(f"{url}/{body['id']}")
    item = f"{url}/{body['id']}"
    patched = api.patch(item, json={"title": "Renamed"}, headers=headers)
    assert patched.status_code == 200
    after = patched.get_json()
    assert (after["title"], after["starts_at"], after["ical_sequence"], after["ical_uid"]) == (
        "Renamed",
        body["starts_at"],
        1,
        body["ical_uid"],
    )
    made_global = api.patch(item, json={"network": ""}, headers=headers).get_json()
    assert made_global["network"] is None
    assert made_global["invited"] == ["FRA", "KEN", "THA", "UGA", "VNM"]
    listed = api.get(url, headers=headers).get_json()
    assert [b["id"] for b in listed["items"]] == [body["id"]]
    ics = api.get(f"{item}.ics", headers=headers)
    assert ics.mimetype == "text/calendar"
    assert int(parse(ics.data)[1][0]["SEQUENCE"]) == 2
    assert api.get(f"{url}.ics", headers=headers).status_code == 200
    assert [e.via for e in events("briefing.update")] == ["api", "api"]
    cancelled = api.delete(item, json={"reason": "Moved to the regional meeting"}, headers=headers)
    assert cancelled.status_code == 204
    kept = api.get(item, headers=headers).get_json()  # still there, marked
    assert kept["cancel_reason"] == "Moved to the regional meeting"
    assert kept["cancelled_at"] is not None and kept["ical_sequence"] == 3
    [event] = parse(api.get(f"{item}.ics", headers=headers).data)[1]
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 3)
    assert api.patch(item, json={"title": "Again"}, headers=headers).status_code == 422


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"duration_minutes": 10}, "duration_minutes", DURATION),
        ({"timezone": "Asia/Nowhere"}, "timezone", UNKNOWN_ZONE),
        ({"start": "2021-01-20T16:00"}, "start", PAST),
        ({"network": "NO-SUCH-NET"}, "network", "unknown network"),
        ({"kind": "party"}, "kind", "Not a valid choice."),
        ({"title": None}, "title", REQUIRED),
    ],
)
def test_api_validation_names_the_field(app, api_tokens, operation, change, field, message):
    body = {**API_BRIEFING, **change}
    response = app.test_client().post(
        f"{A}/operations/{operation.id}/briefings",
        json=body,
        headers=bearer(api_tokens["organiser"]),
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["field"], error["fields"][field]) == (field, [message])


def test_api_roles(app, api_tokens, users, briefs):
    api = app.test_client()
    op = briefs["global"].operation_id
    url = f"{A}/operations/{op}/briefings"
    for role in ("coord_asean", "fp_tha"):
        headers = bearer(api_tokens[role])
        assert api.post(url, json=API_BRIEFING, headers=headers).status_code == 403
        item = f"{url}/{briefs['asean'].id}"
        assert api.patch(item, json={"title": "x"}, headers=headers).status_code == 403
        assert api.delete(item, headers=headers).status_code == 403
        assert api.get(f"{url}/{briefs['latf'].id}", headers=headers).status_code == 404
    comms = bearer(api_tokens["comms"])
    assert api.get(url, headers=comms).status_code == 404
    assert api.post(url, json=API_BRIEFING, headers=comms).status_code == 404
    fp = api.get(url, headers=bearer(api_tokens["fp_tha"])).get_json()
    assert {b["title"] for b in fp["items"]} == {
        "Global kick-off",
        "ASEAN-WEN briefing",
        "Pre-operation meeting",
    }
    assert all(set(b["invited"]) <= {"THA"} for b in fp["items"])


def test_api_attendance_is_scoped(app, api_tokens, users, briefs):
    api = app.test_client()
    b = briefs["global"]
    url = f"{A}/operations/{b.operation_id}/briefings/{b.id}/attendance"
    refused = api.post(
        url, json={"country": "THA", "attended": True}, headers=bearer(api_tokens["fp_ken"])
    )
    assert refused.status_code == 404
    assert attendance_rows() == 0
    headers = bearer(api_tokens["fp_tha"])
    recorded = api.post(
        url, json={"country": "THA", "attended": True, "attendees": 4}, headers=headers
    )
    assert recorded.status_code == 200
    assert recorded.get_json()["attendees"] == 4
    assert recorded.get_json()["attended"] is True
    invalid = api.post(
        url, json={"country": "THA", "attended": True, "attendees": 0}, headers=headers
    )
    assert invalid.status_code == 422
    assert invalid.get_json()["error"]["field"] == "attendees"
    detail = api.get(f"{A}/operations/{b.operation_id}/briefings/{b.id}", headers=headers)
    assert detail.get_json()["attendance"][0]["country"] == "THA"
    organiser = api.get(
        f"{A}/operations/{b.operation_id}/briefings/{b.id}",
        headers=bearer(api_tokens["organiser"]),
    ).get_json()
    assert organiser["attended"] == ["THA"]
    assert organiser["not_yet"] == ["FRA", "KEN", "UGA", "VNM"]
    assert [e.via for e in events("briefing.attendance")] == ["api"]


def test_api_acknowledgement(app, api_tokens, operation):
    operation.guidelines = GUIDELINES
    db.session.commit()
    api = app.test_client()
    url = f"{A}/operations/{operation.id}/guidelines/acknowledgement"
    first = api.post(url, json={}, headers=bearer(api_tokens["fp_tha"]))
    assert first.status_code == 200
    assert (first.get_json()["country"], first.get_json()["new"]) == ("THA", True)
    again = api.post(url, json={}, headers=bearer(api_tokens["fp_tha"]))
    assert again.get_json()["new"] is False
    assert api.post(url, json={}, headers=bearer(api_tokens["organiser"])).status_code == 403
    assert len(events("guidelines.acknowledge")) == 1


# -- the demo ------------------------------------------------------------------------------------
def test_demo_briefings(app):
    from opsplanner.models import Operation, User
    from opsplanner.services.demo import DEMO_OPERATION, load_demo
    from opsplanner.services.demo_briefings import add_demo_briefings

    # The demo adds its briefings through add_demo_briefings.
    created = load_demo()
    db.session.commit()
    op = db.session.scalar(select(Operation).where(Operation.code_name == DEMO_OPERATION))
    organiser = db.session.scalar(select(User).where(User.email == "organiser@demo.opsplanner.org"))
    items = list(db.session.scalars(select(Briefing).where(Briefing.operation_id == op.id)))
    meetings = [b for b in items if b.kind is BriefingKind.PRE_OPERATION_MEETING]
    assert len(meetings) == 1 and meetings[0].network_id is None
    assert meetings[0].mode is MeetingMode.VIRTUAL
    networks = [b.network.acronym for b in items if b.network_id]
    assert "ASEAN-WEN" in networks and len(networks) == len(set(networks)) >= 3
    assert created["briefings"] == len(items)
    now = datetime.now(UTC)
    assert all(b.starts_at < now for b in items)  # attendance is recorded after the start

    confirmed = [p for p in op.participations if p.status is ParticipationStatus.CONFIRMED]
    expected = sum(1 for b in items for p in confirmed if service.is_invited(b, p))
    assert 0.7 < created["attendances"] / expected < 0.9
    acknowledged = [p for p in confirmed if p.guidelines_acknowledged_at]
    assert 0.6 < len(acknowledged) / len(confirmed) < 0.8
    assert op.guidelines  # acknowledged guidelines exist
    # a second call changes nothing
    assert add_demo_briefings(op, organiser, random.Random(7))["briefings"] == 0
