"""Trend charts of compared operations: pure builders (a Comparison in, a Plotly figure out),
the operations on the x axis in the order of their window (oldest first)."""

from __future__ import annotations

import plotly.graph_objects as go
from flask_babel import gettext as _

from opsplanner.services.charts import FONT
from opsplanner.services.compare import Comparison, percent

COLOURS = ("#1f5f3f", "#1d4f91", "#c98a00", "#8c2d19", "#6a3d9a", "#2a7f8f", "#7aa874", "#b15928")
TOP_COMMODITIES = 8


def _labels(comparison: Comparison) -> list[str]:
    return [
        f"{c.operation.code_name} ({c.operation.window_start.year})" for c in comparison.columns
    ]


def _layout(fig: go.Figure, y_title: str, y_range: list[float] | None = None) -> go.Figure:
    fig.update_layout(
        font=FONT,
        margin={"l": 60, "r": 10, "t": 30, "b": 90},
        legend={"orientation": "h", "y": 1.15},
        yaxis={"title": y_title, **({"range": y_range} if y_range else {"rangemode": "tozero"})},
        height=360,
    )
    return fig


def results_trend(comparison: Comparison) -> go.Figure:
    """Seizures, suspects and arrests per operation (approved reports)."""
    x = _labels(comparison)
    fig = go.Figure()
    for i, (name, key) in enumerate(
        ((_("Seizures"), "seizures"), (_("Suspects"), "suspects"), (_("Arrests"), "arrests"))
    ):
        fig.add_scatter(
            name=name,
            x=x,
            y=[getattr(c, key) for c in comparison.columns],
            mode="lines+markers",
            line={"color": COLOURS[i]},
            hovertemplate="%{x}: %{y}<extra>" + name + "</extra>",
        )
    return _layout(fig, _("Number"))


def rates_trend(comparison: Comparison) -> go.Figure:
    """Reporting, approved and on-time rates per operation (% of the confirmed countries)."""
    x = _labels(comparison)
    fig = go.Figure()
    for i, (name, key) in enumerate(
        (
            (_("Reported"), "reporting_rate"),
            (_("Approved"), "approved_rate"),
            (_("On time"), "on_time_rate"),
        )
    ):
        fig.add_scatter(
            name=name,
            x=x,
            y=[percent(getattr(c, key)) for c in comparison.columns],
            mode="lines+markers",
            line={"color": COLOURS[i]},
            hovertemplate="%{x}: %{y}%<extra>" + name + "</extra>",
        )
    return _layout(fig, _("Share of the confirmed countries (%)"), [0, 100])


def commodity_trend(comparison: Comparison, top: int = TOP_COMMODITIES) -> go.Figure:
    """Seizures per commodity category (counts only: quantities in different units are never
    added), the ``top`` commodities over all the operations."""
    x = _labels(comparison)
    fig = go.Figure()
    for i, row in enumerate(comparison.commodities[:top]):
        fig.add_scatter(
            name=row.label,
            x=x,
            y=row.seizures,
            mode="lines+markers",
            line={"color": COLOURS[i % len(COLOURS)]},
            hovertemplate="%{x}: "
            + _("%(n)s seizures", n="%{y}")
            + "<extra>"
            + row.label
            + "</extra>",
        )
    return _layout(fig, _("Seizures"))


def scores_trend(comparison: Comparison) -> go.Figure:
    """Each network's score per operation (a gap where the network took no part)."""
    x = _labels(comparison)
    fig = go.Figure()
    for i, name in enumerate(comparison.networks):
        fig.add_scatter(
            name=name,
            x=x,
            y=[comparison.score(c, name) for c in comparison.columns],
            mode="lines+markers",
            connectgaps=False,
            line={"color": COLOURS[i % len(COLOURS)]},
            hovertemplate="%{x}: %{y}<extra>" + name + "</extra>",
        )
    return _layout(fig, _("Score (0-100)"), [0, 100])
