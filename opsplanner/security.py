"""Sessions, login loading, timeouts and HTTP security headers."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from opsplanner.extensions import db, login_manager
from opsplanner.models import User

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# plotly.js adds a <style> element for its own rules at load time (plotly/plotly.js#7543);
# pages that draw charts allow inline styles, never inline scripts.
CSP_WITH_CHARTS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def allow_chart_styles() -> None:
    """Called by a view that renders Plotly charts."""
    g.draws_charts = True


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # The id carries the session version: bumping the user's version revokes every session.
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def start_session() -> None:
    session.permanent = True
    session["login_at"] = int(time.time())


def register_security(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "basic"

    @app.before_request
    def absolute_session_timeout() -> Any:
        if request.path.startswith(("/static/", "/api/")) or not current_user.is_authenticated:
            return None
        started = session.get("login_at", 0)
        if time.time() - started > app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
            logout_user()
            session.clear()
            flash(_l("Your session has ended. Please sign in again."), "info")
            return redirect(url_for("auth.login", next=request.full_path))
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy", CSP_WITH_CHARTS if g.get("draws_charts") else CSP
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if current_user.is_authenticated and not request.path.startswith("/static/"):
            # Pages show scoped data: never keep them in shared caches.
            headers.setdefault("Cache-Control", "no-store")
        return response
