"""The demo organiser builds the public publication pack of Operation Thunder Trail in the
browser: the Publication tab, the request, the pack's page whose progress bar (fed by polling
status.json) climbs to 100% while a real Celery worker (SQL transport) builds the sections, the
skipped PNGs listed on the page, and the zip downloaded through the page's link, whose
manifest's digests match its files. Then the demo communications user finds the same public
pack, downloads it too, and is refused the internal pack with the reason.

The worker is started only once the page shows the queued pack, so the test sees the bar move
on a page that was never reloaded. It runs with CHROMIUM_PATH naming no browser: kaleido would
start Chromium for every PNG, and the run stays short; the PNGs are then skipped, with the
reason, and the page says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Pack, PackAudience
from opsplanner.services.demo_results import DEMO_RESULTS_OPERATION
from opsplanner.services.pack_charts import CHART_NAMES
from opsplanner.services.pack_sections import SECTIONS
from tests import test_worker
from tests.browser.conftest import LiveServer, PageRecorder
from tests.browser.test_smoke import sign_out, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.worker]

ORGANISER = "organiser@demo.opsplanner.org"
COMMUNICATIONS = "comms@demo.opsplanner.org"
# the worker skips the PNGs (the path names no browser); the browser tests' own Chromium is
# found by the conftest, in this process, and is not affected
NO_CHROMIUM = {"CHROMIUM_PATH": "/nonexistent/chromium"}
BUILD_TIMEOUT_MS = 45_000

# test_worker's fixture starts `celery worker` processes against `app`: here the served app
start_worker = test_worker.start_worker


@pytest.fixture
def app(live_server: LiveServer) -> Flask:
    """The live server's app, so that start_worker's workers use its database, broker, queue
    and export folder (and are stopped before the server's database is torn down)."""
    return live_server.app


def worker_logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text()[-3000:] for p in sorted(tmp_path.glob("worker-*.log")))


def open_publication_tab(page: Page) -> None:
    page.goto("/operations/")
    page.locator("table").get_by_role("link", name=DEMO_RESULTS_OPERATION).click()
    expect(page).to_have_url(re.compile(r"/operations/\d+$"))
    page.get_by_role("navigation", name="Operation sections").get_by_role(
        "link", name="Publication"
    ).click()
    expect(page).to_have_url(re.compile(r"/operations/\d+/packs$"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Publication packs")


def part(page: Page, role: str) -> Locator:
    return page.locator(f'#pack [data-role="{role}"]')


# Records every value the progress bar and the status badge take (packs.js sets the bar's
# value, which the element reflects in its attribute, and the badge's text). Run through the
# DevTools protocol, so the page's CSP is not involved.
WATCH_PROGRESS = """() => {
  const bar = document.querySelector('#pack [data-role="progress"]');
  const badge = document.querySelector('#pack [data-role="status"]');
  window.__seen = { percent: [bar.value], status: [badge.textContent] };
  new MutationObserver(() => window.__seen.percent.push(bar.value))
    .observe(bar, { attributes: true, attributeFilter: ["value"] });
  new MutationObserver(() => window.__seen.status.push(badge.textContent))
    .observe(badge, { childList: true, characterData: true, subtree: true });
}"""
STATUS_ORDER = ("queued", "building", "succeeded")


def download_zip(page: Page, folder: Path) -> Path:
    with page.expect_download() as info:
        part(page, "download").get_by_role("link", name="Download the pack").click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def read_pack(path: Path) -> dict[str, Any]:
    """The manifest of the zip, after checking that it lists every other file of the zip with
    its SHA-256."""
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert "manifest.json" in names and len(names) == len(set(names))
        manifest = json.loads(zf.read("manifest.json"))
        listed = {f["path"]: f for f in manifest["files"]}
        assert set(listed) == set(names) - {"manifest.json"}
        for name, entry in listed.items():
            data = zf.read(name)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
            assert len(data) == entry["bytes"], name
    return manifest


def test_organiser_builds_and_downloads_the_public_pack(
    page: Page,
    live_server: LiveServer,
    recorder: PageRecorder,
    start_worker: Any,
    tmp_path: Path,
) -> None:
    signed_in(page, ORGANISER)
    open_publication_tab(page)
    expect(page.get_by_text("No pack has been built yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Build the internal pack")).to_be_visible()

    # the request: no worker yet, so the pack's page shows it queued at 0%
    page.get_by_role("button", name="Build the public pack").click()
    expect(page).to_have_url(re.compile(r"/operations/\d+/packs/\d+$"))
    pack_url = page.url
    pack_id = int(pack_url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=2)).to_contain_text(f"Publication pack #{pack_id}")
    expect(page.get_by_role("heading", level=2)).to_contain_text("public")
    progress = page.get_by_role("progressbar", name="Progress")
    expect(progress).to_have_attribute("max", "100")
    expect(part(page, "status")).to_have_text("queued")
    expect(progress).to_have_js_property("value", 0)
    expect(part(page, "counts")).to_have_text(f"0 / {len(SECTIONS) + 1}")
    expect(part(page, "sections").locator("li")).to_have_count(len(SECTIONS))
    expect(part(page, "download")).to_be_hidden()
    page.evaluate(WATCH_PROGRESS)

    # a real worker builds it; the page follows without a reload
    start_worker(**NO_CHROMIUM)
    try:
        expect(part(page, "status")).to_have_text("succeeded", timeout=BUILD_TIMEOUT_MS)
    except AssertionError:
        pytest.fail(f"the pack page did not reach succeeded; worker logs:\n{worker_logs(tmp_path)}")
    expect(progress).to_have_js_property("value", 100)
    expect(progress).to_have_text("100%")
    expect(part(page, "counts")).to_have_text(f"{len(SECTIONS) + 1} / {len(SECTIONS) + 1}")
    expect(part(page, "sections").locator("li .badge")).to_have_text(["succeeded"] * len(SECTIONS))
    expect(part(page, "error")).to_be_hidden()
    assert page.url == pack_url
    seen = page.evaluate("window.__seen")  # the observers are still there: never reloaded
    percents, statuses = seen["percent"], seen["status"]
    assert percents[0] == 0 and percents[-1] == 100, percents
    assert all(0 <= p <= 100 for p in percents), percents
    assert percents == sorted(percents), f"the progress bar went back: {percents}"
    assert statuses[0] == "queued" and statuses[-1] == "succeeded", statuses
    assert set(statuses) <= set(STATUS_ORDER), statuses
    ranks = [STATUS_ORDER.index(s) for s in statuses]
    assert ranks == sorted(ranks), f"the status went back: {statuses}"

    # the PNGs that the worker could not draw, and why
    box = part(page, "skipped-box")
    expect(box).to_be_visible()
    expect(box.get_by_role("heading")).to_have_text("Skipped artifacts")
    skipped = part(page, "skipped").locator("li")
    for chart in CHART_NAMES:
        expect(skipped.filter(has_text=re.compile(rf"^{chart}\.png: "))).to_contain_text(
            "Chromium is not installed"
        )

    # the download, through the page's link
    path = download_zip(page, tmp_path / "organiser")
    manifest = read_pack(path)
    pack = live_server.query(lambda: db.session.get(Pack, pack_id))
    zip_name = pack.zip_name
    assert path.name == zip_name
    expect(part(page, "download")).to_contain_text(zip_name)  # filled in by the live update
    assert hashlib.sha256(path.read_bytes()).hexdigest() == pack.zip_sha256
    assert manifest["audience"] == "public"
    assert manifest["operation"] == DEMO_RESULTS_OPERATION
    assert manifest["data_version"] == pack.data_version
    assert manifest["seizures"] == pack.seizures > 0
    assert pack.data_version.startswith(page.locator("dl.facts code").inner_text())
    assert {f["path"].split("/", 1)[0] for f in manifest["files"]} == set(SECTIONS)
    # what the page listed as skipped is what the manifest says
    listed = [f"{item['artifact']}: {item['reason']}" for item in manifest["skipped"]]
    expect(skipped).to_have_text(listed)
    assert {f"{chart}.png" for chart in CHART_NAMES} <= {s["artifact"] for s in manifest["skipped"]}
    assert not {f"charts/{chart}.png" for chart in CHART_NAMES} & {
        f["path"] for f in manifest["files"]
    }

    # the versions page lists it, with its link
    page.get_by_role("link", name="All versions").click()
    row = page.locator("table.table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("succeeded")
    expect(row.get_by_role("link", name=zip_name)).to_be_visible()

    # -- the communications user: the same public pack, and no internal pack --------------
    sign_out(page)
    signed_in(page, COMMUNICATIONS)
    open_publication_tab(page)
    expect(page.get_by_role("button", name="Build the public pack")).to_be_visible()
    expect(page.get_by_role("button", name="Build the internal pack")).to_have_count(0)
    row = page.locator("table.table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("public")
    row.get_by_role("link", name=f"#{pack_id}", exact=True).click()
    expect(page).to_have_url(pack_url)
    expect(part(page, "status")).to_have_text("succeeded")
    expect(progress).to_have_js_property("value", 100)
    expect(part(page, "download")).to_contain_text(zip_name)
    again = download_zip(page, tmp_path / "communications")
    assert again.read_bytes() == path.read_bytes()

    # asking for the internal pack anyway (the public form, its audience changed): refused,
    # with the reason, and nothing is built
    page.get_by_role("link", name="All versions").click()
    form = page.locator("form", has=page.get_by_role("button", name="Build the public pack"))
    form.locator('input[name="audience"]').evaluate("input => { input.value = 'internal'; }")
    recorder.allow_console()  # the 403 response
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        form.get_by_role("button").click()
    assert refused.value.status == 403
    expect(page.locator("main")).to_contain_text(
        "Communications staff may request the public pack only."
    )
    audiences = live_server.query(lambda: list(db.session.scalars(select(Pack.audience))))
    assert audiences == [PackAudience.PUBLIC]
