"""The demo's results: last year's operation, now in its reporting phase, with the picture an
organiser sees a few weeks after the deadline.

"Operation Thunder Trail" ran the year before the planning demo. Its member states reported
2,000+ seizures (realistic commodity, species and unit pairs from the shipped reference, dates
inside the window, some sensitive, some publishable, some with a free-text species), national
results and highlight cases with consent. Reports are in every state of the review: approved,
validated, submitted, returned with a comment, drafts, and confirmed countries with nothing
yet; some were submitted after the deadline. A few countries take part without a coordinating
network. The demo focal points' countries: Thailand approved, Kenya returned, Viet Nam a draft
that the reminders chased.

Rows are built directly (valid values from the reference, ``source=demo``) and inserted in bulk
so that the demo loads in a second; a seeded random generator makes it the same everywhere.
Idempotent: a second call finds the operation and adds nothing.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Agency,
    Country,
    CountryReport,
    DetectionMethod,
    HighlightCase,
    MembershipKind,
    Network,
    NetworkForm,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    PhaseChange,
    Priority,
    PriorityKind,
    RecordSource,
    ReportStatus,
    ReportTransition,
    Role,
    Seizure,
    SeizureQuantity,
    Species,
    User,
)
from opsplanner.reference.vocabularies import commodity_units
from opsplanner.services import operations as ops
from opsplanner.services import report_reminders

DEMO_RESULTS_OPERATION = "Operation Thunder Trail"
SEED = 2026
COORDINATION_ORDER = (NetworkForm.GEOGRAPHIC, NetworkForm.COMMODITY, NetworkForm.DISCIPLINE)
# Countries that take part directly, without a coordinating network (when not enrolled already).
WITHOUT_NETWORK = ("CHE", "NOR", "ISR", "URY", "MNG", "MDG", "PNG", "NZL", "ISL", "JPN")

# (rank, kind, title, commodity)
PRIORITIES = [
    (1, PriorityKind.COMMODITY, "Pangolin scales and live pangolins", "pangolin_scales"),
    (2, PriorityKind.COMMODITY, "Ivory and rhino horn", "ivory"),
    (3, PriorityKind.COMMODITY, "Live reptiles and birds for the pet trade", "reptiles"),
    (4, PriorityKind.COMMODITY, "Rosewood and other CITES-listed timber", "timber"),
    (5, PriorityKind.MODUS_OPERANDI, "Online advertising and postal delivery", None),
]
PRIORITY_OF = {
    "pangolin_scales": 1,
    "pangolins": 1,
    "ivory": 2,
    "rhino_horn": 2,
    "reptiles": 3,
    "birds": 3,
    "timber": 4,
}

# What each region seizes most (weights)
COMMODITY_WEIGHTS: dict[str, dict[str, int]] = {
    "Africa": {
        "ivory": 14,
        "pangolin_scales": 10,
        "pangolins": 5,
        "wild_meat": 12,
        "big_cats": 6,
        "rhino_horn": 4,
        "birds": 8,
        "reptiles": 8,
        "primates": 5,
        "timber": 8,
        "marine_products": 5,
        "derivatives": 6,
        "live_animals_other": 3,
        "plants": 3,
        "other": 3,
    },
    "Asia": {
        "ivory": 8,
        "pangolin_scales": 10,
        "pangolins": 4,
        "reptiles": 12,
        "birds": 10,
        "marine_products": 12,
        "derivatives": 14,
        "timber": 10,
        "big_cats": 4,
        "rhino_horn": 3,
        "primates": 3,
        "live_animals_other": 4,
        "plants": 5,
        "wild_meat": 3,
        "other": 4,
    },
    "Americas": {
        "birds": 16,
        "reptiles": 14,
        "marine_products": 14,
        "timber": 10,
        "primates": 4,
        "plants": 8,
        "derivatives": 10,
        "live_animals_other": 8,
        "big_cats": 2,
        "wild_meat": 4,
        "ivory": 2,
        "other": 3,
    },
    "Europe": {
        "reptiles": 14,
        "derivatives": 16,
        "marine_products": 14,
        "birds": 10,
        "plants": 10,
        "ivory": 6,
        "timber": 6,
        "wild_meat": 6,
        "live_animals_other": 5,
        "other": 5,
        "big_cats": 2,
    },
    "Oceania": {
        "reptiles": 16,
        "birds": 14,
        "marine_products": 16,
        "plants": 8,
        "derivatives": 8,
        "timber": 4,
        "live_animals_other": 6,
        "other": 3,
    },
}

# (low, high) of a plausible quantity per commodity and unit; counts are whole numbers
AMOUNTS: dict[tuple[str, str], tuple[float, float]] = {
    ("ivory", "kg"): (0.2, 450),
    ("ivory", "pieces"): (1, 120),
    ("rhino_horn", "pieces"): (1, 12),
    ("rhino_horn", "kg"): (0.5, 40),
    ("pangolin_scales", "kg"): (2, 2500),
    ("pangolins", "live"): (1, 8),
    ("pangolins", "dead"): (1, 30),
    ("pangolins", "kg"): (5, 400),
    ("big_cats", "pieces"): (1, 15),
    ("big_cats", "live"): (1, 3),
    ("big_cats", "dead"): (1, 2),
    ("big_cats", "kg"): (0.5, 60),
    ("primates", "live"): (1, 6),
    ("primates", "dead"): (1, 10),
    ("primates", "pieces"): (1, 20),
    ("birds", "live"): (1, 300),
    ("birds", "dead"): (1, 50),
    ("birds", "eggs"): (2, 150),
    ("birds", "pieces"): (1, 200),
    ("reptiles", "live"): (1, 600),
    ("reptiles", "dead"): (1, 80),
    ("reptiles", "eggs"): (5, 500),
    ("reptiles", "pieces"): (1, 400),
    ("reptiles", "kg"): (0.5, 300),
    ("marine_products", "kg"): (1, 3000),
    ("marine_products", "pieces"): (1, 5000),
    ("marine_products", "live"): (1, 2000),
    ("timber", "m3"): (0.5, 150),
    ("timber", "tonnes"): (1, 80),
    ("timber", "truckloads"): (1, 6),
    ("timber", "pieces"): (5, 900),
    ("plants", "pieces"): (1, 800),
    ("plants", "live"): (1, 300),
    ("plants", "kg"): (0.5, 500),
    ("wild_meat", "kg"): (1, 350),
    ("derivatives", "pieces"): (1, 1500),
    ("derivatives", "kg"): (0.1, 200),
    ("derivatives", "litres"): (0.5, 60),
    ("live_animals_other", "live"): (1, 120),
    ("other", "pieces"): (1, 300),
    ("other", "kg"): (0.5, 150),
}
WHOLE_UNITS = frozenset({"pieces", "live", "dead", "eggs", "truckloads"})

CONVEYANCES: dict[str, dict[str, int]] = {
    "ivory": {
        "air_cargo": 4,
        "air_passenger": 4,
        "sea_container": 4,
        "road": 3,
        "postal_courier": 1,
    },
    "rhino_horn": {"air_passenger": 6, "air_cargo": 2, "road": 3},
    "pangolin_scales": {"sea_container": 6, "air_cargo": 4, "air_passenger": 2, "road": 2},
    "pangolins": {"road": 6, "online": 2, "air_passenger": 1},
    "big_cats": {"road": 4, "air_passenger": 2, "postal_courier": 2, "online": 2},
    "primates": {"road": 4, "air_passenger": 3, "online": 2},
    "birds": {"air_passenger": 4, "road": 4, "postal_courier": 2, "online": 2},
    "reptiles": {"postal_courier": 4, "air_passenger": 4, "air_cargo": 2, "road": 2, "online": 2},
    "marine_products": {"air_cargo": 4, "sea_container": 3, "sea_vessel": 3, "air_passenger": 2},
    "timber": {"sea_container": 6, "road": 5, "rail": 1},
    "plants": {"postal_courier": 4, "air_passenger": 3, "online": 2, "road": 1},
    "wild_meat": {"air_passenger": 6, "road": 4},
    "derivatives": {"postal_courier": 5, "online": 3, "air_passenger": 3, "air_cargo": 1},
    "live_animals_other": {"air_passenger": 3, "road": 3, "online": 2},
    "other": {"postal_courier": 3, "road": 2, "air_passenger": 2},
}
PLACES = {
    "air_cargo": ["International airport cargo terminal", "Air cargo transit shed"],
    "air_passenger": ["International airport, arrivals hall", "International airport, transit"],
    "sea_container": ["Main container port", "Container freight station"],
    "sea_vessel": ["Fishing port", "Coastal patrol, territorial waters"],
    "road": ["Land border crossing", "Highway checkpoint", "Wildlife market", "Roadside check"],
    "rail": ["Railway border station"],
    "postal_courier": ["International mail processing centre", "Express courier hub"],
    "online": ["Online marketplace (controlled purchase)", "Social media seller (search)"],
}
DESCRIPTIONS = {
    "ivory": ["Raw tusks wrapped in hessian sacks", "Worked ivory bangles and carvings"],
    "rhino_horn": [
        "Horn pieces wrapped in foil in checked baggage",
        "Whole horns in a false bottom",
    ],
    "pangolin_scales": ["Scales in sacks declared as fish maw", "Scales under cashew nuts"],
    "pangolins": ["Live animals in crates in a private car", "Frozen carcasses in a cool box"],
    "big_cats": ["Skins and claws offered for sale", "Bones and teeth in luggage"],
    "primates": ["Infant primates in a basket", "Skulls and hands for sale"],
    "birds": ["Parrots in plastic tubes", "Songbirds in a passenger's luggage"],
    "reptiles": ["Tortoises taped in socks", "Lizards and snakes in a parcel"],
    "marine_products": ["Dried sea cucumbers", "Shark fins in cartons", "Glass eels in bags"],
    "timber": ["Rosewood logs in a container", "Sawn timber without permits"],
    "plants": ["Wild-collected orchids", "Cacti with roots in a parcel"],
    "wild_meat": ["Smoked bushmeat in passenger bags", "Fresh carcasses in a vehicle"],
    "derivatives": ["Traditional medicine with animal parts", "Leather goods of listed species"],
    "live_animals_other": ["Live otters in a crate", "Poison frogs in film canisters"],
    "other": ["Musk pods in luggage", "Butterflies in envelopes"],
}
FREE_TEXT_SPECIES = {
    "birds": "Psittacidae, species not identified",
    "reptiles": "Unidentified tortoise species",
    "marine_products": "Shark fins, species not identified",
    "timber": "Dalbergia sp., awaiting wood identification",
    "plants": "Orchid, species not identified",
    "derivatives": "Animal parts in medicine, species not stated on the label",
    "wild_meat": "Duiker (Cephalophinae)",
    "other": "Butterflies, several species",
}
AFRICAN_SOURCES = ["NGA", "CMR", "COD", "COG", "MOZ", "UGA", "KEN", "TZA", "AGO", "ZAF", "GAB"]
ASIAN_MARKETS = ["VNM", "CHN", "THA", "LAO", "MYS", "KHM", "HKG"]
TRANSIT_HUBS = ["ARE", "ETH", "QAT", "SGP", "TUR", "MYS"]
AGENCY_WEIGHTS = {
    Agency.CUSTOMS: 50,
    Agency.POLICE: 20,
    Agency.WILDLIFE: 20,
    Agency.FORESTRY: 5,
    Agency.OTHER: 2,
}
DETECTION_WEIGHTS = {
    DetectionMethod.RISK_PROFILING: 22,
    DetectionMethod.XRAY_SCANNER: 22,
    DetectionMethod.PHYSICAL_INSPECTION: 20,
    DetectionMethod.DETECTOR_DOG: 8,
    DetectionMethod.INTELLIGENCE: 14,
    DetectionMethod.TIP_OFF: 8,
    DetectionMethod.CONTROLLED_DELIVERY: 2,
    DetectionMethod.OTHER: 2,
}
# share of confirmed countries per report state (the demo users' countries are fixed)
REPORT_MIX = [
    ("approved", 45),
    ("validated", 18),
    ("submitted", 14),
    ("returned", 6),
    ("draft", 9),
    ("nothing", 8),
]
RETURN_COMMENTS = [
    "Two seizures give kg and pieces in one figure: give each unit as its own quantity.",
    "Several seizures have no detection method; please complete them before resubmitting.",
    "The national results say 0 arrests but the seizures list 5: please reconcile.",
    "Please give the scientific name where the species was identified by the laboratory.",
]
HIGHLIGHT_TEMPLATE = (
    "{agency} officers at the {place} seized {amount} of {commodity} ({species}) during the "
    "operation, after {detection}. {arrests}"
)


def results_wwd(today: date) -> date:
    """Last year's World Wildlife Day whose reporting deadline is at least 45 days past, so
    that late reports, validations and approvals all lie in the past."""
    wwd = date(today.year, 3, 3)
    deadline = ops.default_schedule(wwd)["reporting_deadline"]
    assert isinstance(deadline, datetime)
    if deadline.date() > today - timedelta(days=45):
        wwd = date(today.year - 1, 3, 3)
    return wwd


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _amount(rng: random.Random, commodity: str, unit: str) -> Decimal:
    low, high = AMOUNTS.get((commodity, unit), (1, 100))
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    if unit in WHOLE_UNITS:
        return Decimal(max(1, round(value)))
    return Decimal(str(round(value, 1 if value >= 10 else 3))) or Decimal("0.1")


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(6, 18), rng.choice((0, 15, 30, 45))), UTC)


def _enrol(op: Operation, organiser: User, rng: random.Random, on: date) -> list[Participation]:
    networks = db.session.scalars(select(Network).order_by(Network.acronym)).all()
    networks = sorted(networks, key=lambda n: COORDINATION_ORDER.index(n.form))
    enrolled: dict[str, Participation] = {}
    for net in networks:
        if net.membership_kind is MembershipKind.COVERAGE and net.form is NetworkForm.DISCIPLINE:
            continue
        for country in net.members_on(on):
            if country.iso3 not in enrolled:
                enrolled[country.iso3] = ops.invite_country(op, country, net, by=organiser)
    for iso3 in WITHOUT_NETWORK:
        country = db.session.get(Country, iso3)
        if country is not None and iso3 not in enrolled:
            enrolled[iso3] = ops.invite_country(op, country, None, by=organiser)
    invited_at = datetime.combine(op.window_start - timedelta(days=75), time(9), UTC)
    for p in enrolled.values():
        p.invited_at = invited_at
        roll = rng.random()
        if roll < 0.86 or p.country_iso3 in ("THA", "KEN", "VNM"):
            p.status = ParticipationStatus.CONFIRMED
        elif roll < 0.93:
            p.status = ParticipationStatus.DECLINED
            p.status_note = "No capacity during the window."
        if p.status is not ParticipationStatus.INVITED:
            p.responded_at = invited_at + timedelta(days=rng.randint(3, 40))
    return sorted(enrolled.values(), key=lambda p: p.country_iso3)


class _SeizureMaker:
    """Builds one country's seizures from the reference (no query per row)."""

    def __init__(self, op: Operation, rng: random.Random) -> None:
        self.op, self.rng = op, rng
        self.units = commodity_units()
        self.species: dict[str, list[int]] = defaultdict(list)
        for sid, commodities in db.session.execute(select(Species.id, Species.commodities)):
            for c in commodities or ():
                self.species[c].append(sid)
        self.priority_ids = {p.rank: p.id for p in op.priorities}
        self.days = (op.window_end - op.window_start).days

    def make(self, p: Participation, n: int) -> list[Seizure]:
        rng, iso3 = self.rng, p.country_iso3
        region = p.country.region or "Asia"
        weights = COMMODITY_WEIGHTS.get(region, COMMODITY_WEIGHTS["Asia"])
        rows: list[Seizure] = []
        for i in range(1, n + 1):
            commodity = _weighted(rng, weights)
            conveyance = _weighted(rng, CONVEYANCES[commodity])
            units = self.units[commodity]
            chosen = [rng.choice(units)]
            if len(units) > 1 and rng.random() < 0.2:
                chosen.append(rng.choice([u for u in units if u != chosen[0]]))
            free_text = commodity in FREE_TEXT_SPECIES and rng.random() < 0.05
            species_id = None if free_text else rng.choice(self.species[commodity])
            origin, transit, destination = self._route(region, iso3, commodity, conveyance)
            suspects = rng.choices((0, 1, 2, 3, 5), weights=(30, 40, 18, 8, 4))[0]
            sensitive = rng.random() < 0.06
            rank = PRIORITY_OF.get(commodity)
            if rank is None and conveyance in ("online", "postal_courier"):
                rank = 5
            seized_on = self.op.window_start + timedelta(days=rng.randint(0, self.days))
            entered = _at(seized_on + timedelta(days=rng.randint(0, 4)), rng)
            rows.append(
                Seizure(
                    participation_id=p.id,
                    created_at=entered,
                    updated_at=entered,
                    national_reference=f"{p.country.iso2}-{self.op.window_start.year}-{i:04d}",
                    seized_on=seized_on,
                    place=rng.choice(PLACES[conveyance]),
                    port="",
                    agency=(
                        Agency.FORESTRY.value
                        if commodity == "timber" and rng.random() < 0.4
                        else _weighted(rng, AGENCY_WEIGHTS).value
                    ),
                    detection_method=(
                        DetectionMethod.ONLINE_MONITORING
                        if conveyance == "online"
                        else _weighted(rng, DETECTION_WEIGHTS)
                    ),
                    species_id=species_id,
                    species_other=FREE_TEXT_SPECIES[commodity] if free_text else "",
                    commodity=commodity,
                    description=rng.choice(DESCRIPTIONS[commodity]),
                    conveyance=conveyance,
                    origin_codes=origin,
                    transit_codes=transit,
                    destination_codes=destination,
                    online_linked=conveyance == "online"
                    or (conveyance == "postal_courier" and rng.random() < 0.4),
                    priority_id=self.priority_ids.get(rank) if rank else None,
                    suspects=suspects,
                    arrests=rng.randint(0, suspects),
                    sensitive=sensitive,
                    publishable=not sensitive and rng.random() < 0.4,
                    source=RecordSource.DEMO,
                    quantities=[
                        SeizureQuantity(position=k, unit=u, amount=_amount(rng, commodity, u))
                        for k, u in enumerate(chosen)
                    ],
                )
            )
        return rows

    def _route(
        self, region: str, iso3: str, commodity: str, conveyance: str
    ) -> tuple[list[str], list[str], list[str]]:
        rng = self.rng
        trafficked = commodity in ("ivory", "rhino_horn", "pangolin_scales", "pangolins")
        if trafficked and region == "Africa":
            origin = [iso3] if rng.random() < 0.6 else [rng.choice(AFRICAN_SOURCES)]
            destination = [rng.choice(ASIAN_MARKETS)]
        elif trafficked and region == "Asia":
            origin, destination = [rng.choice(AFRICAN_SOURCES)], [iso3]
        else:
            origin = [iso3] if rng.random() < 0.7 else [rng.choice(AFRICAN_SOURCES + ASIAN_MARKETS)]
            destination = [iso3] if rng.random() < 0.4 else [rng.choice(ASIAN_MARKETS)]
        transit = (
            [rng.choice(TRANSIT_HUBS)]
            if conveyance in ("air_cargo", "air_passenger") and rng.random() < 0.35
            else []
        )
        return origin, [t for t in transit if t not in origin + destination], destination


def seat_demo_accounts(
    participations: list[Participation],
) -> tuple[dict[str, User], dict[int, User]]:
    """Name the demo focal points on their countries' participations; returns the demo focal
    points by country and the demo coordinators by network."""
    demo_users = _demo_users()
    focal_points = {u.country_iso3: u for u in demo_users.values() if u.role is Role.FOCAL_POINT}
    coordinators = {
        u.network_id: u for u in demo_users.values() if u.role is Role.COORDINATOR and u.network_id
    }
    for p in participations:
        if p.country_iso3 in focal_points:
            p.focal_points.append(focal_points[p.country_iso3])
    db.session.flush()
    return focal_points, coordinators


def _demo_users() -> dict[str, User]:
    return {
        u.email: u
        for u in db.session.scalars(select(User).where(User.email.like("%@demo.opsplanner.org")))
    }


def add_demo_results(organiser: User, today: date | None = None) -> dict[str, int]:
    """Create last year's operation with its results, once; the caller commits."""
    created = {"results_operations": 0, "seizures": 0, "reports": 0, "highlights": 0}
    if db.session.scalar(select(Operation.id).where(Operation.code_name == DEMO_RESULTS_OPERATION)):
        return created
    today = today or date.today()
    rng = random.Random(SEED)
    wwd = results_wwd(today)
    schedule = ops.default_schedule(wwd)
    op = ops.create_operation(
        ops.OperationInput(
            code_name=DEMO_RESULTS_OPERATION,
            organising_agency=OrganisingAgency.WCO,
            world_wildlife_day=wwd,
            secure_channel="CENcomm CUG 'THUNDER-TRAIL'",
            description="Last year's global operation, in its reporting phase: results are "
            "being validated and approved while late reports come in.",
            **schedule,  # type: ignore[arg-type]
        ),
        by=organiser,
    )
    deadline = op.reporting_deadline
    db.session.add_all(
        Priority(operation=op, rank=rank, kind=kind, title=title, commodity=commodity)
        for rank, kind, title, commodity in PRIORITIES
    )
    steps = [
        (OperationPhase.DRAFT, OperationPhase.PLANNING, op.window_start - timedelta(days=90)),
        (OperationPhase.PLANNING, OperationPhase.BRIEFING, op.window_start - timedelta(days=21)),
        (OperationPhase.BRIEFING, OperationPhase.ACTIVE, op.window_start),
        (OperationPhase.ACTIVE, OperationPhase.REPORTING, op.window_end),
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
    op.phase = OperationPhase.REPORTING
    op.template_frozen_at = datetime.combine(op.window_end, time(8), UTC)
    db.session.flush()
    db.session.expire(op, ["priorities"])

    participations = _enrol(op, organiser, rng, op.window_start)
    by_country, coordinators = seat_demo_accounts(participations)

    maker = _SeizureMaker(op, rng)
    fixed = {"THA": "approved", "KEN": "returned", "VNM": "draft"}
    states = [s for s, _w in REPORT_MIX]
    weights = [w for _s, w in REPORT_MIX]
    all_seizures: list[Seizure] = []
    reports: list[tuple[Participation, CountryReport, list[Seizure]]] = []
    for p in participations:
        if p.status is not ParticipationStatus.CONFIRMED:
            continue
        state = fixed.get(p.country_iso3) or rng.choices(states, weights=weights)[0]
        if state == "nothing":
            continue
        n = max(1, min(150, int(rng.lognormvariate(2.8, 0.8))))
        rows = maker.make(p, n)
        all_seizures += rows
        report = _report(p, state, rows, deadline, rng, organiser, coordinators, by_country)
        reports.append((p, report, rows))
    db.session.add_all(all_seizures)
    db.session.add_all(r for _p, r, _rows in reports)
    db.session.flush()
    created["highlights"] = _highlights(reports, rng, by_country)
    db.session.flush()
    created.update(
        results_operations=1,
        seizures=len(all_seizures),
        reports=len(reports),
    )
    # The reminders the daily task recorded before and after the deadline (kept in the outbox:
    # the demo sends no e-mail).
    reminders = 0
    for days in (-6, -1, 1):  # the daily run at 06:00 UTC
        moment = datetime.combine(deadline.date() + timedelta(days=days), time(6), UTC)
        reminders += len(report_reminders.remind_due(moment, send=False, only=op, commit=False))
    created["reminders"] = reminders
    return created


def _report(
    p: Participation,
    state: str,
    seizures: list[Seizure],
    deadline: datetime,
    rng: random.Random,
    organiser: User,
    coordinators: dict[int, User],
    focal_points: dict[str, User],
) -> CountryReport:
    """The country's report in ``state``, with national results and its review history."""
    arrests = sum(s.arrests for s in seizures)
    suspects = sum(s.suspects for s in seizures)
    nationalities: dict[str, int] = {}
    if suspects:
        own = max(1, round(suspects * rng.uniform(0.5, 1)))
        nationalities[p.country_iso3] = own
        if suspects - own > 0:
            other = rng.choice([c for c in AFRICAN_SOURCES + ASIAN_MARKETS if c != p.country_iso3])
            nationalities[other] = suspects - own
    investigations = rng.randint(0, max(1, len(seizures) // 3))
    report = CountryReport(
        participation_id=p.id,
        status=ReportStatus.DRAFT,
        arrests=arrests + rng.choice((0, 0, 1, 2)),
        suspects_by_nationality=nationalities,
        investigations_opened=investigations,
        prosecutions_initiated=rng.randint(0, investigations),
        companies_implicated=rng.choice((0, 0, 0, 1, 2)),
        criminal_networks_identified=rng.choice((0, 0, 0, 1)),
        financial_investigations_opened=rng.choice((0, 0, 1)),
        online_adverts_removed=rng.choice((0, 0, 0, 12, 45, 130)),
        online_accounts_removed=rng.choice((0, 0, 0, 3, 9)),
        international_notices_requested=rng.choice((0, 0, 0, 1)),
        consent_to_be_named=rng.random() < 0.65,
        notes="",
    )
    if rng.random() < 0.12:
        report.assets_seized_amount = Decimal(rng.randrange(5_000, 500_000, 500))
        report.assets_seized_currency = rng.choice(("USD", "EUR"))
    if state == "draft":
        report.consent_to_be_named = False
        return report
    fp = focal_points.get(p.country_iso3)
    coordinator = coordinators.get(p.network_id) if p.network_id else None
    late = rng.random() < 0.15 and p.country_iso3 not in ("THA",)
    submitted = (
        deadline + timedelta(days=rng.randint(1, 18), hours=rng.randint(0, 20))
        if late
        else deadline - timedelta(days=rng.randint(0, 9), hours=rng.randint(0, 20))
    )
    report.status = ReportStatus.SUBMITTED
    report.first_submitted_at = report.submitted_at = submitted
    report.submitted_by_id = fp.id if fp else None
    history = [("submit", ReportStatus.DRAFT, ReportStatus.SUBMITTED, submitted, fp, "")]
    if state == "returned":
        when = submitted + timedelta(days=rng.randint(1, 4))
        comment = rng.choice(RETURN_COMMENTS)
        by = coordinator or organiser
        history.append(("return", ReportStatus.SUBMITTED, ReportStatus.RETURNED, when, by, comment))
        report.status, report.return_comment = ReportStatus.RETURNED, comment
    if state in ("validated", "approved"):
        when = submitted + timedelta(days=rng.randint(1, 5), hours=rng.randint(1, 8))
        by = coordinator if coordinator else organiser
        history.append(("validate", ReportStatus.SUBMITTED, ReportStatus.VALIDATED, when, by, ""))
        report.status, report.validated_at, report.validated_by_id = (
            ReportStatus.VALIDATED,
            when,
            by.id,
        )
    if state == "approved":
        when = report.validated_at + timedelta(days=rng.randint(1, 7))  # type: ignore[operator]
        history.append(
            ("approve", ReportStatus.VALIDATED, ReportStatus.APPROVED, when, organiser, "")
        )
        report.status, report.approved_at, report.approved_by_id = (
            ReportStatus.APPROVED,
            when,
            organiser.id,
        )
    report.transitions = [
        ReportTransition(
            action=action,
            from_status=before,
            to_status=after,
            at=at,
            by_id=by.id if by else None,
            comment=comment,
        )
        for action, before, after, at, by, comment in history
    ]
    return report


def _highlights(
    reports: list[tuple[Participation, CountryReport, list[Seizure]]],
    rng: random.Random,
    focal_points: dict[str, User],
) -> int:
    """Highlight cases with consent from about a quarter of the approved or validated
    countries that agreed to be named: their largest publishable seizure."""
    count = 0
    for p, report, rows in reports:
        if report.status not in (ReportStatus.APPROVED, ReportStatus.VALIDATED):
            continue
        if not report.consent_to_be_named or (rng.random() > 0.3 and p.country_iso3 != "THA"):
            continue
        candidates = [s for s in rows if s.publishable and not s.sensitive]
        if not candidates:
            continue
        seizure = max(candidates, key=lambda s: s.quantities[0].amount)
        q = seizure.quantities[0]
        db.session.add(
            HighlightCase(
                participation_id=p.id,
                seizure_id=seizure.id,
                narrative=HIGHLIGHT_TEMPLATE.format(
                    agency=seizure.agency.replace("_", " ").capitalize(),
                    place=seizure.place.lower(),
                    amount=f"{q.amount:f} {q.unit}".replace(".000 ", " "),
                    commodity=seizure.commodity.replace("_", " "),
                    species=seizure.species.scientific_name
                    if seizure.species
                    else seizure.species_other,
                    detection=str(seizure.detection_method).replace("_", " "),
                    arrests=f"{seizure.arrests} suspects were arrested." if seizure.arrests else "",
                ).strip(),
                consent=True,
                created_at=report.submitted_at or datetime.now(UTC),
                created_by_id=focal_points[p.country_iso3].id
                if p.country_iso3 in focal_points
                else None,
            )
        )
        count += 1
    return count
