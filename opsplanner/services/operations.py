"""Operation set-up and enrolment use cases shared by the web views and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    Network,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    Role,
    User,
)
from opsplanner.services import archive, audit
from opsplanner.services.errors import Conflict, DomainError

DEFAULT_WINDOW_DAYS = 14


@dataclass
class OperationInput:
    code_name: str
    organising_agency: OrganisingAgency
    window_start: date
    window_end: date
    world_wildlife_day: date
    reporting_deadline: datetime
    embargo_until: datetime
    secure_channel: str = ""
    description: str = ""


def check_schedule(data: OperationInput) -> list[tuple[str, str]]:
    """Every scheduling rule, as (field, message) pairs; empty when the schedule holds."""
    errors: list[tuple[str, str]] = []
    if data.window_end < data.window_start:
        errors.append(("window_end", _("the window must end on or after its start")))
    if data.window_end >= data.world_wildlife_day:
        errors.append(("window_end", _("the window must end before World Wildlife Day")))
    deadline = data.reporting_deadline.astimezone(UTC).date()
    if not (data.window_end <= deadline <= data.world_wildlife_day):
        errors.append(
            (
                "reporting_deadline",
                _(
                    "the reporting deadline must fall between the end of the window "
                    "and World Wildlife Day"
                ),
            )
        )
    if data.embargo_until.astimezone(UTC).date() < data.world_wildlife_day:
        errors.append(("embargo_until", _("the embargo must not end before World Wildlife Day")))
    return errors


def suggested_agency() -> OrganisingAgency:
    """INTERPOL and WCO organise in rotation: suggest the other one than last time."""
    last = db.session.scalar(select(Operation).order_by(Operation.window_start.desc()).limit(1))
    if last is None:
        return OrganisingAgency.INTERPOL
    if last.organising_agency is OrganisingAgency.INTERPOL:
        return OrganisingAgency.WCO
    return OrganisingAgency.INTERPOL


def default_schedule(world_wildlife_day: date) -> dict[str, object]:
    """Two weeks ending a fortnight before World Wildlife Day, reports due a week later."""
    window_end = world_wildlife_day - timedelta(days=14)
    return {
        "window_start": window_end - timedelta(days=DEFAULT_WINDOW_DAYS - 1),
        "window_end": window_end,
        "reporting_deadline": datetime.combine(
            window_end + timedelta(days=7), datetime.min.time(), tzinfo=UTC
        ).replace(hour=23, minute=59),
        "embargo_until": datetime.combine(
            world_wildlife_day, datetime.min.time(), tzinfo=UTC
        ).replace(hour=9),
    }


def _snapshot(op: Operation) -> dict[str, object]:
    return {
        "code_name": op.code_name,
        "organising_agency": str(op.organising_agency),
        "window_start": op.window_start.isoformat(),
        "window_end": op.window_end.isoformat(),
        "world_wildlife_day": op.world_wildlife_day.isoformat(),
        "reporting_deadline": op.reporting_deadline.isoformat(),
        "embargo_until": op.embargo_until.isoformat(),
        "secure_channel": op.secure_channel,
        "phase": str(op.phase),
    }


def create_operation(data: OperationInput, by: User) -> Operation:
    if errors := check_schedule(data):
        field, message = errors[0]
        raise DomainError(message, field=field)
    code_name = data.code_name.strip()
    exists = db.session.scalar(
        select(Operation.id).where(func.lower(Operation.code_name) == code_name.lower())
    )
    if exists:
        raise Conflict(_("an operation with this code name already exists"), field="code_name")
    op = Operation(
        code_name=code_name,
        organising_agency=data.organising_agency,
        window_start=data.window_start,
        window_end=data.window_end,
        world_wildlife_day=data.world_wildlife_day,
        reporting_deadline=data.reporting_deadline,
        embargo_until=data.embargo_until,
        secure_channel=data.secure_channel.strip(),
        description=data.description.strip(),
        phase=OperationPhase.DRAFT,
    )
    db.session.add(op)
    db.session.flush()
    audit.record(
        by, "operation.create", "operation", op.id, after=_snapshot(op), operation_id=op.id
    )
    return op


def invite_country(
    op: Operation, country: Country, network: Network | None, by: User | None
) -> Participation:
    archive.ensure_writable(op)
    existing = db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == country.iso3
        )
    )
    if existing is not None:
        raise Conflict(
            _("%(country)s is already enrolled in %(op)s", country=country.name, op=op.code_name),
            field="country",
        )
    if op.phase in (OperationPhase.PUBLISHED, OperationPhase.ARCHIVED):
        raise DomainError(
            _("a published or archived operation takes no new countries"), field="country"
        )
    p = Participation(operation=op, country=country, network=network)
    db.session.add(p)
    db.session.flush()
    audit.record(
        by,
        "participation.invite",
        "participation",
        p.id,
        after={"country": country.iso3, "network": network.acronym if network else None},
        operation_id=op.id,
        country_iso3=country.iso3,
    )
    return p


RESPONSES = {
    ParticipationStatus.CONFIRMED,
    ParticipationStatus.DECLINED,
    ParticipationStatus.WITHDRAWN,
}


def respond(p: Participation, status: ParticipationStatus, note: str, by: User) -> None:
    archive.ensure_writable(p.operation)
    if status not in RESPONSES:
        raise DomainError(_("answer with confirmed, declined or withdrawn"), field="status")
    if status is ParticipationStatus.WITHDRAWN and p.status is not ParticipationStatus.CONFIRMED:
        raise DomainError(_("only a confirmed participation can be withdrawn"), field="status")
    if p.operation.phase in (OperationPhase.PUBLISHED, OperationPhase.ARCHIVED):
        raise DomainError(_("the operation is closed"), field="status")
    before = {"status": str(p.status), "note": p.status_note}
    if by.role is Role.FOCAL_POINT and by not in p.focal_points:
        # The focal point who answers for their country is its contact for the operation.
        p.focal_points.append(by)
    p.status = status
    p.status_note = note.strip()
    p.responded_at = datetime.now(UTC)
    audit.record(
        by,
        "participation.respond",
        "participation",
        p.id,
        before=before,
        after={"status": str(status), "note": p.status_note},
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )


def status_counts(op: Operation) -> dict[str, int]:
    rows = db.session.execute(
        select(Participation.status, func.count())
        .where(Participation.operation_id == op.id)
        .group_by(Participation.status)
    ).all()
    counts = {s.value: 0 for s in ParticipationStatus}
    counts.update({str(status): n for status, n in rows})
    return counts


SCHEDULE_EDITABLE = (OperationPhase.DRAFT, OperationPhase.PLANNING, OperationPhase.BRIEFING)
GUIDELINES_EDITABLE = SCHEDULE_EDITABLE + (OperationPhase.ACTIVE,)


def update_operation(
    op: Operation,
    data: OperationInput,
    by: User,
    *,
    guidelines: str,
    timezone: str,
    reacknowledge: bool = False,
) -> int:
    """Change the set-up; the schedule is fixed once the operation is active, the guidelines
    once reporting opens. With ``reacknowledge``, changed guidelines take back every
    country's acknowledgement (a change in substance must be read again); returns how many
    were taken back."""
    archive.ensure_writable(op)
    if op.phase not in GUIDELINES_EDITABLE:
        raise DomainError(
            _("the operation is %(phase)s: its set-up is fixed", phase=op.phase.value),
            field="code_name",
        )
    before = _snapshot(op) | {"guidelines": op.guidelines, "timezone": op.timezone}
    schedule = (
        data.window_start,
        data.window_end,
        data.world_wildlife_day,
        data.reporting_deadline,
        data.embargo_until,
    )
    current = (
        op.window_start,
        op.window_end,
        op.world_wildlife_day,
        op.reporting_deadline,
        op.embargo_until,
    )
    if schedule != current and op.phase not in SCHEDULE_EDITABLE:
        raise DomainError(
            _("the schedule is fixed once the operation is active"), field="window_start"
        )
    if errors := check_schedule(data):
        field, message = errors[0]
        raise DomainError(message, field=field)
    code_name = data.code_name.strip()
    clash = db.session.scalar(
        select(Operation.id).where(
            func.lower(Operation.code_name) == code_name.lower(), Operation.id != op.id
        )
    )
    if clash:
        raise Conflict(_("an operation with this code name already exists"), field="code_name")
    op.code_name, op.organising_agency = code_name, data.organising_agency
    (
        op.window_start,
        op.window_end,
        op.world_wildlife_day,
        op.reporting_deadline,
        op.embargo_until,
    ) = schedule
    op.secure_channel, op.description = data.secure_channel.strip(), data.description.strip()
    op.guidelines, op.timezone = guidelines.strip(), timezone
    old, new = audit.changes(
        before, _snapshot(op) | {"guidelines": op.guidelines, "timezone": op.timezone}
    )
    if new:
        audit.record(
            by, "operation.update", "operation", op.id, before=old, after=new, operation_id=op.id
        )
    if not reacknowledge or "guidelines" not in new:
        return 0
    return _take_back_acknowledgements(op, by)


def _take_back_acknowledgements(op: Operation, by: User) -> int:
    acknowledged = [p for p in op.participations if p.guidelines_acknowledged_at is not None]
    for p in acknowledged:
        audit.record(
            by,
            "guidelines.reacknowledge",
            "participation",
            p.id,
            before={"acknowledged_at": p.guidelines_acknowledged_at.isoformat()},
            after={"acknowledged_at": None},
            operation_id=op.id,
            country_iso3=p.country_iso3,
        )
        p.guidelines_acknowledged_at = None
        p.guidelines_acknowledged_by_id = None
    return len(acknowledged)
