"""The focal-point directory: entries per network and per country, their search and exports
(CSV, XLSX, vCard; each export audited), and the twice-yearly confirmation rounds in which each
person confirms or corrects their own entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    ConfirmationRound,
    ConfirmationStatus,
    Contact,
    ContactConfirmation,
    ContactKind,
    Country,
    Network,
    User,
)
from opsplanner.services import audit, vcard
from opsplanner.services.errors import Conflict, DomainError, Forbidden
from opsplanner.services.scoping import Scope

# Twice a year: the next round is due half a year after the last one opened.
ROUND_INTERVAL = timedelta(days=182)
DEFAULT_ROUND_DAYS = 30


def kind_labels() -> dict[str, str]:
    return {
        ContactKind.FOCAL_POINT.value: _("National focal point"),
        ContactKind.AGENCY_CONTACT.value: _("Agency contact"),
        ContactKind.COORDINATOR.value: _("Network coordinator"),
    }


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass
class ContactInput:
    kind: ContactKind
    name: str
    network_id: int | None = None
    country_iso3: str | None = None
    agency: str = ""
    role: str = ""
    email: str = ""
    phone: str = ""
    languages: list[str] = field(default_factory=list)
    cencomm: bool = False
    i247: bool = False
    user_id: int | None = None


def check_contact(data: ContactInput) -> list[tuple[str, str]]:
    """Cross-field rules shared by the form and the service."""
    errors: list[tuple[str, str]] = []
    if data.network_id is None and data.country_iso3 is None:
        errors.append(("network", _("Choose a network, a country or both.")))
    if data.kind is ContactKind.COORDINATOR and data.network_id is None:
        errors.append(("network", _("A network coordinator belongs to a network.")))
    if data.kind is ContactKind.FOCAL_POINT and data.country_iso3 is None:
        errors.append(("country", _("A national focal point belongs to a country.")))
    if not data.email and not data.phone:
        errors.append(("email", _("Give an e-mail address or a phone number.")))
    return errors


def parse_languages(text: str) -> list[str]:
    seen: list[str] = []
    for part in text.replace(";", ",").split(","):
        item = part.strip()
        if item and item.lower() not in (s.lower() for s in seen):
            seen.append(item)
    return seen


def snapshot(c: Contact) -> dict[str, Any]:
    return {
        "kind": c.kind.value if c.kind else None,
        "name": c.name,
        "network": c.network.acronym if c.network else None,
        "country": c.country_iso3,
        "agency": c.agency,
        "role": c.role,
        "email": c.email,
        "phone": c.phone,
        "languages": list(c.languages or []),
        "cencomm": c.cencomm,
        "i247": c.i247,
        "user_id": c.user_id,
    }


def _apply(c: Contact, data: ContactInput) -> None:
    c.kind = data.kind
    c.name = data.name.strip()
    c.network_id = data.network_id
    c.country_iso3 = data.country_iso3
    c.agency = data.agency.strip()
    c.role = data.role.strip()
    c.email = data.email.strip()
    c.phone = data.phone.strip()
    c.languages = list(data.languages)
    c.cencomm = data.cencomm
    c.i247 = data.i247
    c.user_id = data.user_id


def _raise_first(errors: list[tuple[str, str]]) -> None:
    if errors:
        name, message = errors[0]
        raise DomainError(message, field=name)


def create(scope: Scope, data: ContactInput, by: User | None) -> Contact:
    _raise_first(check_contact(data))
    if not scope.may_add_contacts() or not scope.may_place_contact(
        data.network_id, data.country_iso3
    ):
        raise Forbidden(_("You may add entries for your own network and its member states."))
    c = Contact()
    _apply(c, data)
    db.session.add(c)
    db.session.flush()
    db.session.refresh(c)
    audit.record(
        by, "contact.create", "contact", c.id, after=snapshot(c), country_iso3=c.country_iso3
    )
    return c


def update(
    scope: Scope, c: Contact, data: ContactInput, by: User | None, now: datetime | None = None
) -> bool:
    """Change an entry; False when nothing changed. The person listed who saves their own
    entry during an open round has corrected it: the round counts it and it is confirmed."""
    now = now or now_utc()
    _raise_first(check_contact(data))
    # a coordinator may not move an entry out of their own scope
    if (
        not scope.is_organiser
        and not scope.is_own_entry(c)
        and not scope.may_place_contact(data.network_id, data.country_iso3)
    ):
        raise Forbidden(_("You may file entries under your own network and member states."))
    if not scope.is_organiser and scope.is_own_entry(c):
        # the person corrects their details, not where or as what they are listed
        data.kind, data.network_id, data.country_iso3 = c.kind, c.network_id, c.country_iso3
        data.user_id = c.user_id
    before = snapshot(c)
    _apply(c, data)
    db.session.flush()
    db.session.refresh(c)
    old, new = audit.changes(before, snapshot(c))
    if new:
        audit.record(
            by,
            "contact.update",
            "contact",
            c.id,
            before=old,
            after=new,
            country_iso3=c.country_iso3,
        )
    corrected = False
    if scope.is_own_entry(c):
        rnd = current_round(now)
        if rnd is not None:
            # saved unchanged, it is a confirmation
            status = ConfirmationStatus.CORRECTED if new else ConfirmationStatus.CONFIRMED
            _respond(rnd, c, status, by, now)
            corrected = True
    return bool(new) or corrected


def delete(c: Contact, by: User | None) -> None:
    audit.record(
        by, "contact.delete", "contact", c.id, before=snapshot(c), country_iso3=c.country_iso3
    )
    db.session.delete(c)
    db.session.flush()


# -- search and exports ---------------------------------------------------------------------
@dataclass
class SearchQuery:
    q: str = ""
    network_id: int | None = None
    country_iso3: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"q": self.q, "network_id": self.network_id, "country": self.country_iso3}


def search(base: Select[tuple[Contact]], query: SearchQuery) -> list[Contact]:
    """Within an already scoped query: text in the name, agency, role, e-mail or country."""
    stmt = base
    if query.q:
        like = f"%{query.q.strip()}%"
        countries = select(Country.iso3).where(
            or_(Country.name.ilike(like), Country.iso3.ilike(like))
        )
        stmt = stmt.where(
            or_(
                Contact.name.ilike(like),
                Contact.agency.ilike(like),
                Contact.role.ilike(like),
                Contact.email.ilike(like),
                Contact.country_iso3.in_(countries),
            )
        )
    if query.network_id is not None:
        stmt = stmt.where(Contact.network_id == query.network_id)
    if query.country_iso3:
        stmt = stmt.where(Contact.country_iso3 == query.country_iso3.upper())
    return list(db.session.scalars(stmt).unique())


EXPORT_HEADER = (
    "Name",
    "Kind",
    "Agency",
    "Role",
    "Network",
    "ISO3",
    "Country",
    "E-mail",
    "Phone",
    "Languages",
    "CENcomm",
    "I-24/7",
    "Confirmed (UTC)",
)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_rows(contacts: list[Contact]) -> list[tuple[Any, ...]]:
    return [
        (
            c.name,
            c.kind.value,
            c.agency,
            c.role,
            c.network.acronym if c.network else "",
            c.country_iso3 or "",
            c.country.name if c.country else "",
            c.email,
            c.phone,
            ", ".join(c.languages or []),
            _yes_no(c.cencomm),
            _yes_no(c.i247),
            c.confirmed_at.strftime("%Y-%m-%d") if c.confirmed_at else "",
        )
        for c in contacts
    ]


def as_json(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind.value,
        "name": c.name,
        "agency": c.agency,
        "role": c.role,
        "network": c.network.acronym if c.network else None,
        "country": c.country_iso3,
        "country_name": c.country.name if c.country else None,
        "email": c.email,
        "phone": c.phone,
        "languages": list(c.languages or []),
        "cencomm": c.cencomm,
        "i247": c.i247,
        "confirmed_at": c.confirmed_at.isoformat() if c.confirmed_at else None,
    }


def to_vcards(contacts: list[Contact]) -> str:
    def note(c: Contact) -> str:
        parts = [
            f"{kind_labels()[c.kind.value]}",
            f"CENcomm: {_yes_no(c.cencomm)}",
            f"I-24/7: {_yes_no(c.i247)}",
        ]
        if c.languages:
            parts.insert(1, "Languages: " + ", ".join(c.languages))
        if c.confirmed_at:
            parts.append("Confirmed: " + c.confirmed_at.strftime("%Y-%m-%d"))
        return "\n".join(parts)

    return vcard.cards(
        vcard.Card(
            uid=f"opsplanner-contact-{c.id}",
            full_name=c.name,
            organisation=c.agency,
            title=c.role,
            email=c.email,
            phone=c.phone,
            note=note(c),
            categories=[x for x in (c.network.acronym if c.network else "", c.country_iso3) if x],
            revision=c.updated_at,
        )
        for c in contacts
    )


def record_export(by: User, fmt: str, rows: int, query: SearchQuery) -> None:
    # Contact details are personal data: who took which part of the directory, and how.
    audit.record(
        by,
        "contacts.export",
        "directory",
        "contacts",
        after={"format": fmt, "rows": rows, **query.as_dict()},
        country_iso3=query.country_iso3,
    )


# -- confirmation rounds --------------------------------------------------------------------
def current_round(now: datetime | None = None) -> ConfirmationRound | None:
    now = now or now_utc()
    return db.session.scalar(
        select(ConfirmationRound)
        .where(ConfirmationRound.opened_at <= now, ConfirmationRound.closes_at > now)
        .order_by(ConfirmationRound.opened_at.desc())
        .limit(1)
    )


def rounds() -> list[ConfirmationRound]:
    return list(
        db.session.scalars(
            select(ConfirmationRound)
            .options(selectinload(ConfirmationRound.confirmations))
            .order_by(ConfirmationRound.opened_at.desc())
        )
    )


def next_round_due(now: datetime | None = None) -> datetime | None:
    last = db.session.scalar(select(ConfirmationRound).order_by(ConfirmationRound.opened_at.desc()))
    return last.opened_at + ROUND_INTERVAL if last else None


def open_round(
    by: User | None, closes_at: datetime, now: datetime | None = None
) -> ConfirmationRound:
    """Open a round covering every entry of the directory as it stands."""
    now = now or now_utc()
    if closes_at <= now:
        raise DomainError(_("The round must close in the future."), field="closes_at")
    if current_round(now) is not None:
        raise Conflict(_("A confirmation round is already open."), field="closes_at")
    rnd = ConfirmationRound(opened_at=now, closes_at=closes_at, opened_by_id=by.id if by else None)
    db.session.add(rnd)
    for contact_id in db.session.scalars(select(Contact.id)):
        rnd.confirmations.append(ContactConfirmation(contact_id=contact_id))
    db.session.flush()
    audit.record(
        by,
        "confirmation_round.open",
        "confirmation_round",
        rnd.id,
        after={"closes_at": closes_at.isoformat(), "entries": len(rnd.confirmations)},
    )
    return rnd


def _respond(
    rnd: ConfirmationRound,
    c: Contact,
    status: ConfirmationStatus,
    by: User | None,
    now: datetime,
) -> ContactConfirmation:
    row = db.session.scalar(
        select(ContactConfirmation).where(
            ContactConfirmation.round_id == rnd.id, ContactConfirmation.contact_id == c.id
        )
    )
    if row is None:  # an entry added after the round opened answers all the same
        row = ContactConfirmation(round_id=rnd.id, contact_id=c.id)
        db.session.add(row)
    # a correction stays a correction if the person later also presses "confirm"
    if not (row.status is ConfirmationStatus.CORRECTED and status is ConfirmationStatus.CONFIRMED):
        row.status = status
    row.responded_at = now
    row.responded_by_id = by.id if by else None
    c.confirmed_at = now
    db.session.flush()
    audit.record(
        by,
        "contact.correct" if status is ConfirmationStatus.CORRECTED else "contact.confirm",
        "contact",
        c.id,
        after={"round": rnd.id, "status": row.status.value},
        country_iso3=c.country_iso3,
    )
    return row


def confirm(
    scope: Scope, rnd: ConfirmationRound, c: Contact, by: User | None, now: datetime | None = None
) -> ContactConfirmation:
    now = now or now_utc()
    if not scope.may_confirm_contact(c):
        raise Forbidden(_("Only the person listed (or an organiser) confirms an entry."))
    if not rnd.is_open(now):
        raise DomainError(_("This confirmation round is closed."))
    return _respond(rnd, c, ConfirmationStatus.CONFIRMED, by, now)


@dataclass
class RoundView:
    round: ConfirmationRound
    rows: list[tuple[Contact, ContactConfirmation]]

    def count(self, status: ConfirmationStatus | str) -> int:
        return sum(1 for _c, r in self.rows if r.status == status)

    @property
    def pending(self) -> list[tuple[Contact, ContactConfirmation]]:
        return [(c, r) for c, r in self.rows if r.status is ConfirmationStatus.PENDING]

    @property
    def answered(self) -> list[tuple[Contact, ContactConfirmation]]:
        return [(c, r) for c, r in self.rows if r.status is not ConfirmationStatus.PENDING]


def round_view(scope: Scope, rnd: ConfirmationRound) -> RoundView:
    """The round as the viewer may see it: only the entries of their scope."""
    visible = scope.contacts().with_only_columns(Contact.id).order_by(None)
    rows = db.session.execute(
        select(Contact, ContactConfirmation)
        .join(ContactConfirmation, ContactConfirmation.contact_id == Contact.id)
        .where(ContactConfirmation.round_id == rnd.id, Contact.id.in_(visible))
        .options(selectinload(Contact.network), selectinload(Contact.country))
        .order_by(Contact.country_iso3, Contact.name)
    ).all()
    return RoundView(rnd, [(c, r) for c, r in rows])


def round_or_404(round_id: int) -> ConfirmationRound:
    from opsplanner.services.errors import NotFound

    rnd = db.session.get(ConfirmationRound, round_id)
    if rnd is None:
        raise NotFound("round not found")
    return rnd


def network_choices() -> list[Network]:
    return list(db.session.scalars(select(Network).order_by(Network.acronym)))
