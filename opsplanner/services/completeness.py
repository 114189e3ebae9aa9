"""How complete an operation's results are, and what may be said about them.

``completeness(op, scope)`` is the coordination view (organisers: every country; coordinators:
their network's countries): who is expected to report (the CONFIRMED participations), who has
reported (a report submitted, validated or approved), who was approved, who reported on time,
per coordinating network and per UN M49 region; the countries still missing with their focal
points' e-mail addresses; and a live count of the seizures entered so far by commodity.

``summary(op)`` is what communications staff may use: aggregates over the whole operation from
the reports countries have submitted, with sensitive seizures left out entirely and no country
named anywhere.

Definitions (one place, so the page, the API, the export and the tests agree):

- expected = confirmed participations;
- reported = report status submitted, validated or approved (a returned report is not reported
  until it is submitted again);
- on time = reported, and first submitted (``first_submitted_at``) no later than the
  operation's reporting deadline, so that on time <= reported <= expected;
- both rates are shares of the expected countries;
- quantities are summed per (commodity, unit), never across units.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    CountryReport,
    Operation,
    Participation,
    ParticipationStatus,
    ReportReminder,
    ReportStatus,
    Role,
    Seizure,
    SeizureQuantity,
    User,
)
from opsplanner.reference.vocabularies import commodities, units
from opsplanner.services.readiness import NO_NETWORK
from opsplanner.services.reports import COUNT_FIELDS, REPORTED_STATUSES, submitted_on_time
from opsplanner.services.scoping import Scope

NO_REGION = "(no region)"


# -- the figures -------------------------------------------------------------------------------
@dataclass
class Tally:
    """Expected, reported, approved and on-time reporters of one group of countries."""

    label: str
    expected: int = 0
    reported: int = 0
    approved: int = 0
    on_time: int = 0
    late: int = 0  # reported, but first submitted after the deadline

    @property
    def reporting_rate(self) -> float:
        return self.reported / self.expected if self.expected else 0.0

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.expected if self.expected else 0.0

    @property
    def missing(self) -> int:
        return self.expected - self.reported

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "expected": self.expected,
            "reported": self.reported,
            "approved": self.approved,
            "on_time": self.on_time,
            "late": self.late,
            "missing": self.missing,
            "reporting_rate": round(self.reporting_rate, 4),
            "on_time_rate": round(self.on_time_rate, 4),
        }


@dataclass
class MissingCountry:
    """An expected reporter without a submitted report, and whom to ask."""

    iso3: str
    name: str
    network: str
    status: ReportStatus  # draft (also: no report yet) or returned
    seizures: int
    emails: list[str]
    return_comment: str = ""
    last_reminder: ReportReminder | None = None

    def as_dict(self) -> dict[str, Any]:
        reminder = self.last_reminder
        return {
            "country": self.iso3,
            "country_name": self.name,
            "network": None if self.network == NO_NETWORK else self.network,
            "status": self.status.value,
            "seizures": self.seizures,
            "focal_point_emails": self.emails,
            "return_comment": self.return_comment,
            "last_reminder": (
                {
                    "stage": reminder.stage,
                    "created_at": reminder.created_at.isoformat(),
                    "sent_at": reminder.sent_at.isoformat() if reminder.sent_at else None,
                }
                if reminder is not None
                else None
            ),
        }


@dataclass
class CommodityLine:
    """Seizures of one commodity category, with their quantities per unit (never added up
    across units)."""

    commodity: str
    label: str
    seizures: int = 0
    quantities: dict[str, Decimal] = field(default_factory=dict)  # unit -> total

    def as_dict(self) -> dict[str, Any]:
        return {
            "commodity": self.commodity,
            "label": self.label,
            "seizures": self.seizures,
            "quantities": [
                {"unit": unit, "amount": format_total(amount)}
                for unit, amount in self.quantities.items()
            ],
        }


@dataclass
class Completeness:
    operation: Operation
    total: Tally
    by_network: list[Tally]
    by_region: list[Tally]
    missing: list[MissingCountry]
    commodities: list[CommodityLine]
    seizures: int  # every seizure of the countries in view, sensitive ones included
    sensitive: int

    def as_dict(self) -> dict[str, Any]:
        op = self.operation
        return {
            "operation_id": op.id,
            "phase": op.phase.value,
            "reporting_deadline": op.reporting_deadline.isoformat(),
            "total": self.total.as_dict(),
            "by_network": [t.as_dict() for t in self.by_network],
            "by_region": [t.as_dict() for t in self.by_region],
            "missing": [m.as_dict() for m in self.missing],
            "seizures": {
                "count": self.seizures,
                "sensitive": self.sensitive,
                "by_commodity": [c.as_dict() for c in self.commodities],
            },
        }


def format_total(amount: Decimal) -> str:
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def is_reported(status: ReportStatus | None) -> bool:
    return status in REPORTED_STATUSES


def is_on_time(report: CountryReport | None, deadline: datetime) -> bool:
    # counted on time: reported now, and first submitted by the deadline
    return (
        report is not None
        and is_reported(report.status)
        and bool(submitted_on_time(report, deadline))
    )


def region_label(p: Participation) -> str:
    c = p.country
    if c.subregion and c.region and c.subregion != c.region:
        return f"{c.region} · {c.subregion}"
    return c.subregion or c.region or NO_REGION


def network_label(p: Participation) -> str:
    return p.network.acronym if p.network else NO_NETWORK


# -- loading -------------------------------------------------------------------------------------
def reports_of(participation_ids: Sequence[int]) -> dict[int, CountryReport]:
    if not participation_ids:
        return {}
    return {
        r.participation_id: r
        for r in db.session.scalars(
            select(CountryReport).where(CountryReport.participation_id.in_(participation_ids))
        )
    }


def focal_point_emails(participations: Iterable[Participation]) -> dict[int, list[str]]:
    """Whom to write to about each participation: its named focal points (active accounts),
    else the active focal-point accounts of the country."""
    rows = list(participations)
    by_country: dict[str, list[str]] = defaultdict(list)
    fallback = {p.country_iso3 for p in rows if not [u for u in p.focal_points if u.active]}
    if fallback:
        for iso3, email in db.session.execute(
            select(User.country_iso3, User.email)
            .where(
                User.role == Role.FOCAL_POINT,
                User.active.is_(True),
                User.country_iso3.in_(sorted(fallback)),
            )
            .order_by(User.id)
        ):
            by_country[iso3].append(email)
    emails: dict[int, list[str]] = {}
    for p in rows:
        named = [u.email for u in sorted(p.focal_points, key=lambda u: u.id) if u.active]
        emails[p.id] = named or list(by_country.get(p.country_iso3, []))
    return emails


def _last_reminders(participation_ids: Sequence[int]) -> dict[int, ReportReminder]:
    latest: dict[int, ReportReminder] = {}
    if not participation_ids:
        return latest
    for r in db.session.scalars(
        select(ReportReminder)
        .where(ReportReminder.participation_id.in_(participation_ids))
        .order_by(ReportReminder.created_at, ReportReminder.id)
    ):
        latest[r.participation_id] = r
    return latest


def seizure_counts(participation_ids: Sequence[int]) -> dict[int, int]:
    if not participation_ids:
        return {}
    return dict(
        db.session.execute(
            select(Seizure.participation_id, func.count(Seizure.id))
            .where(Seizure.participation_id.in_(participation_ids))
            .group_by(Seizure.participation_id)
        ).all()
    )


def commodity_lines(
    participation_ids: Sequence[int], *, include_sensitive: bool
) -> tuple[list[CommodityLine], int, int]:
    """Seizures per commodity with quantities per unit, and (count, sensitive count).
    Amounts are added as decimals in Python: SQLite would add them as floats."""
    if not participation_ids:
        return [], 0, 0
    where = [Seizure.participation_id.in_(participation_ids)]
    if not include_sensitive:
        where.append(Seizure.sensitive.is_(False))
    names = commodities()
    lines: dict[str, CommodityLine] = {}
    total = sensitive = 0
    for commodity, is_sensitive, n in db.session.execute(
        select(Seizure.commodity, Seizure.sensitive, func.count(Seizure.id))
        .where(*where)
        .group_by(Seizure.commodity, Seizure.sensitive)
    ):
        line = lines.setdefault(
            commodity, CommodityLine(commodity, names.get(commodity, commodity))
        )
        line.seizures += n
        total += n
        sensitive += n if is_sensitive else 0
    unit_order = {code: i for i, code in enumerate(units())}
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for commodity, unit, amount in db.session.execute(
        select(Seizure.commodity, SeizureQuantity.unit, SeizureQuantity.amount)
        .join(SeizureQuantity, SeizureQuantity.seizure_id == Seizure.id)
        .where(*where)
    ):
        sums[(commodity, unit)] += Decimal(amount)
    for (commodity, unit), amount in sorted(
        sums.items(), key=lambda kv: unit_order.get(kv[0][1], 99)
    ):
        lines[commodity].quantities[unit] = amount
    ordered = sorted(lines.values(), key=lambda c: (-c.seizures, c.label))
    return ordered, total, sensitive


# -- the coordination view -----------------------------------------------------------------------
def scoped_participations(op: Operation, scope: Scope) -> list[Participation]:
    """The participations the viewer may see in detail (NotFound for communications)."""
    return list(
        db.session.scalars(
            scope.participations(op).options(selectinload(Participation.focal_points))
        ).unique()
    )


def tally(
    participations: Iterable[Participation],
    reports: dict[int, CountryReport],
    deadline: datetime,
    label: str = "",
) -> Tally:
    t = Tally(label)
    for p in participations:
        if p.status is not ParticipationStatus.CONFIRMED:
            continue
        t.expected += 1
        report = reports.get(p.id)
        if report is None or not is_reported(report.status):
            continue
        t.reported += 1
        t.approved += report.status is ReportStatus.APPROVED
        if is_on_time(report, deadline):
            t.on_time += 1
        else:
            t.late += 1
    return t


def completeness(op: Operation, scope: Scope) -> Completeness:
    """The completeness of ``op``'s results within the viewer's scope."""
    rows = scoped_participations(op, scope)
    ids = [p.id for p in rows]
    reports = reports_of(ids)
    deadline = op.reporting_deadline
    confirmed = [p for p in rows if p.status is ParticipationStatus.CONFIRMED]

    def grouped(key: Any) -> list[Tally]:
        groups: dict[str, list[Participation]] = defaultdict(list)
        for p in confirmed:
            groups[key(p)].append(p)
        return sorted(
            (tally(members, reports, deadline, label) for label, members in groups.items()),
            key=lambda t: (t.label in (NO_NETWORK, NO_REGION), t.label),
        )

    missing_rows = [
        p for p in confirmed if not is_reported(getattr(reports.get(p.id), "status", None))
    ]
    missing_ids = [p.id for p in missing_rows]
    emails = focal_point_emails(missing_rows)
    counts = seizure_counts(missing_ids)
    reminders = _last_reminders(missing_ids)
    missing = [
        MissingCountry(
            iso3=p.country_iso3,
            name=p.country.name,
            network=network_label(p),
            status=reports[p.id].status if p.id in reports else ReportStatus.DRAFT,
            seizures=counts.get(p.id, 0),
            emails=emails.get(p.id, []),
            return_comment=reports[p.id].return_comment if p.id in reports else "",
            last_reminder=reminders.get(p.id),
        )
        for p in sorted(missing_rows, key=lambda p: (network_label(p), p.country.name))
    ]
    lines, seizures, sensitive = commodity_lines(ids, include_sensitive=True)
    return Completeness(
        operation=op,
        total=tally(confirmed, reports, deadline, "total"),
        by_network=grouped(network_label),
        by_region=grouped(region_label),
        missing=missing,
        commodities=lines,
        seizures=seizures,
        sensitive=sensitive,
    )


# -- the communications summary -------------------------------------------------------------
@dataclass
class Summary:
    """Operation-wide aggregates from submitted reports, without sensitive seizures and
    without any country named."""

    operation: Operation
    expected: int
    reported: int
    countries_with_seizures: int
    seizures: int
    commodities: list[CommodityLine]
    national: dict[str, int]  # COUNT_FIELDS summed over the reporting countries

    @property
    def arrests(self) -> int:
        return self.national.get("arrests", 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation.id,
            "phase": self.operation.phase.value,
            "countries_expected": self.expected,
            "countries_reported": self.reported,
            "countries_with_seizures": self.countries_with_seizures,
            "seizures": self.seizures,
            "by_commodity": [c.as_dict() for c in self.commodities],
            "national_results": dict(self.national),
        }


def reported_participation_ids(op: Operation) -> list[int]:
    """The confirmed participations of ``op`` whose report is submitted, validated or approved."""
    return list(
        db.session.scalars(
            select(Participation.id)
            .join(CountryReport, CountryReport.participation_id == Participation.id)
            .where(
                Participation.operation_id == op.id,
                Participation.status == ParticipationStatus.CONFIRMED,
                CountryReport.status.in_(REPORTED_STATUSES),
            )
            .order_by(Participation.id)
        )
    )


def summary(op: Operation) -> Summary:
    """Aggregates for communications: only the reports submitted, validated or approved (a
    draft may still change), only non-sensitive seizures, counts and totals per unit."""
    reported_ids = reported_participation_ids(op)
    expected = db.session.scalar(
        select(func.count(Participation.id)).where(
            Participation.operation_id == op.id,
            Participation.status == ParticipationStatus.CONFIRMED,
        )
    )
    lines, seizures, _sensitive = commodity_lines(reported_ids, include_sensitive=False)
    with_seizures = (
        db.session.scalar(
            select(func.count(func.distinct(Seizure.participation_id))).where(
                Seizure.participation_id.in_(reported_ids), Seizure.sensitive.is_(False)
            )
        )
        if reported_ids
        else 0
    )
    national = dict.fromkeys(COUNT_FIELDS, 0)
    if reported_ids:
        sums = db.session.execute(
            select(
                *(func.coalesce(func.sum(getattr(CountryReport, f)), 0) for f in COUNT_FIELDS)
            ).where(CountryReport.participation_id.in_(reported_ids))
        ).one()
        national = {f: int(v) for f, v in zip(COUNT_FIELDS, sums, strict=True)}
    return Summary(
        operation=op,
        expected=expected or 0,
        reported=len(reported_ids),
        countries_with_seizures=with_seizures or 0,
        seizures=seizures,
        commodities=lines,
        national=national,
    )


def may_see_summary(scope: Scope) -> bool:
    """Organisers, coordinators and communications staff: focal points work on their own
    country's results and get no operation-wide aggregates before publication."""
    return scope.role in (Role.ORGANISER, Role.COORDINATOR, Role.COMMUNICATIONS)


def may_see_completeness(scope: Scope) -> bool:
    return scope.role in (Role.ORGANISER, Role.COORDINATOR)
