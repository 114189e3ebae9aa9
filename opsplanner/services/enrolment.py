"""Enrolling countries through their networks, the trade-chain check, and the operation's
focal-point directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    Network,
    Operation,
    Participation,
    ParticipationStatus,
    PriorityKind,
    User,
)
from opsplanner.services import archive, areas, audit
from opsplanner.services import operations as ops


@dataclass
class NetworkInviteReport:
    network: Network
    invited: list[Country] = field(default_factory=list)
    already: list[Participation] = field(default_factory=list)


def invite_network(
    op: Operation, network: Network, by: User, today: date | None = None
) -> NetworkInviteReport:
    """Invite every current member state of the network that is not yet enrolled; the network
    becomes their coordinating network. Countries already enrolled keep theirs."""
    archive.ensure_writable(op)
    today = today or date.today()
    enrolled = {
        p.country_iso3: p
        for p in db.session.scalars(
            select(Participation).where(Participation.operation_id == op.id)
        )
    }
    report = NetworkInviteReport(network)
    for country in network.members_on(today):
        if country.iso3 in enrolled:
            report.already.append(enrolled[country.iso3])
            continue
        ops.invite_country(op, country, network, by=by)
        report.invited.append(country)
    audit.record(
        by,
        "operation.invite_network",
        "network",
        network.id,
        after={"network": network.acronym, "invited": [c.iso3 for c in report.invited]},
        operation_id=op.id,
    )
    return report


ROLES = ("origin", "transit", "destination")


@dataclass
class ChainGap:
    """A country on a trade-route priority's chain that takes no part (yet)."""

    country: Country
    roles: list[str]
    status: str  # "not invited", or the participation status (invited, declined, withdrawn)


@dataclass
class ChainCheck:
    priority_id: int
    title: str
    gaps: list[ChainGap]
    covered: int


def trade_chain_gaps(op: Operation) -> list[ChainCheck]:
    """For each trade-route priority, the countries along its chain (origin, transit,
    destination, with M49 areas expanded) that have not confirmed: "include all countries
    along the trade chain"."""
    status = {
        p.country_iso3: p.status
        for p in db.session.scalars(
            select(Participation).where(Participation.operation_id == op.id)
        )
    }
    checks = []
    for priority in op.priorities:
        if priority.kind is not PriorityKind.TRADE_ROUTE:
            continue
        roles: dict[str, list[str]] = {}
        for role in ROLES:
            for iso3 in areas.expand(getattr(priority, f"{role}_codes")):
                roles.setdefault(iso3, []).append(role)
        gaps = []
        for iso3 in sorted(roles):
            state = status.get(iso3)
            if state is ParticipationStatus.CONFIRMED:
                continue
            country = db.session.get(Country, iso3)
            gaps.append(ChainGap(country, roles[iso3], state.value if state else "not invited"))
        gaps.sort(key=lambda g: (g.status != "not invited", g.country.name))
        checks.append(ChainCheck(priority.id, priority.title, gaps, len(roles) - len(gaps)))
    return checks


DIRECTORY_HEADER = (
    "ISO3",
    "Country",
    "Coordinating network",
    "Participation",
    "Focal point",
    "E-mail",
    "Guidelines acknowledged (UTC)",
)


def directory_rows(participations: list[Participation]) -> list[tuple[Any, ...]]:
    """One row per focal point (a country without one still gets a row, so gaps show)."""
    rows: list[tuple[Any, ...]] = []
    for p in participations:
        ack = (
            p.guidelines_acknowledged_at.strftime("%Y-%m-%d %H:%M")
            if p.guidelines_acknowledged_at
            else ""
        )
        people = p.focal_points or [None]
        for person in people:
            rows.append(
                (
                    p.country_iso3,
                    p.country.name,
                    p.network.acronym if p.network else "",
                    p.status.value,
                    person.name if person else "",
                    person.email if person else "",
                    ack,
                )
            )
    return rows


def with_focal_points(query: Any) -> Any:
    return query.options(selectinload(Participation.focal_points))
