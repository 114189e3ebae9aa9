"""Pure chart builders for the evaluation summary: data in, Plotly figure out."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from opsplanner.services.charts import FONT
from opsplanner.services.evaluation_report import (
    NA_COLOUR,
    ChallengeCount,
    RatingDistribution,
    rating_colours,
)


def rating_distribution_chart(
    dimensions: Sequence[RatingDistribution], scale_max: int, na_label: str = "N/A"
) -> go.Figure:
    """One horizontal stacked bar per dimension: how many respondents gave each rating, and
    how many said it does not apply (grey, at the end)."""
    labels = [d.label for d in dimensions]
    colours = rating_colours(scale_max)
    fig = go.Figure()
    for value in range(1, scale_max + 1):
        fig.add_bar(
            name=str(value),
            y=labels,
            x=[d.counts.get(value, 0) for d in dimensions],
            orientation="h",
            marker_color=colours[value - 1],
            hovertemplate="%{y}: %{x} rated " + str(value) + "<extra></extra>",
        )
    fig.add_bar(
        name=na_label,
        y=labels,
        x=[d.na for d in dimensions],
        orientation="h",
        marker_color=NA_COLOUR,
        hovertemplate="%{y}: %{x} " + na_label + "<extra></extra>",
    )
    fig.update_layout(
        barmode="stack",
        font=FONT,
        margin={"l": 260, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.08, "traceorder": "normal"},
        xaxis_title="respondents",
        yaxis={"autorange": "reversed"},
        height=max(240, 34 * len(dimensions) + 110),
    )
    return fig


def challenges_chart(challenges: Sequence[ChallengeCount]) -> go.Figure:
    """How many respondents met each challenge, most met on top."""
    shown = [c for c in challenges if c.count]
    fig = go.Figure(
        go.Bar(
            x=[c.count for c in shown],
            y=[c.label for c in shown],
            orientation="h",
            marker_color="#c98a00",
            hovertemplate="%{y}: %{x} respondents<extra></extra>",
        )
    )
    fig.update_layout(
        font=FONT,
        margin={"l": 260, "r": 10, "t": 10, "b": 40},
        xaxis_title="respondents",
        yaxis={"autorange": "reversed"},
        height=max(200, 28 * len(shown) + 80),
    )
    return fig
