"""National activity plans (a country's plan, the network overview, comments) and the taxonomy
of operational activities they are made from."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from opsplanner.extensions import db
from opsplanner.forms.activities import (
    ActivityForm,
    ActivityTypeForm,
    CommentForm,
    DeleteActivityForm,
    NewActivityTypeForm,
)
from opsplanner.models import Activity, ActivityType, Participation, Role
from opsplanner.services import activities
from opsplanner.services.errors import Conflict, DomainError, Forbidden, NotFound
from opsplanner.services.scoping import Scope
from opsplanner.views.common import roles_required, scope

bp = Blueprint("plans", __name__)

PLAN = "/operations/<int:operation_id>/plans/<iso3>"
NO_NETWORK = "none"


def _attach(form: FlaskForm, exc: DomainError) -> None:
    """Show a refused use case next to the field at fault, or above the form."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is None or getattr(target.widget, "input_type", None) == "hidden":
        form.form_errors.append(exc.message)
    else:
        target.errors = [*target.errors, exc.message]


def _plan_url(p: Participation, anchor: str | None = None) -> str:
    return url_for(
        "plans.country_plan",
        operation_id=p.operation_id,
        iso3=p.country_iso3,
        _anchor=anchor,
    )


def _may_not_edit() -> Forbidden:
    # The plan is visible to this viewer (a coordinator): say why, rather than pretend a 404.
    return Forbidden(_("Only the country's focal point or an organiser can change its plan."))


def _activity_or_404(p: Participation, activity_id: int) -> Activity:
    a = activities.activity_in_plan(p, activity_id)
    if a is None:
        raise NotFound("activity not found")
    return a


def _render_plan(
    s: Scope,
    p: Participation,
    form: ActivityForm | None = None,
    comment_form: CommentForm | None = None,
    status: int = 200,
) -> Any:
    editable = activities.may_edit(s, p)
    reason = activities.refusal(p) if editable else None
    if form is None and editable and reason is None:
        form = ActivityForm(p.operation)
    if comment_form is None and activities.may_comment(s, p):
        comment_form = CommentForm()
    return (
        render_template(
            "plans/country.html",
            op=p.operation,
            p=p,
            rows=activities.plan_activities(p),
            comments=activities.comments(p),
            form=form if editable and reason is None else None,
            comment_form=comment_form,
            editable=editable and reason is None,
            reason=reason,
            agency_labels=activities.AGENCY_LABELS,
            active="plans",
        ),
        status,
    )


# -- the network overview -----------------------------------------------------------------
@bp.route("/operations/<int:operation_id>/plans")
@login_required
def overview(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    if s.role is Role.FOCAL_POINT:
        # A focal point has one plan: theirs (a 404 if their country is not in the operation).
        p = s.participation_or_404(operation_id, s.user.country_iso3 or "")
        return redirect(_plan_url(p))
    participations = list(db.session.scalars(s.participations(op)))
    networks = sorted({p.network.acronym for p in participations if p.network})
    chosen = request.args.get("network", "") if s.is_organiser else ""
    if chosen == NO_NETWORK:
        participations = [p for p in participations if p.network is None]
    elif chosen:
        participations = [p for p in participations if p.network and p.network.acronym == chosen]
    return render_template(
        "plans/overview.html",
        op=op,
        rows=activities.overview(participations),
        networks=networks,
        chosen=chosen,
        no_network=NO_NETWORK,
        filterable=s.is_organiser,
        active="plans",
    )


# -- a country's plan ---------------------------------------------------------------------
@bp.route(PLAN, methods=["GET", "POST"])
@login_required
def country_plan(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    if request.method == "GET":
        return _render_plan(s, p)
    if not activities.may_edit(s, p):
        raise _may_not_edit()
    form = ActivityForm(p.operation)
    if form.validate_on_submit():
        try:
            a = activities.create(p, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("Activity %(title)s added to the plan.", title=a.title), "success")
            return redirect(_plan_url(p))
    return _render_plan(s, p, form=form)


@bp.route(PLAN + "/activities/<int:activity_id>", methods=["GET", "POST"])
@login_required
def edit_activity(operation_id: int, iso3: str, activity_id: int) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    a = _activity_or_404(p, activity_id)
    if not activities.may_edit(s, p):
        raise _may_not_edit()
    if reason := activities.refusal(p):
        flash(reason, "error")
        return redirect(_plan_url(p))
    form = ActivityForm(p.operation, current=a)
    if not form.is_submitted():
        form.load(a)
    conflict, status = None, 200
    if form.is_submitted():
        try:
            # A stale copy is refused before its other errors, which would be moot; so is a
            # save that loses the race at flush time (the mapper's version check).
            activities.check_version(a, form.version.data)
            if form.validate():
                changed = activities.update(a, form.to_input(), form.version.data, current_user)
                db.session.commit()
                if changed:
                    flash(_("Activity %(title)s saved.", title=a.title), "success")
                return redirect(_plan_url(p))
        except Conflict as exc:
            db.session.rollback()
            # The input stays on the page with the version it was opened at, so saving again
            # is refused again: the user reloads, sees the other change and redoes theirs.
            conflict, status = exc.message, 409
        except DomainError as exc:
            db.session.rollback()
            _attach(form, exc)
    return (
        render_template(
            "plans/activity_form.html",
            op=p.operation,
            p=p,
            activity=db.session.get(Activity, activity_id),
            form=form,
            conflict=conflict,
            active="plans",
        ),
        status,
    )


@bp.route(PLAN + "/activities/<int:activity_id>/delete", methods=["POST"])
@login_required
def delete_activity(operation_id: int, iso3: str, activity_id: int) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    a = _activity_or_404(p, activity_id)
    if not activities.may_edit(s, p):
        raise _may_not_edit()
    form = DeleteActivityForm()
    if not form.validate_on_submit():
        abort(400)
    title = a.title
    try:
        activities.delete(a, form.version.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Activity %(title)s deleted.", title=title), "success")
    return redirect(_plan_url(p))


@bp.route(PLAN + "/comments", methods=["POST"])
@login_required
def comment(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    if not activities.may_comment(s, p):
        raise Forbidden(_("You cannot comment on this plan."))
    form = CommentForm()
    if form.validate_on_submit():
        try:
            activities.add_comment(p, form.body.data or "", current_user)
        except DomainError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("Comment added."), "success")
            return redirect(_plan_url(p, "comments"))
    return _render_plan(s, p, comment_form=form)


# -- the taxonomy -------------------------------------------------------------------------
@bp.route("/activity-types", methods=["GET", "POST"])
@login_required
def activity_types() -> Any:
    s = scope()
    form = NewActivityTypeForm() if s.is_organiser else None
    if form is None and request.method == "POST":
        abort(404)
    if form is not None and form.validate_on_submit():
        try:
            t = activities.create_type(form.code.data or "", form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("Activity type %(name)s added.", name=t.name), "success")
            return redirect(url_for("plans.activity_types", _anchor=t.code))
    return render_template(
        "plans/activity_types.html", types=activities.all_types(), form=form, scope=s
    )


def _type_or_404(code: str) -> ActivityType:
    t = db.session.get(ActivityType, code)
    if t is None:
        abort(404)
    return t


@bp.route("/activity-types/<code>", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def edit_activity_type(code: str) -> Any:
    t = _type_or_404(code)
    form = ActivityTypeForm(obj=t)
    if form.validate_on_submit():
        try:
            activities.update_type(t, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("Activity type %(name)s saved.", name=t.name), "success")
            return redirect(url_for("plans.activity_types", _anchor=t.code))
    return render_template("plans/activity_type_form.html", t=t, form=form)


@bp.route("/activity-types/<code>/<any(deactivate, reactivate):action>", methods=["POST"])
@roles_required(Role.ORGANISER)
def toggle_activity_type(code: str, action: str) -> Any:
    t = _type_or_404(code)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    activities.set_type_active(t, action == "reactivate", current_user)
    db.session.commit()
    if t.active:
        flash(_("%(name)s is in use again.", name=t.name), "success")
    else:
        flash(
            _("%(name)s is retired: plans that use it keep it; new ones cannot.", name=t.name),
            "success",
        )
    return redirect(url_for("plans.activity_types", _anchor=t.code))
