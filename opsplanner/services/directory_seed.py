"""Seeding the network directory from the shipped file: partly filled information sheets for
the networks of the 2016 meeting, and the catalogue entries the meeting named.

Only what is missing is created: a sheet a coordinator has saved and a catalogue entry an
organiser has edited or renamed (recognised by its seed key) are never overwritten. A shipped
entry that was deleted comes back on the next load, as any missing reference row does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Network, NetworkSheet, NetworkSheetVersion, ToolService
from opsplanner.reference import DATA_DIR
from opsplanner.services import sheets


@dataclass
class SeedReport:
    sheets_added: int = 0
    tools_added: int = 0

    def __str__(self) -> str:
        return f"sheets +{self.sheets_added}; tools and services +{self.tools_added}"


def read_seed() -> dict[str, Any]:
    with (DATA_DIR / "directory_seed.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def load_directory_seed() -> SeedReport:
    """Create missing sheets and catalogue entries; the caller commits."""
    seed = read_seed()
    report = SeedReport()
    # Seeded sheets carry the date of the meeting whose questionnaires they restate, so that
    # they show as stale until a coordinator reviews them.
    as_of = datetime.fromisoformat(seed["as_of"]).replace(tzinfo=UTC)
    networks = {n.acronym: n for n in db.session.scalars(select(Network))}
    with_sheet = set(db.session.scalars(select(NetworkSheet.network_id)))
    for acronym, values in seed["sheets"].items():
        network = networks.get(acronym)
        if network is None or network.id in with_sheet:
            continue
        unknown = set(values) - set(sheets.FIELD_KEYS)
        if unknown:
            raise ValueError(f"{acronym}: unknown sheet fields {sorted(unknown)}")
        sheet = NetworkSheet(network_id=network.id, updated_at=as_of, updated_by_id=None)
        for key in sheets.FIELD_KEYS:
            setattr(sheet, key, sheets._coerce(key, values.get(key)))
        db.session.add(sheet)
        db.session.flush()
        db.session.add(
            NetworkSheetVersion(
                sheet_id=sheet.id,
                version=sheet.version,
                content=sheets.content(sheet),
                saved_at=as_of,
                via="seed",
            )
        )
        report.sheets_added += 1

    known_keys = set(db.session.scalars(select(ToolService.seed_key)))
    known_names = set(db.session.scalars(select(ToolService.name)))
    for entry in seed["tools"]:
        if entry["key"] in known_keys or entry["name"] in known_names:
            continue
        tool = ToolService(
            seed_key=entry["key"],
            name=entry["name"],
            provider=entry.get("provider", ""),
            offers=entry.get("offers", ""),
            eligibility=entry.get("eligibility", ""),
            access=entry.get("access", ""),
            region_codes=sorted(entry.get("regions", [])),
            link=entry.get("link", ""),
        )
        tool.networks = [networks[a] for a in entry.get("networks", []) if a in networks]
        db.session.add(tool)
        report.tools_added += 1
    db.session.flush()
    return report
