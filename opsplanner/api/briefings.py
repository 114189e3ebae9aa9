"""Briefings over the API: the same scope, forms and services as the web pages."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from werkzeug.datastructures import ImmutableMultiDict

from opsplanner.api import api_bp, api_error, form_error, json_formdata
from opsplanner.api.common import api_scope, api_user
from opsplanner.extensions import db
from opsplanner.forms.briefings import ApiAttendanceForm, ApiBriefingForm, briefing_formdata
from opsplanner.models import Briefing, BriefingAttendance, Participation, Role
from opsplanner.services import briefings as service
from opsplanner.services.errors import DomainError


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def briefing_json(b: Briefing, roll: service.Roll, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": b.id,
        "operation_id": b.operation_id,
        "title": b.title,
        "kind": b.kind.value,
        "mode": b.mode.value,
        "network": b.network.acronym if b.network else None,
        "starts_at": b.starts_at.isoformat(),
        "ends_at": service.ends_at(b).isoformat(),
        "timezone": b.timezone,
        "starts_local": service.local_start(b).isoformat(),
        "duration_minutes": b.duration_minutes,
        "location": b.location,
        "agenda": b.agenda,
        "materials": b.materials,
        "ical_uid": b.ical_uid,
        "ical_sequence": b.ical_sequence,
        "cancelled_at": b.cancelled_at.isoformat() if b.cancelled_at else None,
        "cancel_reason": b.cancel_reason,
        # Countries within the caller's scope only.
        "invited": [p.country_iso3 for p in roll.invited],
        "attended": [p.country_iso3 for p in roll.attended],
        "not_yet": [p.country_iso3 for p in roll.not_yet],
    }
    if detail:
        body["attendance"] = [
            attendance_json(p, r) for p in roll.invited if (r := roll.record_for(p))
        ]
    return body


def attendance_json(p: Participation, r: BriefingAttendance) -> dict[str, Any]:
    return {
        "country": p.country_iso3,
        "attended": r.attended,
        "attendees": r.attendees,
        "recorded_at": _when(r.recorded_at),
    }


def _refused(exc: DomainError) -> Any:
    db.session.rollback()
    return api_error(exc.status, exc.message, field=exc.field)


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api_bp.get("/operations/<int:operation_id>/briefings")
def briefings(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    items = list(db.session.scalars(s.briefings(op)))
    rolls = service.rolls(items, s, op)
    return jsonify({"count": len(items), "items": [briefing_json(b, rolls[b.id]) for b in items]})


@api_bp.post("/operations/<int:operation_id>/briefings")
def create_briefing(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    s.briefings(op)  # communications: the briefings are not there for them (404)
    if not s.is_organiser:
        return api_error(403, "only organisers schedule briefings")
    form = ApiBriefingForm(formdata=json_formdata(), meta={"csrf": False}, operation=op)
    if not form.validate():
        return form_error(form)
    try:
        b = service.schedule(op, form.to_input(), api_user())
    except DomainError as exc:
        return _refused(exc)
    db.session.commit()
    response = jsonify(briefing_json(b, service.roll(b, s), detail=True))
    response.status_code = 201
    response.headers["Location"] = url_for("api.briefing", operation_id=op.id, briefing_id=b.id)
    return response


@api_bp.get("/operations/<int:operation_id>/briefings/<int:briefing_id>")
def briefing(operation_id: int, briefing_id: int) -> Any:
    s = api_scope()
    b = s.briefing_or_404(operation_id, briefing_id)
    return jsonify(briefing_json(b, service.roll(b, s), detail=True))


@api_bp.patch("/operations/<int:operation_id>/briefings/<int:briefing_id>")
def edit_briefing(operation_id: int, briefing_id: int) -> Any:
    s = api_scope()
    b = s.briefing_or_404(operation_id, briefing_id)
    if not s.is_organiser:
        return api_error(403, "only organisers edit briefings")
    # A partial update: the fields not named keep their value ("network": "" makes it global).
    merged = briefing_formdata(b) | dict(json_formdata())
    form = ApiBriefingForm(
        formdata=ImmutableMultiDict(merged), meta={"csrf": False}, operation=b.operation, briefing=b
    )
    if not form.validate():
        return form_error(form)
    try:
        service.edit(b, form.to_input(), api_user())
    except DomainError as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify(briefing_json(b, service.roll(b, s), detail=True))


@api_bp.delete("/operations/<int:operation_id>/briefings/<int:briefing_id>")
def delete_briefing(operation_id: int, briefing_id: int) -> Any:
    s = api_scope()
    b = s.briefing_or_404(operation_id, briefing_id)
    if not s.is_organiser:
        return api_error(403, "only organisers cancel briefings")
    reason = (request.get_json(silent=True) or {}).get("reason") or ""
    if not isinstance(reason, str):
        return api_error(422, "reason: expected text", field="reason")
    try:
        service.cancel(b, api_user(), reason)
    except DomainError as exc:
        return _refused(exc)
    db.session.commit()
    return "", 204


@api_bp.post("/operations/<int:operation_id>/briefings/<int:briefing_id>/attendance")
def briefing_attendance(operation_id: int, briefing_id: int) -> Any:
    s = api_scope()
    b = s.briefing_or_404(operation_id, briefing_id)
    form = ApiAttendanceForm(formdata=json_formdata(), meta={"csrf": False})
    iso3 = (form.country.data or "").strip()
    # Another country than the caller's scope allows is not found, before any validation.
    p = s.participation_or_404(operation_id, iso3) if iso3 else None
    if not form.validate() or p is None:
        return form_error(form)
    try:
        row = service.record_attendance(b, p, form.attended_value, form.attendees_value, api_user())
    except DomainError as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify(attendance_json(p, row))


@api_bp.get("/operations/<int:operation_id>/briefings/<int:briefing_id>.ics")
def briefing_ics(operation_id: int, briefing_id: int) -> Any:
    b = api_scope().briefing_or_404(operation_id, briefing_id)
    return _ics(service.calendar([b]), service.ics_filename(b.operation, b))


@api_bp.get("/operations/<int:operation_id>/briefings.ics")
def briefings_calendar(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    items = list(db.session.scalars(s.briefings(op)))
    body = service.calendar(items, name=f"{op.code_name} briefings")
    return _ics(body, service.ics_filename(op))


@api_bp.post("/operations/<int:operation_id>/guidelines/acknowledgement")
def acknowledge_guidelines(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    if s.role is not Role.FOCAL_POINT:
        return api_error(403, "only a national focal point acknowledges, for their country")
    p = s.participation_or_404(op.id, api_user().country_iso3 or "")
    try:
        new = service.acknowledge_guidelines(p, api_user())
    except DomainError as exc:
        return _refused(exc)
    db.session.commit()
    return jsonify(
        {
            "operation_id": op.id,
            "country": p.country_iso3,
            "acknowledged_at": _when(p.guidelines_acknowledged_at),
            "new": new,
        }
    )


# -- OpenAPI paths of this module (merged into the document by api/openapi.py) --------------
def docs() -> dict[str, Any]:
    from opsplanner.api.openapi import OP_ID, _body, _errors, _list_of, _ok, _ref

    briefing_id = {
        "name": "briefing_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    ics = {
        "200": {
            "description": "An iCalendar file (METHOD:PUBLISH), one VEVENT per briefing",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    }
    return {
        "/operations/{operation_id}/briefings": {
            "get": {
                "summary": "Briefings the caller is invited to (organisers: all), with the "
                "invited, attended and not-yet countries within the caller's scope",
                "parameters": [OP_ID],
                "responses": {**_ok(_list_of("Briefing")), **_errors(401, 404)},
            },
            "post": {
                "summary": "Schedule a briefing (organisers)",
                "parameters": [OP_ID],
                "requestBody": _body("BriefingInput"),
                "responses": {
                    **_ok(_ref("Briefing"), "Created", "201"),
                    **_errors(401, 403, 404, 415, 422),
                },
            },
        },
        "/operations/{operation_id}/briefings.ics": {
            "get": {
                "summary": "Every briefing visible to the caller as one iCalendar file",
                "parameters": [OP_ID],
                "responses": {**ics, **_errors(401, 404)},
            }
        },
        "/operations/{operation_id}/briefings/{briefing_id}": {
            "get": {
                "summary": "One briefing with the attendance recorded within the caller's scope",
                "parameters": [OP_ID, briefing_id],
                "responses": {**_ok(_ref("Briefing")), **_errors(401, 404)},
            },
            "patch": {
                "summary": "Edit a briefing (organisers); fields not sent keep their values "
                "(the local start is read in the zone, so a new zone alone moves the start), "
                "and the iCalendar SEQUENCE goes up when anything changes",
                "parameters": [OP_ID, briefing_id],
                "requestBody": _body("BriefingInput"),
                "responses": {**_ok(_ref("Briefing")), **_errors(401, 403, 404, 415, 422)},
            },
            "delete": {
                "summary": "Cancel a briefing at which no attendance is recorded (organisers): "
                "it stays listed with cancelled_at and the reason, and its calendar entry "
                "becomes CANCELLED with a new SEQUENCE; an optional JSON body "
                '{"reason": "..."} says why',
                "parameters": [OP_ID, briefing_id],
                "responses": {
                    "204": {"description": "Cancelled"},
                    **_errors(401, 403, 404, 422),
                },
            },
        },
        "/operations/{operation_id}/briefings/{briefing_id}.ics": {
            "get": {
                "summary": "One briefing as an iCalendar event",
                "parameters": [OP_ID, briefing_id],
                "responses": {**ics, **_errors(401, 404)},
            }
        },
        "/operations/{operation_id}/briefings/{briefing_id}/attendance": {
            "post": {
                "summary": "Record whether a country attended (its focal point, its network's "
                "coordinator or an organiser); recording again corrects the record",
                "parameters": [OP_ID, briefing_id],
                "requestBody": _body("AttendanceInput"),
                "responses": {**_ok(_ref("Attendance")), **_errors(401, 404, 415, 422)},
            }
        },
        "/operations/{operation_id}/guidelines/acknowledgement": {
            "post": {
                "summary": "Acknowledge the operation's guidelines for the caller's country "
                "(national focal points); asking again changes nothing",
                "parameters": [OP_ID],
                "responses": {
                    **_ok(_ref("Acknowledgement")),
                    **_errors(401, 403, 404, 415, 422),
                },
            }
        },
    }


_ISO3_LIST = {"type": "array", "items": {"type": "string"}}
_KINDS = {"enum": ["briefing", "pre_operation_meeting"]}
_MODES = {"enum": ["virtual", "in_person", "hybrid"]}

SCHEMAS: dict[str, Any] = {
    "Briefing": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "operation_id": {"type": "integer"},
            "title": {"type": "string"},
            "kind": _KINDS,
            "mode": _MODES,
            "network": {"type": ["string", "null"], "description": "null: a global briefing"},
            "starts_at": {"type": "string", "format": "date-time", "description": "UTC"},
            "ends_at": {"type": "string", "format": "date-time", "description": "UTC"},
            "timezone": {"type": "string", "description": "IANA zone it was scheduled in"},
            "starts_local": {"type": "string", "format": "date-time"},
            "duration_minutes": {"type": "integer"},
            "location": {"type": "string"},
            "agenda": {"type": "string", "description": "Markdown"},
            "materials": {"type": "string", "description": "Markdown"},
            "ical_uid": {"type": "string"},
            "ical_sequence": {"type": "integer"},
            "cancelled_at": {"type": ["string", "null"], "format": "date-time"},
            "cancel_reason": {"type": "string"},
            "invited": _ISO3_LIST,
            "attended": _ISO3_LIST,
            "not_yet": _ISO3_LIST,
            "attendance": {"type": "array", "items": {"$ref": "#/components/schemas/Attendance"}},
        },
        "required": ["id", "title", "starts_at", "timezone", "ical_uid", "ical_sequence"],
    },
    "BriefingInput": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "kind": _KINDS,
            "mode": _MODES,
            "network": {
                "type": "string",
                "description": "coordinating network acronym; absent or empty: global",
            },
            "start": {
                "type": "string",
                "description": "local wall-clock time in `timezone`, e.g. 2027-01-20T16:00",
            },
            "timezone": {"type": "string", "description": "IANA zone, e.g. Asia/Bangkok"},
            "duration_minutes": {"type": "integer", "minimum": 15, "maximum": 600},
            "location": {"type": "string", "maxLength": 300},
            "agenda": {"type": "string"},
            "materials": {"type": "string"},
        },
        "required": ["title", "kind", "mode", "start", "timezone", "duration_minutes"],
    },
    "Attendance": {
        "type": "object",
        "properties": {
            "country": {"type": "string"},
            "attended": {"type": "boolean"},
            "attendees": {"type": "integer"},
            "recorded_at": {"type": "string", "format": "date-time"},
        },
        "required": ["country", "attended", "attendees"],
    },
    "AttendanceInput": {
        "type": "object",
        "properties": {
            "country": {"type": "string", "description": "ISO 3166-1 alpha-3"},
            "attended": {"type": "boolean"},
            "attendees": {"type": "integer", "minimum": 0, "maximum": 200},
        },
        "required": ["country", "attended"],
    },
    "Acknowledgement": {
        "type": "object",
        "properties": {
            "operation_id": {"type": "integer"},
            "country": {"type": "string"},
            "acknowledged_at": {"type": "string", "format": "date-time"},
            "new": {"type": "boolean", "description": "false when it was acknowledged before"},
        },
        "required": ["operation_id", "country", "acknowledged_at", "new"],
    },
}
