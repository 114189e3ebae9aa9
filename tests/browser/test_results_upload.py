"""A focal point reports seizures from a spreadsheet in the browser: downloads the template,
fills it, uploads it, sees the preview with its counts (nothing written yet), applies it and
finds the seizures on the country's results page; a file with mistakes gets every problem by
row and column and writes nothing.

The operation (in its reporting phase, Thailand confirmed) and the focal point's account are
created in the served database, next to the demo's.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    ImportBatch,
    OperationPhase,
    OrganisingAgency,
    ParticipationStatus,
    Priority,
    PriorityKind,
    Role,
    Seizure,
)
from opsplanner.services import accounts
from opsplanner.services import operations as ops
from tests.browser.conftest import LiveServer
from tests.conftest import seizure_row

pytestmark = pytest.mark.browser

OPERATION = "Operation Upload Shield"
EMAIL = "focal.tha@upload.example.org"
NAME = "Kanya Focal Point"
PASSWORD = "upload-shield-2027"


@pytest.fixture
def operation_id(live_server: LiveServer) -> int:
    """Operation Test Shield's schedule (seizure_row's dates fall in its window), in reporting,
    with Thailand confirmed and its focal point."""

    def create() -> int:
        organiser = accounts.create_user(
            email="organiser@upload.example.org", name="Upload Organiser", role=Role.ORGANISER
        )
        accounts.create_user(
            email=EMAIL, name=NAME, role=Role.FOCAL_POINT, country_iso3="THA", password=PASSWORD
        )
        op = ops.create_operation(
            ops.OperationInput(
                code_name=OPERATION,
                organising_agency=OrganisingAgency.WCO,
                window_start=date(2027, 2, 1),
                window_end=date(2027, 2, 14),
                world_wildlife_day=date(2027, 3, 3),
                reporting_deadline=datetime(2027, 2, 24, 23, 59, tzinfo=UTC),
                embargo_until=datetime(2027, 3, 3, 9, 0, tzinfo=UTC),
            ),
            by=organiser,
        )
        p = ops.invite_country(op, db.session.get(Country, "THA"), None, by=organiser)
        p.status = ParticipationStatus.CONFIRMED
        for rank, (title, commodity) in enumerate(
            [("Ivory", "ivory"), ("Pangolin scales", "pangolin_scales")], start=1
        ):
            db.session.add(
                Priority(
                    operation=op,
                    rank=rank,
                    kind=PriorityKind.COMMODITY,
                    title=title,
                    commodity=commodity,
                )
            )
        op.phase = OperationPhase.REPORTING
        db.session.commit()
        return op.id

    return live_server.query(create)


def sign_in(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator(".who")).to_contain_text(NAME)


def download(page: Page, link: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def filled(template: Path, rows: list[dict[str, Any]], target: Path) -> Path:
    """The downloaded CSV template with rows under its header, as a spreadsheet saves it."""
    header = next(csv.reader(io.StringIO(template.read_text(encoding="utf-8-sig"))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


def upload(page: Page, path: Path) -> None:
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page).to_have_url(re.compile(r"/upload/\d+$"))


def counts(live_server: LiveServer) -> tuple[int, int]:
    return live_server.query(
        lambda: (
            db.session.scalar(select(func.count()).select_from(Seizure)),
            db.session.scalar(select(func.count()).select_from(ImportBatch)),
        )
    )


def test_a_focal_point_uploads_seizures_from_the_template(
    page: Page, live_server: LiveServer, operation_id: int, tmp_path: Path
):
    seizures_before, batches_before = counts(live_server)
    sign_in(page)
    page.goto(f"/operations/{operation_id}/results/THA/upload")
    expect(page.get_by_role("heading", level=2)).to_have_text("Upload the seizures of Thailand")

    # the templates: a workbook with its sheets, and the CSV header
    workbook = download(page, "Excel template (.xlsx)", tmp_path)
    assert workbook.name == "seizures-template-operation-upload-shield.xlsx"
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == ["Seizures", "Instructions", "Allowed values", "Species"]
    assert wb["Seizures"].data_validations.dataValidation
    template = download(page, "CSV template", tmp_path)
    assert template.read_text(encoding="utf-8-sig").startswith("national_reference,seized_on,")

    # a file with mistakes: every problem by row and column, nothing written
    wrong = [
        seizure_row(national_reference="TH-WEB-1", seized_on="2027-13-40"),
        seizure_row(national_reference="TH-WEB-2", quantity_1="-5"),
    ]
    upload(page, filled(template, wrong, tmp_path / "wrong.csv"))
    expect(page.locator(".flash-error")).to_have_text("The file has errors: nothing was written.")
    expect(page.locator("#rejected")).to_contain_text("2 problems found: nothing was written.")
    problems = page.locator("#errors tbody tr")
    expect(problems).to_have_count(2)
    expect(problems.nth(0).locator("td")).to_have_text(
        ["2", "seized_on", re.compile(r"^2027-13-40 is not a date")]
    )
    expect(problems.nth(1).locator("td")).to_have_text(
        ["3", "quantity_1", "A quantity must be more than zero (-5)."]
    )
    assert counts(live_server)[0] == seizures_before

    # the corrected file: previewed with its counts, still nothing written
    page.get_by_role("link", name="Upload a corrected file").click()
    good = [
        seizure_row(national_reference="TH-WEB-1", place="Suvarnabhumi Airport cargo terminal"),
        seizure_row(national_reference="TH-WEB-2", place="Laem Chabang port"),
        seizure_row(
            national_reference="TH-WEB-3",
            commodity="ivory",
            species="Loxodonta africana",
            quantity_1="12.5",
            unit_1="kg",
            quantity_2="4",
            unit_2="pieces",
            priority="1",
            place="Sadao border checkpoint",
        ),
    ]
    upload(page, filled(template, good, tmp_path / "seizures.csv"))
    expect(page.locator(".flash-success")).to_have_text(
        "The file is valid: check the preview, then apply it."
    )
    expect(page.locator("#batch-status")).to_have_text("previewed")
    expect(page.locator("#count-created")).to_have_text("3")
    expect(page.locator("#count-updated")).to_have_text("0")
    expect(page.locator("#preview tbody tr")).to_have_count(3)
    expect(page.locator("#preview")).to_contain_text("12.5 kg, 4 pieces")
    assert counts(live_server) == (seizures_before, batches_before + 2)

    # applied: the seizures are on the country's results page
    page.get_by_role("button", name="Apply: write 3 rows").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Upload applied: 3 seizures added, 0 updated, 0 unchanged."
    )
    expect(page).to_have_url(re.compile(rf"/operations/{operation_id}/results/THA$"))
    listed = page.locator("#seizures")
    for reference in ("TH-WEB-1", "TH-WEB-2", "TH-WEB-3"):
        expect(listed).to_contain_text(reference)
    assert counts(live_server)[0] == seizures_before + 3

    # the same file again: nothing would change, and the page says so
    page.goto(f"/operations/{operation_id}/results/THA/upload")
    upload(page, tmp_path / "seizures.csv")
    expect(page.locator("#already-applied")).to_contain_text(
        "Applying it again would change nothing."
    )
    expect(page.locator("#count-unchanged")).to_have_text("3")
    page.get_by_role("button", name="Discard").click()
    expect(page.locator(".flash-success")).to_have_text("Upload discarded: nothing was written.")

    page.get_by_role("link", name="Upload history").click()
    expect(page.locator("#batches tbody tr")).to_have_count(3)
    expect(page.locator("#batches")).to_contain_text("applied")
    expect(page.locator("#batches")).to_contain_text("discarded")
    expect(page.locator("#batches")).to_contain_text("rejected")
    assert counts(live_server)[0] == seizures_before + 3
