"""The network directory through a real browser: a coordinator reviews and updates their
network's information sheet; an organiser compares networks side by side and exports the
table; the usage analysis draws its chart under the strict CSP."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Network, NetworkSheet, User
from opsplanner.services.demo import DEMO_PASSWORD
from tests.browser.conftest import LiveServer, PageRecorder

pytestmark = pytest.mark.browser

ORGANISER = "organiser@demo.opsplanner.org"
COORDINATOR = "coordinator.asean@demo.opsplanner.org"


def signed_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/home$"))


def sheet_state(live_server: LiveServer, acronym: str) -> tuple[int, str | None, str]:
    def read() -> tuple[int, str | None, str]:
        sheet = db.session.scalar(
            select(NetworkSheet).join(Network).where(Network.acronym == acronym)
        )
        by = db.session.get(User, sheet.updated_by_id) if sheet.updated_by_id else None
        return sheet.version, by.email if by else None, sheet.secretariat_location

    return live_server.query(read)


def test_a_coordinator_reviews_and_updates_the_networks_sheet(
    page: Page, live_server: LiveServer, recorder: PageRecorder
) -> None:
    assert sheet_state(live_server, "ASEAN-WEN") == (1, None, "")
    signed_in(page, COORDINATOR)
    # the seeded sheet dates from the 2016 meeting: the home page asks for a review
    notice = page.locator(".notice", has_text="more than six months ago")
    expect(notice).to_be_visible()
    notice.get_by_role("link", name="Review and save it").click()
    expect(page).to_have_url(re.compile(r"/directory/networks/ASEAN-WEN/edit$"))
    expect(page.get_by_label("Formation date")).to_have_value("2005-12-01")

    page.get_by_label("Formation date").fill("2005-13")
    page.get_by_role("button", name="Save the sheet").click()
    expect(page.locator("#formation_date-error")).to_have_text("This date does not exist.")

    page.get_by_label("Formation date").fill("2005-12-01")
    page.get_by_label("Mandate").select_option(label="operational and policy")
    page.get_by_label("Secretariat", exact=True).select_option(label="yes")
    page.get_by_label("Secretariat location").fill("Bangkok")
    page.get_by_label("Channels for sensitive information").fill("CENcomm; I-24/7")
    page.get_by_label("Main activities since the last update").fill(
        "Regional training on species identification at the border."
    )
    page.get_by_role("button", name="Save the sheet").click()

    expect(page).to_have_url(re.compile(r"/directory/networks/ASEAN-WEN$"))
    expect(page.locator(".flash")).to_contain_text("The sheet of ASEAN-WEN is saved.")
    status = page.locator(".sheet-status")
    expect(status).to_contain_text("current")
    expect(status).to_contain_text("Somchai Coordinator")
    expect(status).to_contain_text("version 2")
    expect(page.locator("dl.sheet")).to_contain_text(["operational and policy"])
    expect(page.get_by_text("older than six months")).to_have_count(0)
    assert sheet_state(live_server, "ASEAN-WEN") == (2, COORDINATOR, "Bangkok")

    # the history keeps the seeded version as it was
    history = page.locator("table").last
    expect(history.locator("tbody tr")).to_have_count(2)
    history.get_by_role("link", name="1", exact=True).click()
    expect(page).to_have_url(re.compile(r"/versions/1$"))
    expect(page.locator(".notice")).to_contain_text("seed data (2016 meeting)")
    expect(page.locator("dl.sheet").first).not_to_contain_text("Bangkok")

    page.goto("/home")
    expect(page.locator(".notice", has_text="more than six months ago")).to_have_count(0)
    # the sheet of another network is not theirs to edit
    recorder.allow_console()  # the 404 below
    assert page.goto("/directory/networks/LATF/edit").status == 404


def test_an_organiser_compares_networks_and_exports_the_table(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    signed_in(page, ORGANISER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network directory")
    page.get_by_role("link", name="Compare networks").click()

    choices = page.locator("fieldset")
    for box in choices.locator('input[name="fields"]').all():
        box.uncheck()
    choices.get_by_label("Mandate", exact=True).check()
    choices.get_by_label("Secretariat location", exact=True).check()
    choices.get_by_label("Member states today (reference)").check()
    page.locator(".row-form").get_by_label("Secretariat").select_option(label="with a secretariat")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"secretariat=yes"))

    table = page.locator("table.compare")
    headers = table.locator("thead th").all_inner_texts()
    assert headers == [
        "Network",
        "Mandate",
        "Secretariat location",
        "Member states today (reference)",
        "Status",
    ]
    shown = table.locator("tbody th").all_inner_texts()
    # LATF's coordinator stated a secretariat in the demo; SA-WEN's sheet says so since 2016
    assert "LATF" in shown and "SA-WEN" in shown
    assert "NAWEG" not in shown  # says nothing about a secretariat
    latf = table.locator("tbody tr", has=page.locator("th", has_text="LATF"))
    expect(latf).to_contain_text("operational task force")
    expect(latf.locator(".badge")).to_have_text("current")
    sawen = table.locator("tbody tr", has=page.locator("th", has_text="SA-WEN"))
    expect(sawen).to_contain_text("Kathmandu")
    expect(sawen.locator(".badge")).to_have_text("older than six months")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    path = tmp_path / "comparison.csv"
    download.value.save_as(path)
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "Network",
        "Name",
        "Mandate",
        "Secretariat location",
        "Member states today (reference)",
        "Older than six months",
    ]
    assert [r[0] for r in rows[1:]] == shown
    sa_wen = next(r for r in rows if r[0] == "SA-WEN")
    assert sa_wen[3] == "Kathmandu" and sa_wen[4] == "8" and sa_wen[5] == "yes"

    with page.expect_download() as xlsx:
        page.get_by_role("link", name="XLSX").click()
    assert xlsx.value.suggested_filename == "network-comparison.xlsx"


def test_the_usage_analysis_draws_its_chart(page: Page, live_server: LiveServer) -> None:
    signed_in(page, "comms@demo.opsplanner.org")
    page.goto("/tools/analysis")
    expect(page.locator("#usage-chart .main-svg").first).to_be_attached()
    expect(page.locator("table.usage tbody tr").first).to_contain_text("%")
