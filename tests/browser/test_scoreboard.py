"""An organiser walks through the network scoreboard of the demo's results operation: the
comparative table with one row per coordinating network, the charts drawn, a network's page with
its member states and checklist (one answer saved), and the CSV export of the table."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Network, Operation, OperationPhase, Participation
from opsplanner.services import scoreboard
from opsplanner.services.demo import DEMO_PASSWORD
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

ORGANISER = "organiser@demo.opsplanner.org"


def results_operation(live_server: LiveServer) -> tuple[int, list[str]]:
    """The demo operation in reporting, and the acronyms of the networks that coordinate its
    participations (read straight from the rows)."""

    def read() -> tuple[int, list[str]]:
        op = db.session.scalar(
            select(Operation).where(Operation.phase == OperationPhase.REPORTING).limit(1)
        )
        acronyms = db.session.scalars(
            select(Network.acronym)
            .join(Participation, Participation.network_id == Network.id)
            .where(Participation.operation_id == op.id)
            .distinct()
        ).all()
        return op.id, sorted(acronyms, key=str.lower)

    return live_server.query(read)


def test_an_organiser_reads_the_scoreboard_and_exports_it(
    page: Page, live_server: LiveServer, tmp_path: Path
):
    op_id, acronyms = results_operation(live_server)
    assert acronyms, "the demo's results operation has coordinating networks"

    page.goto("/login")
    page.get_by_label("E-mail").fill(ORGANISER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/home$"))

    page.goto(f"/operations/{op_id}")
    page.locator("nav.subnav").get_by_role("link", name="Scoreboard").click()
    expect(page).to_have_url(re.compile(rf"/operations/{op_id}/scoreboard$"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Network scoreboard")

    rows = page.locator("#comparative-table tbody tr")
    expect(rows).to_have_count(len(acronyms))
    expect(rows.locator("th")).to_have_text(acronyms)
    for chart in ("#heatmap-chart", "#bars-chart", "#per-state-chart"):
        expect(page.locator(f"{chart} svg.main-svg").first).to_be_visible()

    # the CSV holds the table as shown
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name.endswith("-network-scoreboard.csv")
    with target.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    shown = page.locator("#comparative-table thead th").all_inner_texts()
    assert shown == [h for i, h in enumerate(table[0]) if i != 1]  # the name: a tooltip
    assert [r[0] for r in table[1:]] == acronyms
    cells = rows.first.locator("td").all_inner_texts()
    assert cells == [v or "—" for v in table[1][2:]]

    # a network's page: its member states and the checklist, one answer saved
    first = acronyms[0]
    rows.first.get_by_role("link", name=first).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text(first)
    expect(page.locator("#members tbody tr").first).to_be_visible()
    # the demo's coordinator has answered some items already: tick one that is not done yet
    done_cell = page.locator("#indicators [data-indicator=checklist] td").first
    done_before = int(done_cell.inner_text())
    label = next(
        str(item.label)
        for item in scoreboard.CHECKLIST
        if not page.get_by_role("checkbox", name=str(item.label), exact=True).is_checked()
    )
    page.get_by_role("checkbox", name=label, exact=True).check()
    page.get_by_label(f"Note on {label}").fill("Confirmed in the browser test")
    page.get_by_role("button", name="Save the checklist").click()
    expect(page.locator(".flash-success")).to_have_text(f"The checklist of {first} is saved.")
    expect(page.get_by_role("checkbox", name=label, exact=True)).to_be_checked()
    expect(done_cell).to_have_text(str(done_before + 1))
