"""Network information sheets: the questionnaire's fields, saving with a full version history,
staleness (older than six months), the comparative table of networks, and the reminders sent
to the coordinators of stale sheets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from opsplanner.extensions import db
from opsplanner.models import (
    Mandate,
    Network,
    NetworkForm,
    NetworkMaturity,
    NetworkSheet,
    NetworkSheetVersion,
    Role,
    SheetReminder,
    User,
)
from opsplanner.services import audit, mailer
from opsplanner.services.errors import Conflict, DomainError

# The meeting asked for a directory "updated every six months"; a day over half a year is
# the line, so that a sheet saved on 1 March is not flagged on 31 August.
STALE_AFTER = timedelta(days=183)


@dataclass(frozen=True)
class SheetField:
    key: str
    label: Any  # a lazy string: resolved in the viewer's language
    kind: str  # text, long, bool, choice
    group: Any


FORMATION, MEMBERSHIP, SECRETARIAT, JUSTICE, CHANNELS, SUPPORT, UPDATE = (
    _l("Formation and mandate"),
    _l("Membership and lead agencies"),
    _l("Secretariat"),
    _l("Prosecutors and judiciary"),
    _l("Communication channels"),
    _l("Partners and funding"),
    _l("Since the last update"),
)

# The questionnaire of the 2016 meeting, in the order the sheet shows it.
SHEET_FIELDS: tuple[SheetField, ...] = (
    SheetField("formation_date", _l("Formation date"), "text", FORMATION),
    SheetField("legal_basis", _l("Legal basis"), "long", FORMATION),
    SheetField("form", _l("Form"), "choice", FORMATION),
    SheetField("maturity", _l("Maturity"), "choice", FORMATION),
    SheetField("mandate", _l("Mandate"), "choice", FORMATION),
    SheetField("member_states", _l("Member states"), "long", MEMBERSHIP),
    SheetField("lead_agencies", _l("Lead agencies"), "long", MEMBERSHIP),
    SheetField("has_secretariat", _l("Secretariat"), "bool", SECRETARIAT),
    SheetField("secretariat_location", _l("Secretariat location"), "text", SECRETARIAT),
    SheetField("secretariat_role", _l("Secretariat role"), "long", SECRETARIAT),
    SheetField("prosecutors_judiciary", _l("Prosecutors and judiciary involved"), "bool", JUSTICE),
    SheetField(
        "prosecutors_judiciary_detail",
        _l("Involvement of prosecutors and judiciary"),
        "long",
        JUSTICE,
    ),
    SheetField("channels_sensitive", _l("Channels for sensitive information"), "long", CHANNELS),
    SheetField(
        "channels_non_sensitive", _l("Channels for non-sensitive information"), "long", CHANNELS
    ),
    SheetField("partners_donors", _l("Partners and donors"), "long", SUPPORT),
    SheetField("funding_sources", _l("Funding sources"), "long", SUPPORT),
    SheetField("recent_activities", _l("Main activities since the last update"), "long", UPDATE),
    SheetField("challenges", _l("Challenges"), "long", UPDATE),
)
FIELD_KEYS = tuple(f.key for f in SHEET_FIELDS)
FIELDS_BY_KEY = {f.key: f for f in SHEET_FIELDS}
ENUMS: dict[str, type[Any]] = {
    "form": NetworkForm,
    "maturity": NetworkMaturity,
    "mandate": Mandate,
}

# Columns the comparative table can show besides the sheet's own fields.
EXTRA_COLUMNS: dict[str, Any] = {
    "members_today": _l("Member states today (reference)"),
    "updated": _l("Last updated"),
}
DEFAULT_COMPARE = (
    "form",
    "maturity",
    "mandate",
    "has_secretariat",
    "secretariat_location",
    "prosecutors_judiciary",
    "channels_sensitive",
    "updated",
)


def choice_labels() -> dict[str, dict[str, str]]:
    return {
        "form": {
            "geographic": _("geographic"),
            "discipline": _("discipline-based"),
            "commodity": _("commodity-based"),
        },
        "maturity": {
            "established": _("established"),
            "emerging": _("emerging"),
            "under_consideration": _("under consideration"),
        },
        "mandate": {
            "operational": _("operational task force"),
            "policy": _("policy body"),
            "both": _("operational and policy"),
        },
    }


# -- reading --------------------------------------------------------------------------------
def now_utc() -> datetime:
    return datetime.now(UTC)


def sheet_of(network: Network) -> NetworkSheet | None:
    return db.session.scalar(select(NetworkSheet).where(NetworkSheet.network_id == network.id))


def content(sheet: NetworkSheet | None) -> dict[str, Any]:
    """The sheet's fields as plain JSON values (enums by value, booleans or null)."""
    values: dict[str, Any] = {}
    for key in FIELD_KEYS:
        value = getattr(sheet, key) if sheet is not None else None
        if key in ENUMS:
            values[key] = value.value if value is not None else None
        elif FIELDS_BY_KEY[key].kind == "bool":
            values[key] = value
        else:
            values[key] = value or ""
    return values


def display(key: str, value: Any) -> str:
    """A field's value as the pages and exports show it; blank means not stated."""
    if value is None or value == "":
        return ""
    if FIELDS_BY_KEY[key].kind == "bool":
        return _("yes") if value else _("no")
    if key in ENUMS:
        raw = value.value if hasattr(value, "value") else value
        return choice_labels()[key].get(raw, raw)
    return str(value)


def age(sheet: NetworkSheet, now: datetime | None = None) -> timedelta:
    return (now or now_utc()) - sheet.updated_at


def is_stale(sheet: NetworkSheet | None, now: datetime | None = None) -> bool:
    """Older than six months. A network without a sheet is "missing", not stale."""
    return sheet is not None and age(sheet, now) > STALE_AFTER


@dataclass
class SheetStatus:
    network: Network
    sheet: NetworkSheet | None
    stale: bool
    last_reminder: SheetReminder | None = None

    @property
    def missing(self) -> bool:
        return self.sheet is None


def statuses(now: datetime | None = None) -> list[SheetStatus]:
    """Every network with its sheet (if any) and whether it is stale, by acronym."""
    networks = db.session.scalars(
        select(Network).options(selectinload(Network.memberships)).order_by(Network.acronym)
    ).all()
    sheets = {
        s.network_id: s
        for s in db.session.scalars(
            select(NetworkSheet).options(selectinload(NetworkSheet.updated_by))
        )
    }
    reminders = _last_reminders()
    return [
        SheetStatus(
            n,
            sheets.get(n.id),
            is_stale(sheets.get(n.id), now),
            reminders.get(sheets[n.id].id) if n.id in sheets else None,
        )
        for n in networks
    ]


def status_of(network: Network, now: datetime | None = None) -> SheetStatus:
    sheet = sheet_of(network)
    reminder = None
    if sheet is not None:
        reminder = db.session.scalar(
            select(SheetReminder)
            .where(SheetReminder.sheet_id == sheet.id)
            .order_by(SheetReminder.created_at.desc(), SheetReminder.id.desc())
            .limit(1)
        )
    return SheetStatus(network, sheet, is_stale(sheet, now), reminder)


def _last_reminders() -> dict[int, SheetReminder]:
    latest: dict[int, SheetReminder] = {}
    for r in db.session.scalars(select(SheetReminder).order_by(SheetReminder.created_at)):
        latest[r.sheet_id] = r
    return latest


def version_of(sheet: NetworkSheet, number: int) -> NetworkSheetVersion | None:
    return db.session.scalar(
        select(NetworkSheetVersion).where(
            NetworkSheetVersion.sheet_id == sheet.id, NetworkSheetVersion.version == number
        )
    )


# -- saving ---------------------------------------------------------------------------------
def _stale_copy(sheet: NetworkSheet) -> Conflict:
    return Conflict(
        _(
            "This sheet was saved by someone else since you opened it (it is now at version "
            "%(version)d). Reload it to see their changes, then make yours again.",
            version=sheet.version,
        ),
        field="version",
    )


def check_version(sheet: NetworkSheet | None, version: int | None) -> None:
    """The form carries the version it was opened at (0 for a network without a sheet)."""
    if version is None:
        raise DomainError(_("Send the version of the sheet you are changing."), field="version")
    current = sheet.version if sheet is not None else 0
    if version != current:
        if sheet is None:
            raise Conflict(_("This network has no sheet yet: send version 0."), field="version")
        raise _stale_copy(sheet)


def _coerce(key: str, value: Any) -> Any:
    if key in ENUMS:
        return ENUMS[key](value) if value not in (None, "") else None
    if FIELDS_BY_KEY[key].kind == "bool":
        return value if value is None or isinstance(value, bool) else None
    return (value or "").strip()


def save(
    network: Network,
    values: dict[str, Any],
    version: int | None,
    by: User | None,
    *,
    via: str = "web",
    now: datetime | None = None,
) -> NetworkSheet:
    """Save the sheet as its coordinator (or an organiser) reviewed it.

    Every save makes a new version and stamps the sheet as current, even when nothing changed:
    confirming that a sheet still holds is exactly what the six-monthly review asks for."""
    now = now or now_utc()
    # Read before changing anything: loading an expired account would autoflush a half-made
    # change, and each flush of the sheet bumps its version.
    by_id = by.id if by is not None else None
    sheet = sheet_of(network)
    check_version(sheet, version)
    if sheet is None:
        sheet = NetworkSheet(network_id=network.id)
        db.session.add(sheet)
    before = content(sheet) if sheet.id is not None else content(None)
    with db.session.no_autoflush:
        for key in FIELD_KEYS:
            if key in values:
                setattr(sheet, key, _coerce(key, values[key]))
        sheet.updated_at = now
        sheet.updated_by_id = by_id
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        current = sheet_of(network)
        raise _stale_copy(current) if current else Conflict(_("The sheet is gone.")) from None
    after = content(sheet)
    db.session.add(
        NetworkSheetVersion(
            sheet_id=sheet.id,
            version=sheet.version,
            content=after,
            saved_at=now,
            saved_by_id=by_id,
            via=via,
        )
    )
    old, new = audit.changes(before, after)
    audit.record(
        by,
        "sheet.update",
        "network_sheet",
        network.acronym,
        before=old,
        after=new | {"version": sheet.version},
        via=via if via == "seed" else None,
    )
    db.session.flush()
    return sheet


# -- the comparative table ------------------------------------------------------------------
@dataclass
class CompareFilters:
    secretariat: bool | None = None
    mandate: Mandate | None = None
    form: NetworkForm | None = None
    maturity: NetworkMaturity | None = None


@dataclass
class ComparisonRow:
    network: Network
    sheet: NetworkSheet | None
    stale: bool
    cells: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    columns: list[tuple[str, Any]]
    rows: list[ComparisonRow]


def effective(sheet: NetworkSheet | None, network: Network, key: str) -> tuple[Any, bool]:
    """Form and maturity as the network states them, else our reference classification
    (flagged so that the page can say which it is)."""
    value = getattr(sheet, key) if sheet is not None else None
    if value is None and key in ("form", "maturity"):
        return getattr(network, key), True
    return value, False


def _matches(status: SheetStatus, f: CompareFilters) -> bool:
    sheet, net = status.sheet, status.network
    if f.secretariat is not None and (sheet is None or sheet.has_secretariat is not f.secretariat):
        return False
    if f.mandate is not None:
        mandate = sheet.mandate if sheet is not None else None
        # a network with both mandates is an operational one and a policy one
        if mandate is None or (mandate is not f.mandate and mandate is not Mandate.BOTH):
            return False
    if f.form is not None and effective(sheet, net, "form")[0] is not f.form:
        return False
    return f.maturity is None or effective(sheet, net, "maturity")[0] is f.maturity


def cell(status: SheetStatus, key: str, today: Any) -> str:
    sheet, net = status.sheet, status.network
    if key == "members_today":
        return str(len(net.members_on(today))) if net.members_found else _("not found")
    if key == "updated":
        if sheet is None:
            return _("no sheet yet")
        return sheet.updated_at.strftime("%Y-%m-%d")
    if key in ("form", "maturity"):
        value, from_reference = effective(sheet, net, key)
        text = display(key, value)
        return _("%(value)s (reference)", value=text) if from_reference and text else text
    return display(key, getattr(sheet, key) if sheet is not None else None)


def column_label(key: str) -> Any:
    return FIELDS_BY_KEY[key].label if key in FIELDS_BY_KEY else EXTRA_COLUMNS[key]


def compare(fields: list[str], filters: CompareFilters, now: datetime | None = None) -> Comparison:
    now = now or now_utc()
    keys = [k for k in fields if k in FIELDS_BY_KEY or k in EXTRA_COLUMNS] or list(DEFAULT_COMPARE)
    today = now.date()
    rows = [
        ComparisonRow(s.network, s.sheet, s.stale, [cell(s, k, today) for k in keys])
        for s in statuses(now)
        if _matches(s, filters)
    ]
    return Comparison([(k, column_label(k)) for k in keys], rows)


def comparison_table(c: Comparison) -> tuple[list[str], list[list[str]]]:
    """Header and rows for CSV/XLSX: the chosen columns plus the staleness flag."""
    header = [_("Network"), _("Name"), *[str(label) for _k, label in c.columns]]
    header.append(_("Older than six months"))
    rows = [
        [r.network.acronym, r.network.name, *r.cells, _("yes") if r.stale else _("no")]
        for r in c.rows
    ]
    return header, rows


# -- reminders ------------------------------------------------------------------------------
def coordinators_of(network_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role == Role.COORDINATOR,
                User.network_id == network_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _reminder_text(sheet: NetworkSheet, now: datetime) -> tuple[str, str]:
    acronym = sheet.network.acronym
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    link = f"{base}/directory/networks/{acronym}/edit"
    subject = _("%(network)s: please review the network information sheet", network=acronym)
    body = _(
        "The information sheet of %(network)s was last updated on %(date)s, %(days)d days ago. "
        "Sheets are reviewed every six months. Please check it and save it, even if nothing "
        "has changed: %(link)s",
        network=acronym,
        date=sheet.updated_at.strftime("%Y-%m-%d"),
        days=age(sheet, now).days,
        link=link,
    )
    return subject, body


def remind_stale(now: datetime | None = None) -> list[SheetReminder]:
    """Record one reminder per stale sheet and stale period (a save starts a new period), for
    the network's active coordinators, then send what is unsent if e-mail is set up.

    Safe to run any number of times and from two schedulers at once: the (sheet, version)
    unique key lets only one reminder in. Commits; returns the reminders it recorded."""
    now = now or now_utc()
    done = set(db.session.execute(select(SheetReminder.sheet_id, SheetReminder.sheet_version)))
    stale = db.session.scalars(
        select(NetworkSheet)
        .where(NetworkSheet.updated_at < now - STALE_AFTER)
        .options(selectinload(NetworkSheet.network))
        .order_by(NetworkSheet.id)
    ).all()
    created: list[SheetReminder] = []
    for sheet in stale:
        if (sheet.id, sheet.version) in done or not is_stale(sheet, now):
            continue
        coordinators = coordinators_of(sheet.network_id)
        recipients = [u.email for u in coordinators]
        chosen = {u.email: u.locale for u in coordinators if u.locale}
        if not recipients:
            continue  # nobody to remind yet; the next run reminds a coordinator added later
        with mailer.written_in(recipients, chosen):
            subject, body = _reminder_text(sheet, now)
        reminder = SheetReminder(
            sheet_id=sheet.id,
            sheet_version=sheet.version,
            created_at=now,
            recipients=recipients,
            subject=subject,
            body=body,
        )
        if mailer.record_once(
            reminder,
            "sheet.reminder",
            "network_sheet",
            sheet.network.acronym,
            after={"version": sheet.version, "recipients": len(recipients)},
        ):
            created.append(reminder)
    db.session.commit()
    deliver(now)
    return created


def deliver(now: datetime | None = None) -> int:
    """Send the outbox by e-mail when SMTP is configured; without it the reminders stay in
    the outbox, where coordinators see them in the app. Returns how many were sent."""
    return mailer.deliver_outbox(SheetReminder, now)


def outbox(limit: int = 50) -> list[SheetReminder]:
    return list(
        db.session.scalars(
            select(SheetReminder)
            .options(selectinload(SheetReminder.sheet).selectinload(NetworkSheet.network))
            .order_by(SheetReminder.created_at.desc(), SheetReminder.id.desc())
            .limit(limit)
        )
    )
