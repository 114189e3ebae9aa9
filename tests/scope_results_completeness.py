"""Scope-matrix rows for the results routes of this area (see scope_results_world).

Ids available in urls/data: {rop} (the results operation), {s_tha}, {s_tha_del}, {s_sens}
(sensitive, Thailand), {s_ken}, {hl_tha} (highlight case), plus anything ``extend_world`` adds.

Completeness and reminders: organisers and coordinators (their network's countries). Summary:
organisers, coordinators and communications; focal points get 404. Export: anyone who sees the
operation (the content depends on the role). {other} has Kenya only (LATF); {draft} is the
organiser's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Participation, ReportReminder
from tests.scope_cases import A, Case, G, P, api_expect, expect

COORDINATION = expect(organiser=200, coord_asean=200, coord_latf=200)
SUMMARY = expect(organiser=200, coord_asean=200, coord_latf=200, comms=200)
ON_OTHER = expect(organiser=200, coord_latf=200)
ORGANISER = expect(organiser=200)
NOBODY = expect(404)


def extend_world(ids: dict[str, Any]) -> dict[str, Any]:
    """Reminders in the outbox for Thailand (sent) and Kenya (not sent)."""
    when = datetime(2031, 2, 18, 6, 0, tzinfo=UTC)
    for iso3, sent in (("THA", when), ("KEN", None)):
        p = db.session.scalar(
            select(Participation).where(
                Participation.operation_id == ids["rop"], Participation.country_iso3 == iso3
            )
        )
        db.session.add(
            ReportReminder(
                participation_id=p.id,
                stage="7d",
                created_at=when,
                recipients=[f"focal.{iso3.lower()}@matrix.example"],
                subject=f"Results of {iso3} due",
                body="Please submit.",
                sent_at=sent,
            )
        )
    db.session.commit()
    return {}


def _pages(name: str, on_rop: dict[str, int], on_other: dict[str, int]) -> list[Case]:
    return [
        Case(G, f"/operations/{{rop}}/{name}", on_rop),
        Case(G, f"/operations/{{other}}/{name}", on_other),
        Case(G, f"/operations/{{draft}}/{name}", ORGANISER),
        Case(G, f"/operations/999999/{name}", NOBODY),
    ]


WEB: dict[str, list[Case]] = {
    "completeness.page": _pages("completeness", COORDINATION, ON_OTHER),
    "completeness.summary": _pages(
        "summary", SUMMARY, expect(organiser=200, coord_latf=200, comms=200)
    ),
    "completeness.reminders": _pages("reminders", COORDINATION, ON_OTHER),
    "completeness.export": [
        Case(P, "/operations/{rop}/results/export", expect(302)),
        Case(P, "/operations/{other}/results/export", expect(302, coord_asean=404, fp_tha=404)),
        Case(P, "/operations/{draft}/results/export", expect(organiser=302)),
        Case(P, "/operations/999999/results/export", NOBODY),
    ],
}


def _api(name: str, on_rop: dict[str, int], on_other: dict[str, int]) -> list[Case]:
    return [
        Case(G, f"{A}/operations/{{rop}}/{name}", on_rop),
        Case(G, f"{A}/operations/{{other}}/{name}", on_other),
        Case(G, f"{A}/operations/{{draft}}/{name}", api_expect(organiser=200)),
        Case(G, f"{A}/operations/999999/{name}", api_expect()),
    ]


API: dict[str, list[Case]] = {
    "api.completeness_board": _api(
        "completeness",
        api_expect(organiser=200, coord_asean=200, coord_latf=200),
        api_expect(organiser=200, coord_latf=200),
    ),
    "api.results_summary": _api(
        "summary",
        api_expect(organiser=200, coord_asean=200, coord_latf=200, comms=200),
        api_expect(organiser=200, coord_latf=200, comms=200),
    ),
    "api.results_export_job": [
        Case(P, f"{A}/operations/{{rop}}/results/export", api_expect(202)),
        Case(
            P,
            f"{A}/operations/{{other}}/results/export",
            api_expect(202, coord_asean=404, fp_tha=404),
        ),
        Case(P, f"{A}/operations/{{draft}}/results/export", api_expect(organiser=202)),
        Case(P, f"{A}/operations/999999/results/export", api_expect()),
    ],
}
