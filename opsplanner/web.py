"""Binding extensions, blueprints and error handlers to the app."""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from opsplanner.extensions import babel, csrf, db, limiter, login_manager, migrate
from opsplanner.services.errors import DomainError


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets the worker write while the web server reads; foreign keys are off by default.
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


def _select_locale() -> str | None:
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, worker, tests calling services: the default
        return None
    if current_user and getattr(current_user, "locale", None):
        return current_user.locale
    return request.accept_languages.best_match(languages) or "en"


def register_extensions(app: Flask) -> None:
    from opsplanner.migrations import MIGRATIONS_DIR

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    # the page's lang attribute follows the language it is rendered in
    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale


def register_blueprints(app: Flask) -> None:
    from opsplanner.api import api_bp
    from opsplanner.views.account import bp as account_bp
    from opsplanner.views.admin import bp as admin_bp
    from opsplanner.views.auth import bp as auth_bp
    from opsplanner.views.briefings import bp as briefings_bp
    from opsplanner.views.compare import bp as compare_bp
    from opsplanner.views.completeness import bp as completeness_bp
    from opsplanner.views.directory import bp as directory_bp
    from opsplanner.views.evaluation import bp as evaluation_bp
    from opsplanner.views.figures import bp as figures_bp
    from opsplanner.views.imports import bp as imports_bp
    from opsplanner.views.jobs import bp as jobs_bp
    from opsplanner.views.main import bp as main_bp
    from opsplanner.views.operations import bp as operations_bp
    from opsplanner.views.packs import bp as packs_bp
    from opsplanner.views.plans import bp as plans_bp
    from opsplanner.views.press import bp as press_bp
    from opsplanner.views.reference import bp as reference_bp
    from opsplanner.views.results import bp as results_bp
    from opsplanner.views.scoreboard import bp as scoreboard_bp
    from opsplanner.views.setup import bp as setup_bp
    from opsplanner.views.tools import bp as tools_bp

    blueprints = (
        auth_bp,
        main_bp,
        operations_bp,
        setup_bp,
        briefings_bp,
        plans_bp,
        results_bp,
        imports_bp,
        completeness_bp,
        evaluation_bp,
        scoreboard_bp,
        figures_bp,
        reference_bp,
        directory_bp,
        tools_bp,
        admin_bp,
        account_bp,
        jobs_bp,
        packs_bp,
        press_bp,
        compare_bp,
    )
    for bp in blueprints:
        app.register_blueprint(bp)
    csrf.exempt(api_bp)  # bearer tokens only: a browser never sends them on its own
    app.register_blueprint(api_bp)
    from opsplanner.views import archive_guard

    archive_guard.install(app)  # after the API's token check: writes to archived operations


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, field: str | None = None) -> tuple[Any, int]:
    if wants_json():
        body: dict[str, Any] = {"error": {"status": status, "message": message}}
        if field:
            body["error"]["field"] = field
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> tuple[Any, int]:
        if exc.status != 404:
            db.session.rollback()
        return error_response(
            exc.status,
            exc.message if exc.status != 404 else _("Not found."),
            exc.field if exc.status != 404 else None,
        )

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Any, int]:
        return error_response(
            400,
            _(
                "The form expired or was sent from elsewhere (%(reason)s). Please try again.",
                reason=exc.description,
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Any, int] | Response:
        messages = {
            401: _("Please sign in."),
            403: _("You do not have access to this page."),
            404: _("Not found."),
            405: _("This method is not allowed here."),
            413: _("The upload is too large."),
            429: _("Too many attempts. Please wait a few minutes and try again."),
        }
        return error_response(exc.code or 500, messages.get(exc.code or 500, exc.description))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Any, int]:
        db.session.rollback()
        app.logger.exception("unhandled error")
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        return error_response(500, _("Something went wrong on our side. It has been logged."))
