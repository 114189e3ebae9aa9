"""Helpers shared by the views: role guards and the current user's scope."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from opsplanner.models import Role
from opsplanner.services.scoping import Scope

F = TypeVar("F", bound=Callable[..., Any])


def scope() -> Scope:
    return Scope(current_user._get_current_object())


def roles_required(*roles: Role) -> Callable[[F], F]:
    def decorator(fn: F) -> F:
        @wraps(fn)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(404)  # do not reveal that the page exists
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
