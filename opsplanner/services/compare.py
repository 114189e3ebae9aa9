"""Operations side by side: what an organiser compares from one year's operation to the next.

Definitions (the same as the pages they come from, so the figures agree everywhere):

- invited = every participation; confirmed = the CONFIRMED ones (the expected reporters).
- reported, approved, on time and their rates: ``completeness.tally`` over the confirmed
  participations (reported = submitted, validated or approved; on time = first submitted by the
  deadline, ``reports.submitted_on_time``); each rate is a share of the confirmed countries.
- seizures, suspects, arrests, seizures by commodity: the figures of the internal pack
  (``pack_snapshot.take_snapshot`` + ``pack_figures.compute_figures``): approved reports only,
  sensitive cases included, suspects and arrests by the national-results-else-seizures rule.
- quantities: summed per (commodity, unit) within an operation, never across units: a
  commodity has one row per unit, and an operation without that unit has no figure (None),
  which is not the same as zero.
- network scores: ``scoreboard.network_scores(operation)`` (0-100, None when no indicator
  applies), by network name.

Only organisers compare; every phase from reporting on can be compared, archived included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Operation, OperationPhase, Participation, ParticipationStatus
from opsplanner.reference.vocabularies import commodities, units
from opsplanner.services import completeness
from opsplanner.services.errors import DomainError, NotFound
from opsplanner.services.pack_figures import compute_figures
from opsplanner.services.pack_model import Audience
from opsplanner.services.pack_snapshot import take_snapshot
from opsplanner.services.tabular import neutralise

P = OperationPhase
COMPARABLE_PHASES = (P.REPORTING, P.EVALUATION, P.PUBLISHED, P.ARCHIVED)
MIN_OPERATIONS = 2
MAX_OPERATIONS = 12


@dataclass
class Column:
    """One operation's figures."""

    operation: Operation
    invited: int = 0
    confirmed: int = 0
    reported: int = 0
    approved: int = 0
    on_time: int = 0
    seizures: int = 0
    suspects: int = 0
    arrests: int = 0
    # commodity -> seizures; (commodity, unit) -> quantity
    commodity_seizures: dict[str, int] = field(default_factory=dict)
    quantities: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    # network name -> score; None when the scoreboard is not available
    network_scores: dict[str, float | None] | None = None

    @staticmethod
    def _rate(n: int, of: int) -> float:
        return n / of if of else 0.0

    @property
    def reporting_rate(self) -> float:
        return self._rate(self.reported, self.confirmed)

    @property
    def approved_rate(self) -> float:
        return self._rate(self.approved, self.confirmed)

    @property
    def on_time_rate(self) -> float:
        return self._rate(self.on_time, self.confirmed)


@dataclass
class UnitRow:
    unit: str
    label: str
    amounts: list[Decimal | None]  # one per operation, None: no quantity in this unit


@dataclass
class CommodityRow:
    commodity: str
    label: str
    seizures: list[int]  # one per operation
    units: list[UnitRow]


@dataclass
class Comparison:
    columns: list[Column]  # ordered by window start
    commodities: list[CommodityRow]
    networks: list[str]  # every network scored in any of the operations, by name
    scores_available: bool

    @property
    def operations(self) -> list[Operation]:
        return [c.operation for c in self.columns]

    def score(self, column: Column, network: str) -> float | None:
        return (column.network_scores or {}).get(network)


# -- choosing ---------------------------------------------------------------------------------
def comparable_operations() -> list[Operation]:
    """The operations an organiser may pick, newest window first."""
    return list(
        db.session.scalars(
            select(Operation)
            .where(Operation.phase.in_(COMPARABLE_PHASES))
            .order_by(Operation.window_start.desc(), Operation.id.desc())
        )
    )


def chosen(ids: Sequence[int]) -> list[Operation]:
    """The picked operations by window start (oldest first); an unknown id, or an operation
    that has no results yet, is a 404; fewer than two (or too many) is refused."""
    unique = list(dict.fromkeys(ids))
    if len(unique) < MIN_OPERATIONS:
        raise DomainError(_("Choose at least two operations to compare."), field="ops")
    if len(unique) > MAX_OPERATIONS:
        raise DomainError(
            _("Compare at most %(n)d operations at a time.", n=MAX_OPERATIONS), field="ops"
        )
    found = list(
        db.session.scalars(
            select(Operation).where(
                Operation.id.in_(unique), Operation.phase.in_(COMPARABLE_PHASES)
            )
        )
    )
    if len(found) != len(unique):
        raise NotFound("operation not found")
    return sorted(found, key=lambda op: (op.window_start, op.id))


# -- the figures -------------------------------------------------------------------------------
def network_scores(operation: Operation) -> dict[str, float | None] | None:
    """Network name -> score from the scoreboard; None when the scoreboard is not installed."""
    try:
        from opsplanner.services import scoreboard
    except ImportError:  # pragma: no cover - the scoreboard ships with the app
        return None
    scores = getattr(scoreboard, "network_scores", None)
    if scores is None:  # pragma: no cover
        return None
    return {s.network_name: s.score for s in scores(operation)}


def column(operation: Operation) -> Column:
    participations = list(
        db.session.scalars(select(Participation).where(Participation.operation_id == operation.id))
    )
    confirmed = [p for p in participations if p.status is ParticipationStatus.CONFIRMED]
    reports = completeness.reports_of([p.id for p in confirmed])
    t = completeness.tally(confirmed, reports, operation.reporting_deadline)
    snapshot = take_snapshot(operation, Audience.INTERNAL)
    figures = compute_figures(snapshot)
    return Column(
        operation=operation,
        invited=len(participations),
        confirmed=t.expected,
        reported=t.reported,
        approved=t.approved,
        on_time=t.on_time,
        seizures=figures.seizures,
        suspects=figures.suspects,
        arrests=figures.arrests,
        commodity_seizures=dict(Counter(s.commodity for s in snapshot.seizures)),
        quantities={(c.commodity, c.unit): c.quantity for c in figures.by_commodity},
        network_scores=network_scores(operation),
    )


def commodity_rows(columns: Sequence[Column]) -> list[CommodityRow]:
    names, unit_names = commodities(), units()
    unit_order = {code: i for i, code in enumerate(unit_names)}
    total: Counter[str] = Counter()
    for c in columns:
        total.update(c.commodity_seizures)
    rows = []
    for code in sorted(total, key=lambda k: (-total[k], names.get(k, k))):
        units_seen = sorted(
            {unit for c in columns for (commodity, unit) in c.quantities if commodity == code},
            key=lambda u: (unit_order.get(u, len(unit_order)), u),
        )
        rows.append(
            CommodityRow(
                commodity=code,
                label=names.get(code, code),
                seizures=[c.commodity_seizures.get(code, 0) for c in columns],
                units=[
                    UnitRow(
                        unit=u,
                        label=unit_names.get(u, u),
                        amounts=[c.quantities.get((code, u)) for c in columns],
                    )
                    for u in units_seen
                ],
            )
        )
    return rows


def compare(operations: Sequence[Operation]) -> Comparison:
    columns = [column(op) for op in sorted(operations, key=lambda op: (op.window_start, op.id))]
    available = all(c.network_scores is not None for c in columns)
    networks = sorted({name for c in columns for name in (c.network_scores or {})}, key=str.lower)
    return Comparison(
        columns=columns,
        commodities=commodity_rows(columns),
        networks=networks,
        scores_available=available,
    )


# -- the table as rows (page and export) ------------------------------------------------------
def percent(rate: float) -> float:
    return round(100 * rate, 1)


def table(comparison: Comparison) -> tuple[list[str], list[list[Any]]]:
    """The comparison as one table: a header (figure, then each operation) and rows of plain
    values, for the CSV/XLSX export. Quantities stay per unit."""
    cols = comparison.columns
    # the writers neutralise the rows, not the header: the names are user-typed text
    header = [_("Figure"), *(neutralise(c.operation.code_name) for c in cols)]
    rows: list[list[Any]] = [
        [_("Window start"), *(c.operation.window_start.isoformat() for c in cols)],
        [_("Phase"), *(c.operation.phase.value for c in cols)],
        [_("Invited countries"), *(c.invited for c in cols)],
        [_("Confirmed countries"), *(c.confirmed for c in cols)],
        [_("Reporting countries"), *(c.reported for c in cols)],
        [_("Approved reports"), *(c.approved for c in cols)],
        [_("Reported on time"), *(c.on_time for c in cols)],
        [_("Reporting rate (%)"), *(percent(c.reporting_rate) for c in cols)],
        [_("Approved rate (%)"), *(percent(c.approved_rate) for c in cols)],
        [_("On-time rate (%)"), *(percent(c.on_time_rate) for c in cols)],
        [_("Seizures (approved reports)"), *(c.seizures for c in cols)],
        [_("Suspects"), *(c.suspects for c in cols)],
        [_("Arrests"), *(c.arrests for c in cols)],
    ]
    for row in comparison.commodities:
        rows.append([_("%(c)s: seizures", c=row.label), *row.seizures])
        for u in row.units:
            rows.append(
                [
                    _("%(c)s: quantity (%(u)s)", c=row.label, u=u.label),
                    *(completeness.format_total(a) if a is not None else None for a in u.amounts),
                ]
            )
    for name in comparison.networks:
        rows.append([_("Network score: %(n)s", n=name), *(comparison.score(c, name) for c in cols)])
    return header, rows
