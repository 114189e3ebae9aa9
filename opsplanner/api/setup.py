"""API for an operation's set-up: editing, phases, priorities, network enrolment, the trade
chain, the focal-point directory and readiness. Same services, scoping and forms as the web."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict

from opsplanner.api import api_bp, api_error, form_error, json_formdata
from opsplanner.api import serializers as ser
from opsplanner.api.common import api_scope, api_user
from opsplanner.extensions import db
from opsplanner.forms.setup import OperationEditForm, PriorityForm
from opsplanner.models import Network, OperationPhase, Priority, Role
from opsplanner.services import audit, enrolment, phases, priorities, readiness
from opsplanner.services import operations as ops
from opsplanner.services.errors import DomainError

PRIORITY_LISTS = ("origin_codes", "transit_codes", "destination_codes", "conveyances")


def _organiser_only() -> tuple[Any, int] | None:
    if not api_scope().is_organiser:
        return api_error(403, "only organisers change an operation's set-up")
    return None


def _domain_error(exc: DomainError) -> tuple[Any, int]:
    db.session.rollback()
    return api_error(exc.status, exc.message, field=exc.field)


def priority_json(p: Priority) -> dict[str, Any]:
    return {
        "id": p.id,
        "rank": p.rank,
        "kind": p.kind.value,
        "title": p.title,
        "description": p.description,
        "commodity": p.commodity,
        "origin_codes": p.origin_codes,
        "transit_codes": p.transit_codes,
        "destination_codes": p.destination_codes,
        "conveyances": p.conveyances,
    }


@api_bp.patch("/operations/<int:operation_id>")
def edit_operation(operation_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    if refused := _organiser_only():
        return refused
    # A partial update: fields not sent keep their current values.
    current = {
        "code_name": op.code_name,
        "organising_agency": op.organising_agency.value,
        "window_start": op.window_start.isoformat(),
        "window_end": op.window_end.isoformat(),
        "world_wildlife_day": op.world_wildlife_day.isoformat(),
        "reporting_deadline": op.reporting_deadline.strftime("%Y-%m-%dT%H:%M"),
        "embargo_until": op.embargo_until.strftime("%Y-%m-%dT%H:%M"),
        "secure_channel": op.secure_channel,
        "description": op.description,
        "guidelines": op.guidelines,
        "timezone": op.timezone,
    }
    sent = json_formdata()
    merged = {**current, **sent.to_dict()}
    form = OperationEditForm(formdata=ImmutableMultiDict(merged), meta={"csrf": False})
    if not form.validate():
        return form_error(form)
    try:
        taken_back = ops.update_operation(
            op,
            form.to_input(),
            api_user(),
            guidelines=form.guidelines.data or "",
            timezone=form.timezone.data or "UTC",
            reacknowledge=form.reacknowledge.data,
        )
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    return jsonify(
        ser.operation(op, ops.status_counts(op))
        | {
            "guidelines": op.guidelines,
            "timezone": op.timezone,
            "acknowledgements_taken_back": taken_back,
        }
    )


@api_bp.get("/operations/<int:operation_id>/phase")
def phase(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    moves = phases.next_moves(op) if s.is_organiser else []
    return jsonify(
        {
            "phase": op.phase.value,
            "template_frozen_at": op.template_frozen_at.isoformat()
            if op.template_frozen_at
            else None,
            "history": [
                {
                    "from": c.from_phase.value,
                    "to": c.to_phase.value,
                    "at": c.at.isoformat(),
                    "note": c.note,
                }
                for c in op.phase_changes
            ],
            "next": [
                {"phase": m.target.value, "allowed": m.allowed, "reasons": m.reasons} for m in moves
            ],
        }
    )


@api_bp.post("/operations/<int:operation_id>/phase")
def move_phase(operation_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    if refused := _organiser_only():
        return refused
    body = json_formdata()
    try:
        target = OperationPhase(body.get("phase", ""))
    except ValueError:
        return api_error(
            422, "phase: choose one of " + ", ".join(p.value for p in OperationPhase), field="phase"
        )
    try:
        phases.move(op, target, api_user(), body.get("note", ""))
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    return phase(operation_id)


@api_bp.get("/operations/<int:operation_id>/priorities")
def list_priorities(operation_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    return jsonify(
        {"count": len(op.priorities), "items": [priority_json(p) for p in op.priorities]}
    )


def _priority_form() -> PriorityForm:
    return PriorityForm(formdata=json_formdata(multi=PRIORITY_LISTS), meta={"csrf": False})


@api_bp.post("/operations/<int:operation_id>/priorities")
def create_priority(operation_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    if refused := _organiser_only():
        return refused
    form = _priority_form()
    if not form.validate():
        return form_error(form)
    try:
        p = priorities.add(op, form.to_input(), api_user())
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    response = jsonify(priority_json(p))
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_priorities", operation_id=op.id)
    return response


def _priority_or_404(op_id: int, priority_id: int) -> Priority | None:
    p = db.session.get(Priority, priority_id)
    return p if p is not None and p.operation_id == op_id else None


@api_bp.route(
    "/operations/<int:operation_id>/priorities/<int:priority_id>", methods=["PATCH", "DELETE"]
)
def change_priority(operation_id: int, priority_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    if refused := _organiser_only():
        return refused
    p = _priority_or_404(op.id, priority_id)
    if p is None:
        return api_error(404, "not found")
    try:
        if request.method == "DELETE":
            priorities.remove(p, api_user())
            db.session.commit()
            return "", 204
        body = json_formdata(multi=PRIORITY_LISTS)
        if "move" in body:
            if body["move"] not in ("up", "down"):
                return api_error(422, "move: 'up' or 'down'", field="move")
            priorities.move(p, -1 if body["move"] == "up" else 1, api_user())
        else:
            form = _priority_form()
            if not form.validate():
                return form_error(form)
            priorities.edit(p, form.to_input(), api_user())
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    db.session.refresh(p)
    return jsonify(priority_json(p))


@api_bp.post("/operations/<int:operation_id>/networks")
def invite_network(operation_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    if refused := _organiser_only():
        return refused
    acronym = json_formdata().get("network", "")
    network = db.session.scalar(select(Network).where(Network.acronym == acronym))
    if network is None:
        return api_error(422, f"network: unknown network {acronym!r}", field="network")
    try:
        report = enrolment.invite_network(op, network, api_user())
    except DomainError as exc:
        return _domain_error(exc)
    db.session.commit()
    return jsonify(
        {
            "network": network.acronym,
            "invited": [c.iso3 for c in report.invited],
            "already_enrolled": [p.country_iso3 for p in report.already],
        }
    )


@api_bp.get("/operations/<int:operation_id>/trade-chain")
def trade_chain(operation_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    if refused := _organiser_only():
        return refused
    return jsonify(
        {
            "items": [
                {
                    "priority_id": c.priority_id,
                    "title": c.title,
                    "confirmed_along_chain": c.covered,
                    "gaps": [
                        {"country": g.country.iso3, "roles": g.roles, "status": g.status}
                        for g in c.gaps
                    ],
                }
                for c in enrolment.trade_chain_gaps(op)
            ]
        }
    )


@api_bp.get("/operations/<int:operation_id>/directory")
def directory(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    participations = list(db.session.scalars(enrolment.with_focal_points(s.participations(op))))
    rows = enrolment.directory_rows(participations)
    audit.record(
        api_user(),
        "directory.export",
        "operation",
        op.id,
        after={"format": "json", "rows": len(rows)},
        operation_id=op.id,
    )
    db.session.commit()
    keys = (
        "iso3",
        "country",
        "network",
        "participation",
        "focal_point",
        "email",
        "guidelines_acknowledged_at",
    )
    return jsonify({"count": len(rows), "items": [dict(zip(keys, r, strict=True)) for r in rows]})


@api_bp.get("/operations/<int:operation_id>/readiness")
def readiness_board(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    if s.role not in (Role.ORGANISER, Role.COORDINATOR):
        return api_error(404, "not found")
    participations = list(db.session.scalars(s.participations(op)))
    board = readiness.readiness_board(op, participations)
    cov = readiness.coverage(op, participations=participations)
    return jsonify(
        {
            "networks": [
                {
                    "network": r.network,
                    "invited": r.invited,
                    "confirmed": r.confirmed,
                    "declined": r.declined,
                    "acknowledged": r.acknowledged,
                    "briefed": r.briefed,
                    "planned": r.planned,
                    "activities": r.activities,
                    "confirmed_without_plan": r.not_ready,
                }
                for r in board
            ],
            "coverage": [
                {
                    "priority_id": pid,
                    "priority": label,
                    "by_network": {col: cov.counts.get((pid, col), 0) for col in cov.columns},
                    "trade_chain_without_activity": cov.chain_without_activity.get(pid),
                }
                for pid, label in cov.priorities
            ],
        }
    )


# -- OpenAPI paths of this module (merged into the document by api/openapi.py) --------------
def docs() -> dict[str, Any]:
    from opsplanner.api.openapi import OP_ID, _body, _errors, _list_of, _ok, _ref

    obj = {"type": "object"}
    prio_id = {"name": "priority_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/operations/{operation_id}": {
            "patch": {
                "summary": "Edit the set-up (organisers); fields not sent keep their values",
                "parameters": [OP_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [
                                    {"$ref": "#/components/schemas/OperationInput"},
                                    {
                                        "type": "object",
                                        "properties": {
                                            "guidelines": {"type": "string"},
                                            "timezone": {"type": "string"},
                                            "reacknowledge": {
                                                "type": "boolean",
                                                "description": "with changed guidelines: take "
                                                "back every country's acknowledgement (the "
                                                "response counts them in "
                                                "acknowledgements_taken_back)",
                                            },
                                        },
                                    },
                                ]
                            }
                        }
                    },
                },
                "responses": {**_ok(_ref("Operation")), **_errors(401, 403, 404, 409, 415, 422)},
            },
        },
        "/operations/{operation_id}/phase": {
            "get": {
                "summary": "Phase, history and (for organisers) the next moves with the guards "
                "that refuse them",
                "parameters": [OP_ID],
                "responses": {**_ok(_ref("PhaseState")), **_errors(401, 404)},
            },
            "post": {
                "summary": "Move the operation to another phase (organisers); a refused move "
                "names every failed guard",
                "parameters": [OP_ID],
                "requestBody": _body("PhaseInput"),
                "responses": {**_ok(_ref("PhaseState")), **_errors(401, 403, 404, 415, 422)},
            },
        },
        "/operations/{operation_id}/priorities": {
            "get": {
                "summary": "Ranked priorities",
                "parameters": [OP_ID],
                "responses": {**_ok(_list_of("Priority")), **_errors(401, 404)},
            },
            "post": {
                "summary": "Add a priority (organisers)",
                "parameters": [OP_ID],
                "requestBody": _body("PriorityInput"),
                "responses": {
                    **_ok(_ref("Priority"), "Created", "201"),
                    **_errors(401, 403, 404, 415, 422),
                },
            },
        },
        "/operations/{operation_id}/priorities/{priority_id}": {
            "patch": {
                "summary": 'Edit a priority, or move it with {"move": "up"|"down"}',
                "parameters": [OP_ID, prio_id],
                "requestBody": _body("PriorityInput"),
                "responses": {**_ok(_ref("Priority")), **_errors(401, 403, 404, 415, 422)},
            },
            "delete": {
                "summary": "Delete a priority; the others close ranks",
                "parameters": [OP_ID, prio_id],
                "responses": {"204": {"description": "Deleted"}, **_errors(401, 403, 404, 422)},
            },
        },
        "/operations/{operation_id}/networks": {
            "post": {
                "summary": "Invite every current member state of a network not yet enrolled",
                "parameters": [OP_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"network": {"type": "string"}},
                                "required": ["network"],
                            }
                        }
                    },
                },
                "responses": {**_ok(obj), **_errors(401, 403, 404, 415, 422)},
            },
        },
        "/operations/{operation_id}/trade-chain": {
            "get": {
                "summary": "Countries along each trade-route priority that have not confirmed",
                "parameters": [OP_ID],
                "responses": {**_ok(obj), **_errors(401, 403, 404)},
            },
        },
        "/operations/{operation_id}/directory": {
            "get": {
                "summary": "Focal-point directory within the caller's scope (audited)",
                "parameters": [OP_ID],
                "responses": {**_ok(obj), **_errors(401, 404)},
            },
        },
        "/operations/{operation_id}/readiness": {
            "get": {
                "summary": "Readiness per network and coverage of priorities (organisers, "
                "coordinators)",
                "parameters": [OP_ID],
                "responses": {**_ok(obj), **_errors(401, 404)},
            },
        },
    }


SCHEMAS: dict[str, Any] = {
    "PhaseInput": {
        "type": "object",
        "properties": {"phase": {"type": "string"}, "note": {"type": "string"}},
        "required": ["phase"],
    },
    "PhaseState": {
        "type": "object",
        "properties": {
            "phase": {"type": "string"},
            "template_frozen_at": {"type": ["string", "null"]},
            "history": {"type": "array", "items": {"type": "object"}},
            "next": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "phase": {"type": "string"},
                        "allowed": {"type": "boolean"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
        "required": ["phase", "history", "next"],
    },
    "Priority": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "rank": {"type": "integer"},
            "kind": {"enum": ["commodity", "trade_route", "modus_operandi", "capacity_building"]},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "commodity": {"type": ["string", "null"]},
            "origin_codes": {"type": "array", "items": {"type": "string"}},
            "transit_codes": {"type": "array", "items": {"type": "string"}},
            "destination_codes": {"type": "array", "items": {"type": "string"}},
            "conveyances": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["id", "rank", "kind", "title"],
    },
    "PriorityInput": {
        "type": "object",
        "properties": {
            "kind": {"enum": ["commodity", "trade_route", "modus_operandi", "capacity_building"]},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "commodity": {"type": "string"},
            "origin_codes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "ISO3 codes or UN M49 areas as 'M49:nnn'",
            },
            "transit_codes": {"type": "array", "items": {"type": "string"}},
            "destination_codes": {"type": "array", "items": {"type": "string"}},
            "conveyances": {"type": "array", "items": {"type": "string"}},
            "move": {"enum": ["up", "down"]},
        },
    },
}
