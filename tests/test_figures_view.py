"""The publication figures view (issue #5, item 4): communications staff and organisers browse
the pack's figures and interactive charts live, and export a summary, without a pack.

Data: ``pack_datasets.mixed`` on the ``reporting`` fixture, built through seizures.create and
reports.transition: Thailand and Kenya approved and named, Viet Nam approved without consent,
Uganda returned, France in draft, sensitive and non-publishable seizures, highlights with and
without consent.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pycountry
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    CountryReport,
    Participation,
    ParticipationStatus,
    ReportStatus,
    Seizure,
)
from opsplanner.services import figures_export
from opsplanner.services.pack_charts import CHART_NAMES, format_quantity
from opsplanner.services.pack_figures import compute_figures
from opsplanner.services.pack_model import (
    OTHER_COUNTRIES,
    Audience,
    CommodityTotal,
    Figures,
    GroupTotal,
)
from opsplanner.services.pack_snapshot import take_snapshot
from tests import pack_datasets
from tests.conftest import location_path, signed_in

SHEETS = [
    "About",
    "Headline",
    "By commodity and unit",
    "By network",
    "By region",
    "By country",
    "Timeline",
    "Top routes",
]


# -- helpers -------------------------------------------------------------------------------------
@pytest.fixture
def mixed(app, users, reporting) -> pack_datasets.Dataset:
    return pack_datasets.mixed(reporting, users)


def client(app: Any, role: str) -> Any:
    return signed_in(app, f"{role}@test.example")


def figures_of(op: Any, audience: Audience) -> Figures:
    return compute_figures(take_snapshot(op, audience))


class Page(HTMLParser):
    """The parts of the figures page the tests read: headline figures, tables by id, the
    embedded charts and every src/href."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = defaultdict(list)
        self.charts: dict[str, str] = {}
        self.links: list[str] = []
        self._figure: str | None = None
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._chart: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name):
                self.links.append(a[name] or "")
        if a.get("data-figure"):
            self._figure = a["data-figure"]
            self.figures[self._figure] = ""
        if tag == "table" and a.get("id"):
            self._table = a["id"]
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "script" and a.get("data-chart"):
            self._chart = a["data-chart"]
            self.charts[self._chart] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("dd", "span"):
            self._figure = None
        elif tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            if self._table and self._row:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "script":
            self._chart = None

    def handle_data(self, data: str) -> None:
        if self._figure:
            self.figures[self._figure] += data
        if self._cell is not None:
            self._cell.append(data)
        if self._chart:
            self.charts[self._chart] += data

    def rows(self, table: str) -> list[list[str]]:
        return self.tables[f"table-{table}"][1:]  # without the header row


def n(value: int) -> str:
    return f"{value:,}"


def group_rows(groups: list[GroupTotal]) -> list[list[str]]:
    return [
        [g.name, n(g.participating), n(g.countries), n(g.seizures), n(g.suspects), n(g.arrests)]
        for g in groups
    ]


def headline_of(f: Figures) -> dict[str, int]:
    return {
        "participating_countries": f.participating_countries,
        "reporting_countries": f.reporting_countries,
        "seizures": f.seizures,
        "suspects": f.suspects,
        "arrests": f.arrests,
        "companies": f.companies,
        "criminal_networks": f.criminal_networks,
        "international_notices": f.international_notices,
        "online_cases": f.online_cases,
        "online_adverts_removed": f.online_adverts_removed,
        "online_accounts_removed": f.online_accounts_removed,
        "routes_total": f.routes_total,
        "seizures_without_route": f.seizures_without_route,
    }


def assert_page_shows(page: Page, f: Figures) -> None:
    assert {k: int(v.replace(",", "")) for k, v in page.figures.items()} == headline_of(f)
    assert page.rows("commodities") == [
        [c.label, c.unit_label, format_quantity(c.quantity), n(c.seizures)] for c in f.by_commodity
    ]
    assert page.rows("networks") == group_rows(f.by_network)
    assert page.rows("regions") == group_rows(f.by_region)
    assert page.rows("countries") == group_rows(f.by_country)
    assert page.rows("timeline") == [[d.day.isoformat(), n(d.seizures)] for d in f.timeline]
    assert page.rows("routes") == [
        [r.origin, " -> ".join(r.transit), r.destination, n(r.seizures)] for r in f.top_routes
    ]


def unnamed_words(op: Any) -> list[str]:
    """Every way the participating countries that are not named in public could be written:
    Viet Nam (no consent), Uganda (returned), France (draft)."""
    words: list[str] = []
    for iso3 in ("VNM", "UGA", "FRA"):
        country = db.session.get(Country, iso3)
        known = pycountry.countries.get(alpha_3=iso3)
        words += [country.name, getattr(known, "common_name", country.name), known.name]
    return sorted(set(words))


def assert_no_leak(label: str, content: str, dataset: pack_datasets.Dataset, op: Any) -> None:
    for word in [*dataset.secrets, *unnamed_words(op)]:
        assert word not in content, f"{word!r} in {label}"
    for iso3 in ("VNM", "UGA", "FRA"):
        assert not re.search(rf"\b{iso3}\b", content), f"{iso3} in {label}"


def csv_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert tuple(reader.fieldnames or ()) == figures_export.CSV_HEADER
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in reader:
        out[row["table"]].append(row)
    return out


def xlsx_rows(data: bytes) -> dict[str, list[list[Any]]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def approved_participations(op: Any) -> list[int]:
    return list(
        db.session.scalars(
            select(Participation.id)
            .join(CountryReport, CountryReport.participation_id == Participation.id)
            .where(
                Participation.operation_id == op.id,
                Participation.status == ParticipationStatus.CONFIRMED,
                CountryReport.status == ReportStatus.APPROVED,
            )
        )
    )


# -- the page ------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["organiser", "comms"])
def test_the_page_shows_the_public_figures(app, users, reporting, mixed, role):
    response = client(app, role).get(f"/operations/{reporting.id}/figures")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Page(html)
    f = figures_of(reporting, Audience.PUBLIC)
    assert f.reporting_countries == 3 and f.seizures > 0
    assert_page_shows(page, f)
    # the data version, and the highlights with consent (and only those)
    assert f.data_version[:12] in html
    assert f.highlights and all(h.consent for h in f.highlights)
    for h in f.highlights:
        assert h.narrative in html
    assert OTHER_COUNTRIES in html
    assert "figures-empty" not in html
    # a link to the aggregate summary page
    assert f"/operations/{reporting.id}/summary" in page.links


def test_the_public_figures_match_the_raw_rows(app, users, reporting, mixed):
    """Spot checks straight from the tables, independent of the snapshot."""
    page = Page(client(app, "comms").get(f"/operations/{reporting.id}/figures").get_data(True))
    approved = approved_participations(reporting)
    public = list(
        db.session.scalars(
            select(Seizure).where(
                Seizure.participation_id.in_(approved),
                Seizure.publishable.is_(True),
                Seizure.sensitive.is_(False),
            )
        )
    )
    assert int(page.figures["seizures"]) == len(public)
    assert int(page.figures["reporting_countries"]) == len(approved) == 3
    assert int(page.figures["participating_countries"]) == 5  # ZAF withdrew, MYS declined
    online = [s for s in public if s.online_linked or s.conveyance == "online"]
    assert int(page.figures["online_cases"]) == len(online)
    ivory: dict[str, Decimal] = defaultdict(Decimal)
    for s in public:
        if s.commodity == "ivory":
            for q in s.quantities:
                ivory[q.unit] += Decimal(str(q.amount))
    shown = {row[1]: row[2] for row in page.rows("commodities") if row[0] == "Ivory"}
    assert shown == {"kg": format_quantity(ivory["kg"]), "pieces": format_quantity(ivory["pieces"])}
    timeline = {row[0]: int(row[1]) for row in page.rows("timeline")}
    assert timeline["2027-02-05"] == sum(1 for s in public if s.seized_on == date(2027, 2, 5))
    assert sum(timeline.values()) == len(public)


def test_the_public_page_leaks_nothing(app, users, reporting, mixed):
    for role in ("organiser", "comms"):
        html = client(app, role).get(f"/operations/{reporting.id}/figures").get_data(True)
        assert_no_leak(f"the page for {role}", html, mixed, reporting)


def test_an_organiser_may_see_the_internal_figures(app, users, reporting, mixed):
    c = client(app, "organiser")
    html = c.get(f"/operations/{reporting.id}/figures?audience=internal").get_data(True)
    internal = figures_of(reporting, Audience.INTERNAL)
    assert_page_shows(Page(html), internal)
    assert internal.seizures > figures_of(reporting, Audience.PUBLIC).seizures
    assert "Vietnam" in html  # every country is named internally
    with pytest.raises(AssertionError):  # so the leak check of the public page can fail
        assert_no_leak("the internal page", html, mixed, reporting)
    assert internal.data_version[:12] in html
    # the audience is kept in the export links
    assert f"/operations/{reporting.id}/figures.csv?audience=internal" in Page(html).links


def test_only_organisers_and_communications_see_the_figures(app, users, reporting, mixed):
    urls = [f"/operations/{reporting.id}/figures{end}" for end in ("", ".csv", ".xlsx")]
    for role in ("coord_asean", "coord_latf", "fp_tha", "fp_ken"):
        c = client(app, role)
        for url in urls:
            for query in ("", "?audience=internal"):
                assert c.get(url + query).status_code == 404, (role, url, query)
    anonymous = app.test_client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and location_path(response).startswith("/login")
    comms = client(app, "comms")
    for url in urls:
        assert comms.get(url).status_code == 200
        assert comms.get(url + "?audience=internal").status_code == 404
        assert comms.get(url + "?audience=nonsense").status_code == 404


def test_every_chart_is_embedded_and_drawn_offline(app, users, reporting, mixed):
    response = client(app, "comms").get(f"/operations/{reporting.id}/figures")
    html = response.get_data(as_text=True)
    page = Page(html)
    assert set(page.charts) == {f"chart-{name}" for name in CHART_NAMES}
    for target, raw in page.charts.items():
        assert f'id="{target}"' in html
        figure = json.loads(raw)
        assert figure["data"], target
    geo = json.loads(page.charts["chart-map"])["layout"]["geo"]
    assert (geo["scope"], geo["resolution"]) == ("world", 110)
    # the vendored plotly and the chart script, nothing from another origin
    assert "/static/vendor/plotly/plotly-strict.min.js" in page.links
    assert "/static/js/charts.js" in page.links
    assert not [link for link in page.links if re.match(r"(https?:)?//", link)]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "unsafe-inline" in response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]
    # the map geometry the charts script points plotly at is served here
    assert app.test_client().get("/static/vendor/topojson/world_110m.json").status_code == 200


def test_operations_without_approved_results_show_an_empty_state(app, users, reporting):
    b = pack_datasets.Builder(reporting, users)
    b.seizure("THA", "TH-DRAFT-1", place="Draft place")
    b.move("THA", "submit", "validate")  # validated, not approved
    db.session.commit()
    for role in ("organiser", "comms"):
        c = client(app, role)
        response = c.get(f"/operations/{reporting.id}/figures")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'id="figures-empty"' in html and "No results are approved yet." in html
        assert "data-chart" not in html and "plotly" not in html
        assert "Draft place" not in html and "TH-DRAFT-1" not in html
        page = Page(html)
        assert page.figures == {"participating_countries": "5"}
        tables = csv_tables(c.get(f"/operations/{reporting.id}/figures.csv").data)
        headline = {r["code"]: int(r["value"]) for r in tables["headline"]}
        assert headline["seizures"] == 0 and headline["reporting_countries"] == 0
        assert not tables["commodities"]


# -- the exports -----------------------------------------------------------------------------
def assert_csv_equals(tables: dict[str, list[dict[str, str]]], f: Figures) -> None:
    assert list(tables) == ["about", *figures_export.TABLES]
    about = {r["code"]: r["value"] for r in tables["about"]}
    assert about["data_version"] == f.data_version
    assert about["operation"] == f.operation_name
    assert about["audience"] == figures_export.audience_label(f.audience)
    assert {r["code"]: int(r["value"]) for r in tables["headline"]} == headline_of(f)
    commodities: dict[tuple[str, str, str], Decimal] = {}
    for r in tables["commodities"]:
        commodities[(r["code"], r["unit"], r["measure"])] = Decimal(r["value"])
    expected: dict[tuple[str, str, str], Decimal] = {}
    for c in f.by_commodity:
        expected[(c.commodity, c.unit_label, "quantity")] = c.quantity
        expected[(c.commodity, c.unit_label, "seizures")] = Decimal(c.seizures)
    assert commodities == expected
    for table, groups in (
        ("networks", f.by_network),
        ("regions", f.by_region),
        ("countries", f.by_country),
    ):
        got = {(r["item"], r["measure"]): int(r["value"]) for r in tables[table]}
        want = {}
        for g in groups:
            values = (g.participating, g.countries, g.seizures, g.suspects, g.arrests)
            for measure, value in zip(figures_export.GROUP_MEASURES, values, strict=True):
                want[(g.name, measure)] = value
        assert got == want, table
        assert all(r["unit"] == "" for r in tables[table])
    assert [(r["code"], int(r["value"])) for r in tables["timeline"]] == [
        (d.day.isoformat(), d.seizures) for d in f.timeline
    ]
    assert [(r["item"], int(r["value"])) for r in tables["routes"]] == [
        (" -> ".join([r.origin, *r.transit, r.destination]), r.seizures) for r in f.top_routes
    ]


def assert_xlsx_equals(sheets: dict[str, list[list[Any]]], f: Figures) -> None:
    assert list(sheets) == SHEETS
    about = {row[0]: row[1] for row in sheets["About"][1:]}
    assert about["Data version"] == f.data_version
    assert {row[0]: row[2] for row in sheets["Headline"][1:]} == headline_of(f)
    assert [
        (code, unit, Decimal(str(q)), s)
        for code, _label, unit, q, s in sheets["By commodity and unit"][1:]
    ] == [(c.commodity, c.unit_label, c.quantity, c.seizures) for c in f.by_commodity]
    for sheet, groups in (
        ("By network", f.by_network),
        ("By region", f.by_region),
        ("By country", f.by_country),
    ):
        assert [tuple(row) for row in sheets[sheet][1:]] == [
            (g.code, g.name, g.participating, g.countries, g.seizures, g.suspects, g.arrests)
            for g in groups
        ], sheet
    assert [(_day(d), s) for d, s in sheets["Timeline"][1:]] == [
        (d.day, d.seizures) for d in f.timeline
    ]
    assert [tuple(row) for row in sheets["Top routes"][1:]] == [
        (i, r.origin, " -> ".join(r.transit) or None, r.destination, r.seizures)
        for i, r in enumerate(f.top_routes, start=1)
    ]


@pytest.mark.parametrize("role", ["organiser", "comms"])
def test_the_public_exports_equal_the_figures_and_leak_nothing(app, users, reporting, mixed, role):
    c = client(app, role)
    f = figures_of(reporting, Audience.PUBLIC)
    short = f.data_version[:12]

    response = c.get(f"/operations/{reporting.id}/figures.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert f"operation-test-shield-figures-public-{short}.csv" in disposition
    assert_csv_equals(csv_tables(response.data), f)
    assert_no_leak("the CSV", response.data.decode("utf-8-sig"), mixed, reporting)

    response = c.get(f"/operations/{reporting.id}/figures.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert f"figures-public-{short}.xlsx" in response.headers["Content-Disposition"]
    sheets = xlsx_rows(response.data)
    assert_xlsx_equals(sheets, f)
    for title, rows in sheets.items():
        cells = "\n".join("" if v is None else str(v) for row in rows for v in row)
        assert_no_leak(f"the XLSX sheet {title}", f"{title}\n{cells}", mixed, reporting)


def test_the_internal_exports_are_the_organisers(app, users, reporting, mixed):
    c = client(app, "organiser")
    f = figures_of(reporting, Audience.INTERNAL)
    response = c.get(f"/operations/{reporting.id}/figures.csv?audience=internal")
    assert "figures-internal-" in response.headers["Content-Disposition"]
    assert_csv_equals(csv_tables(response.data), f)
    response = c.get(f"/operations/{reporting.id}/figures.xlsx?audience=internal")
    assert_xlsx_equals(xlsx_rows(response.data), f)
    assert "Vietnam" in [row[1] for row in xlsx_rows(response.data)["By country"][1:]]


def test_quantities_are_never_added_across_units(app, users, reporting, mixed):
    """Ivory in kg and in pieces stays two rows everywhere, and no row adds them up."""
    f = figures_of(reporting, Audience.PUBLIC)
    ivory = [c for c in f.by_commodity if c.commodity == "ivory"]
    assert {c.unit for c in ivory} == {"kg", "pieces"}
    tables = csv_tables(client(app, "comms").get(f"/operations/{reporting.id}/figures.csv").data)
    rows = [r for r in tables["commodities"] if r["code"] == "ivory" and r["measure"] == "quantity"]
    assert sorted(r["unit"] for r in rows) == ["kg", "pieces"]
    assert all(r["unit"] for r in tables["commodities"])


def test_exported_text_is_never_a_formula():
    """Names come from users (networks, countries): a cell that starts like a formula is
    neutralised in both formats, numbers stay numbers."""
    hostile = '=HYPERLINK("http://evil.example","x")'
    f = Figures(
        operation_id=1,
        operation_name="+Operation",
        audience=Audience.PUBLIC,
        data_version="0" * 64,
        window_start=date(2027, 2, 1),
        window_end=date(2027, 2, 2),
        seizures=1,
        by_commodity=[CommodityTotal("ivory", "@Ivory", "kg", "kg", Decimal("-1.5"), 1)],
        by_network=[GroupTotal(hostile, hostile, 1, 1, 0, 0, participating=1)],
    )
    text = figures_export.csv_bytes(f).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert "'" + hostile in cells and hostile not in cells
    assert "'@Ivory" in cells and "'+Operation" in cells
    assert "-1.5" in cells  # a number, not text
    wb = load_workbook(io.BytesIO(figures_export.xlsx_bytes(f)))
    values = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c for c in values if c.data_type == "f"]
    texts = {c.value for c in values if isinstance(c.value, str)}
    assert "'" + hostile in texts and hostile not in texts and "'@Ivory" in texts
    assert Decimal("-1.5") in {
        Decimal(str(c.value)) for c in values if c.data_type == "n" and c.value is not None
    }
