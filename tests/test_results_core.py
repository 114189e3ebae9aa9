"""The results core: the species reference, the one seizure validation (each rule with its
message), seizure records with versions and history, and the review state machine with locks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    CountryReport,
    OperationPhase,
    Participation,
    ParticipationStatus,
    RecordSource,
    ReportStatus,
    Seizure,
    Species,
)
from opsplanner.reference import DATA_DIR
from opsplanner.services import reports, seizures
from opsplanner.services.errors import Conflict, DomainError, Forbidden
from opsplanner.services.reference import load_reference
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse, parse_decimal, to_row
from tests.conftest import seizure_row


def participation(op: Any, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


def errors_of(op: Any, **overrides: Any) -> dict[str, str]:
    _data, errors = parse(seizure_row(**overrides), Catalog.load(op))
    return {e.field: e.message for e in errors}


def add(op: Any, user: Any, iso3: str = "THA", **overrides: Any) -> Seizure:
    data, errors = parse(seizure_row(**overrides), Catalog.load(op))
    s = seizures.create(
        Scope(user), participation(op, iso3), data, errors, source=RecordSource.FORM
    )
    db.session.commit()
    return s


# -- the species reference ------------------------------------------------------------------------
def test_the_shipped_species_are_loaded_with_their_cites_appendix(app):
    shipped = json.loads((DATA_DIR / "species.json").read_text(encoding="utf-8"))["taxa"]
    loaded = {s.scientific_name: s for s in db.session.scalars(select(Species))}
    assert set(loaded) == {t["scientific_name"] for t in shipped}
    pangolin = loaded["Manis javanica"]
    assert (pangolin.cites_appendix, pangolin.taxon_group) == ("I", "mammals")
    assert "pangolin_scales" in pangolin.commodities


def test_reloading_the_reference_repairs_a_species_without_duplicating(app):
    taxon = db.session.scalar(select(Species).where(Species.scientific_name == "Manis javanica"))
    taxon.cites_appendix = "III"
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(Species))
    report = load_reference()
    db.session.commit()
    assert report.species_added == 0 and report.species_updated == 1
    assert db.session.scalar(select(func.count()).select_from(Species)) == before
    db.session.refresh(taxon)
    assert taxon.cites_appendix == "I"


# -- the one validation ---------------------------------------------------------------------------
def test_a_valid_row_parses_to_typed_values(app, reporting):
    data, errors = parse(seizure_row(transit="ETH, ae"), Catalog.load(reporting))
    assert errors == []
    assert data.seized_on.isoformat() == "2027-02-05"
    assert [(q.amount, q.unit) for q in data.quantities] == [(Decimal("120.5"), "kg")]
    assert data.origin == ["NGA"] and data.transit == ["ETH", "ARE"]  # ISO2 read as ISO3
    assert data.species_id is not None and data.priority_id is not None
    assert (data.suspects, data.arrests, data.publishable) == (2, 1, True)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"national_reference": ""}, "national_reference", "national reference"),
        ({"national_reference": "X" * 81}, "national_reference", "under 80"),
        ({"seized_on": ""}, "seized_on", "date of the seizure"),
        ({"seized_on": "31/02/2027"}, "seized_on", "is not a date"),
        ({"seized_on": "2027-03-20"}, "seized_on", "outside the operation window"),
        ({"place": " "}, "place", "where the seizure"),
        ({"agency": "navy"}, "agency", "not an allowed value"),
        ({"detection_method": ""}, "detection_method", "how the seizure"),
        ({"commodity": "unicorn_horn"}, "commodity", "not an allowed value"),
        ({"conveyance": "teleport"}, "conveyance", "not an allowed value"),
        ({"species": "Manis imaginaria"}, "species", "Unknown species Manis imaginaria"),
        ({"species": "", "species_other": ""}, "species", "Species (other)"),
        ({"quantity_1": "", "unit_1": ""}, "quantity_1", "at least one quantity"),
        ({"quantity_1": "-4"}, "quantity_1", "more than zero"),
        ({"quantity_1": "0"}, "quantity_1", "more than zero"),
        ({"quantity_1": "lots"}, "quantity_1", "not a number"),
        ({"quantity_1": "1.23456"}, "quantity_1", "3 decimals"),
        ({"unit_1": ""}, "unit_1", "which unit"),
        ({"quantity_1": "", "unit_1": "kg"}, "quantity_1", "quantity in kg"),
        ({"unit_1": "m3"}, "unit_1", "not a unit for pangolin_scales"),
        ({"quantity_2": "3", "unit_2": "kg"}, "unit_2", "given twice"),
        ({"origin": "NGA ZZZ"}, "origin", "Unknown country code ZZZ"),
        ({"online_linked": "maybe"}, "online_linked", "not yes or no"),
        ({"priority": "7"}, "priority", "not a priority of this operation"),
        ({"suspects": "-1"}, "suspects", "cannot be negative"),
        ({"suspects": "1.5"}, "suspects", "whole number"),
        ({"arrests": "3"}, "arrests", "cannot be more than suspects"),
        ({"sensitive": "yes", "publishable": "yes"}, "publishable", "cannot be publishable"),
    ],
)
def test_each_field_rule_has_its_message(app, reporting, overrides, field, words):
    errors = errors_of(reporting, **overrides)
    assert field in errors, errors
    assert words in errors[field]


def test_a_reading_error_is_not_also_reported_as_missing(app, reporting):
    errors = parse(seizure_row(seized_on="yesterday", quantity_1="-2"), Catalog.load(reporting))[1]
    assert [e.field for e in errors].count("seized_on") == 1
    assert [e.field for e in errors] == ["seized_on", "quantity_1"]


def test_a_free_text_species_is_accepted_and_flagged(app, users, reporting):
    s = add(reporting, users["fp_tha"], species="", species_other="Unidentified songbird")
    assert s.species_id is None and s.species_unverified
    assert s.species_other == "Unidentified songbird"


def test_synonyms_and_case_find_the_species(app, reporting):
    catalog = Catalog.load(reporting)
    with_synonym = [s for s in db.session.scalars(select(Species)) if s.synonyms]
    assert with_synonym, "the shipped reference lists synonyms"
    taxon = with_synonym[0]
    data, errors = parse(seizure_row(species=taxon.synonyms[0].upper()), catalog)
    assert data.species_id == taxon.id, errors
    data, _errors = parse(seizure_row(species="  manis   JAVANICA "), catalog)
    assert data.species_id == catalog.species_by_name["manis javanica"]


@pytest.mark.parametrize(
    ("text", "comma_decimal", "value"),
    [
        ("12.5", False, "12.5"),
        ("12,5", True, "12.5"),
        ("1.234,5", True, "1234.5"),
        ("1,234.5", False, "1234.5"),
        ("1,234", False, "1234"),
        ("1 234,75", True, "1234.75"),
        (7, False, "7"),
        (2.25, False, "2.25"),
    ],
)
def test_numbers_as_spreadsheets_write_them(text, comma_decimal, value):
    assert parse_decimal(text, comma_decimal) == Decimal(value)


def test_quantities_in_different_units_stay_apart(app, users, reporting):
    s = add(
        reporting,
        users["fp_tha"],
        commodity="ivory",
        species="Loxodonta africana",
        quantity_1="35",
        unit_1="pieces",
        quantity_2="212.4",
        unit_2="kg",
        priority="1",
    )
    assert [(q.unit, q.amount) for q in s.quantities] == [
        ("pieces", Decimal("35")),
        ("kg", Decimal("212.400")),
    ]


def test_an_exported_row_parses_back_to_the_same_record(app, users, reporting):
    s = add(
        reporting,
        users["fp_tha"],
        transit="ETH ARE",
        commodity="ivory",
        species="Loxodonta africana",
        quantity_1="35",
        unit_1="pieces",
        quantity_2="3.25",
        unit_2="kg",
    )
    catalog = Catalog.load(reporting)
    row = to_row(s, catalog.species_names, catalog.rank_by_priority)
    data, errors = parse(row, catalog)
    assert errors == []
    assert seizures.input_snapshot(data) == seizures.snapshot(s)


# -- records --------------------------------------------------------------------------------------
def test_a_national_reference_is_not_reported_twice(app, users, reporting):
    add(reporting, users["fp_tha"])
    with pytest.raises(Conflict, match="already reported"):
        add(reporting, users["fp_tha"], place="Elsewhere")
    db.session.rollback()
    # the same reference in another country is another case
    add(reporting, users["fp_ken"], iso3="KEN", destination="KEN")


def test_a_stale_version_is_refused_and_nothing_is_overwritten(app, users, reporting):
    s = add(reporting, users["fp_tha"])
    catalog = Catalog.load(reporting)
    scope = Scope(users["fp_tha"])
    first = parse(seizure_row(place="First writer"), catalog)
    assert seizures.update(scope, s, *first, version=1)
    db.session.commit()
    second = parse(seizure_row(place="Second writer"), catalog)
    with pytest.raises(Conflict, match="version 2"):
        seizures.update(scope, s, *second, version=1)
    db.session.rollback()
    assert db.session.get(Seizure, s.id).place == "First writer"


def test_every_change_is_in_the_records_history(app, users, reporting):
    s = add(reporting, users["fp_tha"])
    catalog = Catalog.load(reporting)
    seizures.update(
        Scope(users["fp_tha"]), s, *parse(seizure_row(quantity_1="99"), catalog), version=1
    )
    db.session.commit()
    events = seizures.history(s)
    assert [e.action for e in events] == ["seizure.create", "seizure.update"]
    assert events[0].after["source"] == "form"
    assert events[1].before == {"quantities": [["120.5", "kg"]]}
    assert events[1].after["quantities"] == [["99", "kg"]]


def test_only_the_countrys_focal_point_or_an_organiser_enters_results(app, users, reporting):
    catalog = Catalog.load(reporting)
    for key in ("fp_ken", "coord_asean", "comms"):
        with pytest.raises(Forbidden):
            seizures.create(
                Scope(users[key]),
                participation(reporting, "THA"),
                *parse(seizure_row(), catalog),
                source=RecordSource.FORM,
            )
    add(reporting, users["organiser"])


@pytest.mark.parametrize(
    ("phase", "words"),
    [
        (OperationPhase.BRIEFING, "from the start of the operation window"),
        (OperationPhase.PUBLISHED, "can no longer change"),
    ],
)
def test_results_are_reported_only_while_the_operation_takes_them(
    app, users, reporting, phase, words
):
    reporting.phase = phase
    db.session.commit()
    with pytest.raises(DomainError, match=words):
        add(reporting, users["fp_tha"])


def test_a_country_that_did_not_confirm_has_nothing_to_report(app, users, reporting):
    participation(reporting, "THA").status = ParticipationStatus.DECLINED
    db.session.commit()
    with pytest.raises(DomainError, match="not confirmed"):
        add(reporting, users["fp_tha"])


# -- review ---------------------------------------------------------------------------------------
def move(op: Any, user: Any, action: str, iso3: str = "THA", **kw: Any) -> CountryReport:
    report = reports.transition(Scope(user), participation(op, iso3), action, **kw)
    db.session.commit()
    return report


def test_the_review_cycle_locks_and_unlocks_the_results(app, users, reporting):
    add(reporting, users["fp_tha"])
    p = participation(reporting, "THA")
    assert reports.lock_reason(p) is None
    now = datetime(2027, 2, 20, 10, 0, tzinfo=UTC)
    report = move(reporting, users["fp_tha"], "submit", now=now)
    assert report.status is ReportStatus.SUBMITTED and report.first_submitted_at == now
    assert "ASEAN-WEN validates" in reports.lock_reason(p)
    with pytest.raises(DomainError, match="Submitted on 2027-02-20"):
        add(reporting, users["fp_tha"], national_reference="TH-2")
    db.session.rollback()

    move(reporting, users["coord_asean"], "validate")
    assert "organiser approves" in reports.lock_reason(p)
    move(reporting, users["organiser"], "approve")
    assert "Only an organiser can reopen" in reports.lock_reason(p)

    report = move(reporting, users["organiser"], "reopen", comment="Late seizure to add")
    assert report.status is ReportStatus.DRAFT and reports.lock_reason(p) is None
    assert report.first_submitted_at == now  # on-time is decided by the first submission
    assert [t.action for t in report.transitions] == ["submit", "validate", "approve", "reopen"]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "country_report")
    ).all()
    assert actions == ["report.submit", "report.validate", "report.approve", "report.reopen"]


def test_a_return_needs_a_comment_and_hands_the_report_back(app, users, reporting):
    move(reporting, users["fp_tha"], "submit")
    with pytest.raises(DomainError, match="needs a comment"):
        move(reporting, users["coord_asean"], "return", comment="  ")
    db.session.rollback()
    report = move(reporting, users["coord_asean"], "return", comment="Add the weights")
    assert report.status is ReportStatus.RETURNED and report.return_comment == "Add the weights"
    add(reporting, users["fp_tha"])  # editable again
    assert move(reporting, users["fp_tha"], "submit").return_comment == ""


@pytest.mark.parametrize(
    ("who", "action", "words"),
    [
        ("coord_latf", "validate", "coordinator of the country's network"),
        ("fp_tha", "validate", "coordinator of the country's network"),
        ("coord_asean", "approve", "Only an organiser approves"),
        ("fp_ken", "submit", "focal point or an organiser submits"),
        ("coord_asean", "reopen", "Only an organiser reopens"),
    ],
)
def test_each_step_belongs_to_its_role(app, users, reporting, who, action, words):
    if action != "submit":
        move(reporting, users["fp_tha"], "submit")
    with pytest.raises(DomainError, match=words):
        move(reporting, users[who], action)


def test_steps_follow_the_order(app, users, reporting):
    with pytest.raises(DomainError, match="is draft: it cannot be validated"):
        move(reporting, users["organiser"], "validate")
    db.session.rollback()
    move(reporting, users["fp_tha"], "submit")
    with pytest.raises(DomainError, match="is submitted: it cannot be approved"):
        move(reporting, users["organiser"], "approve")


def test_a_move_from_a_stale_page_is_a_conflict(app, users, reporting):
    report = reports.report_for(participation(reporting, "THA"))
    db.session.commit()
    seen = report.version
    move(reporting, users["fp_tha"], "submit")
    with pytest.raises(Conflict, match="changed since you opened it"):
        move(reporting, users["coord_asean"], "validate", version=seen)


def test_a_bulk_action_moves_the_whole_set_and_says_why_it_skipped(app, users, reporting):
    for key, iso3 in (("fp_tha", "THA"), ("organiser", "VNM"), ("fp_ken", "KEN")):
        move(reporting, users[key], "submit", iso3=iso3)
    everyone = list(db.session.scalars(Scope(users["coord_asean"]).participations(reporting)))
    outcome = reports.bulk_transition(Scope(users["coord_asean"]), everyone, "validate")
    db.session.commit()
    assert sorted(outcome.done) == ["THA", "VNM"]
    # the scope shows only ASEAN-WEN's member states; nothing else was touched
    assert set(outcome.skipped) == set()
    assert reports.status_of(participation(reporting, "KEN")) is ReportStatus.SUBMITTED

    all_of_them = list(db.session.scalars(Scope(users["organiser"]).participations(reporting)))
    outcome = reports.bulk_transition(Scope(users["organiser"]), all_of_them, "approve")
    db.session.commit()
    assert sorted(outcome.done) == ["THA", "VNM"]
    assert set(outcome.skipped) == {"KEN", "UGA", "FRA"}
    assert "is submitted" in outcome.skipped["KEN"] and "is draft" in outcome.skipped["UGA"]


# -- national results and highlights --------------------------------------------------------------
def test_national_results_are_checked_and_versioned(app, users, reporting):
    p = participation(reporting, "THA")
    scope = Scope(users["fp_tha"])
    report = reports.report_for(p)
    db.session.commit()
    bad = reports.NationalResultsInput(
        counts={"arrests": 3},
        suspects_by_nationality={"VNM": 2, "XXY": 1},
        assets_seized_amount=Decimal("1000"),
    )
    with pytest.raises(DomainError) as refused:
        reports.update_national(scope, p, bad, report.version)
    assert refused.value.field == "suspects_by_nationality"
    problems = dict(reports.check_national(bad))
    assert "currency" in problems["assets_seized_currency"]

    good = reports.NationalResultsInput(
        counts={"arrests": 3, "investigations_opened": 2},
        suspects_by_nationality={"VNM": 2, "CHN": 1},
        assets_seized_amount=Decimal("25000.50"),
        assets_seized_currency="thb",
        consent_to_be_named=True,
    )
    assert reports.update_national(scope, p, good, 1)
    db.session.commit()
    assert (report.arrests, report.assets_seized_currency, report.version) == (3, "THB", 2)
    with pytest.raises(Conflict, match="version 2"):
        reports.update_national(scope, p, good, 1)


def test_a_sensitive_case_cannot_go_to_the_press(app, users, reporting):
    p = participation(reporting, "THA")
    secret = add(reporting, users["fp_tha"], sensitive="yes", publishable="no")
    with pytest.raises(DomainError, match="sensitive case"):
        reports.nominate(Scope(users["fp_tha"]), p, secret, "Big case", True)
    db.session.rollback()
    public = add(reporting, users["fp_tha"], national_reference="TH-2")
    case = reports.nominate(Scope(users["fp_tha"]), p, public, "Scales in air cargo", True)
    db.session.commit()
    assert reports.highlights(p) == [case]
