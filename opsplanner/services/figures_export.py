"""The live publication figures of an operation (the communications view) and their summary
export, computed on request from the approved results: no pack needs to be built.

The figures are ``compute_figures(take_snapshot(operation, audience))``: the same snapshot and
the same rules as the publication pack, so the view, its exports and a pack built from the same
data agree to the unit, and carry the same data version.

The summary export:

- XLSX: an "About" sheet (operation, audience, data version, window), then one sheet per table
  (``TABLES``): headline, by commodity and unit, by network, by region, by country, timeline,
  top routes. Numbers are numbers, days are dates, text cells are typed as text.
- CSV: one file holding every table in long form, one number per row, with the columns
  ``table, code, item, unit, measure, value`` (``CSV_HEADER``). ``table`` says which table a
  row belongs to (``about`` first, then ``TABLES``), ``code`` is a stable key (the headline
  figure's key, the commodity, network or ISO3 code, the day, the route's rank), ``item`` its
  label, ``unit`` the unit of a commodity quantity (and of the seizures counted with it) and
  ``measure`` what ``value`` counts. One file rather than a zip of seven, so that it opens
  anywhere and filters on ``table``; long rather than wide, so that the tables, whose columns
  differ, share one header. A quantity always has its unit on its row: filtering on
  ``measure = quantity`` and adding up ``value`` without grouping by ``unit`` is the only way
  to add kg to pieces, and the file says so in its ``about`` rows.

Both go through the formula-neutralising rules of ``services/tabular``. The highlights are
narratives, not figures: the export leaves them out (the pack carries them).
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from opsplanner.models import Operation
from opsplanner.services.pack_figures import compute_figures
from opsplanner.services.pack_model import Audience, Figures, GroupTotal
from opsplanner.services.pack_snapshot import take_snapshot
from opsplanner.services.tabular import write_csv, xlsx_value

TABLES = ("headline", "commodities", "networks", "regions", "countries", "timeline", "routes")
CSV_HEADER = ("table", "code", "item", "unit", "measure", "value")
GROUP_MEASURES = (
    "participating_countries",
    "reporting_countries",
    "seizures",
    "suspects",
    "arrests",
)
SHORT_VERSION = 12


def live_figures(operation: Operation, audience: Audience | str) -> Figures:
    """The figures of ``operation``'s approved results as ``audience`` may see them, now."""
    return compute_figures(take_snapshot(operation, audience))


def short_version(figures: Figures) -> str:
    return figures.data_version[:SHORT_VERSION]


def has_results(figures: Figures) -> bool:
    """At least one participating country's results are approved."""
    return figures.reporting_countries > 0


def headline(f: Figures) -> list[tuple[str, str, int]]:
    """(key, label, value) of every headline figure, in the order the page shows them."""
    return [
        ("participating_countries", _("Participating countries"), f.participating_countries),
        ("reporting_countries", _("Reporting countries"), f.reporting_countries),
        ("seizures", _("Seizures"), f.seizures),
        ("suspects", _("Suspects"), f.suspects),
        ("arrests", _("Arrests"), f.arrests),
        ("companies", _("Companies implicated"), f.companies),
        ("criminal_networks", _("Criminal networks identified"), f.criminal_networks),
        ("international_notices", _("International notices requested"), f.international_notices),
        ("online_cases", _("Online cases"), f.online_cases),
        ("online_adverts_removed", _("Online adverts removed"), f.online_adverts_removed),
        ("online_accounts_removed", _("Online accounts removed"), f.online_accounts_removed),
        ("routes_total", _("Distinct trade routes"), f.routes_total),
        ("seizures_without_route", _("Seizures without a route"), f.seizures_without_route),
    ]


def audience_label(audience: Audience) -> str:
    if audience is Audience.PUBLIC:
        return _("Public")
    return _("Internal (ICCWC partners)")


def route_text(origin: str, transit: Sequence[str], destination: str) -> str:
    return " -> ".join([origin, *transit, destination])


@dataclass(frozen=True)
class Table:
    key: str  # one of TABLES
    title: str  # the sheet's title (at most 31 characters)
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _group_rows(groups: Iterable[GroupTotal]) -> list[tuple[Any, ...]]:
    return [
        (g.code or "", g.name, g.participating, g.countries, g.seizures, g.suspects, g.arrests)
        for g in groups
    ]


def tables(f: Figures) -> list[Table]:
    """The summary tables, in the order of ``TABLES``."""
    group_header = (
        _("Code"),
        _("Name"),
        _("Participating countries"),
        _("Reporting countries"),
        _("Seizures"),
        _("Suspects"),
        _("Arrests"),
    )
    return [
        Table(
            "headline",
            _("Headline"),
            (_("Key"), _("Figure"), _("Value")),
            [(key, label, value) for key, label, value in headline(f)],
        ),
        Table(
            "commodities",
            _("By commodity and unit"),
            (_("Commodity code"), _("Commodity"), _("Unit"), _("Quantity"), _("Seizures")),
            [(c.commodity, c.label, c.unit_label, c.quantity, c.seizures) for c in f.by_commodity],
        ),
        Table("networks", _("By network"), group_header, _group_rows(f.by_network)),
        Table("regions", _("By region"), group_header, _group_rows(f.by_region)),
        Table("countries", _("By country"), group_header, _group_rows(f.by_country)),
        Table(
            "timeline",
            _("Timeline"),
            (_("Day"), _("Seizures")),
            [(d.day, d.seizures) for d in f.timeline],
        ),
        Table(
            "routes",
            _("Top routes"),
            (_("Rank"), _("Origin"), _("Transit"), _("Destination"), _("Seizures")),
            [
                (i, r.origin, " -> ".join(r.transit), r.destination, r.seizures)
                for i, r in enumerate(f.top_routes, start=1)
            ],
        ),
    ]


def about(f: Figures) -> list[tuple[str, str, str]]:
    """(key, label, value) describing the figures."""
    return [
        ("operation", _("Operation"), f.operation_name),
        ("audience", _("Audience"), audience_label(f.audience)),
        ("data_version", _("Data version"), f.data_version),
        ("window_start", _("Window start"), f.window_start.isoformat()),
        ("window_end", _("Window end"), f.window_end.isoformat()),
        (
            "units",
            _("Units"),
            _("Quantities are per unit: never add quantities in different units."),
        ),
    ]


def long_rows(f: Figures) -> list[tuple[Any, ...]]:
    """Every table in long form (see the module): (table, code, item, unit, measure, value)."""
    rows: list[tuple[Any, ...]] = [
        ("about", key, label, "", "text", value) for key, label, value in about(f)
    ]
    rows += [("headline", key, label, "", "count", value) for key, label, value in headline(f)]
    for c in f.by_commodity:
        rows.append(("commodities", c.commodity, c.label, c.unit_label, "quantity", c.quantity))
        rows.append(("commodities", c.commodity, c.label, c.unit_label, "seizures", c.seizures))
    for table, groups in (
        ("networks", f.by_network),
        ("regions", f.by_region),
        ("countries", f.by_country),
    ):
        for g in groups:
            values = (g.participating, g.countries, g.seizures, g.suspects, g.arrests)
            rows += [
                (table, g.code or "", g.name, "", measure, value)
                for measure, value in zip(GROUP_MEASURES, values, strict=True)
            ]
    rows += [
        ("timeline", d.day.isoformat(), d.day.isoformat(), "", "seizures", d.seizures)
        for d in f.timeline
    ]
    rows += [
        (
            "routes",
            str(i),
            route_text(r.origin, r.transit, r.destination),
            "",
            "seizures",
            r.seizures,
        )
        for i, r in enumerate(f.top_routes, start=1)
    ]
    return rows


def csv_bytes(f: Figures) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figures.csv"
        write_csv(path, CSV_HEADER, long_rows(f))
        return path.read_bytes()


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31]


def _cell(ws: Any, value: Any) -> Any:
    if isinstance(value, str):
        return xlsx_value(ws, value)
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def xlsx_bytes(f: Figures) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(_("About")))
    ws.append([_cell(ws, _("Field")), _cell(ws, _("Value"))])
    for _key, label, value in about(f):
        ws.append([_cell(ws, label), _cell(ws, value)])
    for table in tables(f):
        ws = wb.create_sheet(title=_sheet_title(table.title))
        ws.append([_cell(ws, h) for h in table.header])
        for row in table.rows:
            ws.append([_cell(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def file_name(f: Figures, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f.operation_name.lower()).strip("-") or "operation"
    return f"{slug}-figures-{f.audience.value}-{short_version(f)}.{fmt}"


def export_bytes(f: Figures, fmt: str) -> bytes:
    if fmt == "csv":
        return csv_bytes(f)
    if fmt == "xlsx":
        return xlsx_bytes(f)
    raise ValueError(f"unknown format {fmt!r}")
