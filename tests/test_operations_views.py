"""The operation pages: the set-up form and its schedule rules, drafts, the agency rotation,
inviting countries and a focal point's answer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    Network,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
)
from opsplanner.services import operations as ops
from tests.conftest import csrf_token, field_errors, location_path, post_form, signed_in

VALID = {
    "code_name": "Operation Thunder Test",
    "organising_agency": "INTERPOL",
    "window_start": "2028-02-01",
    "window_end": "2028-02-14",
    "world_wildlife_day": "2028-03-03",
    "reporting_deadline": "2028-02-24T23:59",
    "embargo_until": "2028-03-03T09:00",
    "secure_channel": "CENcomm CUG THUNDER",
    "description": "Reptiles and birds on air routes.",
}
END_BEFORE_START = "the window must end on or after its start"
END_BEFORE_WWD = "the window must end before World Wildlife Day"
DEADLINE = "the reporting deadline must fall between the end of the window and World Wildlife Day"
EMBARGO = "the embargo must not end before World Wildlife Day"
SELECTED_AGENCY = re.compile(r'<option selected value="(\w+)">')


def fresh() -> None:
    db.session.commit()  # end the test's transaction: see what the requests committed


def operation_count() -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(Operation))


def participation(op_id: int, iso3: str) -> Participation | None:
    fresh()
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op_id, Participation.country_iso3 == iso3
        )
    )


@pytest.fixture
def organiser(app, users):
    return signed_in(app, "organiser@test.example")


# -- the operation form -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, errors",
    [
        (
            {"window_start": "2028-02-10", "window_end": "2028-02-05"},
            {"window_end": [END_BEFORE_START]},
        ),
        (
            {"window_end": "2028-03-03", "reporting_deadline": "2028-03-03T10:00"},
            {"window_end": [END_BEFORE_WWD]},
        ),
        ({"reporting_deadline": "2028-02-13T23:59"}, {"reporting_deadline": [DEADLINE]}),
        ({"reporting_deadline": "2028-03-04T00:00"}, {"reporting_deadline": [DEADLINE]}),
        ({"embargo_until": "2028-03-02T23:59"}, {"embargo_until": [EMBARGO]}),
        # every broken rule is reported at once, each on its own field
        (
            {"window_end": "2028-03-10", "embargo_until": "2028-03-01T09:00"},
            {
                "window_end": [END_BEFORE_WWD],
                "reporting_deadline": [DEADLINE],
                "embargo_until": [EMBARGO],
            },
        ),
    ],
    ids=[
        "end-before-start",
        "end-on-wwd",
        "deadline-before-window-end",
        "deadline-after-wwd",
        "embargo-before-wwd",
        "several",
    ],
)
def test_schedule_rules_name_their_field(app, organiser, change, errors):
    response = post_form(organiser, "/operations/new", {**VALID, **change})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html) == errors
    for name in errors:  # the summary at the top links to the field
        assert f'<a href="#{name}">' in html
    assert operation_count() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"reporting_deadline": "2028-02-14T00:00"},  # on the last day of the window
        {"reporting_deadline": "2028-03-03T08:00"},  # on World Wildlife Day
        {"embargo_until": "2028-03-03T00:00"},  # lifts on World Wildlife Day itself
        {"window_start": "2028-02-14"},  # a one-day window
    ],
)
def test_schedule_boundaries_are_accepted(app, organiser, change):
    response = post_form(organiser, "/operations/new", {**VALID, **change})
    assert response.status_code == 302
    assert operation_count() == 1


def test_required_fields_and_formats_name_their_field(app, organiser):
    data = {**VALID, "code_name": "", "window_start": "01/02/2028", "embargo_until": ""}
    response = post_form(organiser, "/operations/new", data)
    assert response.status_code == 200
    assert set(field_errors(response.get_data(as_text=True))) == {
        "code_name",
        "window_start",
        "embargo_until",
    }
    assert operation_count() == 0


def test_a_valid_form_creates_a_draft_and_redirects(app, organiser, users):
    response = post_form(organiser, "/operations/new", VALID)
    assert response.status_code == 302
    fresh()
    op = db.session.scalar(select(Operation))
    assert location_path(response) == f"/operations/{op.id}"
    assert op.phase is OperationPhase.DRAFT
    assert op.organising_agency is OrganisingAgency.INTERPOL
    assert (op.window_start, op.window_end) == (date(2028, 2, 1), date(2028, 2, 14))
    assert op.reporting_deadline == datetime(2028, 2, 24, 23, 59, tzinfo=UTC)
    assert op.embargo_until == datetime(2028, 3, 3, 9, 0, tzinfo=UTC)
    assert op.secure_channel == "CENcomm CUG THUNDER"
    page = organiser.get(location_path(response)).get_data(as_text=True)
    assert "Operation Thunder Test created." in page
    assert 'badge-draft">draft</span>' in page


def test_a_duplicate_code_name_is_refused_on_its_field(app, organiser, operation):
    data = {**VALID, "code_name": operation.code_name.lower()}
    response = post_form(organiser, "/operations/new", data)
    assert response.status_code == 200
    assert list(field_errors(response.get_data(as_text=True))) == ["code_name"]
    assert operation_count() == 1


# -- drafts -------------------------------------------------------------------------------------
def test_drafts_are_invisible_to_everyone_but_organisers(app, organiser, users):
    assert post_form(organiser, "/operations/new", VALID).status_code == 302
    fresh()
    op = db.session.scalar(select(Operation))
    for iso3 in ("THA", "KEN"):
        response = post_form(
            organiser,
            f"/operations/{op.id}/participations",
            {"country": iso3, "network": ""},
            form_url=f"/operations/{op.id}",
        )
        assert response.status_code == 302
    assert participation(op.id, "THA") is not None
    assert VALID["code_name"] in organiser.get("/operations/").get_data(as_text=True)

    for role in ("fp_tha", "fp_ken", "coord_asean", "coord_latf", "comms"):
        client = signed_in(app, f"{role}@test.example")
        for url in ("/home", "/operations/"):
            assert VALID["code_name"] not in client.get(url).get_data(as_text=True), (role, url)
        assert client.get(f"/operations/{op.id}").status_code == 404, role
        assert client.get(f"/operations/{op.id}/participations/THA").status_code == 404, role
        assert client.get(f"/operations/{op.id}/participations/KEN").status_code == 404, role

    # once planning opens, the invited countries see it
    op.phase = OperationPhase.PLANNING
    db.session.commit()
    fp_tha = signed_in(app, "fp_tha@test.example")
    assert VALID["code_name"] in fp_tha.get("/home").get_data(as_text=True)
    assert fp_tha.get(f"/operations/{op.id}").status_code == 200


# -- the organising agency rotates ---------------------------------------------------------------
def suggested(client: Any) -> str:
    return SELECTED_AGENCY.findall(client.get("/operations/new").get_data(as_text=True))[0]


def add_operation(name: str, agency: OrganisingAgency, year: int, by: Any) -> None:
    ops.create_operation(
        ops.OperationInput(
            code_name=name,
            organising_agency=agency,
            window_start=date(year, 2, 1),
            window_end=date(year, 2, 14),
            world_wildlife_day=date(year, 3, 3),
            reporting_deadline=datetime(year, 2, 24, 23, 59, tzinfo=UTC),
            embargo_until=datetime(year, 3, 3, 9, tzinfo=UTC),
        ),
        by=by,
    )
    db.session.commit()


def test_the_suggested_agency_alternates(app, organiser, users):
    assert suggested(organiser) == "INTERPOL"
    add_operation("Operation One", OrganisingAgency.WCO, 2027, users["organiser"])
    assert suggested(organiser) == "INTERPOL"  # WCO organised the last one
    add_operation("Operation Two", OrganisingAgency.INTERPOL, 2028, users["organiser"])
    assert suggested(organiser) == "WCO"
    # "last" means the latest window, not the latest record
    add_operation("Operation Zero", OrganisingAgency.WCO, 2020, users["organiser"])
    assert suggested(organiser) == "WCO"
    # a suggestion only: the organiser may choose otherwise
    data = {**VALID, "code_name": "Operation Three", "organising_agency": "INTERPOL"}
    assert post_form(organiser, "/operations/new", data).status_code == 302
    fresh()
    op = db.session.scalar(select(Operation).where(Operation.code_name == "Operation Three"))
    assert op.organising_agency is OrganisingAgency.INTERPOL


# -- inviting countries ---------------------------------------------------------------------------
def invite(client: Any, op_id: int, country: str, network: str = "") -> Any:
    return post_form(
        client,
        f"/operations/{op_id}/participations",
        {"country": country, "network": network},
        form_url=f"/operations/{op_id}",
    )


def test_invite_a_country_from_the_operation_page(app, organiser, operation):
    page = organiser.get(f"/operations/{operation.id}").get_data(as_text=True)
    assert f'action="/operations/{operation.id}/participations"' in page
    asean = db.session.scalar(select(Network.id).where(Network.acronym == "ASEAN-WEN"))
    response = invite(organiser, operation.id, "MYS", str(asean))
    assert response.status_code == 302
    assert location_path(response) == f"/operations/{operation.id}"
    p = participation(operation.id, "MYS")
    assert (p.status, p.network.acronym) == (ParticipationStatus.INVITED, "ASEAN-WEN")
    page = organiser.get(f"/operations/{operation.id}").get_data(as_text=True)
    assert "Malaysia invited." in page
    assert re.search(r"<td>MYS</td>\s*<td><a [^>]*>Malaysia</a></td>", page)


@pytest.mark.parametrize(
    "country, message",
    [("THA", "is already enrolled in"), ("ZZZ", "Country: Not a valid choice")],
)
def test_a_refused_invitation_says_why(app, organiser, operation, country, message):
    fresh()
    before = db.session.scalar(select(func.count()).select_from(Participation))
    response = invite(organiser, operation.id, country)
    assert response.status_code == 302
    page = organiser.get(location_path(response)).get_data(as_text=True)
    assert message in page
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Participation)) == before


def test_a_published_operation_takes_no_new_countries(app, organiser, operation):
    operation.phase = OperationPhase.PUBLISHED
    db.session.commit()
    response = invite(organiser, operation.id, "MYS")
    page = organiser.get(location_path(response)).get_data(as_text=True)
    assert "a published or archived operation takes no new countries" in page
    assert participation(operation.id, "MYS") is None


# -- a focal point answers ------------------------------------------------------------------------
def answer(client: Any, op_id: int, iso3: str, status: str, note: str = "") -> Any:
    return post_form(
        client, f"/operations/{op_id}/participations/{iso3}", {"status": status, "note": note}
    )


def test_a_focal_point_confirms_then_declines(app, users, operation):
    client = signed_in(app, "fp_tha@test.example")
    url = f"/operations/{operation.id}/participations/THA"
    page = client.get(url).get_data(as_text=True)
    assert "Answer for Thailand" in page

    response = answer(client, operation.id, "THA", "confirmed", "Customs and police")
    assert response.status_code == 302
    assert location_path(response) == url
    page = client.get(url).get_data(as_text=True)
    assert "Answer recorded for Thailand." in page
    assert '<h1>Thailand <span class="badge badge-confirmed">confirmed</span></h1>' in page
    assert "Customs and police" in page
    p = participation(operation.id, "THA")
    assert p.status is ParticipationStatus.CONFIRMED and p.responded_at is not None
    assert 'badge-confirmed">confirmed</span>' in client.get("/home").get_data(as_text=True)

    assert answer(client, operation.id, "THA", "declined").status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert '<h1>Thailand <span class="badge badge-declined">declined</span></h1>' in page
    assert participation(operation.id, "THA").status is ParticipationStatus.DECLINED


def test_a_confirmed_participation_can_be_withdrawn(app, users, operation):
    client = signed_in(app, "fp_ken@test.example")
    assert answer(client, operation.id, "KEN", "confirmed").status_code == 302
    assert answer(client, operation.id, "KEN", "withdrawn", "floods").status_code == 302
    assert participation(operation.id, "KEN").status is ParticipationStatus.WITHDRAWN


@pytest.mark.parametrize("first", [None, "declined"], ids=["invited", "declined"])
def test_withdrawing_a_participation_that_is_not_confirmed_is_refused(app, users, operation, first):
    client = signed_in(app, "fp_tha@test.example")
    if first:
        assert answer(client, operation.id, "THA", first).status_code == 302
    before = participation(operation.id, "THA")
    state = (before.status, before.responded_at)
    response = answer(client, operation.id, "THA", "withdrawn")
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True)) == {
        "status": ["only a confirmed participation can be withdrawn"]
    }
    after = participation(operation.id, "THA")
    assert (after.status, after.responded_at) == state


def test_a_closed_operation_takes_no_answers(app, users, operation):
    # (an archived one refuses earlier, with the archive's 409: tests/test_archive.py)
    operation.phase = OperationPhase.PUBLISHED
    db.session.commit()
    client = signed_in(app, "fp_tha@test.example")
    response = answer(client, operation.id, "THA", "confirmed")
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True)) == {"status": ["the operation is closed"]}
    assert participation(operation.id, "THA").status is ParticipationStatus.INVITED


def test_a_coordinator_reads_a_participation_without_the_answer_form(app, users, operation):
    client = signed_in(app, "coord_asean@test.example")
    response = client.get(f"/operations/{operation.id}/participations/THA")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Thailand" in html
    assert 'name="status"' not in html
    token = csrf_token(client, "/account/")
    refused = client.post(
        f"/operations/{operation.id}/participations/THA",
        data={"status": "confirmed", "csrf_token": token},
    )
    assert refused.status_code == 403
    assert "focal point or an organiser" in refused.get_data(as_text=True)
    assert participation(operation.id, "THA").status is ParticipationStatus.INVITED
