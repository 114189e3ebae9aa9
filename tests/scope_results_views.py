"""Scope-matrix rows for the results routes of this area (see scope_results_world).

Ids available in urls/data: {rop} (the results operation), {s_tha}, {s_tha_del}, {s_sens}
(sensitive, Thailand), {s_ken}, {hl_tha} (highlight case), plus anything extend_world adds.

Every role runs all rows in order against its own world, and the other areas' rows run after
these in the same world: so these rows change only what ``extend_world`` adds (their own
seizures and highlight case, two extra countries whose reports are submitted) and leave the
shared reports as they found them (drafts, editable). Cambodia (ASEAN-WEN) and Zambia (LATF)
are there so that each coordinator has a submitted report to validate and return.
"""

from __future__ import annotations

from typing import Any

from tests.scope_cases import Case, G, P, expect

R = "/operations/{rop}/results"
THA = R + "/THA"

READERS_THA = expect(organiser=200, coord_asean=200, fp_tha=200)
READERS_KEN = expect(organiser=200, coord_latf=200, fp_ken=200)
# a coordinator sees Thailand's report but does not change it: 403 with the reason
EDIT_THA = expect(organiser=200, fp_tha=200, coord_asean=403)
SAVED_THA = expect(organiser=302, fp_tha=302, coord_asean=403)
EDIT_KEN = expect(organiser=200, fp_ken=200, coord_latf=403)


def seizure_form(reference: str, **overrides: str) -> dict[str, str]:
    row = {
        "national_reference": reference,
        "seized_on": "2031-02-06",
        "place": "Laem Chabang port",
        "agency": "customs",
        "detection_method": "xray_scanner",
        "species": "Manis javanica",
        "commodity": "pangolin_scales",
        "quantity_1": "40",
        "unit_1": "kg",
        "conveyance": "sea_container",
        "origin": "NGA",
        "priority": "1",
        "suspects": "2",
        "arrests": "1",
        "publishable": "y",
    }
    return {**row, **overrides}


NATIONAL = {"arrests": "3", "suspects_by_nationality": "THA 2, VNM 1", "notes": "matrix"}

WEB: dict[str, list[Case]] = {
    "results.overview": [
        Case(G, R, expect(organiser=200, coord_asean=200, coord_latf=200, fp_tha=302, fp_ken=302)),
        Case(
            G,
            R + "?status=draft&network=ASEAN-WEN&region=142&q=thai",
            expect(organiser=200, coord_asean=200, coord_latf=200, fp_tha=302, fp_ken=302),
        ),
        # Operation Savanna has Kenya only: Thailand's focal point does not see it at all
        Case(G, "/operations/{other}/results", expect(organiser=200, coord_latf=200, fp_ken=302)),
        Case(G, "/operations/999999/results", expect(404)),
    ],
    # every report in scope is a draft: all skipped with the reason, nothing moves
    "results.bulk": [
        Case(
            P,
            R + "/bulk",
            expect(organiser=302, coord_asean=302, coord_latf=302),
            {
                "action": "approve",
                "status": "draft",
            },
        ),
        Case(P, "/operations/999999/results/bulk", expect(404), {"action": "validate"}),
    ],
    "results.country": [
        Case(G, THA, READERS_THA),
        Case(G, R + "/tha", READERS_THA),
        Case(G, R + "/VNM", expect(organiser=200, coord_asean=200)),
        Case(G, R + "/KEN", READERS_KEN),
        Case(G, R + "/FRA", expect(organiser=200)),
        Case(G, R + "/KHM", expect(organiser=200, coord_asean=200)),
        Case(G, R + "/ZMB", expect(organiser=200, coord_latf=200)),
        Case(G, R + "/ZZZ", expect(404)),
        Case(G, "/operations/{other}/results/KEN", READERS_KEN),
    ],
    "results.new_seizure": [
        Case(G, THA + "/seizures/new", EDIT_THA),
        Case(G, R + "/KEN/seizures/new", EDIT_KEN),
        Case(G, R + "/VNM/seizures/new", expect(organiser=200, coord_asean=403)),
        # the submitted report of Cambodia is locked: the form page sends back to the report
        Case(G, R + "/KHM/seizures/new", expect(organiser=302, coord_asean=403)),
        Case(P, THA + "/seizures/new", SAVED_THA, seizure_form("TH-VIEWS-NEW")),
        # refused by the rules: the form comes back with the messages
        Case(P, THA + "/seizures/new", EDIT_THA, seizure_form("", quantity_1="-3")),
        Case(
            P,
            R + "/KHM/seizures/new",
            expect(organiser=422, coord_asean=403),
            seizure_form("KH-LOCKED"),
        ),
    ],
    "results.edit_seizure": [
        Case(G, THA + "/seizures/{s_tha}", EDIT_THA),
        Case(G, THA + "/seizures/{s_sens}", EDIT_THA),
        Case(G, R + "/KEN/seizures/{s_ken}", EDIT_KEN),
        # another country's record under Thailand's address
        Case(G, THA + "/seizures/{s_ken}", expect(404)),
        Case(G, THA + "/seizures/999999", expect(404)),
        Case(
            P,
            THA + "/seizures/{s_view_edit}",
            SAVED_THA,
            {**seizure_form("TH-VIEWS-EDIT", place="Changed"), "version": "1"},
        ),
        # a stale copy: refused with a conflict, nothing saved
        Case(
            P,
            THA + "/seizures/{s_view_edit}",
            expect(organiser=409, fp_tha=409, coord_asean=403),
            {**seizure_form("TH-VIEWS-EDIT", place="Stale"), "version": "1"},
        ),
    ],
    "results.seizure_history": [
        Case(G, THA + "/seizures/{s_tha}/history", READERS_THA),
        Case(G, THA + "/seizures/{s_sens}/history", READERS_THA),
        Case(G, R + "/KEN/seizures/{s_ken}/history", READERS_KEN),
        Case(G, THA + "/seizures/{s_ken}/history", expect(404)),
    ],
    "results.delete_seizure": [
        Case(P, THA + "/seizures/{s_view_del}/delete", SAVED_THA, {"version": "1"}),
        Case(P, THA + "/seizures/{s_ken}/delete", expect(404), {"version": "1"}),
    ],
    "results.national": [
        Case(G, THA + "/national", EDIT_THA),
        Case(G, R + "/KEN/national", EDIT_KEN),
        Case(G, R + "/KHM/national", expect(organiser=302, coord_asean=403)),
        Case(P, THA + "/national", SAVED_THA, {**NATIONAL, "version": "1"}),
        Case(
            P,
            THA + "/national",
            expect(organiser=409, fp_tha=409, coord_asean=403),
            {**NATIONAL, "notes": "stale", "version": "1"},
        ),
        Case(P, R + "/KEN/national", EDIT_KEN, {"arrests": "-1", "version": "1"}),
    ],
    "results.new_highlight": [
        Case(
            P,
            THA + "/highlights",
            SAVED_THA,
            {"seizure": "{s_view_hl}", "narrative": "Scales in a container.", "consent": "y"},
        ),
        # a sensitive case cannot go to the press: the form comes back with the reason
        Case(
            P,
            THA + "/highlights",
            EDIT_THA,
            {"seizure": "{s_sens}", "narrative": "Under investigation.", "consent": "y"},
        ),
        Case(
            P,
            R + "/KEN/highlights",
            expect(organiser=302, fp_ken=302, coord_latf=403),
            {"seizure": "{s_ken}", "narrative": "Ivory at the port.", "consent": "y"},
        ),
    ],
    "results.delete_highlight": [
        Case(P, THA + "/highlights/{hl_view}/delete", SAVED_THA),
        Case(P, R + "/KEN/highlights/{hl_tha}/delete", expect(404)),
    ],
    # last: the moves of a report. Thailand and Kenya stay drafts for the other areas' rows:
    # their focal points are refused by a stale version (409), the organiser's cycle runs on
    # Viet Nam and ends where it started, and the coordinators move Cambodia and Zambia.
    "results.transition": [
        Case(
            P,
            THA + "/submit",
            expect(organiser=409, fp_tha=409, coord_asean=403),
            {"version": "99"},
        ),
        Case(
            P,
            R + "/KEN/submit",
            expect(organiser=409, fp_ken=409, coord_latf=403),
            {"version": "99"},
        ),
        # a draft cannot be validated; a focal point never validates
        Case(P, THA + "/validate", expect(organiser=422, coord_asean=422, fp_tha=403)),
        Case(P, THA + "/approve", expect(organiser=422, coord_asean=403, fp_tha=403)),
        Case(P, R + "/VNM/submit", expect(organiser=302, coord_asean=403)),
        Case(P, R + "/VNM/validate", expect(organiser=302, coord_asean=422)),
        Case(P, R + "/VNM/approve", expect(organiser=302, coord_asean=403)),
        Case(P, R + "/VNM/reopen", expect(organiser=302, coord_asean=403), {"comment": "redo"}),
        Case(P, R + "/KHM/validate", expect(organiser=302, coord_asean=302)),
        Case(P, R + "/KHM/return", expect(organiser=422, coord_asean=422)),  # no comment
        Case(
            P,
            R + "/KHM/return",
            expect(organiser=302, coord_asean=302),
            {"comment": "Add the second container."},
        ),
        Case(P, R + "/ZMB/validate", expect(organiser=302, coord_latf=302)),
        Case(P, R + "/ZMB/reopen", expect(organiser=302, coord_latf=403)),
        Case(P, THA + "/publish", expect(404, anonymous=404)),
    ],
}
API: dict[str, list[Case]] = {}


def extend_world(ids: dict[str, Any]) -> dict[str, Any]:
    """Thailand's seizures to edit, delete and nominate, and a highlight case to withdraw;
    Cambodia (ASEAN-WEN) and Zambia (LATF) confirmed with submitted reports."""
    from sqlalchemy import select

    from opsplanner.extensions import db
    from opsplanner.models import (
        Country,
        Network,
        Operation,
        Participation,
        ParticipationStatus,
        RecordSource,
        Role,
        Seizure,
        User,
    )
    from opsplanner.services import operations as ops
    from opsplanner.services import reports, seizures
    from opsplanner.services.scoping import Scope
    from opsplanner.services.seizure_fields import Catalog, parse
    from tests.scope_results_world import results_row

    organiser = db.session.scalar(select(User).where(User.role == Role.ORGANISER))
    op = db.session.get(Operation, ids["rop"])
    scope = Scope(organiser)
    catalog = Catalog.load(op)

    def participation(iso3: str) -> Participation:
        return db.session.scalar(
            select(Participation).where(
                Participation.operation_id == op.id, Participation.country_iso3 == iso3
            )
        )

    def seizure(reference: str) -> Seizure:
        data, errors = parse(results_row(reference), catalog)
        assert not errors, errors
        return seizures.create(scope, participation("THA"), data, errors, source=RecordSource.FORM)

    added = {
        "s_view_edit": seizure("TH-VIEWS-EDIT").id,
        "s_view_del": seizure("TH-VIEWS-DEL").id,
        "s_view_hl": seizure("TH-VIEWS-HL").id,
    }
    added["hl_view"] = reports.nominate(
        scope, participation("THA"), seizure("TH-VIEWS-HL2"), "Withdrawn in the matrix.", True
    ).id
    for iso3, acronym in (("KHM", "ASEAN-WEN"), ("ZMB", "LATF")):
        p = participation(iso3) or ops.invite_country(
            op,
            db.session.get(Country, iso3),
            db.session.scalar(select(Network).where(Network.acronym == acronym)),
            by=organiser,
        )
        p.status = ParticipationStatus.CONFIRMED
        db.session.flush()
        reports.transition(scope, p, "submit")
    db.session.commit()
    return added
