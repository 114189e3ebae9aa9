from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from opsplanner.extensions import db
from opsplanner.models import Role
from opsplanner.services.operations import status_counts
from opsplanner.views.common import scope

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.home"))


@bp.route("/home")
@login_required
def home() -> Any:
    s = scope()
    operations = list(db.session.scalars(s.operations()))
    if current_user.role is Role.FOCAL_POINT:
        rows = []
        for op in operations:
            rows.extend(db.session.scalars(s.participations(op)))
        return render_template("home/focal_point.html", participations=rows)
    if current_user.role is Role.COORDINATOR:
        by_operation = [(op, list(db.session.scalars(s.participations(op)))) for op in operations]
        members = current_user.network.members_on(s.today) if current_user.network else []
        return render_template("home/coordinator.html", by_operation=by_operation, members=members)
    counts = {op.id: status_counts(op) for op in operations}
    return render_template("home/operations.html", operations=operations, counts=counts)
