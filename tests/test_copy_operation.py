"""Starting a new operation from a previous one's set-up: what is copied (priorities, invited
countries with their networks, the newest questionnaire, the press template, guidelines,
description, secure channel), what is not (results, briefings, activities, answers, phase),
the schedule rules per field, organisers only, and from an archived operation too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    Activity,
    AuditEvent,
    Briefing,
    CountryReport,
    EvaluationResponse,
    Operation,
    OperationPhase,
    OrganisingAgency,
    ParticipationStatus,
    PressTemplate,
    Priority,
    PriorityKind,
    Questionnaire,
    RecordSource,
    ResponseStatus,
    Seizure,
)
from opsplanner.services import operations as ops
from opsplanner.services import reports, seizures
from opsplanner.services.copy_operation import copy_operation
from opsplanner.services.errors import DomainError
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse
from tests.conftest import csrf_token, field_errors, seizure_row, signed_in

NEW = {
    "code_name": "Operation Test Shield II",
    "organising_agency": "INTERPOL",
    "window_start": "2028-02-01",
    "window_end": "2028-02-14",
    "world_wildlife_day": "2028-03-03",
    "reporting_deadline": "2028-02-24T23:59",
    "embargo_until": "2028-03-03T09:00",
    "secure_channel": "CENcomm CUG TEST",
    "description": "Second round",
}


def new_input(**overrides: Any) -> ops.OperationInput:
    values = {
        "code_name": "Operation Test Shield II",
        "organising_agency": OrganisingAgency.INTERPOL,
        "window_start": datetime(2028, 2, 1).date(),
        "window_end": datetime(2028, 2, 14).date(),
        "world_wildlife_day": datetime(2028, 3, 3).date(),
        "reporting_deadline": datetime(2028, 2, 24, 23, 59, tzinfo=UTC),
        "embargo_until": datetime(2028, 3, 3, 9, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return ops.OperationInput(**values)


@pytest.fixture
def source(reporting, users):
    """Operation Test Shield with everything a set-up has, and results, answers and more that
    a copy must leave behind; archived."""
    op = reporting
    op.guidelines = "Report every seizure within 48 hours."
    op.description = "The first round"
    op.timezone = "Asia/Bangkok"
    prio = op.priorities[0]
    prio.description = "Raw and worked ivory"
    prio.origin_codes, prio.transit_codes = ["KEN", "002"], ["ARE"]
    prio.destination_codes, prio.conveyances = ["VNM"], ["air_cargo", "mail"]
    db.session.add(
        Priority(
            operation=op,
            rank=3,
            kind=PriorityKind.TRADE_ROUTE,
            title="Horn of Africa to Asia",
            origin_codes=["ETH"],
            destination_codes=["142"],
        )
    )
    part = {p.country_iso3: p for p in op.participations}
    part["UGA"].status = ParticipationStatus.DECLINED
    part["FRA"].status = ParticipationStatus.WITHDRAWN
    part["THA"].guidelines_acknowledged_at = datetime(2027, 1, 20, tzinfo=UTC)
    old = Questionnaire(
        operation_id=op.id, version=1, intro="Old", dimensions=[{"code": "a", "label": "A"}]
    )
    newest = Questionnaire(
        operation_id=op.id,
        version=2,
        intro="How did it go?",
        scale_max=4,
        dimensions=[{"code": "briefings", "label": "Usefulness of the briefings"}],
        challenges=[{"code": "corruption", "label": "Corruption"}],
        questions=[{"code": "lessons", "label": "Lessons learned"}],
        frozen_at=datetime(2027, 3, 10, tzinfo=UTC),
    )
    db.session.add_all([old, newest])
    db.session.flush()
    db.session.add(
        EvaluationResponse(
            operation_id=op.id,
            questionnaire_id=newest.id,
            participation_id=part["THA"].id,
            status=ResponseStatus.SUBMITTED,
            ratings={"briefings": 4},
        )
    )
    db.session.add(PressTemplate(operation_id=op.id, body="# {{operation}}", version=3))
    data, errors = parse(seizure_row(), Catalog.load(op))
    seizures.create(Scope(users["organiser"]), part["THA"], data, errors, source=RecordSource.FORM)
    reports.transition(Scope(users["organiser"]), part["THA"], "submit")
    db.session.add(
        Briefing(
            operation=op,
            title="Kick-off",
            ical_uid="kick-off@test",
            starts_at=datetime(2027, 1, 25, 9, tzinfo=UTC),
            duration_minutes=60,
            timezone="UTC",
        )
    )
    op.phase = OperationPhase.ARCHIVED
    db.session.commit()
    return op


def priority_fields(p: Priority) -> tuple[Any, ...]:
    return (
        p.rank,
        p.kind,
        p.title,
        p.description,
        p.commodity,
        p.origin_codes,
        p.transit_codes,
        p.destination_codes,
        p.conveyances,
    )


def test_the_set_up_is_copied_and_nothing_else(app, source, users):
    copy = copy_operation(source, new_input(), users["organiser"])
    db.session.commit()
    assert copy.id != source.id
    assert (copy.code_name, copy.phase) == ("Operation Test Shield II", OperationPhase.DRAFT)
    assert copy.window_start.isoformat() == "2028-02-01"
    assert (copy.guidelines, copy.description, copy.secure_channel, copy.timezone) == (
        source.guidelines,
        source.description,
        source.secure_channel,
        source.timezone,
    )
    # priorities: every field, same ranks, new rows
    assert [priority_fields(p) for p in copy.priorities] == [
        priority_fields(p) for p in source.priorities
    ]
    assert not {p.id for p in copy.priorities} & {p.id for p in source.priorities}
    # every country invited again, with its coordinating network
    copied = {p.country_iso3: p for p in copy.participations}
    assert {iso3: p.network_id for iso3, p in copied.items()} == {
        p.country_iso3: p.network_id for p in source.participations
    }
    assert {p.status for p in copied.values()} == {ParticipationStatus.INVITED}
    assert all(p.guidelines_acknowledged_at is None for p in copied.values())
    # the newest questionnaire, as version 1 and open for changes
    [q] = db.session.scalars(select(Questionnaire).where(Questionnaire.operation_id == copy.id))
    assert (q.version, q.frozen_at, q.intro, q.scale_max) == (1, None, "How did it go?", 4)
    assert q.dimensions == [{"code": "briefings", "label": "Usefulness of the briefings"}]
    assert q.challenges == [{"code": "corruption", "label": "Corruption"}]
    assert q.questions == [{"code": "lessons", "label": "Lessons learned"}]
    press = db.session.get(PressTemplate, copy.id)
    assert (press.body, press.version) == ("# {{operation}}", 1)

    def count(model: Any, *where: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    copied_ids = [p.id for p in copy.participations]
    assert count(Seizure, Seizure.participation_id.in_(copied_ids)) == 0
    assert count(CountryReport, CountryReport.participation_id.in_(copied_ids)) == 0
    assert count(Activity, Activity.participation_id.in_(copied_ids)) == 0
    assert count(Briefing, Briefing.operation_id == copy.id) == 0
    assert count(EvaluationResponse, EvaluationResponse.operation_id == copy.id) == 0
    assert copy.phase_changes == [] and copy.evaluation_deadline is None
    # the source is untouched
    assert source.phase is OperationPhase.ARCHIVED
    assert count(Questionnaire, Questionnaire.operation_id == source.id) == 2
    # audited, naming the source
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "operation.copy"))
    assert (event.object_id, event.operation_id) == (str(copy.id), copy.id)
    assert event.after["source"] == source.id
    assert event.after["questionnaire_version"] == 2
    assert sorted(event.after["countries"]) == sorted(copied)


def test_a_source_without_questionnaire_or_template_copies_without_them(app, operation, users):
    copy = copy_operation(operation, new_input(), users["organiser"])
    db.session.commit()
    assert (
        db.session.scalar(select(Questionnaire).where(Questionnaire.operation_id == copy.id))
        is None
    )
    assert db.session.get(PressTemplate, copy.id) is None
    assert len(copy.participations) == len(operation.participations)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"window_end": datetime(2028, 3, 10).date()}, "window_end"),
        ({"window_start": datetime(2028, 2, 20).date()}, "window_end"),
        ({"reporting_deadline": datetime(2028, 2, 10, tzinfo=UTC)}, "reporting_deadline"),
        ({"embargo_until": datetime(2028, 3, 1, tzinfo=UTC)}, "embargo_until"),
        ({"code_name": "operation test shield"}, "code_name"),
    ],
)
def test_the_new_schedule_and_name_are_checked(app, source, users, overrides, field):
    before = db.session.scalar(select(func.count(Operation.id)))
    with pytest.raises(DomainError) as refused:
        copy_operation(source, new_input(**overrides), users["organiser"])
    db.session.rollback()
    assert refused.value.field == field
    assert db.session.scalar(select(func.count(Operation.id))) == before


def test_the_organiser_copies_from_the_page(app, source, users):
    organiser = signed_in(app, "organiser@test.example")
    page = organiser.get(f"/operations/{source.id}").get_data(as_text=True)
    assert f"/operations/{source.id}/copy" in page
    form = organiser.get(f"/operations/{source.id}/copy")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert source.secure_channel in html and source.description in html
    token = csrf_token(organiser, f"/operations/{source.id}/copy")
    response = organiser.post(f"/operations/{source.id}/copy", data={**NEW, "csrf_token": token})
    assert response.status_code == 302
    copy = db.session.scalar(select(Operation).where(Operation.code_name == NEW["code_name"]))
    assert response.headers["Location"].endswith(f"/operations/{copy.id}")
    assert copy.description == "Second round"  # as typed in the form
    assert len(copy.priorities) == len(source.priorities)


@pytest.mark.parametrize(
    "field, value",
    [
        ("window_end", "2028-03-10"),
        ("reporting_deadline", "2028-02-10T10:00"),
        ("embargo_until", "2028-03-01T09:00"),
        ("code_name", ""),
        ("code_name", "Operation <b>"),
    ],
)
def test_the_form_shows_the_error_on_its_field(app, source, users, field, value):
    organiser = signed_in(app, "organiser@test.example")
    before = db.session.scalar(select(func.count(Operation.id)))
    token = csrf_token(organiser, f"/operations/{source.id}/copy")
    response = organiser.post(
        f"/operations/{source.id}/copy", data={**NEW, field: value, "csrf_token": token}
    )
    assert response.status_code == 200
    assert field in field_errors(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count(Operation.id))) == before


def test_a_taken_code_name_is_refused_on_the_page(app, source, users):
    organiser = signed_in(app, "organiser@test.example")
    token = csrf_token(organiser, f"/operations/{source.id}/copy")
    response = organiser.post(
        f"/operations/{source.id}/copy",
        data={**NEW, "code_name": source.code_name, "csrf_token": token},
    )
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True))["code_name"] == [
        "an operation with this code name already exists"
    ]


@pytest.mark.parametrize("role", ["coord_asean", "fp_tha", "comms"])
def test_only_organisers_copy(app, source, users, role):
    client = signed_in(app, f"{role}@test.example")
    assert client.get(f"/operations/{source.id}/copy").status_code == 404
    token = csrf_token(client, "/account/")
    response = client.post(f"/operations/{source.id}/copy", data={**NEW, "csrf_token": token})
    assert response.status_code == 404
    assert (
        db.session.scalar(select(Operation).where(Operation.code_name == NEW["code_name"])) is None
    )
    page = client.get(f"/operations/{source.id}").get_data(as_text=True)
    assert "Start a new operation from this set-up" not in page


def test_a_copy_of_a_copy_is_independent(app, source, users):
    first = copy_operation(source, new_input(), users["organiser"])
    db.session.commit()
    first.priorities[0].title = "Changed in the copy"
    db.session.commit()
    assert source.priorities[0].title == "Ivory"
    second = copy_operation(
        first, new_input(code_name="Operation Test Shield III"), users["organiser"]
    )
    db.session.commit()
    assert second.priorities[0].title == "Changed in the copy"
    assert {p.country_iso3 for p in second.participations} == {
        p.country_iso3 for p in source.participations
    }
