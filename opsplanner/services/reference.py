"""Loading the shipped reference data idempotently: run it any number of times, on an empty or
a filled database, and the tables end up matching the shipped files (rows are updated in place,
never duplicated; memberships no longer in the files are removed)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pycountry
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    ActivityType,
    Country,
    MembershipKind,
    Network,
    NetworkForm,
    NetworkMaturity,
    NetworkMembership,
    Species,
)
from opsplanner.reference import DATA_DIR
from opsplanner.reference.vocabularies import activity_type_entries


@dataclass
class LoadReport:
    countries_added: int = 0
    countries_updated: int = 0
    networks_added: int = 0
    networks_updated: int = 0
    memberships_added: int = 0
    memberships_removed: int = 0
    activity_types_added: int = 0
    species_added: int = 0
    species_updated: int = 0

    def __str__(self) -> str:
        return (
            f"countries +{self.countries_added} ~{self.countries_updated}; "
            f"networks +{self.networks_added} ~{self.networks_updated}; "
            f"memberships +{self.memberships_added} -{self.memberships_removed}; "
            f"activity types +{self.activity_types_added}; "
            f"species +{self.species_added} ~{self.species_updated}"
        )


def read_m49() -> dict[str, dict[str, str]]:
    with (DATA_DIR / "m49.csv").open(encoding="utf-8") as fh:
        return {row["alpha3"]: row for row in csv.DictReader(fh)}


def read_networks() -> list[dict[str, Any]]:
    with (DATA_DIR / "networks.json").open(encoding="utf-8") as fh:
        return json.load(fh)["networks"]


def _country_values(c: Any, m49: dict[str, str]) -> dict[str, Any]:
    def blank(v: str | None) -> str | None:
        return v or None

    return {
        "iso2": c.alpha_2,
        "numeric": c.numeric,
        "name": getattr(c, "common_name", None) or c.name,
        "official_name": getattr(c, "official_name", None),
        "region_code": blank(m49.get("region_code")),
        "region": blank(m49.get("region")),
        "subregion_code": blank(m49.get("subregion_code")),
        "subregion": blank(m49.get("subregion")),
        "intermediate_region_code": blank(m49.get("intermediate_region_code")),
        "intermediate_region": blank(m49.get("intermediate_region")),
    }


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_reference() -> LoadReport:
    """Load countries then networks; the caller commits."""
    report = LoadReport()
    m49 = read_m49()
    existing = {c.iso3: c for c in db.session.scalars(select(Country))}
    for c in pycountry.countries:
        values = _country_values(c, m49.get(c.alpha_3, {}))
        country = existing.get(c.alpha_3)
        if country is None:
            db.session.add(Country(iso3=c.alpha_3, **values))
            report.countries_added += 1
        elif _apply(country, values):
            report.countries_updated += 1
    db.session.flush()

    networks = {n.acronym: n for n in db.session.scalars(select(Network))}
    for entry in read_networks():
        values = {
            "name": entry["name"],
            "aliases": list(entry.get("aliases", [])),
            "form": NetworkForm(entry["form"]),
            "maturity": NetworkMaturity(entry["maturity"]),
            "region": entry.get("region", ""),
            "seed_status": entry.get("seed_status", "attended"),
            "established": entry.get("established"),
            "membership_kind": MembershipKind(entry["membership_kind"]),
            "members_found": bool(entry.get("members_found", True)),
            "confidence": entry.get("confidence", "M"),
            "notes": entry.get("notes", ""),
            "sources": list(entry.get("sources", [])),
        }
        network = networks.get(entry["acronym"])
        if network is None:
            network = Network(acronym=entry["acronym"], **values)
            db.session.add(network)
            report.networks_added += 1
        elif _apply(network, values):
            report.networks_updated += 1
        _sync_memberships(network, entry.get("members", []), report)
    db.session.flush()
    _add_missing_activity_types(report)
    _sync_species(report)
    return report


def read_species() -> list[dict[str, Any]]:
    with (DATA_DIR / "species.json").open(encoding="utf-8") as fh:
        return json.load(fh)["taxa"]


def _sync_species(report: LoadReport) -> None:
    """Add or refresh the shipped taxa. Taxa are never removed: seizures point at them."""
    existing = {s.scientific_name: s for s in db.session.scalars(select(Species))}
    for entry in read_species():
        values = {
            "common_name": entry.get("common_name", ""),
            "rank": entry.get("rank", "species"),
            "taxon_group": entry["taxon_group"],
            "cites_appendix": entry.get("cites_appendix") or "",
            "appendix_note": entry.get("appendix_note") or "",
            "commodities": list(entry.get("commodities", [])),
            "synonyms": list(entry.get("synonyms", [])),
        }
        taxon = existing.get(entry["scientific_name"])
        if taxon is None:
            db.session.add(Species(scientific_name=entry["scientific_name"], **values))
            report.species_added += 1
        elif _apply(taxon, values):
            report.species_updated += 1
    db.session.flush()


def _add_missing_activity_types(report: LoadReport) -> None:
    """Add the shipped activity types that are missing; organisers may have edited the names
    and definitions of existing ones, and those edits are kept."""
    existing = set(db.session.scalars(select(ActivityType.code)))
    for position, entry in enumerate(activity_type_entries()):
        if entry["code"] in existing:
            continue
        db.session.add(
            ActivityType(
                code=entry["code"],
                name=entry["name"],
                definition=entry["definition"],
                examples=entry.get("examples", ""),
                position=position,
            )
        )
        report.activity_types_added += 1
    db.session.flush()


def _sync_memberships(network: Network, members: list[dict[str, Any]], report: LoadReport) -> None:
    wanted = {(m["iso3"], _date(m.get("valid_from"))): m for m in members}
    current = {(m.country_iso3, m.valid_from): m for m in network.memberships}
    for key, membership in current.items():
        if key not in wanted:
            network.memberships.remove(membership)
            report.memberships_removed += 1
    for key, m in wanted.items():
        values = {
            "valid_to": _date(m.get("valid_to")),
            "confidence": m.get("confidence", "M"),
            "note": m.get("note", ""),
        }
        membership = current.get(key)
        if membership is None:
            network.memberships.append(
                NetworkMembership(country_iso3=key[0], valid_from=key[1], **values)
            )
            report.memberships_added += 1
        else:
            _apply(membership, values)
