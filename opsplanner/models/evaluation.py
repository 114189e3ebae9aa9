"""Post-operation evaluation and the network scoreboard.

- ``Questionnaire``: what the organiser asks after an operation, one row per version. The
  newest version is the one in use; it is frozen (``frozen_at``) when the first answer to it
  is saved, and a frozen version is never edited again (a change makes a new version only
  while nobody has answered).
- ``EvaluationResponse``: one per respondent and operation: a participating country (its
  focal points answer) or a network (its coordinator answers). Holds the ratings per
  dimension, the challenges met, and the free-text answers; draft until submitted.
- ``EvaluationReminder``: the outbox of reminders to respondents who have not submitted,
  one per respondent and stage (as ``ReportReminder`` is for results).
- ``NetworkChecklistItem``: the scoreboard checklist a coordinator keeps for their network in
  an operation (secretariat in place, directory up to date, ...); the items themselves are
  defined in code (services), the rows hold the answers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opsplanner.extensions import db
from opsplanner.models.base import UTCDateTime, str_enum, utcnow
from opsplanner.models.operations import Operation, Participation
from opsplanner.models.reference import Network
from opsplanner.models.users import User


class Questionnaire(db.Model):
    """One version of an operation's evaluation questionnaire.

    ``dimensions``, ``challenges`` and ``questions`` are lists of ``{"code": ..., "label":
    ...}``: codes are stable identifiers that answers refer to (so a label can be reworded in
    a new version without orphaning answers), labels are what respondents read."""

    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("operation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    intro: Mapped[str] = mapped_column(Text, default="")
    # Ratings run from 1 to scale_max; a respondent may also answer "not applicable".
    scale_max: Mapped[int] = mapped_column(Integer, default=5)
    dimensions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    challenges: Mapped[list[dict]] = mapped_column(JSON, default=list)
    questions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operation: Mapped[Operation] = relationship()
    created_by: Mapped[User | None] = relationship()


class ResponseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class EvaluationResponse(db.Model):
    """A country's or a network's answers to the evaluation of one operation.

    Exactly one of ``participation_id`` (a participating country, answered by its focal
    points) and ``network_id`` (a network, answered by its coordinator) is set."""

    __tablename__ = "evaluation_response"
    __table_args__ = (
        UniqueConstraint("operation_id", "participation_id"),
        UniqueConstraint("operation_id", "network_id"),
        CheckConstraint(
            "(participation_id IS NULL) <> (network_id IS NULL)",
            name="one_respondent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), index=True
    )
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True
    )
    participation_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE")
    )
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"))
    status: Mapped[ResponseStatus] = mapped_column(
        str_enum(ResponseStatus, "response_status"), default=ResponseStatus.DRAFT
    )
    # {dimension code: 1..scale_max, or None for "not applicable"}
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)
    # challenge codes ticked
    challenges: Mapped[list[str]] = mapped_column(JSON, default=list)
    challenges_other: Mapped[str] = mapped_column(Text, default="")
    # {question code: free text}
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Optimistic locking: a save from a stale page is a conflict, not a silent overwrite.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    operation: Mapped[Operation] = relationship()
    questionnaire: Mapped[Questionnaire] = relationship()
    participation: Mapped[Participation | None] = relationship()
    network: Mapped[Network | None] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])


class EvaluationReminder(db.Model):
    """Outbox of evaluation reminders: one per respondent (country or network) and stage."""

    __tablename__ = "evaluation_reminder"
    __table_args__ = (UniqueConstraint("operation_id", "respondent", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), index=True
    )
    # "country:KEN" or "network:12": who it was for
    respondent: Mapped[str] = mapped_column(String(40))
    # "7d", "2d", "overdue"
    stage: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class NetworkChecklistItem(db.Model):
    """One answer of a network's scoreboard checklist for one operation."""

    __tablename__ = "network_checklist_item"
    __table_args__ = (UniqueConstraint("operation_id", "network_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), index=True
    )
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    # code of a checklist item defined in services (e.g. "secretariat")
    item: Mapped[str] = mapped_column(String(40))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    network: Mapped[Network] = relationship()
    updated_by: Mapped[User | None] = relationship()
