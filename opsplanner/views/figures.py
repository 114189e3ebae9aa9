"""The publication figures of an operation, live in the app (the communications view): the
figures and interactive charts of the publication pack, computed on request from the approved
results (``services/figures_export``), and their summary export as CSV or XLSX.

Who sees what:

- ``page`` and ``export``: organisers and communications staff (aggregates only). Everyone else
  gets 404 (coordinators and focal points work on results, not on their publication);
  anonymous users are sent to sign in. Drafts are the organiser's (``Scope``).
- Audience: the public figures (approved, publishable, non-sensitive; only consenting countries
  named) unless an organiser asks for ``?audience=internal`` (every approved result). Anyone
  else asking for the internal figures, or for an unknown audience, gets 404.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user

from opsplanner.models import Role
from opsplanner.security import allow_chart_styles
from opsplanner.services import charts, figures_export, pack_charts
from opsplanner.services.pack_model import OTHER_COUNTRIES, Audience
from opsplanner.views.common import MIMETYPES, roles_required, scope

bp = Blueprint("figures", __name__, url_prefix="/operations/<int:operation_id>")

# The charts of the pack, each shown with the table that holds its figures.
CHART_SECTIONS = {
    "commodities": ("commodities",),
    "networks": ("networks",),
    "regions": ("regions",),
    "countries": ("countries", "map"),
    "timeline": ("timeline",),
    "routes": ("routes",),
}


def _audience() -> Audience:
    try:
        audience = Audience(request.args.get("audience", Audience.PUBLIC.value))
    except ValueError:
        abort(404)
    if audience is Audience.INTERNAL and current_user.role is not Role.ORGANISER:
        abort(404)  # the internal figures are the organisers' (ICCWC partners)
    return audience


def _count(value: int) -> str:
    return f"{value:,}"


@bp.route("/figures")
@roles_required(Role.ORGANISER, Role.COMMUNICATIONS)
def page(operation_id: int) -> Any:
    op = scope().operation_or_404(operation_id)
    audience = _audience()
    figures = figures_export.live_figures(op, audience)
    ready = figures_export.has_results(figures)
    embedded = (
        {name: charts.embed(fig) for name, fig in pack_charts.all_charts(figures).items()}
        if ready
        else {}
    )
    if embedded:
        allow_chart_styles()
    return render_template(
        "figures/page.html",
        op=op,
        figures=figures,
        ready=ready,
        audience=audience,
        audiences=Audience,
        audience_label=figures_export.audience_label(audience),
        may_switch=current_user.role is Role.ORGANISER,
        headline=figures_export.headline(figures),
        version=figures_export.short_version(figures),
        charts=embedded,
        chart_sections=CHART_SECTIONS,
        other_countries=OTHER_COUNTRIES,
        count=_count,
        quantity=pack_charts.format_quantity,
        route_text=figures_export.route_text,
        active="figures",
    )


@bp.route("/figures.<any(csv, xlsx):fmt>")
@roles_required(Role.ORGANISER, Role.COMMUNICATIONS)
def export(operation_id: int, fmt: str) -> Any:
    op = scope().operation_or_404(operation_id)
    figures = figures_export.live_figures(op, _audience())
    data = figures_export.export_bytes(figures, fmt)
    return send_file(
        io.BytesIO(data),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=figures_export.file_name(figures, fmt),
    )
