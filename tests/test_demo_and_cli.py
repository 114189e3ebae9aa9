"""The demo data and the flask commands that `make run` and operators use."""

from __future__ import annotations

from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    ApiToken,
    Briefing,
    BriefingAttendance,
    Country,
    Operation,
    OperationPhase,
    Participation,
    ParticipationStatus,
    Role,
    User,
)
from opsplanner.services import accounts
from opsplanner.services.demo import DEMO_OPERATION, DEMO_PASSWORD, DEMO_USERS
from tests.conftest import login


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def test_demo_is_realistic_and_loads_once(app):
    result = run(app, "demo")
    assert result.exit_code == 0, result.output
    op = db.session.scalar(select(Operation).where(Operation.code_name == DEMO_OPERATION))
    assert op.phase is OperationPhase.BRIEFING
    assert [c.to_phase for c in op.phase_changes] == [OperationPhase.BRIEFING]
    assert op.priorities and [p.rank for p in op.priorities] == list(
        range(1, len(op.priorities) + 1)
    )
    of_op = Participation.operation_id == op.id
    n_participations = db.session.scalar(select(func.count(Participation.id)).where(of_op))
    n_networks = db.session.scalar(
        select(func.count(func.distinct(Participation.network_id))).where(of_op)
    )
    assert n_participations >= 120
    assert n_networks >= 15
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    # Briefings held, guidelines acknowledged and activity plans for most confirmed countries.
    confirmed = db.session.scalars(
        select(Participation).where(of_op, Participation.status == ParticipationStatus.CONFIRMED)
    ).all()
    planned = [p for p in confirmed if p.activities]
    acknowledged = [p for p in confirmed if p.guidelines_acknowledged_at]
    assert db.session.scalar(select(func.count(Briefing.id))) >= 3
    assert db.session.scalar(select(func.count(BriefingAttendance.id))) >= len(confirmed) // 2
    assert len(planned) > len(confirmed) / 2
    assert len(acknowledged) > len(confirmed) / 2
    assert op.guidelines
    # The window is two weeks and ends before World Wildlife Day.
    assert (op.window_end - op.window_start).days == 13
    assert op.window_end < op.world_wildlife_day

    assert run(app, "demo").exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Participation.id)).where(of_op)) == n_participations
    # the planning demo, last year's operation with its results (services/demo_results.py) and
    # the archived one before it (services/demo_archive.py)
    assert db.session.scalar(select(func.count(Operation.id))) == 3


def test_every_demo_login_reaches_its_home_page(app):
    run(app, "demo")
    for email, name, role, iso3, acronym in DEMO_USERS:
        client = app.test_client()
        response = login(client, email, DEMO_PASSWORD)
        assert response.status_code == 302, email
        home = client.get("/home")
        assert home.status_code == 200
        page = home.get_data(as_text=True)
        assert name in page
        if role is Role.FOCAL_POINT:
            country = db.session.get(Country, iso3)
            assert country.name in page
        if role is Role.COORDINATOR:
            assert acronym in page


def test_create_user_and_token_commands(app):
    result = run(
        app,
        "create-user",
        "--email",
        "new.organiser@example.org",
        "--name",
        "New",
        "--role",
        "organiser",
        "--password",
        "a long enough password",
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_by_email("new.organiser@example.org")
    assert user.role is Role.ORGANISER and user.password_hash.startswith("$argon2id$")

    bad = run(
        app,
        "create-user",
        "--email",
        "fp@example.org",
        "--name",
        "FP",
        "--role",
        "focal_point",
        "--password",
        "a long enough password",
    )
    assert bad.exit_code != 0 and "country" in bad.output

    token = run(app, "create-token", "--email", "new.organiser@example.org").output.strip()
    assert token.startswith(app.config["API_TOKEN_PREFIX"])
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and accounts.sha256(token) in stored
    response = app.test_client().get(
        "/api/v1/operations", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def test_load_reference_command_is_idempotent(app):
    first = run(app, "load-reference")
    assert first.exit_code == 0
    assert "countries +0 ~0; networks +0 ~0; memberships +0 -0; activity types +0" in first.output
