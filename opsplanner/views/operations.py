from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from opsplanner.extensions import db
from opsplanner.forms.operations import InviteCountryForm, OperationForm, RespondForm
from opsplanner.models import Country, Network, OperationPhase, ParticipationStatus, Role
from opsplanner.services import exports, phases
from opsplanner.services import operations as ops
from opsplanner.services.errors import DomainError, Forbidden, NotFound
from opsplanner.views.common import roles_required, scope

bp = Blueprint("operations", __name__, url_prefix="/operations")


@bp.route("/")
@login_required
def index() -> Any:
    s = scope()
    operations = list(db.session.scalars(s.operations()))
    counts = {op.id: ops.status_counts(op) for op in operations}
    return render_template("home/operations.html", operations=operations, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def new() -> Any:
    form = OperationForm()
    if not form.is_submitted():
        form.organising_agency.data = ops.suggested_agency().value
    if form.validate_on_submit():
        try:
            op = ops.create_operation(form.to_input(), by=current_user)
        except DomainError as exc:
            getattr(form, exc.field or "code_name").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Operation %(name)s created.", name=op.code_name), "success")
            return redirect(url_for("operations.detail", operation_id=op.id))
    return render_template("operations/form.html", form=form)


@bp.route("/<int:operation_id>")
@login_required
def detail(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    participations = list(db.session.scalars(s.participations(op))) if s.sees_country_detail else []
    invite_form = InviteCountryForm() if s.is_organiser else None
    return render_template(
        "operations/detail.html",
        op=op,
        participations=participations,
        counts=ops.status_counts(op),
        scope=s,
        invite_form=invite_form,
        phases_order=list(OperationPhase),
        moves=phases.next_moves(op) if s.is_organiser else [],
    )


@bp.route("/<int:operation_id>/participations", methods=["POST"])
@roles_required(Role.ORGANISER)
def invite(operation_id: int) -> Any:
    op = scope().operation_or_404(operation_id)
    form = InviteCountryForm()
    if form.validate_on_submit():
        country = db.session.get(Country, form.country.data)
        network = db.session.get(Network, int(form.network.data)) if form.network.data else None
        if country is None:
            raise NotFound("country not found")
        try:
            ops.invite_country(op, country, network, by=current_user)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("%(country)s invited.", country=country.name), "success")
    else:
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "error")
    return redirect(url_for("operations.detail", operation_id=op.id))


@bp.route("/<int:operation_id>/participations/<iso3>", methods=["GET", "POST"])
@login_required
def participation(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    form = RespondForm() if s.may_respond_for(p) else None
    if form is None and request.method == "POST":
        # Visible but not theirs to answer (a coordinator): refuse rather than re-render.
        raise Forbidden("only the country's focal point or an organiser can answer")
    if form is not None and form.validate_on_submit():
        try:
            ops.respond(
                p, ParticipationStatus(form.status.data), form.note.data or "", current_user
            )
        except DomainError as exc:
            form.status.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Answer recorded for %(country)s.", country=p.country.name), "success")
            return redirect(
                url_for("operations.participation", operation_id=operation_id, iso3=p.country_iso3)
            )
    return render_template("operations/participation.html", p=p, op=p.operation, form=form)


@bp.route("/<int:operation_id>/export", methods=["POST"])
@roles_required(Role.ORGANISER)
def export(operation_id: int) -> Any:
    op = scope().operation_or_404(operation_id)
    job = exports.request_participation_export(op, by=current_user)
    return redirect(url_for("jobs.detail", job_id=job.id))
