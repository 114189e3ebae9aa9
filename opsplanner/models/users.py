"""Accounts: one role each, scoped to a country (focal points) or a network (coordinators)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opsplanner.extensions import db
from opsplanner.models.base import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from opsplanner.models.reference import Country, Network


class Role(enum.StrEnum):
    ORGANISER = "organiser"
    COORDINATOR = "coordinator"
    FOCAL_POINT = "focal_point"
    COMMUNICATIONS = "communications"

    @property
    def label(self) -> str:
        from flask_babel import gettext

        labels = {
            "organiser": gettext("ICCWC organiser"),
            "coordinator": gettext("Network coordinator"),
            "focal_point": gettext("National focal point"),
            "communications": gettext("Communications"),
        }
        return labels[self.value]


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    country_iso3: Mapped[str | None] = mapped_column(ForeignKey("country.iso3"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to revoke every session of the user (logout everywhere, password change, disable).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str | None] = mapped_column(String(5))
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    country: Mapped[Country | None] = relationship()
    network: Mapped[Network | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")
