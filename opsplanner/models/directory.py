"""The network directory: information sheets (with their saved versions and the reminders sent
when they go stale), the focal-point directory with its confirmation rounds, and the catalogue
of tools and services with the countries that use them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opsplanner.extensions import db
from opsplanner.models.base import UTCDateTime, str_enum, utcnow
from opsplanner.models.reference import Country, Network, NetworkForm, NetworkMaturity
from opsplanner.models.users import User


class Mandate(enum.StrEnum):
    """The seed meeting's first question for any network: operational task force or policy
    body (some are both)."""

    OPERATIONAL = "operational"
    POLICY = "policy"
    BOTH = "both"


class NetworkSheet(db.Model):
    """A network's current information sheet, kept by its coordinator. Every field may be
    blank (not stated); tri-state booleans are null until the network says yes or no."""

    __tablename__ = "network_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("network.id", ondelete="CASCADE"), unique=True
    )
    # "YYYY", "YYYY-MM" or "YYYY-MM-DD": networks often know only the year they began.
    formation_date: Mapped[str] = mapped_column(String(10), default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    # The network's own statement; the reference classification on Network is ours.
    form: Mapped[NetworkForm | None] = mapped_column(str_enum(NetworkForm, "sheet_form"))
    maturity: Mapped[NetworkMaturity | None] = mapped_column(
        str_enum(NetworkMaturity, "sheet_maturity")
    )
    mandate: Mapped[Mandate | None] = mapped_column(str_enum(Mandate, "sheet_mandate"))
    member_states: Mapped[str] = mapped_column(Text, default="")
    lead_agencies: Mapped[str] = mapped_column(Text, default="")
    has_secretariat: Mapped[bool | None] = mapped_column(Boolean)
    secretariat_location: Mapped[str] = mapped_column(String(200), default="")
    secretariat_role: Mapped[str] = mapped_column(Text, default="")
    prosecutors_judiciary: Mapped[bool | None] = mapped_column(Boolean)
    prosecutors_judiciary_detail: Mapped[str] = mapped_column(Text, default="")
    channels_sensitive: Mapped[str] = mapped_column(Text, default="")
    channels_non_sensitive: Mapped[str] = mapped_column(Text, default="")
    partners_donors: Mapped[str] = mapped_column(Text, default="")
    funding_sources: Mapped[str] = mapped_column(Text, default="")
    recent_activities: Mapped[str] = mapped_column(Text, default="")
    challenges: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    network: Mapped[Network] = relationship()
    updated_by: Mapped[User | None] = relationship()
    versions: Mapped[list[NetworkSheetVersion]] = relationship(
        back_populates="sheet",
        cascade="all, delete-orphan",
        order_by="NetworkSheetVersion.version.desc()",
    )

    # Two people saving at once: the later flush fails instead of overwriting silently.
    __mapper_args__ = {"version_id_col": version}


class NetworkSheetVersion(db.Model):
    """A saved state of a sheet, in full, so that any past version can be shown as it was."""

    __tablename__ = "network_sheet_version"
    __table_args__ = (UniqueConstraint("sheet_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        ForeignKey("network_sheet.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # web, api or seed: a seeded version was compiled from the 2016 meeting, not by a person.
    via: Mapped[str] = mapped_column(String(16), default="web")

    sheet: Mapped[NetworkSheet] = relationship(back_populates="versions")
    saved_by: Mapped[User | None] = relationship()


class SheetReminder(db.Model):
    """A reminder to a network's coordinators that its sheet is older than six months: the
    outbox. One per sheet version, so a sheet is reminded about once per stale period."""

    __tablename__ = "sheet_reminder"
    __table_args__ = (UniqueConstraint("sheet_id", "sheet_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        ForeignKey("network_sheet.id", ondelete="CASCADE"), index=True
    )
    sheet_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")

    sheet: Mapped[NetworkSheet] = relationship()


class ContactKind(enum.StrEnum):
    FOCAL_POINT = "focal_point"
    AGENCY_CONTACT = "agency_contact"
    COORDINATOR = "coordinator"


class Contact(db.Model):
    """An entry of the focal-point directory: a person of a network and/or a country.
    Personal data: seen only within a role's scope, exports audited."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ContactKind] = mapped_column(
        str_enum(ContactKind, "contact_kind"), default=ContactKind.FOCAL_POINT
    )
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("network.id", ondelete="CASCADE"), index=True
    )
    country_iso3: Mapped[str | None] = mapped_column(ForeignKey("country.iso3"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    agency: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    cencomm: Mapped[bool] = mapped_column(Boolean, default=False)
    i247: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    network: Mapped[Network | None] = relationship()
    country: Mapped[Country | None] = relationship()
    user: Mapped[User | None] = relationship()


class ConfirmationRound(db.Model):
    """A (twice-yearly) round in which every listed person confirms or corrects their entry."""

    __tablename__ = "confirmation_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    opened_by: Mapped[User | None] = relationship()
    confirmations: Mapped[list[ContactConfirmation]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )

    def is_open(self, now: datetime) -> bool:
        return self.opened_at <= now < self.closes_at


class ConfirmationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"


class ContactConfirmation(db.Model):
    """Where one entry stands in a round."""

    __tablename__ = "contact_confirmation"
    __table_args__ = (UniqueConstraint("round_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("confirmation_round.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ConfirmationStatus] = mapped_column(
        str_enum(ConfirmationStatus, "confirmation_status"), default=ConfirmationStatus.PENDING
    )
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    round: Mapped[ConfirmationRound] = relationship(back_populates="confirmations")
    contact: Mapped[Contact] = relationship()
    responded_by: Mapped[User | None] = relationship()


tool_service_network = Table(
    "tool_service_network",
    db.metadata,
    Column("tool_id", ForeignKey("tool_service.id", ondelete="CASCADE"), primary_key=True),
    Column("network_id", ForeignKey("network.id", ondelete="CASCADE"), primary_key=True),
)


class ToolService(db.Model):
    """A catalogue entry: a tool or service available to member states (e.g. ENVIRONET,
    TWIX, the CITES Virtual College), serving UN M49 regions and/or named networks."""

    __tablename__ = "tool_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    provider: Mapped[str] = mapped_column(String(200), default="")
    offers: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    access: Mapped[str] = mapped_column(Text, default="")
    # UN M49 codes (region, sub-region or intermediate region); "001" is the world.
    region_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Kept as text and never fetched: the app runs on closed networks.
    link: Mapped[str] = mapped_column(String(500), default="")
    # Set on shipped entries, so a reload of the seed recognises them after a rename.
    seed_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    networks: Mapped[list[Network]] = relationship(
        secondary=tool_service_network, order_by=Network.acronym
    )
    updated_by: Mapped[User | None] = relationship()


class ToolUsage(db.Model):
    """Whether a country uses a catalogue entry, as its focal point noted it."""

    __tablename__ = "tool_usage"
    __table_args__ = (UniqueConstraint("country_iso3", "tool_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_iso3: Mapped[str] = mapped_column(ForeignKey("country.iso3"), index=True)
    tool_id: Mapped[int] = mapped_column(
        ForeignKey("tool_service.id", ondelete="CASCADE"), index=True
    )
    uses: Mapped[bool] = mapped_column(Boolean, default=False)
    noted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tool: Mapped[ToolService] = relationship()
    noted_by: Mapped[User | None] = relationship()
