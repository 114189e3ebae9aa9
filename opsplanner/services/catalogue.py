"""The catalogue of tools and services available to member states (curated by organisers and
coordinators), which entries serve which network, the tools each country uses (noted by its
focal point), and the analysis of how much each network's member states use each tool."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import Country, Network, ToolService, ToolUsage, User
from opsplanner.services import audit
from opsplanner.services.areas import M49_PREFIX, m49_areas
from opsplanner.services.errors import Conflict, DomainError

WORLD = "001"


def now_utc() -> datetime:
    return datetime.now(UTC)


def region_choices() -> list[tuple[str, str]]:
    """UN M49 areas present in the country table, plus the world."""
    areas = [(code.removeprefix(M49_PREFIX), name) for code, name in m49_areas().items()]
    return [(WORLD, _("World (every region)"))] + areas


def region_names() -> dict[str, str]:
    return dict(region_choices())


@dataclass
class ToolInput:
    name: str
    provider: str = ""
    offers: str = ""
    eligibility: str = ""
    access: str = ""
    region_codes: list[str] = field(default_factory=list)
    network_ids: list[int] = field(default_factory=list)
    link: str = ""


def check_tool(data: ToolInput) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if not data.region_codes and not data.network_ids:
        errors.append(("region_codes", _("Say which regions or networks it serves.")))
    known = {code for code, _name in region_choices()}
    if unknown := [c for c in data.region_codes if c not in known]:
        errors.append(
            ("region_codes", _("Unknown UN M49 area: %(codes)s", codes=", ".join(unknown)))
        )
    link = data.link.strip()
    if link and "://" in link and not link.lower().startswith(("https://", "http://")):
        errors.append(("link", _("Links start with https:// or http://.")))
    return errors


def snapshot(t: ToolService) -> dict[str, Any]:
    return {
        "name": t.name,
        "provider": t.provider,
        "offers": t.offers,
        "eligibility": t.eligibility,
        "access": t.access,
        "region_codes": list(t.region_codes or []),
        "networks": [n.acronym for n in t.networks],
        "link": t.link,
    }


def _apply(t: ToolService, data: ToolInput) -> None:
    t.name = data.name.strip()
    t.provider = data.provider.strip()
    t.offers = data.offers.strip()
    t.eligibility = data.eligibility.strip()
    t.access = data.access.strip()
    t.region_codes = sorted(set(data.region_codes))
    t.link = data.link.strip()
    wanted = set(data.network_ids)
    t.networks = list(
        db.session.scalars(select(Network).where(Network.id.in_(wanted)).order_by(Network.acronym))
    )


def _check(data: ToolInput, current: ToolService | None = None) -> None:
    if errors := check_tool(data):
        name, message = errors[0]
        raise DomainError(message, field=name)
    clash = db.session.scalar(select(ToolService).where(ToolService.name == data.name.strip()))
    if clash is not None and clash is not current:
        raise Conflict(_("The catalogue already has an entry of that name."), field="name")


def create(data: ToolInput, by: User | None) -> ToolService:
    _check(data)
    t = ToolService(updated_by_id=by.id if by else None)
    with db.session.no_autoflush:
        _apply(t, data)
    db.session.add(t)
    db.session.flush()
    audit.record(by, "tool.create", "tool_service", t.id, after=snapshot(t))
    return t


def update(t: ToolService, data: ToolInput, by: User | None) -> bool:
    _check(data, current=t)
    before = snapshot(t)
    with db.session.no_autoflush:
        _apply(t, data)
    old, new = audit.changes(before, snapshot(t))
    if not new:
        return False
    t.updated_at = now_utc()
    t.updated_by_id = by.id if by else None
    db.session.flush()
    audit.record(by, "tool.update", "tool_service", t.id, before=old, after=new)
    return True


def delete(t: ToolService, by: User | None) -> None:
    audit.record(by, "tool.delete", "tool_service", t.id, before=snapshot(t))
    db.session.delete(t)
    db.session.flush()


def all_tools() -> list[ToolService]:
    return list(
        db.session.scalars(
            select(ToolService)
            .options(selectinload(ToolService.networks))
            .order_by(ToolService.name)
        )
    )


def tool_or_none(tool_id: int) -> ToolService | None:
    return db.session.get(ToolService, tool_id)


# -- which entries serve a network ----------------------------------------------------------
def network_areas(network: Network, today: date) -> set[str]:
    """The M49 areas of the network's member states today, and the world."""
    codes = {WORLD}
    for c in network.members_on(today):
        codes.update(x for x in (c.region_code, c.subregion_code, c.intermediate_region_code) if x)
    return codes


def serves(tool: ToolService, network: Network, areas: set[str]) -> bool:
    return network in tool.networks or bool(areas & set(tool.region_codes or []))


def serving(
    network: Network, today: date, tools: list[ToolService] | None = None
) -> list[ToolService]:
    areas = network_areas(network, today)
    return [t for t in (tools if tools is not None else all_tools()) if serves(t, network, areas)]


# -- usage ----------------------------------------------------------------------------------
def usage_of(iso3: str) -> dict[int, ToolUsage]:
    return {
        u.tool_id: u
        for u in db.session.scalars(select(ToolUsage).where(ToolUsage.country_iso3 == iso3))
    }


def set_usage(
    country: Country,
    used_ids: set[int],
    by: User | None,
    now: datetime | None = None,
    tools: list[ToolService] | None = None,
) -> bool:
    """Record, for every catalogue entry, whether the country uses it (the form lists them
    all, so an unticked entry is a "no"). Returns whether anything changed."""
    now = now or now_utc()
    tools = tools if tools is not None else all_tools()
    if unknown := used_ids - {t.id for t in tools}:
        raise DomainError(
            _("Unknown catalogue entries: %(ids)s", ids=", ".join(map(str, sorted(unknown)))),
            field="tools",
        )
    current = usage_of(country.iso3)
    before = sorted(t.name for t in tools if t.id in current and current[t.id].uses)
    changed = False
    for t in tools:
        uses = t.id in used_ids
        row = current.get(t.id)
        if row is None:
            row = ToolUsage(country_iso3=country.iso3, tool_id=t.id)
            db.session.add(row)
        elif row.uses is uses:
            continue
        row.uses = uses
        row.noted_by_id = by.id if by else None
        row.noted_at = now
        changed = True
    db.session.flush()
    after = sorted(t.name for t in tools if t.id in used_ids)
    if changed:
        audit.record(
            by,
            "tool_usage.update",
            "country",
            country.iso3,
            before={"uses": before},
            after={"uses": after},
            country_iso3=country.iso3,
        )
    return changed


@dataclass(frozen=True)
class UsageCell:
    members: int
    answered: int  # member states whose focal point said yes or no
    using: int
    serves: bool

    @property
    def share(self) -> float:
        return self.using / self.members if self.members else 0.0


@dataclass
class UsageAnalysis:
    networks: list[Network]
    tools: list[ToolService]
    cells: dict[tuple[int, int], UsageCell]
    members: dict[int, int]

    def cell(self, network: Network, tool: ToolService) -> UsageCell:
        return self.cells[(network.id, tool.id)]


def usage_analysis(today: date | None = None) -> UsageAnalysis:
    """Per network with known member states: of its members today, how many use each tool
    (the share is of all members, so that a silent member counts as not using it)."""
    today = today or date.today()
    tools = all_tools()
    marks: dict[str, dict[int, bool]] = {}
    for u in db.session.scalars(select(ToolUsage)):
        marks.setdefault(u.country_iso3, {})[u.tool_id] = u.uses
    networks = db.session.scalars(
        select(Network)
        .where(Network.members_found.is_(True))
        .options(selectinload(Network.memberships))
        .order_by(Network.acronym)
    ).all()
    shown: list[Network] = []
    cells: dict[tuple[int, int], UsageCell] = {}
    members: dict[int, int] = {}
    for net in networks:
        iso3s = {c.iso3 for c in net.members_on(today)}
        if not iso3s:
            continue
        shown.append(net)
        members[net.id] = len(iso3s)
        areas = network_areas(net, today)
        for t in tools:
            answered = [marks[i][t.id] for i in iso3s if t.id in marks.get(i, {})]
            cells[(net.id, t.id)] = UsageCell(
                members=len(iso3s),
                answered=len(answered),
                using=sum(1 for uses in answered if uses),
                serves=serves(t, net, areas),
            )
    return UsageAnalysis(shown, tools, cells, members)


def analysis_table(a: UsageAnalysis) -> list[dict[str, Any]]:
    """The analysis as plain rows (the API and tests read it)."""
    return [
        {
            "network": n.acronym,
            "members": a.members[n.id],
            "tools": [
                {
                    "tool_id": t.id,
                    "tool": t.name,
                    "serves_network": a.cell(n, t).serves,
                    "answered": a.cell(n, t).answered,
                    "using": a.cell(n, t).using,
                    "share": round(a.cell(n, t).share, 4),
                }
                for t in a.tools
            ],
        }
        for n in a.networks
    ]
