"""Browser-test fixtures: the real app on a real HTTP server, driven by headless Chromium.

Each test gets its own server on a fresh copy of the database with the demo loaded, and its own
browser context (no cookies carried over). Chromium itself is Debian's package, launched once per
session through Playwright; Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask, got_request_exception
from sqlalchemy import Integer, Table, text
from werkzeug.serving import BaseWSGIServer, make_server

from opsplanner import create_app
from opsplanner.extensions import db
from tests.conftest import PG_URL, REFERENCE_TABLES, _truncate_pg, make_config

T = TypeVar("T")

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return None


# -- the server -----------------------------------------------------------------------------
@dataclass
class LiveServer:
    app: Flask
    server: BaseWSGIServer
    url: str  # without a trailing slash
    errors: list[BaseException] = field(default_factory=list)

    def query(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in an app context of the served app (to read what the page should show)."""
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()


def _load_demo(app: Flask) -> None:
    from opsplanner.services.demo import load_demo

    with app.app_context():
        load_demo()
        db.session.commit()
        db.session.remove()


# PostgreSQL: loading the demo takes over a second there, so it is loaded once, its rows are
# kept in memory, and each test re-inserts them into the (truncated) schema and resets the
# id sequences; the schema is truncated again after the test.
Snapshot = list[tuple[Table, list[dict[str, Any]]]]


def _demo_tables() -> list[Table]:
    return [t for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]


def _snapshot(app: Flask) -> Snapshot:
    with app.app_context(), db.engine.connect() as conn:
        return [
            (t, [dict(row._mapping) for row in conn.execute(t.select())]) for t in _demo_tables()
        ]


def _restore(app: Flask, snapshot: Snapshot) -> None:
    with app.app_context(), db.engine.begin() as conn:
        for table, rows in snapshot:  # parents before children
            if rows:
                conn.execute(table.insert(), rows)
        for table, rows in snapshot:
            for column in table.primary_key.columns:
                if not isinstance(column.type, Integer):
                    continue
                sequence = conn.scalar(
                    text("SELECT pg_get_serial_sequence(:table, :column)"),
                    {"table": f'"{table.name}"', "column": column.name},
                )
                if sequence:
                    top = max((row[column.name] for row in rows), default=None)
                    conn.execute(
                        text("SELECT setval(:sequence, :value, :called)"),
                        {"sequence": sequence, "value": top or 1, "called": top is not None},
                    )


@dataclass
class DemoTemplate:
    url: str  # SQLite: the file to copy; PostgreSQL: the schema URL
    snapshot: Snapshot | None = None


@pytest.fixture(scope="session")
def demo_template(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """The migrated template with the demo loaded: an SQLite file copied per test, or on
    PostgreSQL the demo's rows restored per test."""
    tmp = tmp_path_factory.mktemp("demo-template")
    if PG_URL:
        app = create_app(make_config(tmp, template_db))
        try:
            _load_demo(app)
            return DemoTemplate(url=template_db, snapshot=_snapshot(app))
        finally:
            _truncate_pg(app)
            with app.app_context():
                db.engine.dispose()
    path = tmp / "demo.sqlite"
    shutil.copyfile(template_db, path)
    app = create_app(make_config(tmp, f"sqlite:///{path}"))
    _load_demo(app)
    with app.app_context():
        db.engine.dispose()
    assert not Path(f"{path}-wal").exists(), "the demo template was not checkpointed"
    return DemoTemplate(url=str(path))


@pytest.fixture
def live_server(demo_template: DemoTemplate, tmp_path: Path) -> Iterator[LiveServer]:
    if demo_template.snapshot is not None:
        url = demo_template.url
    else:
        path = tmp_path / "opsplanner.sqlite"
        shutil.copyfile(demo_template.url, path)
        url = f"sqlite:///{path}"
    app = create_app(make_config(tmp_path, url))
    if demo_template.snapshot is not None:
        try:
            _restore(app, demo_template.snapshot)
        except BaseException:
            _truncate_pg(app)  # leave the shared schema empty for the next test
            raise

    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(app=app, server=server, url=f"http://127.0.0.1:{server.server_port}")

    def record(sender: Flask, exception: BaseException, **extra: Any) -> None:
        live.errors.append(exception)

    got_request_exception.connect(record, app)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        got_request_exception.disconnect(record, app)
        if demo_template.snapshot is not None:
            _truncate_pg(app)
        with app.app_context():
            db.engine.dispose()
    assert not live.errors, f"the server raised while serving the test: {live.errors!r}"


# -- the browser ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        reason = (
            "Chromium not found: install Debian's chromium (apt-get install chromium) "
            "or set CHROMIUM_PATH"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip("install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Chromium reports every response with an error status as a console error; the tests that
# expect one (a 401 after a wrong password, a 404 page) say so with ``allow_console``.
HTTP_STATUS_ERROR = re.compile(r"Failed to load resource: the server responded with a status of")


@dataclass
class PageRecorder:
    base_url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow_console(self, pattern: str | re.Pattern[str] = HTTP_STATUS_ERROR) -> None:
        self.allowed.append(re.compile(pattern) if isinstance(pattern, str) else pattern)

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.base_url + "/")]

    def unexpected_console_errors(self) -> list[str]:
        return [m for m in self.console_errors if not any(p.search(m) for p in self.allowed)]


@pytest.fixture
def recorder(live_server: LiveServer) -> PageRecorder:
    return PageRecorder(base_url=live_server.url)


@pytest.fixture
def page(browser: Any, live_server: LiveServer, recorder: PageRecorder) -> Iterator[Any]:
    """A fresh browser context per test. Every test also checks that the page talked to no
    other host (the app must work offline) and logged no unexpected console or script error
    (a CSP violation is a console error)."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="en-GB"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    pg = context.new_page()
    pg.on("request", lambda request: recorder.requests.append(request.url))
    pg.on(
        "console",
        lambda msg: recorder.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    pg.on("pageerror", lambda exc: recorder.page_errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    assert not recorder.foreign_requests(), "requests to other hosts"
    assert not recorder.page_errors, "uncaught script errors"
    assert not recorder.unexpected_console_errors(), "console errors"
