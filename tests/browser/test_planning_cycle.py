"""An organiser, a coordinator and two focal points can walk the whole planning cycle in the
browser: an operation goes from a draft through planning to its briefing phase, the invited
countries confirm, acknowledge the guidelines, attend a briefing and plan their activities,
their network's coordinator comments, and the organiser's readiness board adds it all up.

Each person has their own browser context and signs in through the login form; their accounts
are created in the served database. Every page must stay on the live server's origin and log
no console error (the ``page`` fixture's checks, shared with the extra contexts here).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Briefing, Network, Participation, Role
from opsplanner.services import accounts
from opsplanner.services import briefings as briefing_service
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, LiveServer, PageRecorder

pytestmark = pytest.mark.browser

OPERATION = "Operation Cycle Shield"
PASSWORD = "planning-cycle-2027"
NOT_FOUND_STATUS = re.compile(r"the server responded with a status of 404\b")

GUIDELINES = """\
## Before the window

1. Brief the **customs** and wildlife teams at the main ports and airports.
2. Agree the hand-over of seized specimens with the prosecutors.

## During the window

- Report seizures within 24 hours over the [secure channel](https://cites.org/eng/prog/iccwc).
- Keep case details out of e-mail.
"""
AGENDA = """\
1. The operation's priorities
2. National activity plans: what to plan, and by when
3. Reporting seizures over the secure channel
"""


@dataclass(frozen=True)
class Person:
    email: str
    name: str


ORGANISER = Person("organiser@cycle.example.org", "Olga Organiser")
COORDINATOR = Person("coordinator.asean@cycle.example.org", "Anong Coordinator")
FOCAL_THA = Person("focal.tha@cycle.example.org", "Kittipong Focal Point")
FOCAL_KEN = Person("focal.ken@cycle.example.org", "Achieng Focal Point")


@dataclass(frozen=True)
class Schedule:
    """A valid schedule for next year's World Wildlife Day, and a briefing a week from now."""

    world_wildlife_day: date
    window_start: date
    window_end: date
    reporting_deadline: str
    embargo_until: str
    briefing_start: datetime  # local wall-clock time in BRIEFING_ZONE

    @classmethod
    def from_today(cls, today: date) -> Schedule:
        wwd = date(today.year + 1, 3, 3)
        window_end = wwd - timedelta(days=14)
        return cls(
            world_wildlife_day=wwd,
            window_start=window_end - timedelta(days=13),
            window_end=window_end,
            reporting_deadline=f"{window_end + timedelta(days=7)}T23:59",
            embargo_until=f"{wwd}T09:00",
            briefing_start=datetime.combine(today + timedelta(days=7), time(9, 0)),
        )


OPERATION_ZONE = "Africa/Nairobi"
BRIEFING_ZONE = "Asia/Bangkok"  # UTC+7 all year: no daylight-saving edge to worry about


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def cast(live_server: LiveServer) -> None:
    """The four people of the walk, created in the served database (next to the demo's)."""

    def create() -> None:
        asean = db.session.scalar(select(Network.id).where(Network.acronym == "ASEAN-WEN"))
        for person, role, scope in [
            (ORGANISER, Role.ORGANISER, {}),
            (COORDINATOR, Role.COORDINATOR, {"network_id": asean}),
            (FOCAL_THA, Role.FOCAL_POINT, {"country_iso3": "THA"}),
            (FOCAL_KEN, Role.FOCAL_POINT, {"country_iso3": "KEN"}),
        ]:
            accounts.create_user(
                email=person.email, name=person.name, role=role, password=PASSWORD, **scope
            )
        db.session.commit()

    live_server.query(create)


def watch(pg: Page, recorder: PageRecorder) -> None:
    """The ``page`` fixture's listeners: requests, console errors, uncaught script errors."""
    pg.on("request", lambda request: recorder.requests.append(request.url))
    pg.on(
        "console",
        lambda msg: recorder.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    pg.on("pageerror", lambda exc: recorder.page_errors.append(str(exc)))


def track_errors(pg: Page, failed: list[str]) -> None:
    """Record every response with an error status: the console allowance for 404s below must
    not hide one the test did not ask for (a missing script, say)."""
    pg.on(
        "response",
        lambda r: failed.append(f"{r.status} {urlsplit(r.url).path}") if r.status >= 400 else None,
    )


@pytest.fixture
def error_responses(page: Page) -> list[str]:
    failed: list[str] = []
    track_errors(page, failed)
    return failed


@pytest.fixture
def open_page(
    browser: Any,
    live_server: LiveServer,
    recorder: PageRecorder,
    page: Page,
    error_responses: list[str],
) -> Iterator[Callable[[], Page]]:
    """A page in a new browser context (its own cookies) for each further person. The ``page``
    fixture's end-of-test checks then cover these pages too: they share its recorder."""
    contexts: list[Any] = []

    def new_page() -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="en-GB"
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        pg = context.new_page()
        watch(pg, recorder)
        track_errors(pg, error_responses)
        return pg

    try:
        yield new_page
    finally:
        for context in contexts:
            context.close()


# -- helpers --------------------------------------------------------------------------------
def sign_in(page: Page, person: Person) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator(".who")).to_contain_text(person.name)


def fill(page: Page, **values: str) -> None:
    for name, value in values.items():
        page.locator(f"#{name}").fill(value)


def flash(page: Page) -> Locator:
    return page.locator(".flash-success")


def tab(page: Page, name: str) -> None:
    """Follow a tab of the operation's sub-navigation and wait for it to be the current one."""
    nav = page.get_by_role("navigation", name="Operation sections")
    nav.get_by_role("link", name=name, exact=True).click()
    expect(nav.get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")


def row_of(page: Page, first_cell: str) -> Locator:
    """The row of a table whose first cell reads exactly ``first_cell``."""
    return page.locator("table.table tbody tr").filter(
        has=page.locator("td:first-child, th:first-child").get_by_text(first_cell, exact=True)
    )


def expect_not_found(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 404, path
    expect(page.get_by_role("heading", level=1)).to_have_text("404")
    expect(page.locator("main")).to_contain_text("Not found.")


def fact(page: Page, term: str) -> Locator:
    """The value (dd) of a term (dt) of the page's facts list."""
    entry = page.locator("dl.facts > div").filter(
        has=page.locator("dt").get_by_text(term, exact=True)
    )
    return entry.locator("dd")


def phase_badge(page: Page) -> Locator:
    return page.get_by_role("heading", level=1).locator(".badge")


# -- 1. the organiser sets the operation up -------------------------------------------------
def create_operation(page: Page, s: Schedule) -> str:
    page.get_by_role("link", name="New operation").click()
    expect(page).to_have_url(re.compile(r"/operations/new$"))
    page.get_by_label("Organising agency").select_option("INTERPOL")
    fill(
        page,
        code_name=OPERATION,
        world_wildlife_day=s.world_wildlife_day.isoformat(),
        window_start=s.window_start.isoformat(),
        window_end=s.window_end.isoformat(),
        reporting_deadline=s.reporting_deadline,
        embargo_until=s.embargo_until,
        secure_channel="CENcomm CUG CYCLE-SHIELD",
    )
    page.get_by_role("button", name="Save operation").click()
    expect(page).to_have_url(re.compile(r"/operations/\d+$"))
    expect(flash(page)).to_have_text(f"Operation {OPERATION} created.")
    expect(phase_badge(page)).to_have_text("draft")
    expect(page.locator("dl.facts")).to_contain_text(f"{s.window_start} \u2013 {s.window_end}")
    return urlsplit(page.url).path


def write_guidelines(page: Page) -> None:
    page.get_by_role("link", name="Edit set-up").click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    expect(page.locator("#code_name")).to_have_value(OPERATION)
    page.get_by_label("Organiser's time zone").select_option(OPERATION_ZONE)
    page.get_by_label("Guidelines for national focal points").fill(GUIDELINES)
    page.get_by_role("button", name="Save operation").click()
    expect(page).to_have_url(re.compile(r"/operations/\d+$"))
    expect(flash(page)).to_have_text(f"{OPERATION} saved.")

    page.get_by_role("link", name="Guidelines for national focal points").click()
    markdown = page.locator(".markdown")
    expect(markdown.locator("h2")).to_have_text(["Before the window", "During the window"])
    expect(markdown.locator("ol > li strong")).to_have_text("customs")
    expect(markdown.get_by_role("link", name="secure channel")).to_have_attribute(
        "href", "https://cites.org/eng/prog/iccwc"
    )


def add_priorities(page: Page) -> None:
    tab(page, "Priorities")
    expect(page.get_by_text("No priorities yet.")).to_be_visible()

    page.get_by_label("Kind").select_option("commodity")
    page.get_by_label("Title", exact=True).fill("Pangolin scales and live pangolins")
    page.get_by_label("Commodity category").select_option(label="Pangolin scales")
    page.get_by_label("Description").fill("Shipments from Central and West Africa to Asia.")
    page.get_by_role("button", name="Save priority").click()
    expect(flash(page)).to_have_text("Priority added.")

    page.get_by_label("Kind").select_option("trade_route")
    page.get_by_label("Title", exact=True).fill("Africa to South-east Asia by air")
    # the multi-selects: M49 regions and countries mixed
    page.get_by_label("Origin countries or regions").select_option(["M49:014", "M49:017"])
    page.get_by_label("Transit countries or regions").select_option(["ARE"])
    page.get_by_label("Destination countries or regions").select_option(["THA", "VNM"])
    page.get_by_label("Air cargo").check()
    page.get_by_label("Air passenger").check()
    page.get_by_role("button", name="Save priority").click()
    expect(flash(page)).to_have_text("Priority added.")

    first, second = row_of(page, "1"), row_of(page, "2")
    expect(first).to_contain_text("Pangolin scales and live pangolins")
    expect(first.locator(".tag")).to_have_text("pangolin scales")
    expect(second).to_contain_text("trade route")
    expect(second).to_contain_text("Origin: Eastern Africa, Middle Africa")
    expect(second).to_contain_text("Transit: United Arab Emirates")
    expect(second).to_contain_text("Destination: Thailand, Vietnam")
    expect(second.locator(".tag")).to_have_text(["air cargo", "air passenger"])


def invite_countries(page: Page) -> None:
    tab(page, "Enrolment")
    page.get_by_label("Network", exact=True).select_option(
        label="ASEAN-WEN: ASEAN Wildlife Enforcement Network"
    )
    page.get_by_role("button", name="Invite all member states").click()
    expect(flash(page)).to_have_text(
        "10 member states of ASEAN-WEN invited; 0 were already enrolled."
    )
    expect(page.get_by_role("heading", name=re.compile("Focal-point directory"))).to_contain_text(
        "(10)"
    )
    expect(row_of(page, "Thailand").locator("td").nth(1)).to_have_text("ASEAN-WEN")

    tab(page, "Overview")
    invite = page.locator("section.card", has=page.get_by_role("heading", name="Invite a country"))
    invite.get_by_label("Country", exact=True).select_option("KEN")
    invite.get_by_label("Coordinating network").select_option(label="LATF")
    invite.get_by_role("button", name="Invite", exact=True).click()
    expect(flash(page)).to_have_text("Kenya invited.")
    expect(page.get_by_role("heading", name=re.compile("Participations"))).to_contain_text("(11)")
    expect(row_of(page, "KEN").locator("td").nth(3)).to_have_text("LATF")


def open_planning(page: Page) -> None:
    page.get_by_role("button", name="Move to planning").click()
    expect(flash(page)).to_have_text(f"{OPERATION} is now in phase planning.")
    expect(phase_badge(page)).to_have_text("planning")
    # briefing needs a confirmed country: the button is disabled and says why
    to_briefing = page.get_by_role("button", name="Move to briefing")
    expect(to_briefing).to_be_disabled()
    expect(to_briefing).to_have_attribute("aria-describedby", "why-briefing")
    expect(page.locator("#why-briefing .refusal")).to_have_text(
        "Not yet: no country has confirmed its participation yet."
    )
    expect(page.get_by_role("button", name="Back to draft")).to_be_enabled()


# -- 2. the focal points answer -------------------------------------------------------------
def confirm_and_acknowledge(page: Page, person: Person, iso3: str, country: str) -> str:
    sign_in(page, person)
    expect(page.get_by_role("heading", level=1)).to_have_text(country)
    row = page.locator("tr", has_text=OPERATION)
    expect(row.locator(".badge")).to_have_text("invited")
    row.get_by_role("link", name="Open").click()
    expect(page).to_have_url(re.compile(rf"/operations/\d+/participations/{iso3}$"))

    page.get_by_label("Answer").select_option("confirmed")
    page.get_by_label("Note").fill(f"{country}: customs and wildlife teams at the main hubs.")
    page.get_by_role("button", name="Send answer").click()
    expect(flash(page)).to_have_text(f"Answer recorded for {country}.")
    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text("confirmed")

    page.locator(".crumbs").get_by_role("link", name=OPERATION).click()
    expect(page).to_have_url(re.compile(r"/operations/\d+$"))
    op_path = urlsplit(page.url).path
    # their own country only
    expect(page.locator("table.table tbody tr")).to_have_count(1)
    expect(row_of(page, iso3)).to_contain_text(country)

    page.get_by_role("link", name="Guidelines for national focal points").click()
    expect(page.locator(".markdown h2").first).to_have_text("Before the window")
    page.get_by_role("button", name="I have read the guidelines for my country").click()
    expect(flash(page)).to_have_text(f"Thank you: {country} acknowledged the guidelines.")
    expect(page.locator("#acknowledgement")).to_contain_text(
        f"{country} acknowledged the guidelines on"
    )
    expect(page.get_by_role("button", name=re.compile("I have read"))).to_have_count(0)
    return op_path


# -- 3. the organiser opens the briefing phase and schedules a briefing ----------------------
def schedule_briefing(page: Page, op_path: str, s: Schedule) -> str:
    page.goto(op_path)
    to_briefing = page.get_by_role("button", name="Move to briefing")
    expect(to_briefing).to_be_enabled()
    expect(page.locator("#why-briefing")).to_have_count(0)
    to_briefing.click()
    expect(flash(page)).to_have_text(f"{OPERATION} is now in phase briefing.")
    expect(phase_badge(page)).to_have_text("briefing")

    tab(page, "Briefings")
    page.get_by_role("link", name="Schedule a briefing").click()
    expect(page).to_have_url(re.compile(r"/briefings/new$"))
    # the operation's own zone is the default
    expect(page.get_by_label("Time zone")).to_have_value(OPERATION_ZONE)
    page.get_by_label("Title").fill("Global pre-operational briefing")
    page.get_by_label("Kind").select_option("briefing")
    page.get_by_label("Mode").select_option("virtual")
    page.get_by_label("Invited").select_option("")
    page.get_by_label("Start (local time in the zone below)").fill(
        s.briefing_start.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Time zone").select_option(BRIEFING_ZONE)
    page.get_by_label("Duration (minutes)").fill("90")
    page.get_by_label("Location or joining instructions").fill(
        "Video call: joining details on the secure channel."
    )
    page.get_by_label("Agenda").fill(AGENDA)
    page.get_by_role("button", name="Save briefing").click()

    expect(page).to_have_url(re.compile(r"/briefings/\d+$"))
    expect(flash(page)).to_have_text("Briefing Global pre-operational briefing scheduled.")
    start_utc = s.briefing_start.replace(tzinfo=ZoneInfo(BRIEFING_ZONE)).astimezone(UTC)
    end_utc = start_utc + timedelta(minutes=90)
    # stored in UTC, shown in UTC and in the zone it was scheduled in
    expect(fact(page, "Starts")).to_have_text(
        f"{start_utc:%Y-%m-%d %H:%M} UTC (09:00 {BRIEFING_ZONE})"
    )
    expect(fact(page, "Ends")).to_have_text(f"{end_utc:%Y-%m-%d %H:%M} UTC (10:30 {BRIEFING_ZONE})")
    expect(fact(page, "For")).to_have_text("Global: every invited country")
    expect(page.locator(".markdown ol li")).to_have_count(3)
    # every invited or confirmed country is expected: ten ASEAN-WEN states and Kenya
    expect(page.get_by_role("heading", name=re.compile("Attendance"))).to_contain_text(
        "0 of 11 attended"
    )
    expect(
        page.get_by_text("Attendance can be recorded once the briefing has started.")
    ).to_be_visible()
    briefing_path = urlsplit(page.url).path
    download_ics(page, briefing_path, start_utc)
    return briefing_path


def unfold(ics: str) -> str:
    """RFC 5545 folds lines at 75 octets: a CRLF followed by a space continues the line."""
    return ics.replace("\r\n ", "").replace("\r\n\t", "")


def download_ics(page: Page, briefing_path: str, start_utc: datetime) -> None:
    link = page.get_by_role("link", name="Add to calendar (.ics)")
    briefing_id = briefing_path.rsplit("/", 1)[1]
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"operation-cycle-shield-briefing-{briefing_id}.ics"
    saved = unfold(Path(download.path()).read_bytes().decode("utf-8"))
    assert f"SUMMARY:{OPERATION}: Global pre-operational briefing\r\n" in saved
    assert f"DTSTART:{start_utc:%Y%m%dT%H%M%S}Z\r\n" in saved

    # the same file through the page's own request context (its cookies): the media type
    response = page.request.get(link.get_attribute("href") or "")
    assert response.ok
    assert response.headers["content-type"].startswith("text/calendar")
    assert f"SUMMARY:{OPERATION}" in unfold(response.text())


# -- 4. the focal points attend and plan ----------------------------------------------------
def briefing_not_started(page: Page, country: str) -> None:
    tab(page, "Briefings")
    page.get_by_role("link", name="Global pre-operational briefing").click()
    expect(page).to_have_url(re.compile(r"/briefings/\d+$"))
    # the roll shows their own country only
    expect(page.locator("table.table tbody tr")).to_have_count(1)
    expect(row_of(page, country)).to_contain_text("not recorded")
    expect(
        page.get_by_text("Attendance can be recorded once the briefing has started.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Record attendance")).to_have_count(0)


def record_attendance_as_organiser(live_server: LiveServer, briefing_path: str) -> None:
    """The attendance form appears only once a briefing has started, and the scheduling form
    refuses a start in the past (for new briefings and for moves alike), so the browser cannot
    reach it here without waiting a week. The organiser's record is therefore made through the
    service layer, as at the end of the call, with the service's own clock set to just after the
    start; the browser then shows what was recorded."""
    briefing_id = int(briefing_path.rsplit("/", 1)[1])

    def record() -> None:
        b = db.session.get(Briefing, briefing_id)
        assert b is not None
        organiser = accounts.find_by_email(ORGANISER.email)
        for iso3, attendees in (("THA", 3), ("KEN", 2)):
            p = db.session.scalar(
                select(Participation).where(
                    Participation.operation_id == b.operation_id,
                    Participation.country_iso3 == iso3,
                )
            )
            assert p is not None
            briefing_service.record_attendance(
                b, p, True, attendees, organiser, now=b.starts_at + timedelta(minutes=5)
            )
        db.session.commit()

    live_server.query(record)


def briefing_attended(page: Page, country: str, attendees: int) -> None:
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("Attendance"))).to_contain_text(
        "1 of 1 attended"
    )
    cells = row_of(page, country).locator("td")
    expect(cells.nth(3)).to_have_text("attended")
    expect(cells.nth(4)).to_have_text(str(attendees))


@dataclass(frozen=True)
class PlannedActivity:
    activity_type: str
    title: str
    location: str
    start: date
    end: date
    priorities: tuple[str, ...]
    agencies: tuple[str, ...]


def plan_activity(page: Page, op_path: str, iso3: str, country: str, a: PlannedActivity) -> None:
    page.goto(op_path)
    tab(page, "Plan")
    expect(page).to_have_url(re.compile(rf"/plans/{iso3}$"))
    expect(page.get_by_role("heading", level=2)).to_contain_text(f"Activity plan of {country}")
    expect(page.get_by_text("No activities planned yet.")).to_be_visible()

    form = page.locator("#add")
    form.get_by_label("Type of activity").select_option(label=a.activity_type)
    form.get_by_label("Title").fill(a.title)
    form.get_by_label("Location").fill(a.location)
    form.get_by_label("Start date").fill(a.start.isoformat())
    form.get_by_label("End date").fill(a.end.isoformat())
    for priority in a.priorities:
        form.get_by_label(priority).check()
    for agency in a.agencies:
        form.get_by_label(agency, exact=True).check()
    form.get_by_role("button", name="Save activity").click()

    expect(page).to_have_url(re.compile(rf"/plans/{iso3}$"))
    expect(flash(page)).to_have_text(f"Activity {a.title} added to the plan.")
    row = page.locator("table.table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(f"{a.start} \u2013 {a.end}")
    expect(row.locator("td").nth(1)).to_contain_text(a.activity_type)
    expect(row.locator("td").nth(1)).to_contain_text(a.title)
    expect(row.locator("td").nth(3).locator(".tag")).to_have_text(list(a.agencies))
    expect(row.locator("td").nth(4).locator("div")).to_have_text(list(a.priorities))


# -- 5. the coordinator comments ------------------------------------------------------------
def coordinator_comments(page: Page, op_path: str, comment: str) -> None:
    sign_in(page, COORDINATOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("ASEAN Wildlife Enforcement Network")
    section = page.locator("section", has=page.get_by_role("link", name=OPERATION))
    expect(section.locator("tbody tr")).to_have_count(10)
    expect(section).to_contain_text("Thailand")
    expect(section).not_to_contain_text("Kenya")

    section.get_by_role("link", name=OPERATION).click()
    expect(page).to_have_url(re.compile(rf"{op_path}$"))
    tab(page, "Plans")
    expect(page.locator("table.table tbody tr")).to_have_count(10)
    expect(page.locator("main")).not_to_contain_text("Kenya")
    thailand = row_of(page, "Thailand")
    expect(thailand.locator("td").nth(2)).to_have_text("confirmed")
    expect(thailand.locator("td").nth(3)).to_have_text("1")

    thailand.get_by_role("link", name="Thailand").click()
    expect(page).to_have_url(re.compile(r"/plans/THA$"))
    expect(page.locator("table.table tbody tr")).to_contain_text("Air cargo screening")
    # coordinators advise: no activity form, no edit or delete actions
    expect(page.locator("#add")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name="Add comment").click()
    expect(page).to_have_url(re.compile(r"/plans/THA#comments$"))
    expect(flash(page)).to_have_text("Comment added.")
    expect(page.locator("#comments article")).to_contain_text(comment)

    expect_not_found(page, f"{op_path}/plans/KEN")


# -- 6. the organiser reads the readiness board ---------------------------------------------
def readiness_board(page: Page, op_path: str) -> None:
    page.goto(op_path)
    tab(page, "Readiness")
    # network, invited, confirmed, declined, acknowledged, briefed, planned, activities, without
    expect(row_of(page, "ASEAN-WEN").locator("td")).to_have_text(
        ["ASEAN-WEN", "10", "1", "0", "1", "1", "1", "1", ""]
    )
    expect(row_of(page, "LATF").locator("td")).to_have_text(
        ["LATF", "1", "1", "0", "1", "1", "1", "1", ""]
    )
    # coverage: Thailand's activity serves both priorities, Kenya's the trade route only
    coverage = page.locator(".table-scroll table")
    expect(coverage.locator("thead th")).to_have_text(["Priority", "ASEAN-WEN", "LATF"])
    expect(coverage.locator("tbody tr").nth(0).locator("th, td")).to_have_text(
        ["1. Pangolin scales and live pangolins", "1", ""]
    )
    expect(coverage.locator("tbody tr").nth(1).locator("th, td")).to_have_text(
        ["2. Africa to South-east Asia by air", "1", "1"]
    )
    # Plotly drew both charts from the embedded figures
    for chart in ("#readiness-chart", "#coverage-chart"):
        expect(page.locator(f"{chart} svg.main-svg").first).to_be_visible()
    expect(page.locator("#readiness-chart .trace.bars")).to_have_count(4)
    expect(page.locator("#coverage-chart .hm")).to_have_count(1)


def directory_csv(page: Page) -> None:
    tab(page, "Enrolment")
    with page.expect_download() as info:
        page.get_by_role("link", name="Directory (CSV)").click()
    download = info.value
    assert download.suggested_filename == "operation-cycle-shield-focal-points.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = {row["ISO3"]: row for row in csv.DictReader(io.StringIO(text))}
    assert len(rows) == 11
    for iso3, country, network in (("THA", "Thailand", "ASEAN-WEN"), ("KEN", "Kenya", "LATF")):
        row = rows[iso3]
        assert (row["Country"], row["Coordinating network"], row["Participation"]) == (
            country,
            network,
            "confirmed",
        )
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row["Guidelines acknowledged (UTC)"])
    assert rows["VNM"]["Participation"] == "invited"
    assert rows["VNM"]["Guidelines acknowledged (UTC)"] == ""


# -- the walk -------------------------------------------------------------------------------
@pytest.mark.usefixtures("cast")
def test_organiser_coordinator_and_focal_points_walk_the_planning_cycle(
    page: Page,
    open_page: Callable[[], Page],
    live_server: LiveServer,
    recorder: PageRecorder,
    error_responses: list[str],
) -> None:
    s = Schedule.from_today(date.today())
    # the 404 pages visited on purpose below; error_responses checks there is no other
    recorder.allow_console(NOT_FOUND_STATUS)

    # 1. the organiser sets the operation up and opens planning
    organiser = page
    sign_in(organiser, ORGANISER)
    op_path = create_operation(organiser, s)
    write_guidelines(organiser)
    add_priorities(organiser)
    invite_countries(organiser)
    open_planning(organiser)

    # 2. the focal points confirm and acknowledge the guidelines
    tha, ken = open_page(), open_page()
    assert confirm_and_acknowledge(tha, FOCAL_THA, "THA", "Thailand") == op_path
    assert confirm_and_acknowledge(ken, FOCAL_KEN, "KEN", "Kenya") == op_path

    # 3. the organiser opens the briefing phase, schedules a briefing, downloads its .ics
    briefing_path = schedule_briefing(organiser, op_path, s)

    # 4. attendance (see record_attendance_as_organiser), then each plans their own country
    briefing_not_started(tha, "Thailand")
    briefing_not_started(ken, "Kenya")
    record_attendance_as_organiser(live_server, briefing_path)
    briefing_attended(tha, "Thailand", 3)
    briefing_attended(ken, "Kenya", 2)

    trade_route = "2. Africa to South-east Asia by air"
    plan_activity(
        tha,
        op_path,
        "THA",
        "Thailand",
        PlannedActivity(
            activity_type="Air cargo screening",
            title="Suvarnabhumi cargo terminal checks",
            location="Suvarnabhumi Airport cargo terminal, Bangkok",
            start=s.window_start,
            end=s.window_start + timedelta(days=6),
            priorities=("1. Pangolin scales and live pangolins", trade_route),
            agencies=("Customs", "Wildlife authority"),
        ),
    )
    plan_activity(
        ken,
        op_path,
        "KEN",
        "Kenya",
        PlannedActivity(
            activity_type="Air passenger and baggage screening",
            title="JKIA departures screening",
            location="Jomo Kenyatta International Airport, Nairobi",
            start=s.window_start + timedelta(days=2),
            end=s.window_end,
            priorities=(trade_route,),
            agencies=("Customs", "Police"),
        ),
    )
    expect_not_found(tha, f"{op_path}/plans/KEN")
    expect_not_found(ken, f"{op_path}/plans/THA")

    # 5. the ASEAN-WEN coordinator sees Thailand's plan (not Kenya's) and comments on it
    comment = "Please add the Laem Chabang container port to the inspections."
    coordinator_comments(open_page(), op_path, comment)
    tha.goto(f"{op_path}/plans/THA")
    thread = tha.locator("#comments article")
    expect(thread).to_have_count(1)
    expect(thread).to_contain_text(comment)
    expect(thread).to_contain_text(f"{COORDINATOR.name} · Network coordinator")

    # 6. the organiser's readiness board, charts and focal-point directory
    readiness_board(organiser, op_path)
    directory_csv(organiser)

    assert sorted(error_responses) == sorted(
        f"404 {op_path}/plans/{iso3}" for iso3 in ("KEN", "THA", "KEN")
    ), "error responses besides the 404 pages visited on purpose"
    assert recorder.foreign_requests() == []
    assert recorder.unexpected_console_errors() == []
    assert recorder.page_errors == []
