"""The JSON API (/api/v1): bearer tokens, the same scoping and validation as the web forms."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from werkzeug.datastructures import ImmutableMultiDict

from opsplanner.extensions import db, limiter

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}
# Endpoints whose JSON bodies carry nested values (lists of objects, objects): they read the
# body themselves instead of through json_formdata. Modules add their endpoint names.
STRUCTURED_ENDPOINTS: set[str] = set()
# Endpoints that also take a file as multipart/form-data (a spreadsheet upload).
FILE_ENDPOINTS: set[str] = set()


def api_error(
    status: int, message: str, field: str | None = None, fields: dict[str, list[str]] | None = None
) -> tuple[Any, int]:
    body: dict[str, Any] = {"status": status, "message": message}
    if field:
        body["field"] = field
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def form_error(form: Any) -> tuple[Any, int]:
    fields = {name: [str(e) for e in errors] for name, errors in form.errors.items() if errors}
    first = next(iter(fields), None)
    message = f"{first}: {fields[first][0]}" if first else "invalid input"
    return api_error(422, message, field=first, fields=fields)


@api_bp.before_request
def authenticate() -> Any:
    from opsplanner.services import accounts

    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return api_error(401, "send an API token as 'Authorization: Bearer <token>'")
    user = accounts.user_for_token(raw.strip())
    if user is None:
        db.session.rollback()
        return api_error(401, "the API token is unknown, revoked or expired")
    db.session.commit()  # records last_used_at
    g.api_user = user
    if request.method in ("POST", "PUT", "PATCH"):
        if request.endpoint in FILE_ENDPOINTS and request.mimetype == "multipart/form-data":
            return None  # the view reads the file and its fields itself
        if not request.is_json:
            return api_error(415, "send JSON with 'Content-Type: application/json'")
        if request.get_data() and request.endpoint not in STRUCTURED_ENDPOINTS:
            # Refuse here what the forms cannot take, instead of failing inside a validator.
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return api_error(422, "the body must be a JSON object")
            for name, value in body.items():
                # Lists of plain values feed multi-select fields (json_formdata checks which).
                if isinstance(value, dict) or (
                    isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
                ):
                    return api_error(422, f"{name}: expected a single value", field=name)
    return None


def json_formdata(multi: tuple[str, ...] = ()) -> ImmutableMultiDict[str, str]:
    """The request's JSON object as form data: a number or boolean reaches its field as text
    (as from a web form), null counts as absent. Lists are accepted only for the ``multi``
    fields (multi-selects), one entry per item; elsewhere they stay one (invalid) value."""
    body = request.get_json(silent=True) or {}
    pairs: list[tuple[str, str]] = []
    for key, value in body.items():
        if value is None:
            continue
        if isinstance(value, list):
            if key not in multi:
                response, status = api_error(422, f"{key}: expected a single value", field=key)
                response.status_code = status
                abort(response)
            pairs.extend((key, v if isinstance(v, str) else json.dumps(v)) for v in value)
        else:
            pairs.append((key, value if isinstance(value, str) else json.dumps(value)))
    return ImmutableMultiDict(pairs)


limiter.limit("600 per minute", key_func=lambda: request.headers.get("Authorization", "")[-16:])(
    api_bp
)

from opsplanner.api import (  # noqa: E402, F401
    activities,
    briefings,
    completeness,
    directory,
    evaluation,
    imports,
    jobs,
    openapi,
    operations,
    reference,
    results,
    setup,
)
