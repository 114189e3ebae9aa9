"""Pre-operational briefings of an operation: the list with who has not attended, a briefing
with its agenda and attendance, scheduling (organisers), iCalendar downloads, and the focal
point's acknowledgement of the guidelines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from opsplanner.extensions import db
from opsplanner.forms.briefings import (
    KIND_CHOICES,
    MODE_CHOICES,
    AcknowledgeForm,
    AttendanceForm,
    BriefingForm,
)
from opsplanner.models import Briefing, Operation, Role
from opsplanner.services import briefings as service
from opsplanner.services.errors import DomainError
from opsplanner.services.markdown import render_markdown
from opsplanner.services.scoping import Scope
from opsplanner.views.common import roles_required, scope

bp = Blueprint("briefings", __name__, url_prefix="/operations/<int:operation_id>/briefings")

LABELS = {**dict(KIND_CHOICES), **dict(MODE_CHOICES)}


@bp.app_template_filter("briefing_time")
def briefing_time(moment: datetime, tz_name: str) -> str:
    return service.describe_time(moment, tz_name)


@bp.app_template_global()
def guidelines_acknowledgement(op: Operation) -> dict[str, Any] | None:
    """What the guidelines page shows about acknowledgements: a focal point their country's
    status (and the button), organisers and coordinators who has not acknowledged in scope."""
    s = scope()
    if not s.sees_country_detail:
        return None
    acks = service.acknowledgements(op, s)
    own = None
    if s.role is Role.FOCAL_POINT:
        own = next((p for p in acks.acknowledged + acks.not_yet if s.may_acknowledge_for(p)), None)
    may_acknowledge = bool(own and not own.guidelines_acknowledged_at and op.guidelines.strip())
    return {
        "acks": acks,
        "own": own,
        "form": AcknowledgeForm() if may_acknowledge else None,
        "is_focal_point": s.role is Role.FOCAL_POINT,
    }


def _render_detail(s: Scope, b: Briefing, form: AttendanceForm | None = None) -> str:
    roll = service.roll(b, s)
    started = datetime.now(UTC) >= b.starts_at
    if form is None and started and roll.invited:
        form = AttendanceForm(countries=roll.invited)
    return render_template(
        "briefings/detail.html",
        op=b.operation,
        b=b,
        roll=roll,
        form=form if started else None,
        started=started,
        ends_at=service.ends_at(b),
        agenda=render_markdown(b.agenda),
        materials=render_markdown(b.materials),
        labels=LABELS,
        scope=s,
        active="briefings",
    )


@bp.route("/")
@login_required
def index(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    items = list(db.session.scalars(s.briefings(op)))
    upcoming, past = service.split_by_time(items)
    return render_template(
        "briefings/index.html",
        op=op,
        upcoming=upcoming,
        past=past,
        rolls=service.rolls(items, s, op),
        now=datetime.now(UTC),
        labels=LABELS,
        scope=s,
        active="briefings",
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def new(operation_id: int) -> Any:
    op = scope().operation_or_404(operation_id)
    form = BriefingForm(operation=op)
    if form.validate_on_submit():
        try:
            b = service.schedule(op, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Briefing %(title)s scheduled.", title=b.title), "success")
            return redirect(url_for("briefings.detail", operation_id=op.id, briefing_id=b.id))
    return render_template("briefings/form.html", op=op, form=form, b=None, active="briefings")


@bp.route("/<int:briefing_id>")
@login_required
def detail(operation_id: int, briefing_id: int) -> Any:
    s = scope()
    return _render_detail(s, s.briefing_or_404(operation_id, briefing_id))


@bp.route("/<int:briefing_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def edit(operation_id: int, briefing_id: int) -> Any:
    b = scope().briefing_or_404(operation_id, briefing_id)
    form = BriefingForm(operation=b.operation, briefing=b)
    if form.validate_on_submit():
        try:
            changed = service.edit(b, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title").errors.append(exc.message)
        else:
            db.session.commit()
            if changed:
                flash(_("Briefing saved; calendars that imported it will update."), "success")
            return redirect(
                url_for("briefings.detail", operation_id=operation_id, briefing_id=b.id)
            )
    return render_template(
        "briefings/form.html", op=b.operation, form=form, b=b, active="briefings"
    )


@bp.route("/<int:briefing_id>/cancel", methods=["POST"])
@roles_required(Role.ORGANISER)
def cancel(operation_id: int, briefing_id: int) -> Any:
    b = scope().briefing_or_404(operation_id, briefing_id)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    detail = url_for("briefings.detail", operation_id=operation_id, briefing_id=b.id)
    try:
        cancelled = service.cancel(b, current_user, request.form.get("reason", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(detail)
    db.session.commit()
    if cancelled:
        flash(
            _(
                "Briefing %(title)s cancelled. Invitees who download the calendar again see "
                "it withdrawn.",
                title=b.title,
            ),
            "success",
        )
    return redirect(detail)


@bp.route("/<int:briefing_id>/attendance", methods=["POST"])
@login_required
def attendance(operation_id: int, briefing_id: int) -> Any:
    s = scope()
    b = s.briefing_or_404(operation_id, briefing_id)
    form = AttendanceForm(countries=service.roll(b, s).invited)
    iso3 = (form.country.data or "").strip()
    # Resolved through the scope before anything else: another country is simply not found.
    p = s.participation_or_404(operation_id, iso3) if iso3 else None
    if p is not None and form.validate_on_submit():
        try:
            service.record_attendance(b, p, form.attended_value, form.attendees_value, current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "country").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Attendance recorded for %(country)s.", country=p.country.name), "success")
            return redirect(
                url_for("briefings.detail", operation_id=operation_id, briefing_id=b.id)
            )
    elif p is None:
        form.validate()
    return _render_detail(s, b, form)


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _url(b: Briefing) -> str:
    return url_for(
        "briefings.detail", operation_id=b.operation_id, briefing_id=b.id, _external=True
    )


@bp.route("/<int:briefing_id>.ics")
@login_required
def ics(operation_id: int, briefing_id: int) -> Any:
    b = scope().briefing_or_404(operation_id, briefing_id)
    body = service.calendar([b], urls={b.id: _url(b)})
    return _ics(body, service.ics_filename(b.operation, b))


@bp.route("/calendar.ics")
@login_required
def calendar(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    items = list(db.session.scalars(s.briefings(op)))
    body = service.calendar(
        items,
        name=_("%(op)s briefings", op=op.code_name),
        urls={b.id: _url(b) for b in items},
    )
    return _ics(body, service.ics_filename(op))


@bp.route("/guidelines/acknowledge", methods=["POST"])
@roles_required(Role.FOCAL_POINT)
def acknowledge(operation_id: int) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, current_user.country_iso3 or "")
    if not s.may_acknowledge_for(p):
        abort(404)
    if not AcknowledgeForm().validate_on_submit():  # the CSRF token
        abort(400)
    try:
        new = service.acknowledge_guidelines(p, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        if new:
            flash(
                _("Thank you: %(country)s acknowledged the guidelines.", country=p.country.name),
                "success",
            )
    target = request.form.get("next") == "briefings"
    endpoint = "briefings.index" if target else "setup.guidelines"
    return redirect(url_for(endpoint, operation_id=operation_id))
