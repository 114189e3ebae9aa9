"""Pure chart builders: data in, Plotly figure out. Pages embed ``figure.to_json()`` and
static/js/charts.js draws it, so no inline script is needed."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from opsplanner.services.completeness import CommodityLine, Tally
from opsplanner.services.readiness import Coverage, ReadinessRow

PALETTE = {
    "confirmed": "#1f5f3f",
    "acknowledged": "#7aa874",
    "briefed": "#1d4f91",
    "planned": "#c98a00",
}
FONT = {"family": "system-ui, sans-serif", "size": 12}


def readiness_chart(rows: list[ReadinessRow]) -> go.Figure:
    """Per network, how many confirmed countries acknowledged the guidelines, were briefed
    and planned activities (grouped bars; the confirmed count is the reference)."""
    networks = [r.network for r in rows]
    fig = go.Figure()
    for key in ("confirmed", "acknowledged", "briefed", "planned"):
        fig.add_bar(
            name=key.capitalize(),
            x=networks,
            y=[getattr(r, key) for r in rows],
            marker_color=PALETTE[key],
            hovertemplate="%{x}: %{y} " + key + "<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        font=FONT,
        margin={"l": 40, "r": 10, "t": 30, "b": 90},
        legend={"orientation": "h", "y": 1.12},
        yaxis_title="countries",
        height=380,
    )
    return fig


def coverage_heatmap(cov: Coverage) -> go.Figure:
    """Priorities by network (or region): planned activities linked to each priority."""
    z = [[cov.counts.get((pid, col), 0) for col in cov.columns] for pid, _ in cov.priorities]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cov.columns,
            y=[label for _, label in cov.priorities],
            colorscale=[[0, "#f4f6f4"], [0.01, "#d9efe1"], [1, "#1f5f3f"]],
            text=z,
            texttemplate="%{text}",
            hovertemplate="%{y}<br>%{x}: %{z} planned activities<extra></extra>",
            showscale=False,
        )
    )
    fig.update_layout(
        font=FONT,
        margin={"l": 260, "r": 10, "t": 10, "b": 120},
        height=max(260, 48 * len(cov.priorities) + 140),
        yaxis={"autorange": "reversed"},
    )
    return fig


def reporting_rates_chart(rows: Sequence[Tally]) -> go.Figure:
    """Per network (or region): the share of the expected countries that reported, and that
    reported on time (grouped bars, in percent)."""
    labels = [r.label for r in rows]
    fig = go.Figure()
    for name, values, colour in (
        ("Reported", [round(100 * r.reporting_rate, 1) for r in rows], PALETTE["confirmed"]),
        ("On time", [round(100 * r.on_time_rate, 1) for r in rows], PALETTE["briefed"]),
    ):
        fig.add_bar(
            name=name,
            x=labels,
            y=values,
            marker_color=colour,
            customdata=[
                [r.reported if name == "Reported" else r.on_time, r.expected] for r in rows
            ],
            hovertemplate="%{x}: %{y}% (%{customdata[0]} of %{customdata[1]})<extra>"
            + name
            + "</extra>",
        )
    fig.update_layout(
        barmode="group",
        font=FONT,
        margin={"l": 50, "r": 10, "t": 30, "b": 90},
        legend={"orientation": "h", "y": 1.12},
        yaxis={"title": "% of the expected countries", "range": [0, 100]},
        height=380,
    )
    return fig


def seizures_by_commodity_chart(lines: Sequence[CommodityLine]) -> go.Figure:
    """Seizures per commodity category (counts: quantities in different units are not added)."""
    ordered = sorted(lines, key=lambda c: c.seizures)
    fig = go.Figure(
        go.Bar(
            x=[c.seizures for c in ordered],
            y=[c.label for c in ordered],
            orientation="h",
            marker_color=PALETTE["planned"],
            hovertemplate="%{y}: %{x} seizures<extra></extra>",
        )
    )
    fig.update_layout(
        font=FONT,
        margin={"l": 200, "r": 10, "t": 10, "b": 40},
        xaxis_title="seizures",
        height=max(220, 28 * len(ordered) + 80),
    )
    return fig


def embed(fig: go.Figure) -> str:
    """Figure JSON that is safe inside <script type="application/json">: names typed by users
    (networks, priorities) could otherwise close the script element."""
    return fig.to_json().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
