"""The results part of the scope matrix's world: "Operation Results Matrix" in reporting, with
Thailand and Viet Nam (ASEAN-WEN), Kenya (LATF) and France (no network) confirmed, seizures in
Thailand (one to change, one to delete, one sensitive) and Kenya, a highlight case in Thailand.

Rows for the results routes live in ``scope_results_views``, ``scope_results_imports`` and
``scope_results_api`` (one module per area); each may define ``extend_world(ids) -> dict`` to add
what its rows need. ``test_scope`` merges them all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    Network,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    Priority,
    PriorityKind,
    RecordSource,
)
from opsplanner.services import operations as ops
from opsplanner.services import reports, seizures
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse

RESULTS_CODE_NAME = "Operation Results Matrix"


def results_row(reference: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "national_reference": reference,
        "seized_on": "2031-02-05",
        "place": "International airport cargo terminal",
        "agency": "customs",
        "detection_method": "xray_scanner",
        "species": "Manis javanica",
        "commodity": "pangolin_scales",
        "quantity_1": "12.5",
        "unit_1": "kg",
        "conveyance": "air_cargo",
        "origin": "NGA",
        "destination": "VNM",
        "priority": "1",
        "suspects": "1",
        "arrests": "1",
        "publishable": "yes",
    }
    return {**row, **overrides}


def results_world(users: dict[str, Any]) -> dict[str, Any]:
    organiser = users["organiser"]
    op = ops.create_operation(
        ops.OperationInput(
            RESULTS_CODE_NAME,
            OrganisingAgency.INTERPOL,
            window_start=date(2031, 2, 1),
            window_end=date(2031, 2, 14),
            world_wildlife_day=date(2031, 3, 3),
            reporting_deadline=datetime(2031, 2, 24, 23, 59, tzinfo=UTC),
            embargo_until=datetime(2031, 3, 3, 9, 0, tzinfo=UTC),
        ),
        by=organiser,
    )
    nets = {n.acronym: n for n in db.session.scalars(select(Network))}
    for iso3, acronym in (
        ("THA", "ASEAN-WEN"),
        ("VNM", "ASEAN-WEN"),
        ("KEN", "LATF"),
        ("FRA", None),
    ):
        p = ops.invite_country(op, db.session.get(Country, iso3), nets.get(acronym), by=organiser)
        p.status = ParticipationStatus.CONFIRMED
    db.session.add(
        Priority(
            operation=op,
            rank=1,
            kind=PriorityKind.COMMODITY,
            title="Pangolin scales",
            commodity="pangolin_scales",
        )
    )
    op.phase = OperationPhase.REPORTING
    db.session.flush()
    catalog = Catalog.load(op)
    scope = Scope(organiser)

    def participation(iso3: str) -> Participation:
        return db.session.scalar(
            select(Participation).where(
                Participation.operation_id == op.id, Participation.country_iso3 == iso3
            )
        )

    def seizure(iso3: str, reference: str, **overrides: Any) -> int:
        data, errors = parse(results_row(reference, **overrides), catalog)
        assert not errors, errors
        return seizures.create(
            scope, participation(iso3), data, errors, source=RecordSource.FORM
        ).id

    ids = {
        "rop": op.id,
        "s_tha": seizure("THA", "TH-MATRIX-1"),
        "s_tha_del": seizure("THA", "TH-MATRIX-2"),
        "s_sens": seizure("THA", "TH-MATRIX-SECRET", sensitive="yes", publishable="no"),
        "s_ken": seizure("KEN", "KE-MATRIX-1"),
    }
    from opsplanner.models import Seizure

    ids["hl_tha"] = reports.nominate(
        scope,
        participation("THA"),
        db.session.get(Seizure, ids["s_tha"]),
        "Customs found pangolin scales in air cargo.",
        True,
    ).id
    for iso3 in ("THA", "VNM", "KEN", "FRA"):
        reports.report_for(participation(iso3))
    db.session.commit()
    return ids
