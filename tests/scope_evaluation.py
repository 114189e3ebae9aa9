"""Scope-matrix rows for the evaluation pages (see tests/scope_cases.py for the vocabulary).

``extend_world`` adds "Operation Evaluation Matrix" in its evaluation phase, with Thailand and
Viet Nam (ASEAN-WEN), Kenya (LATF) and France (no network) confirmed, its questionnaire
(version 1, frozen) and Kenya's answers, submitted ({ken_resp}). Ids: {eop}, {ken_resp},
{latf}; {asean} and {naweg} come from the main world ({naweg} coordinates nobody here).

Who: the questionnaire and deadline are the organiser's; responses and the report belong to
organisers and coordinators (their network's respondents); a country's answers to its focal
point (who answers), its coordinator and organisers (who read: a POST is 403); a network's to
its coordinator (answers) and organisers (read). Communications get 404 everywhere: answers can
be sensitive. {other} is in planning with Kenya only invited: nobody answers there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    Network,
    OperationPhase,
    OrganisingAgency,
    ParticipationStatus,
    User,
)
from opsplanner.services import evaluation
from opsplanner.services import operations as ops
from opsplanner.services.evaluation import AnswerInput
from opsplanner.services.scoping import Scope
from tests.scope_cases import A, Case, G, P, api_expect, expect

EVALUATION_CODE_NAME = "Operation Evaluation Matrix"

ORGANISER = expect(organiser=200)
NOBODY = expect(404)
COORDINATION = expect(organiser=200, coord_asean=200, coord_latf=200)


def extend_world(ids: dict[str, Any]) -> dict[str, Any]:
    organiser = db.session.scalar(select(User).where(User.email == "organiser@test.example"))
    fp_ken = db.session.scalar(select(User).where(User.email == "fp_ken@test.example"))
    op = ops.create_operation(
        ops.OperationInput(
            EVALUATION_CODE_NAME,
            OrganisingAgency.WCO,
            window_start=date(2032, 2, 1),
            window_end=date(2032, 2, 14),
            world_wildlife_day=date(2032, 3, 3),
            reporting_deadline=datetime(2032, 2, 24, 23, 59, tzinfo=UTC),
            embargo_until=datetime(2032, 3, 3, 9, 0, tzinfo=UTC),
        ),
        by=organiser,
    )
    nets = {n.acronym: n for n in db.session.scalars(select(Network))}
    for iso3, acronym in (
        ("THA", "ASEAN-WEN"),
        ("VNM", "ASEAN-WEN"),
        ("KEN", "LATF"),
        ("FRA", None),
    ):
        p = ops.invite_country(op, db.session.get(Country, iso3), nets.get(acronym), by=organiser)
        p.status = ParticipationStatus.CONFIRMED
    op.phase = OperationPhase.EVALUATION
    db.session.flush()
    q = evaluation.ensure_questionnaire(op, organiser)
    s = Scope(fp_ken)
    kenya = evaluation.country_respondent_or_404(s, op.id, "KEN")
    ratings = {d["code"]: 4 for d in q.dimensions}
    response = evaluation.save_answers(
        s,
        op,
        kenya,
        AnswerInput(ratings=ratings, answers={"lessons": "Matrix lesson"}),
        0,
        submit=True,
    )
    db.session.commit()
    return {"eop": op.id, "ken_resp": response.id, "latf": nets["LATF"].id}


def answers(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {f"rating_{code}": "3" for code, _ in evaluation.DEFAULT_DIMENSIONS}
    return {
        **data,
        "challenges": ["corruption"],
        "answer_lessons": "Matrix",
        "version": "0",
        "save": "Save draft",
        **extra,
    }


QUESTIONNAIRE = {
    "intro": "Matrix",
    "scale_max": "5",
    "dimensions": "briefings | Briefings",
    "challenges": "corruption | Corruption",
    "questions": "lessons | Lessons",
    "version": "0",
}

BASE = "/operations/{eop}/evaluation"


def _pages(suffix: str, on_eop: dict[str, int], on_other: dict[str, int]) -> list[Case]:
    return [
        Case(G, BASE + suffix, on_eop),
        Case(G, "/operations/{other}/evaluation" + suffix, on_other),
        Case(G, "/operations/{draft}/evaluation" + suffix, ORGANISER),
        Case(G, "/operations/999999/evaluation" + suffix, NOBODY),
    ]


WEB: dict[str, list[Case]] = {
    "evaluation.questionnaire": [
        *_pages("/questionnaire", ORGANISER, ORGANISER),
        # frozen: Kenya has answered
        Case(P, BASE + "/questionnaire", expect(organiser=409), {**QUESTIONNAIRE, "version": "1"}),
        # {other} has none yet: version 1
        Case(
            P, "/operations/{other}/evaluation/questionnaire", expect(organiser=302), QUESTIONNAIRE
        ),
        Case(P, "/operations/999999/evaluation/questionnaire", NOBODY, QUESTIONNAIRE),
    ],
    "evaluation.deadline": [
        Case(
            P,
            BASE + "/deadline",
            expect(organiser=302),
            {"deadline-evaluation_deadline": "2032-05-01T12:00"},
        ),
        Case(
            P,
            "/operations/999999/evaluation/deadline",
            NOBODY,
            {"deadline-evaluation_deadline": "2032-05-01T12:00"},
        ),
    ],
    "evaluation.responses": _pages(
        "/responses", COORDINATION, expect(organiser=200, coord_latf=200)
    ),
    "evaluation.report": _pages("/report", COORDINATION, expect(organiser=200, coord_latf=200)),
    "evaluation.download": [
        Case(G, BASE + "/report.html", COORDINATION),
        Case(G, BASE + "/report.pdf", COORDINATION),
        Case(G, BASE + "/report.xlsx", NOBODY),
        Case(
            G, "/operations/{other}/evaluation/report.html", expect(organiser=200, coord_latf=200)
        ),
        Case(G, "/operations/999999/evaluation/report.html", NOBODY),
    ],
    "evaluation.country": [
        Case(G, BASE + "/countries/THA", expect(organiser=200, coord_asean=200, fp_tha=200)),
        Case(G, BASE + "/countries/tha", expect(organiser=200, coord_asean=200, fp_tha=200)),
        Case(G, BASE + "/countries/KEN", expect(organiser=200, coord_latf=200, fp_ken=200)),
        Case(G, BASE + "/countries/VNM", expect(organiser=200, coord_asean=200)),
        Case(G, BASE + "/countries/FRA", ORGANISER),
        Case(G, BASE + "/countries/ZZZ", NOBODY),
        # Kenya is only invited to {other}: it has no evaluation there
        Case(G, "/operations/{other}/evaluation/countries/KEN", NOBODY),
        # Thailand confirmed the draft (operations.participation rows): only the organiser sees it
        Case(G, "/operations/{draft}/evaluation/countries/THA", ORGANISER),
        Case(
            P,
            BASE + "/countries/THA",
            expect(organiser=403, coord_asean=403, fp_tha=302),
            answers(),
        ),
        # submitted: locked (the page says why)
        Case(
            P, BASE + "/countries/KEN", expect(organiser=403, coord_latf=403, fp_ken=422), answers()
        ),
    ],
    "evaluation.network": [
        Case(G, BASE + "/networks/{asean}", expect(organiser=200, coord_asean=200)),
        Case(G, BASE + "/networks/{latf}", expect(organiser=200, coord_latf=200)),
        Case(G, BASE + "/networks/{naweg}", NOBODY),
        Case(G, BASE + "/networks/999999", NOBODY),
        Case(P, BASE + "/networks/{latf}", expect(organiser=403, coord_latf=302), answers()),
    ],
    "evaluation.reopen": [
        Case(P, BASE + "/responses/{ken_resp}/reopen", expect(organiser=302), {"reason": "x"}),
        Case(P, "/operations/{other}/evaluation/responses/{ken_resp}/reopen", NOBODY),
        Case(P, BASE + "/responses/999999/reopen", NOBODY),
    ],
}


def _api(name: str) -> list[Case]:
    return [
        Case(
            G,
            f"{A}/operations/{{eop}}/evaluation/{name}",
            api_expect(organiser=200, coord_asean=200, coord_latf=200),
        ),
        Case(
            G,
            f"{A}/operations/{{other}}/evaluation/{name}",
            api_expect(organiser=200, coord_latf=200),
        ),
        Case(G, f"{A}/operations/{{draft}}/evaluation/{name}", api_expect(organiser=200)),
        Case(G, f"{A}/operations/999999/evaluation/{name}", api_expect()),
    ]


API: dict[str, list[Case]] = {
    "api.evaluation_completeness": _api("completeness"),
    "api.evaluation_report_summary": _api("summary"),
}
