"""Pure chart builders for the network directory: data in, Plotly figure out."""

from __future__ import annotations

import plotly.graph_objects as go

from opsplanner.services.catalogue import UsageAnalysis
from opsplanner.services.charts import FONT


def usage_heatmap(a: UsageAnalysis) -> go.Figure:
    """Networks by tools: the share of each network's member states that use the tool."""
    z: list[list[float]] = []
    text: list[list[str]] = []
    for n in a.networks:
        z.append([round(100 * a.cell(n, t).share, 1) for t in a.tools])
        text.append([f"{a.cell(n, t).using}/{a.cell(n, t).members}" for t in a.tools])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[t.name for t in a.tools],
            y=[n.acronym for n in a.networks],
            zmin=0,
            zmax=100,
            colorscale=[[0, "#f4f6f4"], [0.01, "#d9efe1"], [1, "#1f5f3f"]],
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y} · %{x}<br>%{z}% of member states (%{text})<extra></extra>",
            colorbar={"title": {"text": "%"}},
        )
    )
    fig.update_layout(
        font=FONT,
        margin={"l": 160, "r": 10, "t": 10, "b": 170},
        height=max(300, 28 * len(a.networks) + 200),
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -40},
    )
    return fig
