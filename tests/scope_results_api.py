"""Scope-matrix rows for the results routes of this area (see scope_results_world).

Ids available in urls/data: {rop} (the results operation), {s_tha}, {s_tha_del}, {s_sens}
(sensitive, Thailand), {s_ken}, {hl_tha} (highlight case), plus what ``extend_world`` adds:
{s_api} and {s_api_del} (Thailand, only these rows change them) and {manis} (a species id).

The rows of one role run in the order of their endpoint names against one world, so the rows
that change something are chosen to leave the others' ground as they found it: Thailand's and
Kenya's reports are never moved (their moves are refused: stale version, wrong status, wrong
role); Viet Nam's report goes submit -> validate -> return, France's submit -> reopen (bulk).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Participation, RecordSource, Species
from opsplanner.services import seizures
from opsplanner.services.scoping import Scope
from tests.scope_cases import PATCH, A, Case, G, P, api_expect
from tests.scope_results_world import results_row

PUT, DELETE = "PUT", "DELETE"
R = f"{A}/operations/{{rop}}"
THA, KEN, VNM, FRA = (f"{R}/countries/{c}" for c in ("THA", "KEN", "VNM", "FRA"))
SEES_THA = api_expect(organiser=200, coord_asean=200, fp_tha=200)
SEES_KEN = api_expect(organiser=200, coord_latf=200, fp_ken=200)
SEES_THA_ROLES = ("organiser", "coord_asean", "fp_tha")
SEES_VNM = api_expect(organiser=200, coord_asean=200)
SEES_FRA = api_expect(organiser=200)
ALL_BUT_COMMS = api_expect(200, comms=404)


def enters_tha(status: int) -> dict[str, int]:
    """Thailand's focal point and organisers change its results; its coordinator may not."""
    return api_expect(organiser=status, fp_tha=status, coord_asean=403)


def enters_ken(status: int) -> dict[str, int]:
    return api_expect(organiser=status, fp_ken=status, coord_latf=403)


SEIZURE: dict[str, Any] = {
    "national_reference": "TH-API-MATRIX",
    "seized_on": "2031-02-06",
    "place": "Laem Chabang port",
    "agency": "customs",
    "detection_method": "detector_dog",
    "species": "Manis javanica",
    "commodity": "pangolin_scales",
    "quantities": [{"amount": 3.5, "unit": "kg"}],
    "conveyance": "sea_container",
    "origin": ["NGA"],
    "destination": ["THA"],
    "suspects": 1,
    "arrests": 0,
    "publishable": True,
}


def extend_world(ids: dict[str, Any]) -> dict[str, Any]:
    from opsplanner.models import User

    organiser = db.session.scalar(select(User).where(User.email == "organiser@test.example"))
    p = db.session.scalar(
        select(Participation).where(
            Participation.operation_id == ids["rop"], Participation.country_iso3 == "THA"
        )
    )
    catalog = seizures.catalog_for(p)
    scope = Scope(organiser)

    def seizure(reference: str) -> int:
        from opsplanner.services.seizure_fields import parse

        data, errors = parse(results_row(reference), catalog)
        return seizures.create(scope, p, data, errors, source=RecordSource.API).id

    extra = {
        "s_api": seizure("TH-MATRIX-API-1"),
        "s_api_del": seizure("TH-MATRIX-API-2"),
        "manis": db.session.scalar(
            select(Species.id).where(Species.scientific_name == "Manis javanica")
        ),
    }
    db.session.commit()
    return extra


WEB: dict[str, list[Case]] = {}
API: dict[str, list[Case]] = {
    "api.reports_list": [
        Case(G, f"{R}/reports", ALL_BUT_COMMS),
        Case(G, f"{R}/reports?status=draft&network=ASEAN-WEN", ALL_BUT_COMMS),
        Case(G, f"{R}/reports?network=none", ALL_BUT_COMMS),
        Case(G, f"{R}/reports?status=lost", api_expect(422, comms=404)),
        Case(G, f"{A}/operations/{{draft}}/reports", api_expect(organiser=200)),
        Case(G, f"{A}/operations/999999/reports", api_expect()),
    ],
    "api.report": [
        Case(G, f"{THA}/report", SEES_THA),
        Case(G, f"{R}/countries/tha/report", SEES_THA),
        Case(G, f"{VNM}/report", SEES_VNM),
        Case(G, f"{KEN}/report", SEES_KEN),
        Case(G, f"{FRA}/report", SEES_FRA),
        Case(G, f"{R}/countries/ZZZ/report", api_expect()),
        Case(G, f"{A}/operations/{{draft}}/countries/THA/report", api_expect(organiser=200)),
    ],
    "api.report_action": [
        # a stale version is refused before anything moves; a coordinator never submits
        Case(P, f"{THA}/report/submit", enters_tha(409), {"version": 999}),
        Case(P, f"{THA}/report/publish", api_expect(), {"version": 1}),
        Case(
            P,
            f"{KEN}/report/approve",
            api_expect(organiser=422, coord_latf=403, fp_ken=403),
            {"version": 1},
        ),
        Case(
            P,
            f"{KEN}/report/reopen",
            api_expect(organiser=422, coord_latf=403, fp_ken=403),
            {"version": 1},
        ),
        Case(
            P,
            f"{KEN}/report/validate",
            api_expect(organiser=422, coord_latf=422, fp_ken=403),
            {"version": 1},
        ),
        # Viet Nam's report moves for the organiser; its coordinator's copy is then stale
        Case(P, f"{VNM}/report/submit", api_expect(organiser=200, coord_asean=403), {"version": 1}),
        Case(
            P, f"{VNM}/report/validate", api_expect(organiser=200, coord_asean=409), {"version": 2}
        ),
        Case(
            P,
            f"{VNM}/report/return",
            api_expect(organiser=200, coord_asean=409),
            {"version": 3, "comment": "Add the cargo manifests."},
        ),
    ],
    "api.bulk_report_action": [
        # nothing is submitted yet: every report is skipped with its reason
        Case(P, f"{R}/reports/bulk", ALL_BUT_COMMS, {"action": "validate"}),
        Case(
            P,
            f"{R}/reports/bulk",
            ALL_BUT_COMMS,
            {"action": "submit", "filter": {"countries": ["FRA"]}},
        ),
        Case(
            P,
            f"{R}/reports/bulk",
            ALL_BUT_COMMS,
            {"action": "reopen", "filter": {"countries": ["FRA"], "status": "submitted"}},
        ),
        # a return needs a comment
        Case(
            P,
            f"{R}/reports/bulk",
            api_expect(422, comms=404),
            {"action": "return", "filter": {"network": "LATF"}},
        ),
        Case(
            P,
            f"{A}/operations/{{other}}/reports/bulk",
            api_expect(organiser=200, coord_latf=200, fp_ken=200),
            {"action": "submit"},
        ),
    ],
    "api.seizures_list": [
        Case(G, f"{THA}/seizures", SEES_THA),
        Case(G, f"{THA}/seizures?sensitive=true&commodity=pangolin_scales&per_page=2", SEES_THA),
        Case(
            G, f"{THA}/seizures?per_page=0", api_expect(organiser=422, coord_asean=422, fp_tha=422)
        ),
        Case(G, f"{KEN}/seizures", SEES_KEN),
        Case(G, f"{FRA}/seizures", SEES_FRA),
    ],
    "api.create_seizure": [
        Case(P, f"{THA}/seizures", enters_tha(201), SEIZURE),
        Case(
            P,
            f"{THA}/seizures",
            enters_tha(422),
            {**SEIZURE, "national_reference": "TH-API-BAD", "quantities": [{"amount": -1}]},
        ),
        # the same national reference again
        Case(P, f"{THA}/seizures", enters_tha(409), SEIZURE),
        Case(P, f"{KEN}/seizures", enters_ken(201), {**SEIZURE, "national_reference": "KE-API-1"}),
    ],
    "api.seizure": [
        Case(G, f"{THA}/seizures/{{s_tha}}", SEES_THA),
        Case(G, f"{THA}/seizures/{{s_sens}}", SEES_THA),
        Case(G, f"{KEN}/seizures/{{s_ken}}", SEES_KEN),
        Case(G, f"{THA}/seizures/{{s_ken}}", api_expect()),
        Case(G, f"{THA}/seizures/999999", api_expect()),
    ],
    "api.delete_seizure": [
        Case(DELETE, f"{THA}/seizures/{{s_api_del}}?version=1", enters_tha(204)),
        Case(DELETE, f"{THA}/seizures/{{s_sens}}", enters_tha(422)),  # no version
        Case(DELETE, f"{KEN}/seizures/{{s_ken}}?version=999", enters_ken(409)),
        Case(DELETE, f"{KEN}/seizures/{{s_tha}}?version=1", api_expect()),
    ],
    "api.replace_seizure": [
        Case(
            PUT,
            f"{THA}/seizures/{{s_api}}",
            enters_tha(200),
            {**SEIZURE, "national_reference": "TH-MATRIX-API-1", "version": 1},
        ),
        Case(PUT, f"{KEN}/seizures/{{s_ken}}", enters_ken(409), {**SEIZURE, "version": 999}),
    ],
    "api.update_seizure": [
        # after the replacement above, s_api is at version 2
        Case(PATCH, f"{THA}/seizures/{{s_api}}", enters_tha(200), {"version": 2, "port": "LCB"}),
        Case(PATCH, f"{THA}/seizures/{{s_api}}", enters_tha(409), {"version": 2, "port": "X"}),
        Case(PATCH, f"{THA}/seizures/{{s_api}}", enters_tha(422), {"version": 3, "suspects": -1}),
        Case(PATCH, f"{KEN}/seizures/{{s_ken}}", enters_ken(409), {"version": 999, "port": "NBO"}),
        Case(PATCH, f"{VNM}/seizures/{{s_tha}}", api_expect(), {"version": 1, "port": "HAN"}),
    ],
    "api.seizure_history": [
        Case(G, f"{THA}/seizures/{{s_tha}}/history", SEES_THA),
        Case(G, f"{THA}/seizures/{{s_sens}}/history", SEES_THA),
        Case(G, f"{KEN}/seizures/{{s_ken}}/history", SEES_KEN),
    ],
    "api.national_results": [
        Case(G, f"{THA}/national-results", SEES_THA),
        Case(G, f"{KEN}/national-results", SEES_KEN),
        Case(G, f"{FRA}/national-results", SEES_FRA),
    ],
    "api.update_national_results": [
        Case(PUT, f"{THA}/national-results", enters_tha(409), {"version": 999}),
        Case(PUT, f"{THA}/national-results", enters_tha(422), {"version": 1, "counts": {"x": 1}}),
        Case(
            PUT,
            f"{KEN}/national-results",
            enters_ken(200),
            {
                "version": 1,
                "counts": {"arrests": 2},
                "suspects_by_nationality": {"VNM": 1},
                "assets": {"amount": "100.50", "currency": "USD"},
                "consent_to_be_named": True,
            },
        ),
    ],
    "api.highlights": [
        Case(G, f"{THA}/highlights", SEES_THA),
        Case(G, f"{KEN}/highlights", SEES_KEN),
    ],
    "api.nominate_highlight": [
        Case(
            P,
            f"{THA}/highlights",
            enters_tha(201),
            {"seizure_id": "{s_api}", "narrative": "Scales in a sea container.", "consent": True},
        ),
        # never a sensitive case; never another country's seizure
        Case(
            P,
            f"{THA}/highlights",
            enters_tha(422),
            {"seizure_id": "{s_sens}", "narrative": "Under investigation.", "consent": True},
        ),
        Case(
            P,
            f"{THA}/highlights",
            enters_tha(422),
            {"seizure_id": "{s_ken}", "narrative": "Not ours.", "consent": True},
        ),
    ],
    "api.withdraw_highlight": [
        Case(DELETE, f"{KEN}/highlights/{{hl_tha}}", api_expect()),
        Case(DELETE, f"{THA}/highlights/{{hl_tha}}", enters_tha(204)),
    ],
    "api.species_list": [
        Case(G, f"{A}/species", api_expect(200)),
        Case(G, f"{A}/species?q=pangolin&group=mammals", api_expect(200)),
        Case(G, f"{A}/species?group=dragons", api_expect(422)),
    ],
    "api.species": [
        Case(G, f"{A}/species/{{manis}}", api_expect(200)),
        Case(G, f"{A}/species/999999", api_expect()),
    ],
}
