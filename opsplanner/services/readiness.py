"""Coordination views of an operation: the readiness board per network and the coverage of
priorities by planned activities, per network and per region."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    Activity,
    BriefingAttendance,
    Country,
    Operation,
    Participation,
    ParticipationStatus,
    PriorityKind,
)
from opsplanner.services import areas

NO_NETWORK = "(no network)"


@dataclass
class ReadinessRow:
    network: str
    invited: int = 0
    confirmed: int = 0
    declined: int = 0
    acknowledged: int = 0
    briefed: int = 0
    planned: int = 0
    activities: int = 0
    not_ready: list[str] = field(default_factory=list)  # confirmed countries without a plan

    def share(self, n: int) -> float:
        return n / self.confirmed if self.confirmed else 0.0


def _participations(
    op: Operation, participations: list[Participation] | None
) -> list[Participation]:
    if participations is not None:
        return participations
    return list(
        db.session.scalars(
            select(Participation)
            .where(Participation.operation_id == op.id)
            .options(selectinload(Participation.network), selectinload(Participation.country))
        )
    )


def readiness_board(
    op: Operation, participations: list[Participation] | None = None
) -> list[ReadinessRow]:
    """Per coordinating network: invited, confirmed, guidelines acknowledged, briefed (attended
    at least one briefing) and planned (at least one activity). Shares are of the confirmed."""
    rows = _participations(op, participations)
    ids = [p.id for p in rows]
    briefed = (
        set(
            db.session.scalars(
                select(BriefingAttendance.participation_id).where(
                    BriefingAttendance.participation_id.in_(ids),
                    BriefingAttendance.attended.is_(True),
                )
            )
        )
        if ids
        else set()
    )
    activity_counts = (
        Counter(
            db.session.scalars(
                select(Activity.participation_id).where(Activity.participation_id.in_(ids))
            )
        )
        if ids
        else Counter()
    )
    board: dict[str, ReadinessRow] = {}
    for p in rows:
        key = p.network.acronym if p.network else NO_NETWORK
        row = board.setdefault(key, ReadinessRow(key))
        row.invited += 1
        if p.status is ParticipationStatus.DECLINED:
            row.declined += 1
        if p.status is not ParticipationStatus.CONFIRMED:
            continue
        row.confirmed += 1
        row.acknowledged += p.guidelines_acknowledged_at is not None
        row.briefed += p.id in briefed
        if activity_counts[p.id]:
            row.planned += 1
            row.activities += activity_counts[p.id]
        else:
            row.not_ready.append(p.country.name)
    return sorted(board.values(), key=lambda r: (r.network == NO_NETWORK, r.network))


@dataclass
class Coverage:
    priorities: list[tuple[int, str]]  # (id, "1. title")
    columns: list[str]
    counts: dict[tuple[int, str], int]  # (priority id, column) -> planned activities
    chain_without_activity: dict[int, list[str]]  # trade-route priority id -> country names


def coverage(
    op: Operation, by: str = "network", participations: list[Participation] | None = None
) -> Coverage:
    """Planned activities linked to each priority, per network or per M49 region."""
    rows = _participations(op, participations)
    by_id = {p.id: p for p in rows}
    activities = (
        db.session.scalars(
            select(Activity)
            .where(Activity.participation_id.in_(list(by_id)))
            .options(selectinload(Activity.priorities))
        ).all()
        if by_id
        else []
    )

    def column(p: Participation) -> str:
        if by == "region":
            return p.country.subregion or "(no region)"
        return p.network.acronym if p.network else NO_NETWORK

    counts: dict[tuple[int, str], int] = defaultdict(int)
    countries_with: dict[int, set[str]] = defaultdict(set)
    for a in activities:
        p = by_id[a.participation_id]
        for priority in a.priorities:
            counts[(priority.id, column(p))] += 1
            countries_with[priority.id].add(p.country_iso3)
    columns = sorted({column(p) for p in rows if p.status is ParticipationStatus.CONFIRMED})
    chain: dict[int, list[str]] = {}
    names = {p.country_iso3: p.country.name for p in rows}
    for priority in op.priorities:
        if priority.kind is not PriorityKind.TRADE_ROUTE:
            continue
        along = set()
        for attr in ("origin_codes", "transit_codes", "destination_codes"):
            along |= areas.expand(getattr(priority, attr))
        missing = along - countries_with[priority.id]
        unknown = missing - names.keys()
        if unknown:  # countries on the route that take no part: name them too
            rows = db.session.execute(
                select(Country.iso3, Country.name).where(Country.iso3.in_(unknown))
            ).all()
            names.update((iso3, name) for iso3, name in rows)
        chain[priority.id] = sorted(names.get(c, c) for c in missing)
    return Coverage(
        priorities=[(p.id, f"{p.rank}. {p.title}") for p in op.priorities],
        columns=columns,
        counts=dict(counts),
        chain_without_activity=chain,
    )
