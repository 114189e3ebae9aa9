"""An ICCWC global operation, its ranked priorities and the countries that take part."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Column,
    Date,
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
from opsplanner.models.reference import Country, Network
from opsplanner.models.users import User


class OrganisingAgency(enum.StrEnum):
    INTERPOL = "INTERPOL"
    WCO = "WCO"


class OperationPhase(enum.StrEnum):
    DRAFT = "draft"
    PLANNING = "planning"
    BRIEFING = "briefing"
    ACTIVE = "active"
    REPORTING = "reporting"
    EVALUATION = "evaluation"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Operation(db.Model):
    __tablename__ = "operation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_name: Mapped[str] = mapped_column(String(80), unique=True)
    organising_agency: Mapped[OrganisingAgency] = mapped_column(
        str_enum(OrganisingAgency, "organising_agency")
    )
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    world_wildlife_day: Mapped[date] = mapped_column(Date)
    reporting_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    embargo_until: Mapped[datetime] = mapped_column(UTCDateTime)
    secure_channel: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[OperationPhase] = mapped_column(
        str_enum(OperationPhase, "operation_phase"), default=OperationPhase.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    priorities: Mapped[list[Priority]] = relationship(
        back_populates="operation", order_by="Priority.rank", cascade="all, delete-orphan"
    )
    participations: Mapped[list[Participation]] = relationship(
        back_populates="operation", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Operation {self.code_name}>"


class PriorityKind(enum.StrEnum):
    COMMODITY = "commodity"
    TRADE_ROUTE = "trade_route"
    MODUS_OPERANDI = "modus_operandi"
    CAPACITY_BUILDING = "capacity_building"


class Priority(db.Model):
    __tablename__ = "priority"
    __table_args__ = (UniqueConstraint("operation_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    kind: Mapped[PriorityKind] = mapped_column(str_enum(PriorityKind, "priority_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    operation: Mapped[Operation] = relationship(back_populates="priorities")


class ParticipationStatus(enum.StrEnum):
    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


participation_focal_point = Table(
    "participation_focal_point",
    db.metadata,
    Column(
        "participation_id",
        ForeignKey("participation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Participation(db.Model):
    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("operation_id", "country_iso3"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    country_iso3: Mapped[str] = mapped_column(ForeignKey("country.iso3"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"), index=True)
    status: Mapped[ParticipationStatus] = mapped_column(
        str_enum(ParticipationStatus, "participation_status"),
        default=ParticipationStatus.INVITED,
    )
    status_note: Mapped[str] = mapped_column(Text, default="")
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operation: Mapped[Operation] = relationship(back_populates="participations")
    country: Mapped[Country] = relationship()
    network: Mapped[Network | None] = relationship()
    focal_points: Mapped[list[User]] = relationship(secondary=participation_focal_point)
