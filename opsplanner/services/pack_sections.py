"""What each section of a publication pack writes, from the snapshot's figures alone.

Every builder gets a ``SectionContext`` (the snapshot, its figures, the notice to stamp on every
file, the press template) and a scratch folder; it writes its files there and returns the
artifacts it could not make (``chart_files.Skipped``). ``services/packs.py`` moves the folder
into place and records the files. No builder reads the database.

- ``data``: the figures as CSV (one file per table) and one XLSX (a sheet per table), and the
  records of the snapshot as CSV and XLSX. A public snapshot holds only approved, publishable,
  non-sensitive seizures without their free text, and its countries that are not named appear
  as OTHER_COUNTRIES; its records table has no network or region column (they could single out
  a country that is not named).
- ``charts``: every chart of ``pack_charts.all_charts`` as a standalone HTML page and a PNG
  (one Chromium start for all the PNGs; without Chromium they are skipped with the reason).
- ``press``: the press-release draft, the operation's template (or ``DEFAULT_PRESS_TEMPLATE``)
  filled from the figures, as Markdown and as a sanitised HTML page.
- ``report``: one self-contained HTML report (inline CSS; charts as inline PNG data: URIs, or
  inline plotly.js when there is no PNG: no external URL) and its PDF through WeasyPrint.

The notice: a public pack built before its embargo carries "EMBARGOED until <UTC>" in every
file: the first row of every CSV and of every XLSX sheet, a banner in HTML, PDF and PNG, the
first line of the Markdown. An internal pack says "INTERNAL" the same way.
"""

from __future__ import annotations

import base64
import csv
import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook

from opsplanner.reference.vocabularies import commodities, conveyances, units
from opsplanner.services import chart_files, pack_charts
from opsplanner.services.chart_files import Skipped
from opsplanner.services.charts import embed
from opsplanner.services.markdown import render_markdown
from opsplanner.services.pack_charts import format_quantity
from opsplanner.services.pack_figures import detection_label
from opsplanner.services.pack_model import Audience, Figures
from opsplanner.services.pack_snapshot import SeizureEntry, Snapshot
from opsplanner.services.tabular import neutralise, xlsx_value

SECTIONS = ("data", "charts", "press", "report")
UTC_FORMAT = "%Y-%m-%d %H:%M UTC"


@dataclass
class SectionContext:
    snapshot: Snapshot
    figures: Figures
    notice: str | None  # stamped on every file, or None
    embargo_until: datetime
    organiser: str  # the organising agency
    press_template: str | None  # the operation's template, None for the shipped one
    built_at: datetime  # fixed per pack, so that a rebuilt file is the same file
    progress: Callable[[int, str], None] = lambda _p, _m="": None

    @property
    def public(self) -> bool:
        return self.figures.audience is Audience.PUBLIC

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.figures.operation_name.lower()).strip("-")


def embargo_text(embargo_until: datetime) -> str:
    return _("EMBARGOED until %(when)s", when=embargo_until.strftime(UTC_FORMAT))


def notice_for(audience: Audience, embargo_until: datetime, built_at: datetime) -> str | None:
    """What every file of a pack says at the top: the embargo of a public pack built before it
    lifts; an internal pack is never for publication."""
    if audience is Audience.INTERNAL:
        return _("INTERNAL: for ICCWC partners only. Not for publication")
    if built_at < embargo_until:
        return embargo_text(embargo_until)
    return None


# -- tables ------------------------------------------------------------------------------------
Table = tuple[
    str, str, Sequence[str], list[Sequence[Any]]
]  # (file stem, sheet title, header, rows)


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format_quantity(value)
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], notice: str | None):
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        if notice:
            writer.writerow([f"# {notice}"])
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else neutralise(_cell(v)) for v in row])


def write_workbook(path: Path, tables: Sequence[Table], notice: str | None, built_at: datetime):
    wb = Workbook(write_only=True)
    # fixed document dates: the same data gives the same bytes
    wb.properties.created = wb.properties.modified = built_at.replace(tzinfo=None)
    for _stem, title, header, rows in tables:
        ws = wb.create_sheet(title=title[:31])

        def text(value: Any, ws: Any = ws) -> Any:
            return xlsx_value(ws, _cell(value))

        if notice:
            ws.append([text(notice)])
        ws.append([text(h) for h in header])
        for row in rows:
            ws.append([text(v) for v in row])
    wb.save(path)


def figure_tables(f: Figures) -> list[Table]:
    headline = [
        (_("Participating countries"), f.participating_countries),
        (_("Reporting countries"), f.reporting_countries),
        (_("Seizures"), f.seizures),
        (_("Suspects"), f.suspects),
        (_("Arrests"), f.arrests),
        (_("Companies implicated"), f.companies),
        (_("Criminal networks identified"), f.criminal_networks),
        (_("International notices requested"), f.international_notices),
        (_("Online cases"), f.online_cases),
        (_("Online adverts removed"), f.online_adverts_removed),
        (_("Online accounts removed"), f.online_accounts_removed),
        (_("Distinct trade routes"), f.routes_total),
        (_("Seizures without a route"), f.seizures_without_route),
    ]
    group_header = [
        _("Code"),
        _("Name"),
        _("Participating countries"),
        _("Reporting countries"),
        _("Seizures"),
        _("Suspects"),
        _("Arrests"),
    ]

    def groups(rows: Iterable[Any]) -> list[Sequence[Any]]:
        return [
            (g.code or "", g.name, g.participating, g.countries, g.seizures, g.suspects, g.arrests)
            for g in rows
        ]

    return [
        ("headline", _("Headline"), (_("Figure"), _("Value")), headline),
        (
            "by-commodity",
            _("By commodity"),
            (_("Commodity"), _("Unit"), _("Quantity"), _("Seizures")),
            [(c.label, c.unit_label, c.quantity, c.seizures) for c in f.by_commodity],
        ),
        ("by-network", _("By network"), group_header, groups(f.by_network)),
        ("by-region", _("By region"), group_header, groups(f.by_region)),
        ("by-country", _("By country"), group_header, groups(f.by_country)),
        (
            "timeline",
            _("Timeline"),
            (_("Day"), _("Seizures")),
            [(d.day.isoformat(), d.seizures) for d in f.timeline],
        ),
        (
            "routes",
            _("Top routes"),
            (_("Origin"), _("Transit"), _("Destination"), _("Seizures")),
            [(r.origin, " -> ".join(r.transit), r.destination, r.seizures) for r in f.top_routes],
        ),
        (
            "highlights",
            _("Highlights"),
            (_("Date"), _("Country"), _("Commodity"), _("Quantities"), _("Route"), _("Case")),
            [
                (
                    h.seized_on.isoformat(),
                    h.country,
                    h.commodity_label,
                    "; ".join(f"{format_quantity(a)} {u}" for a, u in h.quantities),
                    h.route,
                    h.narrative,
                )
                for h in f.highlights
            ],
        ),
    ]


def _quantities(s: SeizureEntry) -> str:
    labels = units()
    return "; ".join(
        f"{format_quantity(q.amount)} {labels.get(q.unit, q.unit)}" for q in s.quantities
    )


def records_table(snapshot: Snapshot) -> Table:
    countries = {c.key: c for c in snapshot.countries}
    names = snapshot.country_name
    commodity_labels, conveyance_labels = commodities(), conveyances()
    public = snapshot.audience is Audience.PUBLIC

    def codes(values: Iterable[str]) -> str:
        return ", ".join(names(c) for c in values)

    header = [_("Reporting country")]
    if not public:
        header += [_("ISO3"), _("Network"), _("Region"), _("National reference"), _("Place")]
        header += [_("Port")]
    header += [_("Date"), _("Commodity"), _("Species"), _("Quantities"), _("Conveyance")]
    header += [_("Detection"), _("Origin"), _("Transit"), _("Destination"), _("Online")]
    header += [_("Suspects"), _("Arrests")]
    if not public:
        header += [_("Description"), _("Sensitive"), _("Publishable")]
    rows: list[Sequence[Any]] = []
    for s in snapshot.seizures:
        c = countries.get(s.country)
        row: list[Any] = [c.name if c else s.country]
        if not public:
            row += [
                (c.iso3 or "") if c else "",
                (c.network or "") if c else "",
                (c.region or "") if c else "",
                s.reference,
                s.place,
                s.port,
            ]
        row += [
            s.seized_on.isoformat(),
            commodity_labels.get(s.commodity, s.commodity),
            s.species or s.species_other,
            _quantities(s),
            conveyance_labels.get(s.conveyance, s.conveyance),
            detection_label(s.detection_method),
            codes(s.origin),
            codes(s.transit),
            codes(s.destination),
            _("yes") if s.online else _("no"),
            s.suspects,
            s.arrests,
        ]
        if not public:
            row += [s.description, _("yes") if s.sensitive else _("no")]
            row += [_("yes") if s.publishable else _("no")]
        rows.append(row)
    return ("records", _("Seizures"), header, rows)


def build_data(ctx: SectionContext, folder: Path) -> list[Skipped]:
    tables = figure_tables(ctx.figures)
    for i, (stem, _title, header, rows) in enumerate(tables):
        ctx.progress(5 + 50 * i // len(tables), _("writing %(name)s", name=f"{stem}.csv"))
        write_csv(folder / f"{stem}.csv", header, rows, ctx.notice)
    write_workbook(folder / f"{ctx.slug}-figures.xlsx", tables, ctx.notice, ctx.built_at)
    ctx.progress(70, _("writing the records"))
    records = records_table(ctx.snapshot)
    write_csv(folder / "records.csv", records[2], records[3], ctx.notice)
    write_workbook(folder / "records.xlsx", [records], ctx.notice, ctx.built_at)
    if ctx.notice:
        (folder / "README.txt").write_text(
            ctx.notice
            + "\n\n"
            + _("The first row of every CSV file and of every sheet repeats this notice.")
            + "\n",
            encoding="utf-8",
        )
    return []


# -- charts ------------------------------------------------------------------------------------
def chart_titles() -> dict[str, str]:
    return {
        "commodities": _("Seizures by commodity, per unit"),
        "networks": _("Seizures by network"),
        "regions": _("Seizures by region"),
        "countries": _("Seizures by country"),
        "timeline": _("Seizures day by day"),
        "routes": _("Trade routes"),
        "map": _("Seizures by reporting country (map)"),
    }


def build_charts(ctx: SectionContext, folder: Path) -> list[Skipped]:
    charts = pack_charts.all_charts(ctx.figures)
    titles = chart_titles()
    for i, (name, fig) in enumerate(charts.items()):
        ctx.progress(5 + 40 * i // len(charts), _("drawing %(name)s", name=name))
        chart_files.write_chart_html(
            fig, folder / f"{name}.html", titles.get(name, name), notice=ctx.notice
        )
    ctx.progress(50, _("drawing the images"))
    return chart_files.write_chart_pngs(
        {folder / f"{name}.png": fig for name, fig in charts.items()}, notice=ctx.notice
    )


# -- press release -----------------------------------------------------------------------------
DEFAULT_PRESS_TEMPLATE = """\
# {operation}: {seizures} seizures of wildlife and timber across {countries} countries

**{place_and_date}** -- Law enforcement agencies in {countries} countries took part in \
{operation}, a global operation against wildlife and forest crime coordinated by {organiser} \
with the partners of the International Consortium on Combating Wildlife Crime (ICCWC): \
the CITES Secretariat, INTERPOL, UNODC, the World Bank and the World Customs Organization.

From {window_start} to {window_end}, customs, police, wildlife and forestry authorities \
checked air and sea cargo, passengers, mail, roads and online marketplaces. \
{reporting_countries} countries reported their results, which include **{seizures} seizures**, \
**{suspects} suspects identified** and **{arrests} arrests**. {companies} companies and \
{criminal_networks} criminal networks have been linked to the cases, and {online_cases} \
seizures were connected to online trade.

Among the seizures:

{top_commodities}

The largest trafficking routes detected:

{top_routes}

{highlights}

"Wildlife crime is serious organised crime. These results show what customs, police and \
wildlife authorities achieve when they work together across borders," said a spokesperson \
for {organiser}.

Investigations are continuing in many of the countries involved, and further arrests and \
prosecutions are expected.

*{notes}*

### Note to editors

ICCWC brings together five intergovernmental organisations working to strengthen criminal \
justice systems and provide coordinated support at national, regional and international level \
to combat wildlife and forest crime. The figures above are provisional and based on the \
results reported by the participating countries as of {data_date}.
"""

PLACEHOLDERS = (
    "operation",
    "organiser",
    "countries",
    "reporting_countries",
    "seizures",
    "suspects",
    "arrests",
    "companies",
    "criminal_networks",
    "international_notices",
    "online_cases",
    "window_start",
    "window_end",
    "top_commodities",
    "top_routes",
    "highlights",
    "embargo",
    "place_and_date",
    "notes",
    "data_date",
)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def press_values(ctx: SectionContext) -> dict[str, str]:
    f = ctx.figures
    # (Babel does not read gettext calls inside f-strings: every message is a call of its own.)
    lines = [
        "- "
        + _(
            "%(quantity)s %(unit)s of %(commodity)s (%(n)s seizures)",
            quantity=format_quantity(c.quantity),
            unit=c.unit_label,
            commodity=c.label.lower(),
            n=c.seizures,
        )
        for c in f.by_commodity[:8]
    ]
    routes = [
        f"- {' -> '.join([r.origin, *r.transit, r.destination])} ("
        + _("%(n)s seizures", n=r.seizures)
        + ")"
        for r in f.top_routes[:5]
    ]
    cases = [
        f"- **{h.country}**, {h.seized_on.isoformat()}: {h.narrative}" for h in f.highlights[:5]
    ]
    released = ctx.embargo_until.strftime(UTC_FORMAT)
    return {
        "operation": f.operation_name,
        "organiser": ctx.organiser,
        "countries": f"{f.participating_countries:,}",
        "reporting_countries": f"{f.reporting_countries:,}",
        "seizures": f"{f.seizures:,}",
        "suspects": f"{f.suspects:,}",
        "arrests": f"{f.arrests:,}",
        "companies": f"{f.companies:,}",
        "criminal_networks": f"{f.criminal_networks:,}",
        "international_notices": f"{f.international_notices:,}",
        "online_cases": f"{f.online_cases:,}",
        "window_start": f.window_start.strftime("%d %B %Y"),
        "window_end": f.window_end.strftime("%d %B %Y"),
        "top_commodities": "\n".join(lines) or _("- (no quantities reported)"),
        "top_routes": "\n".join(routes) or _("- (no routes reported)"),
        "highlights": (_("Highlights:") + "\n\n" + "\n".join(cases)) if cases else "",
        "embargo": released,
        "place_and_date": ctx.embargo_until.strftime("%d %B %Y"),
        "notes": _(
            "Quantities are given per unit as reported; weights and counts are never added."
        ),
        "data_date": ctx.built_at.strftime("%d %B %Y"),
    }


def fill_template(body: str, values: Mapping[str, str]) -> str:
    """Replace the known {placeholders}; anything else in braces stays as written (an
    organiser's template is text, never code: no str.format attribute or index lookups)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def _page(title: str, body: str, notice: str | None, extra_head: str = "") -> str:
    banner = f'<p class="notice" role="note">{html.escape(notice)}</p>\n' if notice else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{REPORT_CSS}</style>
{extra_head}</head>
<body>
{banner}{body}
</body>
</html>
"""


def build_press(ctx: SectionContext, folder: Path) -> list[Skipped]:
    text = fill_template(ctx.press_template or DEFAULT_PRESS_TEMPLATE, press_values(ctx))
    markdown_text = (f"**{ctx.notice}**\n\n" if ctx.notice else "") + text
    (folder / "press-release.md").write_text(markdown_text, encoding="utf-8")
    page = _page(
        _("Press release: %(name)s", name=ctx.figures.operation_name),
        str(render_markdown(text)),
        ctx.notice,
    )
    (folder / "press-release.html").write_text(page, encoding="utf-8")
    return []


# -- report ------------------------------------------------------------------------------------
REPORT_CSS = """
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b;
  font-size: 11pt; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem; }
.notice { border: 2px solid #8c2d19; color: #8c2d19; font-weight: 700; padding: .5rem .75rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #c8c8c8; padding: .2rem .5rem; text-align: left; }
td.n { text-align: right; }
figure { margin: 1rem 0; page-break-inside: avoid; }
figure img { max-width: 100%; }
.chart { width: 100%; min-height: 420px; }
.muted { color: #555; }
"""


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for v in row:
            v = _cell(v)
            cls = ' class="n"' if isinstance(v, int) else ""
            cells.append(f"<td{cls}>{html.escape('' if v is None else str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_html(
    ctx: SectionContext,
    images: Mapping[str, bytes],
    skipped: Mapping[str, str],
    *,
    interactive: bool,
) -> str:
    """The report page. ``images``: chart name -> PNG. A chart without a PNG is drawn by inline
    plotly.js when ``interactive`` (the HTML report), else named with the reason (the PDF)."""
    f = ctx.figures
    titles = chart_titles()
    parts = [
        f"<h1>{html.escape(f.operation_name)}</h1>",
        '<p class="muted">'
        + html.escape(
            _(
                "%(audience)s pack. Operation window %(start)s to %(end)s. Data version %(v)s.",
                audience=_("Public") if ctx.public else _("Internal"),
                start=f.window_start.isoformat(),
                end=f.window_end.isoformat(),
                v=f.data_version[:12],
            )
        )
        + "</p>",
    ]
    tables = {t[0]: t for t in figure_tables(f)}
    charts = pack_charts.all_charts(f)
    placement = {
        "headline": [],
        "by-commodity": ["commodities"],
        "by-network": ["networks"],
        "by-region": ["regions"],
        "by-country": ["countries", "map"],
        "timeline": ["timeline"],
        "routes": ["routes"],
        "highlights": [],
    }
    scripts = False
    topojson: list[str] = []
    for stem, chart_names in placement.items():
        _stem, title, header, rows = tables[stem]
        parts.append(f"<h2>{html.escape(title)}</h2>")
        for name in chart_names:
            caption = html.escape(titles.get(name, name))
            if name in images:
                data = base64.b64encode(images[name]).decode("ascii")
                parts.append(
                    f'<figure><img alt="{caption}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{caption}</figcaption></figure>"
                )
            elif interactive:
                scripts = True
                for topo in chart_files.topojson_names(charts[name]):
                    if topo not in topojson:
                        topojson.append(topo)
                parts.append(
                    f'<figure><div class="chart" id="chart-{name}" role="img" '
                    f'aria-label="{caption}"></div>'
                    f'<script type="application/json" data-chart="chart-{name}">'
                    f"{embed(charts[name])}</script><figcaption>{caption}</figcaption></figure>"
                )
            else:
                reason = skipped.get(name, "")
                parts.append(
                    f'<p class="muted">{caption}: '
                    + html.escape(_("image not available. %(reason)s", reason=reason))
                    + "</p>"
                )
        parts.append(_table(header, rows) if rows else f"<p>{html.escape(_('None.'))}</p>")
    if ctx.snapshot.evaluation is not None:
        parts.append(evaluation_chapter(ctx.snapshot.evaluation))
    extra = ""
    if scripts:
        topo_blocks = "".join(
            f'<script type="application/json" data-topojson="{name}">'
            f"{chart_files._topojson_text(name)}</script>\n"
            for name in topojson
        )
        parts.append(
            topo_blocks
            + f"<script>{chart_files._BOOT}</script>\n"
            + "<script>/* plotly.js (MIT licence) */\n"
            + chart_files._plotly_bundle()
            + "</script>\n<script>"
            + _DRAW_ALL
            + "</script>"
        )
    return _page(_("Report: %(name)s", name=f.operation_name), "\n".join(parts), ctx.notice, extra)


def evaluation_chapter(evaluation: Mapping[str, Any]) -> str:
    """The internal report's short account of the evaluation; evaluation.html has it all."""
    overall = evaluation["overall"]["dimensions"]
    means = [
        (
            d["label"],
            "" if d["mean"] is None else f"{d['mean']:.2f}",
            d["rated"],
            d["not_applicable"],
        )
        for d in overall
    ]
    challenges = [(c["label"], c["count"]) for c in evaluation["challenges"] if c["count"]][:10]
    return "\n".join(
        [
            f"<h2>{html.escape(_('Post-operation evaluation'))}</h2>",
            "<p>"
            + html.escape(
                _(
                    "%(responded)s of %(expected)s respondents submitted their answers "
                    "(ratings from 1 to %(scale)s). The full summary is in evaluation.html "
                    "and evaluation.pdf.",
                    responded=evaluation["responded"],
                    expected=evaluation["expected"],
                    scale=evaluation["scale_max"],
                )
            )
            + "</p>",
            _table([_("Dimension"), _("Mean rating"), _("Ratings"), _("Not applicable")], means),
            _table([_("Challenge met"), _("Respondents")], challenges) if challenges else "",
        ]
    )


_DRAW_ALL = """(function () {
  "use strict";
  document.querySelectorAll('script[type="application/json"][data-chart]').forEach(
    function (node) {
      var figure = JSON.parse(node.textContent);
      Plotly.newPlot(node.getAttribute("data-chart"), figure.data, figure.layout || {},
        {responsive: true, displaylogo: false, topojsonURL: "./"});
    });
})();"""


def build_report(ctx: SectionContext, folder: Path) -> list[Skipped]:
    from opsplanner.services import pdf

    charts = pack_charts.all_charts(ctx.figures)
    images_dir = folder / ".images"
    images_dir.mkdir()
    ctx.progress(10, _("drawing the report's images"))
    not_drawn = chart_files.write_chart_pngs(
        {images_dir / f"{name}.png": fig for name, fig in charts.items()}, notice=None
    )
    reasons = {Path(s.artifact).stem: s.reason for s in not_drawn}
    images = {
        name: (images_dir / f"{name}.png").read_bytes()
        for name in charts
        if (images_dir / f"{name}.png").is_file()
    }
    for path in images_dir.iterdir():
        path.unlink()
    images_dir.rmdir()
    # The HTML report draws a chart without an image with inline plotly.js; the PDF cannot.
    skipped = [
        Skipped(_("%(chart)s chart in report.pdf", chart=name), reason)
        for name, reason in reasons.items()
    ]
    ctx.progress(50, _("writing the HTML report"))
    page = report_html(ctx, images, reasons, interactive=True)
    (folder / "report.html").write_text(page, encoding="utf-8")
    ctx.progress(70, _("writing the PDF report"))
    try:
        document = pdf.html_to_pdf(report_html(ctx, images, reasons, interactive=False))
    except pdf.PdfUnavailable as exc:
        skipped.append(Skipped("report.pdf", str(exc)))
    else:
        (folder / "report.pdf").write_bytes(document)
    if ctx.snapshot.evaluation is not None:
        ctx.progress(85, _("writing the evaluation summary"))
        skipped += write_evaluation(ctx, folder)
    return skipped


def write_evaluation(ctx: SectionContext, folder: Path) -> list[Skipped]:
    """The internal pack's evaluation summary, as the app exports it: HTML and PDF."""
    from opsplanner.services import evaluation_report, pdf

    if ctx.snapshot.audience is not Audience.INTERNAL:  # answers are never for the public
        raise ValueError("an evaluation summary in a public snapshot")
    summary = evaluation_report.from_snapshot(ctx.snapshot.evaluation, ctx.built_at)
    page = evaluation_report.summary_html(summary, notice=ctx.notice)
    (folder / "evaluation.html").write_text(page, encoding="utf-8")
    try:
        document = pdf.html_to_pdf(page)
    except pdf.PdfUnavailable as exc:
        return [Skipped("evaluation.pdf", str(exc))]
    (folder / "evaluation.pdf").write_bytes(document)
    return []


BUILDERS: dict[str, Callable[[SectionContext, Path], list[Skipped]]] = {
    "data": build_data,
    "charts": build_charts,
    "press": build_press,
    "report": build_report,
}
