"""The network scoreboard of an operation: the comparative table of networks with its charts
and exports, and each network's page with its indicators, member states and checklist.

Who sees what (aggregates per network name no country):

- ``page`` and ``export`` (the comparative table): organisers and coordinators. A coordinator
  sees every network's row, to compare its network with the others, as the seed meeting
  asked. Focal points and communications: 404 (a focal point works on its own country, and
  communications staff have no use for a performance board of networks before publication).
- ``network`` (indicators, the member states behind them, the checklist): organisers, and
  the coordinator of that network; 404 for anyone else and for a network that coordinates no
  participation of the operation.
- ``checklist`` (saving it): organisers any network, a coordinator its own; refused on an
  archived operation and over answers changed since the page was opened (409).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from opsplanner.extensions import db
from opsplanner.forms.scoreboard import ChecklistForm
from opsplanner.models import Network, Role
from opsplanner.security import allow_chart_styles
from opsplanner.services import archive, charts, scoreboard, scoreboard_charts
from opsplanner.services.errors import Conflict, DomainError
from opsplanner.services.reports import STATUS_LABELS
from opsplanner.views.common import roles_required, scope, table_file

bp = Blueprint("scoreboard", __name__, url_prefix="/operations/<int:operation_id>")


@bp.route("/scoreboard")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def page(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    scores = scoreboard.network_scores(op)
    allow_chart_styles()
    return render_template(
        "scoreboard/page.html",
        op=op,
        scores=scores,
        header=scoreboard.comparative_header(),
        rows=scoreboard.comparative_table(op, scores),
        without_network=scoreboard.networks_without(op),
        may_open={sc.network_id for sc in scores if scoreboard.may_see_network(s, sc.network_id)},
        bars_chart=charts.embed(scoreboard_charts.indicator_bars(scores)) if scores else None,
        heatmap_chart=(
            charts.embed(scoreboard_charts.comparative_heatmap(scores)) if scores else None
        ),
        per_state_chart=charts.embed(scoreboard_charts.per_state_chart(scores)) if scores else None,
        active="scoreboard",
    )


@bp.route("/scoreboard.<any(csv, xlsx):fmt>")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def export(operation_id: int, fmt: str) -> Any:
    op = scope().operation_or_404(operation_id)
    return table_file(
        fmt,
        scoreboard.export_name(op, fmt),
        _("Scoreboard"),
        scoreboard.comparative_header(),
        scoreboard.comparative_table(op),
    )


def _network_page(
    operation_id: int, network_id: int, form: ChecklistForm | None = None, conflict: str = ""
) -> tuple[str, int]:
    s = scope()
    op = s.operation_or_404(operation_id)
    if not scoreboard.may_see_network(s, network_id):
        abort(404)
    score = scoreboard.network_score(op, network_id)
    writable = not archive.is_archived(op)
    if form is None:
        form = ChecklistForm()
        form.load(score.checklist, scoreboard.checklist_stamp(op, network_id))
    lines = {line.item.code: line for line in score.checklist}
    return (
        render_template(
            "scoreboard/network.html",
            op=op,
            score=score,
            labels=scoreboard.indicator_labels(),
            codes=scoreboard.INDICATOR_CODES,
            lines=lines,
            form=form,
            writable=writable,
            conflict=conflict,
            status_labels=STATUS_LABELS,
            active="scoreboard",
        ),
        409 if conflict else 200,
    )


@bp.route("/scoreboard/networks/<int:network_id>")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def network(operation_id: int, network_id: int) -> Any:
    return _network_page(operation_id, network_id)


@bp.route("/scoreboard/networks/<int:network_id>/checklist", methods=["POST"])
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def checklist(operation_id: int, network_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    if not scoreboard.may_edit_checklist(s, network_id):
        abort(404)
    net = db.session.get(Network, network_id)
    if net is None or not scoreboard.coordinates_in(op, network_id):
        abort(404)
    form = ChecklistForm()
    if not form.validate_on_submit():
        return _network_page(operation_id, network_id, form)
    try:
        changed = scoreboard.save_checklist(
            s, op, net, form.answers(), form.stamp.data or "", current_user._get_current_object()
        )
        db.session.commit()
    except Conflict as exc:
        db.session.rollback()
        return _network_page(operation_id, network_id, form, conflict=exc.message)
    except DomainError as exc:
        db.session.rollback()
        target = form[exc.field] if exc.field and exc.field in form else form.stamp
        target.errors = [*target.errors, exc.message]
        return _network_page(operation_id, network_id, form)
    if changed:
        flash(_("The checklist of %(network)s is saved.", network=net.acronym), "success")
    else:
        flash(_("Nothing changed in the checklist."), "info")
    return redirect(url_for("scoreboard.network", operation_id=op.id, network_id=network_id))
