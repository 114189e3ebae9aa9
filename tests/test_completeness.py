"""Completeness of an operation's results and the communications summary: the figures against
an independent computation from the raw rows, the coordinator's view of their network only, and
a summary that leaves sensitive seizures and country names out."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    CountryReport,
    Participation,
    ParticipationStatus,
    RecordSource,
    Role,
    Seizure,
    SeizureQuantity,
)
from opsplanner.services import accounts, completeness, reports, seizures
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse
from tests.conftest import bearer, seizure_row, signed_in

A = "/api/v1"
DEADLINE = datetime(2027, 2, 24, 23, 59, tzinfo=UTC)
ON_TIME = DEADLINE - timedelta(days=2)
LATE = DEADLINE + timedelta(days=3)
ALL = ("THA", "VNM", "KEN", "UGA", "FRA")

SECRET_REF = "TH-SECRET-777"
SECRET_PLACE = "Bonded warehouse 7, Lat Krabang"
SECRET_AMOUNT = "987.654"


# -- building datasets ---------------------------------------------------------------------------
def part(op: Any, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


class Builder:
    """Seizures and report moves through the real services, with a fixed clock."""

    def __init__(self, op: Any, users: dict[str, Any]) -> None:
        self.op = op
        self.scope = Scope(users["organiser"])
        self.catalog = Catalog.load(op)

    def seizure(self, iso3: str, reference: str, **overrides: Any) -> Seizure:
        data, errors = parse(seizure_row(national_reference=reference, **overrides), self.catalog)
        assert not errors, errors
        return seizures.create(
            self.scope, part(self.op, iso3), data, errors, source=RecordSource.FORM
        )

    def move(self, iso3: str, *actions: tuple[str, datetime]) -> None:
        for action, when in actions:
            comment = "Fix the units." if action == "return" else ""
            reports.transition(self.scope, part(self.op, iso3), action, comment=comment, now=when)


def mixed(op: Any, users: dict[str, Any]) -> None:
    """Thailand approved on time, Viet Nam submitted late, Kenya returned (first submitted on
    time), Uganda declined, France (no network) validated on time; a Malaysian invitation."""
    b = Builder(op, users)
    b.seizure(
        "THA",
        "TH-1",
        quantity_1="10",
        unit_1="kg",
        quantity_2="3",
        unit_2="pieces",
        commodity="ivory",
        species="Loxodonta africana",
    )
    b.seizure("THA", "TH-2")  # 120.5 kg pangolin scales
    b.seizure(
        "THA",
        SECRET_REF,
        sensitive="yes",
        publishable="no",
        place=SECRET_PLACE,
        quantity_1=SECRET_AMOUNT,
    )
    b.seizure(
        "KEN",
        "KE-1",
        commodity="ivory",
        species="Loxodonta africana",
        quantity_1="2.25",
        unit_1="kg",
        origin="KEN",
        destination="VNM",
    )
    b.seizure(
        "VNM",
        "VN-1",
        commodity="reptiles",
        species="Testudo graeca",
        quantity_1="40",
        unit_1="live",
    )
    b.seizure("FRA", "FR-1", quantity_1="0.75")
    b.move("THA", ("submit", ON_TIME), ("validate", ON_TIME), ("approve", LATE))
    b.move("VNM", ("submit", LATE))
    b.move("KEN", ("submit", ON_TIME), ("return", ON_TIME + timedelta(hours=1)))
    b.move("FRA", ("submit", DEADLINE), ("validate", LATE))
    uga = part(op, "UGA")
    uga.status = ParticipationStatus.DECLINED
    from opsplanner.services import operations as ops

    ops.invite_country(op, db.session.get(Country, "MYS"), None, by=users["organiser"])
    db.session.commit()


def nobody(op: Any, users: dict[str, Any]) -> None:
    """Everyone confirmed, drafts with seizures, nothing submitted."""
    b = Builder(op, users)
    b.seizure("THA", "TH-1")
    b.seizure(
        "KEN",
        "KE-1",
        commodity="ivory",
        species="Loxodonta africana",
        unit_1="pieces",
        quantity_1="12",
    )
    db.session.commit()


def resubmitted(op: Any, users: dict[str, Any]) -> None:
    """Returned then resubmitted late (the first submission decides), reopened, a country
    invited but never confirmed, Kenya's network gone."""
    b = Builder(op, users)
    b.seizure("UGA", "UG-1", quantity_1="5")
    b.move("UGA", ("submit", ON_TIME), ("return", ON_TIME), ("submit", LATE))
    b.move("THA", ("submit", LATE), ("validate", LATE), ("approve", LATE))
    b.move("VNM", ("submit", ON_TIME), ("reopen", LATE))
    ken = part(op, "KEN")
    ken.network_id = None
    part(op, "FRA").status = ParticipationStatus.INVITED
    db.session.commit()


DATASETS = {"mixed": mixed, "nobody": nobody, "resubmitted": resubmitted}


# -- the independent computation ---------------------------------------------------------------
def independent(op_id: int, visible: set[str] | None = None) -> dict[str, Any]:
    """The figures recomputed from the raw rows, the plain way."""
    rows = db.session.scalars(
        select(Participation).where(Participation.operation_id == op_id)
    ).all()
    rows = [p for p in rows if visible is None or p.country_iso3 in visible]
    status = {r.participation_id: r for r in db.session.scalars(select(CountryReport)).all()}
    by_network: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_region: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    total = [0, 0, 0, 0]
    missing = set()
    for p in rows:
        if p.status != ParticipationStatus.CONFIRMED:
            continue
        r = status.get(p.id)
        reported = r is not None and r.status.value in ("submitted", "validated", "approved")
        approved = r is not None and r.status.value == "approved"
        on_time = reported and r.first_submitted_at <= DEADLINE
        figures = [1, int(reported), int(approved), int(on_time)]
        net = p.network.acronym if p.network else "(no network)"
        for bucket in (by_network[net], by_region[completeness.region_label(p)], total):
            for i, v in enumerate(figures):
                bucket[i] += v
        if not reported:
            missing.add(p.country_iso3)
    ids = {p.id for p in rows}
    counts: dict[str, int] = defaultdict(int)
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for s in db.session.scalars(select(Seizure)).all():
        if s.participation_id not in ids:
            continue
        counts[s.commodity] += 1
        for q in s.quantities:
            sums[(s.commodity, q.unit)] += q.amount
    return {
        "total": total,
        "by_network": dict(by_network),
        "by_region": dict(by_region),
        "missing": missing,
        "counts": dict(counts),
        "sums": dict(sums),
    }


def figures(t: completeness.Tally) -> list[int]:
    return [t.expected, t.reported, t.approved, t.on_time]


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("viewer", ["organiser", "coord_asean", "coord_latf"])
def test_figures_match_an_independent_computation(app, users, reporting, dataset, viewer):
    DATASETS[dataset](reporting, users)
    scope = Scope(users[viewer])
    board = completeness.completeness(reporting, scope)
    visible = {p.country_iso3 for p in db.session.scalars(scope.participations(reporting))}
    want = independent(reporting.id, visible)
    assert figures(board.total) == want["total"]
    assert {t.label: figures(t) for t in board.by_network} == want["by_network"]
    assert {t.label: figures(t) for t in board.by_region} == want["by_region"]
    assert {m.iso3 for m in board.missing} == want["missing"]
    assert {c.commodity: c.seizures for c in board.commodities} == want["counts"]
    assert {
        (c.commodity, unit): amount
        for c in board.commodities
        for unit, amount in c.quantities.items()
    } == want["sums"]
    for t in [board.total, *board.by_network, *board.by_region]:
        assert t.on_time <= t.reported <= t.expected
        assert t.reporting_rate == (t.reported / t.expected if t.expected else 0)
        assert t.on_time_rate == (t.on_time / t.expected if t.expected else 0)


def test_the_mixed_dataset_in_numbers(app, users, reporting):
    mixed(reporting, users)
    board = completeness.completeness(reporting, Scope(users["organiser"]))
    # THA, VNM, KEN, FRA confirmed (UGA declined, MYS invited)
    assert figures(board.total) == [4, 3, 1, 2]  # VNM late; KEN returned is not reported
    assert board.total.late == 1
    nets = {t.label: figures(t) for t in board.by_network}
    assert nets == {"ASEAN-WEN": [2, 2, 1, 1], "LATF": [1, 0, 0, 0], "(no network)": [1, 1, 0, 1]}
    [ken] = board.missing
    assert ken.iso3 == "KEN" and ken.status.value == "returned"
    assert ken.return_comment == "Fix the units." and ken.seizures == 1
    assert ken.emails == ["fp_ken@test.example"]  # no named focal point: the country's accounts
    lines = {c.commodity: c for c in board.commodities}
    # never added across units: 10 kg + 2.25 kg of ivory, and 3 pieces apart
    assert lines["ivory"].quantities == {"pieces": Decimal("3"), "kg": Decimal("12.25")}
    assert lines["ivory"].seizures == 2
    assert lines["pangolin_scales"].quantities == {
        "kg": Decimal("120.5") + Decimal("987.654") + Decimal("0.75")
    }
    assert board.seizures == 6 and board.sensitive == 1


def test_named_focal_points_come_first(app, users, reporting):
    named = accounts.create_user(
        email="named.fp@test.example", name="Named", role=Role.FOCAL_POINT, country_iso3="KEN"
    )
    ken, tha = part(reporting, "KEN"), part(reporting, "THA")
    ken.focal_points.append(named)
    db.session.commit()
    emails = completeness.focal_point_emails([ken, tha])
    assert emails[ken.id] == ["named.fp@test.example"]
    assert emails[tha.id] == ["fp_tha@test.example"]
    named.active = False
    db.session.commit()
    assert completeness.focal_point_emails([ken])[ken.id] == ["fp_ken@test.example"]


# -- the page and the API --------------------------------------------------------------------------
def names(*iso3: str) -> list[str]:
    return [db.session.get(Country, c).name for c in iso3]


def test_the_organiser_sees_every_country_with_charts(app, users, reporting):
    mixed(reporting, users)
    client = signed_in(app, "organiser@test.example")
    response = client.get(f"/operations/{reporting.id}/completeness")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Kenya" in html and "fp_ken@test.example" in html and "Fix the units." in html
    assert 'data-chart="rates-chart"' in html and 'data-chart="commodity-chart"' in html
    assert "plotly-strict.min.js" in html
    csp = response.headers["Content-Security-Policy"]
    assert "style-src" in csp and "'unsafe-inline'" in csp.split("style-src", 1)[1].split(";")[0]
    assert "12.25 kg" in html and "3 pieces" in html


@pytest.mark.parametrize(
    "role, members, outsiders",
    [
        ("coord_asean", ("THA", "VNM"), ("KEN", "UGA", "FRA")),
        ("coord_latf", ("KEN",), ("THA", "VNM", "FRA")),
    ],
)
def test_a_coordinator_sees_only_their_network(
    app, users, reporting, api_tokens, role, members, outsiders
):
    mixed(reporting, users)
    board = completeness.completeness(reporting, Scope(users[role]))
    assert {t.label for t in board.by_network} <= {"ASEAN-WEN", "LATF"}
    client = signed_in(app, f"{role}@test.example")
    html = client.get(f"/operations/{reporting.id}/completeness").get_data(as_text=True)
    outsider_names = names(*outsiders)
    assert not [n for n in outsider_names if n in html]
    body = (
        app.test_client()
        .get(f"{A}/operations/{reporting.id}/completeness", headers=bearer(api_tokens[role]))
        .get_json()
    )
    text = json.dumps(body)
    assert not [n for n in outsider_names if n in text]
    assert not [c for c in outsiders if f'"{c}"' in text]
    assert body["total"]["expected"] == sum(
        1 for c in members if part(reporting, c).status is ParticipationStatus.CONFIRMED
    )
    if role == "coord_asean":
        # Thailand's sensitive seizure is within the coordinator's scope: counted, flagged
        assert body["seizures"]["sensitive"] == 1


@pytest.mark.parametrize("role", ["fp_tha", "fp_ken", "comms"])
def test_focal_points_and_communications_get_no_board(app, users, reporting, api_tokens, role):
    client = signed_in(app, f"{role}@test.example")
    assert client.get(f"/operations/{reporting.id}/completeness").status_code == 404
    assert client.get(f"/operations/{reporting.id}/reminders").status_code == 404
    api = app.test_client()
    headers = bearer(api_tokens[role])
    assert (
        api.get(f"{A}/operations/{reporting.id}/completeness", headers=headers).status_code == 404
    )
    summary_status = 200 if role == "comms" else 404
    assert client.get(f"/operations/{reporting.id}/summary").status_code == summary_status
    assert api.get(f"{A}/operations/{reporting.id}/summary", headers=headers).status_code == (
        summary_status
    )


# -- the communications summary ------------------------------------------------------------------
def test_the_summary_leaves_out_sensitive_seizures_drafts_and_countries(
    app, users, reporting, api_tokens
):
    mixed(reporting, users)
    summary = completeness.summary(reporting)
    # reported: THA (approved), VNM (submitted), FRA (validated); KEN returned is left out
    assert summary.expected == 4 and summary.reported == 3
    lines = {c.commodity: c for c in summary.commodities}
    assert lines["pangolin_scales"].quantities == {"kg": Decimal("121.25")}  # 120.5 + 0.75
    assert lines["pangolin_scales"].seizures == 2
    assert lines["ivory"].quantities == {"pieces": Decimal("3"), "kg": Decimal("10")}
    assert summary.seizures == 4 and summary.countries_with_seizures == 3
    assert "KE-1" not in json.dumps(summary.as_dict())

    forbidden = [
        SECRET_REF,
        SECRET_PLACE,
        SECRET_AMOUNT,
        "987.65",
        "1108",
        *names(*ALL),
        "Malaysia",
    ]
    client = signed_in(app, "comms@test.example")
    html = client.get(f"/operations/{reporting.id}/summary").get_data(as_text=True)
    assert "121.25 kg" in html
    assert not [s for s in forbidden if s in html]
    body = (
        app.test_client()
        .get(f"{A}/operations/{reporting.id}/summary", headers=bearer(api_tokens["comms"]))
        .get_json()
    )
    text = json.dumps(body)
    assert not [s for s in forbidden if s in text]
    strings = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            strings.add(v)

    walk(body)
    assert not strings & {*ALL, "MYS"}
    assert body["countries_reported"] == 3 and body["seizures"] == 4


def test_the_summary_is_the_same_for_every_role_that_sees_it(app, users, reporting, api_tokens):
    mixed(reporting, users)
    bodies = [
        app.test_client()
        .get(f"{A}/operations/{reporting.id}/summary", headers=bearer(api_tokens[role]))
        .get_json()
        for role in ("organiser", "coord_asean", "coord_latf", "comms")
    ]
    assert all(b == bodies[0] for b in bodies)


def test_quantities_are_added_as_decimals(app, users, reporting):
    b = Builder(reporting, users)
    for n, amount in enumerate(("0.1", "0.2", "0.001", "1000000.333")):
        b.seizure("THA", f"TH-D{n}", quantity_1=amount)
    db.session.commit()
    board = completeness.completeness(reporting, Scope(users["organiser"]))
    [line] = board.commodities
    assert line.quantities["kg"] == Decimal("1000000.634")
    assert line.as_dict()["quantities"] == [{"unit": "kg", "amount": "1000000.634"}]
    assert db.session.scalar(select(SeizureQuantity.amount).limit(1)) is not None
