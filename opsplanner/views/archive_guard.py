"""The archive rule at the door: a write to an archived operation is refused before any view runs.

Every POST/PUT/PATCH/DELETE route whose URL names an operation (``<int:operation_id>``), on the
web and in the API, is covered without its view doing anything, so a route added later is
covered too. The services check the same rule (``services.archive.ensure_writable``): the door
gives an early, uniform answer (409 with the archive message, before any form validation), the
services make sure no other path writes. A route that only reads although it is a POST (an
export, a pack request, starting a copy) is named in ``READS``.

The scope rule comes first: someone who may not see the operation, or the country in the URL,
still gets the view's 404, and a page reserved to other roles keeps its 404 too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_login import current_user

from opsplanner.extensions import db
from opsplanner.models import Operation, User
from opsplanner.services import archive
from opsplanner.services.scoping import Scope

F = TypeVar("F", bound=Callable[..., Any])

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# POST routes that write nothing to the operation: they queue an export or a pack of what is
# there, or start a new operation from this one's set-up.
READS: set[str] = {
    "operations.export",
    "completeness.export",
    "packs.request_pack",
    "api.export",
    "api.results_export_job",
}


def allowed_when_archived(view: F) -> F:
    """Mark a POST view that writes nothing to its operation (it stays open when archived)."""
    view._allowed_when_archived = True  # type: ignore[attr-defined]
    return view


def reads(endpoint: str) -> bool:
    view = current_app.view_functions.get(endpoint)
    return endpoint in READS or bool(getattr(view, "_allowed_when_archived", False))


def _user() -> User | None:
    if request.blueprint == "api":
        return g.get("api_user")
    user = current_user._get_current_object() if current_user else None
    return user if user is not None and user.is_authenticated else None


def refuse_archived_writes() -> None:
    if request.method not in WRITE_METHODS or request.endpoint is None:
        return
    args = request.view_args or {}
    operation_id = args.get("operation_id")
    if not isinstance(operation_id, int) or reads(request.endpoint):
        return
    user = _user()
    if user is None:  # the view answers: sign in (web) or 401 (API)
        return
    operation = db.session.get(Operation, operation_id)
    if operation is None or not archive.is_archived(operation):
        return
    view = current_app.view_functions.get(request.endpoint)
    roles = getattr(view, "_required_roles", None)
    if roles is not None and user.role not in roles:
        return  # the view's 404: the page is not for this role
    scope = Scope(user)
    scope.operation_or_404(operation_id)
    iso3 = args.get("iso3")
    if isinstance(iso3, str) and not scope.may_see_country(iso3.upper()):
        return  # the view's 404
    archive.ensure_writable(operation)


def install(app: Flask) -> None:
    """On the app for the web pages, and after the API's token check for the API (whose user
    is known only then). Refusals are DomainErrors: the app's handler answers 409 (JSON on
    the API, the error page on the web)."""

    def web_only() -> None:
        if request.blueprint != "api":
            refuse_archived_writes()

    app.before_request(web_only)
    app.before_request_funcs.setdefault("api", []).append(refuse_archived_writes)
