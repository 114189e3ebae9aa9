from __future__ import annotations

from flask import g

from opsplanner.models import User
from opsplanner.services.scoping import Scope


def api_user() -> User:
    return g.api_user


def api_scope() -> Scope:
    return Scope(g.api_user)
