"""Operations side by side, and a new operation from a previous one's set-up. Organisers only
(every other role gets 404: the pages are not theirs).

- ``page``: pick two or more operations (from reporting on, archived included) and see them
  side by side with trend charts; ``?ops=<id>&ops=<id>...`` names the picked ones.
- ``export``: the same comparison as CSV or XLSX (formula-neutralising writers).
- ``copy_operation``: the form that starts a new operation as a copy of this one's set-up
  (open on archived operations: it only reads the source)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from opsplanner.extensions import db
from opsplanner.forms.compare import CopyOperationForm
from opsplanner.models import Role
from opsplanner.security import allow_chart_styles
from opsplanner.services import charts, compare, compare_charts
from opsplanner.services import operations as ops
from opsplanner.services.completeness import format_total
from opsplanner.services.copy_operation import copy_operation as copy_setup
from opsplanner.services.errors import DomainError, NotFound
from opsplanner.views.archive_guard import allowed_when_archived
from opsplanner.views.common import roles_required, scope, table_file

bp = Blueprint("compare", __name__, url_prefix="/operations")


def _picked() -> list[int]:
    values = request.args.getlist("ops")
    try:
        return [int(v) for v in values]
    except ValueError:
        raise NotFound("operation not found") from None


@bp.route("/compare")
@roles_required(Role.ORGANISER)
def page() -> Any:
    picked = _picked()
    comparison = None
    chart_json: dict[str, str] = {}
    error = None
    if picked:
        try:
            comparison = compare.compare(compare.chosen(picked))
        except DomainError as exc:
            if exc.status == 404:
                raise
            error = exc.message
    if comparison is not None:
        allow_chart_styles()
        chart_json = {
            "results": charts.embed(compare_charts.results_trend(comparison)),
            "rates": charts.embed(compare_charts.rates_trend(comparison)),
            "commodities": charts.embed(compare_charts.commodity_trend(comparison)),
        }
        if comparison.networks:
            chart_json["scores"] = charts.embed(compare_charts.scores_trend(comparison))
    return render_template(
        "compare/page.html",
        choices=compare.comparable_operations(),
        picked=set(picked),
        comparison=comparison,
        charts=chart_json,
        error=error,
        query=urlencode([("ops", c.operation.id) for c in comparison.columns])
        if comparison
        else "",
        percent=compare.percent,
        format_total=format_total,
    )


@bp.route("/compare.<any(csv, xlsx):fmt>")
@roles_required(Role.ORGANISER)
def export(fmt: str) -> Any:
    comparison = compare.compare(compare.chosen(_picked()))
    header, rows = compare.table(comparison)
    return table_file(fmt, f"operations-comparison.{fmt}", _("Comparison"), header, rows)


def _next_world_wildlife_day(today: date) -> date:
    this_year = date(today.year, 3, 3)
    return this_year if this_year > today else date(today.year + 1, 3, 3)


@bp.route("/<int:operation_id>/copy", methods=["GET", "POST"])
@allowed_when_archived
@roles_required(Role.ORGANISER)
def copy_operation(operation_id: int) -> Any:
    source = scope().operation_or_404(operation_id)
    form = CopyOperationForm()
    if not form.is_submitted():
        wwd = _next_world_wildlife_day(date.today())
        defaults = ops.default_schedule(wwd)
        form.organising_agency.data = ops.suggested_agency().value  # INTERPOL and WCO rotate
        form.world_wildlife_day.data = wwd
        form.window_start.data = defaults["window_start"]
        form.window_end.data = defaults["window_end"]
        form.reporting_deadline.data = defaults["reporting_deadline"]
        form.embargo_until.data = defaults["embargo_until"]
        form.secure_channel.data = source.secure_channel
        form.description.data = source.description
    if form.validate_on_submit():
        try:
            op = copy_setup(source, form.to_input(), by=current_user._get_current_object())
        except DomainError as exc:
            target = form[exc.field] if exc.field and exc.field in form else form.code_name
            target.errors.append(exc.message)
        else:
            db.session.commit()
            flash(
                _(
                    "Operation %(name)s created from the set-up of %(source)s.",
                    name=op.code_name,
                    source=source.code_name,
                ),
                "success",
            )
            return redirect(url_for("operations.detail", operation_id=op.id))
    return render_template("compare/copy.html", form=form, source=source)
