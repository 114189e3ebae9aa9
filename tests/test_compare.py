"""Comparing operations: every figure against an independent computation from the raw rows,
units never added together, the page and its export for organisers only, the trend charts."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    CountryReport,
    Network,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    RecordSource,
    Seizure,
)
from opsplanner.reference.vocabularies import units
from opsplanner.services import compare, compare_charts, reports, seizures
from opsplanner.services import operations as ops
from opsplanner.services.errors import DomainError, NotFound
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse
from tests.conftest import seizure_row, signed_in


def part(op: Operation, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


class Builder:
    def __init__(self, op: Operation, users: dict[str, Any], year: int) -> None:
        self.op, self.year = op, year
        self.scope = Scope(users["organiser"])
        self.catalog = Catalog.load(op)

    def seizure(self, iso3: str, reference: str, **overrides: Any) -> Seizure:
        row = seizure_row(national_reference=reference, seized_on=f"{self.year}-02-05", **overrides)
        data, errors = parse(row, self.catalog)
        assert not errors, errors
        return seizures.create(
            self.scope, part(self.op, iso3), data, errors, source=RecordSource.FORM
        )

    def move(self, iso3: str, *actions: str, at: datetime) -> None:
        for action in actions:
            reports.transition(self.scope, part(self.op, iso3), action, now=at)


@pytest.fixture
def two(reporting, users):
    """Operation Test Shield (2027, reporting) and Operation First Light (2026, archived)."""
    organiser = users["organiser"]
    shield = reporting
    b = Builder(shield, users, 2027)
    on_time = shield.reporting_deadline - timedelta(days=2)
    late = shield.reporting_deadline + timedelta(days=2)
    b.seizure(
        "THA", "TH-1", commodity="ivory", species="Loxodonta africana", quantity_1="10",
        unit_1="kg", quantity_2="3", unit_2="pieces",
    )  # fmt: skip
    b.seizure("THA", "TH-2", quantity_1="2.5", unit_1="kg", suspects="4", arrests="3")
    b.seizure("THA", "TH-S", sensitive="yes", publishable="no", quantity_1="7")
    b.seizure(
        "KEN", "KE-1", commodity="ivory", species="Loxodonta africana", quantity_1="12",
        unit_1="pieces", suspects="1", arrests="0",
    )  # fmt: skip
    b.seizure("VNM", "VN-1", quantity_1="99")  # never approved: not in the figures
    b.move("THA", "submit", "validate", "approve", at=on_time)
    b.move("KEN", "submit", "validate", "approve", at=late)
    b.move("VNM", "submit", at=on_time)
    # Kenya gives national results: its arrests are its figure, not the seizures' sum
    ken = db.session.scalar(
        select(CountryReport).where(CountryReport.participation_id == part(shield, "KEN").id)
    )
    ken.arrests = 6
    ken.suspects_by_nationality = {"KEN": 5, "TZA": 2}
    part(shield, "UGA").status = ParticipationStatus.DECLINED

    light = ops.create_operation(
        ops.OperationInput(
            "Operation First Light",
            OrganisingAgency.INTERPOL,
            window_start=date(2026, 2, 1),
            window_end=date(2026, 2, 14),
            world_wildlife_day=date(2026, 3, 3),
            reporting_deadline=datetime(2026, 2, 24, 23, 59, tzinfo=UTC),
            embargo_until=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        ),
        by=organiser,
    )
    nets = {n.acronym: n for n in db.session.scalars(select(Network))}
    for iso3, acronym in (("THA", "ASEAN-WEN"), ("KEN", "LATF"), ("BRA", None), ("MYS", None)):
        p = ops.invite_country(light, db.session.get(Country, iso3), nets.get(acronym), organiser)
        p.status = ParticipationStatus.CONFIRMED if iso3 != "MYS" else p.status
    light.phase = OperationPhase.REPORTING
    db.session.flush()
    b2 = Builder(light, users, 2026)
    b2.seizure("THA", "TH-26", quantity_1="40", unit_1="kg", priority="")
    b2.seizure(
        "BRA", "BR-26", commodity="reptiles", species="Testudo graeca", quantity_1="30",
        unit_1="live", priority="", suspects="2", arrests="2",
    )  # fmt: skip
    b2.move("THA", "submit", "validate", "approve", at=light.reporting_deadline)
    b2.move("BRA", "submit", "validate", "approve", at=light.reporting_deadline)
    light.phase = OperationPhase.ARCHIVED
    db.session.commit()
    return shield, light


# -- the independent computation ---------------------------------------------------------------
def independent(op: Operation) -> dict[str, Any]:
    parts = db.session.scalars(select(Participation).where(Participation.operation_id == op.id))
    parts = list(parts)
    confirmed = [p for p in parts if p.status == ParticipationStatus.CONFIRMED]
    report = {
        r.participation_id: r
        for r in db.session.scalars(select(CountryReport))
        if r.participation_id in {p.id for p in confirmed}
    }
    reported = [
        p
        for p in confirmed
        if p.id in report and report[p.id].status.value in ("submitted", "validated", "approved")
    ]
    approved = [p for p in reported if report[p.id].status.value == "approved"]
    on_time = [p for p in reported if report[p.id].first_submitted_at <= op.reporting_deadline]
    counts: dict[str, int] = defaultdict(int)
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    n = suspects = arrests = 0
    for p in approved:
        rows = list(db.session.scalars(select(Seizure).where(Seizure.participation_id == p.id)))
        n += len(rows)
        for s in rows:
            counts[s.commodity] += 1
            for q in s.quantities:
                sums[(s.commodity, q.unit)] += Decimal(q.amount)
        r = report[p.id]
        national_suspects = sum((r.suspects_by_nationality or {}).values())
        arrests += r.arrests if r.arrests > 0 else sum(s.arrests for s in rows)
        suspects += national_suspects if national_suspects > 0 else sum(s.suspects for s in rows)
    return {
        "invited": len(parts),
        "confirmed": len(confirmed),
        "reported": len(reported),
        "approved": len(approved),
        "on_time": len(on_time),
        "seizures": n,
        "suspects": suspects,
        "arrests": arrests,
        "counts": dict(counts),
        "sums": dict(sums),
    }


def test_the_figures_match_an_independent_computation(app, two):
    shield, light = two
    comparison = compare.compare([shield, light])
    # oldest window first, whatever the order asked
    assert comparison.operations == [light, shield]
    for column in comparison.columns:
        want = independent(column.operation)
        got = {
            "invited": column.invited,
            "confirmed": column.confirmed,
            "reported": column.reported,
            "approved": column.approved,
            "on_time": column.on_time,
            "seizures": column.seizures,
            "suspects": column.suspects,
            "arrests": column.arrests,
            "counts": column.commodity_seizures,
            "sums": column.quantities,
        }
        assert got == want, column.operation.code_name
        assert column.reporting_rate == want["reported"] / want["confirmed"]
        assert column.approved_rate == want["approved"] / want["confirmed"]
        assert column.on_time_rate == want["on_time"] / want["confirmed"]
    # the dataset exercises what it should: a late approval, a sensitive case, a national figure
    shield_column = comparison.columns[1]
    assert shield_column.on_time < shield_column.reported
    assert shield_column.approved < shield_column.reported


def test_quantities_stay_per_unit(app, two):
    shield, light = two
    comparison = compare.compare([shield, light])
    rows = {r.commodity: r for r in comparison.commodities}
    ivory = rows["ivory"]
    order = list(units())  # units in vocabulary order
    assert sorted(u.unit for u in ivory.units) == ["kg", "pieces"]
    assert [u.unit for u in ivory.units] == sorted((u.unit for u in ivory.units), key=order.index)
    kg = next(u for u in ivory.units if u.unit == "kg")
    pieces = next(u for u in ivory.units if u.unit == "pieces")
    # 2026: no ivory; 2027: 10 kg and 3 + 12 pieces, two figures, never one
    assert kg.amounts == [None, Decimal("10")]
    assert pieces.amounts == [None, Decimal("15")]
    assert ivory.seizures == [0, 2]
    # 2027: 2.5 + 7 kg (the sensitive case is in the internal figures)
    scales = rows["pangolin_scales"]
    assert [(u.unit, u.amounts) for u in scales.units] == [("kg", [Decimal("40"), Decimal("9.5")])]
    assert scales.seizures == [1, 2]
    # every commodity of either operation has a row, with zero seizures where it had none
    assert rows["reptiles"].seizures == [1, 0]
    assert rows["reptiles"].units[0].amounts == [Decimal("30"), None]
    # ordered by seizures over all the operations
    totals = [sum(r.seizures) for r in comparison.commodities]
    assert totals == sorted(totals, reverse=True)


def test_network_scores_come_from_the_scoreboard(app, two):
    from opsplanner.services import scoreboard

    shield, light = two
    comparison = compare.compare([shield, light])
    assert comparison.scores_available
    for column in comparison.columns:
        want = {s.network_name: s.score for s in scoreboard.network_scores(column.operation)}
        assert column.network_scores == want
    assert set(comparison.networks) == {
        name for c in comparison.columns for name in c.network_scores
    }
    assert comparison.networks  # ASEAN-WEN and LATF coordinate countries in both


def test_the_choice_needs_two_operations_with_results(app, two, operation):
    shield, light = two
    with pytest.raises(DomainError, match="at least two"):
        compare.chosen([shield.id])
    with pytest.raises(DomainError, match="at least two"):
        compare.chosen([shield.id, shield.id])
    other = ops.create_operation(
        ops.OperationInput(
            "Operation Still Planning",
            OrganisingAgency.WCO,
            window_start=date(2029, 2, 1),
            window_end=date(2029, 2, 14),
            world_wildlife_day=date(2029, 3, 3),
            reporting_deadline=datetime(2029, 2, 24, 23, 59, tzinfo=UTC),
            embargo_until=datetime(2029, 3, 3, 9, 0, tzinfo=UTC),
        ),
        by=None,
    )
    db.session.commit()
    with pytest.raises(NotFound):
        compare.chosen([shield.id, other.id])
    with pytest.raises(NotFound):
        compare.chosen([shield.id, 999999])
    assert compare.chosen([shield.id, light.id]) == [light, shield]
    assert other not in compare.comparable_operations()
    assert {light, shield} <= set(compare.comparable_operations())


def test_the_trend_charts_follow_the_windows(app, two):
    shield, light = two
    comparison = compare.compare([shield, light])
    results = compare_charts.results_trend(comparison)
    assert list(results.data[0].x) == [
        "Operation First Light (2026)",
        "Operation Test Shield (2027)",
    ]
    by_name = {t.name: list(t.y) for t in results.data}
    assert by_name["Seizures"] == [c.seizures for c in comparison.columns]
    assert by_name["Arrests"] == [c.arrests for c in comparison.columns]
    rates = {t.name: list(t.y) for t in compare_charts.rates_trend(comparison).data}
    assert rates["Reported"] == [round(100 * c.reporting_rate, 1) for c in comparison.columns]
    assert rates["On time"] == [round(100 * c.on_time_rate, 1) for c in comparison.columns]
    commodities = {t.name: list(t.y) for t in compare_charts.commodity_trend(comparison).data}
    assert commodities == {r.label: r.seizures for r in comparison.commodities}
    scores = compare_charts.scores_trend(comparison)
    assert [t.name for t in scores.data] == comparison.networks


# -- the pages ------------------------------------------------------------------------------------
def test_the_page_shows_the_comparison_to_organisers(app, two):
    shield, light = two
    organiser = signed_in(app, "organiser@test.example")
    page = organiser.get("/operations/compare").get_data(as_text=True)
    assert "Operation First Light" in page and "Operation Test Shield" in page
    response = organiser.get(f"/operations/compare?ops={shield.id}&ops={light.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Operation First Light</a>") < html.index("Operation Test Shield</a>")
    assert 'data-chart="trend-results"' in html and 'data-chart="trend-rates"' in html
    assert "cdn" not in html.lower()
    # one page asks for a second operation
    html = organiser.get(f"/operations/compare?ops={shield.id}").get_data(as_text=True)
    assert "Choose at least two operations to compare." in html
    assert 'href="/operations/compare"' in organiser.get("/operations/").get_data(as_text=True)
    for role in ("coord_asean", "fp_tha", "comms"):
        client = signed_in(app, f"{role}@test.example")
        assert 'href="/operations/compare"' not in client.get("/operations/").get_data(as_text=True)
        assert client.get(f"/operations/compare?ops={shield.id}&ops={light.id}").status_code == 404
        assert (
            client.get(f"/operations/compare.csv?ops={shield.id}&ops={light.id}").status_code == 404
        )


def test_the_export_holds_the_table(app, two):
    shield, light = two
    shield.code_name = "-Test Shield"  # starts like a formula: neutralised in the files
    db.session.commit()
    comparison = compare.compare([shield, light])
    _header, rows = compare.table(comparison)
    organiser = signed_in(app, "organiser@test.example")
    response = organiser.get(f"/operations/compare.csv?ops={shield.id}&ops={light.id}")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0] == ["Figure", "Operation First Light", "'-Test Shield"]
    as_text = [["" if v is None else str(v) for v in row] for row in rows]
    assert lines[1:] == as_text
    by_label = {line[0]: line[1:] for line in lines}
    want = [independent(light), independent(shield)]
    assert by_label["Seizures (approved reports)"] == [str(w["seizures"]) for w in want]
    assert by_label["Arrests"] == [str(w["arrests"]) for w in want]
    ivory = next(r.label for r in comparison.commodities if r.commodity == "ivory")
    pieces = units()["pieces"]
    assert by_label[f"{ivory}: quantity ({pieces})"] == ["", "15"]
    response = organiser.get(f"/operations/compare.xlsx?ops={shield.id}&ops={light.id}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Figure", "Operation First Light", "'-Test Shield"]
    assert len(values) == len(rows) + 1


def test_the_page_draws_no_inline_script(app, two):
    shield, light = two
    organiser = signed_in(app, "organiser@test.example")
    html = organiser.get(f"/operations/compare?ops={shield.id}&ops={light.id}").get_data(
        as_text=True
    )
    start = html.index('data-chart="trend-results">') + len('data-chart="trend-results">')
    figure = json.loads(html[start : html.index("</script>", start)])
    assert figure["data"][0]["name"] == "Seizures"
