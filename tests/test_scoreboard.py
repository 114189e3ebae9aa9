"""The network scoreboard: every indicator against an independent computation from the rows the
test creates, the checklist's edit rules (scope, stale page, archive), the comparative table's
CSV/XLSX export (the same cells, formulas neutralised), the charts and the pages' scope."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from sqlalchemy import delete, func, select

from opsplanner.extensions import db
from opsplanner.models import (
    Activity,
    AuditEvent,
    Briefing,
    BriefingAttendance,
    Contact,
    ContactKind,
    Country,
    CountryReport,
    DetectionMethod,
    EvaluationResponse,
    Network,
    NetworkChecklistItem,
    NetworkSheet,
    OperationPhase,
    Participation,
    ParticipationStatus,
    Questionnaire,
    RecordSource,
    ReportStatus,
    ResponseStatus,
    Seizure,
)
from opsplanner.models.reference import MembershipKind, NetworkForm, NetworkMaturity
from opsplanner.services import completeness, scoreboard, scoreboard_charts
from opsplanner.services.archive import ArchivedOperation
from opsplanner.services.errors import Conflict, NotFound
from opsplanner.services.scoping import Scope
from tests.conftest import csrf_token, signed_in

DEADLINE = datetime(2027, 2, 24, 23, 59, tzinfo=UTC)
ON_TIME = DEADLINE - timedelta(days=3)
LATE = DEADLINE + timedelta(days=2)
REPORTED = ("submitted", "validated", "approved")


@dataclass
class Row:
    """One participation of the dataset and everything the test attaches to it."""

    iso3: str
    network: str | None
    status: str
    attended: tuple[bool, ...] = ()  # one briefing attendance record per entry
    activities: int = 0
    report: tuple[str, datetime | None] | None = None  # (status, first submitted)
    national_arrests: int = 0
    seizures: list[int] = field(default_factory=list)  # arrests per seizure
    evaluation: str | None = None  # response status


# THA, VNM (ASEAN-WEN), KEN, UGA (LATF), FRA (no network) come from the ``operation`` fixture;
# their statuses are set here. Every participation status, briefings with and without
# attendance, reports on time and late, returned and draft, evaluation drafts and submissions.
DATASET = [
    Row("THA", "ASEAN-WEN", "confirmed", (True,), 2, ("approved", ON_TIME), 0, [2, 1], "submitted"),
    Row("VNM", "ASEAN-WEN", "confirmed", (False, True), 1, ("validated", LATE), 5, [1], "draft"),
    Row("MYS", "ASEAN-WEN", "confirmed", (False,), 0, ("returned", ON_TIME), 3, [4], "submitted"),
    Row("SGP", "ASEAN-WEN", "confirmed", (), 1, ("submitted", ON_TIME), 0, [], None),
    Row("IDN", "ASEAN-WEN", "declined", (True,), 3, None, 0, [], None),
    Row("PHL", "ASEAN-WEN", "invited"),
    Row("KEN", "LATF", "confirmed", (True,), 1, ("approved", LATE), 0, [3, 0, 1], "submitted"),
    Row("UGA", "LATF", "withdrawn", (True,), 1, ("draft", None), 0, [1], None),
    Row("TZA", "LATF", "confirmed", (), 0, ("draft", None), 0, [2], "submitted"),
    Row("USA", "NAWEG", "confirmed", (True,), 1, ("approved", ON_TIME), 7, [1, 1], "submitted"),
    Row("FRA", None, "confirmed", (True,), 1, ("approved", ON_TIME), 0, [1], "submitted"),
]


def network(acronym: str) -> Network:
    return db.session.scalar(select(Network).where(Network.acronym == acronym))


def participation(op: Any, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


def build(op: Any, rows: list[Row], users: dict[str, Any]) -> dict[str, Any]:
    questionnaire = Questionnaire(operation_id=op.id, dimensions=[], challenges=[], questions=[])
    db.session.add(questionnaire)
    held = datetime(2027, 1, 20, 8, 0, tzinfo=UTC)
    briefings: dict[str | None, list[Briefing]] = {}

    def briefing(acronym: str | None, i: int) -> Briefing:
        """The i-th briefing of a network (global when None): one record per briefing."""
        found = briefings.setdefault(acronym, [])
        while len(found) <= i:
            b = Briefing(
                operation_id=op.id,
                network_id=network(acronym).id if acronym else None,
                title=f"Briefing {acronym or 'global'} {len(found)}",
                starts_at=held + timedelta(days=len(found)),
                ical_uid=f"sb-{acronym}-{len(found)}@test",
            )
            db.session.add(b)
            found.append(b)
        return found[i]

    n = 0
    for row in rows:
        p = participation(op, row.iso3)
        if p is None:
            p = Participation(
                operation_id=op.id,
                country_iso3=row.iso3,
                network_id=network(row.network).id if row.network else None,
            )
            db.session.add(p)
        p.status = ParticipationStatus(row.status)
        db.session.flush()
        for i, attended in enumerate(row.attended):
            b = briefing(row.network if i == 0 else None, 0)
            db.session.add(
                BriefingAttendance(
                    briefing=b, participation_id=p.id, attended=attended, attendees=int(attended)
                )
            )
        for i in range(row.activities):
            db.session.add(
                Activity(
                    participation_id=p.id,
                    activity_type_code="market_inspection",
                    title=f"Activity {i}",
                    location="Market",
                    start_date=date(2027, 2, 2),
                    end_date=date(2027, 2, 3),
                    agencies=["police"],
                )
            )
        if row.report is not None:
            status, first = row.report
            db.session.add(
                CountryReport(
                    participation_id=p.id,
                    status=ReportStatus(status),
                    first_submitted_at=first,
                    submitted_at=first,
                    arrests=row.national_arrests,
                )
            )
        for arrests in row.seizures:
            n += 1
            db.session.add(
                Seizure(
                    participation_id=p.id,
                    national_reference=f"SB-{n}",
                    seized_on=date(2027, 2, 5),
                    place="Port",
                    agency="customs",
                    detection_method=DetectionMethod.XRAY_SCANNER,
                    commodity="ivory",
                    conveyance="air_cargo",
                    arrests=arrests,
                    suspects=arrests,
                    source=RecordSource.FORM,
                )
            )
        if row.evaluation is not None:
            db.session.add(
                EvaluationResponse(
                    operation_id=op.id,
                    questionnaire=questionnaire,
                    participation_id=p.id,
                    status=ResponseStatus(row.evaluation),
                )
            )
    # the coordinators' own answers: ASEAN-WEN submitted, LATF a draft
    for acronym, status in (("ASEAN-WEN", "submitted"), ("LATF", "draft")):
        db.session.add(
            EvaluationResponse(
                operation_id=op.id,
                questionnaire=questionnaire,
                network_id=network(acronym).id,
                status=ResponseStatus(status),
            )
        )
    db.session.commit()
    return {"questionnaire": questionnaire.id}


@pytest.fixture
def dataset(app, users, operation) -> Any:
    build(operation, DATASET, users)
    return operation


# -- the independent computation ----------------------------------------------------------------
def expected(rows: list[Row], done: dict[str, int] | None = None) -> dict[str, dict[str, Any]]:
    """The scoreboard computed from the dataset's own description, not from the database."""
    done = done or {}
    out: dict[str, dict[str, Any]] = {}
    for acronym in sorted({r.network for r in rows if r.network}):
        members = [r for r in rows if r.network == acronym]
        confirmed = [r for r in members if r.status == "confirmed"]

        def reported(r: Row) -> bool:
            return r.report is not None and r.report[0] in REPORTED

        counts = {
            "confirmed": len(confirmed),
            "briefed": sum(1 for r in confirmed if any(r.attended)),
            "planned": sum(1 for r in confirmed if r.activities > 0),
            "on_time": sum(
                1 for r in confirmed if reported(r) and r.report[1] and r.report[1] <= DEADLINE
            ),
            "approved": sum(1 for r in confirmed if r.report and r.report[0] == "approved"),
            "evaluation": sum(1 for r in confirmed if r.evaluation == "submitted"),
        }
        denominators = dict.fromkeys(counts, len(members)) | {"evaluation": len(confirmed)}
        seizures = sum(len(r.seizures) for r in confirmed if reported(r))
        arrests = sum(
            (r.national_arrests if r.national_arrests > 0 else sum(r.seizures))
            for r in confirmed
            if reported(r)
        )
        shares = [counts[k] / denominators[k] for k in counts if denominators[k]]
        shares.append(done.get(acronym, 0) / len(scoreboard.CHECKLIST))
        out[acronym] = {
            "invited": len(members),
            "counts": counts,
            "denominators": denominators,
            "seizures": seizures,
            "arrests": arrests,
            "per_state": (
                round(seizures / len(confirmed), 2) if confirmed else None,
                round(arrests / len(confirmed), 2) if confirmed else None,
            ),
            "score": round(100 * sum(shares) / len(shares), 1),
        }
    return out


def test_every_indicator_matches_an_independent_computation(dataset):
    scores = scoreboard.network_scores(dataset)
    want = expected(DATASET)
    assert [s.network_acronym for s in scores] == sorted(want)
    for s in scores:
        w = want[s.network_acronym]
        assert s.invited == w["invited"], s.network_acronym
        for code in scoreboard.INDICATOR_CODES:
            r = s.indicators[code]
            assert (r.numerator, r.denominator) == (w["counts"][code], w["denominators"][code]), (
                s.network_acronym,
                code,
            )
        assert (s.seizures, s.arrests) == (w["seizures"], w["arrests"]), s.network_acronym
        assert (s.seizures_per_state, s.arrests_per_state) == w["per_state"]
        assert s.score == w["score"], s.network_acronym
    coordinator = {s.network_acronym: s.coordinator_response for s in scores}
    assert coordinator == {"ASEAN-WEN": True, "LATF": False, "NAWEG": False}


def test_the_dataset_in_numbers(dataset):
    """A few figures spelled out, so that a wrong definition in both places would show."""
    asean = {s.network_acronym: s for s in scoreboard.network_scores(dataset)}["ASEAN-WEN"]
    # six invited; THA, VNM, MYS, SGP confirmed; IDN declined (briefed and planned: not counted)
    assert asean.indicators["confirmed"] == scoreboard.Ratio(4, 6)
    assert asean.indicators["briefed"] == scoreboard.Ratio(2, 6)  # THA; VNM at its 2nd briefing
    assert asean.indicators["planned"] == scoreboard.Ratio(3, 6)
    # THA approved on time, SGP submitted on time; VNM late; MYS returned (not reported)
    assert asean.indicators["on_time"] == scoreboard.Ratio(2, 6)
    assert asean.indicators["approved"] == scoreboard.Ratio(1, 6)
    assert asean.indicators["evaluation"] == scoreboard.Ratio(2, 4)  # MYS counts: submitted
    # THA 2 seizures (3 arrests from them), VNM 1 seizure (national 5 arrests), MYS returned
    assert (asean.seizures, asean.arrests) == (3, 8)


def test_on_time_agrees_with_the_completeness_board(dataset, users):
    board = completeness.completeness(dataset, Scope(users["organiser"]))
    on_time = {t.label: (t.on_time, t.approved) for t in board.by_network}
    for s in scoreboard.network_scores(dataset):
        r = s.indicators
        assert (r["on_time"].numerator, r["approved"].numerator) == on_time[s.network_acronym]


def test_the_checklist_counts_in_the_score(dataset, users):
    asean = network("ASEAN-WEN")
    scope = Scope(users["coord_asean"])
    stamp = scoreboard.checklist_stamp(dataset, asean.id)
    answers = {
        "secretariat": scoreboard.Answer(True, "Bangkok"),
        "secure_channel": scoreboard.Answer(True),
        "debrief": scoreboard.Answer(False, "planned for May"),
    }
    assert scoreboard.save_checklist(scope, dataset, asean, answers, stamp, users["coord_asean"])
    db.session.commit()
    scores = {s.network_acronym: s for s in scoreboard.network_scores(dataset)}
    assert scores["ASEAN-WEN"].checklist_ratio == scoreboard.Ratio(2, len(scoreboard.CHECKLIST))
    assert scores["ASEAN-WEN"].score == expected(DATASET, {"ASEAN-WEN": 2})["ASEAN-WEN"]["score"]
    rows = db.session.scalars(
        select(NetworkChecklistItem).where(NetworkChecklistItem.network_id == asean.id)
    ).all()
    assert {(r.item, r.done, r.note) for r in rows} == {
        ("secretariat", True, "Bangkok"),
        ("secure_channel", True, ""),
        ("debrief", False, "planned for May"),
    }
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "scoreboard.checklist"))
    assert event.actor_email == "coord_asean@test.example"
    assert event.operation_id == dataset.id
    assert event.after["secretariat"] == {"done": True, "note": "Bangkok"}
    assert event.before["secretariat"] is None


def test_comparative_table_is_the_scores(dataset):
    scores = scoreboard.network_scores(dataset)
    header = scoreboard.comparative_header()
    rows = scoreboard.comparative_table(dataset)
    assert len(rows) == len(scores) == 3
    want = expected(DATASET)
    for row, s in zip(rows, scores, strict=True):
        assert len(row) == len(header)
        cells = dict(zip(header, row, strict=True))
        w = want[s.network_acronym]
        assert cells["Network"] == s.network_acronym
        assert cells["Member states invited"] == w["invited"]
        assert cells["Confirmed (states)"] == w["counts"]["confirmed"]
        assert cells["Reported on time (%)"] == round(
            100 * w["counts"]["on_time"] / w["invited"], 1
        )
        assert cells["Seizures"] == w["seizures"]
        assert cells["Arrests per participating state"] == w["per_state"][1]
        assert cells["Score (0-100)"] == w["score"]


# -- the pages and the checklist through the web ------------------------------------------------
def checklist_data(stamp: str, **done: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"stamp": stamp}
    for item in scoreboard.CHECKLIST:
        if done.get(item.code):
            data[f"{item.code}_done"] = "y"
        data[f"{item.code}_note"] = ""
    return data


def checklist_rows(op_id: int, network_id: int) -> set[tuple[str, bool]]:
    db.session.expire_all()
    return {
        (r.item, r.done)
        for r in db.session.scalars(
            select(NetworkChecklistItem).where(
                NetworkChecklistItem.operation_id == op_id,
                NetworkChecklistItem.network_id == network_id,
            )
        )
    }


def test_the_organiser_sees_every_network_with_charts(app, dataset):
    client = signed_in(app, "organiser@test.example")
    html = client.get(f"/operations/{dataset.id}/scoreboard").get_data(as_text=True)
    for acronym in ("ASEAN-WEN", "LATF", "NAWEG"):
        assert f'data-network="{acronym}"' in html
    for chart in ("heatmap-chart", "bars-chart", "per-state-chart"):
        assert f'data-chart="{chart}"' in html
    assert "1 participating country has no coordinating network" in html
    # the table shows the exported rows (the full name is the acronym's tooltip)
    table = html[html.index('id="comparative-table"') : html.index("</table>")]
    shown = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        for tr in re.findall(r"<tr data-network.*?</tr>", table, re.S)
    ]
    rows = scoreboard.comparative_table(dataset)
    assert shown == [["—" if v is None else str(v) for v in row[2:]] for row in rows]
    for row in rows:
        assert f'<abbr title="{row[1]}">' in table
    latf = network("LATF")
    page = client.get(f"/operations/{dataset.id}/scoreboard/networks/{latf.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for iso3 in ("KEN", "UGA", "TZA"):
        assert f'data-country="{iso3}"' in body
    assert 'data-country="THA"' not in body


def test_a_coordinator_compares_but_opens_only_its_network(app, dataset):
    asean, latf = network("ASEAN-WEN"), network("LATF")
    client = signed_in(app, "coord_asean@test.example")
    html = client.get(f"/operations/{dataset.id}/scoreboard").get_data(as_text=True)
    assert 'data-network="LATF"' in html
    # aggregates only: no country of another network is named on the comparative page
    for iso3 in ("KEN", "TZA", "UGA", "USA"):
        assert db.session.get(Country, iso3).name not in html
    own = f"/operations/{dataset.id}/scoreboard/networks/{asean.id}"
    assert f'href="{own}"' in html
    assert f"/scoreboard/networks/{latf.id}" not in html
    assert client.get(own).status_code == 200
    assert client.get(f"/operations/{dataset.id}/scoreboard/networks/{latf.id}").status_code == 404

    token = csrf_token(client, own)
    other = client.post(
        f"/operations/{dataset.id}/scoreboard/networks/{latf.id}/checklist",
        data={
            **checklist_data(scoreboard.checklist_stamp(dataset, latf.id), secretariat=True),
            "csrf_token": token,
        },
    )
    assert other.status_code == 404
    assert checklist_rows(dataset.id, latf.id) == set()

    mine = client.post(
        f"/operations/{dataset.id}/scoreboard/networks/{asean.id}/checklist",
        data={
            **checklist_data(scoreboard.checklist_stamp(dataset, asean.id), secretariat=True),
            "csrf_token": token,
        },
    )
    assert mine.status_code == 302
    rows = checklist_rows(dataset.id, asean.id)
    assert ("secretariat", True) in rows and ("debrief", False) in rows
    assert len(rows) == len(scoreboard.CHECKLIST)


def test_the_service_refuses_another_networks_coordinator(dataset, users):
    latf = network("LATF")
    with pytest.raises(NotFound):
        scoreboard.save_checklist(
            Scope(users["coord_asean"]),
            dataset,
            latf,
            {"secretariat": scoreboard.Answer(True)},
            scoreboard.checklist_stamp(dataset, latf.id),
            users["coord_asean"],
        )
    # a network that coordinates nobody in the operation: not found, even for an organiser
    with pytest.raises(NotFound):
        scoreboard.save_checklist(
            Scope(users["organiser"]),
            dataset,
            network("EUROPOL"),
            {"secretariat": scoreboard.Answer(True)},
            scoreboard.checklist_stamp(dataset, 0),
            users["organiser"],
        )


def test_the_organiser_edits_any_network(app, dataset):
    latf = network("LATF")
    client = signed_in(app, "organiser@test.example")
    url = f"/operations/{dataset.id}/scoreboard/networks/{latf.id}"
    token = csrf_token(client, url)
    stamp = scoreboard.checklist_stamp(dataset, latf.id)
    response = client.post(
        f"{url}/checklist",
        data={**checklist_data(stamp, debrief=True, lessons_shared=True), "csrf_token": token},
    )
    assert response.status_code == 302
    assert {i for i, d in checklist_rows(dataset.id, latf.id) if d} == {"debrief", "lessons_shared"}


def test_a_stale_page_is_a_conflict(app, dataset, users):
    asean = network("ASEAN-WEN")
    client = signed_in(app, "coord_asean@test.example")
    url = f"/operations/{dataset.id}/scoreboard/networks/{asean.id}"
    token = csrf_token(client, url)
    opened = scoreboard.checklist_stamp(dataset, asean.id)
    # meanwhile the organiser answers
    scoreboard.save_checklist(
        Scope(users["organiser"]),
        dataset,
        asean,
        {"debrief": scoreboard.Answer(True)},
        opened,
        users["organiser"],
    )
    db.session.commit()
    before = checklist_rows(dataset.id, asean.id)
    response = client.post(
        f"{url}/checklist", data={**checklist_data(opened, secretariat=True), "csrf_token": token}
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    assert checklist_rows(dataset.id, asean.id) == before == {("debrief", True)}
    with pytest.raises(Conflict):
        scoreboard.save_checklist(
            Scope(users["coord_asean"]),
            dataset,
            asean,
            {"secretariat": scoreboard.Answer(True)},
            opened,
            users["coord_asean"],
        )


def test_an_archived_operation_refuses_changes(app, dataset, users):
    asean = network("ASEAN-WEN")
    stamp = scoreboard.checklist_stamp(dataset, asean.id)
    dataset.phase = OperationPhase.ARCHIVED
    db.session.commit()
    with pytest.raises(ArchivedOperation):
        scoreboard.save_checklist(
            Scope(users["organiser"]),
            dataset,
            asean,
            {"secretariat": scoreboard.Answer(True)},
            stamp,
            users["organiser"],
        )
    db.session.rollback()
    client = signed_in(app, "organiser@test.example")
    url = f"/operations/{dataset.id}/scoreboard/networks/{asean.id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "checklist is read-only" in page.get_data(as_text=True)
    token = csrf_token(client, f"/operations/{dataset.id}/scoreboard")
    response = client.post(
        f"{url}/checklist", data={**checklist_data(stamp, secretariat=True), "csrf_token": token}
    )
    assert response.status_code == 409
    assert checklist_rows(dataset.id, asean.id) == set()
    assert client.get(f"/operations/{dataset.id}/scoreboard").status_code == 200


@pytest.mark.parametrize("role", ["fp_tha", "fp_ken", "comms"])
def test_focal_points_and_communications_get_no_scoreboard(app, dataset, role):
    asean = network("ASEAN-WEN")
    client = signed_in(app, f"{role}@test.example")
    base = f"/operations/{dataset.id}/scoreboard"
    for url in (base, f"{base}.csv", f"{base}.xlsx", f"{base}/networks/{asean.id}"):
        assert client.get(url).status_code == 404, url
    assert "Scoreboard" not in client.get(f"/operations/{dataset.id}").get_data(as_text=True)


def test_a_long_note_is_refused_on_the_form(app, dataset):
    asean = network("ASEAN-WEN")
    client = signed_in(app, "organiser@test.example")
    url = f"/operations/{dataset.id}/scoreboard/networks/{asean.id}"
    token = csrf_token(client, url)
    data = checklist_data(scoreboard.checklist_stamp(dataset, asean.id), secretariat=True)
    data["secretariat_note"] = "x" * (scoreboard.NOTE_MAX + 1)
    response = client.post(f"{url}/checklist", data={**data, "csrf_token": token})
    assert response.status_code == 200
    assert 'id="secretariat_note-error"' in response.get_data(as_text=True)
    assert checklist_rows(dataset.id, asean.id) == set()


# -- suggestions and the demo -------------------------------------------------------------------
def test_the_data_suggest_answers_next_to_the_coordinators(app, dataset, users):
    asean = network("ASEAN-WEN")
    sheet = db.session.scalar(select(NetworkSheet).where(NetworkSheet.network_id == asean.id))
    if sheet is None:
        sheet = NetworkSheet(network_id=asean.id)
        db.session.add(sheet)
    sheet.has_secretariat = True
    sheet.prosecutors_judiciary = None
    sheet.channels_sensitive = "CENcomm CUG ASEAN"
    db.session.commit()
    after = datetime(2027, 3, 1, tzinfo=UTC)
    score = scoreboard.network_score(dataset, asean.id, now=after)
    hints = {line.item.code: line.suggestion for line in score.checklist}
    assert hints["secretariat"].value is True
    assert hints["secure_channel"].value is True
    assert "CENcomm CUG ASEAN" in hints["secure_channel"].reason
    assert hints["pre_briefing"].value is True  # its briefing took place in January 2027
    before = scoreboard.network_score(dataset, asean.id, now=datetime(2027, 1, 1, tzinfo=UTC))
    early = {line.item.code: line.suggestion for line in before.checklist}["pre_briefing"]
    assert early.value is False and "2027-01-20" in early.reason
    assert hints["debrief"].value is None
    assert hints["lessons_shared"].value is True  # the coordinator's evaluation is submitted
    assert hints["directory_updated"].value is False  # no entries at all
    assert hints["prosecutors"].value is None  # not stated, no activity with prosecutors

    # the directory: one entry confirmed within six months, one older; then both fresh
    fresh = Contact(
        kind=ContactKind.FOCAL_POINT, name="Fresh", country_iso3="THA", confirmed_at=after
    )
    old = Contact(
        kind=ContactKind.COORDINATOR,
        name="Old",
        network_id=asean.id,
        confirmed_at=after - timedelta(days=200),
    )
    elsewhere = Contact(kind=ContactKind.FOCAL_POINT, name="Kenya", country_iso3="KEN")
    tha_plan = db.session.scalar(
        select(Activity).where(Activity.participation_id == participation(dataset, "THA").id)
    )
    tha_plan.agencies = ["customs", "prosecutors_judiciary"]
    db.session.add_all([fresh, old, elsewhere])
    db.session.commit()
    hints = {
        line.item.code: line.suggestion
        for line in scoreboard.network_score(dataset, asean.id, now=after).checklist
    }
    assert hints["directory_updated"].value is False
    assert "1 of 2" in hints["directory_updated"].reason
    assert hints["prosecutors"].value is True
    old.confirmed_at = after - timedelta(days=30)
    db.session.commit()
    hints = {
        line.item.code: line.suggestion
        for line in scoreboard.network_score(dataset, asean.id, now=after).checklist
    }
    assert hints["directory_updated"].value is True

    # suggestions never count: nothing is done until someone answers
    assert score.checklist_ratio.numerator == 0
    html = (
        signed_in(app, "organiser@test.example")
        .get(f"/operations/{dataset.id}/scoreboard/networks/{asean.id}")
        .get_data(as_text=True)
    )
    assert "CENcomm CUG ASEAN" in html


def test_seed_demo_checklist_answers_once(dataset, users):
    written = scoreboard.seed_demo_checklist(dataset, users["organiser"])
    assert written == 3 * len(scoreboard.CHECKLIST)
    db.session.commit()
    assert scoreboard.seed_demo_checklist(dataset) == 0
    count = db.session.scalar(select(func.count()).select_from(NetworkChecklistItem))
    assert count == written


# -- the export ---------------------------------------------------------------------------------
def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def test_csv_and_xlsx_hold_the_comparative_table(app, dataset):
    header = scoreboard.comparative_header()
    rows = scoreboard.comparative_table(dataset)
    client = signed_in(app, "coord_latf@test.example")
    response = client.get(f"/operations/{dataset.id}/scoreboard.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "network-scoreboard.csv" in response.headers["Content-Disposition"]
    parsed = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert parsed[0] == header
    assert parsed[1:] == [[as_text(v) for v in row] for row in rows]

    response = client.get(f"/operations/{dataset.id}/scoreboard.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == header
    assert values[1:] == rows
    # and the figures are the independent ones
    want = expected(DATASET)
    by_network = {row[0]: dict(zip(header, row, strict=True)) for row in values[1:]}
    for acronym, w in want.items():
        assert by_network[acronym]["Seizures"] == w["seizures"]
        assert by_network[acronym]["Score (0-100)"] == w["score"]


@pytest.fixture
def evil_network(dataset) -> Any:
    """A network whose acronym and name start like spreadsheet formulas, coordinating Canada.
    Networks are reference data (kept between tests on PostgreSQL): removed afterwards."""
    evil = Network(
        acronym="=EVIL",
        name='=HYPERLINK("http://evil.example","x")',
        form=NetworkForm.GEOGRAPHIC,
        maturity=NetworkMaturity.EMERGING,
        membership_kind=MembershipKind.MEMBERS,
    )
    db.session.add(evil)
    db.session.flush()
    db.session.add(
        Participation(
            operation_id=dataset.id,
            country_iso3="CAN",
            network_id=evil.id,
            status=ParticipationStatus.CONFIRMED,
        )
    )
    db.session.commit()
    yield evil
    db.session.rollback()
    db.session.execute(delete(Participation).where(Participation.network_id == evil.id))
    db.session.execute(delete(Network).where(Network.id == evil.id))
    db.session.commit()


def test_the_export_neutralises_formulas(app, dataset, evil_network):
    client = signed_in(app, "organiser@test.example")
    text = client.get(f"/operations/{dataset.id}/scoreboard.csv").get_data().decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(text)) if r[0].endswith("EVIL"))
    assert row[0] == "'=EVIL"
    assert row[1].startswith("'=HYPERLINK")
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/operations/{dataset.id}/scoreboard.xlsx").get_data())
    )
    cells = next(r for r in book.active.iter_rows() if str(r[0].value).endswith("EVIL"))
    assert cells[0].value == "'=EVIL" and cells[0].data_type == "s"
    assert cells[1].value.startswith("'=HYPERLINK") and cells[1].data_type == "s"


# -- the charts ---------------------------------------------------------------------------------
def test_the_charts_draw_the_scores(dataset):
    scores = scoreboard.network_scores(dataset)
    want = expected(DATASET)
    networks = [s.network_acronym for s in scores]

    bars = scoreboard_charts.indicator_bars(scores)
    assert len(bars.data) == len(scoreboard.INDICATOR_CODES)
    for trace, code in zip(bars.data, scoreboard.INDICATOR_CODES, strict=True):
        assert list(trace.x) == networks
        assert list(trace.y) == [
            round(100 * want[n]["counts"][code] / want[n]["denominators"][code], 1)
            for n in networks
        ]

    heat = scoreboard_charts.comparative_heatmap(scores).data[0]
    assert list(heat.y) == networks
    assert len(heat.x) == len(scoreboard.INDICATOR_CODES) + 2
    assert [row[-1] for row in heat.z] == [want[n]["score"] for n in networks]

    per_state = scoreboard_charts.per_state_chart(scores)
    assert [list(t.y) for t in per_state.data] == [
        [want[n]["per_state"][0] for n in networks],
        [want[n]["per_state"][1] for n in networks],
    ]


def test_the_demo_gets_checklist_answers(app):
    from opsplanner.models import Operation
    from opsplanner.services.demo import load_demo

    load_demo(today=date(2026, 11, 30))
    db.session.commit()
    op = db.session.scalar(select(Operation).where(Operation.phase == OperationPhase.REPORTING))
    scores = scoreboard.network_scores(op)
    coordinated = db.session.scalar(
        select(func.count(Participation.id)).where(
            Participation.operation_id == op.id, Participation.network_id.is_not(None)
        )
    )
    assert sum(s.invited for s in scores) == coordinated
    # the demo loader answered every network's checklist; seeding again writes nothing
    answered = db.session.scalar(
        select(func.count(NetworkChecklistItem.id)).where(
            NetworkChecklistItem.operation_id == op.id
        )
    )
    assert answered == len(scores) * len(scoreboard.CHECKLIST)
    assert scoreboard.seed_demo_checklist(op) == 0
    db.session.commit()
    seeded = scoreboard.network_scores(op)
    assert any(s.checklist_ratio.numerator for s in seeded)
    assert all(s.score is not None and 0 <= s.score <= 100 for s in seeded)
