"""The demo's archived operation: read-only, settled results smaller than Thunder Trail's,
answered evaluation and kept checklists, valid by the rules of real input, the same on every
machine, loaded once; with Thunder Trail it gives the comparison two operations with results."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    CountryReport,
    EvaluationResponse,
    NetworkChecklistItem,
    Operation,
    OperationPhase,
    Participation,
    ParticipationStatus,
    Questionnaire,
    ReportStatus,
    ResponseStatus,
    Role,
    Seizure,
    User,
)
from opsplanner.services import archive, compare, priorities
from opsplanner.services.demo import load_demo
from opsplanner.services.demo_archive import DEMO_ARCHIVE_OPERATION, add_demo_archive
from opsplanner.services.demo_results import DEMO_RESULTS_OPERATION
from opsplanner.services.seizure_fields import Catalog, parse, to_row

TODAY = date(2026, 11, 30)


def by_name(name: str) -> Operation:
    return db.session.scalar(select(Operation).where(Operation.code_name == name))


def digest(op: Operation) -> str:
    rows = db.session.execute(
        select(
            Participation.country_iso3,
            Participation.status,
            Seizure.national_reference,
            Seizure.commodity,
            Seizure.seized_on,
            Seizure.arrests,
        )
        .join(Participation, Participation.id == Seizure.participation_id)
        .where(Participation.operation_id == op.id)
        .order_by(Participation.country_iso3, Seizure.national_reference)
    ).all()
    answers = db.session.execute(
        select(
            EvaluationResponse.participation_id.is_(None),
            EvaluationResponse.ratings,
            EvaluationResponse.challenges,
        )
        .where(EvaluationResponse.operation_id == op.id)
        .order_by(EvaluationResponse.submitted_at, EvaluationResponse.id)
    ).all()
    return hashlib.sha256(repr((rows, answers)).encode()).hexdigest()


@pytest.fixture
def demo(app):
    load_demo(today=TODAY)
    db.session.commit()
    return by_name(DEMO_ARCHIVE_OPERATION)


def test_the_archived_demo_operation(app, demo):
    op = demo
    assert op.phase is OperationPhase.ARCHIVED and archive.is_archived(op)
    thunder = by_name(DEMO_RESULTS_OPERATION)
    assert op.window_start.year == thunder.window_start.year - 1
    assert [c.to_phase for c in op.phase_changes] == list(OperationPhase)[1:]
    assert op.evaluation_deadline is not None and op.embargo_until.date() < TODAY

    parts = list(op.participations)
    confirmed = [p for p in parts if p.status is ParticipationStatus.CONFIRMED]
    networks = {p.network.acronym for p in confirmed if p.network}
    assert len(networks) >= 4 and {"ASEAN-WEN", "LATF"} <= networks
    assert any(p.network is None for p in confirmed)
    assert {"THA", "KEN", "VNM"} <= {p.country_iso3 for p in confirmed}

    # settled results: every report approved, smaller than Thunder Trail's
    reports = list(
        db.session.scalars(
            select(CountryReport).where(CountryReport.participation_id.in_([p.id for p in parts]))
        )
    )
    assert reports and {r.status for r in reports} == {ReportStatus.APPROVED}
    assert len(reports) < len(confirmed)  # some confirmed countries never reported
    seizures = list(
        db.session.scalars(
            select(Seizure).join(Participation).where(Participation.operation_id == op.id)
        )
    )
    thunder_count = db.session.scalar(
        select(func.count(Seizure.id))
        .join(Participation)
        .where(Participation.operation_id == thunder.id)
    )
    assert 200 < len(seizures) < thunder_count
    assert len(Counter(s.commodity for s in seizures)) >= 5
    # valid by the same rules as real input
    catalog = Catalog.load(op)
    for s in seizures[:300]:
        _data, errors = parse(to_row(s, catalog.species_names, catalog.rank_by_priority), catalog)
        assert not errors, (s.national_reference, errors)

    # the evaluation: a frozen questionnaire, answers from countries and networks
    [q] = db.session.scalars(select(Questionnaire).where(Questionnaire.operation_id == op.id))
    assert q.frozen_at is not None
    responses = list(
        db.session.scalars(
            select(EvaluationResponse).where(EvaluationResponse.operation_id == op.id)
        )
    )
    assert {r.status for r in responses} == {ResponseStatus.SUBMITTED}
    countries = [r for r in responses if r.participation_id is not None]
    by_network = [r for r in responses if r.network_id is not None]
    reported = {r.participation_id for r in reports}
    assert (
        len(countries) > len(reported) / 2 and {r.participation_id for r in countries} <= reported
    )
    assert len(by_network) >= 2
    dimensions = {d["code"] for d in q.dimensions}
    for r in responses:
        assert set(r.ratings) == dimensions
        assert all(v is None or 1 <= v <= q.scale_max for v in r.ratings.values())
        assert set(r.challenges) <= {c["code"] for c in q.challenges}
    coordinator = db.session.scalar(
        select(User).where(User.email == "coordinator.asean@demo.opsplanner.org")
    )
    asean = [r for r in by_network if r.network_id == coordinator.network_id]
    assert asean and asean[0].submitted_by_id == coordinator.id
    # the checklists of every coordinating network
    from opsplanner.services.scoreboard import CHECKLIST_CODES

    items = list(
        db.session.scalars(
            select(NetworkChecklistItem).where(NetworkChecklistItem.operation_id == op.id)
        )
    )
    coordinating = {p.network_id for p in parts if p.network_id}
    assert {i.network_id for i in items} == coordinating
    assert len(items) == len(coordinating) * len(CHECKLIST_CODES)
    assert 0 < sum(i.done for i in items) < len(items)


def test_it_is_read_only_and_comparable(app, demo):
    op = demo
    organiser = db.session.scalar(select(User).where(User.role == Role.ORGANISER))
    with pytest.raises(archive.ArchivedOperation):
        priorities.move(op.priorities[0], 1, organiser)
    thunder = by_name(DEMO_RESULTS_OPERATION)
    comparison = compare.compare(compare.chosen([thunder.id, op.id]))
    assert comparison.operations == [op, thunder]
    old, new = comparison.columns
    assert old.seizures > 0 and new.seizures > old.seizures
    assert old.approved == old.reported  # everything settled in the archive
    assert comparison.networks


def test_loaded_once_and_the_same_on_every_machine(app, demo):
    first = digest(demo)
    organiser = db.session.scalar(select(User).where(User.role == Role.ORGANISER))
    again = load_demo(today=TODAY)
    db.session.commit()
    assert again.get("archived_operations", 0) == 0
    assert add_demo_archive(organiser, TODAY) == {"archived_operations": 0}
    assert digest(demo) == first
    # rebuilt from scratch, the seeded generator gives the same operation
    db.session.delete(demo)
    db.session.commit()
    created = add_demo_archive(organiser, TODAY)
    db.session.commit()
    assert created["archived_operations"] == 1
    assert digest(by_name(DEMO_ARCHIVE_OPERATION)) == first
