"""The results pages: a seizure reported by form (the same rules and messages as uploads and the
API, each on its field), the version lock, the review cycle (submit, lock, validate, approve,
return with a comment, reopen) with its scope, bulk review over a filtered set, national
results, highlight cases and a record's history."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    CountryReport,
    HighlightCase,
    Participation,
    ParticipationStatus,
    RecordSource,
    ReportStatus,
    Seizure,
)
from opsplanner.services import reports, seizures
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse
from tests.conftest import csrf_token, field_errors, location_path, seizure_row, signed_in

STALE = "changed by someone else since you opened it"


# -- helpers --------------------------------------------------------------------------------------
def fresh() -> None:
    db.session.commit()  # end the test's transaction: see what the requests committed


def participation(op_id: int, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op_id, Participation.country_iso3 == iso3
        )
    )


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def errors(response: Any) -> dict[str, list[str]]:
    return {k: [html.unescape(m) for m in v] for k, v in field_errors(text(response)).items()}


def post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/account/")})


def form_data(**overrides: Any) -> dict[str, Any]:
    """A valid seizure as the form sends it: ticked boxes send "y", unticked ones nothing."""
    row = {k: v for k, v in seizure_row(**overrides).items() if v != "no"}
    return {k: ("y" if v == "yes" else v) for k, v in row.items()}


def seizure_count() -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(Seizure))


def by_reference(reference: str) -> Seizure | None:
    fresh()
    return db.session.scalar(select(Seizure).where(Seizure.national_reference == reference))


def report_of(op_id: int, iso3: str) -> CountryReport:
    fresh()
    report = reports.existing_report(participation(op_id, iso3))
    assert report is not None, f"{iso3} has no report"
    return report


def status_of(op_id: int, iso3: str) -> ReportStatus:
    fresh()
    return reports.status_of(participation(op_id, iso3))


def version_on(page: str, action: str) -> str:
    form = re.search(rf'id="form-{action}">(.*?)</form>', page, re.S)
    assert form, f"no {action} button on the page"
    version = re.search(r'name="version" value="(\d+)"', form.group(1))
    assert version
    return version.group(1)


def add_seizure(users: dict[str, Any], op: Any, iso3: str = "THA", **overrides: Any) -> Seizure:
    p = participation(op.id, iso3)
    data, errs = parse(seizure_row(**overrides), Catalog.load(op))
    assert not errs, errs
    s = seizures.create(Scope(users["organiser"]), p, data, errs, source=RecordSource.FORM)
    db.session.commit()
    return s


def move(users: dict[str, Any], who: str, op: Any, iso3: str, action: str, comment: str = ""):
    reports.transition(Scope(users[who]), participation(op.id, iso3), action, comment=comment)
    db.session.commit()


@pytest.fixture
def urls(reporting: Any) -> dict[str, str]:
    base = f"/operations/{reporting.id}/results"
    return {
        "overview": base,
        "bulk": base + "/bulk",
        "THA": base + "/THA",
        "new": base + "/THA/seizures/new",
        "national": base + "/THA/national",
        "highlights": base + "/THA/highlights",
    }


# -- reporting a seizure by form ------------------------------------------------------------------
def test_a_focal_point_reports_a_seizure_by_form(app, users, reporting, urls):
    fp = signed_in(app, "fp_tha@test.example")
    page = fp.get(urls["new"])
    assert page.status_code == 200
    body = text(page)
    # the species list is grouped by taxon group, with common name and CITES appendix
    species = re.search(r'<select id="species" name="species">(.*?)</select>', body, re.S)
    assert species.group(1).count("<optgroup") == 8  # one per taxon group
    assert len(re.findall(r"<option value=\"[A-Z]", species.group(1))) == 243
    assert '<optgroup label="Mammals">' in species.group(
        1
    ) and "Loxodonta africana — African savanna elephant (CITES I/II)" in species.group(1)
    assert 'value="2">2. Pangolin scales</option>' in body

    data = form_data(
        species="Loxodonta africana",
        commodity="ivory",
        quantity_1="120.5",
        unit_1="kg",
        quantity_2="3",
        unit_2="pieces",
        priority="1",
    )
    response = post(fp, urls["new"], data)
    assert response.status_code == 302, errors(response)
    assert location_path(response) == urls["THA"]

    s = by_reference("TH-2027-001")
    assert s is not None
    assert s.source is RecordSource.FORM
    assert s.created_by_id == users["fp_tha"].id
    assert [(str(q.amount), q.unit) for q in s.quantities] == [
        ("120.500", "kg"),
        ("3.000", "pieces"),
    ]
    assert s.species.scientific_name == "Loxodonta africana"
    assert s.origin_codes == ["NGA"] and s.transit_codes == ["ETH", "ARE"]
    assert (s.sensitive, s.publishable, s.online_linked) == (False, True, False)

    page = text(fp.get(urls["THA"]))
    row = re.search(rf'<tr id="seizure-{s.id}">(.*?)</tr>', page, re.S).group(1)
    assert "TH-2027-001" in row and "2027-02-05" in row
    # quantities per unit, never added
    assert "120.5 kg; 3 pieces" in row
    assert '<td class="source">form</td>' in row
    assert "Loxodonta africana" in row and "unverified species" not in row
    assert "publishable" in row


RULES = [
    ({"national_reference": ""}, "national_reference", "Give the national reference"),
    ({"seized_on": "2027-13-45"}, "seized_on", "2027-13-45 is not a date"),
    ({"seized_on": ""}, "seized_on", "Give the date of the seizure"),
    ({"seized_on": "2027-03-01"}, "seized_on", "outside the operation window"),
    ({"place": ""}, "place", "Say where the seizure was made"),
    ({"agency": ""}, "agency", "Choose the reporting agency"),
    ({"agency": "navy"}, "agency", "navy is not an allowed value"),
    ({"commodity": ""}, "commodity", "Choose the commodity category"),
    ({"conveyance": ""}, "conveyance", "Choose the conveyance"),
    ({"quantity_1": "-2"}, "quantity_1", "A quantity must be more than zero (-2)"),
    ({"quantity_1": "0"}, "quantity_1", "A quantity must be more than zero (0)"),
    ({"quantity_1": "lots"}, "quantity_1", "lots is not a number"),
    ({"quantity_1": "", "unit_1": ""}, "quantity_1", "Give at least one quantity"),
    ({"unit_1": "pieces"}, "unit_1", "pieces is not a unit for pangolin_scales: use kg"),
    ({"quantity_2": "5", "unit_2": "kg"}, "unit_2", "kg is given twice"),
    ({"quantity_2": "5"}, "unit_2", "Say in which unit 5 is"),
    ({"species": "Pangolinus imaginarius"}, "species", "Unknown species Pangolinus imaginarius"),
    ({"species": "", "species_other": ""}, "species", "Choose the species from the list"),
    ({"suspects": "2", "arrests": "3"}, "arrests", "3 arrests but 2 suspects"),
    ({"suspects": "1.5"}, "suspects", "1.5 is not a whole number"),
    ({"sensitive": "y", "publishable": "y"}, "publishable", "cannot be publishable"),
    ({"sensitive": "maybe"}, "sensitive", "maybe is not yes or no"),
    ({"origin": "NGA XXX"}, "origin", "Unknown country code XXX"),
    ({"destination": "QQ"}, "destination", "Unknown country code QQ"),
    ({"priority": "9"}, "priority", "9 is not a priority of this operation"),
]


@pytest.mark.parametrize("overrides, field, message", RULES, ids=[r[1] for r in RULES])
def test_each_rule_shows_its_message_on_its_field(app, reporting, urls, overrides, field, message):
    fp = signed_in(app, "fp_tha@test.example")
    response = post(fp, urls["new"], form_data(**overrides))
    assert response.status_code == 200
    shown = errors(response)
    assert any(message in m for m in shown.get(field, [])), shown
    assert seizure_count() == 0
    # what was typed stays in the form
    if overrides.get("place") is None:
        assert 'value="Suvarnabhumi Airport cargo terminal"' in text(response)


def test_several_errors_show_at_once_and_the_same_as_an_upload_would(app, reporting, urls):
    fp = signed_in(app, "fp_tha@test.example")
    bad = form_data(national_reference="", quantity_1="-1", arrests="5", origin="XXX")
    shown = errors(post(fp, urls["new"], bad))
    # the page runs the one validation: the same messages parse() gives the upload and the API
    _, expected = parse(
        seizure_row(national_reference="", quantity_1="-1", arrests="5", origin="XXX"),
        Catalog.load(reporting),
    )
    for e in expected:
        assert e.message in shown.get(e.field, []), (e, shown)


def test_a_species_outside_the_list_is_kept_as_free_text_and_flagged(app, reporting, urls):
    fp = signed_in(app, "fp_tha@test.example")
    data = form_data(species="", species_other="Manis sp. (unidentified pangolin)")
    response = post(fp, urls["new"], data)
    assert response.status_code == 302, errors(response)
    s = by_reference("TH-2027-001")
    assert s.species_id is None and s.species_unverified
    assert s.species_other == "Manis sp. (unidentified pangolin)"
    row = re.search(rf'<tr id="seizure-{s.id}">(.*?)</tr>', text(fp.get(urls["THA"])), re.S)
    assert "Manis sp. (unidentified pangolin)" in row.group(1)
    assert "unverified species" in row.group(1)


def test_a_national_reference_is_reported_once(app, reporting, urls):
    fp = signed_in(app, "fp_tha@test.example")
    assert post(fp, urls["new"], form_data()).status_code == 302
    again = post(fp, urls["new"], form_data(place="Elsewhere"))
    assert again.status_code == 200
    assert any("TH-2027-001 is already reported" in m for m in errors(again)["national_reference"])
    assert seizure_count() == 1


# -- changing and deleting ------------------------------------------------------------------------
def test_a_stale_edit_is_refused_with_a_conflict_and_the_record_is_unchanged(
    app, users, reporting, urls
):
    s = add_seizure(users, reporting)
    url = f"{urls['THA']}/seizures/{s.id}"
    fp = signed_in(app, "fp_tha@test.example")
    organiser = signed_in(app, "organiser@test.example")
    page = text(fp.get(url))
    assert 'name="version" type="hidden" value="1"' in page
    assert 'value="Suvarnabhumi Airport cargo terminal"' in page

    first = post(organiser, url, {**form_data(place="Don Mueang cargo"), "version": "1"})
    assert first.status_code == 302, errors(first)
    second = post(fp, url, {**form_data(place="Laem Chabang port"), "version": "1"})
    assert second.status_code == 409
    assert STALE in errors(second)["version"][0]
    # the refused input stays on the page, with a way to reload
    assert 'value="Laem Chabang port"' in text(second)
    assert "Reload the seizure" in text(second)
    s = by_reference("TH-2027-001")
    assert s.place == "Don Mueang cargo" and s.version == 2
    assert s.updated_by_id == users["organiser"].id

    # reloaded, the focal point's change goes through
    assert 'value="2"' in text(fp.get(url))
    again = post(fp, url, {**form_data(place="Laem Chabang port", quantity_1="99"), "version": "2"})
    assert again.status_code == 302
    s = by_reference("TH-2027-001")
    assert s.place == "Laem Chabang port" and [str(q.amount) for q in s.quantities] == ["99.000"]


def test_an_edit_shows_the_rules_too_and_saves_nothing(app, users, reporting, urls):
    s = add_seizure(users, reporting)
    fp = signed_in(app, "fp_tha@test.example")
    url = f"{urls['THA']}/seizures/{s.id}"
    response = post(fp, url, {**form_data(unit_1="pieces"), "version": "1"})
    assert response.status_code == 200
    assert "pieces is not a unit for pangolin_scales" in errors(response)["unit_1"][0]
    assert by_reference("TH-2027-001").version == 1


def test_deleting_a_seizure_checks_the_version(app, users, reporting, urls):
    s = add_seizure(users, reporting)
    fp = signed_in(app, "fp_tha@test.example")
    url = f"{urls['THA']}/seizures/{s.id}/delete"
    stale = post(fp, url, {"version": "7"})
    assert stale.status_code == 302
    assert STALE in text(fp.get(urls["THA"]))
    assert by_reference("TH-2027-001") is not None
    gone = post(fp, url, {"version": "1"})
    assert gone.status_code == 302
    assert by_reference("TH-2027-001") is None
    assert "Seizure TH-2027-001 deleted." in text(fp.get(urls["THA"]))


def test_a_coordinator_reads_but_does_not_change_a_report(app, users, reporting, urls):
    s = add_seizure(users, reporting)
    coord = signed_in(app, "coord_asean@test.example")
    page = coord.get(urls["THA"])
    assert page.status_code == 200
    assert "TH-2027-001" in text(page)
    assert "Report a seizure" not in text(page)
    for url in (urls["new"], f"{urls['THA']}/seizures/{s.id}", urls["national"]):
        refused = coord.get(url)
        assert refused.status_code == 403
        assert "Only the country's focal point or an organiser" in text(refused)
    refused = post(coord, urls["new"], form_data(national_reference="TH-COORD"))
    assert refused.status_code == 403
    assert by_reference("TH-COORD") is None
    # another network's coordinator does not even see it
    assert signed_in(app, "coord_latf@test.example").get(urls["THA"]).status_code == 404


# -- review ---------------------------------------------------------------------------------------
def test_submit_locks_then_the_coordinator_validates_and_the_organiser_approves(
    app, users, reporting, urls
):
    add_seizure(users, reporting)
    fp = signed_in(app, "fp_tha@test.example")
    page = text(fp.get(urls["THA"]))
    assert "Locked." not in page
    response = post(fp, urls["THA"] + "/submit", {"version": version_on(page, "submit")})
    assert response.status_code == 302
    report = report_of(reporting.id, "THA")
    assert report.status is ReportStatus.SUBMITTED
    assert report.first_submitted_at is not None and report.submitted_by_id == users["fp_tha"].id

    # locked: the page says why, the forms refuse with the reason
    page = text(fp.get(urls["THA"]))
    assert 'id="lock-reason"' in page
    assert "locked while ASEAN-WEN validates it" in page
    assert "Report a seizure" not in page
    redirected = fp.get(urls["new"])
    assert redirected.status_code == 302 and location_path(redirected) == urls["THA"]
    assert "locked while ASEAN-WEN validates it" in text(fp.get(urls["THA"]))
    refused = post(fp, urls["new"], form_data(national_reference="TH-LATE"))
    assert refused.status_code == 422
    assert "locked while ASEAN-WEN validates it" in errors(refused)["lock"][0]
    assert by_reference("TH-LATE") is None
    s = by_reference("TH-2027-001")
    refused = post(
        fp, f"{urls['THA']}/seizures/{s.id}", {**form_data(place="Changed"), "version": "1"}
    )
    assert refused.status_code == 422 and by_reference("TH-2027-001").place != "Changed"
    assert post(fp, urls["national"], {"arrests": "4", "version": "1"}).status_code == 422
    assert report_of(reporting.id, "THA").arrests == 0
    refused = post(fp, urls["highlights"], {"seizure": str(s.id), "narrative": "Late."})
    assert refused.status_code == 422
    assert "locked while ASEAN-WEN validates it" in errors(refused)["highlight"][0]
    assert post(fp, f"{urls['THA']}/seizures/{s.id}/delete", {"version": "1"}).status_code == 302
    assert by_reference("TH-2027-001") is not None
    # the focal point cannot validate their own report
    assert post(fp, urls["THA"] + "/validate", {}).status_code == 403

    coord = signed_in(app, "coord_asean@test.example")
    page = text(coord.get(urls["THA"]))
    assert "Validate" in page and 'id="form-approve"' not in page
    response = post(coord, urls["THA"] + "/validate", {"version": version_on(page, "validate")})
    assert response.status_code == 302
    assert report_of(reporting.id, "THA").status is ReportStatus.VALIDATED
    refused = post(coord, urls["THA"] + "/approve", {})
    assert refused.status_code == 403 and "Only an organiser approves" in text(refused)

    organiser = signed_in(app, "organiser@test.example")
    page = text(organiser.get(urls["THA"]))
    assert "locked while the organiser approves it" in page
    response = post(organiser, urls["THA"] + "/approve", {"version": version_on(page, "approve")})
    assert response.status_code == 302
    report = report_of(reporting.id, "THA")
    assert report.status is ReportStatus.APPROVED and report.approved_by_id == users["organiser"].id
    page = text(fp.get(urls["THA"]))
    assert "the results are final. Only an organiser can reopen them" in page
    # the review history: who moved it, and when
    history = re.search(r'<ol class="history" id="review-history">(.*?)</ol>', page, re.S).group(1)
    assert [a in history for a in ("Submit", "Validate", "Approve")] == [True] * 3
    assert "Fp Tha" in history and "Coord Asean" in history and "Organiser" in history


def test_a_stale_transition_is_refused_with_a_conflict(app, users, reporting, urls):
    fp = signed_in(app, "fp_tha@test.example")
    coord = signed_in(app, "coord_asean@test.example")
    move(users, "fp_tha", reporting, "THA", "submit")
    opened = version_on(text(coord.get(urls["THA"])), "validate")
    # meanwhile the organiser returns it
    move(users, "organiser", reporting, "THA", "return", "Add the port.")
    response = post(coord, urls["THA"] + "/validate", {"version": opened})
    assert response.status_code == 409
    shown = errors(response)
    assert "changed since you opened it (it is now returned)" in shown["version"][0]
    assert report_of(reporting.id, "THA").status is ReportStatus.RETURNED
    assert fp  # the focal point's client stayed signed in throughout


def test_a_return_needs_a_comment_and_unlocks_the_report(app, users, reporting, urls):
    move(users, "fp_tha", reporting, "THA", "submit")
    first_submitted = report_of(reporting.id, "THA").first_submitted_at
    coord = signed_in(app, "coord_asean@test.example")
    refused = post(coord, urls["THA"] + "/return", {"comment": "  "})
    assert refused.status_code == 422
    assert "a returned report needs a comment" in errors(refused)["return-comment"][0]
    assert report_of(reporting.id, "THA").status is ReportStatus.SUBMITTED

    too_long = post(coord, urls["THA"] + "/return", {"comment": "x" * 4001})
    assert too_long.status_code == 422 and "return-comment" in errors(too_long)
    assert report_of(reporting.id, "THA").status is ReportStatus.SUBMITTED

    comment = "The quantity of TH-2027-001 looks like grams, not kilograms."
    assert post(coord, urls["THA"] + "/return", {"comment": comment}).status_code == 302
    report = report_of(reporting.id, "THA")
    assert report.status is ReportStatus.RETURNED and report.return_comment == comment

    fp = signed_in(app, "fp_tha@test.example")
    page = text(fp.get(urls["THA"]))
    assert comment in re.search(r'id="return-comment"(.*?)</div>', page, re.S).group(1)
    assert "Locked." not in page
    # unlocked: the focal point corrects and submits again
    assert fp.get(urls["new"]).status_code == 200
    assert post(fp, urls["new"], form_data()).status_code == 302
    assert post(fp, urls["THA"] + "/submit", {}).status_code == 302
    report = report_of(reporting.id, "THA")
    assert report.status is ReportStatus.SUBMITTED and report.return_comment == ""
    # the first submission still decides whether the country was on time
    assert report.first_submitted_at == first_submitted


def test_the_organiser_reopens_an_approved_report_and_it_is_audited(app, users, reporting, urls):
    move(users, "fp_tha", reporting, "THA", "submit")
    move(users, "coord_asean", reporting, "THA", "validate")
    move(users, "organiser", reporting, "THA", "approve")
    organiser = signed_in(app, "organiser@test.example")
    page = text(organiser.get(urls["THA"]))
    response = post(
        organiser,
        urls["THA"] + "/reopen",
        {"version": version_on(page, "reopen"), "comment": "A late seizure came in."},
    )
    assert response.status_code == 302
    report = report_of(reporting.id, "THA")
    assert report.status is ReportStatus.DRAFT
    assert report.approved_at is None and report.validated_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.reopen"))
    assert event.actor_id == users["organiser"].id and event.country_iso3 == "THA"
    assert event.before == {"status": "approved"}
    assert event.after == {"status": "draft", "comment": "A late seizure came in."}
    page = text(organiser.get(urls["THA"]))
    assert "A late seizure came in." in page
    # nobody else reopens
    move(users, "fp_tha", reporting, "THA", "submit")
    coord = signed_in(app, "coord_asean@test.example")
    assert post(coord, urls["THA"] + "/reopen", {}).status_code == 403
    assert report_of(reporting.id, "THA").status is ReportStatus.SUBMITTED


def test_coordinators_validate_only_their_networks_countries(app, users, reporting, urls):
    for iso3, who in (("THA", "fp_tha"), ("KEN", "fp_ken")):
        move(users, who, reporting, iso3, "submit")
    latf = signed_in(app, "coord_latf@test.example")
    # Thailand is outside LATF's scope: not found, and nothing moves
    assert post(latf, urls["THA"] + "/validate", {}).status_code == 404
    assert report_of(reporting.id, "THA").status is ReportStatus.SUBMITTED
    ken = f"/operations/{reporting.id}/results/KEN"
    assert post(latf, ken + "/validate", {}).status_code == 302
    assert report_of(reporting.id, "KEN").status is ReportStatus.VALIDATED

    # Viet Nam is an ASEAN-WEN member, but in this operation no network coordinates it: its
    # coordinator sees the report and is told who validates
    p = participation(reporting.id, "VNM")
    p.network_id = None
    db.session.commit()
    move(users, "organiser", reporting, "VNM", "submit")
    asean = signed_in(app, "coord_asean@test.example")
    vnm = f"/operations/{reporting.id}/results/VNM"
    assert asean.get(vnm).status_code == 200
    refused = post(asean, vnm + "/validate", {})
    assert refused.status_code == 403
    assert "Only the coordinator of the country's network" in text(refused)
    assert report_of(reporting.id, "VNM").status is ReportStatus.SUBMITTED


# -- the overview and bulk review -----------------------------------------------------------------
def listed(page: str) -> list[str]:
    return re.findall(r'<tr id="row-([A-Z]{3})">', page)


def test_the_overview_lists_confirmed_reports_with_filters(app, users, reporting, urls):
    participation(reporting.id, "UGA").status = ParticipationStatus.DECLINED
    db.session.commit()
    add_seizure(users, reporting)
    add_seizure(users, reporting, national_reference="TH-2027-002")
    move(users, "fp_tha", reporting, "THA", "submit")
    organiser = signed_in(app, "organiser@test.example")
    assert organiser.get(f"/operations/{reporting.id}/results/FRA").status_code == 200
    page = text(organiser.get(urls["overview"]))
    # only looking at France's report is no update
    assert re.search(r'<tr id="row-FRA">.*?<td>—</td>\s*<td>—</td>\s*</tr>', page, re.S)
    # Uganda declined: it is not an expected reporter
    assert listed(page) == ["FRA", "KEN", "THA", "VNM"]
    row = re.search(r'<tr id="row-THA">(.*?)</tr>', page, re.S).group(1)
    assert "badge-submitted" in row and '<td class="num">2</td>' in row and "on time" in row

    def shown(query: str) -> list[str]:
        return listed(text(organiser.get(urls["overview"] + query)))

    assert shown("?status=submitted") == ["THA"]
    assert shown("?status=draft") == ["FRA", "KEN", "VNM"]
    assert shown("?network=ASEAN-WEN") == ["THA", "VNM"]
    assert shown("?network=none") == ["FRA"]
    assert shown("?region=002") == ["KEN"]  # Africa (UN M49)
    assert shown("?region=035") == ["THA", "VNM"]  # South-eastern Asia
    assert shown("?q=thai") == ["THA"]
    assert shown("?q=ken") == ["KEN"]
    assert shown("?status=draft&network=ASEAN-WEN") == ["VNM"]

    # a coordinator's list is their network's; the network filter is the organiser's
    coord = signed_in(app, "coord_latf@test.example")
    assert listed(text(coord.get(urls["overview"]))) == ["KEN"]
    assert listed(text(coord.get(urls["overview"] + "?network=ASEAN-WEN"))) == ["KEN"]
    # a focal point goes to their own report; communications see no country's report
    fp = signed_in(app, "fp_tha@test.example")
    response = fp.get(urls["overview"])
    assert response.status_code == 302 and location_path(response) == urls["THA"]
    assert signed_in(app, "comms@test.example").get(urls["overview"]).status_code == 404
    assert signed_in(app, "comms@test.example").get(urls["THA"]).status_code == 404


def test_a_late_first_submission_is_flagged(app, users, reporting, urls):
    p = participation(reporting.id, "KEN")
    reports.transition(
        Scope(users["fp_ken"]), p, "submit", now=datetime(2027, 2, 26, 8, 0, tzinfo=UTC)
    )
    db.session.commit()
    page = text(signed_in(app, "organiser@test.example").get(urls["overview"]))
    row = re.search(r'<tr id="row-KEN">(.*?)</tr>', page, re.S).group(1)
    assert "2027-02-26 08:00 UTC" in row and "late" in row


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', page)


def test_bulk_review_applies_to_the_whole_filtered_set(app, users, reporting, urls):
    for iso3 in ("THA", "VNM", "KEN", "UGA"):
        move(users, "organiser", reporting, iso3, "submit")
    move(users, "coord_asean", reporting, "THA", "validate")
    organiser = signed_in(app, "organiser@test.example")
    page = text(organiser.get(urls["overview"] + "?network=ASEAN-WEN"))
    # the bulk form carries the filters it was opened with
    assert re.search(r'id="bulk-network" name="network" type="hidden" value="ASEAN-WEN"', page)

    # approve ASEAN-WEN's reports: Thailand is validated, Viet Nam is not yet
    response = post(organiser, urls["bulk"], {"action": "approve", "network": "ASEAN-WEN"})
    assert response.status_code == 302
    assert location_path(response) == urls["overview"] + "?network=ASEAN-WEN"
    messages = flashes(html.unescape(organiser.get(location_path(response)).get_data(True)))
    assert "Approve: 1 moved; 1 skipped." in messages, messages
    assert any(
        m.startswith("Skipped Vietnam: The report of Vietnam is submitted") for m in messages
    ), messages
    assert report_of(reporting.id, "THA").status is ReportStatus.APPROVED
    assert report_of(reporting.id, "VNM").status is ReportStatus.SUBMITTED

    # validate every submitted report, all networks: Viet Nam, Kenya and Uganda
    response = post(organiser, urls["bulk"], {"action": "validate", "status": "submitted"})
    assert "Validate: 3 moved; 0 skipped." in flashes(text(organiser.get(location_path(response))))
    statuses = {iso3: status_of(reporting.id, iso3) for iso3 in ("THA", "VNM", "KEN", "UGA", "FRA")}
    assert statuses == {
        "THA": ReportStatus.APPROVED,
        "VNM": ReportStatus.VALIDATED,
        "KEN": ReportStatus.VALIDATED,
        "UGA": ReportStatus.VALIDATED,
        "FRA": ReportStatus.DRAFT,
    }

    # a coordinator's set is their network's; they do not approve: skipped, with the reason
    coord = signed_in(app, "coord_latf@test.example")
    response = post(coord, urls["bulk"], {"action": "approve"})
    messages = flashes(text(coord.get(location_path(response))))
    assert "Approve: 0 moved; 2 skipped." in messages
    assert "Skipped Kenya: Only an organiser approves results." in messages
    assert report_of(reporting.id, "KEN").status is ReportStatus.VALIDATED

    # returning needs a comment: nothing moves without one
    response = post(coord, urls["bulk"], {"action": "return", "q": "uganda"})
    assert "a returned report needs a comment" in " ".join(
        flashes(text(coord.get(location_path(response))))
    )
    assert report_of(reporting.id, "UGA").status is ReportStatus.VALIDATED
    response = post(
        coord, urls["bulk"], {"action": "return", "q": "uganda", "comment": "Check the units."}
    )
    assert location_path(response) == urls["overview"] + "?q=uganda"
    assert report_of(reporting.id, "UGA").status is ReportStatus.RETURNED
    assert report_of(reporting.id, "KEN").status is ReportStatus.VALIDATED

    # a focal point has no bulk review
    fp = signed_in(app, "fp_tha@test.example")
    assert post(fp, urls["bulk"], {"action": "validate"}).status_code == 404


# -- national results -----------------------------------------------------------------------------
NATIONAL = {
    "arrests": "4",
    "investigations_opened": "2",
    "prosecutions_initiated": "",
    "suspects_by_nationality": "VNM 3, chn 1",
    "assets_seized_amount": "1,500.50",
    "assets_seized_currency": "usd",
    "consent_to_be_named": "y",
    "notes": "Two cases linked to one network.",
}


def test_national_results_are_saved(app, users, reporting, urls):
    fp = signed_in(app, "fp_tha@test.example")
    page = text(fp.get(urls["national"]))
    assert "controls whether press releases and public reports" in page
    response = post(fp, urls["national"], {**NATIONAL, "version": "1"})
    assert response.status_code == 302, errors(response)
    report = report_of(reporting.id, "THA")
    assert (report.arrests, report.investigations_opened, report.prosecutions_initiated) == (
        4,
        2,
        0,
    )
    assert report.suspects_by_nationality == {"CHN": 1, "VNM": 3}
    assert str(report.assets_seized_amount) == "1500.50"
    assert report.assets_seized_currency == "USD"
    assert report.consent_to_be_named is True
    page = text(fp.get(urls["THA"]))
    assert '<dd id="count-arrests">4</dd>' in page
    assert "CHN 1, VNM 3" in page
    # the edit form shows what was saved
    page = text(fp.get(urls["national"]))
    assert "CHN 1, VNM 3" in page and 'value="2"' in page
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "report.national_results")
    )
    assert event.after["arrests"] == 4


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"arrests": "-1"}, "arrests", "A count cannot be negative."),
        ({"arrests": "four"}, "arrests", "four is not a whole number."),
        (
            {"suspects_by_nationality": "VNM three"},
            "suspects_by_nationality",
            "Cannot read VNM three",
        ),
        (
            {"suspects_by_nationality": "VNM 1, VNM 2"},
            "suspects_by_nationality",
            "VNM is given twice",
        ),
        (
            {"suspects_by_nationality": "XXX 2"},
            "suspects_by_nationality",
            "Unknown nationality XXX",
        ),
        ({"suspects_by_nationality": "VNM 0"}, "suspects_by_nationality", "at least 1 for VNM"),
        ({"assets_seized_amount": "lots"}, "assets_seized_amount", "lots is not an amount."),
        ({"assets_seized_amount": "-5"}, "assets_seized_amount", "cannot be negative"),
        ({"assets_seized_currency": ""}, "assets_seized_currency", "Say in which currency"),
        ({"assets_seized_currency": "ZZZ"}, "assets_seized_currency", "Unknown currency ZZZ"),
    ],
)
def test_national_results_rules(app, reporting, urls, overrides, field, message):
    fp = signed_in(app, "fp_tha@test.example")
    response = post(fp, urls["national"], {**NATIONAL, **overrides, "version": "1"})
    assert response.status_code == 200
    shown = errors(response)
    assert any(message in m for m in shown.get(field, [])), shown
    report = report_of(reporting.id, "THA")
    assert report.version == 1 and report.arrests == 0


def test_a_stale_national_results_form_is_a_conflict(app, reporting, urls):
    fp = signed_in(app, "fp_tha@test.example")
    organiser = signed_in(app, "organiser@test.example")
    assert post(organiser, urls["national"], {**NATIONAL, "version": "1"}).status_code == 302
    # the stale copy is refused before its own errors, which would be moot
    stale = post(
        fp, urls["national"], {**NATIONAL, "arrests": "-9", "notes": "Mine", "version": "1"}
    )
    assert stale.status_code == 409
    assert "changed by someone else since you opened them" in errors(stale)["version"][0]
    assert "Mine" in text(stale)
    report = report_of(reporting.id, "THA")
    assert report.notes == NATIONAL["notes"] and report.arrests == 4


# -- highlight cases ------------------------------------------------------------------------------
def test_a_sensitive_seizure_cannot_be_nominated(app, users, reporting, urls):
    open_case = add_seizure(users, reporting)
    secret = add_seizure(
        users, reporting, national_reference="TH-SECRET", sensitive="yes", publishable="no"
    )
    fp = signed_in(app, "fp_tha@test.example")
    page = text(fp.get(urls["THA"]))
    form = re.search(r'<form[^>]*id="nominate">(.*?)</form>', page, re.S).group(1)
    assert "TH-2027-001" in form and "TH-SECRET" not in form

    refused = post(
        fp,
        urls["highlights"],
        {"seizure": str(secret.id), "narrative": "Big case.", "consent": "y"},
    )
    assert refused.status_code == 200
    assert "sensitive case under investigation" in errors(refused)["seizure"][0]
    fresh()
    assert db.session.scalar(select(func.count()).select_from(HighlightCase)) == 0

    missing = post(fp, urls["highlights"], {"seizure": str(open_case.id), "narrative": " "})
    assert "Write a short narrative" in errors(missing)["narrative"][0]

    ok = post(
        fp,
        urls["highlights"],
        {"seizure": str(open_case.id), "narrative": "Scales in fish maw sacks.", "consent": "y"},
    )
    assert ok.status_code == 302
    fresh()
    case = db.session.scalar(select(HighlightCase))
    assert case.seizure_id == open_case.id and case.consent is True
    page = text(fp.get(urls["THA"]))
    assert "Scales in fish maw sacks." in page

    # another country's seizure is not Thailand's to nominate
    kenya = add_seizure(users, reporting, "KEN", national_reference="KE-1", destination="KEN")
    other = post(fp, urls["highlights"], {"seizure": str(kenya.id), "narrative": "Not ours."})
    assert "Choose one of your country's seizures." in errors(other)["seizure"][0]

    withdrawn = post(fp, f"{urls['THA']}/highlights/{case.id}/delete", {})
    assert withdrawn.status_code == 302
    fresh()
    assert db.session.scalar(select(func.count()).select_from(HighlightCase)) == 0

    # deleting a nominated seizure takes its nomination with it
    again = {"seizure": str(open_case.id), "narrative": "Once more.", "consent": "y"}
    assert post(fp, urls["highlights"], again).status_code == 302
    deleted = post(fp, f"{urls['THA']}/seizures/{open_case.id}/delete", {"version": "1"})
    assert deleted.status_code == 302
    fresh()
    assert db.session.scalar(select(func.count()).select_from(HighlightCase)) == 0
    assert by_reference("TH-2027-001") is None


# -- a record's history ---------------------------------------------------------------------------
def test_the_history_of_a_seizure_shows_who_changed_what(app, users, reporting, urls):
    fp = signed_in(app, "fp_tha@test.example")
    assert post(fp, urls["new"], form_data()).status_code == 302
    s = by_reference("TH-2027-001")
    organiser = signed_in(app, "organiser@test.example")
    changed = post(
        organiser,
        f"{urls['THA']}/seizures/{s.id}",
        {**form_data(place="Don Mueang cargo", quantity_1="99.5"), "version": "1"},
    )
    assert changed.status_code == 302

    coord = signed_in(app, "coord_asean@test.example")
    response = coord.get(f"{urls['THA']}/seizures/{s.id}/history")
    assert response.status_code == 200
    page = text(response)
    entries = re.findall(r'<article class="card history-entry"[^>]*>(.*?)</article>', page, re.S)
    assert len(entries) == 2
    created, updated = entries
    assert "create" in created and "Fp Tha" in created and "web" in created
    assert "source: form" in created and "Suvarnabhumi Airport cargo terminal" in created
    assert "update" in updated and "Organiser" in updated
    place = re.search(r"<th scope=\"row\">Place</th>(.*?)</tr>", updated, re.S).group(1)
    assert "Suvarnabhumi Airport cargo terminal" in place and "Don Mueang cargo" in place
    quantities = re.search(r"<th scope=\"row\">Quantities</th>(.*?)</tr>", updated, re.S)
    assert "120.5 kg" in quantities.group(1) and "99.5 kg" in quantities.group(1)
    # only what changed is listed
    assert "Reporting agency" not in updated
    # another country's coordinator does not see it
    latf = signed_in(app, "coord_latf@test.example")
    assert latf.get(f"{urls['THA']}/seizures/{s.id}/history").status_code == 404
