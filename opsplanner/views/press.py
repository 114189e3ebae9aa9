"""The press-release template of an operation (on the "Publication" tab): the organiser edits
the Markdown the pack's press section fills, sees every placeholder with its value now and a
preview filled with the live public figures. Organisers only; everyone else gets 404. The rules
live in ``services/press.py``.

POST ``action=preview`` shows the submitted text filled, without saving; any other POST saves
(a stale version: 409 with the reason, the text kept on the page; an invalid text: 422).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from opsplanner.extensions import db
from opsplanner.models import Role, User
from opsplanner.services import pack_sections, press
from opsplanner.services.errors import Conflict, DomainError
from opsplanner.views.common import roles_required, scope

bp = Blueprint("press", __name__, url_prefix="/operations/<int:operation_id>/packs")


def _version(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


@bp.route("/press-template", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def template(operation_id: int) -> Any:
    op = scope().operation_or_404(operation_id)
    row = press.stored(op)
    body = press.get_template(op)
    version: int | None = press.current_version(op)
    error, conflict, status = None, None, 200
    if request.method == "POST":
        body = press.normalise(request.form.get("body"))
        version = _version(request.form.get("version"))
        if request.form.get("action") == "preview":
            try:
                press.check_body(body)
            except DomainError as exc:
                error, status = exc.message, 422
        else:
            try:
                changed = press.save_template(op, body, version, current_user)
                db.session.commit()
            except Conflict as exc:
                db.session.rollback()
                # The text stays with the version it was opened at: saving again is refused
                # again until the organiser reloads and sees the other change.
                conflict, status = exc.message, 409
            except DomainError as exc:
                db.session.rollback()
                error, status = exc.message, 422
            else:
                if changed:
                    flash(_("The press-release template is saved."), "success")
                else:
                    flash(_("The press-release template is unchanged."), "info")
                return redirect(url_for("press.template", operation_id=op.id))
        row = press.stored(op)
    return (
        render_template(
            "press/template.html",
            op=op,
            row=row,
            editor=db.session.get(User, row.updated_by_id) if row and row.updated_by_id else None,
            body=body,
            version=version if version is not None else "",
            preview=press.preview(op, body if body.strip() else None),
            placeholders=press.allowed(),
            default=pack_sections.DEFAULT_PRESS_TEMPLATE,
            max_length=press.MAX_LENGTH,
            error=error,
            conflict=conflict,
            active="packs",
        ),
        status,
    )
