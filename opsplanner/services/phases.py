"""The phases of an operation as a state machine with guards.

A refused move names every guard that failed, in the words the organiser sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    Operation,
    OperationPhase,
    Pack,
    PackAudience,
    PackStatus,
    Participation,
    ParticipationStatus,
    PhaseChange,
    User,
)
from opsplanner.services import archive, audit
from opsplanner.services.errors import DomainError
from opsplanner.services.operations import OperationInput, check_schedule

P = OperationPhase

# Forward moves, plus the steps back that organisers need while preparing.
TRANSITIONS: dict[OperationPhase, tuple[OperationPhase, ...]] = {
    P.DRAFT: (P.PLANNING,),
    P.PLANNING: (P.BRIEFING, P.DRAFT),
    P.BRIEFING: (P.ACTIVE, P.PLANNING),
    P.ACTIVE: (P.REPORTING,),
    P.REPORTING: (P.EVALUATION,),
    P.EVALUATION: (P.PUBLISHED,),
    P.PUBLISHED: (P.ARCHIVED,),
    P.ARCHIVED: (),
}

Guard = Callable[[Operation, datetime], str | None]


def _schedule_holds(op: Operation, now: datetime) -> str | None:
    errors = check_schedule(
        OperationInput(
            code_name=op.code_name,
            organising_agency=op.organising_agency,
            window_start=op.window_start,
            window_end=op.window_end,
            world_wildlife_day=op.world_wildlife_day,
            reporting_deadline=op.reporting_deadline,
            embargo_until=op.embargo_until,
        )
    )
    return str(_l("the schedule is not valid: %(e)s", e=errors[0][1])) if errors else None


def _has_priorities(op: Operation, now: datetime) -> str | None:
    return None if op.priorities else str(_l("the operation has no priorities yet"))


def _has_confirmed_participants(op: Operation, now: datetime) -> str | None:
    confirmed = db.session.scalar(
        select(func.count(Participation.id)).where(
            Participation.operation_id == op.id,
            Participation.status == ParticipationStatus.CONFIRMED,
        )
    )
    return None if confirmed else str(_l("no country has confirmed its participation yet"))


def _window_open(op: Operation, now: datetime) -> str | None:
    if now.date() < op.window_start:
        return str(_l("the operation window opens on %(d)s", d=op.window_start.isoformat()))
    return None


def _window_last_day(op: Operation, now: datetime) -> str | None:
    if now.date() < op.window_end:
        return str(
            _l("reporting opens on the last day of the window, %(d)s", d=op.window_end.isoformat())
        )
    return None


def _deadline_passed(op: Operation, now: datetime) -> str | None:
    if now < op.reporting_deadline:
        return str(
            _l(
                "the reporting deadline (%(d)s UTC) has not passed",
                d=op.reporting_deadline.strftime("%Y-%m-%d %H:%M"),
            )
        )
    return None


def _embargo_over(op: Operation, now: datetime) -> str | None:
    if now < op.embargo_until:
        return str(
            _l(
                "the embargo lasts until %(d)s UTC",
                d=op.embargo_until.strftime("%Y-%m-%d %H:%M"),
            )
        )
    return None


def _public_pack_built(op: Operation, now: datetime) -> str | None:
    # Archived records are read-only: the published figures must exist as a pack first.
    built = db.session.scalar(
        select(Pack.id)
        .where(
            Pack.operation_id == op.id,
            Pack.audience == PackAudience.PUBLIC,
            Pack.status == PackStatus.SUCCEEDED,
        )
        .limit(1)
    )
    return None if built else str(_l("the public pack has not been built yet"))


GUARDS: dict[OperationPhase, tuple[Guard, ...]] = {
    P.PLANNING: (_schedule_holds,),
    P.BRIEFING: (_has_priorities, _has_confirmed_participants),
    P.ACTIVE: (_window_open,),
    P.REPORTING: (_window_last_day,),
    P.EVALUATION: (_deadline_passed,),
    P.PUBLISHED: (_embargo_over,),
    P.ARCHIVED: (_embargo_over, _public_pack_built),
    P.DRAFT: (),
}


@dataclass
class MoveCheck:
    target: OperationPhase
    allowed: bool
    reasons: list[str]


def check_move(op: Operation, target: OperationPhase, now: datetime | None = None) -> MoveCheck:
    now = now or datetime.now(UTC)
    if target not in TRANSITIONS[op.phase]:
        reason = str(_l("%(a)s cannot move to %(b)s", a=op.phase.value, b=target.value))
        return MoveCheck(target, False, [reason])
    reasons = [r for guard in GUARDS[target] if (r := guard(op, now))]
    return MoveCheck(target, not reasons, reasons)


def next_moves(op: Operation, now: datetime | None = None) -> list[MoveCheck]:
    return [check_move(op, target, now) for target in TRANSITIONS[op.phase]]


def move(
    op: Operation, target: OperationPhase, by: User, note: str = "", now: datetime | None = None
) -> PhaseChange:
    archive.ensure_writable(op)  # nothing leaves the archive
    now = now or datetime.now(UTC)
    check = check_move(op, target, now)
    if not check.allowed:
        raise DomainError(
            str(_l("Cannot move to %(p)s: ", p=target.value)) + "; ".join(check.reasons),
            field="phase",
        )
    change = PhaseChange(
        operation=op, from_phase=op.phase, to_phase=target, by=by, note=note.strip(), at=now
    )
    db.session.add(change)
    before = op.phase
    op.phase = target
    if target is P.REPORTING and op.template_frozen_at is None:
        op.template_frozen_at = now
    audit.record(
        by,
        "operation.phase",
        "operation",
        op.id,
        before={"phase": before.value},
        after={"phase": target.value, "note": change.note},
        operation_id=op.id,
    )
    return change


def template_is_frozen(op: Operation) -> bool:
    return op.template_frozen_at is not None
