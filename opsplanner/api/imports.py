"""API bulk import of a country's seizures: the same checks and plan as a spreadsheet upload,
applied in one transaction (or only planned, with ``dry_run``). Idempotent by national
reference: sending the same rows again changes nothing."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from opsplanner.api import FILE_ENDPOINTS, STRUCTURED_ENDPOINTS, api_bp, api_error
from opsplanner.api.common import api_scope
from opsplanner.extensions import db
from opsplanner.models import Agency, DetectionMethod, ImportBatch, ImportStatus
from opsplanner.services import imports, reports
from opsplanner.services.errors import DomainError
from opsplanner.services.seizure_fields import FIELDS, MAX_QUANTITIES

IMPORT = "/operations/<int:operation_id>/countries/<iso3>/seizures/import"
STRUCTURED_ENDPOINTS.update({"api.import_seizures"})
FILE_ENDPOINTS.update({"api.import_seizures"})


def _item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "row": item["row"],
        "national_reference": item["national_reference"],
        "action": item["action"],
        "seizure_id": item["seizure_id"],
    }


def _refused(outcome: imports.Outcome | ImportBatch) -> tuple[Any, int]:
    body = {
        "status": 422,
        "message": (
            f"{outcome.error_count} problem(s) in the rows: nothing was written"
            if outcome.errors
            else "invalid rows: nothing was written"
        ),
        "error_count": outcome.error_count,
        "rows": outcome.errors,
    }
    first = outcome.errors[0] if outcome.errors else None
    if first and first["column"]:
        body["field"] = first["column"]
    return jsonify({"error": body}), 422


@api_bp.post(IMPORT)
def import_seizures(operation_id: int, iso3: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    if not reports.may_enter(s, p):
        return api_error(403, "only the country's focal point or an organiser can import seizures")
    if request.mimetype == "multipart/form-data":
        return _import_file(s, p)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(422, "the body must be a JSON object")
    unknown = sorted(set(body) - {"rows", "dry_run"})
    if unknown:
        return api_error(422, f"{unknown[0]}: unknown field (send rows and dry_run)", unknown[0])
    rows = body.get("rows")
    if not isinstance(rows, list) or not rows:
        return api_error(422, "rows: give a list of at least one seizure", field="rows")
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        return api_error(422, "dry_run: expected true or false", field="dry_run")
    try:
        outcome, batch = imports.import_rows(s, p, rows, dry_run=dry_run)
    except DomainError as exc:
        db.session.rollback()
        return api_error(exc.status, exc.message, field=exc.field)
    if not outcome.ok:
        db.session.rollback()
        return _refused(outcome)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return jsonify(
        {
            "dry_run": dry_run,
            "batch_id": batch.id if batch is not None else None,
            "rows": outcome.rows_total,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "items": [_item(i) for i in outcome.items],
        }
    )


def _import_file(s: Any, p: Any) -> Any:
    """A CSV or XLSX file, as the upload page takes it: checked in full, then (unless
    ``dry_run``) applied in one transaction. The batch is in the country's upload history."""
    unknown = sorted((set(request.form) - {"dry_run"}) | (set(request.files) - {"file"}))
    if unknown:
        return api_error(422, f"{unknown[0]}: unknown field (send file and dry_run)", unknown[0])
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return api_error(422, "file: attach the CSV or XLSX file as the 'file' part", "file")
    dry_run = request.form.get("dry_run", "false").strip().lower()
    if dry_run not in ("true", "false"):
        return api_error(422, "dry_run: expected true or false", field="dry_run")
    try:
        batch = imports.stage_upload(s, p, upload.filename, upload.stream)
        if batch.status is ImportStatus.PREVIEWED and dry_run == "true":
            imports.discard(s, p, batch)  # the plan was all that was asked for
    except DomainError as exc:
        db.session.rollback()
        return api_error(exc.status, exc.message, field=exc.field)
    try:
        db.session.commit()
    except BaseException:
        imports.discard_stored(batch)
        raise
    if batch.status is ImportStatus.REJECTED:
        return _refused(batch)
    if batch.status is ImportStatus.DISCARDED:
        imports.discard_stored(batch)
        return jsonify(_file_result(batch, dry_run=True))
    try:
        outcome = imports.confirm(s, p, batch)
    except DomainError as exc:
        db.session.rollback()
        return api_error(exc.status, exc.message, field=exc.field)
    db.session.commit()
    if not outcome.ok:
        return _refused(outcome)
    return jsonify(
        _file_result(batch, dry_run=False) | {"items": [_item(i) for i in outcome.items]}
    )


def _file_result(batch: ImportBatch, *, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "batch_id": batch.id,
        "filename": batch.filename,
        "rows": batch.rows_total,
        "created": batch.rows_created,
        "updated": batch.rows_updated,
        "unchanged": batch.rows_unchanged,
    }


# -- OpenAPI ------------------------------------------------------------------------------
def docs() -> dict[str, Any]:
    from opsplanner.api.openapi import ISO3, JSON, OP_ID, _body, _errors, _ok, _ref

    errors = _errors(401, 403, 404, 409, 415)
    errors["422"] = {
        "description": "Invalid rows (every problem listed by row and column) or a locked "
        "report: nothing was written",
        "content": {JSON: {"schema": _ref("ImportRefusal")}},
    }
    return {
        "/operations/{operation_id}/countries/{iso3}/seizures/import": {
            "post": {
                "summary": "Import a country's seizures in bulk (the country's focal point or an "
                "organiser, while the report is editable). Every row is checked as a "
                "spreadsheet upload is; with `dry_run` the plan (create, update, unchanged per "
                "row) is returned and nothing is written; otherwise all rows are written in one "
                "transaction, or none if any row is invalid. Rows are matched by "
                "`national_reference`: sending the same rows again changes nothing. The body "
                "is either JSON rows or, as multipart/form-data, the CSV or XLSX file of the "
                "upload template in a `file` part (with an optional `dry_run` part, true or "
                "false): the file is checked as on the upload page and listed in the "
                "country's upload history",
                "parameters": [OP_ID, ISO3],
                "requestBody": {
                    "required": True,
                    "content": {
                        **_body("ImportRequest")["content"],
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "dry_run": {"enum": ["true", "false"]},
                                },
                                "required": ["file"],
                            }
                        },
                    },
                },
                "responses": {**_ok(_ref("ImportResult")), **errors},
            }
        }
    }


def _row_properties() -> dict[str, Any]:
    kinds: dict[str, dict[str, Any]] = {
        "text": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "choice": {"type": "string"},
        "bool": {"type": ["boolean", "string"]},
        "int": {"type": ["integer", "string"], "minimum": 0},
        "decimal": {"type": ["number", "string"]},
        "species": {"type": "string", "description": "scientific name (see /species)"},
        "priority": {"type": ["integer", "string"], "description": "the priority's rank"},
        "countries": {
            "type": ["string", "array"],
            "items": {"type": "string"},
            "description": "ISO 3166 codes (alpha-3 or alpha-2), a list or space-separated",
        },
    }
    properties: dict[str, Any] = {}
    for f in FIELDS:
        schema = dict(kinds[f.kind])
        if f.name == "agency":
            schema["enum"] = [a.value for a in Agency]
        elif f.name == "detection_method":
            schema["enum"] = [d.value for d in DetectionMethod]
        elif f.choices is not None:
            schema["description"] = "a code from the template's Allowed values sheet"
        properties[f.name] = schema
    properties["quantities"] = {
        "type": "array",
        "maxItems": MAX_QUANTITIES,
        "description": "instead of quantity_N/unit_N: one amount per unit",
        "items": {
            "type": "object",
            "properties": {"amount": {"type": ["number", "string"]}, "unit": {"type": "string"}},
            "required": ["amount", "unit"],
        },
    }
    return properties


SCHEMAS: dict[str, Any] = {
    "ImportRow": {
        "type": "object",
        "description": "One seizure, keyed like the spreadsheet template's columns",
        "properties": _row_properties(),
        "required": [
            f.name for f in FIELDS if f.required and not f.name.startswith(("quantity", "unit"))
        ],
        "additionalProperties": False,
    },
    "ImportRequest": {
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ImportRow"},
                "minItems": 1,
            },
            "dry_run": {
                "type": "boolean",
                "default": False,
                "description": "plan only: check every row and say what would change",
            },
        },
        "required": ["rows"],
        "additionalProperties": False,
    },
    "ImportResult": {
        "type": "object",
        "properties": {
            "dry_run": {"type": "boolean"},
            "batch_id": {
                "type": ["integer", "null"],
                "description": "the import batch recorded as the rows' provenance (null when "
                "nothing was written)",
            },
            "rows": {"type": "integer"},
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "unchanged": {"type": "integer"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "row": {"type": "integer", "description": "1-based index in rows"},
                        "national_reference": {"type": "string"},
                        "action": {"enum": ["create", "update", "unchanged"]},
                        "seizure_id": {"type": ["integer", "null"]},
                    },
                    "required": ["row", "national_reference", "action"],
                },
            },
        },
        "required": ["dry_run", "rows", "created", "updated", "unchanged", "items"],
    },
    "ImportRefusal": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "error_count": {"type": "integer"},
                    "rows": {
                        "type": "array",
                        "description": "the first problems (error_count says how many)",
                        "items": {
                            "type": "object",
                            "properties": {
                                "row": {"type": ["integer", "null"]},
                                "column": {"type": ["string", "null"]},
                                "message": {"type": "string"},
                            },
                            "required": ["row", "message"],
                        },
                    },
                },
                "required": ["status", "message"],
            }
        },
        "required": ["error"],
    },
}
