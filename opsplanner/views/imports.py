"""Uploading a country's seizures from a spreadsheet: the template, the upload (checked in
full, nothing written), its preview or error report, the confirmation that writes every row in
one transaction, and the country's upload history."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SubmitField

from opsplanner.extensions import db
from opsplanner.models import ImportStatus, Participation
from opsplanner.services import imports, reports, results_template
from opsplanner.services.errors import DomainError, Forbidden, NotFound
from opsplanner.services.scoping import Scope
from opsplanner.views.common import MIMETYPES, scope

bp = Blueprint("imports", __name__)

RESULTS = "/operations/<int:operation_id>/results/<iso3>"
ERRORS_PER_PAGE = 100
PREVIEW_ROWS = 20
# multipart framing and the form's other fields, on top of the file itself
UPLOAD_OVERHEAD = 1024 * 1024


class UploadForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"),
        validators=[FileRequired(_l("Choose the file to upload."))],
    )
    submit = SubmitField(_l("Check the file"))


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before the CSRF check reads the form: an upload may be larger than other forms.
    if endpoint == "imports.upload":
        request.max_content_length = imports.Limits.from_config().max_bytes + UPLOAD_OVERHEAD


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> tuple[Any, int]:
    message = imports.too_large(imports.Limits.from_config().max_bytes)
    return render_template("error.html", status=413, message=message), 413


def _may_not_enter() -> Forbidden:
    return Forbidden(_("Only the country's focal point or an organiser can upload its results."))


def _country_page(p: Participation) -> str | None:
    """The results page of the country, when the app has one."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == RESULTS and "GET" in (rule.methods or ()):
            return url_for(rule.endpoint, operation_id=p.operation_id, iso3=p.country_iso3)
    return None


def _batch(s: Scope, operation_id: int, iso3: str, batch_id: int) -> tuple[Participation, Any]:
    p = s.participation_or_404(operation_id, iso3)
    return p, imports.batch_or_404(p, batch_id)


def _preview_url(p: Participation, batch_id: int) -> str:
    return url_for(
        "imports.preview", operation_id=p.operation_id, iso3=p.country_iso3, batch_id=batch_id
    )


# -- the template ----------------------------------------------------------------------------
@bp.route("/operations/<int:operation_id>/results/template.<any(xlsx, csv):fmt>")
@login_required
def template(operation_id: int, fmt: str) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    # anyone who works on a country of the operation; never communications (404)
    if not s.is_organiser and db.session.scalar(s.participations(op).limit(1)) is None:
        raise NotFound("operation not found")
    body = results_template.xlsx_template(op) if fmt == "xlsx" else results_template.csv_template()
    return send_file(
        io.BytesIO(body),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=results_template.filename(op, fmt),
    )


# -- uploading -------------------------------------------------------------------------------
@bp.route(RESULTS + "/upload", methods=["GET", "POST"])
@login_required
def upload(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    if not reports.may_enter(s, p):
        raise _may_not_enter()
    reason = reports.lock_reason(p)
    form = UploadForm()
    if reason is None and form.validate_on_submit():
        upload_file = form.file.data
        try:
            batch = imports.stage_upload(s, p, upload_file.filename, upload_file.stream)
        except DomainError as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, exc.message]
        else:
            try:
                db.session.commit()
            except BaseException:
                imports.discard_stored(batch)
                raise
            if batch.status is ImportStatus.PREVIEWED:
                flash(_("The file is valid: check the preview, then apply it."), "success")
            else:
                flash(_("The file has errors: nothing was written."), "error")
            return redirect(_preview_url(p, batch.id))
    recent = imports.batches_of(p)[:5]
    limits = imports.Limits.from_config()
    return render_template(
        "results/upload.html",
        op=p.operation,
        p=p,
        form=form if reason is None else None,
        reason=reason,
        recent=recent,
        max_mb=imports.megabytes(limits.max_bytes),
        max_rows=f"{limits.max_rows:,}",
        required=results_template.required_columns(),
        country_url=_country_page(p),
        active="results",
    )


@bp.route(RESULTS + "/upload/<int:batch_id>")
@login_required
def preview(operation_id: int, iso3: str, batch_id: int) -> Any:
    s = scope()
    p, batch = _batch(s, operation_id, iso3, batch_id)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    errors = batch.errors or []
    pages = max(1, -(-len(errors) // ERRORS_PER_PAGE))
    page = min(page, pages)
    may_enter = reports.may_enter(s, p)
    reason = reports.lock_reason(p)
    items = imports.preview_items(p, batch, PREVIEW_ROWS)
    return render_template(
        "results/import_preview.html",
        op=p.operation,
        p=p,
        batch=batch,
        errors=errors[(page - 1) * ERRORS_PER_PAGE : page * ERRORS_PER_PAGE],
        first_error=(page - 1) * ERRORS_PER_PAGE,
        page=page,
        pages=pages,
        items=items,
        twin=imports.applied_twin(batch),
        may_apply=may_enter and reason is None and batch.status is ImportStatus.PREVIEWED,
        may_discard=may_enter and batch.status is ImportStatus.PREVIEWED,
        reason=reason if may_enter else None,
        country_url=_country_page(p),
        action_form=FlaskForm(),
        active="results",
    )


@bp.route(RESULTS + "/upload/<int:batch_id>/confirm", methods=["POST"])
@login_required
def confirm(operation_id: int, iso3: str, batch_id: int) -> Any:
    s = scope()
    p, batch = _batch(s, operation_id, iso3, batch_id)
    if not reports.may_enter(s, p):
        raise _may_not_enter()
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    try:
        outcome = imports.confirm(s, p, batch)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_preview_url(p, batch_id))
    db.session.commit()
    if not outcome.ok:
        flash(
            _(
                "The data changed since the preview and %(n)d problems were found: nothing was "
                "written.",
                n=outcome.error_count,
            ),
            "error",
        )
        return redirect(_preview_url(p, batch_id))
    flash(
        _(
            "Upload applied: %(created)d seizures added, %(updated)d updated, %(unchanged)d "
            "unchanged.",
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
        ),
        "success",
    )
    return redirect(
        _country_page(p)
        or url_for("imports.batches", operation_id=p.operation_id, iso3=p.country_iso3)
    )


@bp.route(RESULTS + "/upload/<int:batch_id>/discard", methods=["POST"])
@login_required
def discard(operation_id: int, iso3: str, batch_id: int) -> Any:
    s = scope()
    p, batch = _batch(s, operation_id, iso3, batch_id)
    if not reports.may_enter(s, p):
        raise _may_not_enter()
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        imports.discard(s, p, batch)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_preview_url(p, batch_id))
    db.session.commit()
    imports.discard_stored(batch)
    flash(_("Upload discarded: nothing was written."), "success")
    return redirect(url_for("imports.upload", operation_id=p.operation_id, iso3=p.country_iso3))


@bp.route(RESULTS + "/uploads")
@login_required
def batches(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    return render_template(
        "results/import_batches.html",
        op=p.operation,
        p=p,
        batches=imports.batches_of(p),
        may_upload=reports.may_enter(s, p),
        country_url=_country_page(p),
        active="results",
        user=current_user,
    )
