"""API for the post-operation evaluation: how complete the answers are, and the summary of the
submitted answers. Same services and scope rules as the pages (``views/evaluation.py``):
organisers (every respondent) and coordinators (their network's respondents); 404 for focal
points (they see their own answers only, on the page) and communications (nothing at all)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from opsplanner.api import api_bp, api_error
from opsplanner.api.common import api_scope
from opsplanner.models import Role
from opsplanner.services import evaluation
from opsplanner.services.evaluation_report import evaluation_summary

READERS = (Role.ORGANISER, Role.COORDINATOR)


def _row(row: evaluation.RespondentRow) -> dict[str, Any]:
    r = row.respondent
    reminder = row.last_reminder
    return {
        "respondent": r.key,
        "kind": r.kind,
        "label": r.label,
        "network": r.group,
        "status": row.status,
        "submitted_at": (
            row.response.submitted_at.isoformat()
            if row.response is not None and row.response.submitted_at
            else None
        ),
        "emails": row.emails,
        "last_reminder": (
            {
                "stage": reminder.stage,
                "created_at": reminder.created_at.isoformat(),
                "sent_at": reminder.sent_at.isoformat() if reminder.sent_at else None,
            }
            if reminder is not None
            else None
        ),
    }


@api_bp.get("/operations/<int:operation_id>/evaluation/completeness")
def evaluation_completeness(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    if s.role not in READERS:
        return api_error(404, "not found")
    board = evaluation.completeness(op, s)
    return jsonify(
        {
            "operation_id": op.id,
            "phase": op.phase.value,
            "evaluation_deadline": (
                op.evaluation_deadline.isoformat() if op.evaluation_deadline else None
            ),
            "total": board.total.as_dict(),
            "by_network": [t.as_dict() for t in board.by_network],
            "respondents": [_row(row) for row in board.rows],
        }
    )


@api_bp.get("/operations/<int:operation_id>/evaluation/summary")
def evaluation_report_summary(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    if s.role not in READERS:
        return api_error(404, "not found")
    return jsonify(evaluation_summary(op, s).as_dict())


# -- OpenAPI --------------------------------------------------------------------------------------
TALLY = {
    "type": "object",
    "properties": {
        "label": {"type": "string"},
        "expected": {"type": "integer", "description": "respondents expected"},
        "responded": {"type": "integer", "description": "answers submitted"},
        "drafts": {"type": "integer", "description": "answers saved, not submitted"},
        "missing": {"type": "integer"},
        "response_rate": {"type": "number", "description": "responded / expected"},
    },
    "required": ["label", "expected", "responded", "drafts", "missing", "response_rate"],
}

DISTRIBUTION = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "label": {"type": "string"},
        "counts": {
            "type": "object",
            "description": "rating value (as text) -> respondents",
            "additionalProperties": {"type": "integer"},
        },
        "not_applicable": {"type": "integer"},
        "unanswered": {"type": "integer"},
        "rated": {"type": "integer"},
        "mean": {"type": ["number", "null"], "description": "over the ratings, N/A left out"},
    },
    "required": ["code", "label", "counts", "not_applicable", "rated", "mean"],
}

GROUP = {
    "type": "object",
    "properties": {
        "label": {"type": "string"},
        "kind": {"type": "string", "enum": ["overall", "network", "coordinators"]},
        "respondents": {"type": "array", "items": {"type": "string"}},
        "dimensions": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/EvaluationRatingDistribution"},
        },
    },
    "required": ["label", "kind", "respondents", "dimensions"],
}

TEXT = {
    "type": "object",
    "properties": {
        "respondent": {"type": "string"},
        "group": {"type": "string"},
        "text": {"type": "string"},
    },
    "required": ["respondent", "group", "text"],
}

SCHEMAS: dict[str, Any] = {
    "EvaluationTally": TALLY,
    "EvaluationCompleteness": {
        "type": "object",
        "properties": {
            "operation_id": {"type": "integer"},
            "phase": {"type": "string"},
            "evaluation_deadline": {"type": ["string", "null"], "format": "date-time"},
            "total": {"$ref": "#/components/schemas/EvaluationTally"},
            "by_network": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/EvaluationTally"},
            },
            "respondents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "respondent": {
                            "type": "string",
                            "description": "country:ISO3 or network:id",
                        },
                        "kind": {"type": "string", "enum": ["country", "network"]},
                        "label": {"type": "string"},
                        "network": {"type": "string"},
                        "status": {"type": "string", "enum": ["missing", "draft", "submitted"]},
                        "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                        "emails": {"type": "array", "items": {"type": "string"}},
                        "last_reminder": {"type": ["object", "null"]},
                    },
                    "required": ["respondent", "kind", "label", "status"],
                },
            },
        },
        "required": ["operation_id", "total", "by_network", "respondents"],
    },
    "EvaluationRatingDistribution": DISTRIBUTION,
    "EvaluationGroup": GROUP,
    "EvaluationText": TEXT,
    "EvaluationSummary": {
        "type": "object",
        "description": "From the submitted answers only",
        "properties": {
            "operation_id": {"type": "integer"},
            "code_name": {"type": "string"},
            "questionnaire_version": {"type": ["integer", "null"]},
            "scale_max": {"type": "integer"},
            "expected": {"type": "integer"},
            "responded": {"type": "integer"},
            "response_rate": {"type": "number"},
            "overall": {"$ref": "#/components/schemas/EvaluationGroup"},
            "groups": {"type": "array", "items": {"$ref": "#/components/schemas/EvaluationGroup"}},
            "challenges": {
                "type": "array",
                "description": "most ticked first",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "label": {"type": "string"},
                        "count": {"type": "integer"},
                        "share": {"type": "number"},
                        "by_group": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                    },
                    "required": ["code", "label", "count", "share"],
                },
            },
            "challenges_other": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/EvaluationText"},
            },
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "label": {"type": "string"},
                        "answers": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/EvaluationText"},
                        },
                    },
                    "required": ["code", "label", "answers"],
                },
            },
            "generated_at": {"type": "string", "format": "date-time"},
        },
        "required": ["operation_id", "expected", "responded", "overall", "groups", "challenges"],
    },
}


def docs() -> dict[str, Any]:
    from opsplanner.api.openapi import OP_ID, _errors, _ok, _ref

    base = "/operations/{operation_id}/evaluation"
    return {
        f"{base}/completeness": {
            "get": {
                "summary": "Who is expected to answer the evaluation (confirmed countries and "
                "their coordinating networks), who has, per network and overall, and whom to "
                "ask (organisers; coordinators for their network's respondents)",
                "parameters": [OP_ID],
                "responses": {**_ok(_ref("EvaluationCompleteness")), **_errors(401, 404)},
            }
        },
        f"{base}/summary": {
            "get": {
                "summary": "The evaluation summary from the submitted answers: rating "
                "distributions per dimension (overall and per group), challenges ranked, "
                "free-text answers grouped (organisers; coordinators for their network's "
                "respondents)",
                "parameters": [OP_ID],
                "responses": {**_ok(_ref("EvaluationSummary")), **_errors(401, 404)},
            }
        },
    }
