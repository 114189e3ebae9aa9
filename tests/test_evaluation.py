"""The evaluation questionnaire's lifecycle (configure, version, freeze, stale pages, field
errors) and the answers (who answers, when, draft/submit/lock/reopen, and who sees what)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    EvaluationResponse,
    Network,
    OperationPhase,
    Questionnaire,
    ResponseStatus,
)
from opsplanner.services import evaluation
from opsplanner.services.errors import Conflict, DomainError, Forbidden
from opsplanner.services.evaluation import AnswerInput, QuestionnaireInput
from opsplanner.services.scoping import Scope
from tests.conftest import field_errors, post_form, signed_in

RESPONDENT_ROLES = ("organiser", "coord_asean", "coord_latf", "fp_tha", "fp_ken", "comms")


@pytest.fixture
def evaluating(reporting: Any) -> Any:
    """Operation Test Shield in its evaluation phase: THA, VNM (ASEAN-WEN), KEN, UGA (LATF) and
    FRA (no network) confirmed."""
    reporting.phase = OperationPhase.EVALUATION
    db.session.commit()
    return reporting


def net_id(acronym: str) -> int:
    return db.session.scalar(select(Network.id).where(Network.acronym == acronym))


def q_url(op: Any) -> str:
    return f"/operations/{op.id}/evaluation/questionnaire"


def country_url(op: Any, iso3: str) -> str:
    return f"/operations/{op.id}/evaluation/countries/{iso3}"


def network_url(op: Any, acronym: str) -> str:
    return f"/operations/{op.id}/evaluation/networks/{net_id(acronym)}"


def lines(items: list[tuple[str, str]]) -> str:
    return "\n".join(f"{code} | {label}" for code, label in items)


def q_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "intro": "Tell us how it went.",
        "scale_max": "5",
        "dimensions": lines([("briefings", "Briefings"), ("cooperation", "Cooperation")]),
        "challenges": lines([("corruption", "Corruption"), ("online_trade", "Online trade")]),
        "questions": lines([("lessons", "Lessons learned")]),
        "version": "0",
    }
    return {**data, **overrides}


def full_answers(**overrides: Any) -> dict[str, Any]:
    """Answers to the default questionnaire: every dimension rated or N/A."""
    data: dict[str, Any] = {code: "4" for code, _ in evaluation.DEFAULT_DIMENSIONS}
    data = {f"rating_{code}": v for code, v in data.items()}
    data["rating_live_animals"] = "na"
    data.update(
        {
            "challenges": ["corruption", "online_trade"],
            "challenges_other": "Fuel shortages",
            "answer_lessons": "Joint airport teams worked.",
            "answer_capacity": "Forensic training",
            "answer_other": "",
            "version": "0",
            "save": "Save draft",
        }
    )
    data.update(overrides)
    return data


def committed(model: Any, *where: Any) -> Any:
    db.session.commit()  # a fresh snapshot: what the requests committed
    return db.session.scalars(select(model).where(*where)).all()


def events(action: str) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


# -- the questionnaire ---------------------------------------------------------------------------
def test_the_defaults_cover_the_dimensions_challenges_and_questions_the_field_asked_for(app):
    data = QuestionnaireInput.defaults()
    assert not evaluation.check_questionnaire(data)
    assert len(data.dimensions) == 10 and data.scale_max == 5
    labels = " ".join(d["label"] for d in data.dimensions).lower()
    for word in (
        "briefings",
        "priorities",
        "communication",
        "inter-agency",
        "cross-border",
        "prosecutors",
        "species",
        "forensic",
        "live animals",
        "resources",
    ):
        assert word in labels
    codes = {c["code"] for c in data.challenges}
    assert {"corruption", "rivalry", "legislation", "online_trade", "resources"} <= codes
    assert [x["code"] for x in data.questions] == ["lessons", "capacity", "other"]


def test_ensure_questionnaire_makes_version_one_once(app, operation, users):
    first = evaluation.ensure_questionnaire(operation, users["organiser"])
    db.session.commit()
    again = evaluation.ensure_questionnaire(operation)
    assert again.id == first.id and first.version == 1
    assert first.dimensions == evaluation.default_items("dimensions")
    assert db.session.scalar(select(func.count(Questionnaire.id))) == 1


def test_the_organiser_configures_and_every_change_is_a_new_version(app, operation, users):
    client = signed_in(app, "organiser@test.example")
    page = client.get(q_url(operation)).get_data(as_text=True)
    assert "briefings | Usefulness of the briefings and guidelines" in page  # the defaults

    response = post_form(client, q_url(operation), q_form())
    assert response.status_code == 302
    [v1] = committed(Questionnaire, Questionnaire.operation_id == operation.id)
    assert v1.version == 1 and v1.scale_max == 5
    assert [d["code"] for d in v1.dimensions] == ["briefings", "cooperation"]

    # reword a dimension, add a challenge, a line without a code gets one from its text
    reworded = q_form(
        version="1",
        dimensions=lines([("briefings", "Usefulness of the briefings"), ("cooperation", "Coop")]),
        challenges=lines([("corruption", "Corruption")]) + "\nLanguage barriers",
        scale_max="7",
    )
    assert post_form(client, q_url(operation), reworded).status_code == 302
    current = evaluation.current_questionnaire(operation)
    db.session.refresh(current)
    assert current.version == 2 and current.scale_max == 7
    assert current.challenges == [
        {"code": "corruption", "label": "Corruption"},
        {"code": "language_barriers", "label": "Language barriers"},
    ]
    assert [v.version for v in evaluation.versions(operation)] == [2, 1]

    # saving the same content again makes no version
    assert post_form(client, q_url(operation), {**reworded, "version": "2"}).status_code == 302
    assert [v.version for v in evaluation.versions(operation)] == [2, 1]
    assert events("evaluation.questionnaire") == 2


def test_a_stale_page_is_a_conflict(app, operation):
    client = signed_in(app, "organiser@test.example")
    assert post_form(client, q_url(operation), q_form()).status_code == 302
    stale = post_form(client, q_url(operation), q_form(intro="Changed", version="0"))
    assert stale.status_code == 409
    assert "changed by someone else" in stale.get_data(as_text=True)
    assert [v.version for v in evaluation.versions(operation)] == [1]


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"dimensions": ""}, "dimensions", "at least one dimension"),
        (
            {"dimensions": lines([("briefings", "A"), ("briefings", "B")])},
            "dimensions",
            "used twice",
        ),
        ({"challenges": "corruption |   "}, "challenges", "has no text"),
        ({"questions": "Bad Code | Text"}, "questions", "not valid"),
        ({"scale_max": "11"}, "scale_max", "between 3 and 10"),
        ({"scale_max": "2"}, "scale_max", "between 3 and 10"),
    ],
)
def test_every_error_names_its_field(app, operation, overrides, field, words):
    client = signed_in(app, "organiser@test.example")
    response = post_form(client, q_url(operation), q_form(**overrides))
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert field in errors, errors
    assert any(words in e for e in errors[field]), errors[field]
    assert evaluation.current_questionnaire(operation) is None


def test_the_service_checks_as_the_form_does(app, operation, users):
    bad = QuestionnaireInput(scale_max=5, dimensions=[{"code": "x", "label": ""}])
    with pytest.raises(DomainError) as err:
        evaluation.save_questionnaire(operation, bad, 0, users["organiser"])
    assert err.value.field == "dimensions"


def test_the_first_answer_freezes_the_questionnaire(app, evaluating, users):
    op = evaluating
    client = signed_in(app, "organiser@test.example")
    assert post_form(client, q_url(op), q_form()).status_code == 302
    fp = signed_in(app, "fp_tha@test.example")
    answers = {
        "rating_briefings": "3",
        "rating_cooperation": "",
        "challenges": ["corruption"],
        "version": "0",
        "save": "Save draft",
    }
    assert post_form(fp, country_url(op, "THA"), answers).status_code == 302
    [q] = committed(Questionnaire, Questionnaire.operation_id == op.id)
    assert q.frozen_at is not None
    assert events("evaluation.questionnaire_frozen") == 1

    refused = post_form(client, q_url(op), q_form(intro="New intro", version="1"))
    assert refused.status_code == 409
    assert "frozen" in refused.get_data(as_text=True)
    page = client.get(q_url(op)).get_data(as_text=True)
    assert 'id="frozen"' in page and 'id="questionnaire-form"' not in page
    with pytest.raises(Conflict, match="frozen"):
        evaluation.save_questionnaire(op, QuestionnaireInput.defaults(), 1, users["organiser"])
    assert [v.version for v in evaluation.versions(op)] == [1]


def test_the_deadline_is_set_on_the_questionnaire_page(app, evaluating):
    client = signed_in(app, "organiser@test.example")
    url = f"/operations/{evaluating.id}/evaluation/deadline"
    response = post_form(
        client, url, {"deadline-evaluation_deadline": "2027-04-01T12:00"}, q_url(evaluating)
    )
    assert response.status_code == 302
    db.session.refresh(evaluating)
    assert evaluating.evaluation_deadline.isoformat() == "2027-04-01T12:00:00+00:00"
    assert "2027-04-01 12:00" in client.get(q_url(evaluating)).get_data(as_text=True)


# -- answering -------------------------------------------------------------------------------------
def test_a_focal_point_saves_a_draft_submits_and_is_locked_until_reopened(app, evaluating, users):
    op = evaluating
    fp = signed_in(app, "fp_tha@test.example")
    page = fp.get(country_url(op, "THA"))
    assert page.status_code == 200
    assert "Evaluation by Thailand" in page.get_data(as_text=True)

    # a draft may leave ratings empty
    draft = full_answers(rating_resources="")
    assert post_form(fp, country_url(op, "THA"), draft).status_code == 302
    [r] = committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)
    assert r.status is ResponseStatus.DRAFT
    assert "resources" not in r.ratings and r.ratings["live_animals"] is None
    assert r.ratings["briefings"] == 4
    assert r.challenges == ["corruption", "online_trade"]
    assert r.answers == {"lessons": "Joint airport teams worked.", "capacity": "Forensic training"}

    # a submission must rate every dimension: the error is next to the field
    missing = full_answers(rating_resources="", version=str(r.version), submit="Submit answers")
    del missing["save"]
    response = post_form(fp, country_url(op, "THA"), missing)
    assert response.status_code == 422
    assert "rating_resources" in field_errors(response.get_data(as_text=True))

    complete = full_answers(version=str(r.version), submit="Submit answers")
    del complete["save"]
    assert post_form(fp, country_url(op, "THA"), complete).status_code == 302
    [r] = committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)
    assert r.status is ResponseStatus.SUBMITTED and r.submitted_at is not None

    locked = fp.get(country_url(op, "THA")).get_data(as_text=True)
    assert 'id="lock-reason"' in locked and "submitted" in locked
    again = post_form(fp, country_url(op, "THA"), full_answers(version=str(r.version)))
    assert again.status_code == 422
    with pytest.raises(Conflict, match="locked"):
        s = Scope(users["fp_tha"])
        evaluation.save_answers(s, op, evaluation.respondent_of(r), AnswerInput(), r.version)
    db.session.rollback()

    # the organiser reopens (audited); the focal point can change the answers again
    organiser = signed_in(app, "organiser@test.example")
    reopen = f"/operations/{op.id}/evaluation/responses/{r.id}/reopen"
    response = post_form(organiser, reopen, {"reason": "Wrong rating"}, country_url(op, "THA"))
    assert response.status_code == 302
    [r] = committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)
    assert r.status is ResponseStatus.DRAFT and r.submitted_at is None
    assert events("evaluation.reopen") == 1
    assert (
        post_form(
            fp, country_url(op, "THA"), full_answers(version=str(r.version), rating_briefings="2")
        ).status_code
        == 302
    )
    [r] = committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)
    assert r.ratings["briefings"] == 2


def test_a_stale_answer_page_is_a_conflict(app, evaluating):
    op = evaluating
    fp = signed_in(app, "fp_tha@test.example")
    assert post_form(fp, country_url(op, "THA"), full_answers()).status_code == 302
    stale = post_form(fp, country_url(op, "THA"), full_answers(rating_briefings="1"))
    assert stale.status_code == 409
    [r] = committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)
    assert r.ratings["briefings"] == 4


def test_the_service_names_the_field_of_every_wrong_answer(app, evaluating, users):
    op = evaluating
    s = Scope(users["fp_tha"])
    thailand = evaluation.country_respondent_or_404(s, op.id, "THA")
    evaluation.ensure_questionnaire(op)
    cases = [
        (AnswerInput(ratings={"briefings": 6}), "rating_briefings"),
        (AnswerInput(ratings={"briefings": 0}), "rating_briefings"),
        (AnswerInput(ratings={"nonsense": 3}), "rating_nonsense"),
        (AnswerInput(challenges=["not_a_challenge"]), "challenges"),
        (AnswerInput(challenges_other="x" * 1001), "challenges_other"),
        (AnswerInput(answers={"lessons": "x" * 5001}), "answer_lessons"),
    ]
    for data, field in cases:
        with pytest.raises(DomainError) as err:
            evaluation.save_answers(s, op, thailand, data, 0)
        assert err.value.field == field
    assert not committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)


@pytest.mark.parametrize(
    "phase, words",
    [
        (OperationPhase.PLANNING, "opens when"),
        (OperationPhase.REPORTING, "opens when"),
        (OperationPhase.PUBLISHED, "published"),
    ],
)
def test_answers_are_taken_in_the_evaluation_phase_only(app, evaluating, phase, words):
    op = evaluating
    op.phase = phase
    db.session.commit()
    fp = signed_in(app, "fp_tha@test.example")
    page = fp.get(country_url(op, "THA")).get_data(as_text=True)
    assert 'id="lock-reason"' in page and words in page
    refused = post_form(fp, country_url(op, "THA"), full_answers())
    assert refused.status_code == 422
    assert not committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)


def test_an_archived_operation_refuses_answers(app, evaluating, users):
    op = evaluating
    evaluation.ensure_questionnaire(op)
    op.phase = OperationPhase.ARCHIVED
    db.session.commit()
    s = Scope(users["fp_tha"])
    thailand = evaluation.country_respondent_or_404(s, op.id, "THA")
    with pytest.raises(Conflict, match="archived"):
        evaluation.save_answers(s, op, thailand, AnswerInput(), 0)
    fp = signed_in(app, "fp_tha@test.example")
    assert post_form(fp, country_url(op, "THA"), full_answers()).status_code == 409
    assert not committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)


def test_a_network_coordinator_answers_for_its_network(app, evaluating):
    op = evaluating
    coord = signed_in(app, "coord_asean@test.example")
    assert post_form(coord, network_url(op, "ASEAN-WEN"), full_answers()).status_code == 302
    [r] = committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)
    assert r.network_id == net_id("ASEAN-WEN") and r.participation_id is None
    # a coordinator reads its member state's answers but does not answer for it
    assert coord.get(country_url(op, "THA")).status_code == 200
    assert post_form(coord, country_url(op, "THA"), full_answers()).status_code == 403
    # and another network's are not there for it
    assert coord.get(network_url(op, "LATF")).status_code == 404
    assert coord.get(country_url(op, "KEN")).status_code == 404


def test_the_organiser_reads_every_answer_but_answers_none(app, evaluating):
    op = evaluating
    organiser = signed_in(app, "organiser@test.example")
    for url in (country_url(op, "THA"), country_url(op, "FRA"), network_url(op, "LATF")):
        assert organiser.get(url).status_code == 200
        assert post_form(organiser, url, full_answers()).status_code == 403
    assert not committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)


def test_a_focal_point_sees_and_edits_only_its_own_countrys_answers(app, evaluating):
    op = evaluating
    ken = signed_in(app, "fp_ken@test.example")
    assert (
        post_form(
            ken, country_url(op, "KEN"), full_answers(answer_lessons="Kenya secret")
        ).status_code
        == 302
    )
    tha = signed_in(app, "fp_tha@test.example")
    for url in (country_url(op, "KEN"), network_url(op, "LATF"), network_url(op, "ASEAN-WEN")):
        response = tha.get(url)
        assert response.status_code == 404
        assert "Kenya secret" not in response.get_data(as_text=True)
    assert (
        post_form(tha, country_url(op, "KEN"), full_answers(), country_url(op, "THA")).status_code
        == 404
    )
    for page in ("responses", "report", "report.html", "report.pdf", "questionnaire"):
        assert tha.get(f"/operations/{op.id}/evaluation/{page}").status_code == 404
    [r] = committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)
    assert r.answers["lessons"] == "Kenya secret"


def test_communications_sees_nothing_of_the_evaluation(app, evaluating):
    op = evaluating
    fp = signed_in(app, "fp_tha@test.example")
    assert post_form(fp, country_url(op, "THA"), full_answers()).status_code == 302
    [r] = committed(EvaluationResponse, EvaluationResponse.operation_id == op.id)
    comms = signed_in(app, "comms@test.example")
    base = f"/operations/{op.id}/evaluation"
    for url in (
        q_url(op),
        f"{base}/responses",
        f"{base}/report",
        f"{base}/report.html",
        f"{base}/report.pdf",
        country_url(op, "THA"),
        network_url(op, "ASEAN-WEN"),
    ):
        assert comms.get(url).status_code == 404, url
    assert post_form(comms, f"{base}/responses/{r.id}/reopen", {}, "/account/").status_code == 404
    nav = comms.get(f"/operations/{op.id}").get_data(as_text=True)
    assert "/evaluation" not in nav


def test_the_evaluation_tab_shows_for_the_roles_that_answer(app, evaluating):
    op = evaluating
    expected = {
        "organiser": "/evaluation/questionnaire",
        "coord_asean": "/evaluation/responses",
        "fp_tha": "/evaluation/countries/THA",
    }
    for role, href in expected.items():
        html = (
            signed_in(app, f"{role}@test.example")
            .get(f"/operations/{op.id}")
            .get_data(as_text=True)
        )
        assert f'/operations/{op.id}{href}"' in html, role


# -- completeness ---------------------------------------------------------------------------------
def test_completeness_counts_respondents_per_network_and_overall(app, evaluating, users):
    op = evaluating
    for email, url, submit in (
        ("fp_tha", country_url(op, "THA"), True),
        ("fp_ken", country_url(op, "KEN"), False),
        ("coord_latf", network_url(op, "LATF"), True),
    ):
        data = full_answers()
        if submit:
            del data["save"]
            data["submit"] = "Submit answers"
        assert post_form(signed_in(app, f"{email}@test.example"), url, data).status_code == 302

    # the expected respondents, from the participations: confirmed countries + their networks
    confirmed = [p for p in op.participations if p.status.value == "confirmed"]
    networks = {p.network.acronym for p in confirmed if p.network}
    submitted = {"THA", "LATF"}
    groups: dict[str, list[str]] = {}
    for p in confirmed:
        groups.setdefault(p.network.acronym if p.network else "(no network)", []).append(
            p.country_iso3
        )
    for acronym in networks:
        groups[acronym].append(acronym)

    board = evaluation.completeness(op, Scope(users["organiser"]))
    assert board.total.expected == len(confirmed) + len(networks)
    assert board.total.responded == len(submitted)
    assert board.total.drafts == 1
    by_label = {t.label: t for t in board.by_network}
    assert set(by_label) == set(groups)
    for label, members in groups.items():
        assert by_label[label].expected == len(members)
        assert by_label[label].responded == len(set(members) & submitted)
    missing = {row.respondent.key for row in board.missing}
    assert missing == {
        *(f"country:{p.country_iso3}" for p in confirmed if p.country_iso3 != "THA"),
        f"network:{net_id('ASEAN-WEN')}",
    }
    thailand_row = next(r for r in board.rows if r.respondent.key == "country:KEN")
    assert thailand_row.emails == ["fp_ken@test.example"] and thailand_row.status == "draft"
    asean_row = next(
        r
        for r in board.rows
        if r.respondent.kind == "network" and r.respondent.label == "ASEAN-WEN"
    )
    assert asean_row.emails == ["coord_asean@test.example"]

    # a coordinator's board: its network's countries and its own answer only
    latf = evaluation.completeness(op, Scope(users["coord_latf"]))
    assert {r.respondent.key for r in latf.rows} == {
        "country:KEN",
        "country:UGA",
        f"network:{net_id('LATF')}",
    }
    assert latf.total.expected == 3 and latf.total.responded == 1
    page = (
        signed_in(app, "coord_latf@test.example")
        .get(f"/operations/{op.id}/evaluation/responses")
        .get_data(as_text=True)
    )
    assert "Uganda" in page and "Thailand" not in page
    html = (
        signed_in(app, "organiser@test.example")
        .get(f"/operations/{op.id}/evaluation/responses")
        .get_data(as_text=True)
    )
    assert f'id="total-responded">{len(submitted)}<' in html
    assert f'id="total-expected">{len(confirmed) + len(networks)}<' in html


def test_a_declined_country_is_not_expected(app, evaluating, users):
    from opsplanner.models import ParticipationStatus

    fra = next(p for p in evaluating.participations if p.country_iso3 == "FRA")
    fra.status = ParticipationStatus.DECLINED
    db.session.commit()
    keys = {r.key for r in evaluation.expected_respondents(evaluating)}
    assert "country:FRA" not in keys and "country:THA" in keys
    assert (
        signed_in(app, "organiser@test.example").get(country_url(evaluating, "FRA")).status_code
        == 404
    )


def test_forbidden_is_raised_for_a_visible_respondent_one_may_not_answer(app, evaluating, users):
    s = Scope(users["coord_asean"])
    thailand = evaluation.country_respondent_or_404(s, evaluating.id, "THA")
    with pytest.raises(Forbidden):
        evaluation.save_answers(s, evaluating, thailand, AnswerInput(), 0)


# -- the API ---------------------------------------------------------------------------------
def test_the_api_gives_completeness_and_summary_in_scope(app, evaluating, users, api_tokens):
    from tests.conftest import bearer

    op = evaluating
    for email, url in (
        ("fp_tha", country_url(op, "THA")),
        ("coord_latf", network_url(op, "LATF")),
    ):
        data = full_answers()
        del data["save"]
        data["submit"] = "Submit answers"
        assert post_form(signed_in(app, f"{email}@test.example"), url, data).status_code == 302
    api = app.test_client()
    base = f"/api/v1/operations/{op.id}/evaluation"

    body = api.get(f"{base}/completeness", headers=bearer(api_tokens["organiser"])).get_json()
    board = evaluation.completeness(op, Scope(users["organiser"]))
    assert body["total"] == board.total.as_dict()
    assert {r["respondent"]: r["status"] for r in body["respondents"]} == {
        row.respondent.key: row.status for row in board.rows
    }
    summary = api.get(f"{base}/summary", headers=bearer(api_tokens["organiser"])).get_json()
    assert summary["responded"] == 2
    briefings = next(d for d in summary["overall"]["dimensions"] if d["code"] == "briefings")
    assert briefings["counts"]["4"] == 2 and briefings["mean"] == 4

    asean = api.get(f"{base}/summary", headers=bearer(api_tokens["coord_asean"])).get_json()
    assert asean["responded"] == 1 and asean["overall"]["respondents"] == ["Thailand"]
    for role in ("fp_tha", "comms"):
        for name in ("completeness", "summary"):
            response = api.get(f"{base}/{name}", headers=bearer(api_tokens[role]))
            assert response.status_code == 404


def test_an_archived_operations_questionnaire_is_read_only(app, evaluating, users):
    op = evaluating
    evaluation.ensure_questionnaire(op, users["organiser"])
    op.phase = OperationPhase.ARCHIVED
    db.session.commit()
    client = signed_in(app, "organiser@test.example")
    page = client.get(q_url(op)).get_data(as_text=True)
    assert 'id="archived"' in page and 'id="questionnaire-form"' not in page
    assert "Usefulness of the briefings and guidelines" in page
    refused = post_form(client, q_url(op), q_form(version="1"))
    assert refused.status_code == 409
    assert "archived" in refused.get_data(as_text=True)
    with pytest.raises(Conflict, match="archived"):
        evaluation.save_questionnaire(op, QuestionnaireInput.defaults(), 1, users["organiser"])
    with pytest.raises(Conflict, match="archived"):
        evaluation.set_deadline(op, None, users["organiser"])
    assert [v.version for v in evaluation.versions(op)] == [1]
