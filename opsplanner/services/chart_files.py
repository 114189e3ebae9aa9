"""A chart of the publication pack as files: a standalone interactive HTML page and a PNG.

Both work with no network at all, because packs are built and read on closed networks:

- The HTML file inlines the vendored plotly.js and, for maps, the map geometry. plotly.js
  looks a geo subplot's topojson up in ``window.PlotlyGeoAssets.topojson[<scope>_<res>m]``
  before fetching ``config.topojsonURL + name + ".json"`` (plotly's own CDN address by
  default); the page fills that cache from an inline JSON block before plotly.js loads, the
  same global that plotly.js's own ``dist/plotly-geo-assets.js`` sets. Its config also points
  ``topojsonURL`` next to the file, so even a miss never reaches a CDN.
- The PNG goes through kaleido 1.x, which drives an installed Chromium (Debian's
  ``chromium``; kaleido never downloads one here). kaleido gets the vendored plotly.js as a
  file: URL, MathJax off (its default is a CDN), the ``topojson`` option (it becomes the
  figure's ``topojsonURL``) set to the file: URL of static/vendor/topojson/, and a dead
  proxy, so that Chromium cannot reach any host even if something asked it to.

A PNG that cannot be made (no Chromium, no kaleido, a render error) is not an error for the
pack: ``write_chart_png`` returns a ``Skipped`` that the manifest lists. Files are written to
a temporary name and moved into place, so a failure or a killed worker leaves no partial file.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from flask_babel import gettext as _

from opsplanner.config import BASE_DIR
from opsplanner.services.charts import embed

VENDOR = BASE_DIR / "static" / "vendor"
PLOTLY_JS = VENDOR / "plotly" / "plotly-strict.min.js"
TOPOJSON_DIR = VENDOR / "topojson"
GEO_TRACES = frozenset({"choropleth", "scattergeo"})

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_WIDTH = 1100  # CSS pixels; the height is the figure's own (or kaleido's default)
PNG_SCALE = 2
RENDER_TIMEOUT = 90  # seconds per image
# Chromium sends every request through this proxy; nothing listens on the discard port, so
# any attempt to reach a host fails at once instead of leaking or hanging on a closed network.
NO_NETWORK_PROXY = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Skipped:
    """An artifact the pack could not produce, and why (shown in the manifest and the page)."""

    artifact: str
    reason: str


# -- shared ---------------------------------------------------------------------------------
@contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    """A scratch path next to ``path`` that replaces it on success and vanishes on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        yield scratch
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)


def topojson_names(fig: go.Figure) -> list[str]:
    """The topojson files plotly.js needs for the figure's geo subplots, named as plotly.js
    names them (``getTopojsonName``: scope with spaces as dashes, ``_``, resolution, ``m``)."""
    names: list[str] = []
    for trace in fig.data:
        if trace.type not in GEO_TRACES:
            continue
        geo = fig.layout[trace.geo or "geo"]
        scope = (geo.scope or "world").replace(" ", "-")
        name = f"{scope}_{int(geo.resolution or 110)}m"
        if name not in names:
            names.append(name)
    return names


def topojson_file(name: str) -> Path:
    path = TOPOJSON_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no local map geometry for {name!r} in {TOPOJSON_DIR}")
    return path


# -- interactive HTML -----------------------------------------------------------------------
def _script_json(text: str) -> str:
    """JSON text that cannot end the <script> element it sits in."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def _plotly_bundle() -> str:
    source = PLOTLY_JS.read_text(encoding="utf-8")
    # Inline, "</script" would end the element; "<\/script" means the same to JavaScript.
    return re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE)


@cache
def _topojson_text(name: str) -> str:
    text = topojson_file(name).read_text(encoding="utf-8")
    json.loads(text)  # a broken file must fail here, not as a blank map in the reader's browser
    return _script_json(text)


_BOOT = """(function () {
  "use strict";
  var assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  assets.topojson = assets.topojson || {};
  document.querySelectorAll('script[type="application/json"][data-topojson]').forEach(
    function (node) {
      assets.topojson[node.getAttribute("data-topojson")] = JSON.parse(node.textContent);
    });
})();"""

_DRAW = """(function () {
  "use strict";
  var figure = JSON.parse(document.getElementById("chart-figure").textContent);
  Plotly.newPlot("chart", figure.data, figure.layout || {}, {
    responsive: true,
    displaylogo: false,
    // The geometry is inlined above; a name missing from it is looked for next to this file.
    topojsonURL: "./",
    modeBarButtonsToRemove: ["select2d", "lasso2d"]
  });
})();"""

_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem 1.5rem; color: #1b1b1b; }}
.notice {{ border: 2px solid #8c2d19; color: #8c2d19; font-weight: 700; padding: .5rem .75rem;
  margin: 0 0 1rem; }}
#chart {{ width: 100%; min-height: {height}px; }}
</style>
</head>
<body>
{notice}<div id="chart" role="img" aria-label="{title}"></div>
<script type="application/json" id="chart-figure">{figure}</script>
{topojson}<script>{boot}</script>
<script>/* plotly.js (MIT licence), vendored in static/vendor/plotly/ */
{plotly}</script>
<script>{draw}</script>
</body>
</html>
"""


def chart_html(fig: go.Figure, title: str, *, notice: str | None = None, lang: str = "en") -> str:
    """The standalone page: no external script, stylesheet, font or data (see module doc)."""
    topojson = "".join(
        f'<script type="application/json" data-topojson="{name}">{_topojson_text(name)}</script>\n'
        for name in topojson_names(fig)
    )
    return _PAGE.format(
        lang=html.escape(lang),
        title=html.escape(title),
        height=int(fig.layout.height or 450),
        notice=f'<p class="notice" role="note">{html.escape(notice)}</p>\n' if notice else "",
        figure=embed(fig),
        topojson=topojson,
        boot=_BOOT,
        plotly=_plotly_bundle(),
        draw=_DRAW,
    )


def write_chart_html(
    fig: go.Figure, path: Path | str, title: str, *, notice: str | None = None
) -> Path:
    """Write the chart as a self-contained interactive page that works opened from disk."""
    path = Path(path)
    page = chart_html(fig, title, notice=notice)
    with _atomic_path(path) as scratch:
        scratch.write_text(page, encoding="utf-8")
    return path


# -- PNG ------------------------------------------------------------------------------------
def chromium_path() -> str | None:
    """Debian's chromium (or the browser that CHROMIUM_PATH / kaleido's BROWSER_PATH names),
    if it is installed and executable."""
    path = (
        os.environ.get("CHROMIUM_PATH")
        or os.environ.get("BROWSER_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return None


def kaleido_options(browser: str) -> dict[str, Any]:
    """What kaleido.Kaleido gets: the browser, local scripts only, no network."""
    return {
        "path": browser,
        "plotlyjs": PLOTLY_JS.as_uri(),
        "mathjax": False,
        "proxy_server": NO_NETWORK_PROXY,
        "timeout": RENDER_TIMEOUT,
    }


def topojson_url() -> str:
    return TOPOJSON_DIR.as_uri() + "/"


def with_notice(fig: go.Figure, notice: str | None) -> go.Figure:
    """A copy of ``fig`` with ``notice`` (e.g. the embargo) written above the plot."""
    if not notice:
        return fig
    marked = go.Figure(fig)
    top = (marked.layout.margin.t if marked.layout.margin.t is not None else 80) + 30
    marked.update_layout(margin_t=top)
    marked.add_annotation(
        text=f"<b>{html.escape(notice)}</b>",
        xref="paper",
        yref="paper",
        x=1,
        y=1,
        xanchor="right",
        yanchor="bottom",
        yshift=top - 30,
        showarrow=False,
        font={"color": "#8c2d19", "size": 13},
    )
    return marked


def _first_line(exc: BaseException) -> str:
    # choreographer's errors carry a tuple of advice (e.g. to download a browser): keep the
    # first sentence, which says what happened.
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    text = first.strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


async def _render(jobs: list[tuple[Path, go.Figure]], browser: str) -> dict[Path, Any]:
    import kaleido

    results: dict[Path, Any] = {}
    async with kaleido.Kaleido(**kaleido_options(browser)) as k:
        for path, fig in jobs:
            opts = {"format": "png", "width": int(fig.layout.width or PNG_WIDTH)}
            if fig.layout.height:
                opts["height"] = int(fig.layout.height)
            opts["scale"] = PNG_SCALE
            try:
                # kaleido's own timeout covers loading the page, not drawing: a figure that
                # Chromium takes minutes to lay out would hold the section (and its worker)
                # that long, so every image gets a hard limit of its own.
                results[path] = await asyncio.wait_for(
                    k.calc_fig(fig, opts=opts, topojson=topojson_url()), timeout=RENDER_TIMEOUT
                )
            except TimeoutError:
                results[path] = TimeoutError(
                    f"no image after {RENDER_TIMEOUT:g} s (the chart is too large to draw)"
                )
            except Exception as exc:  # one bad chart must not cost the others their image
                results[path] = exc
    return results


def write_chart_pngs(
    charts: Mapping[Path | str, go.Figure], *, notice: str | None = None
) -> list[Skipped]:
    """Write every chart as a PNG with one Chromium for the lot; what could not be written
    comes back as ``Skipped`` (and no file, not even a partial one, is left for it)."""
    jobs = [(Path(path), with_notice(fig, notice)) for path, fig in charts.items()]
    if not jobs:
        return []

    def skip_all(reason: str) -> list[Skipped]:
        return [Skipped(path.name, reason) for path, _fig in jobs]

    browser = chromium_path()
    if browser is None:
        return skip_all(
            _(
                "PNG not made: Chromium is not installed on the server (install Debian's "
                "chromium package; kaleido needs it to draw images)."
            )
        )
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return skip_all(_("PNG not made: the kaleido package is not installed."))
    for _path, fig in jobs:
        for name in topojson_names(fig):
            topojson_file(name)  # missing geometry is a packaging error, not a skip

    # kaleido is asyncio-based; a thread of its own keeps it clear of any running loop.
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaleido") as pool:
            results = pool.submit(asyncio.run, _render(jobs, browser)).result()
    except Exception as exc:  # the browser did not start or died
        return skip_all(_("PNG not made: Chromium failed (%(error)s).", error=_first_line(exc)))

    skipped: list[Skipped] = []
    for path, _fig in jobs:
        data = results.get(path)
        if isinstance(data, BaseException) or data is None:
            error = _first_line(data) if data is not None else "no result"
            skipped.append(
                Skipped(path.name, _("PNG not made: rendering failed (%(error)s).", error=error))
            )
            continue
        if not data.startswith(PNG_SIGNATURE):
            skipped.append(Skipped(path.name, _("PNG not made: the renderer returned no PNG.")))
            continue
        with _atomic_path(path) as scratch:
            scratch.write_bytes(data)
    return skipped


def write_chart_png(
    fig: go.Figure, path: Path | str, *, notice: str | None = None
) -> Skipped | None:
    """Write one chart as a PNG; None when written, a ``Skipped`` when not. For several
    charts use ``write_chart_pngs``, which starts Chromium once."""
    skipped = write_chart_pngs({Path(path): fig}, notice=notice)
    return skipped[0] if skipped else None
