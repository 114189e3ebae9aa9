"""Accounts, invitations, sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import ApiToken, Country, Network, Role, User
from opsplanner.services import audit
from opsplanner.services.errors import Conflict, DomainError, NotFound
from opsplanner.services.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)

INVITE_VALID_DAYS = 14


def _now() -> datetime:
    return datetime.now(UTC)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None or not user.active:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = _now()
    return user


def check_password_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("use at least %(n)d characters", n=MIN_PASSWORD_LENGTH), field="password"
        )
    if email and email.split("@")[0].lower() in password.lower():
        raise DomainError(_("the password must not contain your e-mail name"), field="password")


def validate_scope(role: Role, country_iso3: str | None, network_id: int | None) -> None:
    if role is Role.FOCAL_POINT:
        if not country_iso3 or db.session.get(Country, country_iso3) is None:
            raise DomainError(_("a national focal point needs a country"), field="country")
        if network_id:
            raise DomainError(
                _("a national focal point is scoped to a country only"), field="network"
            )
    elif role is Role.COORDINATOR:
        if not network_id or db.session.get(Network, network_id) is None:
            raise DomainError(_("a network coordinator needs a network"), field="network")
        if country_iso3:
            raise DomainError(
                _("a network coordinator is scoped to a network only"), field="country"
            )
    elif country_iso3 or network_id:
        raise DomainError(
            _("the %(role)s role is not scoped to a country or network", role=role.value),
            field="role",
        )


def _snapshot(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "role": str(user.role),
        "country": user.country_iso3,
        "network_id": user.network_id,
        "active": user.active,
    }


def create_user(
    *,
    email: str,
    name: str,
    role: Role,
    country_iso3: str | None = None,
    network_id: int | None = None,
    password: str | None = None,
    by: User | None = None,
) -> User:
    email = email.strip().lower()
    if find_by_email(email) is not None:
        raise Conflict(_("an account with this e-mail already exists"), field="email")
    validate_scope(role, country_iso3, network_id)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        country_iso3=country_iso3,
        network_id=network_id,
    )
    if password is not None:
        check_password_strength(password, email)
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(by, "user.create", "user", user.id, after=_snapshot(user))
    return user


def invite(user: User, by: User | None) -> str:
    """Issue a one-time link token (returned once; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    user.invite_token_hash = sha256(token)
    user.invite_expires_at = _now() + timedelta(days=INVITE_VALID_DAYS)
    audit.record(by, "user.invite", "user", user.id, after={"expires": str(user.invite_expires_at)})
    return token


def user_for_invite(token: str) -> User | None:
    user = db.session.scalar(select(User).where(User.invite_token_hash == sha256(token)))
    if user is None or user.invite_expires_at is None or user.invite_expires_at < _now():
        return None
    return user


def accept_invite(user: User, password: str) -> None:
    check_password_strength(password, user.email)
    user.password_hash = hash_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    user.session_version += 1
    audit.record(user, "user.accept_invite", "user", user.id)


def set_locale(user: User, locale: str | None, languages: tuple[str, ...]) -> None:
    """The user's interface language, or None for the browser's choice."""
    if locale and locale not in languages:
        raise DomainError(_("choose one of the offered languages"), field="locale")
    before = user.locale
    user.locale = locale or None
    if before != user.locale:
        audit.record(
            user,
            "user.locale",
            "user",
            user.id,
            before={"locale": before},
            after={"locale": user.locale},
        )


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise DomainError(_("the current password is not correct"), field="current_password")
    check_password_strength(new, user.email)
    user.password_hash = hash_password(new)
    user.session_version += 1  # signs out every other session
    audit.record(user, "user.change_password", "user", user.id)


def update_user(
    user: User,
    *,
    name: str,
    role: Role,
    country_iso3: str | None,
    network_id: int | None,
    active: bool,
    by: User,
) -> None:
    validate_scope(role, country_iso3, network_id)
    if user.id == by.id and (not active or role is not Role.ORGANISER):
        raise DomainError(_("you cannot demote or disable your own account"), field="role")
    before = _snapshot(user)
    scope_changed = (user.role, user.country_iso3, user.network_id, user.active) != (
        role,
        country_iso3,
        network_id,
        active,
    )
    user.name, user.role, user.country_iso3 = name.strip(), role, country_iso3
    user.network_id, user.active = network_id, active
    if scope_changed:
        # A session must not keep the rights of the old role or scope.
        user.session_version += 1
    old, new = audit.changes(before, _snapshot(user))
    if new:
        audit.record(by, "user.update", "user", user.id, before=old, after=new)


def revoke_sessions(user: User, by: User) -> None:
    user.session_version += 1
    audit.record(by, "user.revoke_sessions", "user", user.id)


# -- API tokens -----------------------------------------------------------------------------
def create_token(user: User, name: str, *, days: int | None = 365, by: User | None = None) -> str:
    raw = current_app.config["API_TOKEN_PREFIX"] + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip() or "token",
        token_hash=sha256(raw),
        prefix=raw[:10],
        expires_at=_now() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(by or user, "token.create", "api_token", token.id, after={"name": token.name})
    return raw


def user_for_token(raw: str) -> User | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256(raw)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at < _now():
        return None
    if not token.user.active:
        return None
    token.last_used_at = _now()
    return token.user


def revoke_token(user: User, token_id: int, by: User) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id):
        raise NotFound("token not found")
    if token.revoked_at is None:
        token.revoked_at = _now()
        audit.record(by, "token.revoke", "api_token", token.id)
