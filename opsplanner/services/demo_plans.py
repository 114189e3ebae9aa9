"""Demo national activity plans: most confirmed countries plan a few realistic activities
linked to the operation's priorities, and coordinators leave a few comments.

Activities go through the same use case as the web form (``activities.create``), so the demo
obeys every planning rule; the operation must be in planning, briefing or active."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Agency,
    Operation,
    Participation,
    ParticipationStatus,
    Priority,
    PriorityKind,
    Role,
    User,
)
from opsplanner.services import activities, areas
from opsplanner.services.activities import ActivityInput

A = Agency


@dataclass(frozen=True)
class Template:
    title: str
    location: str
    agencies: tuple[Agency, ...]
    description: str = ""


# Locations are named generically: the demo must not point at a real facility's operations.
TEMPLATES: dict[str, list[Template]] = {
    "air_cargo_screening": [
        Template(
            "Risk-targeted screening of inbound air cargo",
            "International airport cargo terminal",
            (A.CUSTOMS, A.WILDLIFE, A.TRANSPORT),
            "Profiles on consignments declared as seafood, handicrafts or machinery parts.",
        ),
        Template(
            "X-ray and detector-dog checks of transit air cargo",
            "International airport cargo terminal",
            (A.CUSTOMS, A.POLICE),
        ),
    ],
    "air_passenger_screening": [
        Template(
            "Checked-baggage screening on flights from source regions",
            "International airport arrivals and transit halls",
            (A.CUSTOMS, A.POLICE, A.WILDLIFE),
        ),
    ],
    "port_border_inspection": [
        Template(
            "Container targeting and examination",
            "Main container port",
            (A.CUSTOMS, A.WILDLIFE, A.TRANSPORT),
            "Scanner images reviewed against the shared risk indicators.",
        ),
        Template(
            "Joint checks of trucks and travellers",
            "Main land border crossing",
            (A.CUSTOMS, A.POLICE),
        ),
    ],
    "postal_courier_screening": [
        Template(
            "X-ray of outbound and inbound parcels",
            "International mail processing centre",
            (A.CUSTOMS, A.TRANSPORT),
        ),
        Template(
            "Targeting of express-courier packets",
            "Express courier hub at the international airport",
            (A.CUSTOMS, A.WILDLIFE, A.TRANSPORT),
        ),
    ],
    "checkpoint_inland": [
        Template(
            "Road checkpoints on routes out of protected areas",
            "Highway checkpoints between the national parks and the capital",
            (A.POLICE, A.WILDLIFE, A.FORESTRY),
        ),
    ],
    "market_inspection": [
        Template(
            "Inspections of pet shops and traditional-medicine outlets",
            "Wildlife, pet and traditional-medicine markets in the capital",
            (A.WILDLIFE, A.POLICE, A.CITES_AUTHORITY),
        ),
    ],
    "premises_inspection": [
        Template(
            "Audit of licensed breeders and traders",
            "Licensed breeding facilities and traders",
            (A.WILDLIFE, A.CITES_AUTHORITY),
        ),
        Template(
            "Timber yard and sawmill inspections",
            "Timber yards and sawmills near the main port",
            (A.FORESTRY, A.CUSTOMS, A.POLICE),
        ),
    ],
    "online_monitoring": [
        Template(
            "Monitoring of online marketplaces and social media",
            "National cybercrime unit (online marketplaces and social media)",
            (A.POLICE, A.WILDLIFE),
            "Takedown requests to platforms; sellers referred for investigation.",
        ),
    ],
    "controlled_delivery": [
        Template(
            "Controlled delivery of a detected consignment",
            "From the port of entry to the consignee",
            (A.CUSTOMS, A.POLICE, A.PROSECUTORS),
        ),
    ],
    "intelligence_investigation": [
        Template(
            "Follow-up investigations of seizure cases",
            "National wildlife crime unit in the capital",
            (A.POLICE, A.WILDLIFE, A.PROSECUTORS),
        ),
    ],
    "financial_investigation": [
        Template(
            "Parallel financial investigations of seizure cases",
            "Financial intelligence unit in the capital",
            (A.FIU, A.POLICE, A.PROSECUTORS),
        ),
    ],
    "joint_cross_border": [
        Template(
            "Joint action with neighbouring countries' border posts",
            "Shared border crossings with neighbouring countries",
            (A.CUSTOMS, A.POLICE, A.WILDLIFE),
        ),
    ],
    "source_area_patrol": [
        Template(
            "Intensified patrols in poaching hot spots",
            "National parks and their buffer zones",
            (A.WILDLIFE, A.FORESTRY, A.POLICE),
        ),
    ],
    "species_identification": [
        Template(
            "Species identification support at the border",
            "Customs laboratory and front-line posts",
            (A.CUSTOMS, A.WILDLIFE, A.CITES_AUTHORITY),
        ),
    ],
    "awareness_capacity": [
        Template(
            "Briefing of front-line officers on the operation's priorities",
            "Customs and police training centres",
            (A.CUSTOMS, A.POLICE, A.WILDLIFE),
        ),
    ],
}

# Which activities a country plans for a priority: by conveyance on a route, by commodity.
CONVEYANCE_TYPES = {
    "air_cargo": "air_cargo_screening",
    "air_passenger": "air_passenger_screening",
    "sea_container": "port_border_inspection",
    "sea_vessel": "port_border_inspection",
    "road": "checkpoint_inland",
    "rail": "checkpoint_inland",
    "postal_courier": "postal_courier_screening",
    "online": "online_monitoring",
}
COMMODITY_TYPES = {
    "pangolin_scales": ("port_border_inspection", "intelligence_investigation"),
    "pangolins": ("market_inspection", "source_area_patrol"),
    "ivory": ("port_border_inspection", "financial_investigation", "market_inspection"),
    "rhino_horn": ("air_passenger_screening", "intelligence_investigation"),
    "reptiles": ("postal_courier_screening", "market_inspection", "premises_inspection"),
    "birds": ("market_inspection", "air_passenger_screening"),
    "timber": ("premises_inspection", "port_border_inspection", "checkpoint_inland"),
}
GENERAL_TYPES = ("market_inspection", "intelligence_investigation", "checkpoint_inland")
KIND_TYPES = {
    PriorityKind.CAPACITY_BUILDING: ("species_identification", "awareness_capacity"),
    PriorityKind.MODUS_OPERANDI: ("online_monitoring", "controlled_delivery"),
}

COMMENTS = [
    "Thank you: could you add the express courier hub? Several seizures last year came through it.",
    "Good plan. Please link the airport activity to the trade-route priority as well.",
    "A neighbouring member state plans joint checks on the same crossing; shall I put your "
    "teams in touch through the secure channel?",
    "Please confirm which agencies will report results, so that nothing is counted twice.",
    "Could one of the inspections take place in the first week, while the routes are busiest?",
]


def _route_countries(priorities: list[Priority]) -> dict[int, set[str]]:
    return {
        p.id: areas.expand(p.origin_codes + p.transit_codes + p.destination_codes)
        for p in priorities
        if p.kind is PriorityKind.TRADE_ROUTE
    }


def _candidates(
    p: Participation, priorities: list[Priority], routes: dict[int, set[str]]
) -> list[tuple[str, Priority]]:
    """(activity type, main priority) pairs a country would plausibly plan, route ones first."""
    on_route: list[tuple[str, Priority]] = []
    other: list[tuple[str, Priority]] = []
    for prio in priorities:
        if prio.kind is PriorityKind.TRADE_ROUTE:
            if p.country_iso3 in routes[prio.id]:
                on_route += [(CONVEYANCE_TYPES[c], prio) for c in prio.conveyances]
        elif prio.kind is PriorityKind.COMMODITY:
            codes = COMMODITY_TYPES.get(prio.commodity or "", GENERAL_TYPES)
            other += [(code, prio) for code in codes]
        else:
            other += [(code, prio) for code in KIND_TYPES.get(prio.kind, ())]
            other += [(CONVEYANCE_TYPES[c], prio) for c in prio.conveyances]
    return on_route + other


def add_demo_plans(op: Operation, rng: random.Random) -> dict[str, int]:
    """Plan 1-4 activities for most confirmed countries of ``op``; the caller commits."""
    created = {"activities": 0, "comments": 0}
    priorities = list(op.priorities)
    if not priorities:
        return created
    usable = {t.code for t in activities.active_types()} & set(TEMPLATES)
    routes = _route_countries(priorities)
    commodity_prios = [x for x in priorities if x.kind is PriorityKind.COMMODITY]
    coordinators = {
        u.network_id: u
        for u in db.session.scalars(
            select(User).where(User.role == Role.COORDINATOR, User.active.is_(True))
        )
        if u.network_id is not None
    }
    confirmed = db.session.scalars(
        select(Participation)
        .where(
            Participation.operation_id == op.id,
            Participation.status == ParticipationStatus.CONFIRMED,
        )
        .order_by(Participation.country_iso3)
    ).all()
    days = (op.window_end - op.window_start).days
    for p in confirmed:
        if rng.random() < 0.15:
            continue  # not every country has planned yet: the readiness board shows who
        # Keep the first pick of each type, then shuffle the rest for variety.
        picks: dict[str, Priority] = {}
        for code, prio in _candidates(p, priorities, routes):
            if code in usable:
                picks.setdefault(code, prio)
        ordered = list(picks.items())
        head = [x for x in ordered if x[1].kind is PriorityKind.TRADE_ROUTE]
        tail = [x for x in ordered if x[1].kind is not PriorityKind.TRADE_ROUTE]
        rng.shuffle(tail)
        chosen = (head + tail)[: rng.randint(1, 4)]
        by = p.focal_points[0] if p.focal_points else None
        for code, prio in chosen:
            template = rng.choice(TEMPLATES[code])
            linked = {prio.id}
            if commodity_prios and rng.random() < 0.6:
                linked.add(rng.choice(commodity_prios).id)
            start = op.window_start + timedelta(days=rng.randint(0, days))
            end = min(op.window_end, start + timedelta(days=rng.randint(0, 6)))
            activities.create(
                p,
                ActivityInput(
                    activity_type=code,
                    title=template.title,
                    description=template.description,
                    location=template.location,
                    start_date=start,
                    end_date=end,
                    priority_ids=sorted(linked),
                    agencies=[a.value for a in template.agencies],
                ),
                by=by,
            )
            created["activities"] += 1
        coordinator = coordinators.get(p.network_id)
        if chosen and coordinator is not None and rng.random() < 0.3:
            activities.add_comment(p, rng.choice(COMMENTS), by=coordinator)
            created["comments"] += 1
    db.session.flush()
    return created
