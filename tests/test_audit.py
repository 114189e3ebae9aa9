"""The audit trail: every change writes its event in the same transaction, and the trail can be
appended to but never rewritten, neither through the ORM nor in SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from opsplanner.extensions import db
from opsplanner.models import (
    ApiToken,
    AuditEvent,
    Operation,
    OrganisingAgency,
    Participation,
    User,
)
from opsplanner.models.audit import AuditTrailIsAppendOnly
from opsplanner.services import accounts
from opsplanner.services import operations as ops
from opsplanner.services.errors import DomainError
from tests.conftest import PASSWORD, bearer, csrf_token, login, post_form, signed_in

NEW_OPERATION = {
    "code_name": "Operation Audit Trail",
    "organising_agency": "INTERPOL",
    "window_start": "2028-02-01",
    "window_end": "2028-02-14",
    "world_wildlife_day": "2028-03-03",
    "reporting_deadline": "2028-02-24T23:59",
    "embargo_until": "2028-03-03T09:00",
}


def last_event_id() -> int:
    db.session.commit()  # a fresh snapshot: see what the requests committed
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def events_since(event_id: int) -> list[AuditEvent]:
    db.session.commit()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > event_id).order_by(AuditEvent.id)
        )
    )


def post(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, "/account/")})


# -- one event per change -----------------------------------------------------------------------
# Each case: the role that acts, what it does (after sign-in), and the event it must leave:
# object type, before, after (None means absent, ... means anything).
Act = Callable[[Any, Any, dict[str, Any]], Any]


def create_operation(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    return post_form(client, "/operations/new", NEW_OPERATION)


def invite_country(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    return post(client, f"/operations/{ctx['op'].id}/participations", {"country": "MYS"})


def respond(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    url = f"/operations/{ctx['op'].id}/participations/THA"
    return post_form(client, url, {"status": "declined"})


def create_user(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    data = {"email": "new@test.example", "name": "New", "role": "communications"}
    return post_form(client, "/admin/users/new", {**data, "country": "", "network": ""})


def update_user(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    data = {"name": "Fp Tha", "role": "focal_point", "country": "VNM", "network": "", "active": "y"}
    return post_form(client, f"/admin/users/{ctx['users']['fp_tha'].id}", data)


def revoke_sessions(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    return post(client, f"/admin/users/{ctx['users']['fp_tha'].id}/revoke")


def create_token(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    return post(client, "/account/tokens", {"name": "nightly sync"})


def revoke_token(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    fp_ken = ctx["users"]["fp_ken"]
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == fp_ken.id))
    return post(client, f"/account/tokens/{token_id}/revoke")


def change_password(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    new = "another long passphrase"
    return post_form(
        client, "/account/", {"current_password": PASSWORD, "password": new, "confirm": new}
    )


def api_respond(app: Any, client: Any, ctx: dict[str, Any]) -> Any:
    return app.test_client().patch(
        f"/api/v1/operations/{ctx['op'].id}/participations/KEN",
        json={"status": "confirmed"},
        headers=bearer(ctx["fp_ken_token"]),
    )


CASES = {
    "operation.create": ("organiser", create_operation, "operation", None, ...),
    "participation.invite": (
        "organiser",
        invite_country,
        "participation",
        None,
        {"country": "MYS", "network": None},
    ),
    "participation.respond": (
        "fp_tha",
        respond,
        "participation",
        {"status": "invited", "note": ""},
        {"status": "declined", "note": ""},
    ),
    "user.update": (
        "organiser",
        update_user,
        "user",
        {"country": "THA"},
        {"country": "VNM"},
    ),
    "user.revoke_sessions": ("organiser", revoke_sessions, "user", None, None),
    "token.create": ("comms", create_token, "api_token", None, {"name": "nightly sync"}),
    "token.revoke": ("fp_ken", revoke_token, "api_token", None, None),
    "user.change_password": ("fp_ken", change_password, "user", None, None),
    "participation.respond via api": (
        "fp_ken",
        api_respond,
        "participation",
        {"status": "invited", "note": ""},
        {"status": "confirmed", "note": ""},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_change_writes_exactly_one_event(app, users, operation, name):
    role, act, object_type, before, after = CASES[name]
    ctx = {"users": users, "op": operation}
    ctx["fp_ken_token"] = accounts.create_token(users["fp_ken"], "sync")
    db.session.commit()
    client = signed_in(app, f"{role}@test.example")
    since = last_event_id()
    response = act(app, client, ctx)
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    events = events_since(since)
    assert [e.action for e in events] == [name.removesuffix(" via api")]
    event = events[0]
    actor = users[role]
    assert (event.actor_id, event.actor_email, event.actor_role) == (
        actor.id,
        actor.email,
        actor.role.value,
    )
    assert event.object_type == object_type
    assert event.object_id
    assert event.via == ("api" if name.endswith("via api") else "web")
    assert event.at is not None and event.at.tzinfo is not None
    if before is not ...:
        assert event.before == before
    if after is not ...:
        assert event.after == after


def test_operation_create_event_holds_the_new_operation(app, users):
    client = signed_in(app, "organiser@test.example")
    since = last_event_id()
    assert create_operation(app, client, {}).status_code == 302
    [event] = events_since(since)
    op = db.session.scalar(select(Operation))
    assert (event.object_id, event.operation_id) == (str(op.id), op.id)
    assert event.before is None
    assert event.after["code_name"] == "Operation Audit Trail"
    assert event.after["phase"] == "draft"
    assert event.after["window_end"] == "2028-02-14"


def test_login_writes_one_event_and_a_failed_login_none(app, client, users):
    since = last_event_id()
    assert login(client, "fp_tha@test.example", "wrong password").status_code == 401
    assert events_since(since) == []
    assert login(client, "fp_tha@test.example").status_code == 302
    [event] = events_since(since)
    assert (event.action, event.actor_id, event.actor_role) == (
        "user.login",
        users["fp_tha"].id,
        "focal_point",
    )


def test_creating_and_inviting_a_user_writes_one_event_each(app, users):
    client = signed_in(app, "organiser@test.example")
    since = last_event_id()
    assert create_user(app, client, {}).status_code == 200
    events = events_since(since)
    new = db.session.scalar(select(User).where(User.email == "new@test.example"))
    assert [(e.action, e.object_id) for e in events] == [
        ("user.create", str(new.id)),
        ("user.invite", str(new.id)),
    ]
    assert {e.actor_id for e in events} == {users["organiser"].id}
    assert events[0].after == {
        "email": "new@test.example",
        "name": "New",
        "role": "communications",
        "country": None,
        "network_id": None,
        "active": True,
    }


def test_accepting_an_invitation_writes_one_event(app, users):
    user = accounts.create_user(email="x@test.example", name="X", role=users["comms"].role)
    token = accounts.invite(user, by=users["organiser"])
    db.session.commit()
    visitor = app.test_client()
    since = last_event_id()
    new = "a long enough passphrase"
    response = post_form(visitor, f"/invite/{token}", {"password": new, "confirm": new})
    assert response.status_code == 302
    assert [(e.action, e.actor_id) for e in events_since(since)] == [
        ("user.accept_invite", user.id)
    ]


def test_a_change_that_changes_nothing_writes_nothing(app, users):
    client = signed_in(app, "organiser@test.example")
    since = last_event_id()
    data = {"name": "Fp Tha", "role": "focal_point", "country": "THA", "network": "", "active": "y"}
    assert post_form(client, f"/admin/users/{users['fp_tha'].id}", data).status_code == 302
    assert events_since(since) == []


def test_a_refused_change_writes_nothing(app, users, operation):
    client = signed_in(app, "fp_tha@test.example")
    since = last_event_id()
    url = f"/operations/{operation.id}/participations/THA"
    response = post_form(client, url, {"status": "withdrawn"})
    assert response.status_code == 200  # the form again, with the reason
    assert events_since(since) == []


# -- same transaction ---------------------------------------------------------------------------
def committed_counts() -> tuple[int, int]:
    """Rows another connection can see: only what has been committed."""
    with db.engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM operation")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one(),
        )


def operation_input(code_name: str) -> ops.OperationInput:
    return ops.OperationInput(
        code_name=code_name,
        organising_agency=OrganisingAgency.WCO,
        window_start=date(2028, 2, 1),
        window_end=date(2028, 2, 14),
        world_wildlife_day=date(2028, 3, 3),
        reporting_deadline=datetime(2028, 2, 24, 23, 59, tzinfo=UTC),
        embargo_until=datetime(2028, 3, 3, 9, tzinfo=UTC),
    )


def test_the_event_commits_with_the_change(app, users):
    start_ops, start_events = committed_counts()
    ops.create_operation(operation_input("Operation Together"), by=users["organiser"])
    db.session.flush()
    assert committed_counts() == (start_ops, start_events)
    db.session.commit()
    assert committed_counts() == (start_ops + 1, start_events + 1)


def test_a_rolled_back_change_leaves_no_event(app, users):
    start = committed_counts()
    ops.create_operation(operation_input("Operation Never"), by=users["organiser"])
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == start[1] + 1
    db.session.rollback()
    assert committed_counts() == start
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == start[1]


def test_a_request_that_fails_after_recording_leaves_no_event(app, users, operation, monkeypatch):
    real_invite = ops.invite_country

    def invite_then_fail(*args: Any, **kwargs: Any) -> Any:
        real_invite(*args, **kwargs)  # the participation and its event are in the session now
        raise DomainError("simulated failure after the change", field="country")

    monkeypatch.setattr(ops, "invite_country", invite_then_fail)
    client = signed_in(app, "organiser@test.example")
    since = last_event_id()
    response = post(client, f"/operations/{operation.id}/participations", {"country": "MYS"})
    assert response.status_code == 302
    assert events_since(since) == []
    assert db.session.scalar(select(func.count()).where(Participation.country_iso3 == "MYS")) == 0


def test_an_api_conflict_leaves_no_event(app, users, operation):
    raw = accounts.create_token(users["organiser"], "api")
    db.session.commit()
    since = last_event_id()
    response = app.test_client().post(
        f"/api/v1/operations/{operation.id}/participations",
        json={"country": "THA"},
        headers=bearer(raw),
    )
    assert response.status_code == 409
    assert events_since(since) == []


# -- append-only --------------------------------------------------------------------------------
@pytest.fixture
def event(app, users) -> AuditEvent:
    db.session.commit()
    return db.session.scalar(select(AuditEvent).order_by(AuditEvent.id).limit(1))


def test_events_cannot_be_changed_through_the_orm(app, event):
    original = event.action
    event.action = "user.nothing_happened"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == original


def test_events_cannot_be_deleted_through_the_orm(app, event):
    db.session.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        text("UPDATE audit_event SET action = 'rewritten'"),
        text("DELETE FROM audit_event"),
        update(AuditEvent).values(actor_email="someone@else.example"),
        delete(AuditEvent),
    ],
    ids=["sql-update", "sql-delete", "orm-bulk-update", "orm-bulk-delete"],
)
def test_the_database_refuses_to_rewrite_events(app, event, statement):
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    snapshot = (event.id, event.action, event.actor_email)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(statement)
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count
    again = db.session.get(AuditEvent, event.id)
    assert (again.id, again.action, again.actor_email) == snapshot


def test_events_can_still_be_appended(app, users, event):
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    accounts.revoke_sessions(users["comms"], by=users["organiser"])
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count + 1
