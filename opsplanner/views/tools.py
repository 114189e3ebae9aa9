"""The catalogue of tools and services: the list (optionally for one network), curating
entries (organisers and coordinators), marking which ones a country uses (its focal point),
and the analysis of how much each network's member states use them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.forms.directory import ToolForm, ToolUsageForm
from opsplanner.models import Country, Network, Role, ToolService
from opsplanner.security import allow_chart_styles
from opsplanner.services import catalogue, directory_charts
from opsplanner.services.charts import embed
from opsplanner.services.errors import DomainError
from opsplanner.views.common import roles_required, scope

bp = Blueprint("tools", __name__, url_prefix="/tools")


def _tool_or_404(tool_id: int) -> ToolService:
    tool = catalogue.tool_or_none(tool_id)
    if tool is None:
        abort(404)
    return tool


@bp.route("/")
@login_required
def index() -> Any:
    s = scope()
    acronym = request.args.get("network") or ""
    network = None
    tools = catalogue.all_tools()
    if acronym:
        network = db.session.scalar(select(Network).where(Network.acronym == acronym))
        if network is None:
            abort(404)
        tools = catalogue.serving(network, s.today, tools)
    return render_template(
        "directory/tools.html",
        tools=tools,
        network=network,
        networks=db.session.scalars(select(Network).order_by(Network.acronym)).all(),
        regions=catalogue.region_names(),
        may_curate=s.may_curate_tools(),
        scope=s,
        active="tools",
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def new() -> Any:
    form = ToolForm()
    if form.validate_on_submit():
        try:
            tool = catalogue.create(form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("%(name)s is in the catalogue.", name=tool.name), "success")
            return redirect(url_for("tools.index"))
    return render_template("directory/tool_form.html", form=form, tool=None, active="tools")


@bp.route("/<int:tool_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def edit(tool_id: int) -> Any:
    tool = _tool_or_404(tool_id)
    form = ToolForm()
    if not form.is_submitted():
        form.load(tool)
    if form.validate_on_submit():
        try:
            changed = catalogue.update(tool, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            db.session.commit()
            if changed:
                flash(_("%(name)s is saved.", name=tool.name), "success")
            return redirect(url_for("tools.index"))
    return render_template(
        "directory/tool_form.html",
        form=form,
        tool=tool,
        may_delete=scope().is_organiser,
        active="tools",
    )


@bp.route("/<int:tool_id>/delete", methods=["POST"])
@roles_required(Role.ORGANISER)
def delete(tool_id: int) -> Any:
    tool = _tool_or_404(tool_id)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    name = tool.name
    catalogue.delete(tool, current_user)
    db.session.commit()
    flash(_("%(name)s is removed from the catalogue.", name=name), "success")
    return redirect(url_for("tools.index"))


@bp.route("/usage", methods=["GET", "POST"])
@login_required
def usage() -> Any:
    """A focal point marks their country's tools; an organiser may do it for any country."""
    s = scope()
    if s.role is Role.FOCAL_POINT:
        iso3 = s.user.country_iso3 or ""
        if request.args.get("country", iso3).upper() != iso3:
            abort(404)
    elif s.is_organiser:
        iso3 = (request.args.get("country") or "").upper()
    else:
        abort(404)
    country = db.session.get(Country, iso3) if iso3 else None
    if iso3 and (country is None or not s.may_mark_usage(iso3)):
        abort(404)
    if country is None:  # an organiser who has not chosen a country yet
        if request.method == "POST":
            abort(404)
        countries = db.session.scalars(select(Country).order_by(Country.name)).all()
        return render_template(
            "directory/usage.html", form=None, country=None, countries=countries, active="tools"
        )
    form = ToolUsageForm()
    current = catalogue.usage_of(country.iso3)
    if not form.is_submitted():
        form.tools.data = [tool_id for tool_id, u in current.items() if u.uses]
    if form.validate_on_submit():
        try:
            catalogue.set_usage(country, set(form.tools.data or []), current_user)
        except DomainError as exc:
            db.session.rollback()
            form.tools.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("The tools %(country)s uses are saved.", country=country.name), "success")
            return redirect(url_for("tools.usage", country=country.iso3))
    return render_template(
        "directory/usage.html",
        form=form,
        country=country,
        current=current,
        countries=[],
        active="tools",
    )


@bp.route("/analysis")
@login_required
def analysis() -> Any:
    a = catalogue.usage_analysis(scope().today)
    allow_chart_styles()
    return render_template(
        "directory/analysis.html",
        a=a,
        chart=embed(directory_charts.usage_heatmap(a)),
        active="analysis",
    )
