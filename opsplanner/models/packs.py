"""World Wildlife Day publication packs: one build per operation, audience and data version,
made of sections that workers build in parallel and a final assembly (manifest and zip)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opsplanner.extensions import db
from opsplanner.models.base import UTCDateTime, str_enum, utcnow
from opsplanner.models.operations import Operation
from opsplanner.models.users import User


class PackAudience(enum.StrEnum):
    PUBLIC = "public"  # approved, publishable, non-sensitive; only consenting countries named
    INTERNAL = "internal"  # all approved results and the evaluation, for ICCWC partners


class PackStatus(enum.StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Pack(db.Model):
    """A publication pack built from a snapshot of the approved results. Asking again for the
    same data (same snapshot digest) reuses it; changed data builds a new version, and the old
    versions stay downloadable."""

    __tablename__ = "pack"
    __table_args__ = (UniqueConstraint("operation_id", "audience", "inputs_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), index=True
    )
    audience: Mapped[PackAudience] = mapped_column(str_enum(PackAudience, "pack_audience"))
    # sha256 of the snapshot's canonical serialisation
    data_version: Mapped[str] = mapped_column(String(64))
    # sha256 of everything the files are made of: the data version, the press-release template
    # and the embargo. The same inputs reuse the pack; an edited template builds a new one.
    inputs_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[PackStatus] = mapped_column(
        str_enum(PackStatus, "pack_status"), default=PackStatus.QUEUED
    )
    # copied from the operation when the pack is requested: the files carry it
    embargo_until: Mapped[datetime] = mapped_column(UTCDateTime)
    seizures: Mapped[int] = mapped_column(Integer, default=0)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # every file with its sha256 and size, the data version, audience and embargo
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # artifacts not made and why, e.g. PNG and PDF without Chromium: [{"artifact", "reason"}]
    skipped: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    zip_name: Mapped[str] = mapped_column(String(200), default="")
    zip_sha256: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(Text, default="")

    operation: Mapped[Operation] = relationship()
    requested_by: Mapped[User | None] = relationship()
    sections: Mapped[list[PackSection]] = relationship(
        back_populates="pack", cascade="all, delete-orphan", order_by="PackSection.id"
    )


class PackSection(db.Model):
    """One part of a pack built by its own job (figures and data, charts, press release,
    report); the pack is assembled when all of them have succeeded."""

    __tablename__ = "pack_section"
    __table_args__ = (UniqueConstraint("pack_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("pack.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    status: Mapped[PackStatus] = mapped_column(
        str_enum(PackStatus, "pack_section_status"), default=PackStatus.QUEUED
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    # [{"name", "sha256", "bytes"}] relative to the section's folder
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    skipped: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="")

    pack: Mapped[Pack] = relationship(back_populates="sections")


class PressTemplate(db.Model):
    """The press-release template of an operation (Markdown with {placeholders} filled from
    the figures), edited by the organiser."""

    __tablename__ = "press_template"

    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operation.id", ondelete="CASCADE"), primary_key=True
    )
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}
