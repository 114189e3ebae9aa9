"""National activity plans: a country's planned activities, the comments of the people who
coordinate it, and the taxonomy of operational activities the plans are made from."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from opsplanner.extensions import db
from opsplanner.models import (
    Activity,
    ActivityType,
    Agency,
    Operation,
    OperationPhase,
    Participation,
    ParticipationStatus,
    PlanComment,
    Priority,
    Role,
    User,
)
from opsplanner.services import archive, audit
from opsplanner.services.errors import Conflict, DomainError
from opsplanner.services.scoping import Scope

# Plans are made before the window and adjusted while it runs; once reporting opens they are
# what the results are compared with, so they no longer move.
EDITABLE_PHASES = (OperationPhase.PLANNING, OperationPhase.BRIEFING, OperationPhase.ACTIVE)
PLANNING_STATUSES = (ParticipationStatus.INVITED, ParticipationStatus.CONFIRMED)

AGENCY_LABELS = {
    Agency.CUSTOMS: _l("Customs"),
    Agency.POLICE: _l("Police"),
    Agency.WILDLIFE: _l("Wildlife authority"),
    Agency.FORESTRY: _l("Forestry authority"),
    Agency.PROSECUTORS: _l("Prosecutors and judiciary"),
    Agency.FIU: _l("Financial intelligence unit"),
    Agency.TRANSPORT: _l("Transport-sector partners"),
    Agency.CITES_AUTHORITY: _l("CITES management authority"),
    Agency.OTHER: _l("Other"),
}

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{2,39}$")
COMMENT_MAX = 4000


@dataclass
class ActivityInput:
    activity_type: str
    title: str
    location: str
    start_date: date | None
    end_date: date | None
    priority_ids: list[int] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    description: str = ""


# -- who may do what ------------------------------------------------------------------------
# Visibility is Scope's business (participation_or_404); these say what a viewer who can
# already see the plan may do with it.
def may_edit(scope: Scope, p: Participation) -> bool:
    """The country's own focal point plans; the organiser may step in. Coordinators advise."""
    if scope.is_organiser:
        return True
    return scope.role is Role.FOCAL_POINT and scope.user.country_iso3 == p.country_iso3


def may_comment(scope: Scope, p: Participation) -> bool:
    """Organisers and coordinators comment on every plan their scope shows them (``p`` was
    loaded through it); a focal point answers on their own country's plan."""
    if scope.role in (Role.ORGANISER, Role.COORDINATOR):
        return True
    return scope.role is Role.FOCAL_POINT and scope.user.country_iso3 == p.country_iso3


def refusal(p: Participation) -> str | None:
    """Why this plan cannot be changed now, in the words the user sees; None when it can."""
    op = p.operation
    if op.phase not in EDITABLE_PHASES:
        return _(
            "Activity plans can be changed while the operation is in planning, briefing or "
            "active; %(operation)s is %(phase)s.",
            operation=op.code_name,
            phase=op.phase.value,
        )
    if p.status is ParticipationStatus.DECLINED:
        return _(
            "%(country)s declined to take part: its activity plan cannot be changed.",
            country=p.country.name,
        )
    if p.status is ParticipationStatus.WITHDRAWN:
        return _(
            "%(country)s withdrew from the operation: its activity plan cannot be changed.",
            country=p.country.name,
        )
    return None


def _plannable(p: Participation) -> None:
    archive.ensure_writable(p.operation)
    if reason := refusal(p):
        raise DomainError(reason)


# -- validation -----------------------------------------------------------------------------
def active_types() -> list[ActivityType]:
    return list(
        db.session.scalars(
            select(ActivityType)
            .where(ActivityType.active.is_(True))
            .order_by(ActivityType.position, ActivityType.code)
        )
    )


def all_types() -> list[ActivityType]:
    return list(
        db.session.scalars(select(ActivityType).order_by(ActivityType.position, ActivityType.code))
    )


def window_text(op: Operation) -> str:
    return _(
        "%(start)s to %(end)s", start=op.window_start.isoformat(), end=op.window_end.isoformat()
    )


def check_activity(
    op: Operation, data: ActivityInput, current_type: str | None = None
) -> list[tuple[str, str]]:
    """Every rule on an activity, as (field, message) pairs; empty when it holds.

    ``current_type`` is the type an edited activity already has: an organiser may retire a
    type after plans used it, and those plans keep it until someone changes it."""
    errors: list[tuple[str, str]] = []
    kind = db.session.get(ActivityType, data.activity_type) if data.activity_type else None
    if kind is None:
        errors.append(
            (
                "activity_type",
                _(
                    "Unknown activity type %(code)s: choose one from the taxonomy.",
                    code=data.activity_type,
                )
                if data.activity_type
                else _("Choose the type of activity."),
            )
        )
    elif not kind.active and kind.code != current_type:
        errors.append(
            (
                "activity_type",
                _(
                    "The activity type %(name)s is no longer in use: choose another one.",
                    name=kind.name,
                ),
            )
        )
    if not data.title.strip():
        errors.append(("title", _("Give the activity a title.")))
    if not data.location.strip():
        errors.append(
            ("location", _("Say where the activity takes place (port, airport, market, city)."))
        )
    window = window_text(op)
    for name, value in (("start_date", data.start_date), ("end_date", data.end_date)):
        if value is None:
            errors.append((name, _("Give a date inside the operation window (%(w)s).", w=window)))
        elif not op.window_start <= value <= op.window_end:
            errors.append(
                (
                    name,
                    _(
                        "%(date)s is outside the operation window (%(w)s): planned activities "
                        "take place inside it.",
                        date=value.isoformat(),
                        w=window,
                    ),
                )
            )
    if data.start_date and data.end_date and data.end_date < data.start_date:
        errors.append(("end_date", _("The activity must end on or after the day it starts.")))
    if not data.priority_ids:
        errors.append(("priorities", _("Link the activity to at least one priority.")))
    else:
        own = set(
            db.session.scalars(
                select(Priority.id).where(
                    Priority.operation_id == op.id, Priority.id.in_(data.priority_ids)
                )
            )
        )
        if foreign := [str(i) for i in data.priority_ids if i not in own]:
            errors.append(
                (
                    "priorities",
                    _(
                        "Not a priority of %(operation)s: %(ids)s.",
                        operation=op.code_name,
                        ids=", ".join(foreign),
                    ),
                )
            )
    if not data.agencies:
        errors.append(("agencies", _("Name at least one agency involved.")))
    elif unknown := [a for a in data.agencies if a not in {x.value for x in Agency}]:
        errors.append(("agencies", _("Unknown agency: %(names)s.", names=", ".join(unknown))))
    return errors


def _raise_first(errors: list[tuple[str, str]]) -> None:
    if errors:
        name, message = errors[0]
        raise DomainError(message, field=name)


# -- activities -----------------------------------------------------------------------------
def snapshot(a: Activity) -> dict[str, Any]:
    return {
        "activity_type": a.activity_type_code,
        "title": a.title,
        "description": a.description,
        "location": a.location,
        "start_date": a.start_date.isoformat(),
        "end_date": a.end_date.isoformat(),
        "priorities": sorted(p.id for p in a.priorities),
        "agencies": list(a.agencies),
    }


def _priorities(data: ActivityInput) -> list[Priority]:
    return list(
        db.session.scalars(
            select(Priority).where(Priority.id.in_(set(data.priority_ids))).order_by(Priority.rank)
        )
    )


def _apply(a: Activity, data: ActivityInput, priorities: list[Priority]) -> None:
    # No queries in here: an autoflush halfway through would write a half-changed row.
    a.activity_type_code = data.activity_type
    a.title = data.title.strip()
    a.description = data.description.strip()
    a.location = data.location.strip()
    a.start_date = data.start_date  # type: ignore[assignment]  # checked above
    a.end_date = data.end_date  # type: ignore[assignment]
    # Keep the agencies in the enum's order, so the same set always reads (and diffs) the same.
    chosen = set(data.agencies)
    a.agencies = [x.value for x in Agency if x.value in chosen]
    a.priorities = priorities


def _audit(by: User | None, action: str, a: Activity, p: Participation, **kw: Any) -> None:
    audit.record(
        by, action, "activity", a.id, operation_id=p.operation_id, country_iso3=p.country_iso3, **kw
    )


def create(p: Participation, data: ActivityInput, by: User | None) -> Activity:
    _plannable(p)
    _raise_first(check_activity(p.operation, data))
    chosen = _priorities(data)
    a = Activity(participation=p, created_by_id=by.id if by else None)
    db.session.add(a)
    with db.session.no_autoflush:
        _apply(a, data, chosen)
    db.session.flush()
    _audit(by, "activity.create", a, p, after=snapshot(a))
    return a


def _stale(a: Activity) -> Conflict:
    return Conflict(
        _(
            "This activity was changed by someone else since you opened it (it is now at "
            "version %(version)d). Reload it to see their changes, then make yours again.",
            version=a.version,
        ),
        field="version",
    )


def check_version(a: Activity, version: int | None) -> None:
    if version is None:
        raise DomainError(_("Send the version of the activity you are changing."), field="version")
    if version != a.version:
        raise _stale(a)


def update(a: Activity, data: ActivityInput, version: int | None, by: User | None) -> bool:
    """Change an activity that the caller loaded at ``version``; False when nothing changed.

    Two guards: the version the form was opened with (someone saved in between), and the
    mapper's version column at flush (someone saved in the last milliseconds)."""
    p = a.participation
    _plannable(p)
    check_version(a, version)
    _raise_first(check_activity(p.operation, data, current_type=a.activity_type_code))
    before = snapshot(a)
    chosen = _priorities(data)
    with db.session.no_autoflush:
        _apply(a, data, chosen)
        old, new = audit.changes(before, snapshot(a))
    if not new:
        return False
    # A change of the linked priorities only touches the association table; stamping the row
    # makes the mapper issue its UPDATE, which bumps (and checks) the version.
    a.updated_at = datetime.now(UTC)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        current = db.session.get(Activity, a.id)
        raise _stale(current) if current is not None else _gone() from None
    _audit(by, "activity.update", a, p, before=old, after=new | {"version": a.version})
    return True


def _gone() -> Conflict:
    return Conflict(_("This activity was deleted by someone else since you opened it."))


def delete(a: Activity, version: int | None, by: User | None) -> None:
    """Delete; with a version (the web form always sends one) a stale copy is refused."""
    p = a.participation
    _plannable(p)
    if version is not None and version != a.version:
        raise _stale(a)
    before = snapshot(a) | {"version": a.version}
    activity_id = a.id
    db.session.delete(a)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise _gone() from None
    audit.record(
        by,
        "activity.delete",
        "activity",
        activity_id,
        before=before,
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )


def activity_in_plan(p: Participation, activity_id: int) -> Activity | None:
    """An activity by id, only when it belongs to this (already scoped) participation."""
    a = db.session.get(Activity, activity_id)
    return a if a is not None and a.participation_id == p.id else None


def plan_activities(p: Participation) -> list[Activity]:
    return list(
        db.session.scalars(
            select(Activity)
            .where(Activity.participation_id == p.id)
            .options(selectinload(Activity.priorities), selectinload(Activity.activity_type))
            .order_by(Activity.start_date, Activity.id)
        )
    )


# -- comments -------------------------------------------------------------------------------
def add_comment(p: Participation, body: str, by: User) -> PlanComment:
    archive.ensure_writable(p.operation)
    text = body.strip()
    if not text:
        raise DomainError(_("Write a comment first."), field="body")
    if len(text) > COMMENT_MAX:
        raise DomainError(_("Keep a comment under %(n)d characters.", n=COMMENT_MAX), field="body")
    c = PlanComment(participation=p, author_id=by.id, body=text)
    db.session.add(c)
    db.session.flush()
    audit.record(
        by,
        "plan.comment",
        "plan_comment",
        c.id,
        after={"body": text},
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )
    return c


def comments(p: Participation) -> list[PlanComment]:
    return list(
        db.session.scalars(
            select(PlanComment)
            .where(PlanComment.participation_id == p.id)
            .options(selectinload(PlanComment.author))
            .order_by(PlanComment.created_at, PlanComment.id)
        )
    )


# -- the overview of a network's plans ------------------------------------------------------
@dataclass
class PlanRow:
    participation: Participation
    activities: int = 0
    types: list[str] = field(default_factory=list)
    last_update: datetime | None = None
    comments: int = 0


def overview(participations: list[Participation]) -> list[PlanRow]:
    """Per (already scoped) participation: how many activities, of which types, last change."""
    ids = [p.id for p in participations]
    rows = {p.id: PlanRow(p) for p in participations}
    if not ids:
        return []
    names = {t.code: t.name for t in all_types()}
    type_counts: dict[int, Counter[str]] = {i: Counter() for i in ids}
    for pid, code, updated in db.session.execute(
        select(Activity.participation_id, Activity.activity_type_code, Activity.updated_at).where(
            Activity.participation_id.in_(ids)
        )
    ):
        row = rows[pid]
        row.activities += 1
        type_counts[pid][code] += 1
        if row.last_update is None or updated > row.last_update:
            row.last_update = updated
    for pid, n in db.session.execute(
        select(PlanComment.participation_id, func.count())
        .where(PlanComment.participation_id.in_(ids))
        .group_by(PlanComment.participation_id)
    ):
        rows[pid].comments = n
    for pid, counts in type_counts.items():
        rows[pid].types = [names.get(code, code) for code, _n in counts.most_common()]
    return [rows[p.id] for p in participations]


# -- the taxonomy ---------------------------------------------------------------------------
@dataclass
class ActivityTypeInput:
    name: str
    definition: str
    examples: str = ""


def _type_snapshot(t: ActivityType) -> dict[str, Any]:
    return {
        "name": t.name,
        "definition": t.definition,
        "examples": t.examples,
        "active": t.active,
    }


def _check_type(data: ActivityTypeInput) -> None:
    if not data.name.strip():
        raise DomainError(_("Give the activity type a name."), field="name")
    if not data.definition.strip():
        # The definition is the point of the taxonomy: what counts as this kind of activity.
        raise DomainError(
            _("Give a one-line definition: what counts as this kind of activity."),
            field="definition",
        )


def create_type(code: str, data: ActivityTypeInput, by: User) -> ActivityType:
    code = code.strip()
    if not CODE_RE.match(code):
        raise DomainError(
            _(
                "Use 3 to 40 lower-case letters, digits and underscores, starting with a "
                "letter (e.g. wildlife_farm_audit)."
            ),
            field="code",
        )
    if db.session.get(ActivityType, code) is not None:
        raise Conflict(
            _("An activity type with the code %(code)s already exists.", code=code), field="code"
        )
    _check_type(data)
    position = db.session.scalar(select(func.max(ActivityType.position))) or 0
    t = ActivityType(
        code=code,
        name=data.name.strip(),
        definition=data.definition.strip(),
        examples=data.examples.strip(),
        position=position + 1,
        active=True,
    )
    db.session.add(t)
    db.session.flush()
    audit.record(by, "activity_type.create", "activity_type", code, after=_type_snapshot(t))
    return t


def update_type(t: ActivityType, data: ActivityTypeInput, by: User) -> None:
    _check_type(data)
    before = _type_snapshot(t)
    t.name, t.definition = data.name.strip(), data.definition.strip()
    t.examples = data.examples.strip()
    old, new = audit.changes(before, _type_snapshot(t))
    if new:
        audit.record(by, "activity_type.update", "activity_type", t.code, before=old, after=new)


def set_type_active(t: ActivityType, active: bool, by: User) -> None:
    """Retire or bring back a type; plans that use a retired type keep it."""
    if t.active == active:
        return
    t.active = active
    audit.record(
        by,
        "activity_type.reactivate" if active else "activity_type.deactivate",
        "activity_type",
        t.code,
        before={"active": not active},
        after={"active": active},
    )
