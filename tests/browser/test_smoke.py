"""Smoke tests through a real browser: sign-in for every demo role, the operation form's
validation, a focal point's answer, the export job page, and that pages stay offline and
CSP-clean."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Country, Network, Role
from opsplanner.services.demo import DEMO_OPERATION, DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import LiveServer, PageRecorder

pytestmark = pytest.mark.browser

ORGANISER = "organiser@demo.opsplanner.org"
FOCAL_KEN = "focal.ken@demo.opsplanner.org"
# Set to a folder to keep a screenshot of the organiser's operation page (not kept in git).
SCREENSHOT_DIR = os.environ.get("OPSPLANNER_SCREENSHOT_DIR")


def scalar(live_server: LiveServer, query: Any) -> Any:
    return live_server.query(lambda: db.session.scalar(query))


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def signed_in(page: Page, email: str) -> None:
    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/home$"))


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash")).to_contain_text("You are signed out.")


def open_demo_operation(page: Page) -> None:
    page.goto("/operations/")
    page.locator("table").get_by_role("link", name=DEMO_OPERATION).click()
    expect(page).to_have_url(re.compile(r"/operations/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(DEMO_OPERATION)


# -- sign-in for every role -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("email", "role", "iso3", "acronym"),
    [(email, role, iso3, acronym) for email, _name, role, iso3, acronym in DEMO_USERS],
    ids=[email.split("@")[0] for email, *_ in DEMO_USERS],
)
def test_demo_login_reaches_role_home(
    page: Page,
    live_server: LiveServer,
    email: str,
    role: Role,
    iso3: str | None,
    acronym: str | None,
) -> None:
    signed_in(page, email)
    heading = page.get_by_role("heading", level=1)
    table = page.locator("table.table")

    if role is Role.ORGANISER:
        expect(heading).to_have_text("Operations")
        expect(table.get_by_role("link", name=DEMO_OPERATION)).to_be_visible()
        expect(page.get_by_role("link", name="New operation")).to_be_visible()
    elif role is Role.FOCAL_POINT:
        country = scalar(live_server, select(Country.name).where(Country.iso3 == iso3))
        expect(heading).to_have_text(country)
        expect(table).to_contain_text(DEMO_OPERATION)
        expect(page.locator(".role-badge")).to_contain_text(str(iso3))
    elif role is Role.COORDINATOR:
        network = scalar(live_server, select(Network.name).where(Network.acronym == acronym))
        expect(heading).to_have_text(network)
        expect(page.get_by_role("link", name=DEMO_OPERATION)).to_be_visible()
    elif role is Role.COMMUNICATIONS:
        expect(heading).to_have_text("Operations")
        expect(page.get_by_role("link", name="New operation")).to_have_count(0)
        table.get_by_role("link", name=DEMO_OPERATION).click()
        expect(heading).to_contain_text(DEMO_OPERATION)
        expect(page.get_by_text("Communications staff see aggregate figures only.")).to_be_visible()
        expect(page.get_by_role("heading", name="Participations")).to_have_count(0)
        expect(page.locator("table")).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("Export"))).to_have_count(0)
    else:  # pragma: no cover - a new role needs its own check here
        pytest.fail(f"no home-page check for {role}")

    sign_out(page)
    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_wrong_password_shows_error_next_to_the_field(page: Page, recorder: PageRecorder) -> None:
    recorder.allow_console()  # the failed sign-in answers 401
    sign_in(page, ORGANISER, "not-the-password")
    expect(page).to_have_url(re.compile(r"/login$"))
    password_field = page.locator(".field", has=page.locator("#password"))
    error = password_field.locator("#password-error")
    expect(error).to_have_text("Wrong e-mail or password, or the account is disabled.")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password")).to_have_attribute("aria-describedby", "password-error")
    expect(page.get_by_label("E-mail")).to_have_value(ORGANISER)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


# -- offline and CSP-clean ------------------------------------------------------------------
def test_pages_load_only_local_resources_without_console_errors(
    page: Page, live_server: LiveServer, recorder: PageRecorder
) -> None:
    page.goto("/login")
    signed_in(page, ORGANISER)
    for path in ("/operations/", "/operations/new", "/networks/", "/countries/", "/account/"):
        response = page.goto(path)
        assert response is not None and response.ok, path
    open_demo_operation(page)
    # the job page's own script polls the status endpoint (connect-src under the CSP)
    with page.expect_response(re.compile(r"/jobs/\d+/status$")) as status:
        page.get_by_role("button", name=re.compile("Export participation list")).click()
    assert status.value.ok
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))

    assert recorder.requests, "no request was recorded"
    local = [u for u in recorder.requests if u.startswith(live_server.url + "/")]
    assert any(u.endswith("/static/css/app.css") for u in local)
    assert any(u.endswith("/static/js/jobs.js") for u in local)
    assert recorder.foreign_requests() == []
    assert recorder.console_errors == []
    assert recorder.page_errors == []


# -- creating an operation ------------------------------------------------------------------
def fill_operation(page: Page, **values: str) -> None:
    for name, value in values.items():
        page.locator(f"#{name}").fill(value)


def test_organiser_creates_operation_after_fixing_the_schedule(page: Page) -> None:
    signed_in(page, ORGANISER)
    page.get_by_role("link", name="New operation").click()
    expect(page).to_have_url(re.compile(r"/operations/new$"))
    page.get_by_label("Organising agency").select_option("WCO")
    fill_operation(
        page,
        code_name="Operation Browser Shield",
        world_wildlife_day="2031-03-03",
        window_start="2031-02-25",
        window_end="2031-03-10",  # after World Wildlife Day
        reporting_deadline="2031-03-02T23:59",
        embargo_until="2031-03-03T09:00",
        secure_channel="CENcomm CUG BROWSER",
    )
    page.get_by_role("button", name="Save operation").click()

    expect(page).to_have_url(re.compile(r"/operations/new$"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please correct the following:")
    expect(summary).to_contain_text("the window must end before World Wildlife Day")
    window_end = page.locator(".field", has=page.locator("#window_end"))
    expect(window_end).to_have_class(re.compile(r"\bhas-error\b"))
    expect(window_end.locator(".error").first).to_have_text(
        "the window must end before World Wildlife Day"
    )
    expect(page.locator("#window_end")).to_have_attribute("aria-invalid", "true")
    # the summary links to the field it names
    summary.get_by_role("link", name=re.compile("Window end")).click()
    expect(page.locator("#window_end")).to_be_focused()
    # what was typed is kept
    expect(page.locator("#code_name")).to_have_value("Operation Browser Shield")
    expect(page.locator("#window_end")).to_have_value("2031-03-10")
    assert_unique_ids(page)

    fill_operation(page, window_end="2031-02-10", window_start="2031-01-28")
    fill_operation(page, reporting_deadline="2031-02-20T23:59")
    page.get_by_role("button", name="Save operation").click()

    # (the browser keeps the #window_end fragment of the form's URL across the redirect)
    expect(page).to_have_url(re.compile(r"/operations/\d+(#window_end)?$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Operation Browser Shield")
    expect(page.locator(".flash-success")).to_contain_text(
        "Operation Operation Browser Shield created."
    )
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("2031-01-28 \u2013 2031-02-10")
    expect(facts).to_contain_text("2031-02-20 23:59 UTC")
    expect(facts).to_contain_text("WCO")


def assert_unique_ids(page: Page) -> None:
    duplicates = page.evaluate(
        """() => {
            const seen = {}, dup = [];
            for (const el of document.querySelectorAll('[id]')) {
                if (seen[el.id]) dup.push(el.id); seen[el.id] = true;
            }
            return dup;
        }"""
    )
    assert duplicates == [], f"duplicate element ids: {duplicates}"


# -- a focal point answers ------------------------------------------------------------------
def test_focal_point_confirms_and_cannot_open_another_country(
    page: Page, recorder: PageRecorder
) -> None:
    signed_in(page, FOCAL_KEN)
    row = page.locator("tr", has_text=DEMO_OPERATION)
    expect(row.locator(".badge")).to_have_text("invited")
    row.get_by_role("link", name="Open").click()
    expect(page).to_have_url(re.compile(r"/operations/\d+/participations/KEN$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kenya")

    page.get_by_label("Answer").select_option("confirmed")
    page.get_by_label("Note").fill("Customs and KWS teams at JKIA and Mombasa port.")
    page.get_by_role("button", name="Send answer").click()

    expect(page).to_have_url(re.compile(r"/participations/KEN$"))
    expect(page.locator(".flash-success")).to_contain_text("Answer recorded for Kenya.")
    badge = page.get_by_role("heading", level=1).locator(".badge")
    expect(badge).to_have_text("confirmed")
    expect(badge).to_have_class(re.compile(r"\bbadge-confirmed\b"))
    expect(page.locator("dl.facts")).to_contain_text("Customs and KWS teams at JKIA")

    page.goto("/home")
    expect(page.locator("tr", has_text=DEMO_OPERATION).locator(".badge")).to_have_text("confirmed")

    recorder.allow_console()  # the 404 below
    other = page.url.replace("/home", "")
    participation_url = re.sub(r"KEN$", "THA", _participation_url(page, other))
    response = page.goto(participation_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("404")
    expect(page.locator("main")).to_contain_text("Not found.")
    expect(page.locator("main")).not_to_contain_text("Thailand")


def _participation_url(page: Page, base: str) -> str:
    href = page.locator("tr", has_text=DEMO_OPERATION).get_by_role("link", name="Open")
    return base + (href.get_attribute("href") or "")


# -- the export job -------------------------------------------------------------------------
def test_organiser_requests_participation_export(page: Page) -> None:
    signed_in(page, ORGANISER)
    open_demo_operation(page)
    expect(page.locator("table.table tbody tr").first).to_be_visible()
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / "organiser-operation.png"))

    page.get_by_role("button", name="Export participation list (CSV, XLSX)").click()

    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Background job")
    expect(page.get_by_role("heading", level=1)).to_contain_text("participation_export")
    expect(page.locator('[data-role="status"]')).to_have_text("queued")
    progress = page.get_by_role("progressbar", name="Progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("max", "100")
