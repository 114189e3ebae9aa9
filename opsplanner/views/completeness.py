"""Results completeness pages of an operation: the coordination board (who has reported, per
network and per region, who is missing and whom to ask), the communications summary, the
reminder outbox, and the results export.

Who sees what:

- ``page`` (completeness): organisers (every country) and coordinators (their network's
  countries); 404 for focal points and communications.
- ``summary``: organisers, coordinators and communications see the same operation-wide
  aggregates (submitted reports only, sensitive seizures left out, no country named). Focal
  points get 404: they work on their own country's results, and operation-wide figures are not
  theirs to see before publication.
- ``reminders``: organisers (every country) and coordinators (their network's countries).
- ``export``: anyone who sees the operation; what the file holds depends on the role (see
  ``services/results_export.py``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from opsplanner.models import Role
from opsplanner.security import allow_chart_styles
from opsplanner.services import charts, completeness, report_reminders, results_export
from opsplanner.services.reports import COUNT_LABELS, STATUS_LABELS
from opsplanner.views.common import roles_required, scope

bp = Blueprint("completeness", __name__, url_prefix="/operations/<int:operation_id>")


@bp.route("/completeness")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def page(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    board = completeness.completeness(op, s)
    allow_chart_styles()
    return render_template(
        "completeness/page.html",
        op=op,
        board=board,
        status_labels=STATUS_LABELS,
        format_total=completeness.format_total,
        rates_chart=charts.embed(charts.reporting_rates_chart(board.by_network)),
        commodity_chart=charts.embed(charts.seizures_by_commodity_chart(board.commodities)),
        active="completeness",
    )


@bp.route("/summary")
@roles_required(Role.ORGANISER, Role.COORDINATOR, Role.COMMUNICATIONS)
def summary(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    data = completeness.summary(op)
    allow_chart_styles()
    return render_template(
        "completeness/summary.html",
        op=op,
        summary=data,
        count_labels=COUNT_LABELS,
        format_total=completeness.format_total,
        commodity_chart=charts.embed(charts.seizures_by_commodity_chart(data.commodities)),
        active="summary",
    )


@bp.route("/reminders")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def reminders(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    return render_template(
        "completeness/reminders.html",
        op=op,
        reminders=report_reminders.outbox(op, s),
        stage=report_reminders.stage_for(op, report_reminders.now_utc()),
        active="completeness",
    )


@bp.route("/results/export", methods=["POST"])
@login_required
def export(operation_id: int) -> Any:
    op = scope().operation_or_404(operation_id)
    job = results_export.request_results_export(op, current_user._get_current_object())
    return redirect(url_for("jobs.detail", job_id=job.id))
