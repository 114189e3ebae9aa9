"""The demo's archived operation: the one before last year's, closed and read-only.

"Operation Silent Harbour" ran the year before "Operation Thunder Trail" with the member
states of the geographic networks (and a few countries without one). It went through every
phase to *archived*: its reports are all settled (approved, or never sent), its evaluation
questionnaire was answered by most countries and by the networks' coordinators, and the
coordinators kept their scoreboard checklists. With Thunder Trail it gives the comparison page
and the scoreboard two operations with results.

Built like ``demo_results`` (whose generators it reuses: seizures, reports with their review
history, highlight cases), smaller, and from its own seeded random generator, so it is the same
everywhere. Idempotent: a second call finds the operation and adds nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    CountryReport,
    EvaluationResponse,
    MembershipKind,
    Network,
    NetworkChecklistItem,
    NetworkForm,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    PhaseChange,
    Priority,
    ResponseStatus,
    Seizure,
    User,
)
from opsplanner.services import operations as ops
from opsplanner.services.demo_results import (
    PRIORITIES,
    _highlights,
    _report,
    _SeizureMaker,
    results_wwd,
    seat_demo_accounts,
)

DEMO_ARCHIVE_OPERATION = "Operation Silent Harbour"
SEED = 2025
WITHOUT_NETWORK = ("CHE", "NOR", "JPN", "NZL")
ANSWERS = {
    "lessons": [
        "Joint inspections with customs at the airport cargo terminal worked best.",
        "The secure channel was slow to set up: start it a month earlier.",
        "Laboratory support for species identification came too late for prosecutions.",
        "Sharing the list of targeted couriers before the window made a difference.",
    ],
    "capacity": [
        "Training on online trade investigations.",
        "Species identification kits for frontline officers.",
        "Handling and placement of live animals.",
        "Financial investigation training for wildlife crime units.",
    ],
    "comments": ["", "", "Thank you to the coordinating network for the daily updates."],
}


def archive_wwd(today: date) -> date:
    """The World Wildlife Day the year before the results demo's (Thunder Trail's)."""
    return date(results_wwd(today).year - 1, 3, 3)


def _enrol(op: Operation, organiser: User, rng: random.Random) -> list[Participation]:
    """The member states of the geographic networks, plus a few countries without a network."""
    networks = db.session.scalars(
        select(Network).where(Network.form == NetworkForm.GEOGRAPHIC).order_by(Network.acronym)
    ).all()
    enrolled: dict[str, Participation] = {}
    for net in networks:
        if net.membership_kind is MembershipKind.COVERAGE:
            continue
        for country in net.members_on(op.window_start):
            if country.iso3 not in enrolled:
                enrolled[country.iso3] = ops.invite_country(op, country, net, by=organiser)
    for iso3 in WITHOUT_NETWORK:
        country = db.session.get(Country, iso3)
        if country is not None and iso3 not in enrolled:
            enrolled[iso3] = ops.invite_country(op, country, None, by=organiser)
    invited_at = datetime.combine(op.window_start - timedelta(days=70), time(9), UTC)
    for p in sorted(enrolled.values(), key=lambda p: p.country_iso3):
        p.invited_at = invited_at
        roll = rng.random()
        if roll < 0.8 or p.country_iso3 in ("THA", "KEN", "VNM"):
            p.status = ParticipationStatus.CONFIRMED
        elif roll < 0.9:
            p.status = ParticipationStatus.DECLINED
            p.status_note = "No capacity during the window."
        if p.status is not ParticipationStatus.INVITED:
            p.responded_at = invited_at + timedelta(days=rng.randint(3, 30))
    return sorted(enrolled.values(), key=lambda p: p.country_iso3)


def _history(op: Operation, organiser: User) -> None:
    P = OperationPhase
    steps = [
        (P.DRAFT, P.PLANNING, op.window_start - timedelta(days=90)),
        (P.PLANNING, P.BRIEFING, op.window_start - timedelta(days=21)),
        (P.BRIEFING, P.ACTIVE, op.window_start),
        (P.ACTIVE, P.REPORTING, op.window_end),
        (P.REPORTING, P.EVALUATION, op.reporting_deadline.date() + timedelta(days=1)),
        (P.EVALUATION, P.PUBLISHED, op.embargo_until.date()),
        (P.PUBLISHED, P.ARCHIVED, op.embargo_until.date() + timedelta(days=120)),
    ]
    for before, after, day in steps:
        db.session.add(
            PhaseChange(
                operation=op,
                from_phase=before,
                to_phase=after,
                at=datetime.combine(day, time(8), UTC),
                by_id=organiser.id,
            )
        )


def _evaluation(
    op: Operation,
    organiser: User,
    rng: random.Random,
    reporters: list[Participation],
    coordinators: dict[int, User],
    focal_points: dict[str, User],
) -> dict[str, int]:
    """The questionnaire (the defaults, frozen by the first answer), answers from most of the
    countries that reported and from every network's coordinator, and the checklists."""
    from opsplanner.services.evaluation import ensure_questionnaire

    q = ensure_questionnaire(op, organiser)
    opened = datetime.combine(op.reporting_deadline.date() + timedelta(days=1), time(9), UTC)
    q.frozen_at = opened + timedelta(days=2)
    dimensions = [d["code"] for d in q.dimensions]
    challenges = [c["code"] for c in q.challenges]
    questions = [x["code"] for x in q.questions]

    def answer(**respondent: int) -> EvaluationResponse:
        submitted = opened + timedelta(days=rng.randint(2, 30), hours=rng.randint(0, 10))
        return EvaluationResponse(
            operation_id=op.id,
            questionnaire_id=q.id,
            status=ResponseStatus.SUBMITTED,
            ratings={
                code: (None if rng.random() < 0.08 else rng.randint(2, q.scale_max))
                for code in dimensions
            },
            challenges=sorted(rng.sample(challenges, k=rng.randint(1, min(4, len(challenges))))),
            answers={code: rng.choice(ANSWERS.get(code, ANSWERS["lessons"])) for code in questions},
            created_at=submitted - timedelta(days=1),
            updated_at=submitted,
            submitted_at=submitted,
            **respondent,
        )

    responses = []
    for p in reporters:
        if rng.random() < 0.75 or p.country_iso3 in focal_points:
            r = answer(participation_id=p.id)
            fp = focal_points.get(p.country_iso3)
            r.submitted_by_id = r.updated_by_id = fp.id if fp else None
            responses.append(r)
    network_ids = sorted({p.network_id for p in op.participations if p.network_id is not None})
    checklist = 0
    from opsplanner.services.scoreboard import CHECKLIST_CODES

    for network_id in network_ids:
        coordinator = coordinators.get(network_id)
        if coordinator is not None or rng.random() < 0.7:
            r = answer(network_id=network_id)
            r.submitted_by_id = r.updated_by_id = coordinator.id if coordinator else None
            responses.append(r)
        for code in CHECKLIST_CODES:
            db.session.add(
                NetworkChecklistItem(
                    operation_id=op.id,
                    network_id=network_id,
                    item=code,
                    done=rng.random() < 0.65,
                    note="",
                    updated_at=opened + timedelta(days=rng.randint(0, 25)),
                    updated_by_id=coordinator.id if coordinator else organiser.id,
                )
            )
            checklist += 1
    db.session.add_all(responses)
    return {"archived_evaluation_responses": len(responses), "archived_checklist_items": checklist}


def add_demo_archive(organiser: User, today: date | None = None) -> dict[str, int]:
    """Create the archived operation with its results and evaluation, once; the caller
    commits."""
    created = {"archived_operations": 0}
    if db.session.scalar(select(Operation.id).where(Operation.code_name == DEMO_ARCHIVE_OPERATION)):
        return created
    today = today or date.today()
    rng = random.Random(SEED)
    schedule = ops.default_schedule(archive_wwd(today))
    op = ops.create_operation(
        ops.OperationInput(
            code_name=DEMO_ARCHIVE_OPERATION,
            organising_agency=OrganisingAgency.INTERPOL,
            world_wildlife_day=archive_wwd(today),
            secure_channel="INTERPOL I-24/7 'SILENT-HARBOUR'",
            description="The operation before last: published, evaluated and archived. Its "
            "records are read-only; start a new operation from its set-up to reuse it.",
            **schedule,  # type: ignore[arg-type]
        ),
        by=organiser,
    )
    op.guidelines = (
        "Report every seizure within 48 hours through the secure channel; mark cases under "
        "investigation as sensitive."
    )
    db.session.add_all(
        Priority(operation=op, rank=rank, kind=kind, title=title, commodity=commodity)
        for rank, kind, title, commodity in PRIORITIES
    )
    _history(op, organiser)
    op.phase = OperationPhase.EVALUATION  # archived at the end, once everything is in
    op.template_frozen_at = datetime.combine(op.window_end, time(8), UTC)
    op.evaluation_deadline = op.reporting_deadline + timedelta(days=35)
    db.session.flush()
    db.session.expire(op, ["priorities"])

    participations = _enrol(op, organiser, rng)
    focal_points, coordinators = seat_demo_accounts(participations)

    maker = _SeizureMaker(op, rng)
    all_seizures: list[Seizure] = []
    reports: list[tuple[Participation, CountryReport, list[Seizure]]] = []
    for p in participations:
        if p.status is not ParticipationStatus.CONFIRMED:
            continue
        if rng.random() < 0.1 and p.country_iso3 not in focal_points:
            continue  # confirmed, never reported
        n = max(1, min(40, int(rng.lognormvariate(2.0, 0.7))))
        rows = maker.make(p, n)
        all_seizures += rows
        report = _report(
            p, "approved", rows, op.reporting_deadline, rng, organiser, coordinators, focal_points
        )
        reports.append((p, report, rows))
    db.session.add_all(all_seizures)
    db.session.add_all(r for _p, r, _rows in reports)
    db.session.flush()
    highlights = _highlights(reports, rng, focal_points)
    evaluation = _evaluation(
        op, organiser, rng, [p for p, _r, _s in reports], coordinators, focal_points
    )
    op.phase = OperationPhase.ARCHIVED
    db.session.flush()
    created.update(
        archived_operations=1,
        archived_seizures=len(all_seizures),
        archived_reports=len(reports),
        archived_highlights=highlights,
        **evaluation,
    )
    return created
