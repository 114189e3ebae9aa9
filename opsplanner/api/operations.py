from __future__ import annotations

from typing import Any

from flask import jsonify, url_for

from opsplanner.api import api_bp, api_error, form_error, json_formdata
from opsplanner.api import serializers as ser
from opsplanner.api.common import api_scope, api_user
from opsplanner.extensions import db
from opsplanner.forms.operations import ApiInviteForm, OperationForm, RespondForm
from opsplanner.models import Country, ParticipationStatus
from opsplanner.services import exports
from opsplanner.services import operations as ops
from opsplanner.services.errors import DomainError


def _api_form(form_cls: type) -> Any:
    return form_cls(formdata=json_formdata(), meta={"csrf": False})


@api_bp.get("/operations")
def operations() -> Any:
    s = api_scope()
    rows = db.session.scalars(s.operations()).all()
    return jsonify({"count": len(rows), "items": [ser.operation(op) for op in rows]})


@api_bp.post("/operations")
def create_operation() -> Any:
    s = api_scope()
    if not s.may_manage_operations():
        return api_error(403, "only organisers create operations")
    form = _api_form(OperationForm)
    if not form.validate():
        return form_error(form)
    try:
        op = ops.create_operation(form.to_input(), by=api_user())
    except DomainError as exc:
        db.session.rollback()
        return api_error(exc.status, exc.message, field=exc.field)
    db.session.commit()
    response = jsonify(ser.operation(op, ops.status_counts(op)))
    response.status_code = 201
    response.headers["Location"] = url_for("api.operation", operation_id=op.id)
    return response


@api_bp.get("/operations/<int:operation_id>")
def operation(operation_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    return jsonify(ser.operation(op, ops.status_counts(op)))


@api_bp.get("/operations/<int:operation_id>/participations")
def participations(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    rows = db.session.scalars(s.participations(op)).all()
    return jsonify({"count": len(rows), "items": [ser.participation(p) for p in rows]})


@api_bp.post("/operations/<int:operation_id>/participations")
def invite(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    if not s.may_manage_operations():
        return api_error(403, "only organisers enrol countries")
    form = _api_form(ApiInviteForm)
    if not form.validate():
        return form_error(form)
    country = db.session.get(Country, form.country.data.upper())
    try:
        p = ops.invite_country(op, country, form.network_obj, by=api_user())
    except DomainError as exc:
        db.session.rollback()
        return api_error(exc.status, exc.message, field=exc.field)
    db.session.commit()
    response = jsonify(ser.participation(p))
    response.status_code = 201
    response.headers["Location"] = url_for(
        "api.participation", operation_id=op.id, iso3=p.country_iso3
    )
    return response


@api_bp.get("/operations/<int:operation_id>/participations/<iso3>")
def participation(operation_id: int, iso3: str) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    return jsonify(ser.participation(p))


@api_bp.patch("/operations/<int:operation_id>/participations/<iso3>")
def respond(operation_id: int, iso3: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    if not s.may_respond_for(p):
        return api_error(403, "only the country's focal point or an organiser can answer")
    form = _api_form(RespondForm)
    if not form.validate():
        return form_error(form)
    try:
        ops.respond(p, ParticipationStatus(form.status.data), form.note.data or "", api_user())
    except DomainError as exc:
        db.session.rollback()
        return api_error(exc.status, exc.message, field=exc.field)
    db.session.commit()
    return jsonify(ser.participation(p))


@api_bp.post("/operations/<int:operation_id>/exports")
def export(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    if not s.may_manage_operations():
        return api_error(403, "only organisers export the participation list")
    job = exports.request_participation_export(op, by=api_user())
    response = jsonify({"job_id": job.id, "status": str(job.status)})
    response.status_code = 202
    response.headers["Location"] = url_for("api.job", job_id=job.id)
    return response
