"""The one place that decides what each role may see and change.

Every query for user-visible data starts here. Records outside the user's scope are reported as
"not found", never "forbidden", so that probing ids reveals nothing about other countries.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from opsplanner.extensions import db
from opsplanner.models import (
    Briefing,
    Contact,
    ContactKind,
    Network,
    NetworkMembership,
    Operation,
    OperationPhase,
    Participation,
    Role,
    User,
)
from opsplanner.services.errors import NotFound


class Scope:
    def __init__(self, user: User, today: date | None = None) -> None:
        self.user = user
        self.role = user.role
        self.today = today or date.today()

    # -- what kind of viewer --------------------------------------------------------------
    @property
    def is_organiser(self) -> bool:
        return self.role is Role.ORGANISER

    @property
    def sees_country_detail(self) -> bool:
        """Communications staff work on aggregates only, never on a country's records."""
        return self.role is not Role.COMMUNICATIONS

    @cached_property
    def country_codes(self) -> frozenset[str] | None:
        """ISO3 codes whose detail this user may see; ``None`` means every country."""
        if self.role is Role.ORGANISER:
            return None
        if self.role is Role.FOCAL_POINT:
            return frozenset({self.user.country_iso3} if self.user.country_iso3 else ())
        if self.role is Role.COORDINATOR:
            if self.user.network_id is None:
                return frozenset()
            m = NetworkMembership
            rows = db.session.scalars(
                select(m.country_iso3).where(
                    m.network_id == self.user.network_id,
                    or_(m.valid_from.is_(None), m.valid_from <= self.today),
                    or_(m.valid_to.is_(None), m.valid_to >= self.today),
                )
            )
            return frozenset(rows)
        return frozenset()

    def may_see_country(self, iso3: str) -> bool:
        codes = self.country_codes
        return self.sees_country_detail and (codes is None or iso3 in codes)

    # -- operations ------------------------------------------------------------------------
    def operations(self) -> Select[tuple[Operation]]:
        query = select(Operation).order_by(Operation.window_start.desc(), Operation.id.desc())
        if self.is_organiser:
            return query
        # Drafts are the organiser's workspace until planning opens.
        query = query.where(Operation.phase != OperationPhase.DRAFT)
        if self.role in (Role.FOCAL_POINT, Role.COORDINATOR):
            taking_part = select(Participation.operation_id).where(self._participation_filter())
            query = query.where(Operation.id.in_(taking_part))
        return query

    def operation_or_404(self, operation_id: int) -> Operation:
        operation = db.session.scalar(self.operations().where(Operation.id == operation_id))
        if operation is None:
            raise NotFound("operation not found")
        return operation

    # -- participations --------------------------------------------------------------------
    def _participation_filter(self):
        codes = self.country_codes
        if codes is None:
            return Participation.id.is_not(None)
        if self.role is Role.COORDINATOR and self.user.network_id is not None:
            return or_(
                Participation.country_iso3.in_(codes),
                Participation.network_id == self.user.network_id,
            )
        return Participation.country_iso3.in_(codes)

    def participations(self, operation: Operation) -> Select[tuple[Participation]]:
        if not self.sees_country_detail:
            raise NotFound("country detail is not available to this role")
        return (
            select(Participation)
            .where(Participation.operation_id == operation.id, self._participation_filter())
            # Every page that lists participations shows the country and network names.
            .options(joinedload(Participation.country), joinedload(Participation.network))
            .order_by(Participation.country_iso3)
        )

    def participation_or_404(self, operation_id: int, iso3: str) -> Participation:
        operation = self.operation_or_404(operation_id)
        participation = db.session.scalar(
            self.participations(operation).where(Participation.country_iso3 == iso3.upper())
        )
        if participation is None:
            raise NotFound("participation not found")
        return participation

    def may_respond_for(self, participation: Participation) -> bool:
        """Confirm or decline: the country's own focal point, or the organiser."""
        if self.is_organiser:
            return True
        return (
            self.role is Role.FOCAL_POINT and self.user.country_iso3 == participation.country_iso3
        )

    def may_manage_operations(self) -> bool:
        return self.is_organiser

    # -- briefings -------------------------------------------------------------------------
    def briefing_network_ids(self, operation: Operation) -> frozenset[int]:
        """Networks whose briefings the user is invited to besides the global ones: the
        coordinator's own, or a focal point's coordinating network in this operation."""
        if self.role is Role.COORDINATOR:
            return frozenset({self.user.network_id} if self.user.network_id else ())
        if self.role is Role.FOCAL_POINT and self.user.country_iso3:
            rows = db.session.scalars(
                select(Participation.network_id).where(
                    Participation.operation_id == operation.id,
                    Participation.country_iso3 == self.user.country_iso3,
                    Participation.network_id.is_not(None),
                )
            )
            return frozenset(rows)
        return frozenset()

    def briefings(self, operation: Operation) -> Select[tuple[Briefing]]:
        if not self.sees_country_detail:
            raise NotFound("briefings are not available to this role")
        query = (
            select(Briefing)
            .where(Briefing.operation_id == operation.id)
            .options(joinedload(Briefing.network))
            .order_by(Briefing.starts_at, Briefing.id)
        )
        if self.is_organiser:
            return query
        return query.where(
            or_(
                Briefing.network_id.is_(None),
                Briefing.network_id.in_(sorted(self.briefing_network_ids(operation))),
            )
        )

    def briefing_or_404(self, operation_id: int, briefing_id: int) -> Briefing:
        operation = self.operation_or_404(operation_id)
        briefing = db.session.scalar(self.briefings(operation).where(Briefing.id == briefing_id))
        if briefing is None:
            raise NotFound("briefing not found")
        return briefing

    def may_acknowledge_for(self, participation: Participation) -> bool:
        """The guidelines are acknowledged by the country's own focal point only."""
        return (
            self.role is Role.FOCAL_POINT and self.user.country_iso3 == participation.country_iso3
        )

    # -- network directory: sheets, contacts, catalogue --------------------------------------
    def may_edit_sheet(self, network: Network) -> bool:
        """A network's coordinator keeps its sheet; organisers may correct any sheet."""
        return self.is_organiser or (
            self.role is Role.COORDINATOR and self.user.network_id == network.id
        )

    @cached_property
    def own_network_ids(self) -> frozenset[int]:
        """A coordinator's network, or the networks a focal point's country belongs to today."""
        if self.role is Role.COORDINATOR:
            return frozenset({self.user.network_id} if self.user.network_id else ())
        if self.role is Role.FOCAL_POINT and self.user.country_iso3:
            m = NetworkMembership
            rows = db.session.scalars(
                select(m.network_id).where(
                    m.country_iso3 == self.user.country_iso3,
                    or_(m.valid_from.is_(None), m.valid_from <= self.today),
                    or_(m.valid_to.is_(None), m.valid_to >= self.today),
                )
            )
            return frozenset(rows)
        return frozenset()

    def _contact_filter(self):
        codes = self.country_codes
        if codes is None:
            return Contact.id.is_not(None)
        own = Contact.user_id == self.user.id
        if self.role is Role.COORDINATOR:
            return or_(
                own,
                Contact.network_id.in_(sorted(self.own_network_ids)),
                Contact.country_iso3.in_(sorted(codes)),
            )
        # Focal points: their country's people and the coordinators of their networks.
        return or_(
            own,
            Contact.country_iso3.in_(sorted(codes)),
            (Contact.kind == ContactKind.COORDINATOR)
            & Contact.network_id.in_(sorted(self.own_network_ids)),
        )

    def contacts(self) -> Select[tuple[Contact]]:
        """Directory entries are personal data: communications staff see none at all."""
        if not self.sees_country_detail:
            raise NotFound("contacts are not available to this role")
        return (
            select(Contact)
            .where(self._contact_filter())
            .options(joinedload(Contact.network), joinedload(Contact.country))
            .order_by(Contact.name, Contact.id)
        )

    def contact_or_404(self, contact_id: int) -> Contact:
        contact = db.session.scalar(self.contacts().where(Contact.id == contact_id))
        if contact is None:
            raise NotFound("contact not found")
        return contact

    def is_own_entry(self, contact: Contact) -> bool:
        """The person listed: the linked account, or the focal point of the entry's country."""
        if contact.user_id is not None and contact.user_id == self.user.id:
            return True
        return (
            self.role is Role.FOCAL_POINT
            and contact.country_iso3 is not None
            and contact.country_iso3 == self.user.country_iso3
        )

    def may_confirm_contact(self, contact: Contact) -> bool:
        return self.is_organiser or self.is_own_entry(contact)

    def may_add_contacts(self) -> bool:
        return self.role in (Role.ORGANISER, Role.COORDINATOR)

    def may_place_contact(self, network_id: int | None, country_iso3: str | None) -> bool:
        """Where a coordinator may file an entry: their network, or a member state."""
        if self.is_organiser:
            return True
        if self.role is not Role.COORDINATOR:
            return False
        codes = self.country_codes or frozenset()
        by_network = network_id is not None and network_id in self.own_network_ids
        by_country = country_iso3 is not None and country_iso3 in codes
        return (
            (by_network or network_id is None)
            and (by_country or country_iso3 is None)
            and (by_network or by_country)
        )

    def may_manage_contact(self, contact: Contact) -> bool:
        """Edit: organisers, the coordinator whose network or member state it is, and the
        person listed (who corrects their own entry)."""
        if self.is_organiser or self.is_own_entry(contact):
            return True
        return self.role is Role.COORDINATOR and (
            contact.network_id in self.own_network_ids
            or contact.country_iso3 in (self.country_codes or frozenset())
        )

    def may_delete_contact(self, contact: Contact) -> bool:
        return self.is_organiser or (
            self.role is Role.COORDINATOR and self.may_manage_contact(contact)
        )

    def may_curate_tools(self) -> bool:
        return self.role in (Role.ORGANISER, Role.COORDINATOR)

    def may_mark_usage(self, iso3: str) -> bool:
        """Which tools a country uses is noted by its focal point (or an organiser)."""
        return self.is_organiser or (
            self.role is Role.FOCAL_POINT and self.user.country_iso3 == iso3
        )


def scoped(user: User) -> Scope:
    return Scope(user)
