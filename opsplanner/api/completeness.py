"""API for the completeness of an operation's results, the communications summary and the
results export. Same services and scope rules as the pages (``views/completeness.py``):

- completeness: organisers (every country) and coordinators (their network's countries);
  404 for the other roles;
- summary: organisers, coordinators and communications (operation-wide aggregates, submitted
  reports only, no sensitive seizure, no country); 404 for focal points;
- export: anyone who sees the operation; the content depends on the role.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for

from opsplanner.api import api_bp, api_error
from opsplanner.api.common import api_scope, api_user
from opsplanner.services import completeness, results_export


@api_bp.get("/operations/<int:operation_id>/completeness")
def completeness_board(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    if not completeness.may_see_completeness(s):
        return api_error(404, "not found")
    return jsonify(completeness.completeness(op, s).as_dict())


@api_bp.get("/operations/<int:operation_id>/summary")
def results_summary(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    if not completeness.may_see_summary(s):
        return api_error(404, "not found")
    return jsonify(completeness.summary(op).as_dict())


@api_bp.post("/operations/<int:operation_id>/results/export")
def results_export_job(operation_id: int) -> Any:
    op = api_scope().operation_or_404(operation_id)
    job = results_export.request_results_export(op, api_user())
    response = jsonify(
        {
            "job_id": job.id,
            "status": str(job.status),
            "content": job.params.get("content"),
            "url": url_for("api.job", job_id=job.id),
        }
    )
    response.status_code = 202
    response.headers["Location"] = url_for("api.job", job_id=job.id)
    return response


# -- OpenAPI --------------------------------------------------------------------------------------
TALLY = {
    "type": "object",
    "properties": {
        "label": {"type": "string"},
        "expected": {"type": "integer", "description": "confirmed countries"},
        "reported": {"type": "integer", "description": "submitted, validated or approved"},
        "approved": {"type": "integer"},
        "on_time": {
            "type": "integer",
            "description": "reported and first submitted by the reporting deadline",
        },
        "late": {"type": "integer"},
        "missing": {"type": "integer"},
        "reporting_rate": {"type": "number", "description": "reported / expected"},
        "on_time_rate": {"type": "number", "description": "on_time / expected"},
    },
    "required": ["label", "expected", "reported", "approved", "on_time"],
}

SCHEMAS: dict[str, Any] = {
    "CompletenessTally": TALLY,
    "CommodityTotals": {
        "type": "object",
        "description": "Seizures of one commodity category; quantities are summed per unit, "
        "never across units",
        "properties": {
            "commodity": {"type": "string"},
            "label": {"type": "string"},
            "seizures": {"type": "integer"},
            "quantities": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "unit": {"type": "string"},
                        "amount": {"type": "string", "description": "decimal, as text"},
                    },
                    "required": ["unit", "amount"],
                },
            },
        },
        "required": ["commodity", "seizures", "quantities"],
    },
    "Completeness": {
        "type": "object",
        "properties": {
            "operation_id": {"type": "integer"},
            "phase": {"type": "string"},
            "reporting_deadline": {"type": "string", "format": "date-time"},
            "total": {"$ref": "#/components/schemas/CompletenessTally"},
            "by_network": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/CompletenessTally"},
            },
            "by_region": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/CompletenessTally"},
            },
            "missing": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "country": {"type": "string"},
                        "country_name": {"type": "string"},
                        "network": {"type": ["string", "null"]},
                        "status": {"enum": ["draft", "returned"]},
                        "seizures": {"type": "integer"},
                        "focal_point_emails": {"type": "array", "items": {"type": "string"}},
                        "return_comment": {"type": "string"},
                        "last_reminder": {"type": ["object", "null"]},
                    },
                },
            },
            "seizures": {
                "type": "object",
                "properties": {
                    "count": {"type": "integer"},
                    "sensitive": {"type": "integer"},
                    "by_commodity": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/CommodityTotals"},
                    },
                },
            },
        },
        "required": ["operation_id", "total", "by_network", "by_region", "missing", "seizures"],
    },
    "ResultsSummary": {
        "type": "object",
        "description": "Operation-wide aggregates from submitted reports; sensitive seizures "
        "are left out and no country is named",
        "properties": {
            "operation_id": {"type": "integer"},
            "phase": {"type": "string"},
            "countries_expected": {"type": "integer"},
            "countries_reported": {"type": "integer"},
            "countries_with_seizures": {"type": "integer"},
            "seizures": {"type": "integer"},
            "by_commodity": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/CommodityTotals"},
            },
            "national_results": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
            },
        },
        "required": ["operation_id", "countries_expected", "countries_reported", "by_commodity"],
    },
    "ResultsExportRef": {
        "type": "object",
        "properties": {
            "job_id": {"type": "integer"},
            "status": {"type": "string"},
            "content": {
                "enum": ["rows", "aggregate"],
                "description": "seizure rows of the countries in scope, or aggregates only "
                "(communications)",
            },
            "url": {"type": "string"},
        },
        "required": ["job_id", "status"],
    },
}


def docs() -> dict[str, Any]:
    from opsplanner.api.openapi import OP_ID, _errors, _ok, _ref

    base = "/operations/{operation_id}"
    return {
        f"{base}/completeness": {
            "get": {
                "summary": "Who has reported, per network and per M49 region, who is missing "
                "(with focal points' e-mails) and the seizures entered so far by commodity "
                "(organisers; coordinators for their network's countries)",
                "parameters": [OP_ID],
                "responses": {**_ok(_ref("Completeness")), **_errors(401, 404)},
            }
        },
        f"{base}/summary": {
            "get": {
                "summary": "Operation-wide aggregates for communications: submitted reports "
                "only, no sensitive seizure, no country (organisers, coordinators, "
                "communications)",
                "parameters": [OP_ID],
                "responses": {**_ok(_ref("ResultsSummary")), **_errors(401, 404)},
            }
        },
        f"{base}/results/export": {
            "post": {
                "summary": "Queue the results export (CSV and XLSX): seizure rows and national "
                "results of the countries in the caller's scope, or aggregates only for "
                "communications. Poll the job's URL for the files",
                "parameters": [OP_ID],
                "responses": {
                    **_ok(_ref("ResultsExportRef"), "Accepted", "202"),
                    **_errors(401, 404, 415),
                },
            }
        },
    }
