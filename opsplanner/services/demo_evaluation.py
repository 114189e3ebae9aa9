"""The demo's evaluation set-up: every demo operation gets its questionnaire (version 1, the
defaults), so that the configuration page and, once an operation reaches its evaluation phase,
the answer forms have something to show. Answers are added where an operation needs them (the
archived demo operation adds its own)."""

from __future__ import annotations

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Operation, Questionnaire, User
from opsplanner.services.evaluation import ensure_questionnaire


def add_demo_evaluation(organiser: User | None = None) -> dict[str, int]:
    """A default questionnaire for every operation that has none yet; the caller commits."""
    has_one = select(Questionnaire.operation_id)
    missing = db.session.scalars(
        select(Operation).where(Operation.id.not_in(has_one)).order_by(Operation.id)
    ).all()
    for op in missing:
        ensure_questionnaire(op, organiser)
    db.session.flush()
    return {"questionnaires": len(missing)}


def add_demo_checklists(organiser: User | None = None) -> dict[str, int]:
    """Scoreboard checklist answers for last year's reporting operation, so that its
    scoreboard shows coordinators' answers next to what the data suggest. Idempotent."""
    from opsplanner.services.demo_results import DEMO_RESULTS_OPERATION
    from opsplanner.services.scoreboard import seed_demo_checklist

    op = db.session.scalar(select(Operation).where(Operation.code_name == DEMO_RESULTS_OPERATION))
    if op is None:
        return {"checklist_items": 0}
    return {"checklist_items": seed_demo_checklist(op, organiser)}
