from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from opsplanner.extensions import db, limiter
from opsplanner.forms.auth import LoginForm, SetPasswordForm
from opsplanner.security import start_session
from opsplanner.services import accounts, audit
from opsplanner.services.errors import DomainError

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an open redirect after login is a phishing aid.
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.home")


def _failed(response: Any) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password, or the account is disabled."))
        else:
            login_user(user)
            start_session()
            audit.record(user, "user.login", "user", user.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> Any:
    user = accounts.user_for_invite(token)
    if user is None:
        return render_template(
            "error.html",
            status=404,
            message=_("This invitation link is not valid or has expired. Ask an organiser."),
        ), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.accept_invite(user, form.password.data or "")
        except DomainError as exc:
            form.password.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Your password is set. Please sign in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)
