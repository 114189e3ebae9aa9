"""An ICCWC global operation, its ranked priorities and the countries that take part."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
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

if TYPE_CHECKING:
    from opsplanner.models.planning import Activity, PlanComment


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
    # When evaluation answers are due; None until the organiser sets it (reminders need it).
    evaluation_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    secure_channel: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Markdown written by the organiser; rendered through a sanitiser, never trusted as HTML.
    guidelines: Mapped[str] = mapped_column(Text, default="")
    # IANA zone the organiser works in: times are stored in UTC and shown in UTC and this zone.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Set when reporting opens; from then on the reporting template of the operation is fixed.
    template_frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    phase_changes: Mapped[list[PhaseChange]] = relationship(
        back_populates="operation", order_by="PhaseChange.at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Operation {self.code_name}>"


class PhaseChange(db.Model):
    """One move of an operation through its phases, shown as the operation's history."""

    __tablename__ = "phase_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), index=True
    )
    from_phase: Mapped[OperationPhase] = mapped_column(str_enum(OperationPhase, "from_phase"))
    to_phase: Mapped[OperationPhase] = mapped_column(str_enum(OperationPhase, "to_phase"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    operation: Mapped[Operation] = relationship(back_populates="phase_changes")
    by: Mapped[User | None] = relationship()


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
    # Commodity priorities name a commodity category (reference code, e.g. "pangolin_scales").
    commodity: Mapped[str | None] = mapped_column(String(40))
    # Trade-route priorities: codes of countries (ISO3) or UN M49 areas ("M49:145") along the
    # chain, and the conveyances watched (air_cargo, sea_container, postal, online, ...).
    origin_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    transit_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    destination_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    conveyances: Mapped[list[str]] = mapped_column(JSON, default=list)

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
    guidelines_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guidelines_acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )

    operation: Mapped[Operation] = relationship(back_populates="participations")
    country: Mapped[Country] = relationship()
    network: Mapped[Network | None] = relationship()
    focal_points: Mapped[list[User]] = relationship(secondary=participation_focal_point)
    activities: Mapped[list[Activity]] = relationship(
        back_populates="participation",
        cascade="all, delete-orphan",
        order_by="Activity.start_date",
    )
    plan_comments: Mapped[list[PlanComment]] = relationship(
        back_populates="participation",
        cascade="all, delete-orphan",
        order_by="PlanComment.created_at",
    )
