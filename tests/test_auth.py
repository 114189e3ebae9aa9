"""Accounts and access: hashing, login, CSRF, revocable and timed sessions, throttling,
security headers, the invitation flow and the open-redirect guard."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import Participation, ParticipationStatus, User
from opsplanner.services import accounts
from opsplanner.services.passwords import verify_password
from tests.conftest import (
    PASSWORD,
    csrf_token,
    field_errors,
    location_path,
    login,
    post_form,
    signed_in,
)

WRONG_LOGIN = "Wrong e-mail or password, or the account is disabled."
INVITE_LINK_RE = re.compile(r'value="(https?://[^"]+/invite/[^"]+)"')


def user_by_email(email: str) -> User | None:
    db.session.commit()  # end the test's transaction: see what the requests committed
    return db.session.scalar(select(User).where(User.email == email))


def is_signed_in(client: Any) -> bool:
    response = client.get("/home")
    if response.status_code == 302:
        assert location_path(response).startswith("/login")
        return False
    assert response.status_code == 200
    return True


# -- password hashes ----------------------------------------------------------------------------
def test_password_hashes_are_argon2id_with_the_configured_cost(app, users):
    stored = users["fp_tha"].password_hash
    assert stored.startswith("$argon2id$")
    # the parameters come from the app config (lowered in TestConfig), not library defaults
    assert "$m=8192,t=1," in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    # two accounts with the same password get different salts
    assert stored != users["fp_ken"].password_hash


# -- login and logout ---------------------------------------------------------------------------
def test_login_redirects_to_home_and_records_the_login_time(app, client, users):
    assert users["fp_tha"].last_login_at is None
    response = login(client, "FP_THA@test.example")  # e-mail is case-insensitive
    assert response.status_code == 302
    assert location_path(response) == "/home"
    assert is_signed_in(client)
    assert user_by_email("fp_tha@test.example").last_login_at is not None


@pytest.mark.parametrize(
    "email, password",
    [("fp_tha@test.example", "not the password"), ("nobody@test.example", PASSWORD)],
    ids=["wrong-password", "unknown-account"],
)
def test_failed_login_is_401_with_a_clear_message(app, client, users, email, password):
    response = login(client, email, password)
    assert response.status_code == 401
    assert field_errors(response.get_data(as_text=True)) == {"password": [WRONG_LOGIN]}
    assert not is_signed_in(client)


def test_disabled_account_cannot_log_in(app, client, users):
    users["fp_ken"].active = False
    db.session.commit()
    response = login(client, "fp_ken@test.example")
    assert response.status_code == 401
    assert WRONG_LOGIN in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_disabling_an_account_ends_its_open_sessions(app, users):
    ken = signed_in(app, "fp_ken@test.example")
    organiser = signed_in(app, "organiser@test.example")
    url = f"/admin/users/{users['fp_ken'].id}"
    response = post_form(
        organiser, url, {"name": "Fp Ken", "role": "focal_point", "country": "KEN", "network": ""}
    )  # "active" left unchecked
    assert response.status_code == 302
    assert user_by_email("fp_ken@test.example").active is False
    assert not is_signed_in(ken)


def test_logout_ends_the_session(app, users):
    client = signed_in(app, "comms@test.example")
    response = post_form(client, "/logout", {}, form_url="/home")
    assert response.status_code == 302
    assert location_path(response) == "/login"
    assert not is_signed_in(client)


# -- CSRF ---------------------------------------------------------------------------------------
def test_csrf_login_without_token_is_refused(app, client, users):
    response = client.post("/login", data={"email": "fp_tha@test.example", "password": PASSWORD})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert not is_signed_in(client)
    assert user_by_email("fp_tha@test.example").last_login_at is None


def test_csrf_logout_without_token_is_refused(app, users):
    client = signed_in(app, "fp_tha@test.example")
    assert client.post("/logout").status_code == 400
    assert is_signed_in(client)


def test_csrf_user_creation_without_token_is_refused(app, users):
    client = signed_in(app, "organiser@test.example")
    data = {"email": "new@test.example", "name": "New", "role": "communications"}
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 400
    assert user_by_email("new@test.example") is None
    # a token from another session does not count either
    other = app.test_client()
    foreign = csrf_token(other, "/login")
    response = client.post("/admin/users/new", data={**data, "csrf_token": foreign})
    assert response.status_code == 400
    assert user_by_email("new@test.example") is None


def test_csrf_participation_answer_without_token_is_refused(app, users, operation):
    client = signed_in(app, "fp_tha@test.example")
    url = f"/operations/{operation.id}/participations/THA"
    response = client.post(url, data={"status": "confirmed", "note": "yes"})
    assert response.status_code == 400
    db.session.commit()
    p = db.session.scalar(
        select(Participation).where(
            Participation.operation_id == operation.id, Participation.country_iso3 == "THA"
        )
    )
    assert p.status is ParticipationStatus.INVITED
    assert p.responded_at is None


# -- revocable sessions ---------------------------------------------------------------------------
def test_sign_out_everywhere_ends_the_users_sessions(app, users):
    first = signed_in(app, "fp_tha@test.example")
    second = signed_in(app, "fp_tha@test.example")
    bystander = signed_in(app, "fp_ken@test.example")
    organiser = signed_in(app, "organiser@test.example")
    response = post_form(
        organiser, f"/admin/users/{users['fp_tha'].id}/revoke", {}, form_url="/admin/users"
    )
    assert response.status_code == 302
    assert not is_signed_in(first)
    assert not is_signed_in(second)
    assert is_signed_in(bystander)
    assert is_signed_in(organiser)
    # the account itself still works: a new sign-in gets a new session
    assert is_signed_in(signed_in(app, "fp_tha@test.example"))


def test_password_change_ends_other_sessions_and_keeps_this_one(app, users):
    other = signed_in(app, "fp_tha@test.example")
    this = signed_in(app, "fp_tha@test.example")
    new_password = "a much longer new passphrase"
    response = post_form(
        this,
        "/account/",
        {"current_password": PASSWORD, "password": new_password, "confirm": new_password},
    )
    assert response.status_code == 302
    assert is_signed_in(this)
    assert not is_signed_in(other)
    assert login(app.test_client(), "fp_tha@test.example", PASSWORD).status_code == 401
    assert login(app.test_client(), "fp_tha@test.example", new_password).status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(app, users):
    other = signed_in(app, "fp_tha@test.example")
    this = signed_in(app, "fp_tha@test.example")
    new_password = "a much longer new passphrase"
    response = post_form(
        this,
        "/account/",
        {"current_password": "not my password", "password": new_password, "confirm": new_password},
    )
    assert response.status_code == 200
    assert set(field_errors(response.get_data(as_text=True))) == {"current_password"}
    assert is_signed_in(other)
    assert verify_password(user_by_email("fp_tha@test.example").password_hash, PASSWORD)


# -- throttling -----------------------------------------------------------------------------------
def test_repeated_wrong_passwords_lock_that_account_only(app, client, users):
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per 10 minutes"
    statuses = [login(client, "fp_ken@test.example", "guess number one").status_code]
    statuses += [
        login(client, "fp_ken@test.example", f"guess {i} wrong").status_code for i in (2, 3, 4, 5)
    ]
    assert statuses == [401] * 5
    locked = login(client, "fp_ken@test.example", "guess 6 wrong")
    assert locked.status_code == 429
    assert "Too many attempts" in locked.get_data(as_text=True)
    # even the right password waits now, so guessing cannot go on
    assert login(client, "fp_ken@test.example").status_code == 429
    assert not is_signed_in(client)
    # another account, from the same address, is not affected
    assert login(client, "fp_tha@test.example").status_code == 302


def test_successful_logins_do_not_count_against_the_limit(app, users):
    for _ in range(7):
        assert login(app.test_client(), "fp_tha@test.example").status_code == 302


def test_login_attempts_are_also_limited_per_address(app, client, users):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 10 minutes"
    for key in ("fp_tha", "fp_ken", "comms"):
        assert login(client, f"{key}@test.example", "wrong password").status_code == 401
    assert login(client, "coord_latf@test.example", "wrong password").status_code == 429


# -- session timeouts and cookie ----------------------------------------------------------------
def test_absolute_session_timeout(app, users):
    client = signed_in(app, "fp_tha@test.example")
    assert is_signed_in(client)
    hours = app.config["SESSION_ABSOLUTE_HOURS"]
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - hours * 3600 + 60  # one minute left
    assert is_signed_in(client)
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - hours * 3600 - 60  # one minute over
    response = client.get("/operations/")
    assert response.status_code == 302
    assert location_path(response).startswith("/login?next=/operations/")
    assert not is_signed_in(client)


def test_session_cookie_is_httponly_lax_and_expires(app, client, users):
    response = login(client, "fp_tha@test.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(app.config["SESSION_COOKIE_NAME"] + "=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a permanent session, bounded by the idle timeout


# -- headers ------------------------------------------------------------------------------------
def test_security_headers_on_public_and_signed_in_pages(app, client, users):
    public = client.get("/login")
    for response in (public, signed_in(app, "fp_tha@test.example").get("/home")):
        csp = dict(
            d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";")
        )
        assert csp["script-src"] == "'self'"  # no inline or eval'd script, no other origin
        assert csp["object-src"] == "'none'"
        assert csp["frame-ancestors"] == "'none'"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in public.headers.get("Cache-Control", "")
    organiser = signed_in(app, "organiser@test.example")
    for url in ("/operations/", "/account/", "/admin/users"):
        private = organiser.get(url)
        assert private.status_code == 200
        assert "no-store" in private.headers["Cache-Control"], url


def test_pages_have_no_inline_scripts(app, users, operation):
    # the CSP forbids inline scripts: every script must be a file or inert JSON data
    client = signed_in(app, "organiser@test.example")
    for url in ("/home", f"/operations/{operation.id}", "/operations/new", "/admin/users"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


# -- the invitation flow ------------------------------------------------------------------------
def invite_user(app: Any, **fields: str) -> str:
    organiser = signed_in(app, "organiser@test.example")
    data = {"email": "new.fp@test.example", "name": "New Focal Point", "role": "focal_point"}
    data |= {"country": "KEN", "network": ""} | fields
    response = post_form(organiser, "/admin/users/new", data)
    assert response.status_code == 200
    match = INVITE_LINK_RE.search(response.get_data(as_text=True))
    assert match, "the invited page shows no link"
    return urlsplit(match.group(1)).path


def test_invitation_link_sets_a_password_once(app, users):
    path = invite_user(app)
    token = path.rsplit("/", 1)[1]
    user = user_by_email("new.fp@test.example")
    assert (user.role.value, user.country_iso3, user.password_hash) == ("focal_point", "KEN", None)
    assert user.invite_token_hash == accounts.sha256(token)  # only the hash is kept
    # an invited account without a password cannot sign in
    assert login(app.test_client(), "new.fp@test.example", "").status_code == 401

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "New Focal Point" in page.get_data(as_text=True)

    short = post_form(visitor, path, {"password": "too short", "confirm": "too short"})
    assert short.status_code == 200
    errors = field_errors(short.get_data(as_text=True))
    assert list(errors) == ["password"]
    assert "12" in errors["password"][0]

    differ = post_form(
        visitor, path, {"password": "long enough passphrase", "confirm": "another passphrase"}
    )
    assert list(field_errors(differ.get_data(as_text=True))) == ["confirm"]

    new_password = "long enough passphrase"
    done = post_form(visitor, path, {"password": new_password, "confirm": new_password})
    assert done.status_code == 302
    assert location_path(done) == "/login"
    user = user_by_email("new.fp@test.example")
    assert user.password_hash.startswith("$argon2id$")
    assert user.invite_token_hash is None
    assert login(app.test_client(), "new.fp@test.example", new_password).status_code == 302

    # the link is spent: neither the page nor a second password works
    assert visitor.get(path).status_code == 404
    replay = app.test_client()
    token_value = csrf_token(replay, "/login")
    again = replay.post(
        path, data={"password": "x" * 20, "confirm": "x" * 20, "csrf_token": token_value}
    )
    assert again.status_code == 404
    assert "not valid or has expired" in again.get_data(as_text=True)
    assert verify_password(user_by_email("new.fp@test.example").password_hash, new_password)


def test_invitation_password_must_not_contain_the_email_name(app, users):
    path = invite_user(app, email="wildlife@test.example")
    visitor = app.test_client()
    response = post_form(
        visitor, path, {"password": "my wildlife password", "confirm": "my wildlife password"}
    )
    assert response.status_code == 200
    assert list(field_errors(response.get_data(as_text=True))) == ["password"]
    assert user_by_email("wildlife@test.example").password_hash is None


def test_expired_invitation_link_is_refused(app, users):
    from datetime import UTC, datetime, timedelta

    path = invite_user(app)
    user = user_by_email("new.fp@test.example")
    user.invite_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_new_user_form_names_the_wrong_field(app, users):
    organiser = signed_in(app, "organiser@test.example")
    count = db.session.scalar(select(func.count()).select_from(User))
    base = {"email": "x@test.example", "name": "X", "role": "focal_point", "country": "KEN"}
    cases = [
        ({"role": "focal_point", "country": ""}, "country"),
        ({"role": "communications", "country": "KEN"}, "country"),
        ({"role": "coordinator", "country": ""}, "network"),
        ({"email": "fp_tha@test.example"}, "email"),  # taken
        ({"email": "not-an-address"}, "email"),
    ]
    for fields, field in cases:
        response = post_form(organiser, "/admin/users/new", {"network": "", **base, **fields})
        assert response.status_code == 200, fields
        assert field in field_errors(response.get_data(as_text=True)), fields
    assert db.session.scalar(select(func.count()).select_from(User)) == count


# -- open redirect ------------------------------------------------------------------------------
def test_login_never_redirects_off_site(app, users):
    targets = ["//evil.example", "https://evil.example/", "/\\evil.example", "/\t/evil.example"]
    for target in [*targets, "evil"]:
        client = app.test_client()
        url = "/login?next=" + quote(target, safe="")
        token = csrf_token(client, url)
        response = client.post(
            url, data={"email": "fp_tha@test.example", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, target
        assert location_path(response) == "/home", target
        assert not urlsplit(response.headers["Location"]).netloc, target


def test_login_follows_a_local_next(app, client, users):
    url = "/login?next=" + quote("/operations/", safe="")
    token = csrf_token(client, url)
    response = client.post(
        url, data={"email": "fp_tha@test.example", "password": PASSWORD, "csrf_token": token}
    )
    assert location_path(response) == "/operations/"
