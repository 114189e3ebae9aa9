"""Start a new operation from a previous one's set-up.

Copied: the priorities (every field, same ranks), the invited countries with their
coordinating networks (every participation starts again as invited), the newest version of
the evaluation questionnaire (as version 1, not frozen), the press-release template, and the
guidelines, description, secure channel and time zone. The code name and the dates are new and
checked like any new operation's (``operations.create_operation``).

Nothing else: no results, reports, briefings, activities, evaluation answers, checklists,
packs or phase history. The source may be in any phase, archived included: it is only read."""

from __future__ import annotations

import copy
from dataclasses import replace

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Operation,
    Participation,
    PressTemplate,
    Priority,
    Questionnaire,
    User,
)
from opsplanner.services import audit
from opsplanner.services import operations as ops


def _priorities(source: Operation, target: Operation) -> int:
    ranked = sorted(source.priorities, key=lambda p: p.rank)
    for p in ranked:
        db.session.add(
            Priority(
                operation=target,
                rank=p.rank,
                kind=p.kind,
                title=p.title,
                description=p.description,
                commodity=p.commodity,
                origin_codes=list(p.origin_codes or []),
                transit_codes=list(p.transit_codes or []),
                destination_codes=list(p.destination_codes or []),
                conveyances=list(p.conveyances or []),
            )
        )
    return len(ranked)


def _participations(source: Operation, target: Operation, by: User) -> list[str]:
    rows = db.session.scalars(
        select(Participation)
        .where(Participation.operation_id == source.id)
        .order_by(Participation.country_iso3)
    )
    invited = []
    for p in rows:
        ops.invite_country(target, p.country, p.network, by=by)
        invited.append(p.country_iso3)
    return invited


def newest_questionnaire(op: Operation) -> Questionnaire | None:
    return db.session.scalar(
        select(Questionnaire)
        .where(Questionnaire.operation_id == op.id)
        .order_by(Questionnaire.version.desc())
        .limit(1)
    )


def _questionnaire(source: Operation, target: Operation, by: User) -> int | None:
    q = newest_questionnaire(source)
    if q is None:
        return None
    db.session.add(
        Questionnaire(
            operation_id=target.id,
            version=1,
            intro=q.intro,
            scale_max=q.scale_max,
            dimensions=copy.deepcopy(q.dimensions or []),
            challenges=copy.deepcopy(q.challenges or []),
            questions=copy.deepcopy(q.questions or []),
            created_by_id=by.id,
            frozen_at=None,
        )
    )
    return q.version


def _press_template(source: Operation, target: Operation, by: User) -> bool:
    row = db.session.scalar(select(PressTemplate).where(PressTemplate.operation_id == source.id))
    if row is None:
        return False
    db.session.add(
        PressTemplate(operation_id=target.id, body=row.body, version=1, updated_by_id=by.id)
    )
    return True


def copy_operation(source: Operation, data: ops.OperationInput, by: User) -> Operation:
    """A new draft operation named and dated by ``data``, set up like ``source``. An empty
    secure channel or description in ``data`` takes the source's. Raises the same errors as
    creating an operation (schedule, code name). The caller commits."""
    data = replace(
        data,
        secure_channel=data.secure_channel.strip() or source.secure_channel,
        description=data.description.strip() or source.description,
    )
    target = ops.create_operation(data, by=by)
    target.guidelines = source.guidelines
    target.timezone = source.timezone
    priorities = _priorities(source, target)
    countries = _participations(source, target, by)
    questionnaire = _questionnaire(source, target, by)
    press = _press_template(source, target, by)
    db.session.flush()
    audit.record(
        by,
        "operation.copy",
        "operation",
        target.id,
        after={
            "source": source.id,
            "source_code_name": source.code_name,
            "priorities": priorities,
            "countries": countries,
            "questionnaire_version": questionnaire,
            "press_template": press,
        },
        operation_id=target.id,
    )
    return target
