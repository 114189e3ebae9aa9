"""Seizure records of a country's report: create, change (with a version check), delete, and
the listing queries. Validation is ``seizure_fields.parse``, the same for form, upload and API;
the spreadsheet import (``services/imports.py``) writes through ``apply_input`` too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from opsplanner.extensions import db
from opsplanner.models import (
    DetectionMethod,
    Participation,
    RecordSource,
    Seizure,
    SeizureQuantity,
    User,
)
from opsplanner.services import audit, reports
from opsplanner.services.errors import Conflict, DomainError, NotFound
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, FieldError, SeizureInput, format_amount


class InvalidSeizure(DomainError):
    """Every field error of one seizure; ``message``/``field`` carry the first for callers that
    show one."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = errors


def snapshot(s: Seizure) -> dict[str, Any]:
    """The record's content, for the audit trail (history) and change detection."""
    return {
        "national_reference": s.national_reference,
        "seized_on": s.seized_on.isoformat() if s.seized_on else None,
        "place": s.place,
        "port": s.port,
        "agency": s.agency,
        "detection_method": str(s.detection_method) if s.detection_method else None,
        "species_id": s.species_id,
        "species_other": s.species_other,
        "commodity": s.commodity,
        "description": s.description,
        "quantities": [[format_amount(q.amount), q.unit] for q in s.quantities],
        "conveyance": s.conveyance,
        "origin": list(s.origin_codes or ()),
        "transit": list(s.transit_codes or ()),
        "destination": list(s.destination_codes or ()),
        "online_linked": s.online_linked,
        "priority_id": s.priority_id,
        "suspects": s.suspects,
        "arrests": s.arrests,
        "sensitive": s.sensitive,
        "publishable": s.publishable,
    }


def input_snapshot(data: SeizureInput) -> dict[str, Any]:
    """The same shape as ``snapshot`` for an input, to tell an unchanged re-upload."""
    return {
        "national_reference": data.national_reference,
        "seized_on": data.seized_on.isoformat() if data.seized_on else None,
        "place": data.place,
        "port": data.port,
        "agency": data.agency,
        "detection_method": data.detection_method or None,
        "species_id": data.species_id,
        "species_other": "" if data.species_id else data.species_other,
        "commodity": data.commodity,
        "description": data.description,
        "quantities": [[format_amount(q.amount), q.unit] for q in data.quantities],
        "conveyance": data.conveyance,
        "origin": list(data.origin),
        "transit": list(data.transit),
        "destination": list(data.destination),
        "online_linked": data.online_linked,
        "priority_id": data.priority_id,
        "suspects": data.suspects,
        "arrests": data.arrests,
        "sensitive": data.sensitive,
        "publishable": data.publishable,
    }


def apply_input(s: Seizure, data: SeizureInput) -> None:
    """Copy a checked input onto a record. No queries here: an autoflush halfway would write a
    half-changed row."""
    s.national_reference = data.national_reference
    s.seized_on = data.seized_on  # type: ignore[assignment]  # checked by parse
    s.place, s.port = data.place, data.port
    s.agency = data.agency
    s.detection_method = DetectionMethod(data.detection_method)
    s.species_id = data.species_id
    # a known species needs no free text; keeping both would leave the record flagged
    s.species_other = "" if data.species_id else data.species_other
    s.commodity, s.description, s.conveyance = data.commodity, data.description, data.conveyance
    s.origin_codes = list(data.origin)
    s.transit_codes = list(data.transit)
    s.destination_codes = list(data.destination)
    s.online_linked = data.online_linked
    s.priority_id = data.priority_id
    s.suspects, s.arrests = data.suspects, data.arrests
    s.sensitive, s.publishable = data.sensitive, data.publishable
    current = {q.unit: q for q in s.quantities}
    kept: list[SeizureQuantity] = []
    for position, q in enumerate(data.quantities):
        row = current.get(q.unit) or SeizureQuantity(unit=q.unit)
        row.amount, row.position = q.amount, position
        kept.append(row)
    s.quantities = kept


def _audit(by: User | None, action: str, s: Seizure, p: Participation, **kw: Any) -> None:
    audit.record(
        by, action, "seizure", s.id, operation_id=p.operation_id, country_iso3=p.country_iso3, **kw
    )


def by_reference(p: Participation, reference: str) -> Seizure | None:
    return db.session.scalar(
        select(Seizure).where(
            Seizure.participation_id == p.id, Seizure.national_reference == reference
        )
    )


def _duplicate(reference: str) -> Conflict:
    return Conflict(
        _(
            "A seizure with the national reference %(ref)s is already reported: open it to "
            "change it, or use another reference.",
            ref=reference,
        ),
        field="national_reference",
    )


def create(
    scope: Scope,
    p: Participation,
    data: SeizureInput,
    errors: list[FieldError],
    *,
    source: RecordSource,
) -> Seizure:
    """Add a seizure from a parsed input (``errors`` from ``seizure_fields.parse``)."""
    reports.ensure_editable(scope, p)
    if errors:
        raise InvalidSeizure(errors)
    if by_reference(p, data.national_reference) is not None:
        raise _duplicate(data.national_reference)
    s = Seizure(
        participation=p,
        source=source,
        created_by_id=scope.user.id,
        updated_by_id=scope.user.id,
    )
    with db.session.no_autoflush:
        apply_input(s, data)
    db.session.add(s)
    db.session.flush()
    _audit(scope.user, "seizure.create", s, p, after=snapshot(s) | {"source": source.value})
    return s


def _stale(s: Seizure) -> Conflict:
    return Conflict(
        _(
            "This seizure was changed by someone else since you opened it (it is now at version "
            "%(version)d). Reload it to see their changes, then make yours again.",
            version=s.version,
        ),
        field="version",
    )


def _gone() -> Conflict:
    return Conflict(_("This seizure was deleted by someone else since you opened it."))


def update(
    scope: Scope,
    s: Seizure,
    data: SeizureInput,
    errors: list[FieldError],
    version: int | None,
) -> bool:
    """Change a seizure the caller loaded at ``version``; False when nothing changed."""
    p = s.participation
    reports.ensure_editable(scope, p)
    if version is None:
        raise DomainError(_("Send the version of the seizure you are changing."), field="version")
    if version != s.version:
        raise _stale(s)
    if errors:
        raise InvalidSeizure(errors)
    if data.national_reference != s.national_reference:
        other = by_reference(p, data.national_reference)
        if other is not None and other.id != s.id:
            raise _duplicate(data.national_reference)
    before = snapshot(s)
    with db.session.no_autoflush:
        apply_input(s, data)
        old, new = audit.changes(before, snapshot(s))
    if not new:
        return False
    # a change of quantities only touches the child rows; stamping the row makes the mapper
    # issue its UPDATE, which bumps (and checks) the version
    s.updated_at = datetime.now(UTC)
    s.updated_by_id = scope.user.id
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        current = db.session.get(Seizure, s.id)
        raise (_stale(current) if current is not None else _gone()) from None
    _audit(scope.user, "seizure.update", s, p, before=old, after=new | {"version": s.version})
    return True


def delete(scope: Scope, s: Seizure, version: int | None) -> None:
    p = s.participation
    reports.ensure_editable(scope, p)
    if version is not None and version != s.version:
        raise _stale(s)
    before = snapshot(s) | {"version": s.version}
    seizure_id = s.id
    db.session.delete(s)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise _gone() from None
    audit.record(
        scope.user,
        "seizure.delete",
        "seizure",
        seizure_id,
        before=before,
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )


# -- reading ----------------------------------------------------------------------------------
def of_participation(p: Participation) -> Select[tuple[Seizure]]:
    return (
        select(Seizure)
        .where(Seizure.participation_id == p.id)
        .options(selectinload(Seizure.quantities), selectinload(Seizure.species))
        .order_by(Seizure.seized_on, Seizure.id)
    )


def seizure_or_404(p: Participation, seizure_id: int) -> Seizure:
    """A seizure by id, only when it belongs to this (already scoped) participation."""
    s = db.session.get(Seizure, seizure_id)
    if s is None or s.participation_id != p.id:
        raise NotFound("seizure not found")
    return s


def history(s: Seizure) -> list[Any]:
    """The record's audit trail, oldest first: its full history."""
    from opsplanner.models import AuditEvent

    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "seizure", AuditEvent.object_id == str(s.id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def catalog_for(p: Participation) -> Catalog:
    return Catalog.load(p.operation)
