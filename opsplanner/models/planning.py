"""Pre-operational briefings and national activity plans."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
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
from opsplanner.models.operations import Operation, Participation, Priority
from opsplanner.models.reference import Network
from opsplanner.models.users import User


class BriefingKind(enum.StrEnum):
    BRIEFING = "briefing"
    PRE_OPERATION_MEETING = "pre_operation_meeting"


class MeetingMode(enum.StrEnum):
    VIRTUAL = "virtual"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class Briefing(db.Model):
    """A pre-operational briefing, global (no network) or for one network's member states."""

    __tablename__ = "briefing"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), index=True
    )
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"), index=True)
    kind: Mapped[BriefingKind] = mapped_column(
        str_enum(BriefingKind, "briefing_kind"), default=BriefingKind.BRIEFING
    )
    mode: Mapped[MeetingMode] = mapped_column(
        str_enum(MeetingMode, "meeting_mode"), default=MeetingMode.VIRTUAL
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90)
    # The zone the start time was entered in, to show it as the invitees' organiser meant it.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    location: Mapped[str] = mapped_column(String(300), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    materials: Mapped[str] = mapped_column(Text, default="")
    # Stable across edits so that calendar clients update the event instead of duplicating it.
    ical_uid: Mapped[str] = mapped_column(String(120), unique=True)
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # A cancelled briefing stays listed (and in the calendar feed, as CANCELLED, so that
    # calendar clients withdraw it) instead of vanishing from invitees' view.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    operation: Mapped[Operation] = relationship()
    network: Mapped[Network | None] = relationship()
    attendances: Mapped[list[BriefingAttendance]] = relationship(
        back_populates="briefing", cascade="all, delete-orphan"
    )


class BriefingAttendance(db.Model):
    """That a country attended a briefing, recorded by its focal point or the organiser."""

    __tablename__ = "briefing_attendance"
    __table_args__ = (UniqueConstraint("briefing_id", "participation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(ForeignKey("briefing.id", ondelete="CASCADE"))
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    attended: Mapped[bool] = mapped_column(Boolean, default=True)
    attendees: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    briefing: Mapped[Briefing] = relationship(back_populates="attendances")
    participation: Mapped[Participation] = relationship()


class ActivityType(db.Model):
    """The taxonomy of operational activities (shipped, editable by organisers): the seed
    meeting asked for "greater clarity on what is an operational activity"."""

    __tablename__ = "activity_type"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    definition: Mapped[str] = mapped_column(Text)
    examples: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Agency(enum.StrEnum):
    CUSTOMS = "customs"
    POLICE = "police"
    WILDLIFE = "wildlife"
    FORESTRY = "forestry"
    PROSECUTORS = "prosecutors_judiciary"
    FIU = "financial_intelligence_unit"
    TRANSPORT = "transport_sector"
    CITES_AUTHORITY = "cites_authority"
    OTHER = "other"


activity_priority = Table(
    "activity_priority",
    db.metadata,
    Column("activity_id", ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True),
    Column("priority_id", ForeignKey("priority.id", ondelete="CASCADE"), primary_key=True),
)


class Activity(db.Model):
    """One planned national activity of a participating country."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    activity_type_code: Mapped[str] = mapped_column(ForeignKey("activity_type.code"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    participation: Mapped[Participation] = relationship(back_populates="activities")
    activity_type: Mapped[ActivityType] = relationship()
    priorities: Mapped[list[Priority]] = relationship(secondary=activity_priority)

    __mapper_args__ = {"version_id_col": version}


class PlanComment(db.Model):
    """A coordinator's or organiser's comment on a country's activity plan."""

    __tablename__ = "plan_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participation: Mapped[Participation] = relationship(back_populates="plan_comments")
    author: Mapped[User | None] = relationship()
