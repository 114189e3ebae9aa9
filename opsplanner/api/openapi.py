"""The OpenAPI 3.1 document of /api/v1. A test checks it against the registered routes, so a
route added without documentation (or documentation without a route) fails the suite."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from opsplanner.api import api_bp

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: dict[str, Any], description: str = "OK", code: str = "200") -> dict[str, Any]:
    return {code: {"description": description, "content": {JSON: {"schema": schema}}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        401: "Missing, unknown, revoked or expired token",
        403: "The role may not do this",
        404: "Not found, or outside the caller's scope",
        409: "Conflicts with existing data",
        415: "The body is not JSON",
        422: "Invalid input; `error.field` names the field",
    }
    return {
        str(c): {"description": text[c], "content": {JSON: {"schema": _ref("Error")}}}
        for c in codes
    }


def _list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "items": {"type": "array", "items": _ref(name)},
        },
        "required": ["count", "items"],
    }


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(name)}}}


OP_ID = {"name": "operation_id", "in": "path", "required": True, "schema": {"type": "integer"}}
ISO3 = {
    "name": "iso3",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
    "description": "ISO 3166-1 alpha-3 code",
}

REGION = {
    "type": "object",
    "properties": {"code": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]}},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "required": ["status", "message"],
            }
        },
        "required": ["error"],
    },
    "Country": {
        "type": "object",
        "properties": {
            "iso3": {"type": "string"},
            "iso2": {"type": "string"},
            "numeric": {"type": "string"},
            "name": {"type": "string"},
            "official_name": {"type": ["string", "null"]},
            "region": REGION,
            "subregion": REGION,
            "intermediate_region": REGION,
        },
        "required": ["iso3", "iso2", "name"],
    },
    "Network": {
        "type": "object",
        "properties": {
            "acronym": {"type": "string"},
            "name": {"type": "string"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "form": {"enum": ["geographic", "discipline", "commodity"]},
            "maturity": {"enum": ["established", "emerging", "under_consideration"]},
            "region": {"type": "string"},
            "membership_kind": {"enum": ["members", "participants", "coverage"]},
            "members_found": {"type": "boolean"},
            "confidence": {"enum": ["H", "M", "L"]},
            "member_count": {"type": "integer", "description": "members valid today"},
            "notes": {"type": "string"},
            "sources": {"type": "array", "items": {"type": "string"}},
            "memberships": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "iso3": {"type": "string"},
                        "valid_from": {"type": ["string", "null"], "format": "date"},
                        "valid_to": {"type": ["string", "null"], "format": "date"},
                        "current": {"type": "boolean"},
                        "confidence": {"type": "string"},
                        "note": {"type": "string"},
                    },
                },
            },
        },
        "required": ["acronym", "name", "form", "maturity"],
    },
    "Operation": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "code_name": {"type": "string"},
            "organising_agency": {"enum": ["INTERPOL", "WCO"]},
            "window_start": {"type": "string", "format": "date"},
            "window_end": {"type": "string", "format": "date"},
            "world_wildlife_day": {"type": "string", "format": "date"},
            "reporting_deadline": {"type": "string", "format": "date-time"},
            "embargo_until": {"type": "string", "format": "date-time"},
            "secure_channel": {"type": "string"},
            "description": {"type": "string"},
            "phase": {
                "enum": [
                    "draft",
                    "planning",
                    "briefing",
                    "active",
                    "reporting",
                    "evaluation",
                    "published",
                    "archived",
                ]
            },
            "participation_counts": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
            },
        },
        "required": ["id", "code_name", "phase"],
    },
    "OperationInput": {
        "type": "object",
        "properties": {
            "code_name": {"type": "string", "maxLength": 80},
            "organising_agency": {"enum": ["INTERPOL", "WCO"]},
            "window_start": {"type": "string", "format": "date"},
            "window_end": {"type": "string", "format": "date"},
            "world_wildlife_day": {"type": "string", "format": "date"},
            "reporting_deadline": {
                "type": "string",
                "description": "UTC, e.g. 2027-02-20T23:59 or with an offset",
            },
            "embargo_until": {"type": "string", "description": "UTC, as reporting_deadline"},
            "secure_channel": {"type": "string"},
            "description": {"type": "string"},
        },
        "required": [
            "code_name",
            "organising_agency",
            "window_start",
            "window_end",
            "world_wildlife_day",
            "reporting_deadline",
            "embargo_until",
        ],
    },
    "Participation": {
        "type": "object",
        "properties": {
            "operation_id": {"type": "integer"},
            "country": {"type": "string"},
            "country_name": {"type": "string"},
            "network": {"type": ["string", "null"]},
            "status": {"enum": ["invited", "confirmed", "declined", "withdrawn"]},
            "status_note": {"type": "string"},
            "invited_at": {"type": "string", "format": "date-time"},
            "responded_at": {"type": ["string", "null"], "format": "date-time"},
        },
        "required": ["operation_id", "country", "status"],
    },
    "InviteInput": {
        "type": "object",
        "properties": {
            "country": {"type": "string", "description": "ISO 3166-1 alpha-3"},
            "network": {"type": "string", "description": "coordinating network acronym"},
        },
        "required": ["country"],
    },
    "RespondInput": {
        "type": "object",
        "properties": {
            "status": {"enum": ["confirmed", "declined", "withdrawn"]},
            "note": {"type": "string"},
        },
        "required": ["status"],
    },
    "Job": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "status": {"enum": ["queued", "running", "succeeded", "failed"]},
            "progress": {"type": "integer"},
            "message": {"type": "string"},
            "attempts": {"type": "integer"},
            "max_attempts": {"type": "integer"},
            "error": {"type": ["string", "null"]},
            "finished": {"type": "boolean"},
            "files": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["id", "status", "progress"],
    },
    "JobRef": {
        "type": "object",
        "properties": {"job_id": {"type": "integer"}, "status": {"type": "string"}},
        "required": ["job_id", "status"],
    },
}

PATHS: dict[str, Any] = {
    "/countries": {
        "get": {
            "summary": "ISO 3166-1 countries with their UN M49 regions",
            "parameters": [
                {"name": "region", "in": "query", "schema": {"type": "string"}},
                {"name": "subregion", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {**_ok(_list_of("Country")), **_errors(401)},
        }
    },
    "/countries/{iso3}": {
        "get": {
            "summary": "One country",
            "parameters": [ISO3],
            "responses": {**_ok(_ref("Country")), **_errors(401, 404)},
        }
    },
    "/networks": {
        "get": {
            "summary": "Wildlife enforcement networks with their current member count",
            "responses": {**_ok(_list_of("Network")), **_errors(401)},
        }
    },
    "/networks/{acronym}": {
        "get": {
            "summary": "One network with its dated memberships and sources",
            "parameters": [
                {"name": "acronym", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {**_ok(_ref("Network")), **_errors(401, 404)},
        }
    },
    "/operations": {
        "get": {
            "summary": "Operations visible to the caller",
            "responses": {**_ok(_list_of("Operation")), **_errors(401)},
        },
        "post": {
            "summary": "Create an operation (organisers)",
            "requestBody": _body("OperationInput"),
            "responses": {
                **_ok(_ref("Operation"), "Created", "201"),
                **_errors(401, 403, 409, 415, 422),
            },
        },
    },
    "/operations/{operation_id}": {
        "get": {
            "summary": "One operation with participation counts",
            "parameters": [OP_ID],
            "responses": {**_ok(_ref("Operation")), **_errors(401, 404)},
        }
    },
    "/operations/{operation_id}/participations": {
        "get": {
            "summary": "Participations within the caller's scope",
            "parameters": [OP_ID],
            "responses": {**_ok(_list_of("Participation")), **_errors(401, 404)},
        },
        "post": {
            "summary": "Invite a country (organisers)",
            "parameters": [OP_ID],
            "requestBody": _body("InviteInput"),
            "responses": {
                **_ok(_ref("Participation"), "Created", "201"),
                **_errors(401, 403, 404, 409, 415, 422),
            },
        },
    },
    "/operations/{operation_id}/participations/{iso3}": {
        "get": {
            "summary": "One participation",
            "parameters": [OP_ID, ISO3],
            "responses": {**_ok(_ref("Participation")), **_errors(401, 404)},
        },
        "patch": {
            "summary": "Confirm, decline or withdraw (the country's focal point or an organiser)",
            "parameters": [OP_ID, ISO3],
            "requestBody": _body("RespondInput"),
            "responses": {**_ok(_ref("Participation")), **_errors(401, 403, 404, 415, 422)},
        },
    },
    "/operations/{operation_id}/exports": {
        "post": {
            "summary": "Export the participation list as CSV and XLSX in the background",
            "parameters": [OP_ID],
            "responses": {
                **_ok(_ref("JobRef"), "Accepted", "202"),
                **_errors(401, 403, 404),
            },
        }
    },
    "/jobs/{job_id}": {
        "get": {
            "summary": "Progress and result of a background job the caller asked for",
            "parameters": [
                {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {**_ok(_ref("Job")), **_errors(401, 404)},
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1 document"}},
        }
    },
}


def _merged_paths() -> dict[str, Any]:
    """The core paths plus those documented next to their routes in other API modules."""
    paths = {path: dict(methods) for path, methods in PATHS.items()}
    for module in documented_modules():
        for path, methods in module.docs().items():
            paths.setdefault(path, {}).update(methods)
    return paths


def documented_modules() -> tuple[Any, ...]:
    """The API modules that document their own routes (``docs()``) and schemas (``SCHEMAS``)."""
    from opsplanner.api import (
        activities,
        briefings,
        completeness,
        directory,
        evaluation,
        imports,
        results,
        setup,
    )

    return (setup, activities, briefings, directory, results, imports, completeness, evaluation)


def document() -> dict[str, Any]:
    schemas = dict(SCHEMAS)
    for module in documented_modules():
        schemas.update(module.SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "opsplanner API",
            "version": "1",
            "description": "Plan, track and publish ICCWC's coordinated wildlife-enforcement "
            "operations. Every call is scoped to the token owner's role, country or network; "
            "records outside it answer 404.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "paths": _merged_paths(),
    }


@api_bp.get("/openapi.json")
def openapi() -> object:
    return jsonify(document())
