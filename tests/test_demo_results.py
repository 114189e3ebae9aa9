"""The demo's results: last year's operation in its reporting phase, large and varied enough
to show every part of results reporting, valid by the same rules as real input, loaded fast
and only once."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    CountryReport,
    HighlightCase,
    Operation,
    OperationPhase,
    Participation,
    ParticipationStatus,
    RecordSource,
    ReportReminder,
    ReportStatus,
    Seizure,
)
from opsplanner.reference.vocabularies import commodity_units
from opsplanner.services import completeness
from opsplanner.services.demo import DEMO_OPERATION, load_demo
from opsplanner.services.demo_results import DEMO_RESULTS_OPERATION, add_demo_results, results_wwd
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse, to_row

TODAY = date(2026, 11, 30)


def results_operation() -> Operation:
    return db.session.scalar(select(Operation).where(Operation.code_name == DEMO_RESULTS_OPERATION))


def digest(op: Operation) -> str:
    h = hashlib.sha256()
    rows = db.session.execute(
        select(
            Participation.country_iso3,
            Seizure.national_reference,
            Seizure.commodity,
            Seizure.species_id,
            Seizure.seized_on,
        )
        .join(Participation, Participation.id == Seizure.participation_id)
        .where(Participation.operation_id == op.id)
        .order_by(Participation.country_iso3, Seizure.national_reference)
    ).all()
    h.update(repr(rows).encode())
    return h.hexdigest()


def test_the_demo_has_a_realistic_reporting_picture(app):
    started = time.perf_counter()
    created = load_demo(today=TODAY)
    db.session.commit()
    elapsed = time.perf_counter() - started
    assert elapsed < 15, f"the demo took {elapsed:.1f}s to load"

    op = results_operation()
    assert op.phase is OperationPhase.REPORTING and op.template_frozen_at is not None
    assert op.world_wildlife_day == results_wwd(TODAY) == date(2026, 3, 3)
    assert op.reporting_deadline.date() < TODAY
    assert [c.to_phase for c in op.phase_changes][-1] is OperationPhase.REPORTING
    planning = db.session.scalar(select(Operation).where(Operation.code_name == DEMO_OPERATION))
    assert planning.phase is OperationPhase.BRIEFING  # the planning demo is unchanged

    rows = db.session.scalars(
        select(Seizure)
        .join(Participation)
        .where(Participation.operation_id == op.id)
        .options(selectinload(Seizure.quantities), selectinload(Seizure.participation))
    ).all()
    assert created["seizures"] == len(rows) >= 2000
    countries = {s.participation.country_iso3 for s in rows}
    assert len(countries) >= 100
    assert all(s.source is RecordSource.DEMO for s in rows)
    assert all(op.window_start <= s.seized_on <= op.window_end for s in rows)
    units = commodity_units()
    for s in rows:
        assert s.quantities and all(
            q.unit in units[s.commodity] and q.amount > 0 for q in s.quantities
        )
        assert len({q.unit for q in s.quantities}) == len(s.quantities)
        assert s.arrests <= s.suspects and not (s.sensitive and s.publishable)
    sensitive = sum(s.sensitive for s in rows)
    publishable = sum(s.publishable for s in rows)
    free_text = sum(s.species_id is None for s in rows)
    assert 0.02 * len(rows) < sensitive < 0.15 * len(rows)
    assert publishable > 0.2 * len(rows)
    assert 0 < free_text < 0.1 * len(rows)
    assert all(s.species_other for s in rows if s.species_id is None)
    assert len({s.commodity for s in rows}) >= 12

    # every row is valid input: through the one validation, as an upload would be
    catalog = Catalog.load(op)
    for s in rows:
        _data, errors = parse(to_row(s, catalog.species_names, catalog.rank_by_priority), catalog)
        assert not errors, (s.national_reference, errors)

    # reports in every state, some late, confirmed countries with nothing yet
    reports = db.session.scalars(
        select(CountryReport).join(Participation).where(Participation.operation_id == op.id)
    ).all()
    states = Counter(r.status for r in reports)
    assert set(states) == set(ReportStatus)
    assert states[ReportStatus.APPROVED] > states[ReportStatus.SUBMITTED]
    returned = [r for r in reports if r.status is ReportStatus.RETURNED]
    assert all(r.return_comment and r.transitions[-1].action == "return" for r in returned)
    late = [
        r for r in reports if r.first_submitted_at and r.first_submitted_at > op.reporting_deadline
    ]
    assert late and len(late) < len(reports) / 3
    confirmed = db.session.scalars(
        select(Participation).where(
            Participation.operation_id == op.id,
            Participation.status == ParticipationStatus.CONFIRMED,
        )
    ).all()
    with_report = {r.participation_id for r in reports}
    assert [p for p in confirmed if p.id not in with_report], "confirmed countries without results"
    assert any(p.network_id is None for p in confirmed), "countries without a network"
    declined = db.session.scalar(
        select(func.count(Participation.id)).where(
            Participation.operation_id == op.id,
            Participation.status == ParticipationStatus.DECLINED,
        )
    )
    assert declined > 0
    reported = [r for r in reports if r.status in completeness.REPORTED_STATUSES]
    assert all(r.arrests >= 0 and r.investigations_opened >= 0 for r in reported)
    assert sum(r.arrests for r in reported) > 0
    assert any(r.consent_to_be_named for r in reported)
    assert all(not r.consent_to_be_named for r in reports if r.status is ReportStatus.DRAFT)

    highlights = db.session.scalars(
        select(HighlightCase).join(Participation).where(Participation.operation_id == op.id)
    ).all()
    assert len(highlights) >= 5
    assert all(h.consent and not h.seizure.sensitive and h.narrative for h in highlights)

    # the demo users' countries
    by_iso = {p.country_iso3: p for p in confirmed}
    status = {r.participation_id: r.status for r in reports}
    assert status[by_iso["THA"].id] is ReportStatus.APPROVED
    assert status[by_iso["KEN"].id] is ReportStatus.RETURNED
    assert status[by_iso["VNM"].id] is ReportStatus.DRAFT
    assert [u.email for u in by_iso["VNM"].focal_points] == ["focal.vnm@demo.opsplanner.org"]
    stages = {
        (r.participation.country_iso3, r.stage)
        for r in db.session.scalars(select(ReportReminder)).all()
    }
    assert {("VNM", "7d"), ("VNM", "2d"), ("VNM", "overdue")} <= stages

    # the completeness board and the summary on the demo
    from opsplanner.models import Role, User

    organiser = db.session.scalar(select(User).where(User.role == Role.ORGANISER))
    board = completeness.completeness(op, Scope(organiser))
    assert board.total.expected == len(confirmed)
    assert 0.5 < board.total.reporting_rate < 0.95
    assert board.total.on_time < board.total.reported
    assert len(board.by_network) >= 10
    summary = completeness.summary(op)
    assert summary.reported == board.total.reported
    assert summary.seizures < board.seizures  # drafts and sensitive cases left out

    # the scoreboard: every coordinating network has its coordinator's checklist
    from opsplanner.models import NetworkChecklistItem
    from opsplanner.services import scoreboard

    scores = scoreboard.network_scores(op)
    assert len(scores) >= 10
    answered = set(
        db.session.scalars(
            select(NetworkChecklistItem.network_id).where(
                NetworkChecklistItem.operation_id == op.id
            )
        )
    )
    assert answered == {s.network_id for s in scores}
    assert created["checklist_items"] == len(answered) * len(scoreboard.CHECKLIST)
    assert all(s.score is not None and 0 < s.score <= 100 for s in scores)

    # loaded once
    before = digest(op)
    again = load_demo(today=TODAY)
    db.session.commit()
    assert again.get("seizures", 0) == 0
    assert add_demo_results(organiser, TODAY)["seizures"] == 0
    # the planning demo, last year's results and the archived one before it (test_demo_archive)
    assert db.session.scalar(select(func.count(Operation.id))) == 3
    assert digest(op) == before


def test_the_demo_results_are_the_same_on_every_machine(app):
    load_demo(today=TODAY)
    db.session.commit()
    first = digest(results_operation())
    # rebuild the results operation from scratch: the seeded generator gives the same rows
    op = results_operation()
    db.session.delete(op)
    db.session.commit()
    assert results_operation() is None
    from opsplanner.models import Role, User

    organiser = db.session.scalar(select(User).where(User.role == Role.ORGANISER))
    created = add_demo_results(organiser, TODAY)
    db.session.commit()
    assert created["seizures"] >= 2000
    assert digest(results_operation()) == first
