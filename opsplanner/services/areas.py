"""Geographic codes used along trade routes: an ISO3 country, or a UN M49 area as "M49:nnn"
(region, sub-region or intermediate region), expanded to countries when needed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from opsplanner.extensions import db
from opsplanner.models import Country

M49_PREFIX = "M49:"


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    is_country: bool


def m49_areas() -> dict[str, str]:
    """Every M49 region, sub-region and intermediate region present in the country table."""
    areas: dict[str, str] = {}
    for c in db.session.scalars(select(Country)):
        for code, name in (
            (c.region_code, c.region),
            (c.subregion_code, c.subregion),
            (c.intermediate_region_code, c.intermediate_region),
        ):
            if code and name:
                areas[f"{M49_PREFIX}{code}"] = name
    return dict(sorted(areas.items(), key=lambda kv: kv[1]))


def describe(code: str) -> Area | None:
    if code.startswith(M49_PREFIX):
        name = m49_areas().get(code)
        return Area(code, name, False) if name else None
    country = db.session.get(Country, code.upper())
    return Area(country.iso3, country.name, True) if country else None


def unknown_codes(codes: list[str]) -> list[str]:
    return [c for c in codes if describe(c) is None]


def expand(codes: list[str]) -> set[str]:
    """The ISO3 codes of every country covered by the given country and area codes."""
    iso3 = {c.upper() for c in codes if not c.startswith(M49_PREFIX)}
    m49 = [c.removeprefix(M49_PREFIX) for c in codes if c.startswith(M49_PREFIX)]
    if m49:
        rows = db.session.scalars(
            select(Country.iso3).where(
                or_(
                    Country.region_code.in_(m49),
                    Country.subregion_code.in_(m49),
                    Country.intermediate_region_code.in_(m49),
                )
            )
        )
        iso3.update(rows)
    return iso3
