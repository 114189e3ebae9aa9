"""Ranked priorities of an operation: what activities and results later link to."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from opsplanner.extensions import db
from opsplanner.models import Operation, OperationPhase, Priority, PriorityKind, User
from opsplanner.reference.vocabularies import commodities, conveyances
from opsplanner.services import archive, areas, audit
from opsplanner.services.errors import DomainError

EDITABLE_PHASES = (OperationPhase.DRAFT, OperationPhase.PLANNING, OperationPhase.BRIEFING)


@dataclass
class PriorityInput:
    kind: PriorityKind
    title: str
    description: str = ""
    commodity: str | None = None
    origin_codes: list[str] = field(default_factory=list)
    transit_codes: list[str] = field(default_factory=list)
    destination_codes: list[str] = field(default_factory=list)
    conveyances: list[str] = field(default_factory=list)


def check_priority(data: PriorityInput) -> list[tuple[str, str]]:
    """Every rule on a priority, as (field, message) pairs."""
    errors: list[tuple[str, str]] = []
    if data.commodity and data.commodity not in commodities():
        errors.append(("commodity", _("unknown commodity category %(code)r", code=data.commodity)))
    elif data.kind is PriorityKind.COMMODITY and not data.commodity:
        errors.append(("commodity", _("choose the commodity category this priority targets")))
    for name in ("origin_codes", "transit_codes", "destination_codes"):
        if bad := areas.unknown_codes(getattr(data, name)):
            errors.append(
                (name, _("unknown country or region code(s): %(codes)s", codes=", ".join(bad)))
            )
    if data.kind is PriorityKind.TRADE_ROUTE and not (data.origin_codes and data.destination_codes):
        errors.append(
            ("origin_codes", _("a trade route needs at least one origin and one destination"))
        )
    if bad := [c for c in data.conveyances if c not in conveyances()]:
        errors.append(("conveyances", _("unknown conveyance(s): %(codes)s", codes=", ".join(bad))))
    return errors


def _editable(op: Operation) -> None:
    archive.ensure_writable(op)
    if op.phase not in EDITABLE_PHASES:
        raise DomainError(
            _("priorities are fixed once the operation is %(phase)s", phase=op.phase.value),
            field="title",
        )


def _snapshot(p: Priority) -> dict[str, object]:
    return {
        "rank": p.rank,
        "kind": p.kind.value,
        "title": p.title,
        "commodity": p.commodity,
        "origin": p.origin_codes,
        "transit": p.transit_codes,
        "destination": p.destination_codes,
        "conveyances": p.conveyances,
    }


def _apply(p: Priority, data: PriorityInput) -> None:
    p.kind, p.title, p.description = data.kind, data.title.strip(), data.description.strip()
    p.commodity = data.commodity or None
    p.origin_codes = [c.upper() if len(c) == 3 else c for c in data.origin_codes]
    p.transit_codes = [c.upper() if len(c) == 3 else c for c in data.transit_codes]
    p.destination_codes = [c.upper() if len(c) == 3 else c for c in data.destination_codes]
    p.conveyances = list(data.conveyances)


def add(op: Operation, data: PriorityInput, by: User) -> Priority:
    _editable(op)
    if errors := check_priority(data):
        raise DomainError(errors[0][1], field=errors[0][0])
    rank = (
        db.session.scalar(select(func.max(Priority.rank)).where(Priority.operation_id == op.id))
        or 0
    ) + 1
    p = Priority(operation=op, rank=rank)
    _apply(p, data)
    db.session.add(p)
    db.session.flush()
    audit.record(by, "priority.create", "priority", p.id, after=_snapshot(p), operation_id=op.id)
    return p


def edit(p: Priority, data: PriorityInput, by: User) -> None:
    _editable(p.operation)
    if errors := check_priority(data):
        raise DomainError(errors[0][1], field=errors[0][0])
    before = _snapshot(p)
    _apply(p, data)
    old, new = audit.changes(before, _snapshot(p))
    if new:
        audit.record(
            by,
            "priority.update",
            "priority",
            p.id,
            before=old,
            after=new,
            operation_id=p.operation_id,
        )


def _set_rank(p: Priority, rank: int) -> None:
    db.session.execute(
        update(Priority)
        .where(Priority.id == p.id)
        .values(rank=rank)
        .execution_options(synchronize_session=False)
    )
    p.rank = rank


def move(p: Priority, direction: int, by: User) -> None:
    """Swap with the neighbour above (-1) or below (+1)."""
    _editable(p.operation)
    ranked = sorted(p.operation.priorities, key=lambda x: x.rank)
    i = ranked.index(p)
    j = i + direction
    if not 0 <= j < len(ranked):
        return
    other = ranked[j]
    a, b = p.rank, other.rank
    # The (operation, rank) pair is unique: park one row outside the range while swapping.
    _set_rank(p, -1)
    _set_rank(other, a)
    _set_rank(p, b)
    db.session.expire(p.operation, ["priorities"])
    audit.record(
        by,
        "priority.rank",
        "priority",
        p.id,
        before={"rank": a},
        after={"rank": b},
        operation_id=p.operation_id,
    )


def remove(p: Priority, by: User) -> None:
    op = p.operation
    _editable(op)
    before = _snapshot(p)
    removed_rank = p.rank
    db.session.delete(p)
    db.session.flush()
    for other in sorted(op.priorities, key=lambda x: x.rank):
        if other.rank > removed_rank:
            _set_rank(other, other.rank - 1)
    db.session.expire(op, ["priorities"])
    audit.record(
        by, "priority.delete", "priority", before["title"], before=before, operation_id=op.id
    )
