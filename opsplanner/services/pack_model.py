"""The figures of a publication pack, as plain data: what the snapshot of approved results
yields (``pack_figures``), what the chart builders draw (``pack_charts``), and what the pack's
files, the communications view and the press release show.

Quantities stay per unit: a ``CommodityTotal`` is one (commodity, unit) pair and there is no
total across units anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from opsplanner.models.packs import PackAudience

# How the public pack names the countries that did not consent to be named.
OTHER_COUNTRIES = "Other participating countries"


# the audience of a pack: public (approved, publishable, non-sensitive; only consenting
# countries named) or internal (all approved results, for ICCWC partners)
Audience = PackAudience


@dataclass(frozen=True)
class CommodityTotal:
    commodity: str  # code from the commodities vocabulary
    label: str
    unit: str  # code from the units vocabulary
    unit_label: str
    quantity: Decimal
    seizures: int  # seizures with a quantity in this unit


@dataclass(frozen=True)
class GroupTotal:
    """A network, an M49 region or a country (``code`` is the acronym, region name or ISO3;
    None for the group of countries that are not named)."""

    code: str | None
    name: str
    countries: int
    seizures: int
    suspects: int
    arrests: int
    # ``countries`` counts the reporting ones (approved results); this, the confirmed ones
    participating: int = 0


@dataclass(frozen=True)
class DayCount:
    day: date
    seizures: int


@dataclass(frozen=True)
class Route:
    """origin -> transit... -> destination, as names (countries not named in a public pack
    appear as OTHER_COUNTRIES only when they are the reporting country; origin, transit and
    destination countries of a seizure are facts of the trade, not of the reporting)."""

    origin: str
    transit: tuple[str, ...]
    destination: str
    seizures: int


@dataclass(frozen=True)
class Flow:
    """One link of the Sankey diagram: ``source`` -> ``target`` with the number of seizures."""

    source: str
    target: str
    seizures: int
    # "origin", "transit" or "destination": the same country can be a node at two stages
    source_stage: str = ""
    target_stage: str = ""


@dataclass(frozen=True)
class Highlight:
    country: str  # a name, or OTHER_COUNTRIES
    narrative: str
    commodity_label: str
    quantities: tuple[tuple[Decimal, str], ...]  # (amount, unit label)
    route: str  # "Nigeria -> Ethiopia -> Viet Nam"
    detection_method: str
    seized_on: date
    consent: bool = True  # an internal pack also lists the cases nominated without consent


@dataclass
class Figures:
    operation_id: int
    operation_name: str
    audience: Audience
    data_version: str
    window_start: date
    window_end: date
    participating_countries: int = 0
    reporting_countries: int = 0
    seizures: int = 0
    suspects: int = 0
    arrests: int = 0
    companies: int = 0
    criminal_networks: int = 0
    international_notices: int = 0
    online_cases: int = 0
    by_commodity: list[CommodityTotal] = field(default_factory=list)
    by_network: list[GroupTotal] = field(default_factory=list)
    by_region: list[GroupTotal] = field(default_factory=list)
    by_country: list[GroupTotal] = field(default_factory=list)
    timeline: list[DayCount] = field(default_factory=list)
    top_routes: list[Route] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    # ISO3 -> seizures, for the world map; a public pack holds named countries only
    map_counts: dict[str, int] = field(default_factory=dict)
    highlights: list[Highlight] = field(default_factory=list)
    # national results cited next to online_cases, never added to it
    online_adverts_removed: int = 0
    online_accounts_removed: int = 0
    routes_total: int = 0  # distinct routes; top_routes holds the first of them
    seizures_without_route: int = 0  # no origin or no destination reported
