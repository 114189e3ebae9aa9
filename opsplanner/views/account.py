"""The signed-in user's own account: password and API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from opsplanner.extensions import db
from opsplanner.forms.auth import ChangePasswordForm, LanguageForm, TokenForm
from opsplanner.security import start_session
from opsplanner.services import accounts
from opsplanner.services.errors import DomainError

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(
                user, form.current_password.data or "", form.password.data or ""
            )
        except DomainError as exc:
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            db.session.commit()
            login_user(user)  # this session carries the new session version; others end
            start_session()
            flash(_("Password changed. Your other sessions were signed out."), "success")
            return redirect(url_for("account.settings"))
    return render_template(
        "account/settings.html",
        form=form,
        token_form=TokenForm(),
        tokens=current_user.tokens,
        language_form=_language_form(),
    )


def _language_form() -> LanguageForm:
    form = LanguageForm(prefix="language", languages=tuple(current_app.config["LANGUAGES"]))
    if not form.is_submitted():
        form.locale.data = current_user.locale or ""
    return form


@bp.route("/language", methods=["POST"])
@login_required
def language() -> Any:
    form = _language_form()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        accounts.set_locale(user, form.locale.data, tuple(current_app.config["LANGUAGES"]))
        db.session.commit()
        flash(_("Language saved."), "success")
    else:
        flash(_("Choose one of the offered languages."), "error")
    return redirect(url_for("account.settings"))


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token() -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        for error in form.name.errors:
            flash(f"{form.name.label.text}: {error}", "error")
        return redirect(url_for("account.settings"))
    raw = accounts.create_token(current_user, form.name.data or "")
    db.session.commit()
    return render_template("account/token_created.html", token=raw)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    accounts.revoke_token(current_user, token_id, by=current_user)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("account.settings"))
