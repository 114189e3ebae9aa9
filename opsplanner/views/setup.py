"""An operation's set-up: editing and guidelines, phases, priorities, enrolment through
networks, the focal-point directory, and the readiness and coverage views."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from opsplanner.extensions import db
from opsplanner.forms.setup import InviteNetworkForm, OperationEditForm, PhaseForm, PriorityForm
from opsplanner.models import Network, OperationPhase, Priority, Role
from opsplanner.security import allow_chart_styles
from opsplanner.services import audit, charts, enrolment, phases, priorities, readiness
from opsplanner.services import operations as ops
from opsplanner.services.errors import DomainError
from opsplanner.services.markdown import render_markdown
from opsplanner.views.common import roles_required, scope, table_file

bp = Blueprint("setup", __name__, url_prefix="/operations/<int:operation_id>")


def _organiser_operation(operation_id: int) -> Any:
    return scope().operation_or_404(operation_id)


# -- editing and guidelines ---------------------------------------------------------------
@bp.route("/edit", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def edit(operation_id: int) -> Any:
    op = _organiser_operation(operation_id)
    form = OperationEditForm(obj=op)
    if form.validate_on_submit():
        try:
            taken_back = ops.update_operation(
                op,
                form.to_input(),
                current_user,
                guidelines=form.guidelines.data or "",
                timezone=form.timezone.data or "UTC",
                reacknowledge=form.reacknowledge.data,
            )
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "code_name").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=op.code_name), "success")
            if taken_back:
                flash(
                    _(
                        "The guidelines changed: %(n)s countries are asked to acknowledge "
                        "them again.",
                        n=taken_back,
                    ),
                    "info",
                )
            return redirect(url_for("operations.detail", operation_id=op.id))
    return render_template("setup/edit.html", op=op, form=form, active="overview")


@bp.route("/guidelines")
@login_required
def guidelines(operation_id: int) -> Any:
    op = scope().operation_or_404(operation_id)
    return render_template(
        "setup/guidelines.html", op=op, html=render_markdown(op.guidelines), active="overview"
    )


# -- phases -------------------------------------------------------------------------------
@bp.route("/phase", methods=["POST"])
@roles_required(Role.ORGANISER)
def move_phase(operation_id: int) -> Any:
    op = _organiser_operation(operation_id)
    form = PhaseForm()
    if not form.validate_on_submit():
        flash(_("Choose a phase to move to."), "error")
    else:
        try:
            phases.move(op, OperationPhase(form.target.data), current_user, form.note.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(
                _("%(name)s is now in phase %(phase)s.", name=op.code_name, phase=op.phase.value),
                "success",
            )
    return redirect(url_for("operations.detail", operation_id=op.id))


# -- priorities ---------------------------------------------------------------------------
@bp.route("/priorities", methods=["GET", "POST"])
@login_required
def priorities_page(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    if request.method == "POST" and not s.is_organiser:
        abort(404)
    form = PriorityForm() if s.is_organiser else None
    if form is not None and form.validate_on_submit():
        try:
            priorities.add(op, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Priority added."), "success")
            return redirect(url_for("setup.priorities_page", operation_id=op.id))
    return render_template(
        "setup/priorities.html",
        op=op,
        form=form,
        active="priorities",
        editable=s.is_organiser and op.phase in priorities.EDITABLE_PHASES,
        describe=_describe_codes,
    )


def _describe_codes(codes: list[str]) -> str:
    from opsplanner.services.areas import describe

    return ", ".join(a.name if (a := describe(c)) else c for c in codes)


def _priority_or_404(op: Any, priority_id: int) -> Priority:
    p = db.session.get(Priority, priority_id)
    if p is None or p.operation_id != op.id:
        abort(404)
    return p


@bp.route("/priorities/<int:priority_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def edit_priority(operation_id: int, priority_id: int) -> Any:
    op = _organiser_operation(operation_id)
    p = _priority_or_404(op, priority_id)
    form = PriorityForm(obj=p)
    if not form.is_submitted():
        form.kind.data = p.kind.value
        form.commodity.data = p.commodity or ""
    if form.validate_on_submit():
        try:
            priorities.edit(p, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Priority saved."), "success")
            return redirect(url_for("setup.priorities_page", operation_id=op.id))
    return render_template(
        "setup/priority_form.html", op=op, form=form, priority=p, active="priorities"
    )


@bp.route("/priorities/<int:priority_id>/<any(up, down, delete):action>", methods=["POST"])
@roles_required(Role.ORGANISER)
def priority_action(operation_id: int, priority_id: int, action: str) -> Any:
    op = _organiser_operation(operation_id)
    p = _priority_or_404(op, priority_id)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    try:
        if action == "delete":
            priorities.remove(p, current_user)
        else:
            priorities.move(p, -1 if action == "up" else 1, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
    return redirect(url_for("setup.priorities_page", operation_id=op.id))


# -- enrolment ----------------------------------------------------------------------------
@bp.route("/enrolment", methods=["GET", "POST"])
@login_required
def enrolment_page(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    if not s.sees_country_detail or (request.method == "POST" and not s.is_organiser):
        abort(404)
    form = InviteNetworkForm() if s.is_organiser else None
    if form is not None and form.validate_on_submit():
        network = db.session.get(Network, int(form.network.data))
        if network is None:
            abort(404)
        try:
            report = enrolment.invite_network(op, network, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(
                _(
                    "%(n)d member states of %(net)s invited; %(m)d were already enrolled.",
                    n=len(report.invited),
                    net=network.acronym,
                    m=len(report.already),
                ),
                "success",
            )
        return redirect(url_for("setup.enrolment_page", operation_id=op.id))
    participations = list(db.session.scalars(enrolment.with_focal_points(s.participations(op))))
    # Trade-chain gaps name countries the viewer may not otherwise see: organisers only.
    chain = enrolment.trade_chain_gaps(op) if s.is_organiser else []
    return render_template(
        "setup/enrolment.html",
        op=op,
        form=form,
        chain=chain,
        participations=participations,
        active="enrolment",
    )


@bp.route("/directory.<any(csv, xlsx):fmt>")
@login_required
def directory(operation_id: int, fmt: str) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    if not s.sees_country_detail:
        abort(404)
    participations = list(db.session.scalars(enrolment.with_focal_points(s.participations(op))))
    rows = enrolment.directory_rows(participations)
    # Contact details are personal data: every export is on the audit trail.
    audit.record(
        current_user,
        "directory.export",
        "operation",
        op.id,
        after={"format": fmt, "rows": len(rows)},
        operation_id=op.id,
    )
    db.session.commit()
    name = f"{op.code_name.lower().replace(' ', '-')}-focal-points.{fmt}"
    return table_file(fmt, name, "Focal points", enrolment.DIRECTORY_HEADER, rows)


# -- coordination views -------------------------------------------------------------------
@bp.route("/readiness")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def readiness_page(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    participations = list(db.session.scalars(s.participations(op)))
    board = readiness.readiness_board(op, participations)
    by = "region" if request.args.get("by") == "region" else "network"
    cov = readiness.coverage(op, by=by, participations=participations)
    allow_chart_styles()
    return render_template(
        "setup/readiness.html",
        op=op,
        board=board,
        coverage=cov,
        by=by,
        active="readiness",
        readiness_chart=charts.embed(charts.readiness_chart(board)),
        coverage_chart=charts.embed(charts.coverage_heatmap(cov)),
    )
