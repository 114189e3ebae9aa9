"""A focal point answers the evaluation in the browser: opens the form from the operation's
Evaluation tab, rates the dimensions, ticks challenges, writes lessons learned, saves a draft,
submits and finds the answers locked; the organiser then sees them counted in the report.

The operation (in its evaluation phase, Thailand confirmed without a coordinating network) and
the two accounts are created in the served database, next to the demo's.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    EvaluationResponse,
    OperationPhase,
    OrganisingAgency,
    ParticipationStatus,
    ResponseStatus,
    Role,
)
from opsplanner.services import accounts, evaluation
from opsplanner.services import operations as ops
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

OPERATION = "Operation Evaluation Shield"
FOCAL = ("focal.tha@evaluation.example.org", "Kanya Focal Point")
ORGANISER = ("organiser@evaluation.example.org", "Eva Organiser")
PASSWORD = "evaluation-shield-2027"
LESSON = "Joint customs and police teams at the airport found more."


@pytest.fixture
def operation_id(live_server: LiveServer) -> int:
    def create() -> int:
        organiser = accounts.create_user(
            email=ORGANISER[0], name=ORGANISER[1], role=Role.ORGANISER, password=PASSWORD
        )
        accounts.create_user(
            email=FOCAL[0],
            name=FOCAL[1],
            role=Role.FOCAL_POINT,
            country_iso3="THA",
            password=PASSWORD,
        )
        op = ops.create_operation(
            ops.OperationInput(
                code_name=OPERATION,
                organising_agency=OrganisingAgency.WCO,
                window_start=date(2027, 2, 1),
                window_end=date(2027, 2, 14),
                world_wildlife_day=date(2027, 3, 3),
                reporting_deadline=datetime(2027, 2, 24, 23, 59, tzinfo=UTC),
                embargo_until=datetime(2027, 3, 3, 9, 0, tzinfo=UTC),
            ),
            by=organiser,
        )
        p = ops.invite_country(op, db.session.get(Country, "THA"), None, by=organiser)
        p.status = ParticipationStatus.CONFIRMED
        op.phase = OperationPhase.EVALUATION
        db.session.flush()
        evaluation.ensure_questionnaire(op, organiser)
        db.session.commit()
        return op.id

    return live_server.query(create)


def sign_in(page: Page, email: str, name: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator(".who")).to_contain_text(name)


def thailand_response(live_server: LiveServer) -> tuple[str, dict, list[str], dict] | None:
    def read() -> tuple[str, dict, list[str], dict] | None:
        r = db.session.scalar(
            select(EvaluationResponse)
            .join(EvaluationResponse.operation)
            .where(EvaluationResponse.operation.has(code_name=OPERATION))
        )
        if r is None:
            return None
        return (r.status.value, dict(r.ratings), list(r.challenges), dict(r.answers))

    return live_server.query(read)


def test_a_focal_point_answers_and_the_organiser_sees_it_counted(
    page: Page, live_server: LiveServer, operation_id: int
):
    sign_in(page, *FOCAL)
    page.goto(f"/operations/{operation_id}")
    page.locator("nav.subnav").get_by_role("link", name="Evaluation").click()
    expect(page).to_have_url(re.compile(rf"/operations/{operation_id}/evaluation/countries/THA$"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Evaluation by Thailand")
    expect(page.locator("#status-badge")).to_have_text("not started")

    # every dimension rated, one not applicable
    ratings = {}
    for i, (code, label) in enumerate(evaluation.DEFAULT_DIMENSIONS):
        value = "na" if code == "live_animals" else str(1 + i % 5)
        page.get_by_label(str(label), exact=True).select_option(value)
        ratings[code] = None if value == "na" else int(value)
    page.get_by_label("Corruption", exact=True).check()
    page.get_by_label("Online trade", exact=True).check()
    page.get_by_label("Lessons learned").fill(LESSON)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_contain_text("Draft saved")
    expect(page.locator("#status-badge")).to_have_text("draft")
    # the draft comes back as saved
    expect(page.get_by_label("Usefulness of the briefings and guidelines")).to_have_value("1")
    expect(page.get_by_label("Corruption", exact=True)).to_be_checked()
    assert thailand_response(live_server) == (
        "draft",
        ratings,
        ["corruption", "online_trade"],
        {"lessons": LESSON},
    )

    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator(".flash-success")).to_contain_text("Answers submitted")
    expect(page.locator("#status-badge")).to_have_text("submitted")
    expect(page.locator("#lock-reason")).to_contain_text("locked")
    expect(page.get_by_role("button", name="Submit answers")).to_have_count(0)
    expect(page.get_by_label("Lessons learned")).to_be_disabled()
    assert thailand_response(live_server)[0] == ResponseStatus.SUBMITTED.value

    # the organiser sees the answers counted in the report
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, *ORGANISER)
    page.goto(f"/operations/{operation_id}/evaluation/report")
    expect(page.locator("#report-responded")).to_have_text("1")
    expect(page.locator("#report-expected")).to_have_text("1")
    row = page.locator('#dist-overall tr[data-code="briefings"] td')
    expect(row.nth(0)).to_have_text("1")  # one respondent rated it 1
    expect(page.locator('#dist-overall tr[data-code="live_animals"] td').nth(5)).to_have_text("1")
    expect(page.locator('#challenges-table tr[data-code="corruption"] .count')).to_have_text("1")
    expect(page.locator("#summary-questions")).to_contain_text(LESSON)
    expect(page.locator("#ratings-chart .main-svg").first).to_be_visible()
    page.goto(f"/operations/{operation_id}/evaluation/responses")
    expect(page.locator("#total-responded")).to_have_text("1")
