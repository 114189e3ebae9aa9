"""Helpers shared by the views: role guards and the current user's scope."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Response, abort, send_file
from flask_login import current_user, login_required

from opsplanner.models import Role
from opsplanner.services.scoping import Scope
from opsplanner.services.tabular import write_csv, write_xlsx

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

        wrapper._required_roles = roles  # type: ignore[attr-defined]  # read by archive_guard
        return wrapper  # type: ignore[return-value]

    return decorator


MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vcf": "text/vcard",
    "html": "text/html",
    "pdf": "application/pdf",
}


def table_file(fmt: str, name: str, title: str, header: Any, rows: Any) -> Response:
    """A table as a CSV or XLSX download, written by the formula-neutralising writers."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        if fmt == "csv":
            write_csv(path, header, rows)
        else:
            write_xlsx(path, title, header, rows)
        data = io.BytesIO(path.read_bytes())
    return send_file(data, mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name)
