"""Domain errors carry the user-facing reason; views and the API turn them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """A refused use case. ``field`` names the input at fault, where there is one."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(DomainError):
    status = 409


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403
