"""A realistic demo: an operation in planning with the seed document's networks enrolling
their member states, last year's operation in its reporting phase with its results
(``demo_results``), and one account for every role."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    MembershipKind,
    Network,
    NetworkForm,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    PriorityKind,
    Role,
    User,
)
from opsplanner.services import accounts, phases, priorities
from opsplanner.services import operations as ops
from opsplanner.services.demo_archive import add_demo_archive
from opsplanner.services.demo_briefings import add_demo_briefings
from opsplanner.services.demo_directory import add_demo_directory
from opsplanner.services.demo_evaluation import add_demo_checklists, add_demo_evaluation
from opsplanner.services.demo_plans import add_demo_plans
from opsplanner.services.demo_results import add_demo_results
from opsplanner.services.priorities import PriorityInput

DEMO_PASSWORD = "wildlife-demo-2027"  # noqa: S105 - printed for the demo on purpose
DEMO_OPERATION = "Operation Pangolin Shield 2027"

DEMO_USERS = [
    # (email, name, role, country, network acronym)
    ("organiser@demo.opsplanner.org", "Ines Organiser", Role.ORGANISER, None, None),
    (
        "coordinator.asean@demo.opsplanner.org",
        "Somchai Coordinator",
        Role.COORDINATOR,
        None,
        "ASEAN-WEN",
    ),
    ("coordinator.latf@demo.opsplanner.org", "Amani Coordinator", Role.COORDINATOR, None, "LATF"),
    ("focal.ken@demo.opsplanner.org", "Wanjiru Focal Point", Role.FOCAL_POINT, "KEN", None),
    ("focal.tha@demo.opsplanner.org", "Niran Focal Point", Role.FOCAL_POINT, "THA", None),
    ("focal.vnm@demo.opsplanner.org", "Lan Focal Point", Role.FOCAL_POINT, "VNM", None),
    ("comms@demo.opsplanner.org", "Chloe Communications", Role.COMMUNICATIONS, None, None),
]

# (kind, title, description, details) -- details are the PriorityInput fields beyond these.
PRIORITIES: list[tuple[PriorityKind, str, str, dict[str, object]]] = [
    (
        PriorityKind.COMMODITY,
        "Pangolin scales and live pangolins",
        "Shipments from Central and West Africa to East and South-east Asia.",
        {"commodity": "pangolin_scales"},
    ),
    (
        PriorityKind.COMMODITY,
        "Ivory and rhino horn",
        "Raw and worked; report pieces and kg separately.",
        {"commodity": "ivory"},
    ),
    (
        PriorityKind.TRADE_ROUTE,
        "Africa to Asia air cargo and air passenger routes",
        "Transit hubs in the Gulf and South-east Asia.",
        {
            "origin_codes": ["M49:017", "M49:011", "M49:014"],  # Middle, Western, Eastern Africa
            "transit_codes": ["ARE", "QAT", "ETH", "SGP", "MYS"],
            "destination_codes": ["VNM", "CHN", "THA", "LAO"],
            "conveyances": ["air_cargo", "air_passenger"],
        },
    ),
    (
        PriorityKind.COMMODITY,
        "Live reptiles and birds",
        "Pet-trade species, incl. eggs.",
        {"commodity": "reptiles"},
    ),
    (
        PriorityKind.TRADE_ROUTE,
        "Latin America to Europe and Asia: live animals by post and air",
        "Reptiles, birds and amphibians sent by courier and in passenger luggage.",
        {
            "origin_codes": ["M49:005", "M49:013"],  # South and Central America
            "destination_codes": ["M49:155", "M49:030"],  # Western Europe, Eastern Asia
            "conveyances": ["postal_courier", "air_passenger"],
        },
    ),
    (
        PriorityKind.MODUS_OPERANDI,
        "Online advertising and postal delivery",
        "Marketplaces and social media; courier parcels.",
        {"conveyances": ["online", "postal_courier"]},
    ),
    (
        PriorityKind.COMMODITY,
        "Timber (rosewood)",
        "m3 and tonnes by national practice.",
        {"commodity": "timber"},
    ),
    (
        PriorityKind.CAPACITY_BUILDING,
        "Species identification at the border",
        "Front-line officers are not wildlife experts.",
        {},
    ),
]

# Geographic WENs coordinate first; discipline bodies pick up the countries left over.
COORDINATION_ORDER = (NetworkForm.GEOGRAPHIC, NetworkForm.COMMODITY, NetworkForm.DISCIPLINE)


def _network(acronym: str | None) -> Network | None:
    if acronym is None:
        return None
    return db.session.scalar(select(Network).where(Network.acronym == acronym))


def load_demo(today: date | None = None) -> dict[str, int]:
    """Create the demo if it is not there yet; the caller commits."""
    today = today or date.today()
    created = {"users": 0, "participations": 0, "operations": 0}
    users: dict[str, User] = {}
    for email, name, role, iso3, acronym in DEMO_USERS:
        user = accounts.find_by_email(email)
        if user is None:
            net = _network(acronym)
            user = accounts.create_user(
                email=email,
                name=name,
                role=role,
                country_iso3=iso3,
                network_id=net.id if net else None,
                password=DEMO_PASSWORD,
            )
            created["users"] += 1
        users[email] = user

    organiser = users["organiser@demo.opsplanner.org"]
    op = db.session.scalar(select(Operation).where(Operation.code_name == DEMO_OPERATION))
    if op is not None:
        # last year's operation with its results (added once, also to an older demo)
        created |= add_demo_results(organiser, today)
        created |= add_demo_archive(organiser, today)  # the year before, archived
        # every operation has its evaluation questionnaire (added once, also to an older demo)
        created |= add_demo_checklists(organiser)
        return created | add_demo_evaluation(organiser)
    wwd = date(today.year + (1 if (today.month, today.day) > (2, 1) else 0), 3, 3)
    schedule = ops.default_schedule(wwd)
    op = ops.create_operation(
        ops.OperationInput(
            code_name=DEMO_OPERATION,
            organising_agency=OrganisingAgency.INTERPOL,
            world_wildlife_day=wwd,
            secure_channel="CENcomm CUG 'PANGOLIN-SHIELD'; INTERPOL I-24/7",
            description="Global two-week operation before World Wildlife Day, organised on "
            "behalf of ICCWC and coordinated through the regional wildlife enforcement networks.",
            **schedule,  # type: ignore[arg-type]
        ),
        by=organiser,
    )
    op.phase = OperationPhase.PLANNING
    for kind, title, description, details in PRIORITIES:
        priorities.add(
            op,
            PriorityInput(kind=kind, title=title, description=description, **details),
            by=organiser,
        )
    created["operations"] = 1

    rng = random.Random(2027)  # the demo is the same on every machine
    networks = db.session.scalars(select(Network).order_by(Network.acronym)).all()
    networks = sorted(networks, key=lambda n: COORDINATION_ORDER.index(n.form))
    enrolled: dict[str, Participation] = {}
    for net in networks:
        if net.membership_kind is MembershipKind.COVERAGE and net.form is NetworkForm.DISCIPLINE:
            continue  # coverage proxies (INTERPOL bureaus) do not coordinate national activity
        for country in net.members_on(today):
            if country.iso3 in enrolled:
                continue
            p = ops.invite_country(op, country, net, by=organiser)
            roll = rng.random()
            if roll < 0.62:
                p.status, p.responded_at = ParticipationStatus.CONFIRMED, datetime.now(UTC)
            elif roll < 0.68:
                p.status, p.responded_at = ParticipationStatus.DECLINED, datetime.now(UTC)
                p.status_note = "No capacity during the window."
            enrolled[country.iso3] = p
    for email, _name, role, iso3, _acronym in DEMO_USERS:
        if role is Role.FOCAL_POINT and iso3 in enrolled:
            enrolled[iso3].focal_points.append(users[email])
            enrolled[iso3].status = ParticipationStatus.INVITED  # left for the demo user to answer
    created["participations"] = len(enrolled)
    db.session.flush()
    db.session.expire(op, ["priorities"])
    created |= add_demo_briefings(op, organiser, rng)
    created |= add_demo_plans(op, rng)
    # Ready for the pre-operational briefings: the guards hold (priorities, confirmed countries).
    phases.move(op, OperationPhase.BRIEFING, organiser, note="Priorities agreed; briefings held")
    db.session.flush()
    created |= add_demo_directory(rng, today)
    # Last year's operation, in its reporting phase: what results look like.
    created |= add_demo_results(organiser, today)
    created |= add_demo_archive(organiser, today)  # the year before, archived
    created |= add_demo_checklists(organiser)
    created |= add_demo_evaluation(organiser)
    return created
