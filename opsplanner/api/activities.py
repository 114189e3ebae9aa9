"""API for national activity plans, their comments and the activity taxonomy. Same services,
scoping and forms as the web pages; paths are documented next to the routes (``docs``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from werkzeug.datastructures import MultiDict

from opsplanner.api import api_bp, api_error, form_error, json_formdata
from opsplanner.api.common import api_scope, api_user
from opsplanner.extensions import db
from opsplanner.forms.activities import ActivityForm, CommentForm
from opsplanner.models import Activity, ActivityType, Agency, Participation, PlanComment
from opsplanner.services import activities
from opsplanner.services.errors import DomainError

LISTS = ("priorities", "agencies")
PLAN = "/operations/<int:operation_id>/plans/<iso3>"
NO_EDIT = "only the country's focal point or an organiser can change its plan"


def activity_json(a: Activity) -> dict[str, Any]:
    return {
        "id": a.id,
        "operation_id": a.participation.operation_id,
        "country": a.participation.country_iso3,
        "activity_type": a.activity_type_code,
        "activity_type_name": a.activity_type.name,
        "title": a.title,
        "description": a.description,
        "location": a.location,
        "start_date": a.start_date.isoformat(),
        "end_date": a.end_date.isoformat(),
        "priorities": [p.id for p in a.priorities],
        "agencies": list(a.agencies),
        "version": a.version,
        "created_at": a.created_at.isoformat(),
        "updated_at": a.updated_at.isoformat(),
    }


def comment_json(c: PlanComment) -> dict[str, Any]:
    return {
        "id": c.id,
        "body": c.body,
        "author": c.author.name if c.author else None,
        "author_role": c.author.role.value if c.author else None,
        "created_at": c.created_at.isoformat(),
    }


def activity_type_json(t: ActivityType) -> dict[str, Any]:
    return {
        "code": t.code,
        "name": t.name,
        "definition": t.definition,
        "examples": t.examples,
        "position": t.position,
        "active": t.active,
    }


def _domain_error(exc: DomainError) -> tuple[Any, int]:
    db.session.rollback()
    return api_error(exc.status, exc.message, field=exc.field)


def _activity(p: Participation, activity_id: int) -> Activity | None:
    return activities.activity_in_plan(p, activity_id)


def _version(raw: object) -> int | None:
    try:
        return int(str(raw)) if raw is not None else None
    except ValueError:
        return None


@api_bp.get(PLAN + "/activities")
def list_activities(operation_id: int, iso3: str) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    rows = activities.plan_activities(p)
    return jsonify({"count": len(rows), "items": [activity_json(a) for a in rows]})


@api_bp.post(PLAN + "/activities")
def create_activity(operation_id: int, iso3: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    if not activities.may_edit(s, p):
        return api_error(403, NO_EDIT)
    if reason := activities.refusal(p):
        return api_error(422, reason)
    form = ActivityForm(p.operation, formdata=json_formdata(multi=LISTS), meta={"csrf": False})
    if not form.validate():
        return form_error(form)
    try:
        a = activities.create(p, form.to_input(), api_user())
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    response = jsonify(activity_json(a))
    response.status_code = 201
    response.headers["Location"] = url_for(
        "api.activity", operation_id=operation_id, iso3=p.country_iso3, activity_id=a.id
    )
    return response


@api_bp.get(PLAN + "/activities/<int:activity_id>")
def activity(operation_id: int, iso3: str, activity_id: int) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    a = _activity(p, activity_id)
    if a is None:
        return api_error(404, "not found")
    return jsonify(activity_json(a))


def _current_formdata(a: Activity) -> MultiDict[str, str]:
    pairs = [
        ("activity_type", a.activity_type_code),
        ("title", a.title),
        ("description", a.description),
        ("location", a.location),
        ("start_date", a.start_date.isoformat()),
        ("end_date", a.end_date.isoformat()),
    ]
    pairs += [("priorities", str(p.id)) for p in a.priorities]
    pairs += [("agencies", code) for code in a.agencies]
    return MultiDict(pairs)


@api_bp.patch(PLAN + "/activities/<int:activity_id>")
def update_activity(operation_id: int, iso3: str, activity_id: int) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    a = _activity(p, activity_id)
    if a is None:
        return api_error(404, "not found")
    if not activities.may_edit(s, p):
        return api_error(403, NO_EDIT)
    body = request.get_json(silent=True) or {}
    version = _version(body.get("version"))
    try:
        # A stale copy is refused before anything else: its other errors would be moot.
        activities.check_version(a, version)
    except DomainError as exc:
        return _domain_error(exc)
    # A partial update: fields not sent keep their current values; an empty list clears one
    # (and then fails its "at least one" rule with the field named).
    merged = _current_formdata(a)
    sent = json_formdata(multi=LISTS)
    for key in sent:
        merged.setlist(key, sent.getlist(key))
    for key in LISTS:
        if body.get(key) == []:
            merged.setlist(key, [])
    form = ActivityForm(p.operation, formdata=merged, current=a, meta={"csrf": False})
    if not form.validate():
        return form_error(form)
    try:
        activities.update(a, form.to_input(), version, api_user())
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    return jsonify(activity_json(a))


@api_bp.delete(PLAN + "/activities/<int:activity_id>")
def delete_activity(operation_id: int, iso3: str, activity_id: int) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    a = _activity(p, activity_id)
    if a is None:
        return api_error(404, "not found")
    if not activities.may_edit(s, p):
        return api_error(403, NO_EDIT)
    raw = request.args.get("version")
    version = _version(raw)
    if raw is not None and version is None:
        return api_error(422, "version: expected an integer", field="version")
    try:
        activities.delete(a, version, api_user())
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    return "", 204


@api_bp.get(PLAN + "/comments")
def plan_comments(operation_id: int, iso3: str) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    rows = activities.comments(p)
    return jsonify({"count": len(rows), "items": [comment_json(c) for c in rows]})


@api_bp.post(PLAN + "/comments")
def add_plan_comment(operation_id: int, iso3: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    if not activities.may_comment(s, p):
        return api_error(403, "you cannot comment on this plan")
    form = CommentForm(formdata=json_formdata(), meta={"csrf": False})
    if not form.validate():
        return form_error(form)
    try:
        c = activities.add_comment(p, form.body.data or "", api_user())
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    response = jsonify(comment_json(c))
    response.status_code = 201
    return response


@api_bp.get("/activity-types")
def activity_types() -> Any:
    rows = activities.all_types()
    return jsonify({"count": len(rows), "items": [activity_type_json(t) for t in rows]})


# -- OpenAPI ------------------------------------------------------------------------------
def docs() -> dict[str, Any]:
    from opsplanner.api.openapi import ISO3, OP_ID, _body, _errors, _list_of, _ok, _ref

    activity_id = {
        "name": "activity_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    plan = "/operations/{operation_id}/plans/{iso3}"
    return {
        f"{plan}/activities": {
            "get": {
                "summary": "A country's planned activities",
                "parameters": [OP_ID, ISO3],
                "responses": {**_ok(_list_of("Activity")), **_errors(401, 404)},
            },
            "post": {
                "summary": "Plan an activity (the country's focal point or an organiser)",
                "parameters": [OP_ID, ISO3],
                "requestBody": _body("ActivityInput"),
                "responses": {
                    **_ok(_ref("Activity"), "Created", "201"),
                    **_errors(401, 403, 404, 415, 422),
                },
            },
        },
        f"{plan}/activities/{{activity_id}}": {
            "get": {
                "summary": "One planned activity, with the version to send when changing it",
                "parameters": [OP_ID, ISO3, activity_id],
                "responses": {**_ok(_ref("Activity")), **_errors(401, 404)},
            },
            "patch": {
                "summary": "Change an activity; fields not sent keep their values. `version` is "
                "required: a stale one is refused with 409, never overwritten",
                "parameters": [OP_ID, ISO3, activity_id],
                "requestBody": _body("ActivityPatch"),
                "responses": {
                    **_ok(_ref("Activity")),
                    **_errors(401, 403, 404, 409, 415, 422),
                },
            },
            "delete": {
                "summary": "Delete an activity; with ?version= a stale copy is refused (409)",
                "parameters": [
                    OP_ID,
                    ISO3,
                    activity_id,
                    {"name": "version", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "204": {"description": "Deleted"},
                    **_errors(401, 403, 404, 409, 422),
                },
            },
        },
        f"{plan}/comments": {
            "get": {
                "summary": "Comments on a country's plan",
                "parameters": [OP_ID, ISO3],
                "responses": {**_ok(_list_of("PlanComment")), **_errors(401, 404)},
            },
            "post": {
                "summary": "Comment on a plan (organisers, the network's coordinator, the "
                "country's focal point)",
                "parameters": [OP_ID, ISO3],
                "requestBody": _body("CommentInput"),
                "responses": {
                    **_ok(_ref("PlanComment"), "Created", "201"),
                    **_errors(401, 403, 404, 415, 422),
                },
            },
        },
        "/activity-types": {
            "get": {
                "summary": "The taxonomy of operational activities, with one-line definitions",
                "responses": {**_ok(_list_of("ActivityType")), **_errors(401)},
            }
        },
    }


AGENCIES = [a.value for a in Agency]
_ACTIVITY_FIELDS: dict[str, Any] = {
    "activity_type": {"type": "string", "description": "code from /activity-types (active)"},
    "title": {"type": "string", "maxLength": 200},
    "description": {"type": "string"},
    "location": {"type": "string", "maxLength": 300},
    "start_date": {"type": "string", "format": "date", "description": "inside the window"},
    "end_date": {"type": "string", "format": "date", "description": "on or after start_date"},
    "priorities": {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 1,
        "description": "ids of this operation's priorities",
    },
    "agencies": {"type": "array", "items": {"enum": AGENCIES}, "minItems": 1},
}

SCHEMAS: dict[str, Any] = {
    "Activity": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "operation_id": {"type": "integer"},
            "country": {"type": "string"},
            "activity_type_name": {"type": "string"},
            **_ACTIVITY_FIELDS,
            "version": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "country", "activity_type", "start_date", "end_date", "version"],
    },
    "ActivityInput": {
        "type": "object",
        "properties": _ACTIVITY_FIELDS,
        "required": [
            "activity_type",
            "title",
            "location",
            "start_date",
            "end_date",
            "priorities",
            "agencies",
        ],
    },
    "ActivityPatch": {
        "type": "object",
        "properties": {
            **_ACTIVITY_FIELDS,
            "version": {"type": "integer", "description": "the version you loaded"},
        },
        "required": ["version"],
    },
    "PlanComment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "body": {"type": "string"},
            "author": {"type": ["string", "null"]},
            "author_role": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "body", "created_at"],
    },
    "CommentInput": {
        "type": "object",
        "properties": {"body": {"type": "string", "maxLength": activities.COMMENT_MAX}},
        "required": ["body"],
    },
    "ActivityType": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "definition": {"type": "string"},
            "examples": {"type": "string"},
            "position": {"type": "integer"},
            "active": {"type": "boolean"},
        },
        "required": ["code", "name", "definition", "active"],
    },
}
