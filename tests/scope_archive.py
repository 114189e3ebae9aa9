"""Scope-matrix rows for the archive area (views/compare.py): comparing operations and starting
a new operation from a previous one's set-up. Organisers only; every other role gets 404 (the
pages are not theirs), anonymous goes to the sign-in page.

Ids: {rop} (the results operation, in reporting), {arch} (an archived operation with Brazil
only, which no role of the matrix but organisers sees, added by ``extend_world``), {draft} (a
draft: not comparable, but its set-up can be copied).
The copy POST creates one operation (the organiser's row); the refused one is re-rendered with
the schedule error (200). Writes to the archived operation itself are refused with 409: the
routes' own rows live in the main matrix, so the archive rule has its walk over every write
route in tests/test_archive.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    OperationPhase,
    OrganisingAgency,
    ParticipationStatus,
    User,
)
from opsplanner.services import operations as ops
from tests.scope_cases import Case, G, P, expect

ORGANISER = expect(organiser=200)
NOBODY = expect(404)
PAIR = "ops={rop}&ops={arch}"
COPY = {
    "code_name": "Operation Matrix Copy",
    "organising_agency": "WCO",
    "window_start": "2032-02-01",
    "window_end": "2032-02-14",
    "world_wildlife_day": "2032-03-03",
    "reporting_deadline": "2032-02-24T23:59",
    "embargo_until": "2032-03-03T09:00",
    "secure_channel": "",
    "description": "",
}


def extend_world(ids: dict[str, Any]) -> dict[str, Any]:
    users_org = db.session.scalar(select(User).where(User.email == "organiser@test.example"))
    op = ops.create_operation(
        ops.OperationInput(
            "Operation Archive Matrix",
            OrganisingAgency.INTERPOL,
            window_start=date(2026, 2, 1),
            window_end=date(2026, 2, 14),
            world_wildlife_day=date(2026, 3, 3),
            reporting_deadline=datetime(2026, 2, 24, 23, 59, tzinfo=UTC),
            embargo_until=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        ),
        by=users_org,
    )
    p = ops.invite_country(op, db.session.get(Country, "BRA"), None, by=users_org)
    p.status = ParticipationStatus.CONFIRMED
    op.phase = OperationPhase.ARCHIVED
    db.session.commit()
    return {"arch": op.id}


WEB: dict[str, list[Case]] = {
    "compare.page": [
        Case(G, "/operations/compare", ORGANISER),
        Case(G, f"/operations/compare?{PAIR}", ORGANISER),
        Case(G, "/operations/compare?ops={rop}", ORGANISER),  # asks for a second one
        Case(G, "/operations/compare?ops={rop}&ops=999999", NOBODY),
        Case(G, "/operations/compare?ops={rop}&ops={draft}", NOBODY),
    ],
    "compare.export": [
        Case(G, f"/operations/compare.csv?{PAIR}", ORGANISER),
        Case(G, f"/operations/compare.xlsx?{PAIR}", ORGANISER),
        Case(G, "/operations/compare.csv?ops={rop}&ops={draft}", NOBODY),
    ],
    "compare.copy_operation": [
        Case(G, "/operations/{arch}/copy", ORGANISER),
        Case(G, "/operations/{draft}/copy", ORGANISER),
        Case(G, "/operations/999999/copy", NOBODY),
        Case(P, "/operations/{arch}/copy", expect(organiser=302), COPY),
        # re-rendered with the schedule error: the window ends after World Wildlife Day
        Case(
            P,
            "/operations/{arch}/copy",
            ORGANISER,
            {**COPY, "code_name": "Operation Matrix Copy Two", "window_end": "2032-03-10"},
        ),
        Case(P, "/operations/999999/copy", NOBODY, COPY),
    ],
}

API: dict[str, list[Case]] = {}
