"""Pure chart builders for the publication pack: a ``pack_model.Figures`` in, Plotly figures
out. No database, no files: pages embed the figures (``charts.embed``) and ``chart_files``
writes them as standalone HTML and PNG.

Quantities are never added across units: the commodity chart has one panel per unit, each
with its own axis, and one bar per (commodity, unit) labelled with its unit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal

import plotly.graph_objects as go
import pycountry
from flask_babel import gettext as _
from plotly.subplots import make_subplots

from opsplanner.services.charts import FONT, PALETTE
from opsplanner.services.pack_model import OTHER_COUNTRIES, Figures, GroupTotal

# How many countries the by-country chart names before it groups the rest.
TOP_COUNTRIES = 20
# How many links the trade-route Sankey draws: the largest, by seizures. A large operation
# has thousands of links (4,487 for 20,000 seizures), which no reader can follow and which
# takes Chromium minutes to lay out; the routes table and the data files keep them all.
TOP_FLOWS = 60
# The map's geometry: plotly.js names it <scope>_<resolution>m, i.e. world_110m.json, which
# static/vendor/topojson/ carries (pages and image export load it from there, never a CDN).
MAP_SCOPE = "world"
MAP_RESOLUTION = 110

CHART_NAMES = ("commodities", "networks", "regions", "countries", "timeline", "routes", "map")

_GROUP_MEASURES = (
    ("seizures", PALETTE["planned"]),
    ("suspects", PALETTE["briefed"]),
    ("arrests", PALETTE["confirmed"]),
)
_MAP_SCALE = [[0.0, "#d9efe1"], [0.5, "#7aa874"], [1.0, "#1f5f3f"]]
_ROUTE_COLOURS = ("#1f5f3f", "#1d4f91", "#c98a00", "#8c2d19", "#5b4a8b", "#2f7f86")


def format_quantity(amount: Decimal) -> str:
    """1234.500 -> "1,234.5"; no exponent notation, whatever the Decimal's exponent."""
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount.normalize():,f}"


def commodity_label(label: str, unit_label: str) -> str:
    return f"{label} ({unit_label})"


def _title(text: str) -> dict:
    return {"text": text, "x": 0.01, "xanchor": "left", "font": {"size": 16}}


def _no_data(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(
        text=message,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 14, "color": "#555"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def commodity_chart(figures: Figures) -> go.Figure:
    """Headline quantities: one panel per unit (its own axis), one bar per (commodity, unit)."""
    title = _("Seizures by commodity, per unit")
    lines = figures.by_commodity
    if not lines:
        fig = go.Figure()
        fig.update_layout(title=_title(title), font=FONT, height=260)
        return _no_data(fig, _("No quantities reported."))

    units: dict[str, str] = {}  # unit code -> unit label, in order of appearance
    for line in lines:
        units.setdefault(line.unit, line.unit_label)
    rows = {unit: [line for line in lines if line.unit == unit] for unit in units}
    counts = [len(r) for r in rows.values()]
    # Each panel: its bars plus room for its tick labels and unit title below it.
    gap = 80
    plot_height = 36 * len(lines) + gap * (len(units) - 1)
    height = max(300, plot_height + 130)
    fig = make_subplots(
        rows=len(units),
        cols=1,
        row_heights=[c / sum(counts) for c in counts],
        vertical_spacing=gap / plot_height if len(units) > 1 else 0,
    )
    for row, (unit, unit_label) in enumerate(units.items(), start=1):
        ordered = sorted(rows[unit], key=lambda c: (c.quantity, c.label))
        fig.add_bar(
            row=row,
            col=1,
            name=unit_label,
            orientation="h",
            x=[float(c.quantity) for c in ordered],
            y=[commodity_label(c.label, c.unit_label) for c in ordered],
            text=[f"{format_quantity(c.quantity)} {c.unit_label}" for c in ordered],
            textposition="auto",
            customdata=[
                [format_quantity(c.quantity), c.unit_label, c.seizures, c.commodity, c.unit]
                for c in ordered
            ],
            hovertemplate="%{y}: %{customdata[0]} %{customdata[1]}<br>"
            + _("%(n)s seizures", n="%{customdata[2]}")
            + "<extra></extra>",
            marker_color=PALETTE["planned"],
            showlegend=False,
        )
        fig.update_xaxes(title_text=unit_label, row=row, col=1)
    fig.update_layout(
        title=_title(title),
        font=FONT,
        margin={"l": 220, "r": 20, "t": 70, "b": 60},
        height=height,
        bargap=0.25,
    )
    return fig


def group_chart(groups: Sequence[GroupTotal], title: str) -> go.Figure:
    """Seizures, suspects and arrests per network or region (grouped bars; all counts)."""
    fig = go.Figure()
    fig.update_layout(title=_title(title), font=FONT)
    if not groups:
        fig.update_layout(height=260)
        return _no_data(fig, _("No results reported."))
    names = [g.name for g in groups]
    labels = {"seizures": _("Seizures"), "suspects": _("Suspects"), "arrests": _("Arrests")}
    for key, colour in _GROUP_MEASURES:
        fig.add_bar(
            name=labels[key],
            x=names,
            y=[getattr(g, key) for g in groups],
            marker_color=colour,
            customdata=[[g.countries, g.code or ""] for g in groups],
            hovertemplate="%{x}: %{y} "
            + labels[key].lower()
            + "<br>"
            + _("%(n)s countries", n="%{customdata[0]}")
            + "<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        margin={"l": 50, "r": 10, "t": 80, "b": 110},
        legend={"orientation": "h", "y": 1.1},
        yaxis_title=_("count"),
        height=420,
    )
    return fig


def network_chart(figures: Figures) -> go.Figure:
    return group_chart(figures.by_network, _("Results by network"))


def region_chart(figures: Figures) -> go.Figure:
    return group_chart(figures.by_region, _("Results by region"))


def top_countries(groups: Sequence[GroupTotal], top: int = TOP_COUNTRIES) -> list[GroupTotal]:
    """The ``top`` named countries by seizures (ties by name), then one group for the rest:
    the countries beyond the top together with the countries that are not named."""
    named = sorted((g for g in groups if g.code is not None), key=lambda g: (-g.seizures, g.name))
    rest = named[top:] + [g for g in groups if g.code is None]
    shown = named[:top]
    if rest:
        shown.append(
            GroupTotal(
                code=None,
                name=OTHER_COUNTRIES,
                countries=sum(g.countries for g in rest),
                seizures=sum(g.seizures for g in rest),
                suspects=sum(g.suspects for g in rest),
                arrests=sum(g.arrests for g in rest),
            )
        )
    return shown


def country_chart(figures: Figures, top: int = TOP_COUNTRIES) -> go.Figure:
    """Seizures of the top countries, largest first, the others together at the bottom."""
    title = _("Seizures by country (top %(n)s)", n=top)
    fig = go.Figure()
    fig.update_layout(title=_title(title), font=FONT)
    rows = top_countries(figures.by_country, top)
    if not rows:
        fig.update_layout(height=260)
        return _no_data(fig, _("No results reported."))
    fig.add_bar(
        orientation="h",
        x=[g.seizures for g in rows],
        y=[g.name for g in rows],
        marker_color=[PALETTE["planned"] if g.code else "#9a9a9a" for g in rows],
        customdata=[[g.suspects, g.arrests, g.countries] for g in rows],
        hovertemplate="%{y}: "
        + _("%(n)s seizures", n="%{x}")
        + "<br>"
        + _("%(n)s suspects", n="%{customdata[0]}")
        + ", "
        + _("%(n)s arrests", n="%{customdata[1]}")
        + "<extra></extra>",
    )
    fig.update_layout(
        margin={"l": 220, "r": 20, "t": 50, "b": 40},
        xaxis_title=_("seizures"),
        yaxis={"autorange": "reversed"},
        height=max(260, 26 * len(rows) + 100),
    )
    return fig


def timeline_chart(figures: Figures) -> go.Figure:
    """Seizures per day over every day of the window (days without seizures show 0; days
    outside the window that hold seizures widen the range rather than vanish)."""
    counts: dict = {}
    for entry in figures.timeline:
        counts[entry.day] = counts.get(entry.day, 0) + entry.seizures
    first = min([figures.window_start, *counts])
    last = max([figures.window_end, *counts])
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    fig = go.Figure(
        go.Bar(
            x=[d.isoformat() for d in days],
            y=[counts.get(d, 0) for d in days],
            marker_color=PALETTE["briefed"],
            hovertemplate="%{x|%d %b %Y}: " + _("%(n)s seizures", n="%{y}") + "<extra></extra>",
        )
    )
    fig.update_layout(
        title=_title(_("Seizures day by day")),
        font=FONT,
        margin={"l": 50, "r": 20, "t": 50, "b": 50},
        xaxis={"type": "date", "title": _("day")},
        yaxis_title=_("seizures"),
        bargap=0.1,
        height=360,
    )
    if first < figures.window_start or last > figures.window_end:
        fig.add_vrect(
            x0=(figures.window_start - timedelta(hours=12)).isoformat(),
            x1=(figures.window_end + timedelta(hours=12)).isoformat(),
            fillcolor="#1f5f3f",
            opacity=0.06,
            line_width=0,
        )
    return fig


def route_links(figures: Figures) -> dict[tuple[tuple[str, str], tuple[str, str]], int]:
    """Seizures per (source node, target node); a node is (place, stage), stage "" when the
    figures carry none. Repeated links are added up; largest first (ties keep flow order)."""
    links: dict[tuple[tuple[str, str], tuple[str, str]], int] = {}
    for flow in figures.flows:
        key = ((flow.source, flow.source_stage), (flow.target, flow.target_stage))
        links[key] = links.get(key, 0) + flow.seizures
    return dict(sorted(links.items(), key=lambda item: -item[1]))


def route_chart(figures: Figures, top: int = TOP_FLOWS) -> go.Figure:
    """Trade routes as a Sankey diagram: a node per (place, stage), so a country that is a
    transit on one route and a destination on another is two nodes and the diagram has no
    loops; a link per (source, target) with the number of seizures (repeats are added up).
    Only the ``top`` largest links are drawn; a note under the title says how many are not."""
    title = _("Trade routes (origin, transit, destination)")
    Node = tuple[str, str]  # (name, stage); stage is "" when the figures carry none
    every_link = route_links(figures)
    if not every_link:
        fig = go.Figure()
        fig.update_layout(title=_title(title), font=FONT, height=260)
        return _no_data(fig, _("No trade routes reported."))
    links = dict(list(every_link.items())[:top])
    left_out = len(every_link) - len(links)
    if left_out:
        title += (
            "<br><sub>"
            + _(
                "The %(top)s largest of %(all)s links; the data files hold every seizure's route.",
                top=len(links),
                all=len(every_link),
            )
            + "</sub>"
        )
    nodes: dict[Node, int] = {}
    for source, target in links:
        nodes.setdefault(source, len(nodes))
        nodes.setdefault(target, len(nodes))
    stages = {"origin": _("origin"), "transit": _("transit"), "destination": _("destination")}
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [name for name, _stage in nodes],
                "customdata": [
                    f"{name} ({stages.get(stage, stage)})" if stage else name
                    for name, stage in nodes
                ],
                "pad": 12,
                "thickness": 14,
                "color": [_ROUTE_COLOURS[i % len(_ROUTE_COLOURS)] for i in range(len(nodes))],
                "hovertemplate": "%{customdata}: "
                + _("%(n)s seizures", n="%{value}")
                + "<extra></extra>",
            },
            link={
                "source": [nodes[s] for s, _t in links],
                "target": [nodes[t] for _s, t in links],
                "value": list(links.values()),
                "color": "rgba(29, 79, 145, 0.25)",
                "hovertemplate": "%{source.label} → %{target.label}: "
                + _("%(n)s seizures", n="%{value}")
                + "<extra></extra>",
            },
        )
    )
    fig.update_layout(
        title=_title(title),
        font=FONT,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=max(420, 22 * len(nodes) + 80),
    )
    return fig


def country_name(iso3: str, names: dict[str, str] | None = None) -> str:
    if names and iso3 in names:
        return names[iso3]
    country = pycountry.countries.get(alpha_3=iso3)
    return getattr(country, "common_name", None) or getattr(country, "name", iso3)


def map_chart(figures: Figures) -> go.Figure:
    """World choropleth of seizures by country (ISO3 locations; scope world at 110m, whose
    geometry is static/vendor/topojson/world_110m.json)."""
    names = {g.code: g.name for g in figures.by_country if g.code}
    codes = sorted(figures.map_counts)
    fig = go.Figure(
        go.Choropleth(
            locations=codes,
            z=[figures.map_counts[c] for c in codes],
            text=[country_name(c, names) for c in codes],
            locationmode="ISO-3",
            colorscale=_MAP_SCALE,
            zmin=0,
            zmax=max(figures.map_counts.values(), default=1),
            marker_line_color="#ffffff",
            marker_line_width=0.5,
            colorbar={"title": {"text": _("seizures")}, "thickness": 12},
            hovertemplate="%{text}: " + _("%(n)s seizures", n="%{z}") + "<extra></extra>",
        )
    )
    fig.update_geos(
        scope=MAP_SCOPE,
        resolution=MAP_RESOLUTION,
        projection_type="natural earth",
        showcountries=True,
        countrycolor="#b5b5b5",
        showcoastlines=False,
        showland=True,
        landcolor="#f1f1ee",
        showframe=False,
        lonaxis_range=[-180, 180],
        lataxis_range=[-58, 84],
    )
    fig.update_layout(
        title=_title(_("Seizures by reporting country")),
        font=FONT,
        margin={"l": 0, "r": 0, "t": 50, "b": 0},
        height=480,
    )
    if not codes:
        fig.add_annotation(
            text=_("No seizures reported."), showarrow=False, xref="paper", yref="paper"
        )
    return fig


BUILDERS: dict[str, Callable[[Figures], go.Figure]] = {
    "commodities": commodity_chart,
    "networks": network_chart,
    "regions": region_chart,
    "countries": country_chart,
    "timeline": timeline_chart,
    "routes": route_chart,
    "map": map_chart,
}


def all_charts(figures: Figures) -> dict[str, go.Figure]:
    """Every chart of the pack, by file name (stem), in the order of ``CHART_NAMES``."""
    return {name: BUILDERS[name](figures) for name in CHART_NAMES}
