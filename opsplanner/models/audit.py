"""Append-only audit trail, written in the same transaction as the change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from opsplanner.extensions import db
from opsplanner.models.base import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # No foreign key: the trail is never rewritten, not even to null a deleted account's id,
    # so the actor is kept by value as well.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    operation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    country_iso3: Mapped[str | None] = mapped_column(String(3), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    via: Mapped[str] = mapped_column(String(16), default="web")


class AuditTrailIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, flush_context: Any, instances: Any) -> None:
    # The database refuses too (triggers in the migration); this gives a clear error earlier.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
