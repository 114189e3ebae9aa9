"""Pack charts: the pure builders against hand-made Figures (no database), and the chart files:
standalone HTML that needs no network, and PNG through kaleido and Debian's Chromium, with the
network cut off where the machine allows it, or a clear ``Skipped`` when Chromium is missing."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from opsplanner.services import chart_files, pack_charts
from opsplanner.services.chart_files import PLOTLY_JS, TOPOJSON_DIR, Skipped
from opsplanner.services.pack_charts import commodity_label, format_quantity, top_countries
from opsplanner.services.pack_model import (
    OTHER_COUNTRIES,
    Audience,
    CommodityTotal,
    DayCount,
    Figures,
    Flow,
    GroupTotal,
)

ROOT = Path(__file__).resolve().parent.parent


def make_figures(**overrides: Any) -> Figures:
    values: dict[str, Any] = {
        "operation_id": 7,
        "operation_name": "Operation Test Shield",
        "audience": Audience.PUBLIC,
        "data_version": "v-test",
        "window_start": date(2025, 10, 1),
        "window_end": date(2025, 10, 14),
        "seizures": 31,
        # Ivory in two units, and kg across several commodities: none of it may be added up.
        "by_commodity": [
            CommodityTotal("ivory", "Ivory", "kg", "kg", Decimal("545.250"), 12),
            CommodityTotal("ivory", "Ivory", "pcs", "pieces", Decimal("440"), 7),
            CommodityTotal("pangolin", "Pangolin scales", "kg", "kg", Decimal("8000"), 5),
            CommodityTotal("timber", "Timber", "m3", "m³", Decimal("2550.5"), 3),
            CommodityTotal("reptiles", "Reptiles", "pcs", "pieces", Decimal("27000"), 4),
        ],
        "by_network": [
            GroupTotal("ASEAN-WEN", "ASEAN-WEN", 2, 14, 9, 6),
            GroupTotal("LATF", "Lusaka Agreement Task Force", 2, 11, 5, 3),
            GroupTotal(None, "No network", 1, 6, 2, 1),
        ],
        "by_region": [
            GroupTotal("Asia", "Asia", 2, 14, 9, 6),
            GroupTotal("Africa", "Africa", 2, 11, 5, 3),
            GroupTotal("Europe", "Europe", 1, 6, 2, 1),
        ],
        "by_country": [
            GroupTotal("THA", "Thailand", 1, 9, 6, 4),
            GroupTotal("VNM", "Viet Nam", 1, 5, 3, 2),
            GroupTotal("KEN", "Kenya", 1, 7, 3, 2),
            GroupTotal(None, OTHER_COUNTRIES, 2, 10, 4, 2),
        ],
        "timeline": [
            DayCount(date(2025, 10, 1), 4),
            DayCount(date(2025, 10, 3), 9),
            DayCount(date(2025, 10, 14), 18),
        ],
        # Viet Nam is a destination on one route and a transit on another.
        "flows": [
            Flow("Nigeria", "Ethiopia", 3, "origin", "transit"),
            Flow("Ethiopia", "Viet Nam", 3, "transit", "destination"),
            Flow("Kenya", "Viet Nam", 2, "origin", "destination"),
            Flow("Kenya", "Viet Nam", 1, "origin", "destination"),  # repeated: one link of 3
            Flow("Kenya", "Viet Nam", 4, "origin", "transit"),
            Flow("Viet Nam", "China", 4, "transit", "destination"),
        ],
        "map_counts": {"THA": 9, "KEN": 7, "VNM": 5, "FRA": 1},
    }
    values.update(overrides)
    return Figures(**values)


def bar_points(fig: go.Figure) -> list[dict[str, Any]]:
    points = []
    for trace in fig.data:
        assert trace.type == "bar"
        for i, y in enumerate(trace.y):
            points.append(
                {
                    "trace": trace,
                    "x": trace.x[i],
                    "y": y,
                    "text": trace.text[i] if trace.text is not None else None,
                    "customdata": trace.customdata[i] if trace.customdata is not None else None,
                }
            )
    return points


# -- builders ---------------------------------------------------------------------------------
def test_commodity_chart_one_bar_per_commodity_and_unit_never_summed() -> None:
    figures = make_figures()
    fig = pack_charts.commodity_chart(figures)
    points = bar_points(fig)

    assert len(points) == len(figures.by_commodity)
    by_label = {p["y"]: p for p in points}
    assert len(by_label) == len(points)  # every (commodity, unit) has its own bar
    for line in figures.by_commodity:
        point = by_label[commodity_label(line.label, line.unit_label)]
        assert point["x"] == float(line.quantity)
        assert point["text"] == f"{format_quantity(line.quantity)} {line.unit_label}"
        shown, unit_label, seizures, commodity, unit = point["customdata"]
        assert (shown, unit_label, seizures, commodity, unit) == (
            format_quantity(line.quantity),
            line.unit_label,
            line.seizures,
            line.commodity,
            line.unit,
        )
    # Ivory appears once in kg and once in pieces, never as 545.25 + 440.
    assert by_label["Ivory (kg)"]["x"] == 545.25
    assert by_label["Ivory (pieces)"]["x"] == 440
    assert 985.25 not in [p["x"] for p in points]

    # One panel per unit, each on its own axis titled with the unit: kg and pieces never
    # share a scale.
    units = {line.unit: line.unit_label for line in figures.by_commodity}
    assert len(fig.data) == len(units)
    axes = set()
    for trace in fig.data:
        trace_units = {c[4] for c in trace.customdata}
        assert len(trace_units) == 1
        (unit,) = trace_units
        axis = "xaxis" + trace.xaxis[1:]
        assert fig.layout[axis].title.text == units[unit]
        axes.add(trace.xaxis)
    assert len(axes) == len(units)


def test_format_quantity() -> None:
    assert format_quantity(Decimal("545.250")) == "545.25"
    assert format_quantity(Decimal("27000")) == "27,000"
    assert format_quantity(Decimal("1E+3")) == "1,000"
    assert format_quantity(Decimal("0.005")) == "0.005"
    assert format_quantity(Decimal("1234567.5")) == "1,234,567.5"


@pytest.mark.parametrize(
    ("builder", "attr"),
    [(pack_charts.network_chart, "by_network"), (pack_charts.region_chart, "by_region")],
)
def test_group_charts_match_the_figures(builder: Any, attr: str) -> None:
    figures = make_figures()
    groups = getattr(figures, attr)
    fig = builder(figures)
    assert [t.name for t in fig.data] == ["Seizures", "Suspects", "Arrests"]
    for trace, key in zip(fig.data, ("seizures", "suspects", "arrests"), strict=True):
        assert list(trace.x) == [g.name for g in groups]
        assert list(trace.y) == [getattr(g, key) for g in groups]
        assert [c[0] for c in trace.customdata] == [g.countries for g in groups]


def test_country_chart_top_n_and_the_others_together() -> None:
    named = [GroupTotal(f"C{i:02d}", f"Country {i:02d}", 1, 100 - i, i, i % 3) for i in range(25)]
    named.append(GroupTotal("TIE", "A tie", 1, 100 - 19, 0, 0))  # ties break by name
    unnamed = GroupTotal(None, OTHER_COUNTRIES, 4, 13, 6, 2)
    figures = make_figures(by_country=[*named, unnamed])

    rows = top_countries(figures.by_country, top=20)
    ranked = sorted(named, key=lambda g: (-g.seizures, g.name))
    assert rows[:20] == ranked[:20]
    assert "A tie" in [g.name for g in rows[:20]]
    other = rows[20]
    rest = ranked[20:] + [unnamed]
    assert other.code is None and other.name == OTHER_COUNTRIES
    assert other.countries == sum(g.countries for g in rest) == 6 + 4
    assert other.seizures == sum(g.seizures for g in rest)
    assert other.suspects == sum(g.suspects for g in rest)
    assert other.arrests == sum(g.arrests for g in rest)
    assert len(rows) == 21

    fig = pack_charts.country_chart(figures, top=20)
    (trace,) = fig.data
    assert list(trace.y) == [g.name for g in rows]
    assert list(trace.x) == [g.seizures for g in rows]
    assert sum(trace.x) == sum(g.seizures for g in figures.by_country)
    assert fig.layout.yaxis.autorange == "reversed"  # largest first, the others last

    # Few countries: all are named, the unnamed group stays one bar.
    small = pack_charts.country_chart(make_figures())
    assert list(small.data[0].y) == ["Thailand", "Kenya", "Viet Nam", OTHER_COUNTRIES]
    assert list(small.data[0].x) == [9, 7, 5, 10]


def test_timeline_covers_every_day_of_the_window() -> None:
    figures = make_figures()
    fig = pack_charts.timeline_chart(figures)
    (trace,) = fig.data
    days = [figures.window_start + timedelta(days=i) for i in range(14)]
    assert list(trace.x) == [d.isoformat() for d in days]
    expected = {d.day: d.seizures for d in figures.timeline}
    assert list(trace.y) == [expected.get(d, 0) for d in days]
    assert sum(trace.y) == sum(expected.values())

    # A seizure dated after the window widens the range instead of being dropped.
    late = make_figures(timeline=[DayCount(date(2025, 10, 16), 2)])
    (trace,) = pack_charts.timeline_chart(late).data
    assert trace.x[0] == "2025-10-01" and trace.x[-1] == "2025-10-16"
    assert len(trace.x) == 16 and trace.y[-1] == 2 and sum(trace.y) == 2


def sankey_links(fig: go.Figure) -> dict[tuple[tuple[str, str], tuple[str, str]], int]:
    (sankey,) = fig.data
    assert sankey.type == "sankey"
    nodes = list(zip(sankey.node.label, sankey.node.customdata, strict=True))
    assert len(nodes) == len(set(nodes))  # one node per (place, stage)
    links = {
        (nodes[s], nodes[t]): v
        for s, t, v in zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True)
    }
    assert len(links) == len(sankey.link.value)  # no pair drawn twice
    return links


def test_sankey_nodes_and_links_equal_the_flows() -> None:
    figures = make_figures()
    fig = pack_charts.route_chart(figures)
    stage = {"origin": "origin", "transit": "transit", "destination": "destination"}

    def node(name: str, at: str) -> tuple[str, str]:
        return (name, f"{name} ({stage[at]})")

    expected: dict[tuple[tuple[str, str], tuple[str, str]], int] = {}
    for f in figures.flows:
        key = (node(f.source, f.source_stage), node(f.target, f.target_stage))
        expected[key] = expected.get(key, 0) + f.seizures
    assert sankey_links(fig) == expected
    assert expected[(node("Kenya", "origin"), node("Viet Nam", "destination"))] == 3
    labels = list(fig.data[0].node.label)
    assert labels.count("Viet Nam") == 2  # transit and destination: two nodes, no loop
    assert sorted(set(labels)) == ["China", "Ethiopia", "Kenya", "Nigeria", "Viet Nam"]

    # Flows without stages: one node per name.
    plain = make_figures(
        flows=[
            Flow("Nigeria", "Ethiopia", 3),
            Flow("Ethiopia", "Viet Nam", 3),
            Flow("Nigeria", "Ethiopia", 2),
        ]
    )
    assert sankey_links(pack_charts.route_chart(plain)) == {
        (("Nigeria", "Nigeria"), ("Ethiopia", "Ethiopia")): 5,
        (("Ethiopia", "Ethiopia"), ("Viet Nam", "Viet Nam")): 3,
    }


def test_sankey_draws_only_the_largest_links_and_says_so() -> None:
    # 90 distinct links with distinct sizes, plus one repeated link whose parts are small but
    # whose sum makes it one of the largest: the cut is made after adding repeats up.
    flows = [
        Flow(f"Origin {i}", f"Destination {i}", 100 + i, "origin", "destination") for i in range(90)
    ]
    flows += [Flow("Kenya", "Viet Nam", 120, "origin", "destination")] * 2
    figures = make_figures(flows=flows)
    every = {(f.source, f.target): 0 for f in flows}
    for f in flows:
        every[(f.source, f.target)] += f.seizures
    largest = sorted(every.items(), key=lambda item: -item[1])[:10]

    fig = pack_charts.route_chart(figures, top=10)
    drawn = {(s[0], t[0]): v for (s, t), v in sankey_links(fig).items()}
    assert drawn == dict(largest)
    assert drawn[("Kenya", "Viet Nam")] == 240
    assert "The 10 largest of 91 links" in fig.layout.title.text

    # Under the limit nothing is left out and the title carries no note.
    small = pack_charts.route_chart(make_figures(flows=flows[:5]), top=10)
    assert len(small.data[0].link.value) == 5
    assert "largest" not in small.layout.title.text
    assert pack_charts.TOP_FLOWS <= 100  # a Sankey a reader can follow


def test_map_locations_and_values_equal_map_counts() -> None:
    figures = make_figures()
    fig = pack_charts.map_chart(figures)
    (trace,) = fig.data
    assert trace.type == "choropleth"
    assert trace.locationmode == "ISO-3"
    assert dict(zip(trace.locations, trace.z, strict=True)) == figures.map_counts
    assert len(trace.locations) == len(figures.map_counts)
    assert list(trace.text) == ["France", "Kenya", "Thailand", "Viet Nam"]
    assert fig.layout.geo.scope == "world"
    assert fig.layout.geo.resolution == 110
    # The geometry plotly.js asks for is the file the app serves and the exports inline.
    assert chart_files.topojson_names(fig) == ["world_110m"]
    assert (TOPOJSON_DIR / "world_110m.json").is_file()


def test_all_charts_and_empty_figures() -> None:
    charts = pack_charts.all_charts(make_figures())
    assert tuple(charts) == pack_charts.CHART_NAMES
    for fig in charts.values():
        json.loads(fig.to_json())
        assert fig.layout.title.text

    empty = pack_charts.all_charts(
        make_figures(
            by_commodity=[],
            by_network=[],
            by_region=[],
            by_country=[],
            timeline=[],
            flows=[],
            map_counts={},
        )
    )
    assert tuple(empty) == pack_charts.CHART_NAMES
    assert len(empty["timeline"].data[0].x) == 14  # the window, all zero
    assert set(empty["timeline"].data[0].y) == {0}
    assert list(empty["map"].data[0].locations) == []
    for name in ("commodities", "networks", "regions", "countries", "routes"):
        assert empty[name].layout.annotations, name  # a "nothing reported" note


# -- standalone HTML --------------------------------------------------------------------------
def test_html_file_is_self_contained(tmp_path: Path) -> None:
    charts = pack_charts.all_charts(make_figures())
    bundle = PLOTLY_JS.read_text(encoding="utf-8")
    topojson = json.loads((TOPOJSON_DIR / "world_110m.json").read_text(encoding="utf-8"))

    for name, fig in charts.items():
        path = chart_files.write_chart_html(fig, tmp_path / f"{name}.html", f"Chart <{name}>")
        page = path.read_text(encoding="utf-8")
        # The vendored plotly.js, inline, exactly once; no script, style or data by URL.
        assert page.count(bundle) == 1
        assert not re.search(r"<script[^>]*\ssrc=", page, re.IGNORECASE)
        assert '<script src="http' not in page
        assert "<link" not in page and "@import" not in page
        # The bundle itself names its default topojsonURL (https://cdn.plot.ly/un/) and a few
        # attribution links; everything else in the page is ours and holds no URL at all.
        ours = page.replace(bundle, "")
        assert "cdn.plot.ly" not in ours
        assert not re.search(r"https?://", ours)
        assert 'topojsonURL: "./"' in ours
        assert "<title>Chart &lt;" + name + "&gt;</title>" in ours
        figure = json.loads(re.search(r'id="chart-figure">(.*?)</script>', ours, re.S).group(1))
        assert figure["data"] == json.loads(fig.to_json())["data"]

        blocks = re.findall(r'data-topojson="([^"]+)">(.*?)</script>', ours, re.S)
        if name == "map":
            assert [b[0] for b in blocks] == ["world_110m"]
            assert json.loads(blocks[0][1]) == topojson
            # The cache is filled before plotly.js loads, then the figure is drawn.
            start = page.index(bundle)
            assert page.index("window.PlotlyGeoAssets") < start
            assert page.rindex('Plotly.newPlot("chart"') > start + len(bundle)
        else:
            assert blocks == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.html" for n in charts)


def test_html_notice_and_script_safety(tmp_path: Path) -> None:
    fig = pack_charts.network_chart(
        make_figures(by_network=[GroupTotal("X", "</script><b>x", 1, 1, 1, 1)])
    )
    path = chart_files.write_chart_html(
        fig, tmp_path / "n.html", "Networks", notice="EMBARGOED until 3 March 2026 09:00 UTC"
    )
    page = path.read_text(encoding="utf-8").replace(PLOTLY_JS.read_text(encoding="utf-8"), "")
    assert '<p class="notice" role="note">EMBARGOED until 3 March 2026 09:00 UTC</p>' in page
    assert "</script><b>" not in page  # a name typed by a user cannot close the JSON block


# -- PNG --------------------------------------------------------------------------------------
def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == chart_files.PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


needs_chromium = pytest.mark.skipif(
    chart_files.chromium_path() is None, reason="Debian's chromium is not installed"
)


@needs_chromium
def test_png_bar_chart_and_map_from_local_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kaleido

    seen: dict[str, Any] = {"topojson": []}

    class Recording(kaleido.Kaleido):
        def __init__(self, **kwargs: Any) -> None:
            seen["options"] = kwargs
            super().__init__(**kwargs)

        async def calc_fig(self, fig: Any, opts: Any = None, **kwargs: Any) -> bytes:
            seen["topojson"].append(kwargs.get("topojson"))
            return await super().calc_fig(fig, opts, **kwargs)

    monkeypatch.setattr(kaleido, "Kaleido", Recording)
    figures = make_figures()
    bar = pack_charts.commodity_chart(figures)
    world = pack_charts.map_chart(figures)
    skipped = chart_files.write_chart_pngs(
        {tmp_path / "commodities.png": bar, tmp_path / "map.png": world}
    )
    assert skipped == []
    for name, fig in (("commodities.png", bar), ("map.png", world)):
        data = (tmp_path / name).read_bytes()
        scale = chart_files.PNG_SCALE
        assert png_size(data) == (chart_files.PNG_WIDTH * scale, fig.layout.height * scale)
    # A map PNG is only written when plotly.js found its geometry (a missing topojson rejects
    # the render); it is the larger image, with every country's outline.
    assert (tmp_path / "map.png").stat().st_size > (tmp_path / "commodities.png").stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["commodities.png", "map.png"]

    # What kaleido was given: the vendored plotly.js and topojson as files, MathJax (a CDN by
    # default) off, and a proxy that leads nowhere.
    options = seen["options"]
    assert options["plotlyjs"] == PLOTLY_JS.as_uri()
    assert options["mathjax"] is False
    assert options["proxy_server"] == chart_files.NO_NETWORK_PROXY
    assert options["path"] == chart_files.chromium_path()
    assert seen["topojson"] == [TOPOJSON_DIR.as_uri() + "/"] * 2


@needs_chromium
def test_png_that_takes_too_long_is_skipped_and_the_others_are_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import kaleido

    class Stuck(kaleido.Kaleido):
        async def calc_fig(self, fig: Any, opts: Any = None, **kwargs: Any) -> bytes:
            if fig.layout.title.text.startswith("STUCK"):
                await asyncio.sleep(3600)  # a layout Chromium never finishes
            return await super().calc_fig(fig, opts, **kwargs)

    monkeypatch.setattr(kaleido, "Kaleido", Stuck)
    monkeypatch.setattr(chart_files, "RENDER_TIMEOUT", 2)
    figures = make_figures()
    stuck = pack_charts.region_chart(figures)
    stuck.update_layout(title_text="STUCK " + stuck.layout.title.text)
    skipped = chart_files.write_chart_pngs(
        {
            tmp_path / "stuck.png": stuck,
            tmp_path / "commodities.png": pack_charts.commodity_chart(figures),
        }
    )
    assert [s.artifact for s in skipped] == ["stuck.png"]
    assert "no image after 2 s" in skipped[0].reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["commodities.png"]


def _can_cut_network() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return (
            subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


@needs_chromium
@pytest.mark.skipif(not _can_cut_network(), reason="cannot start a process without network")
def test_png_map_with_the_network_cut_off(tmp_path: Path) -> None:
    """The map PNG in a process whose network namespace has no interface up: not even the
    loopback. Any fetch of plotly.js, MathJax or topojson from a host would fail the render."""
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from opsplanner.services import chart_files, pack_charts
        from tests.test_pack_charts import make_figures

        result = chart_files.write_chart_png(
            pack_charts.map_chart(make_figures()), Path({str(tmp_path / "map.png")!r})
        )
        print(result)
        sys.exit(0 if result is None else 1)
        """
    )
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    width, height = png_size((tmp_path / "map.png").read_bytes())
    assert (width, height) == (chart_files.PNG_WIDTH * 2, 480 * 2)


def test_png_skipped_without_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chart_files, "chromium_path", lambda: None)
    figures = make_figures()
    result = chart_files.write_chart_png(pack_charts.map_chart(figures), tmp_path / "map.png")
    assert isinstance(result, Skipped)
    assert result.artifact == "map.png"
    assert "Chromium is not installed" in result.reason
    many = chart_files.write_chart_pngs(
        {tmp_path / f"{n}.png": f for n, f in pack_charts.all_charts(figures).items()}
    )
    assert [s.artifact for s in many] == [f"{n}.png" for n in pack_charts.CHART_NAMES]
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing half-written


def test_png_skipped_when_the_browser_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "bin" / "chromium"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("CHROMIUM_PATH", str(broken))
    assert chart_files.chromium_path() == str(broken)
    out = tmp_path / "out"
    result = chart_files.write_chart_png(pack_charts.commodity_chart(make_figures()), out / "c.png")
    assert isinstance(result, Skipped)
    assert result.artifact == "c.png"
    assert result.reason.startswith("PNG not made: Chromium failed")
    assert not out.exists() or list(out.iterdir()) == []


def test_chromium_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    monkeypatch.setenv("CHROMIUM_PATH", str(not_executable))
    assert chart_files.chromium_path() is None
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "missing"))
    assert chart_files.chromium_path() is None
