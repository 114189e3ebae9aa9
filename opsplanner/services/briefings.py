"""Pre-operational briefings: scheduling them, who is invited, attendance, the guidelines
acknowledgement, who has not yet done either, and the iCalendar events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from opsplanner.extensions import db
from opsplanner.models import (
    Briefing,
    BriefingAttendance,
    BriefingKind,
    MeetingMode,
    Network,
    Operation,
    OperationPhase,
    Participation,
    ParticipationStatus,
    User,
)
from opsplanner.services import archive, audit
from opsplanner.services.errors import DomainError
from opsplanner.services.scoping import Scope

MIN_DURATION, MAX_DURATION = 15, 600
MAX_ATTENDEES = 200
# Declined and withdrawn countries are not expected at a briefing, nor counted as missing.
INVITED_STATUSES = (ParticipationStatus.INVITED, ParticipationStatus.CONFIRMED)
CLOSED_PHASES = (OperationPhase.PUBLISHED, OperationPhase.ARCHIVED)


@dataclass
class BriefingInput:
    title: str
    kind: BriefingKind
    mode: MeetingMode
    network: Network | None
    # Wall-clock time as the organiser typed it, in ``timezone``; converted to UTC on save.
    start_local: datetime
    timezone: str
    duration_minutes: int
    location: str = ""
    agenda: str = ""
    materials: str = ""


# -- time zones ---------------------------------------------------------------------------
def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None when there is none (typo, empty, a path)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def to_utc(local: datetime, tz: tzinfo) -> datetime:
    # fold=0: in the hour the clocks go back, the first of the two readings is meant.
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_time_exists(local: datetime, tz: ZoneInfo) -> bool:
    """False for the hour skipped when the clocks go forward: zoneinfo would silently shift
    it, and the invitees would join an hour off."""
    naive = local.replace(tzinfo=None)
    return to_utc(naive, tz).astimezone(tz).replace(tzinfo=None) == naive


def local_start(b: Briefing) -> datetime:
    return b.starts_at.astimezone(zone(b.timezone) or UTC)


def ends_at(b: Briefing) -> datetime:
    return b.starts_at + timedelta(minutes=b.duration_minutes)


def describe_time(moment: datetime, tz_name: str) -> str:
    """e.g. "2027-01-20 09:00 UTC (16:00 Asia/Bangkok)"; the local date is repeated only when
    it differs from the UTC date."""
    utc = moment.astimezone(UTC)
    text = f"{utc:%Y-%m-%d %H:%M} UTC"
    tz = zone(tz_name)
    if tz is None or tz_name == "UTC":
        return text
    local = utc.astimezone(tz)
    shown = f"{local:%H:%M}" if local.date() == utc.date() else f"{local:%Y-%m-%d %H:%M}"
    return f"{text} ({shown} {tz_name})"


# -- invited countries --------------------------------------------------------------------
def _invited_filter(b: Briefing) -> list[Any]:
    conditions = [
        Participation.operation_id == b.operation_id,
        Participation.status.in_(INVITED_STATUSES),
    ]
    if b.network_id is not None:
        conditions.append(Participation.network_id == b.network_id)
    return conditions


def invited_query(b: Briefing, scope: Scope | None = None) -> Select[tuple[Participation]]:
    """The countries expected at the briefing: every invited or confirmed participation for a
    global briefing, those the briefing's network coordinates for a network briefing; within
    the scope when one is given."""
    if scope is None:
        query = select(Participation).order_by(Participation.country_iso3)
    else:
        query = scope.participations(b.operation)
    return query.where(*_invited_filter(b))


def invited(b: Briefing, scope: Scope | None = None) -> list[Participation]:
    return list(db.session.scalars(invited_query(b, scope)))


def is_invited(b: Briefing, p: Participation) -> bool:
    if p.operation_id != b.operation_id or p.status not in INVITED_STATUSES:
        return False
    return b.network_id is None or p.network_id == b.network_id


def _coordinated_count(op: Operation, network: Network) -> int:
    return db.session.scalar(
        select(func.count(Participation.id)).where(
            Participation.operation_id == op.id,
            Participation.network_id == network.id,
            Participation.status.in_(INVITED_STATUSES),
        )
    )


# -- scheduling ---------------------------------------------------------------------------
def check_briefing(
    op: Operation,
    data: BriefingInput,
    *,
    existing: Briefing | None = None,
    now: datetime | None = None,
) -> list[tuple[str, str]]:
    """Every scheduling rule, as (field, message) pairs; empty when the briefing holds."""
    now = now or datetime.now(UTC)
    errors: list[tuple[str, str]] = []
    if not data.title.strip():
        errors.append(("title", _("give the briefing a title")))
    if not MIN_DURATION <= data.duration_minutes <= MAX_DURATION:
        errors.append(
            (
                "duration_minutes",
                _(
                    "the duration must be between %(lo)d and %(hi)d minutes",
                    lo=MIN_DURATION,
                    hi=MAX_DURATION,
                ),
            )
        )
    tz = zone(data.timezone)
    if tz is None:
        errors.append(
            (
                "timezone",
                _("unknown time zone: use an IANA name such as Asia/Bangkok or Africa/Nairobi"),
            )
        )
    elif not local_time_exists(data.start_local, tz):
        errors.append(
            (
                "start",
                _(
                    "%(t)s does not exist in %(tz)s on that day: the clocks go forward",
                    t=data.start_local.strftime("%H:%M"),
                    tz=data.timezone,
                ),
            )
        )
    else:
        start = to_utc(data.start_local, tz)
        moved = existing is None or start != existing.starts_at
        if moved and start <= now:
            errors.append(
                (
                    "start",
                    _("a new briefing cannot start in the past")
                    if existing is None
                    else _("a briefing cannot be moved into the past"),
                )
            )
    if data.network is not None and not _coordinated_count(op, data.network):
        errors.append(
            (
                "network",
                _(
                    "no invited or confirmed country of this operation is coordinated by "
                    "%(net)s: invite its member states first, or hold a global briefing",
                    net=data.network.acronym,
                ),
            )
        )
    if op.phase in CLOSED_PHASES:
        errors.append(
            ("title", _("the operation is %(p)s: it takes no briefings", p=op.phase.value))
        )
    return errors


def _snapshot(b: Briefing) -> dict[str, Any]:
    return {
        "title": b.title,
        "kind": b.kind.value,
        "mode": b.mode.value,
        "network": b.network.acronym if b.network else None,
        "starts_at": b.starts_at.isoformat(),
        "timezone": b.timezone,
        "duration_minutes": b.duration_minutes,
        "location": b.location,
        "agenda": b.agenda,
        "materials": b.materials,
    }


def _apply(b: Briefing, data: BriefingInput) -> None:
    tz = zone(data.timezone)
    assert tz is not None  # checked by check_briefing
    b.title = data.title.strip()
    b.kind, b.mode = data.kind, data.mode
    b.network = data.network
    b.network_id = data.network.id if data.network else None
    b.starts_at = to_utc(data.start_local, tz)
    b.timezone = data.timezone
    b.duration_minutes = data.duration_minutes
    b.location = data.location.strip()
    b.agenda = data.agenda.strip()
    b.materials = data.materials.strip()


def _refuse(errors: list[tuple[str, str]]) -> None:
    if errors:
        field_name, message = errors[0]
        raise DomainError(message, field=field_name)


def schedule(
    op: Operation, data: BriefingInput, by: User | None, now: datetime | None = None
) -> Briefing:
    archive.ensure_writable(op)
    _refuse(check_briefing(op, data, now=now))
    b = Briefing(
        operation=op,
        # Stable for the briefing's life: calendar clients match updates on it.
        ical_uid=f"{uuid.uuid4()}@opsplanner",
        ical_sequence=0,
        created_by_id=by.id if by else None,
    )
    _apply(b, data)
    db.session.add(b)
    db.session.flush()
    audit.record(by, "briefing.create", "briefing", b.id, after=_snapshot(b), operation_id=op.id)
    return b


def edit(b: Briefing, data: BriefingInput, by: User | None, now: datetime | None = None) -> bool:
    """Change a briefing; True when anything changed. Every change bumps the iCalendar
    SEQUENCE so that calendars that imported the event replace it."""
    archive.ensure_writable(b.operation)
    _refuse_cancelled(b)
    _refuse(check_briefing(b.operation, data, existing=b, now=now))
    before = _snapshot(b)
    _apply(b, data)
    old, new = audit.changes(before, _snapshot(b))
    if not new:
        return False
    b.ical_sequence += 1
    audit.record(
        by,
        "briefing.update",
        "briefing",
        b.id,
        before=old,
        after=new | {"ical_sequence": b.ical_sequence},
        operation_id=b.operation_id,
    )
    return True


def _refuse_cancelled(b: Briefing) -> None:
    if b.cancelled_at is not None:
        raise DomainError(
            _("this briefing was cancelled on %(when)s", when=describe_time(b.cancelled_at, "UTC")),
            field="title",
        )


def cancel(b: Briefing, by: User | None, reason: str = "", now: datetime | None = None) -> bool:
    """Cancel a briefing nobody is recorded at (recorded attendance is what the readiness
    board counts as "briefed"). It stays listed, marked cancelled with the reason, and its
    calendar entry becomes CANCELLED with a new SEQUENCE, so that calendars which imported
    it withdraw it instead of keeping a meeting that will not happen. False when it was
    cancelled already."""
    archive.ensure_writable(b.operation)
    if b.cancelled_at is not None:
        return False
    recorded = db.session.scalar(
        select(BriefingAttendance.id).where(BriefingAttendance.briefing_id == b.id).limit(1)
    )
    if recorded is not None:
        raise DomainError(
            _("attendance is recorded for this briefing: it can no longer be cancelled"),
            field="title",
        )
    reason = reason.strip()
    if len(reason) > 2000:
        raise DomainError(_("the reason is too long (2,000 characters at most)"), field="reason")
    b.cancelled_at = now or datetime.now(UTC)
    b.cancelled_by_id = by.id if by else None
    b.cancel_reason = reason
    b.ical_sequence += 1
    audit.record(
        by,
        "briefing.cancel",
        "briefing",
        b.id,
        before=_snapshot(b) | {"ical_uid": b.ical_uid},
        after={"cancelled_at": b.cancelled_at.isoformat(), "reason": reason},
        operation_id=b.operation_id,
    )
    db.session.flush()
    return True


# -- attendance ---------------------------------------------------------------------------
def record_attendance(
    b: Briefing,
    p: Participation,
    attended: bool,
    attendees: int,
    by: User | None,
    now: datetime | None = None,
) -> BriefingAttendance:
    """Record (or correct) whether a country attended; the caller has checked that ``by`` may
    speak for the country (Scope). One record per briefing and country."""
    archive.ensure_writable(b.operation)
    _refuse_cancelled(b)
    now = now or datetime.now(UTC)
    if not is_invited(b, p):
        raise DomainError(
            _("%(country)s is not invited to this briefing", country=p.country.name),
            field="country",
        )
    if now < b.starts_at:
        raise DomainError(
            _(
                "attendance can be recorded once the briefing has started (%(when)s)",
                when=describe_time(b.starts_at, b.timezone),
            ),
            field="attended",
        )
    if attended and not 1 <= attendees <= MAX_ATTENDEES:
        raise DomainError(
            _(
                "give the number of attendees, between 1 and %(n)d, for a country that attended",
                n=MAX_ATTENDEES,
            ),
            field="attendees",
        )
    attendees = attendees if attended else 0
    row = _attendance_row(b, p)
    before = {"attended": row.attended, "attendees": row.attendees} if row else None
    if row is None:
        row = BriefingAttendance(briefing_id=b.id, participation_id=p.id)
        try:
            # A savepoint: two people recording the same country at once must not fail the
            # whole request; the second one updates the row the first one wrote.
            with db.session.begin_nested():
                row.attended, row.attendees = attended, attendees
                db.session.add(row)
        except IntegrityError:
            row = _attendance_row(b, p)
            assert row is not None
    row.attended, row.attendees = attended, attendees
    row.recorded_at, row.recorded_by_id = now, by.id if by else None
    after = {"attended": attended, "attendees": attendees}
    audit.record(
        by,
        "briefing.attendance",
        "briefing",
        b.id,
        before=before,
        after=after,
        operation_id=b.operation_id,
        country_iso3=p.country_iso3,
    )
    db.session.flush()
    return row


def _attendance_row(b: Briefing, p: Participation) -> BriefingAttendance | None:
    return db.session.scalar(
        select(BriefingAttendance).where(
            BriefingAttendance.briefing_id == b.id, BriefingAttendance.participation_id == p.id
        )
    )


@dataclass
class Roll:
    """A briefing's invited countries within a viewer's scope, with what is recorded."""

    briefing: Briefing
    invited: list[Participation]
    records: dict[int, BriefingAttendance] = field(default_factory=dict)

    @property
    def attended(self) -> list[Participation]:
        return [p for p in self.invited if (r := self.records.get(p.id)) and r.attended]

    @property
    def not_yet(self) -> list[Participation]:
        """Who has not: invited countries with no record, or recorded as absent."""
        return [p for p in self.invited if not ((r := self.records.get(p.id)) and r.attended)]

    @property
    def attendees(self) -> int:
        return sum(r.attendees for r in self.records.values() if r.attended)

    def record_for(self, p: Participation) -> BriefingAttendance | None:
        return self.records.get(p.id)


def rolls(briefings: Iterable[Briefing], scope: Scope, op: Operation) -> dict[int, Roll]:
    """The roll of every briefing in two queries, for list pages."""
    briefings = list(briefings)
    visible = list(
        db.session.scalars(
            scope.participations(op).where(Participation.status.in_(INVITED_STATUSES))
        ).unique()
    )
    ids = [p.id for p in visible]
    records: dict[tuple[int, int], BriefingAttendance] = {}
    if briefings and ids:
        for r in db.session.scalars(
            select(BriefingAttendance).where(
                BriefingAttendance.briefing_id.in_([b.id for b in briefings]),
                BriefingAttendance.participation_id.in_(ids),
            )
        ):
            records[(r.briefing_id, r.participation_id)] = r
    result = {}
    for b in briefings:
        people = [p for p in visible if is_invited(b, p)]
        result[b.id] = Roll(
            b, people, {p.id: records[(b.id, p.id)] for p in people if (b.id, p.id) in records}
        )
    return result


def roll(b: Briefing, scope: Scope) -> Roll:
    return rolls([b], scope, b.operation)[b.id]


def split_by_time(
    briefings: Iterable[Briefing], now: datetime | None = None
) -> tuple[list[Briefing], list[Briefing]]:
    """(upcoming or under way, soonest first; past, latest first). A cancelled briefing is
    listed where its time puts it, marked cancelled."""
    now = now or datetime.now(UTC)
    briefings = list(briefings)
    upcoming = [b for b in briefings if ends_at(b) > now]
    past = [b for b in briefings if ends_at(b) <= now]
    return (
        sorted(upcoming, key=lambda b: (b.starts_at, b.id)),
        sorted(past, key=lambda b: (b.starts_at, b.id), reverse=True),
    )


# -- the guidelines -----------------------------------------------------------------------
def acknowledge_guidelines(p: Participation, by: User | None, now: datetime | None = None) -> bool:
    """A focal point states that their country has read the operation's guidelines; True when
    this is new (asking again changes nothing and writes no second audit event)."""
    op = p.operation
    archive.ensure_writable(op)
    if p.status not in INVITED_STATUSES:
        raise DomainError(
            _(
                "%(country)s has %(status)s: only an invited or confirmed country acknowledges "
                "the guidelines",
                country=p.country.name,
                status=p.status.value,
            ),
            field="country",
        )
    if not op.guidelines.strip():
        raise DomainError(
            _("the organiser has not written guidelines for this operation yet"),
            field="country",
        )
    if op.phase in CLOSED_PHASES:
        raise DomainError(_("the operation is %(p)s", p=op.phase.value), field="country")
    if p.guidelines_acknowledged_at is not None:
        return False
    p.guidelines_acknowledged_at = now or datetime.now(UTC)
    p.guidelines_acknowledged_by_id = by.id if by else None
    audit.record(
        by,
        "guidelines.acknowledge",
        "participation",
        p.id,
        after={"acknowledged_at": p.guidelines_acknowledged_at.isoformat()},
        operation_id=op.id,
        country_iso3=p.country_iso3,
    )
    return True


@dataclass
class Acknowledgements:
    acknowledged: list[Participation]
    not_yet: list[Participation]


def acknowledgements(op: Operation, scope: Scope) -> Acknowledgements:
    """Invited and confirmed countries in scope, split by whether they acknowledged."""
    rows = db.session.scalars(
        scope.participations(op).where(Participation.status.in_(INVITED_STATUSES))
    ).unique()
    done, missing = [], []
    for p in rows:
        (done if p.guidelines_acknowledged_at else missing).append(p)
    return Acknowledgements(done, missing)


# -- iCalendar ----------------------------------------------------------------------------
PRODID = "-//ICCWC//opsplanner//EN"


def _description(b: Briefing, url: str | None) -> str:
    op = b.operation
    parts = []
    if b.cancelled_at is not None:
        parts.append(_("CANCELLED.") + (" " + b.cancel_reason if b.cancel_reason else ""))
    if b.agenda:
        parts.append(_("Agenda") + ":\n" + b.agenda)
    if b.materials:
        parts.append(_("Materials") + ":\n" + b.materials)
    if b.location:
        parts.append(_("Location or joining instructions") + ":\n" + b.location)
    channel = op.secure_channel or "CENcomm / I-24/7"
    parts.append(
        _(
            "Reminder: exchange operational and case information only over the secure "
            "channel (%(channel)s), never by e-mail or in calendar invitations.",
            channel=channel,
        )
    )
    if url:
        parts.append(url)
    return "\n\n".join(parts)


def _event(b: Briefing, stamp: datetime, url: str | None) -> Any:
    from icalendar import Event

    event = Event()
    event.add("uid", b.ical_uid)
    event.add("sequence", b.ical_sequence)
    event.add("dtstamp", stamp)
    # In UTC: no VTIMEZONE block is needed, which some calendar clients mishandle; every
    # client shows the event in its user's own zone anyway.
    event.add("dtstart", b.starts_at.astimezone(UTC))
    event.add("dtend", ends_at(b).astimezone(UTC))
    summary = f"{b.operation.code_name}: {b.title}"
    event.add("summary", (_("Cancelled") + ": " + summary) if b.cancelled_at else summary)
    event.add("description", _description(b, url))
    if b.location:
        event.add("location", b.location)
    event.add("categories", [b.kind.value.replace("_", " "), b.mode.value.replace("_", " ")])
    event.add("status", "CANCELLED" if b.cancelled_at else "CONFIRMED")
    if url:
        event.add("url", url)
    return event


def calendar(
    briefings: Iterable[Briefing],
    *,
    name: str | None = None,
    urls: dict[int, str] | None = None,
    now: datetime | None = None,
) -> bytes:
    """An iCalendar (RFC 5545) file with one VEVENT per briefing, METHOD:PUBLISH."""
    from icalendar import Calendar

    stamp = (now or datetime.now(UTC)).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    for b in briefings:
        cal.add_component(_event(b, stamp, (urls or {}).get(b.id)))
    return cal.to_ical()


def ics_filename(op: Operation, b: Briefing | None = None) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in op.code_name.lower()).strip("-")
    return f"{stem}-briefing-{b.id}.ics" if b else f"{stem}-briefings.ics"
