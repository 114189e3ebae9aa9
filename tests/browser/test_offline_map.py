"""The pack's world map draws with no network: the standalone HTML file opened from disk (its
geometry inlined), and a page of the app (charts.js points plotly.js at the topojson under
/static/). Every request to another origin is aborted and recorded; there must be none."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import render_template_string
from playwright.sync_api import Page, Route

from opsplanner.services import chart_files, charts, pack_charts
from opsplanner.services.pack_model import Audience, Figures
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, LiveServer, PageRecorder

pytestmark = pytest.mark.browser

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def world_figures() -> Figures:
    """Seizures in every country of the 110m world geometry but Antarctica, which the map's
    latitude range leaves out (173 countries)."""
    topojson = json.loads((chart_files.TOPOJSON_DIR / "world_110m.json").read_text())
    codes = sorted(
        {
            g["id"]
            for g in topojson["objects"]["countries"]["geometries"]
            if re.fullmatch(r"[A-Z]{3}", str(g.get("id"))) and g["id"] != "ATA"
        }
    )
    assert len(codes) > 150
    return Figures(
        operation_id=1,
        operation_name="Offline map",
        audience=Audience.PUBLIC,
        data_version="v1",
        window_start=date(2025, 10, 1),
        window_end=date(2025, 10, 28),
        map_counts={code: 1 + i % 17 for i, code in enumerate(codes)},
    )


def drawn_map(page: Page, expected: int) -> dict[str, Any]:
    """Wait for plotly.js to draw the choropleth; return what the geo layer holds."""
    page.wait_for_function(
        "n => document.querySelectorAll('.geo .choroplethlocation').length >= n",
        arg=expected,
        timeout=DEFAULT_TIMEOUT_MS,
    )
    return page.evaluate(
        """() => {
          const located = [...document.querySelectorAll('.geo .choroplethlocation')];
          const layer = name => document.querySelector('.geo .layer.' + name + ' path');
          return {
            locations: located.length,
            outlined: located.filter(p => (p.getAttribute('d') || '').length > 20).length,
            countriesLayer: (layer('countries')?.getAttribute('d') || '').length,
            landLayer: (layer('land')?.getAttribute('d') || '').length,
          };
        }"""
    )


def test_standalone_map_file_renders_offline(browser: Any, tmp_path: Path) -> None:
    figures = world_figures()
    path = chart_files.write_chart_html(
        pack_charts.map_chart(figures), tmp_path / "map.html", "Seizures by country"
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []

    def only_local(route: Route) -> None:
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(path.as_uri())
        drawn = drawn_map(page, len(figures.map_counts))
    finally:
        context.close()

    assert drawn["locations"] == len(figures.map_counts) > 100
    assert drawn["outlined"] == drawn["locations"]  # each country has its outline drawn
    assert drawn["countriesLayer"] > 10_000 and drawn["landLayer"] > 10_000
    assert blocked == []
    assert [u for u in requests if not u.startswith(LOCAL_SCHEMES)] == []
    assert errors == []


IN_APP_PAGE = """{% extends "base.html" %}
{% block content %}
<div id="pack-map" class="chart"></div>
<script type="application/json" data-chart="pack-map">{{ chart|safe }}</script>
{% endblock %}
{% block scripts %}
<script src="{{ url_for('static', filename='vendor/plotly/plotly-strict.min.js') }}" defer></script>
<script src="{{ url_for('static', filename='js/charts.js') }}" defer></script>
{% endblock %}"""


def test_in_app_map_uses_the_local_topojson(
    page: Page, live_server: LiveServer, recorder: PageRecorder
) -> None:
    """A page drawn like the app's chart pages (base template, strict CSP, charts.js): the map
    geometry comes from /static/vendor/topojson/world_110m.json on the app's own origin."""
    from opsplanner.security import allow_chart_styles

    figures = world_figures()

    def pack_map() -> str:
        allow_chart_styles()
        return render_template_string(
            IN_APP_PAGE, chart=charts.embed(pack_charts.map_chart(figures))
        )

    # Before the first request, so Flask still accepts a route.
    live_server.app.add_url_rule("/_test/pack-map", "test_pack_map", pack_map)

    blocked: list[str] = []

    def same_origin_only(route: Route) -> None:
        if route.request.url.startswith(live_server.url + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", same_origin_only)
    response = page.goto("/_test/pack-map")
    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    drawn = drawn_map(page, len(figures.map_counts))

    assert drawn["locations"] == len(figures.map_counts) > 100
    assert drawn["outlined"] == drawn["locations"]
    assert drawn["countriesLayer"] > 10_000
    assert f"{live_server.url}/static/vendor/topojson/world_110m.json" in recorder.requests
    assert blocked == []
    # The page fixture also checks: no request to another host, no console or script error.
