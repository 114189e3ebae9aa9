"""Operation set-up: phases and their guards, priorities, network enrolment, the trade chain,
the focal-point directory, readiness and coverage, and the pure chart builders."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Activity,
    AuditEvent,
    Briefing,
    BriefingAttendance,
    Country,
    Network,
    OperationPhase,
    Participation,
    ParticipationStatus,
    PriorityKind,
)
from opsplanner.services import charts, enrolment, phases, priorities, readiness
from opsplanner.services.errors import DomainError
from opsplanner.services.markdown import render_markdown
from opsplanner.services.priorities import PriorityInput
from tests.conftest import login, post_form

P = OperationPhase


def at(op, day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def net(acronym: str) -> Network:
    return db.session.scalar(select(Network).where(Network.acronym == acronym))


def part(op, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


def confirm(op, *iso3s: str) -> None:
    for iso3 in iso3s:
        part(op, iso3).status = ParticipationStatus.CONFIRMED
    db.session.commit()


def add_priority(op, users, **kw) -> object:
    data = PriorityInput(
        **{"kind": PriorityKind.COMMODITY, "title": "Ivory", "commodity": "ivory", **kw}
    )
    p = priorities.add(op, data, users["organiser"])
    db.session.commit()
    return p


# -- phases ---------------------------------------------------------------------------------
def test_briefing_needs_priorities_and_confirmed_countries(operation, users):
    check = phases.check_move(operation, P.BRIEFING)
    assert not check.allowed
    assert check.reasons == [
        "the operation has no priorities yet",
        "no country has confirmed its participation yet",
    ]
    with pytest.raises(DomainError, match="Cannot move to briefing: the operation has no"):
        phases.move(operation, P.BRIEFING, users["organiser"])
    add_priority(operation, users)
    confirm(operation, "THA")
    change = phases.move(operation, P.BRIEFING, users["organiser"], note="go")
    db.session.commit()
    assert operation.phase is P.BRIEFING
    assert (change.from_phase, change.to_phase, change.note) == (P.PLANNING, P.BRIEFING, "go")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "operation.phase"))
    assert (event.before, event.after["phase"]) == ({"phase": "planning"}, "briefing")


def test_time_guards_name_the_date(operation, users):
    add_priority(operation, users)
    confirm(operation, "THA")
    phases.move(operation, P.BRIEFING, users["organiser"])
    before_window = at(operation, operation.window_start - timedelta(days=1))
    check = phases.check_move(operation, P.ACTIVE, now=before_window)
    assert check.reasons == ["the operation window opens on 2027-02-01"]
    phases.move(operation, P.ACTIVE, users["organiser"], now=at(operation, operation.window_start))

    check = phases.check_move(operation, P.REPORTING, now=at(operation, date(2027, 2, 13)))
    assert check.reasons == ["reporting opens on the last day of the window, 2027-02-14"]
    assert operation.template_frozen_at is None
    phases.move(operation, P.REPORTING, users["organiser"], now=at(operation, date(2027, 2, 14)))
    assert phases.template_is_frozen(operation)

    early = operation.reporting_deadline - timedelta(minutes=1)
    assert phases.check_move(operation, P.EVALUATION, now=early).reasons == [
        "the reporting deadline (2027-02-24 23:59 UTC) has not passed"
    ]
    phases.move(operation, P.EVALUATION, users["organiser"], now=operation.reporting_deadline)

    embargoed = operation.embargo_until - timedelta(seconds=1)
    assert phases.check_move(operation, P.PUBLISHED, now=embargoed).reasons == [
        "the embargo lasts until 2027-03-03 09:00 UTC"
    ]
    phases.move(operation, P.PUBLISHED, users["organiser"], now=operation.embargo_until)
    from opsplanner.models import Pack, PackAudience, PackStatus  # archiving needs the pack

    db.session.add(
        Pack(
            operation=operation,
            audience=PackAudience.PUBLIC,
            status=PackStatus.SUCCEEDED,
            data_version="v1",
            inputs_version="v1",
            embargo_until=operation.embargo_until,
        )
    )
    phases.move(operation, P.ARCHIVED, users["organiser"], now=operation.embargo_until)
    db.session.commit()
    assert [c.to_phase for c in operation.phase_changes] == [
        P.BRIEFING,
        P.ACTIVE,
        P.REPORTING,
        P.EVALUATION,
        P.PUBLISHED,
        P.ARCHIVED,
    ]


def test_skipping_phases_is_refused(operation, users):
    check = phases.check_move(operation, P.PUBLISHED)
    assert check.reasons == ["planning cannot move to published"]


def test_a_refused_move_shows_the_reason_on_the_page(client, operation, users):
    login(client, users["organiser"].email)
    response = post_form(
        client,
        f"/operations/{operation.id}/phase",
        {"target": "briefing"},
        form_url=f"/operations/{operation.id}",
    )
    assert response.status_code == 302
    page = client.get(f"/operations/{operation.id}").get_data(as_text=True)
    assert "Cannot move to briefing: the operation has no priorities yet" in page
    assert "Not yet: no country has confirmed its participation yet." in page
    db.session.expire_all()
    assert operation.phase is P.PLANNING


# -- priorities -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"kind": PriorityKind.COMMODITY, "commodity": None},
            "commodity",
            "choose the commodity category this priority targets",
        ),
        (
            {"kind": PriorityKind.COMMODITY, "commodity": "unicorn"},
            "commodity",
            "unknown commodity category 'unicorn'",
        ),
        (
            {"kind": PriorityKind.TRADE_ROUTE, "origin_codes": ["NGA"]},
            "origin_codes",
            "a trade route needs at least one origin and one destination",
        ),
        (
            {
                "kind": PriorityKind.TRADE_ROUTE,
                "origin_codes": ["XXX"],
                "destination_codes": ["VNM"],
            },
            "origin_codes",
            "unknown country or region code(s): XXX",
        ),
        (
            {"kind": PriorityKind.MODUS_OPERANDI, "conveyances": ["teleport"]},
            "conveyances",
            "unknown conveyance(s): teleport",
        ),
    ],
)
def test_priority_rules(operation, users, data, field, message):
    with pytest.raises(DomainError) as err:
        priorities.add(operation, PriorityInput(title="x", **data), users["organiser"])
    assert (err.value.field, err.value.message) == (field, message)


def test_priorities_rank_move_and_delete(operation, users):
    a = add_priority(operation, users, title="A")
    b = add_priority(operation, users, title="B")
    c = add_priority(operation, users, title="C")
    assert [p.rank for p in (a, b, c)] == [1, 2, 3]
    priorities.move(c, -1, users["organiser"])
    db.session.commit()
    db.session.expire_all()
    assert [p.title for p in operation.priorities] == ["A", "C", "B"]
    priorities.remove(a, users["organiser"])
    db.session.commit()
    db.session.expire_all()
    assert [(p.rank, p.title) for p in operation.priorities] == [(1, "C"), (2, "B")]


def test_priorities_are_fixed_once_active(operation, users):
    operation.phase = P.ACTIVE
    db.session.commit()
    with pytest.raises(DomainError, match="priorities are fixed once the operation is active"):
        add_priority(operation, users)


def test_priority_form_shows_the_message_on_the_field(client, operation, users):
    login(client, users["organiser"].email)
    url = f"/operations/{operation.id}/priorities"
    response = post_form(
        client, url, {"kind": "trade_route", "title": "Route", "origin_codes": ["NGA"]}
    )
    assert response.status_code == 200
    assert "a trade route needs at least one origin and one destination" in response.get_data(
        as_text=True
    )
    response = post_form(
        client,
        url,
        {
            "kind": "trade_route",
            "title": "West Africa to Asia",
            "origin_codes": ["M49:011"],
            "destination_codes": ["VNM", "CHN"],
            "conveyances": ["sea_container"],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    (p,) = operation.priorities
    assert (p.origin_codes, p.destination_codes, p.conveyances) == (
        ["M49:011"],
        ["VNM", "CHN"],
        ["sea_container"],
    )


# -- enrolment and the trade chain ----------------------------------------------------------
def test_invite_network_enrols_current_members_once(operation, users):
    report = enrolment.invite_network(operation, net("ASEAN-WEN"), users["organiser"])
    db.session.commit()
    # THA and VNM were already enrolled and keep their participation.
    assert {p.country_iso3 for p in report.already} == {"THA", "VNM"}
    assert len(report.invited) == 8
    new = part(operation, "MYS")
    assert new.network.acronym == "ASEAN-WEN" and new.status is ParticipationStatus.INVITED
    again = enrolment.invite_network(operation, net("ASEAN-WEN"), users["organiser"])
    assert again.invited == []


def test_invite_network_uses_membership_dates(operation, users):
    enrolment.invite_network(
        operation, net("EU Enforcement Group"), users["organiser"], today=date(2026, 11, 30)
    )
    assert part(operation, "GBR") is None  # left the EU bodies in 2020
    assert part(operation, "DEU") is not None


def test_trade_chain_lists_countries_that_have_not_confirmed(operation, users):
    add_priority(
        operation,
        users,
        kind=PriorityKind.TRADE_ROUTE,
        title="Pangolin route",
        commodity=None,
        origin_codes=["NGA", "CMR"],
        transit_codes=["KEN"],
        destination_codes=["VNM"],
    )
    confirm(operation, "VNM")
    part(operation, "KEN").status = ParticipationStatus.DECLINED
    db.session.commit()
    (check,) = enrolment.trade_chain_gaps(operation)
    gaps = {g.country.iso3: (g.roles, g.status) for g in check.gaps}
    assert gaps == {
        "NGA": (["origin"], "not invited"),
        "CMR": (["origin"], "not invited"),
        "KEN": (["transit"], "declined"),
    }
    assert check.covered == 1


def test_trade_chain_expands_m49_areas(operation, users):
    add_priority(
        operation,
        users,
        kind=PriorityKind.TRADE_ROUTE,
        title="South-east Asia outbound",
        commodity=None,
        origin_codes=["M49:035"],
        destination_codes=["CHN"],
    )
    (check,) = enrolment.trade_chain_gaps(operation)
    expected = set(db.session.scalars(select(Country.iso3).where(Country.subregion_code == "035")))
    assert {g.country.iso3 for g in check.gaps} == (expected | {"CHN"})


def test_directory_export_is_scoped_and_audited(app, operation, users):
    tha, ken = part(operation, "THA"), part(operation, "KEN")
    tha.focal_points.append(users["fp_tha"])
    ken.focal_points.append(users["fp_ken"])
    db.session.commit()
    client = app.test_client()
    login(client, users["coord_asean"].email)
    body = client.get(f"/operations/{operation.id}/directory.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert {r["ISO3"] for r in rows} == {"THA", "VNM"}
    assert [r["E-mail"] for r in rows if r["ISO3"] == "THA"] == [users["fp_tha"].email]
    assert "Kenya" not in body

    organiser = app.test_client()
    login(organiser, users["organiser"].email)
    xlsx = organiser.get(f"/operations/{operation.id}/directory.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 1 + 5  # five countries, one focal point or a blank row each
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "directory.export")
    ).all()
    assert [(e.actor_email, e.after["format"], e.after["rows"]) for e in events] == [
        (users["coord_asean"].email, "csv", 2),
        (users["organiser"].email, "xlsx", 5),
    ]


# -- readiness and coverage -----------------------------------------------------------------
def _plan(op, iso3: str, priority, n: int = 1) -> None:
    p = part(op, iso3)
    for i in range(n):
        a = Activity(
            participation=p,
            activity_type_code="air_cargo_screening",
            title=f"A{i}",
            location="Airport",
            start_date=op.window_start,
            end_date=op.window_end,
            agencies=["customs"],
        )
        a.priorities.append(priority)
        db.session.add(a)


def test_readiness_board_counts_against_confirmed_countries(operation, users):
    prio = add_priority(operation, users)
    confirm(operation, "THA", "VNM", "KEN")
    part(operation, "UGA").status = ParticipationStatus.DECLINED
    part(operation, "THA").guidelines_acknowledged_at = datetime.now(UTC)
    briefing = Briefing(
        operation=operation, title="B", starts_at=datetime.now(UTC), ical_uid="b1@test"
    )
    db.session.add(briefing)
    db.session.add(BriefingAttendance(briefing=briefing, participation=part(operation, "VNM")))
    db.session.add(
        BriefingAttendance(briefing=briefing, participation=part(operation, "KEN"), attended=False)
    )
    _plan(operation, "THA", prio, n=2)
    db.session.commit()
    board = {r.network: r for r in readiness.readiness_board(operation)}
    asean, latf, none = board["ASEAN-WEN"], board["LATF"], board[readiness.NO_NETWORK]
    assert (
        asean.invited,
        asean.confirmed,
        asean.acknowledged,
        asean.briefed,
        asean.planned,
        asean.activities,
    ) == (2, 2, 1, 1, 1, 2)
    assert asean.not_ready == [db.session.get(Country, "VNM").name]
    assert (latf.invited, latf.confirmed, latf.declined, latf.briefed, latf.planned) == (
        2,
        1,
        1,
        0,
        0,
    )
    assert (none.invited, none.confirmed) == (1, 0)


def test_coverage_by_network_and_region(operation, users):
    ivory = add_priority(operation, users)
    route = add_priority(
        operation,
        users,
        kind=PriorityKind.TRADE_ROUTE,
        title="East Africa to Asia",
        commodity=None,
        origin_codes=["KEN", "UGA"],
        destination_codes=["THA", "VNM"],
    )
    confirm(operation, "THA", "VNM", "KEN", "UGA")
    _plan(operation, "THA", ivory)
    _plan(operation, "THA", route)
    _plan(operation, "KEN", route, n=3)
    db.session.commit()
    cov = readiness.coverage(operation)
    assert cov.columns == ["ASEAN-WEN", "LATF"]
    assert cov.counts == {
        (ivory.id, "ASEAN-WEN"): 1,
        (route.id, "ASEAN-WEN"): 1,
        (route.id, "LATF"): 3,
    }
    assert cov.chain_without_activity[route.id] == sorted(
        db.session.get(Country, c).name for c in ("UGA", "VNM")
    )
    by_region = readiness.coverage(operation, by="region")
    assert by_region.counts[(route.id, "Sub-Saharan Africa")] == 3


def test_readiness_page_embeds_charts_safely(app, operation, users):
    prio = add_priority(operation, users, title="</script><script>alert(1)</script>")
    confirm(operation, "THA")
    _plan(operation, "THA", prio)
    db.session.commit()
    client = app.test_client()
    login(client, users["organiser"].email)
    response = client.get(f"/operations/{operation.id}/readiness")
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "\\u003cscript\\u003ealert(1)" in page  # the title, escaped inside the JSON
    assert "'unsafe-inline'" in response.headers["Content-Security-Policy"].split("style-src")[1]
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_chart_builders_are_pure_functions_of_their_data():
    rows = [
        readiness.ReadinessRow(
            "ASEAN-WEN", invited=10, confirmed=8, acknowledged=6, briefed=5, planned=4
        )
    ]
    fig = charts.readiness_chart(rows)
    assert [t.name for t in fig.data] == ["Confirmed", "Acknowledged", "Briefed", "Planned"]
    assert [list(t.y) for t in fig.data] == [[8], [6], [5], [4]]
    cov = readiness.Coverage(
        priorities=[(1, "1. Ivory"), (2, "2. Timber")],
        columns=["LATF", "SA-WEN"],
        counts={(1, "LATF"): 3},
        chain_without_activity={},
    )
    heat = charts.coverage_heatmap(cov).data[0]
    assert [list(r) for r in heat.z] == [[3, 0], [0, 0]]
    assert list(heat.y) == ["1. Ivory", "2. Timber"]


# -- operation edit and guidelines ---------------------------------------------------------
def test_guidelines_are_sanitised_markdown():
    html = render_markdown(
        "# Guidelines\n\n* report **pieces and kg** separately\n\n"
        "<script>alert(1)</script> [site](javascript:alert(1)) ![x](http://tracker/x.png)"
    )
    assert "<h1>Guidelines</h1>" in html and "<strong>pieces and kg</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "<img" not in html


def test_edit_operation_and_schedule_freeze(client, operation, users):
    login(client, users["organiser"].email)
    url = f"/operations/{operation.id}/edit"
    form = {
        "code_name": "Operation Test Shield",
        "organising_agency": "WCO",
        "window_start": "2027-02-01",
        "window_end": "2027-02-14",
        "world_wildlife_day": "2027-03-03",
        "reporting_deadline": "2027-02-24T23:59",
        "embargo_until": "2027-03-03T09:00",
        "timezone": "Africa/Nairobi",
        "guidelines": "Report every seizure within **48 hours**.",
    }
    assert post_form(client, url, form).status_code == 302
    db.session.expire_all()
    assert (operation.timezone, operation.guidelines) == (
        "Africa/Nairobi",
        "Report every seizure within **48 hours**.",
    )
    page = client.get(f"/operations/{operation.id}/guidelines").get_data(as_text=True)
    assert "<strong>48 hours</strong>" in page

    operation.phase = P.ACTIVE
    db.session.commit()
    response = post_form(client, url, {**form, "window_end": "2027-02-13"})
    assert "the schedule is fixed once the operation is active" in response.get_data(as_text=True)
    db.session.expire_all()
    assert operation.window_end == date(2027, 2, 14)


def test_the_focal_point_who_answers_becomes_the_countrys_contact(app, operation, users):
    from opsplanner.services import operations as ops

    p = part(operation, "THA")
    ops.respond(p, ParticipationStatus.CONFIRMED, "", users["fp_tha"])
    ops.respond(p, ParticipationStatus.WITHDRAWN, "", users["fp_tha"])  # answering again
    ops.respond(part(operation, "KEN"), ParticipationStatus.CONFIRMED, "", users["organiser"])
    db.session.commit()
    assert part(operation, "THA").focal_points == [users["fp_tha"]]
    assert part(operation, "KEN").focal_points == []  # an organiser is nobody's focal point
    rows = enrolment.directory_rows([part(operation, "THA")])
    assert [r[5] for r in rows] == [users["fp_tha"].email]


def test_trade_chain_names_countries_that_take_no_part(operation, users):
    route = add_priority(
        operation,
        users,
        kind=PriorityKind.TRADE_ROUTE,
        title="Route",
        commodity=None,
        origin_codes=["NGA"],
        destination_codes=["THA"],
    )
    cov = readiness.coverage(operation)
    assert cov.chain_without_activity[route.id] == ["Nigeria", "Thailand"]
