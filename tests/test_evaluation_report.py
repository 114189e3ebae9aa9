"""The evaluation summary against an independent computation from the answers as given (two
datasets: the default questionnaire, and a configured one on a 1-7 scale), its scope, the
self-contained HTML document, the PDF and the report pages."""

from __future__ import annotations

import io
import random
from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Network, OperationPhase, User
from opsplanner.services import evaluation, evaluation_charts, evaluation_report
from opsplanner.services.evaluation import AnswerInput, QuestionnaireInput
from opsplanner.services.scoping import Scope
from tests.conftest import signed_in

NO_NETWORK = "(no network)"
COORDINATORS = "Network coordinators"


@pytest.fixture
def evaluating(reporting: Any) -> Any:
    reporting.phase = OperationPhase.EVALUATION
    db.session.commit()
    return reporting


def custom_questionnaire() -> QuestionnaireInput:
    return QuestionnaireInput(
        intro="Seven-point evaluation.",
        scale_max=7,
        dimensions=[
            {"code": "airports", "label": "Airport controls"},
            {"code": "ports", "label": "Seaport controls"},
            {"code": "online", "label": "Online monitoring"},
        ],
        challenges=[
            {"code": "staff", "label": "Too few staff"},
            {"code": "scanners", "label": "No scanners"},
            {"code": "law", "label": "Weak law"},
            {"code": "rivalry", "label": "Rivalry"},
        ],
        questions=[
            {"code": "lessons", "label": "What did you learn?"},
            {"code": "next", "label": "What next time?"},
        ],
    )


def answering_user(respondent: evaluation.Respondent, users: dict[str, Any]) -> User:
    """The account that answers for the respondent (made when the fixture has none)."""
    from opsplanner.models import Role
    from opsplanner.services import accounts

    if respondent.kind == "country":
        email = f"fp_{respondent.iso3.lower()}@test.example"
        role = dict(role=Role.FOCAL_POINT, country_iso3=respondent.iso3)
    else:
        email = f"coord_{respondent.label.lower()}@report.example"
        role = dict(role=Role.COORDINATOR, network_id=respondent.network_id)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(email=email, name=email.split("@")[0], **role)
    return user


def make_dataset(op: Any, users: dict[str, Any], seed: int) -> dict[str, dict[str, Any]]:
    """Random answers from every respondent: most submitted, some left as drafts, some missing.
    Returns what each respondent submitted, by key (with its group), as given."""
    rng = random.Random(seed)
    q = evaluation.ensure_questionnaire(op)
    submitted: dict[str, dict[str, Any]] = {}
    for r in evaluation.expected_respondents(op):
        fate = rng.random()
        if fate < 0.15:
            continue  # no answer at all
        ratings: dict[str, int | None] = {}
        for d in q.dimensions:
            ratings[d["code"]] = None if rng.random() < 0.15 else rng.randint(1, q.scale_max)
        ticked = [c["code"] for c in q.challenges if rng.random() < 0.45]
        answers = {
            x["code"]: f"{r.label} on {x['code']} #{rng.randint(1, 999)}"
            for x in q.questions
            if rng.random() < 0.7
        }
        other = f"Other trouble in {r.label}" if rng.random() < 0.3 else ""
        data = AnswerInput(
            ratings=ratings, challenges=ticked, challenges_other=other, answers=answers
        )
        submit = fate >= 0.3  # 0.15..0.3: a draft, not in the summary
        user = answering_user(r, users)
        evaluation.save_answers(Scope(user), op, r, data, 0, submit=submit)
        if submit:
            group = COORDINATORS if r.kind == "network" else r.group
            submitted[r.key] = {
                "label": r.label,
                "group": group,
                "ratings": ratings,
                "challenges": ticked,
                "other": other,
                "answers": answers,
            }
    db.session.commit()
    return submitted


def expected_distribution(
    rows: list[dict[str, Any]], code: str, scale: int
) -> tuple[dict[int, int], int, float | None]:
    values = [row["ratings"][code] for row in rows]
    counts = {v: sum(1 for x in values if x == v) for v in range(1, scale + 1)}
    rated = [x for x in values if x is not None]
    mean = sum(rated) / len(rated) if rated else None
    return counts, sum(1 for x in values if x is None), mean


def check_summary(op: Any, submitted: dict[str, dict[str, Any]], q: Any) -> Any:
    summary = evaluation_report.evaluation_summary(op)
    rows = list(submitted.values())
    assert summary.responded == len(rows)
    assert summary.expected == len(evaluation.expected_respondents(op))
    assert summary.scale_max == q.scale_max and summary.questionnaire_version == q.version

    def check_group(group: Any, members: list[dict[str, Any]]) -> None:
        assert sorted(group.respondents) == sorted(m["label"] for m in members)
        assert [d.code for d in group.dimensions] == [d["code"] for d in q.dimensions]
        for d in group.dimensions:
            counts, na, mean = expected_distribution(members, d.code, q.scale_max)
            assert d.counts == counts, d.code
            assert d.na == na and d.unanswered == 0
            if mean is None:
                assert d.mean is None
            else:
                assert d.mean == pytest.approx(mean)

    check_group(summary.overall, rows)
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_group[row["group"]].append(row)
    assert {g.label for g in summary.groups} == set(by_group)
    for g in summary.groups:
        check_group(g, by_group[g.label])
        assert g.kind == ("coordinators" if g.label == COORDINATORS else "network")
    # coordinators last, "(no network)" just before them
    labels = [g.label for g in summary.groups]
    if COORDINATORS in labels:
        assert labels[-1] == COORDINATORS

    # challenges: ranked by respondents who ticked them, ties in the questionnaire's order
    ticks = Counter(code for row in rows for code in row["challenges"])
    order = [c["code"] for c in q.challenges]
    expected_rank = sorted(order, key=lambda code: (-ticks[code], order.index(code)))
    assert [c.code for c in summary.challenges] == expected_rank
    for c in summary.challenges:
        assert c.count == ticks[c.code]
        assert c.share == pytest.approx(ticks[c.code] / len(rows) if rows else 0)
        per_group = Counter(row["group"] for row in rows if c.code in row["challenges"])
        assert c.by_group == dict(per_group)

    # free text: every non-empty answer once, under its question and group
    for x in summary.questions:
        expected = sorted(
            (row["group"], row["label"], row["answers"][x.code])
            for row in rows
            if x.code in row["answers"]
        )
        got = sorted((a.group, a.respondent, a.text) for a in x.answers)
        assert got == expected, x.code
        for group, answers in x.by_group.items():
            assert all(a.group == group for a in answers)
    assert sorted((a.respondent, a.text) for a in summary.challenges_other) == sorted(
        (row["label"], row["other"]) for row in rows if row["other"]
    )
    return summary


def test_the_summary_of_the_default_questionnaire(app, evaluating, users):
    submitted = make_dataset(evaluating, users, seed=6)
    assert len(submitted) >= 3  # the seed gives a real dataset
    q = evaluation.current_questionnaire(evaluating)
    check_summary(evaluating, submitted, q)


def test_the_summary_of_a_configured_questionnaire(app, evaluating, users):
    evaluation.save_questionnaire(evaluating, custom_questionnaire(), 0, users["organiser"])
    db.session.commit()
    submitted = make_dataset(evaluating, users, seed=2027)
    assert len(submitted) >= 3
    q = evaluation.current_questionnaire(evaluating)
    assert q.scale_max == 7
    summary = check_summary(evaluating, submitted, q)
    assert summary.intro == "Seven-point evaluation."


def test_drafts_are_left_out(app, evaluating, users):
    s = Scope(users["fp_tha"])
    thailand = evaluation.country_respondent_or_404(s, evaluating.id, "THA")
    evaluation.save_answers(s, evaluating, thailand, AnswerInput(ratings={"briefings": 5}), 0)
    db.session.commit()
    summary = evaluation_report.evaluation_summary(evaluating)
    assert summary.responded == 0 and summary.groups == []
    assert all(d.rated == 0 and d.mean is None for d in summary.overall.dimensions)


def test_a_coordinators_summary_has_its_networks_respondents_only(app, evaluating, users):
    submitted = make_dataset(evaluating, users, seed=11)
    latf_id = db.session.scalar(select(Network.id).where(Network.acronym == "LATF"))
    summary = evaluation_report.evaluation_summary(evaluating, Scope(users["coord_latf"]))
    mine = {
        key: row
        for key, row in submitted.items()
        if key in ("country:KEN", "country:UGA", f"network:{latf_id}")
    }
    assert summary.expected == 3
    assert summary.responded == len(mine)
    assert sorted(summary.overall.respondents) == sorted(row["label"] for row in mine.values())
    assert {g.label for g in summary.groups} <= {"LATF", COORDINATORS}


def test_the_html_document_is_self_contained_and_has_the_figures(app, evaluating, users):
    submitted = make_dataset(evaluating, users, seed=6)
    summary = evaluation_report.evaluation_summary(evaluating)
    html = evaluation_report.summary_html(summary)
    assert html.startswith("<!doctype html>")
    for forbidden in ("<script", "http://", "https://", "<link", "src="):
        assert forbidden not in html
    assert "Evaluation of Operation Test Shield" in html
    assert f"<strong>{len(submitted)}</strong>" in html
    for d in summary.overall.dimensions:
        assert d.label in html
    for row in submitted.values():
        for text in row["answers"].values():
            assert text in html
    top = summary.challenges[0]
    assert (
        f'<tr data-code="{top.code}"><td class="num">1</td><th scope="row">{top.label}</th>'
        f'<td class="num count">{top.count}</td>' in html
    )


def test_the_pdf_has_the_summary(app, evaluating, users):
    pypdf = pytest.importorskip("pypdf")
    from opsplanner.services import pdf

    submitted = make_dataset(evaluating, users, seed=6)
    summary = evaluation_report.evaluation_summary(evaluating)
    try:
        data = evaluation_report.summary_pdf(summary)
    except pdf.PdfUnavailable:
        pytest.skip("WeasyPrint is not available here")
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    assert "Evaluation of Operation Test Shield" in text
    assert "Usefulness of the briefings and guidelines" in text
    one_answer = next(t for row in submitted.values() for t in row["answers"].values())
    assert one_answer in text


def test_the_distribution_chart_stacks_every_rating_and_na(app, evaluating, users):
    make_dataset(evaluating, users, seed=6)
    summary = evaluation_report.evaluation_summary(evaluating)
    fig = evaluation_charts.rating_distribution_chart(summary.overall.dimensions, 5)
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["1", "2", "3", "4", "5", "N/A"]
    for value in range(1, 6):
        assert list(fig.data[value - 1].x) == [d.counts[value] for d in summary.overall.dimensions]
    assert list(fig.data[5].x) == [d.na for d in summary.overall.dimensions]
    chart = evaluation_charts.challenges_chart(summary.challenges)
    assert list(chart.data[0].x) == [c.count for c in summary.challenges if c.count]


def test_the_report_pages_and_downloads(app, evaluating, users):
    submitted = make_dataset(evaluating, users, seed=6)
    base = f"/operations/{evaluating.id}/evaluation"
    organiser = signed_in(app, "organiser@test.example")
    page = organiser.get(f"{base}/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="report-responded">{len(submitted)}<' in html
    assert 'data-chart="ratings-chart"' in html
    assert "unsafe-inline" in page.headers["Content-Security-Policy"]
    download = organiser.get(f"{base}/report.html")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "evaluation-operation-test-shield.html" in download.headers["Content-Disposition"]
    assert organiser.get(f"{base}/report.xlsx").status_code == 404

    # a coordinator's report: its network's respondents only
    asean = signed_in(app, "coord_asean@test.example").get(f"{base}/report.html")
    text = asean.get_data(as_text=True)
    assert "Kenya" not in text and "Uganda" not in text and "France" not in text
