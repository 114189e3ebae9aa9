"""Pure chart builders for the network scoreboard: scores in, Plotly figure out."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from flask_babel import gettext as _

from opsplanner.services.charts import FONT, PALETTE
from opsplanner.services.scoreboard import INDICATOR_CODES, NetworkScore, indicator_labels

INDICATOR_COLOURS = {
    "confirmed": PALETTE["confirmed"],
    "briefed": PALETTE["briefed"],
    "planned": PALETTE["planned"],
    "on_time": "#6a3d9a",
    "approved": PALETTE["acknowledged"],
    "evaluation": "#b15928",
}
# networks by (indicators, checklist, score): the comparative chart's columns
HEATMAP_COLUMNS = (*INDICATOR_CODES, "checklist", "score")


def indicator_bars(scores: Sequence[NetworkScore]) -> go.Figure:
    """Per network, the share of its member states behind each indicator (grouped bars, in
    percent; the hover gives the count behind the share)."""
    labels = indicator_labels()
    networks = [s.network_acronym for s in scores]
    fig = go.Figure()
    for code in INDICATOR_CODES:
        ratios = [s.indicators[code] for s in scores]
        fig.add_bar(
            name=labels[code],
            x=networks,
            y=[r.percent for r in ratios],
            marker_color=INDICATOR_COLOURS[code],
            customdata=[[r.numerator, r.denominator] for r in ratios],
            hovertemplate="%{x}: %{y}% (%{customdata[0]} / %{customdata[1]})<extra>"
            + labels[code]
            + "</extra>",
        )
    fig.update_layout(
        barmode="group",
        font=FONT,
        margin={"l": 50, "r": 10, "t": 40, "b": 90},
        legend={"orientation": "h", "y": 1.15},
        yaxis={"title": _("Share of the member states (%)"), "range": [0, 100]},
        height=400,
    )
    return fig


def comparative_heatmap(scores: Sequence[NetworkScore]) -> go.Figure:
    """Networks by indicators: every share in percent, the checklist share and the score, so
    that differences and similarities among networks stand out."""
    labels = indicator_labels() | {"score": _("Score")}
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for s in scores:
        row: list[float | None] = []
        cells: list[str] = []
        for code in HEATMAP_COLUMNS:
            if code == "score":
                row.append(s.score)
                cells.append("—" if s.score is None else f"{s.score:.0f}")
                continue
            r = s.checklist_ratio if code == "checklist" else s.indicators[code]
            row.append(r.percent)
            cells.append(f"{r.numerator}/{r.denominator}" if r.denominator else "—")
        z.append(row)
        text.append(cells)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[labels[c] for c in HEATMAP_COLUMNS],
            y=[s.network_acronym for s in scores],
            zmin=0,
            zmax=100,
            colorscale=[[0, "#f4f6f4"], [0.01, "#d9efe1"], [1, "#1f5f3f"]],
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y} · %{x}<br>%{z}% (%{text})<extra></extra>",
            colorbar={"title": {"text": "%"}},
        )
    )
    fig.update_layout(
        font=FONT,
        margin={"l": 120, "r": 10, "t": 10, "b": 120},
        height=max(260, 34 * len(scores) + 180),
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -30},
    )
    return fig


def per_state_chart(scores: Sequence[NetworkScore]) -> go.Figure:
    """Seizures and arrests per participating (confirmed) state, per network."""
    networks = [s.network_acronym for s in scores]
    fig = go.Figure()
    for name, values, totals, colour in (
        (
            _("Seizures per state"),
            [s.seizures_per_state for s in scores],
            [s.seizures for s in scores],
            PALETTE["planned"],
        ),
        (
            _("Arrests per state"),
            [s.arrests_per_state for s in scores],
            [s.arrests for s in scores],
            PALETTE["briefed"],
        ),
    ):
        fig.add_bar(
            name=name,
            x=networks,
            y=values,
            marker_color=colour,
            customdata=[[t, s.confirmed] for t, s in zip(totals, scores, strict=True)],
            hovertemplate="%{x}: %{y} (%{customdata[0]} / %{customdata[1]})<extra>"
            + name
            + "</extra>",
        )
    fig.update_layout(
        barmode="group",
        font=FONT,
        margin={"l": 50, "r": 10, "t": 40, "b": 90},
        legend={"orientation": "h", "y": 1.15},
        yaxis={"title": _("per participating state")},
        height=360,
    )
    return fig
