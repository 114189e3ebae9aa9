"""Test fixtures: a real database per test (SQLite file copied from a migrated template, or a
PostgreSQL schema when TEST_DATABASE_URL is set), real CSRF, real argon2id (at a low cost)."""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from opsplanner import create_app
from opsplanner.config import TestConfig
from opsplanner.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct horse battery staple"
REFERENCE_TABLES = (
    "country",
    "network",
    "network_membership",
    "activity_type",
    "species",
    "alembic_version",
)


def backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


def pg_url_with_schema(schema: str) -> str:
    sep = "&" if "?" in (PG_URL or "") else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def make_config(tmp: Path, database_url: str, **overrides: Any) -> TestConfig:
    cfg = TestConfig()
    cfg.SECRET_KEY = "test-secret-" + uuid.uuid4().hex
    cfg.SQLALCHEMY_DATABASE_URI = database_url
    cfg.INSTANCE_DIR = str(tmp)
    cfg.EXPORT_DIR = str(tmp / "exports")
    cfg.CELERY_BROKER_URL = f"sqla+sqlite:///{tmp / 'broker.sqlite'}"
    cfg.CELERY_QUEUE = "test-" + uuid.uuid4().hex[:8]
    cfg.RATELIMIT_STORAGE_URI = "memory://"
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


def migrate_and_load(app: Flask) -> None:
    from flask_migrate import upgrade

    from opsplanner.services.reference import load_reference

    with app.app_context():
        upgrade()
        load_reference()
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per session and load the reference data; tests get a copy (SQLite) or
    a truncated schema (PostgreSQL)."""
    tmp = tmp_path_factory.mktemp("template")
    if PG_URL:
        schema = f"opsplanner_test_{os.getpid()}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = pg_url_with_schema(schema)
        migrate_and_load(create_app(make_config(tmp, url)))
        yield url
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    else:
        path = tmp / "template.sqlite"
        migrate_and_load(create_app(make_config(tmp, f"sqlite:///{path}")))
        yield str(path)


def _truncate_pg(app: Flask) -> None:
    with app.app_context():
        tables = [
            t.name for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES
        ]
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> str:
    if PG_URL:
        return template_db
    path = tmp_path / "opsplanner.sqlite"
    shutil.copyfile(template_db, path)
    return f"sqlite:///{path}"


class IsolatedClient(FlaskClient):
    """Runs each request in its own thread, so that it gets its own app context, ``g`` and
    database session, as in production. Without this the request would reuse the test's
    pushed app context: Flask-Login's cached user in ``g`` would leak from one client to
    another, and the test's session would hide what a request really committed."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["response"] = FlaskClient.open(self, *args, **kwargs)
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(make_config(tmp_path, database_url))
    application.test_client_class = IsolatedClient
    ctx = application.app_context()
    ctx.push()
    try:
        yield application
    finally:
        db.session.remove()
        ctx.pop()
        if PG_URL:
            _truncate_pg(application)
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- helpers ----------------------------------------------------------------------------------
CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(client: FlaskClient, url: str, data: dict[str, Any], form_url: str | None = None):
    """POST like a browser: fetch the page that carries the form for a fresh CSRF token."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token})


# -- domain fixtures --------------------------------------------------------------------------
@pytest.fixture
def users(app: Flask) -> dict[str, Any]:
    """One account per role and scope, all with PASSWORD."""
    from sqlalchemy import select

    from opsplanner.models import Network, Role
    from opsplanner.services import accounts

    def network_id(acronym: str) -> int:
        return db.session.scalar(select(Network.id).where(Network.acronym == acronym))

    specs = {
        "organiser": dict(role=Role.ORGANISER),
        "coord_asean": dict(role=Role.COORDINATOR, network_id=network_id("ASEAN-WEN")),
        "coord_latf": dict(role=Role.COORDINATOR, network_id=network_id("LATF")),
        "fp_tha": dict(role=Role.FOCAL_POINT, country_iso3="THA"),
        "fp_ken": dict(role=Role.FOCAL_POINT, country_iso3="KEN"),
        "comms": dict(role=Role.COMMUNICATIONS),
    }
    created = {
        key: accounts.create_user(
            email=f"{key}@test.example",
            name=key.replace("_", " ").title(),
            password=PASSWORD,
            **spec,
        )
        for key, spec in specs.items()
    }
    db.session.commit()
    return created


@pytest.fixture
def operation(app: Flask, users: dict[str, Any]) -> Any:
    """An operation in planning with Thailand and Viet Nam (ASEAN-WEN), Kenya and Uganda (LATF)
    and France (no network) invited."""
    from sqlalchemy import select

    from opsplanner.models import Country, Network, OperationPhase, OrganisingAgency
    from opsplanner.services import operations as ops

    op = ops.create_operation(
        ops.OperationInput(
            code_name="Operation Test Shield",
            organising_agency=OrganisingAgency.WCO,
            window_start=date(2027, 2, 1),
            window_end=date(2027, 2, 14),
            world_wildlife_day=date(2027, 3, 3),
            reporting_deadline=datetime(2027, 2, 24, 23, 59, tzinfo=UTC),
            embargo_until=datetime(2027, 3, 3, 9, 0, tzinfo=UTC),
            secure_channel="CENcomm CUG TEST",
        ),
        by=users["organiser"],
    )
    op.phase = OperationPhase.PLANNING
    nets = {n.acronym: n for n in db.session.scalars(select(Network))}
    for iso3, acronym in [
        ("THA", "ASEAN-WEN"),
        ("VNM", "ASEAN-WEN"),
        ("KEN", "LATF"),
        ("UGA", "LATF"),
        ("FRA", None),
    ]:
        ops.invite_country(
            op, db.session.get(Country, iso3), nets.get(acronym), by=users["organiser"]
        )
    db.session.commit()
    return op


# -- shared helpers for the view, scope and API tests -------------------------------------------
ERROR_RE = re.compile(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>')


def field_errors(html: str) -> dict[str, list[str]]:
    """The error messages a form page shows, keyed by the field they are attached to."""
    errors: dict[str, list[str]] = {}
    for field, message in ERROR_RE.findall(html):
        errors.setdefault(field, []).append(message)
    return errors


def location_path(response: Any) -> str:
    """The path (and query) of a redirect, whether Werkzeug made it relative or absolute."""
    from urllib.parse import urlsplit

    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def signed_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    """A fresh client (its own cookie jar) signed in as ``email``."""
    client = app.test_client()
    response = login(client, email, password)
    assert response.status_code == 302, f"login of {email} failed ({response.status_code})"
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_tokens(users: dict[str, Any]) -> dict[str, str]:
    """A raw API token per user of the ``users`` fixture, keyed the same way."""
    from opsplanner.services import accounts

    raw = {key: accounts.create_token(user, f"{key} test token") for key, user in users.items()}
    db.session.commit()
    return raw


@pytest.fixture
def reporting(operation: Any) -> Any:
    """``operation`` moved into reporting: every invited country confirmed, two commodity
    priorities (rank 1 ivory, rank 2 pangolin scales)."""
    from opsplanner.models import OperationPhase, ParticipationStatus, Priority, PriorityKind

    for p in operation.participations:
        p.status = ParticipationStatus.CONFIRMED
    db.session.add_all(
        [
            Priority(
                operation=operation,
                rank=1,
                kind=PriorityKind.COMMODITY,
                title="Ivory",
                commodity="ivory",
            ),
            Priority(
                operation=operation,
                rank=2,
                kind=PriorityKind.COMMODITY,
                title="Pangolin scales",
                commodity="pangolin_scales",
            ),
        ]
    )
    operation.phase = OperationPhase.REPORTING
    db.session.commit()
    return operation


def seizure_row(**overrides: Any) -> dict[str, Any]:
    """A valid seizure as template columns (strings), for Operation Test Shield's window."""
    row = {
        "national_reference": "TH-2027-001",
        "seized_on": "2027-02-05",
        "place": "Suvarnabhumi Airport cargo terminal",
        "port": "BKK",
        "agency": "customs",
        "detection_method": "xray_scanner",
        "species": "Manis javanica",
        "species_other": "",
        "commodity": "pangolin_scales",
        "description": "Scales in sacks declared as fish maw",
        "quantity_1": "120.5",
        "unit_1": "kg",
        "conveyance": "air_cargo",
        "origin": "NGA",
        "transit": "ETH ARE",
        "destination": "THA",
        "online_linked": "no",
        "priority": "2",
        "suspects": "2",
        "arrests": "1",
        "sensitive": "no",
        "publishable": "yes",
    }
    row.update(overrides)
    return row
