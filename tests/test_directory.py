"""Network information sheets: the seed, the form and its history, staleness and reminders,
the comparative table and its exports, and the HTML/PDF export of a sheet."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from opsplanner.celery_setup import celery_config
from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    Mandate,
    Network,
    NetworkSheet,
    NetworkSheetVersion,
    SheetReminder,
    ToolService,
)
from opsplanner.services import pdf, sheets
from opsplanner.services.directory_seed import load_directory_seed
from tests.conftest import csrf_token, field_errors, post_form, signed_in

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def network(acronym: str) -> Network:
    return db.session.scalar(select(Network).where(Network.acronym == acronym))


def sheet(acronym: str) -> NetworkSheet | None:
    db.session.commit()  # a fresh snapshot: see what the requests committed
    return sheets.sheet_of(network(acronym))


def save(acronym: str, by: Any = None, now: datetime = T0, **values: Any) -> NetworkSheet:
    current = sheets.sheet_of(network(acronym))
    result = sheets.save(network(acronym), values, current.version if current else 0, by, now=now)
    db.session.commit()
    return result


# -- the seed -------------------------------------------------------------------------------
def test_the_seed_fills_sheets_partly_and_names_the_seed_documents_tools(app):
    report = load_directory_seed()
    db.session.commit()
    assert report.sheets_added == 25 and report.tools_added >= 18

    asean = sheets.content(sheet("ASEAN-WEN"))
    assert asean["formation_date"] == "2005-12-01"
    assert "AEG CITES-WEN" in asean["recent_activities"]
    # blank where the sources are silent
    assert asean["has_secretariat"] is None and asean["funding_sources"] == ""
    carib = sheets.content(sheet("CaribWEN"))
    assert carib["maturity"] == "emerging" and "being established" in carib["recent_activities"]
    assert sheets.content(sheet("LATF"))["mandate"] == "operational"
    assert sheets.content(sheet("ROAVIS"))["prosecutors_judiciary"] is True

    # compiled at the 2016 meeting, so every seeded sheet is due for review
    assert all(s.stale for s in sheets.statuses() if s.sheet)
    seeded = sheet("ASEAN-WEN")
    assert seeded.updated_by_id is None
    assert [(v.version, v.via) for v in seeded.versions] == [(1, "seed")]

    names = set(db.session.scalars(select(ToolService.name)))
    for expected in (
        "ENVIRONET",
        "EU-TWIX",
        "Africa-TWIX",
        "ICCWC Indicator Framework",
        "CITES Virtual College",
        "SHERLOC",
        "TRACK",
        "INTERPOL Project EDEN",
        "INTERPOL Project SCALE",
        "INTERPOL Project PREDATOR",
        "INTERPOL Project LEAF",
        "INTERPOL Project WISDOM",
        "WCO RILO Asia/Pacific",
        "WCO RILO Eastern and Southern Africa",
        "INTERPOL Regional Bureau Nairobi",
        "INTERPOL Regional Bureau Harare",
    ):
        assert expected in names, expected
    twix = db.session.scalar(select(ToolService).where(ToolService.name == "EU-TWIX"))
    assert [n.acronym for n in twix.networks] == ["EU Enforcement Group"]


def test_reloading_the_seed_keeps_later_edits(app, users):
    load_directory_seed()
    db.session.commit()
    save("ASEAN-WEN", users["coord_asean"], now=datetime.now(UTC), recent_activities="Our own")
    environet = db.session.scalar(select(ToolService).where(ToolService.seed_key == "environet"))
    environet.name = "ENVIRONET (WCO)"
    environet.offers = "Edited by an organiser"
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["load-reference"])
    assert result.exit_code == 0, result.output
    assert "directory seed loaded: sheets +0; tools and services +0" in result.output
    assert sheets.content(sheet("ASEAN-WEN"))["recent_activities"] == "Our own"
    assert sheet("ASEAN-WEN").version == 2
    db.session.expire_all()
    assert db.session.get(ToolService, environet.id).offers == "Edited by an organiser"
    assert not db.session.scalar(select(ToolService).where(ToolService.name == "ENVIRONET"))


# -- the form and its history ---------------------------------------------------------------
SHEET_FORM = {
    "formation_date": "2005-12",
    "legal_basis": "ASEAN ministerial statement",
    "form": "geographic",
    "maturity": "established",
    "mandate": "both",
    "has_secretariat": "true",
    "secretariat_location": "Bangkok",
    "prosecutors_judiciary": "",
    "channels_sensitive": "CENcomm; I-24/7",
    "recent_activities": "Regional training on species identification",
    "version": "1",
}


def test_a_coordinator_updates_the_sheet_and_every_version_is_kept(app, users):
    load_directory_seed()
    db.session.commit()
    client = signed_in(app, "coord_asean@test.example")
    url = "/directory/networks/ASEAN-WEN/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="2005-12-01"' in page  # the form opens with the current sheet
    response = post_form(client, url, SHEET_FORM)
    assert response.status_code == 302

    saved = sheet("ASEAN-WEN")
    assert saved.version == 2
    assert saved.mandate is Mandate.BOTH and saved.has_secretariat is True
    assert saved.prosecutors_judiciary is None  # "not stated"
    assert saved.updated_by_id == users["coord_asean"].id
    assert not sheets.is_stale(saved)
    versions = {v.version: v for v in saved.versions}
    assert set(versions) == {1, 2}
    assert versions[1].content["formation_date"] == "2005-12-01"
    assert versions[2].content["formation_date"] == "2005-12"
    assert versions[2].saved_by_id == users["coord_asean"].id and versions[2].via == "web"

    shown = client.get("/directory/networks/ASEAN-WEN").get_data(as_text=True)
    assert "Coord Asean" in shown and "Bangkok" in shown and "operational and policy" in shown
    assert "older than six months" not in shown
    old = client.get("/directory/networks/ASEAN-WEN/versions/1").get_data(as_text=True)
    assert "2005-12-01" in old and "Bangkok" not in old

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sheet.update"))
    assert event.actor_id == users["coord_asean"].id and event.object_id == "ASEAN-WEN"
    assert event.before["mandate"] is None and event.after["mandate"] == "both"
    assert event.after["version"] == 2


def test_saving_unchanged_marks_the_sheet_as_reviewed(app, users):
    save("LATF", users["coord_latf"], now=T0, lead_agencies="Wildlife services")
    client = signed_in(app, "coord_latf@test.example")
    url = "/directory/networks/LATF/edit"
    page = client.get(url).get_data(as_text=True)
    assert "Wildlife services" in page
    token = csrf_token(client, url)
    values = {**sheets.content(sheet("LATF")), "version": "1", "csrf_token": token}
    values = {k: ("" if v is None else v) for k, v in values.items()}
    assert client.post(url, data=values).status_code == 302
    reviewed = sheet("LATF")
    assert reviewed.version == 2 and reviewed.updated_at > T0
    assert len(reviewed.versions) == 2


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"formation_date": "2005-13"}, "formation_date", "does not exist"),
        ({"formation_date": "05/12/2005"}, "formation_date", "YYYY"),
        ({"formation_date": "2999"}, "formation_date", "between 1900 and today"),
        ({"has_secretariat": "false"}, "secretariat_location", "Leave this blank"),
        ({"mandate": "advisory"}, "mandate", "Not a valid choice"),
    ],
)
def test_the_form_refuses_inconsistent_answers(app, users, changes, field, message):
    load_directory_seed()
    db.session.commit()
    client = signed_in(app, "coord_asean@test.example")
    response = post_form(client, "/directory/networks/ASEAN-WEN/edit", {**SHEET_FORM, **changes})
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True))
    assert any(message in e for e in errors.get(field, [])), errors
    assert sheet("ASEAN-WEN").version == 1


def test_a_save_over_someone_elses_newer_one_is_refused(app, users):
    load_directory_seed()
    db.session.commit()
    client = signed_in(app, "coord_asean@test.example")
    url = "/directory/networks/ASEAN-WEN/edit"
    token = csrf_token(client, url)  # the coordinator opens the form at version 1
    save("ASEAN-WEN", users["organiser"], now=datetime.now(UTC), challenges="Organiser's note")
    response = client.post(url, data={**SHEET_FORM, "csrf_token": token})
    assert response.status_code == 409
    assert "saved by someone else" in response.get_data(as_text=True)
    kept = sheet("ASEAN-WEN")
    assert kept.version == 2 and kept.challenges == "Organiser's note"


def test_only_the_networks_coordinator_or_an_organiser_edits_its_sheet(app, users):
    load_directory_seed()
    db.session.commit()
    for who in ("coord_latf", "fp_tha", "comms"):
        client = signed_in(app, f"{who}@test.example")
        assert client.get("/directory/networks/ASEAN-WEN/edit").status_code == 404
        token = csrf_token(client, "/account/")
        response = client.post(
            "/directory/networks/ASEAN-WEN/edit", data={**SHEET_FORM, "csrf_token": token}
        )
        assert response.status_code == 404
        # but every signed-in role reads it
        assert client.get("/directory/networks/ASEAN-WEN").status_code == 200
    assert sheet("ASEAN-WEN").version == 1
    assert app.test_client().get("/directory/networks/ASEAN-WEN").status_code == 302


# -- staleness and reminders ----------------------------------------------------------------
def test_a_sheet_is_stale_after_183_days(app, users):
    saved = save("ASEAN-WEN", users["coord_asean"], now=T0, challenges="x")
    assert not sheets.is_stale(saved, T0 + timedelta(days=183))
    assert sheets.is_stale(saved, T0 + timedelta(days=183, seconds=1))
    assert not sheets.is_stale(None, T0)  # no sheet: "missing", not stale


def test_stale_sheets_are_flagged_wherever_they_are_shown(app, users):
    long_ago = datetime.now(UTC) - timedelta(days=200)
    save("ASEAN-WEN", users["coord_asean"], now=long_ago, challenges="x")
    save("LATF", users["coord_latf"], now=datetime.now(UTC), challenges="y")
    client = signed_in(app, "coord_asean@test.example")
    flag = "older than six months"
    assert flag in client.get("/directory/networks/ASEAN-WEN").get_data(as_text=True)
    assert flag not in client.get("/directory/networks/LATF").get_data(as_text=True)
    assert flag in client.get("/networks/ASEAN-WEN").get_data(as_text=True)
    assert "more than six months ago" in client.get("/home").get_data(as_text=True)
    listing = client.get("/directory/").get_data(as_text=True)
    row = listing.split(">ASEAN-WEN<", 1)[1].split("</tr>", 1)[0]
    assert flag in row
    compared = client.get("/directory/compare.csv?fields=challenges").get_data(as_text=True)
    table = {r[0]: r for r in csv.reader(io.StringIO(compared.lstrip("\ufeff")))}
    assert table["ASEAN-WEN"][-1] == "yes" and table["LATF"][-1] == "no"
    api = app.test_client()
    from opsplanner.services import accounts

    token = accounts.create_token(users["comms"], "t")
    db.session.commit()
    body = api.get("/api/v1/sheets/ASEAN-WEN", headers={"Authorization": f"Bearer {token}"})
    assert body.get_json()["stale"] is True


def reminders() -> list[SheetReminder]:
    db.session.commit()
    return list(db.session.scalars(select(SheetReminder).order_by(SheetReminder.id)))


def test_coordinators_of_stale_sheets_are_reminded_once_per_stale_period(app, users):
    save("ASEAN-WEN", users["coord_asean"], now=T0, challenges="x")
    save("SA-WEN", users["organiser"], now=T0, challenges="no coordinator account")

    assert sheets.remind_stale(now=T0 + timedelta(days=150)) == []
    first = T0 + timedelta(days=200)
    created = sheets.remind_stale(now=first)
    assert [(r.sheet.network.acronym, r.recipients) for r in created] == [
        ("ASEAN-WEN", ["coord_asean@test.example"])
    ]
    # the daily task runs again, and again: nothing more for the same stale period
    assert sheets.remind_stale(now=first) == []
    assert sheets.remind_stale(now=first + timedelta(days=30)) == []
    assert len(reminders()) == 1
    reminder = reminders()[0]
    assert reminder.sent_at is None  # no mail server here: it stays in the outbox
    assert "ASEAN-WEN" in reminder.subject and "200 days" in reminder.body

    # shown in the app: the sheet page and the organisers' outbox
    page = signed_in(app, "coord_asean@test.example").get("/directory/networks/ASEAN-WEN")
    assert "Reminder recorded on 2026-07-29" in page.get_data(as_text=True)
    outbox = signed_in(app, "organiser@test.example").get("/directory/").get_data(as_text=True)
    assert "coord_asean@test.example" in outbox and "in the outbox" in outbox

    # a save starts a new period: stale again six months later, reminded again
    save("ASEAN-WEN", users["coord_asean"], now=first + timedelta(days=40), challenges="y")
    assert sheets.remind_stale(now=first + timedelta(days=100)) == []
    again = sheets.remind_stale(now=first + timedelta(days=40 + 190))
    assert len(again) == 1 and again[0].sheet_version == 2
    assert len(reminders()) == 2
    events = db.session.scalar(select(func.count()).where(AuditEvent.action == "sheet.reminder"))
    assert events == 2


def test_a_coordinator_added_later_is_reminded_on_the_next_run(app, users):
    from opsplanner.models import Role
    from opsplanner.services import accounts

    save("SA-WEN", users["organiser"], now=T0, challenges="x")
    later = T0 + timedelta(days=200)
    assert sheets.remind_stale(now=later) == []
    accounts.create_user(
        email="coord_sawen@test.example",
        name="SA-WEN coordinator",
        role=Role.COORDINATOR,
        network_id=network("SA-WEN").id,
        password="correct horse battery staple",
    )
    db.session.commit()
    assert [r.recipients for r in sheets.remind_stale(now=later)] == [["coord_sawen@test.example"]]


class FakeSMTP:
    sent: list[Any] = []
    fail = False

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def send_message(self, message: Any) -> None:
        if FakeSMTP.fail:
            raise OSError("connection refused")
        FakeSMTP.sent.append(message)


def test_reminders_are_mailed_where_a_mail_server_is_configured(app, users, monkeypatch):
    import smtplib

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(FakeSMTP, "sent", [])
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.test.example")
    save("ASEAN-WEN", users["coord_asean"], now=T0, challenges="x")
    save("LATF", users["coord_latf"], now=T0 + timedelta(days=10), challenges="x")

    FakeSMTP.fail = True
    try:
        sheets.remind_stale(now=T0 + timedelta(days=190))
    finally:
        FakeSMTP.fail = False
    [failed] = reminders()
    assert failed.sent_at is None and failed.attempts == 1 and "refused" in failed.error

    # the next run records LATF's reminder and sends both
    sheets.remind_stale(now=T0 + timedelta(days=200))
    assert [m["To"] for m in FakeSMTP.sent] == [
        "coord_asean@test.example",
        "coord_latf@test.example",
    ]
    assert all(r.sent_at is not None and r.error == "" for r in reminders())
    assert FakeSMTP.sent[0]["Subject"].startswith("ASEAN-WEN")


def test_the_reminder_runs_daily_through_a_thin_task(app, users):
    from worker import tasks

    schedule = celery_config(app)["beat_schedule"]["remind-stale-sheets"]
    assert schedule["task"] == tasks.remind_stale_sheets.name == "opsplanner.remind_stale_sheets"
    assert schedule["schedule"] == timedelta(days=1)
    save("ASEAN-WEN", users["coord_asean"], now=datetime.now(UTC) - timedelta(days=400))
    assert tasks.remind_stale_sheets.run() == 1
    assert tasks.remind_stale_sheets.run() == 0


# -- the comparative table ------------------------------------------------------------------
@pytest.fixture
def compared(app, users):
    now = datetime.now(UTC)
    save(
        "ASEAN-WEN",
        users["coord_asean"],
        now=now,
        mandate="operational",
        has_secretariat=True,
        secretariat_location="Bangkok",
    )
    save(
        "LATF",
        users["coord_latf"],
        now=now,
        mandate="both",
        has_secretariat=True,
        secretariat_location='=HYPERLINK("http://evil.example")',
    )
    save("SA-WEN", users["organiser"], now=now, mandate="policy", has_secretariat=False)
    return now


def rows_of(c: sheets.Comparison) -> set[str]:
    return {r.network.acronym for r in c.rows}


def test_the_comparison_filters_on_secretariat_mandate_form_and_maturity(app, compared):
    keys = ["mandate", "has_secretariat"]
    f = sheets.CompareFilters
    assert rows_of(sheets.compare(keys, f(secretariat=True))) == {"ASEAN-WEN", "LATF"}
    assert rows_of(sheets.compare(keys, f(secretariat=False))) == {"SA-WEN"}
    # a network with both mandates counts as operational and as a policy body
    assert rows_of(sheets.compare(keys, f(mandate=Mandate.OPERATIONAL))) == {"ASEAN-WEN", "LATF"}
    assert rows_of(sheets.compare(keys, f(mandate=Mandate.POLICY))) == {"LATF", "SA-WEN"}
    # without a sheet, form and maturity come from the reference classification
    from opsplanner.models import NetworkForm, NetworkMaturity

    commodity = sheets.compare(["form"], f(form=NetworkForm.COMMODITY))
    assert rows_of(commodity) == {"SADC RESG"}
    assert commodity.rows[0].cells == ["commodity-based (reference)"]
    considered = sheets.compare(["maturity"], f(maturity=NetworkMaturity.UNDER_CONSIDERATION))
    assert rows_of(considered) == {"CITES EG West Asia"}
    everything = sheets.compare([], f())
    assert len(everything.rows) == db.session.scalar(select(func.count(Network.id)))
    assert [k for k, _label in everything.columns] == list(sheets.DEFAULT_COMPARE)


def test_the_comparison_page_shows_the_chosen_fields_side_by_side(app, compared):
    client = signed_in(app, "organiser@test.example")
    query = "fields=mandate&fields=secretariat_location&secretariat=yes"
    html = client.get(f"/directory/compare?{query}").get_data(as_text=True)
    head = html.split("<thead>", 2)[1].split("</thead>", 1)[0]
    assert "Mandate" in head and "Secretariat location" in head and "Legal basis" not in head
    body = html.split("<tbody>", 1)[1]
    assert ">ASEAN-WEN<" in body and ">LATF<" in body and ">SA-WEN<" not in body
    assert "operational task force" in body and "Bangkok" in body
    # the boxes stay ticked and the export links carry the same choice
    ticked = set(
        re.findall(r'<input checked id="fields-\d+" name="fields" [^>]*value="(\w+)"', html)
    )
    assert ticked == {"mandate", "secretariat_location"}
    assert f"/directory/compare.csv?{query}" in html.replace("&amp;", "&")


def test_the_comparison_exports_to_csv_and_xlsx(app, compared):
    client = signed_in(app, "comms@test.example")  # not personal data: every role
    query = "fields=mandate&fields=secretariat_location&secretariat=yes"
    response = client.get(f"/directory/compare.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [
        "Network",
        "Name",
        "Mandate",
        "Secretariat location",
        "Older than six months",
    ]
    table = {r[0]: r for r in rows[1:]}
    assert set(table) == {"ASEAN-WEN", "LATF"}
    assert table["ASEAN-WEN"][1:] == [
        "ASEAN Wildlife Enforcement Network",
        "operational task force",
        "Bangkok",
        "no",
    ]
    assert table["LATF"][2] == "operational and policy"
    assert table["LATF"][3].startswith("'=HYPERLINK")  # never a live formula

    response = client.get(f"/directory/compare.xlsx?{query}")
    assert response.status_code == 200
    sheet_ = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet_.iter_rows()]
    assert values[0] == rows[0]
    assert {tuple(v) for v in values[1:]} == {tuple(r) for r in rows[1:]}
    cell = next(r for r in sheet_.iter_rows() if r[0].value == "LATF")[3]
    assert cell.data_type == "s" and cell.value.startswith("'=")


# -- a sheet as HTML and PDF ----------------------------------------------------------------
def test_a_sheet_exports_as_self_contained_html(app, users):
    load_directory_seed()
    db.session.commit()
    client = signed_in(app, "fp_ken@test.example")
    response = client.get("/directory/networks/ROAVIS/sheet.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "attachment" in response.headers["Content-Disposition"]
    html = response.get_data(as_text=True)
    assert "San José" in html and "Prosecutors and judiciary involved" in html
    assert "Older than six months" in html
    # nothing to fetch: no stylesheet, script or image from anywhere
    assert "<link" not in html and "<script" not in html and "<img" not in html


weasyprint_missing = False
try:
    pdf._weasyprint()
except pdf.PdfUnavailable:
    weasyprint_missing = True


@pytest.mark.skipif(weasyprint_missing, reason="WeasyPrint or its system libraries are missing")
def test_a_sheet_exports_as_pdf(app, users):
    load_directory_seed()
    db.session.commit()
    response = signed_in(app, "comms@test.example").get("/directory/networks/LATF/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_without_weasyprint_the_pdf_export_says_so(app, users, monkeypatch):
    def missing() -> Any:
        raise pdf.PdfUnavailable("PDF export is not available on this server (test).")

    monkeypatch.setattr(pdf, "_weasyprint", missing)
    client = signed_in(app, "organiser@test.example")
    response = client.get("/directory/networks/LATF/sheet.pdf")
    assert response.status_code == 503
    assert "PDF export is not available" in response.get_data(as_text=True)
    assert client.get("/directory/networks/LATF/sheet.html").status_code == 200


def test_the_pdf_fetcher_allows_only_local_files(app):
    static = pdf.STATIC_ROOT
    assert pdf.check_local((static / "favicon.svg").as_uri())
    assert pdf.check_local("data:image/png;base64,AAAA")
    for url in (
        "http://example.com/logo.png",
        "https://127.0.0.1/x.css",
        "ftp://example.com/x",
        "file:///etc/passwd",
        (static / ".." / "instance" / "secret_key").as_uri(),
        "file://evil.example/share/x.png",
    ):
        with pytest.raises(pdf.RefusedURL):
            pdf.check_local(url)


@pytest.mark.skipif(weasyprint_missing, reason="WeasyPrint or its system libraries are missing")
def test_rendering_a_pdf_reaches_no_server(app):
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        html = (
            f'<link rel="stylesheet" href="{base}/style.css"><p>Sheet</p>'
            f'<img src="{base}/logo.png"><img src="file:///etc/hostname">'
        )
        assert pdf.html_to_pdf(html).startswith(b"%PDF")
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []


def test_sheet_versions_are_rows_of_full_content(app, users):
    save("NAWEG", users["organiser"], now=T0, member_states="Canada, Mexico, United States")
    save("NAWEG", users["organiser"], now=T0 + timedelta(days=1), challenges="Funding")
    rows = db.session.scalars(
        select(NetworkSheetVersion).order_by(NetworkSheetVersion.version)
    ).all()
    assert [r.version for r in rows] == [1, 2]
    # each version holds the whole sheet, not a diff
    assert rows[1].content["member_states"] == "Canada, Mexico, United States"
    assert rows[1].content["challenges"] == "Funding" and rows[0].content["challenges"] == ""
