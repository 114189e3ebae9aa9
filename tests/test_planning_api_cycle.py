"""The whole planning cycle over the JSON API: an organiser, a coordinator and two focal
points, each with their own token, from an empty operation to a ready, briefed plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import update

from opsplanner.extensions import db
from opsplanner.models import Briefing
from tests.conftest import bearer


class Api:
    def __init__(self, client, token):
        self.client, self.headers = client, bearer(token)

    def __call__(self, method, url, body=None, expect=200):
        response = self.client.open(f"/api/v1{url}", method=method, json=body, headers=self.headers)
        assert response.status_code == expect, (method, url, response.get_data(as_text=True))
        return response.get_json() if response.is_json else response


def test_planning_cycle_over_the_api(app, users, api_tokens):
    org = Api(app.test_client(), api_tokens["organiser"])
    tha = Api(app.test_client(), api_tokens["fp_tha"])
    ken = Api(app.test_client(), api_tokens["fp_ken"])
    asean = Api(app.test_client(), api_tokens["coord_asean"])
    wwd = date(date.today().year + 1, 3, 3)
    window_start = wwd - timedelta(days=27)

    # 1. The organiser sets the operation up.
    op = org(
        "POST",
        "/operations",
        {
            "code_name": "Operation API Cycle",
            "organising_agency": "WCO",
            "window_start": window_start.isoformat(),
            "window_end": (window_start + timedelta(days=13)).isoformat(),
            "world_wildlife_day": wwd.isoformat(),
            "reporting_deadline": f"{(wwd - timedelta(days=5)).isoformat()}T23:59",
            "embargo_until": f"{wwd.isoformat()}T09:00",
        },
        expect=201,
    )
    url = f"/operations/{op['id']}"
    org(
        "PATCH",
        url,
        {"guidelines": "## Reporting\nPieces and kg **separately**.", "timezone": "Europe/Vienna"},
    )
    ivory = org(
        "POST",
        f"{url}/priorities",
        {"kind": "commodity", "title": "Ivory", "commodity": "ivory"},
        expect=201,
    )
    route = org(
        "POST",
        f"{url}/priorities",
        {
            "kind": "trade_route",
            "title": "East Africa to South-east Asia",
            "origin_codes": ["KEN"],
            "destination_codes": ["THA"],
            "conveyances": ["air_cargo"],
        },
        expect=201,
    )
    invited = org("POST", f"{url}/networks", {"network": "ASEAN-WEN"})
    assert "THA" in invited["invited"]
    org("POST", f"{url}/participations", {"country": "KEN", "network": "LATF"}, expect=201)
    org("POST", f"{url}/phase", {"phase": "planning"})
    refused = org("POST", f"{url}/phase", {"phase": "briefing"}, expect=422)
    assert "no country has confirmed" in refused["error"]["message"]

    # 2. Two focal points confirm and acknowledge the guidelines; each only for their country.
    tha("PATCH", f"{url}/participations/THA", {"status": "confirmed"})
    ken("PATCH", f"{url}/participations/KEN", {"status": "confirmed"})
    ken("PATCH", f"{url}/participations/THA", {"status": "declined"}, expect=404)
    for fp in (tha, ken):
        fp("POST", f"{url}/guidelines/acknowledgement", {})
    org("POST", f"{url}/phase", {"phase": "briefing"})

    # 3. The organiser schedules a global briefing; it comes as an iCalendar event.
    start = datetime.now(UTC) + timedelta(days=3)
    briefing = org(
        "POST",
        f"{url}/briefings",
        {
            "title": "Global pre-operational briefing",
            "kind": "briefing",
            "mode": "virtual",
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "timezone": "UTC",
            "duration_minutes": 90,
            "location": "Secure video link (details over I-24/7)",
        },
        expect=201,
    )
    ics = tha("GET", f"{url}/briefings/{briefing['id']}.ics")
    (event,) = Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Operation API Cycle")

    # The briefing takes place: attendance can be recorded once it has started.
    db.session.execute(
        update(Briefing)
        .where(Briefing.id == briefing["id"])
        .values(starts_at=datetime.now(UTC) - timedelta(hours=2))
    )
    db.session.commit()
    tha(
        "POST",
        f"{url}/briefings/{briefing['id']}/attendance",
        {"country": "THA", "attended": "true", "attendees": 3},
    )
    ken(
        "POST",
        f"{url}/briefings/{briefing['id']}/attendance",
        {"country": "THA", "attended": "true", "attendees": 1},
        expect=404,
    )

    # 4. Each focal point plans its country's activities.
    window = (window_start + timedelta(days=1)).isoformat(), (window_start + timedelta(days=5))
    plan = {
        "activity_type": "air_cargo_screening",
        "title": "Cargo terminal blitz",
        "location": "International airport cargo terminal",
        "start_date": window[0],
        "end_date": window[1].isoformat(),
        "priorities": [ivory["id"], route["id"]],
        "agencies": ["customs", "police"],
    }
    tha("POST", f"{url}/plans/THA/activities", plan, expect=201)
    ken("POST", f"{url}/plans/KEN/activities", {**plan, "title": "Export checks"}, expect=201)
    ken("GET", f"{url}/plans/THA/activities", expect=404)

    # 5. The ASEAN-WEN coordinator follows Thailand, not Kenya, and comments.
    assert asean("GET", f"{url}/plans/THA/activities")["count"] == 1
    asean("GET", f"{url}/plans/KEN/activities", expect=404)
    asean("POST", f"{url}/plans/THA/comments", {"body": "Add the postal hub?"}, expect=201)
    assert [c["body"] for c in tha("GET", f"{url}/plans/THA/comments")["items"]] == [
        "Add the postal hub?"
    ]

    # 6. The organiser sees a ready operation.
    board = {row["network"]: row for row in org("GET", f"{url}/readiness")["networks"]}
    assert {
        k: board["ASEAN-WEN"][k] for k in ("confirmed", "acknowledged", "briefed", "planned")
    } == {
        "confirmed": 1,
        "acknowledged": 1,
        "briefed": 1,
        "planned": 1,
    }
    assert (board["LATF"]["confirmed"], board["LATF"]["briefed"], board["LATF"]["planned"]) == (
        1,
        0,
        1,
    )
    coverage = {c["priority"]: c for c in org("GET", f"{url}/readiness")["coverage"]}
    assert coverage[f"2. {route['title']}"]["trade_chain_without_activity"] == []
    assert asean("GET", f"{url}/readiness")["networks"][0]["network"] == "ASEAN-WEN"
