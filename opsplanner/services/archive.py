"""The archive rule: an archived operation is read-only, whatever the role.

Every service that changes an operation's data calls ``ensure_writable`` first, so the rule
lives in one place and the message is the same on every page and API call."""

from __future__ import annotations

from flask_babel import gettext as _

from opsplanner.models import Operation, OperationPhase
from opsplanner.services.errors import Conflict


class ArchivedOperation(Conflict):
    """A change to an archived operation (409: the operation is in a state that refuses it)."""


def is_archived(operation: Operation) -> bool:
    return operation.phase is OperationPhase.ARCHIVED


def ensure_writable(operation: Operation) -> None:
    if is_archived(operation):
        raise ArchivedOperation(
            _(
                "%(name)s is archived: its records are read-only. Start a new operation as "
                "a copy of its set-up to work on them again.",
                name=operation.code_name,
            )
        )
