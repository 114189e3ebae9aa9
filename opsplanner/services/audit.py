"""Recording audit events in the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from opsplanner.extensions import db
from opsplanner.models import AuditEvent, User


def _via() -> str:
    if has_request_context():
        return "api" if request.path.startswith("/api/") else "web"
    return "system"


def record(
    actor: User | None,
    action: str,
    obj_type: str,
    obj_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    operation_id: int | None = None,
    country_iso3: str | None = None,
    via: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit writes it with the change."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        actor_role=str(actor.role) if actor is not None else None,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        operation_id=operation_id,
        country_iso3=country_iso3,
        before=before,
        after=after,
        via=via or _via(),
    )
    db.session.add(event)
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, so the trail reads as a diff."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
