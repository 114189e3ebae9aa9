"""Organisers manage accounts and read the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.forms.users import InviteUserForm, UserForm
from opsplanner.models import AuditEvent, Role, User
from opsplanner.services import accounts
from opsplanner.services.errors import DomainError
from opsplanner.views.common import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 100


@bp.route("/users")
@roles_required(Role.ORGANISER)
def users() -> Any:
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=rows)


def _invite_link(token: str) -> str:
    return url_for("auth.accept_invite", token=token, _external=True)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def new_user() -> Any:
    form = InviteUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                email=form.email.data or "",
                name=form.name.data or "",
                role=Role(form.role.data),
                country_iso3=form.country_iso3,
                network_id=form.network_id,
                by=current_user,
            )
            token = accounts.invite(user, by=current_user)
        except DomainError as exc:
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            db.session.commit()
            return render_template("admin/invited.html", user=user, link=_invite_link(token))
    return render_template("admin/user_form.html", form=form, user=None)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def edit_user(user_id: int) -> Any:
    user = _user_or_404(user_id)
    form = UserForm(obj=None)
    if not form.is_submitted():
        form.name.data = user.name
        form.role.data = user.role.value
        form.country.data = user.country_iso3 or ""
        form.network.data = str(user.network_id or "")
        form.active.data = user.active
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user,
                name=form.name.data or "",
                role=Role(form.role.data),
                country_iso3=form.country_iso3,
                network_id=form.network_id,
                active=bool(form.active.data),
                by=current_user,
            )
        except DomainError as exc:
            getattr(form, exc.field or "role").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Account %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/revoke", methods=["POST"])
@roles_required(Role.ORGANISER)
def revoke_sessions(user_id: int) -> Any:
    user = _user_or_404(user_id)
    accounts.revoke_sessions(user, by=current_user)
    db.session.commit()
    flash(_("All sessions of %(email)s are signed out.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@roles_required(Role.ORGANISER)
def reinvite(user_id: int) -> Any:
    user = _user_or_404(user_id)
    token = accounts.invite(user, by=current_user)
    db.session.commit()
    return render_template("admin/invited.html", user=user, link=_invite_link(token))


@bp.route("/audit")
@roles_required(Role.ORGANISER)
def audit_log() -> Any:
    page = max(1, request.args.get("page", 1, type=int))
    action = (request.args.get("action") or "").strip()
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action.like(f"{action}%"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = db.session.scalars(
        query.order_by(AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    ).all()
    return render_template(
        "admin/audit.html",
        events=events,
        page=page,
        total=total,
        action=action,
        pages=max(1, -(-total // AUDIT_PAGE_SIZE)),
    )
