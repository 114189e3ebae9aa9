"""Publication packs of an operation (the "Publication" tab): the versions, a request, a pack's
page with live progress, and the downloads. The rules live in ``services/packs.py``.

- list, request, pack page, status.json: organisers (both audiences) and communications (the
  public pack only); everyone else gets 404. A communications user asking for the internal pack
  gets 403 (they see the page, so the refusal says why).
- downloads (a version's link and the stable ``public/latest.zip``): ``packs.may_download``:
  internal: organisers; public before the embargo: organisers and communications; public after
  the embargo: anyone, anonymous included. Anything else: 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from opsplanner.extensions import db
from opsplanner.models import Operation, PackAudience, Role
from opsplanner.services import packs
from opsplanner.services.errors import Conflict, NotFound
from opsplanner.services.scoping import Scope
from opsplanner.views.common import roles_required, scope

bp = Blueprint("packs", __name__, url_prefix="/operations/<int:operation_id>/packs")

PUBLISHERS = (Role.ORGANISER, Role.COMMUNICATIONS)


def _visitor() -> Scope | None:
    return Scope(current_user._get_current_object()) if current_user.is_authenticated else None


@bp.route("", methods=["GET"])
@roles_required(*PUBLISHERS)
def index(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    versions = packs.packs_for(s, op)
    audiences = [a for a in PackAudience if packs.may_request(s, a)]
    return render_template(
        "packs/index.html",
        op=op,
        versions=versions,
        audiences=audiences,
        may_download=lambda p: packs.may_download(s, p),
        can_request=op.phase in packs.PACK_PHASES,
        active="packs",
    )


@bp.route("", methods=["POST"])
@roles_required(*PUBLISHERS)
def request_pack(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    try:
        pack = packs.request_pack(s, op, request.form.get("audience", ""))
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("packs.index", operation_id=op.id))
    return redirect(url_for("packs.detail", operation_id=op.id, pack_id=pack.id))


@bp.route("/<int:pack_id>")
@roles_required(*PUBLISHERS)
def detail(operation_id: int, pack_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    pack = packs.pack_or_404(s, op, pack_id)
    return render_template(
        "packs/detail.html",
        op=op,
        pack=pack,
        status=packs.progress_of(pack),
        may_download=packs.may_download(s, pack),
        active="packs",
    )


@bp.route("/<int:pack_id>/status.json")
@roles_required(*PUBLISHERS)
def status(operation_id: int, pack_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    pack = packs.pack_or_404(s, op, pack_id)
    body = packs.progress_of(pack)
    body["zip_name"] = pack.zip_name
    if packs.may_download(s, pack):
        body["download_url"] = url_for("packs.download", operation_id=op.id, pack_id=pack.id)
    return jsonify(body)


def _send(pack: Any) -> Any:
    path = packs.zip_path(pack)
    if path is None:
        raise NotFound("pack file not found")
    response = send_file(
        path, mimetype="application/zip", as_attachment=True, download_name=pack.zip_name
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:pack_id>/download")
def download(operation_id: int, pack_id: int) -> Any:
    if db.session.get(Operation, operation_id) is None:
        raise NotFound("operation not found")
    return _send(packs.downloadable_pack_or_404(_visitor(), operation_id, pack_id))


@bp.route("/public/latest.zip")
def latest_public(operation_id: int) -> Any:
    """The stable link of the released public pack."""
    return _send(packs.latest_public_pack(_visitor(), operation_id))
