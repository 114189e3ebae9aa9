"""Plain dicts for the JSON API; one function per resource, reused by list and item views."""

from __future__ import annotations

from datetime import date
from typing import Any

from opsplanner.models import Country, Network, Operation, Participation


def country(c: Country) -> dict[str, Any]:
    return {
        "iso3": c.iso3,
        "iso2": c.iso2,
        "numeric": c.numeric,
        "name": c.name,
        "official_name": c.official_name,
        "region": {"code": c.region_code, "name": c.region},
        "subregion": {"code": c.subregion_code, "name": c.subregion},
        "intermediate_region": {"code": c.intermediate_region_code, "name": c.intermediate_region},
    }


def network(n: Network, today: date, with_members: bool = False) -> dict[str, Any]:
    current = [m for m in n.memberships if m.is_valid_on(today)]
    body: dict[str, Any] = {
        "acronym": n.acronym,
        "name": n.name,
        "aliases": n.aliases,
        "form": str(n.form),
        "maturity": str(n.maturity),
        "region": n.region,
        "membership_kind": str(n.membership_kind),
        "members_found": n.members_found,
        "confidence": n.confidence,
        "member_count": len(current),
    }
    if with_members:
        body["notes"] = n.notes
        body["sources"] = n.sources
        body["memberships"] = [
            {
                "iso3": m.country_iso3,
                "valid_from": m.valid_from.isoformat() if m.valid_from else None,
                "valid_to": m.valid_to.isoformat() if m.valid_to else None,
                "current": m.is_valid_on(today),
                "confidence": m.confidence,
                "note": m.note,
            }
            for m in sorted(n.memberships, key=lambda m: (m.country_iso3, str(m.valid_from)))
        ]
    return body


def operation(op: Operation, counts: dict[str, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": op.id,
        "code_name": op.code_name,
        "organising_agency": str(op.organising_agency),
        "window_start": op.window_start.isoformat(),
        "window_end": op.window_end.isoformat(),
        "world_wildlife_day": op.world_wildlife_day.isoformat(),
        "reporting_deadline": op.reporting_deadline.isoformat(),
        "embargo_until": op.embargo_until.isoformat(),
        "secure_channel": op.secure_channel,
        "description": op.description,
        "phase": str(op.phase),
    }
    if counts is not None:
        body["participation_counts"] = counts
    return body


def participation(p: Participation) -> dict[str, Any]:
    return {
        "operation_id": p.operation_id,
        "country": p.country_iso3,
        "country_name": p.country.name,
        "network": p.network.acronym if p.network else None,
        "status": str(p.status),
        "status_note": p.status_note,
        "invited_at": p.invited_at.isoformat(),
        "responded_at": p.responded_at.isoformat() if p.responded_at else None,
    }
