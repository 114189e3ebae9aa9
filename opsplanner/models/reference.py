"""Reference data of the field: countries (ISO 3166-1 with UN M49 regions) and the
wildlife-enforcement networks with their time-bounded memberships."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opsplanner.extensions import db
from opsplanner.models.base import str_enum


class Country(db.Model):
    __tablename__ = "country"

    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    iso2: Mapped[str] = mapped_column(String(2), unique=True)
    numeric: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(120))
    official_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(3))
    region: Mapped[str | None] = mapped_column(String(60))
    subregion_code: Mapped[str | None] = mapped_column(String(3))
    subregion: Mapped[str | None] = mapped_column(String(60))
    intermediate_region_code: Mapped[str | None] = mapped_column(String(3))
    intermediate_region: Mapped[str | None] = mapped_column(String(60))

    memberships: Mapped[list[NetworkMembership]] = relationship(back_populates="country")

    def __repr__(self) -> str:
        return f"<Country {self.iso3}>"


class NetworkForm(enum.StrEnum):
    GEOGRAPHIC = "geographic"
    DISCIPLINE = "discipline"
    COMMODITY = "commodity"


class NetworkMaturity(enum.StrEnum):
    ESTABLISHED = "established"
    EMERGING = "emerging"
    UNDER_CONSIDERATION = "under_consideration"


class MembershipKind(enum.StrEnum):
    MEMBERS = "members"
    PARTICIPANTS = "participants"
    COVERAGE = "coverage"


class Network(db.Model):
    __tablename__ = "network"

    id: Mapped[int] = mapped_column(primary_key=True)
    acronym: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    form: Mapped[NetworkForm] = mapped_column(str_enum(NetworkForm, "network_form"))
    maturity: Mapped[NetworkMaturity] = mapped_column(str_enum(NetworkMaturity, "network_maturity"))
    region: Mapped[str] = mapped_column(String(120), default="")
    seed_status: Mapped[str] = mapped_column(String(16), default="attended")
    established: Mapped[str | None] = mapped_column(String(10))
    membership_kind: Mapped[MembershipKind] = mapped_column(
        str_enum(MembershipKind, "membership_kind")
    )
    members_found: Mapped[bool] = mapped_column(Boolean, default=True)
    confidence: Mapped[str] = mapped_column(String(1), default="M")
    notes: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)

    memberships: Mapped[list[NetworkMembership]] = relationship(
        back_populates="network", cascade="all, delete-orphan"
    )

    def members_on(self, day: date) -> list[Country]:
        return sorted(
            (m.country for m in self.memberships if m.is_valid_on(day)), key=lambda c: c.name
        )

    def __repr__(self) -> str:
        return f"<Network {self.acronym}>"


class NetworkMembership(db.Model):
    """A country's membership (or participation, or coverage) of a network over a period;
    open-ended where ``valid_to`` is null."""

    __tablename__ = "network_membership"
    __table_args__ = (UniqueConstraint("network_id", "country_iso3", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    country_iso3: Mapped[str] = mapped_column(ForeignKey("country.iso3"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    confidence: Mapped[str] = mapped_column(String(1), default="M")
    note: Mapped[str] = mapped_column(Text, default="")

    network: Mapped[Network] = relationship(back_populates="memberships")
    country: Mapped[Country] = relationship(back_populates="memberships")

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )
