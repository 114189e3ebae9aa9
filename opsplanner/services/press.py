"""The operation's press-release template (the "press" section of a publication pack): reading
it (the stored one, else the shipped ``pack_sections.DEFAULT_PRESS_TEMPLATE``), saving it with a
version check and an audit event, and a preview filled with the live public figures.

Validation. The body is required and at most ``MAX_LENGTH`` characters. Every ``{name}`` in it
must be one of ``pack_sections.PLACEHOLDERS``: the pack's filler leaves anything else as written,
so a typo such as ``{Seizures}`` or ``{seizure}`` would reach the press unfilled; it is refused
at save time, naming the unknown ones and listing the allowed ones. Braces that do not enclose a
name (``{: .class}``, ``{}``) are text.

Versions. ``version`` is the one the organiser opened (0 for the shipped default, not stored
yet). A different current version is refused with ``Conflict``; so is losing the race at flush
time (the mapper's version column, or the primary key when two organisers save the first
version at once).

Preview. The same code as the pack's press section: ``pack_sections.press_values`` on a
``SectionContext`` built from ``take_snapshot(op, public)`` and ``compute_figures``, then
``pack_sections.fill_template`` and ``render_markdown``. It reads the live approved results, so
it is as costly as the snapshot of the operation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from opsplanner.extensions import db
from opsplanner.models import Operation, PressTemplate, User
from opsplanner.services import archive, audit, pack_sections
from opsplanner.services.errors import Conflict, DomainError
from opsplanner.services.markdown import render_markdown
from opsplanner.services.pack_figures import compute_figures
from opsplanner.services.pack_model import Audience
from opsplanner.services.pack_snapshot import take_snapshot

MAX_LENGTH = 20_000
# A brace pair around something that reads as a name: a placeholder, meant or mistyped.
_CANDIDATE = re.compile(r"\{(\s*[A-Za-z_][\w .-]*?\s*)\}")


def stored(op: Operation) -> PressTemplate | None:
    return db.session.get(PressTemplate, op.id)


def get_template(op: Operation) -> str:
    """The body the next pack fills: the organiser's, else the shipped one."""
    row = stored(op)
    return row.body if row is not None else pack_sections.DEFAULT_PRESS_TEMPLATE


def current_version(op: Operation) -> int:
    """The version to send back with a save: 0 while the shipped template is in use."""
    row = stored(op)
    return row.version if row is not None else 0


def allowed() -> tuple[str, ...]:
    return pack_sections.PLACEHOLDERS


def unknown_placeholders(body: str) -> list[str]:
    """The ``{names}`` of ``body`` the filler does not know, as written, in order, once each."""
    known = set(pack_sections.PLACEHOLDERS)
    found: list[str] = []
    for m in _CANDIDATE.finditer(body):
        if m.group(1) not in known and m.group(0) not in found:
            found.append(m.group(0))
    return found


def normalise(body: str | None) -> str:
    """Line ends as the pack writes them (a browser sends CRLF from a textarea)."""
    return (body or "").replace("\r\n", "\n").replace("\r", "\n")


def check_body(body: str | None) -> str:
    """The body to store, or ``DomainError`` (field ``body``) saying what is wrong."""
    body = normalise(body)
    if not body.strip():
        raise DomainError(_("Write the press release: the template cannot be empty."), field="body")
    if len(body) > MAX_LENGTH:
        raise DomainError(
            _(
                "The template is too long: %(n)d characters, at most %(max)d.",
                n=len(body),
                max=MAX_LENGTH,
            ),
            field="body",
        )
    if unknown := unknown_placeholders(body):
        raise DomainError(
            _(
                "Unknown placeholders: %(unknown)s. The placeholders you can use are: %(allowed)s.",
                unknown=", ".join(unknown),
                allowed=", ".join(f"{{{name}}}" for name in pack_sections.PLACEHOLDERS),
            ),
            field="body",
        )
    return body


def _stale(current: int) -> Conflict:
    return Conflict(
        _(
            "The press-release template was changed by someone else since you opened it (it is "
            "now at version %(version)d). Reload it to see their changes, then make yours again.",
            version=current,
        ),
        field="version",
    )


def save_template(op: Operation, body: str | None, version: int | None, by: User | None) -> bool:
    """Store ``body`` as the operation's template, if ``version`` is still the current one.
    False when nothing changed (no write, no audit event). The caller commits."""
    archive.ensure_writable(op)
    if version is None:
        raise DomainError(_("Send the version of the template you are changing."), field="version")
    row = stored(op)
    current = row.version if row is not None else 0
    if version != current:
        raise _stale(current)
    body = check_body(body)
    by_id = by.id if by is not None else None
    if row is None:
        row = PressTemplate(operation_id=op.id, body=body, updated_by_id=by_id)
        db.session.add(row)
        try:
            db.session.flush()
        except IntegrityError:  # another organiser saved the first version a moment ago
            db.session.rollback()
            raise _stale(current_version(op)) from None
        audit.record(
            by,
            "press_template.create",
            "press_template",
            op.id,
            after={"body": body, "version": row.version},
            operation_id=op.id,
        )
        return True
    if row.body == body:
        return False
    old = row.body
    row.body = body
    row.updated_by_id = by_id
    try:
        db.session.flush()
    except StaleDataError:  # saved by someone else in the last milliseconds
        db.session.rollback()
        raise _stale(current_version(op)) from None
    audit.record(
        by,
        "press_template.update",
        "press_template",
        op.id,
        before={"body": old, "version": version},
        after={"body": body, "version": row.version},
        operation_id=op.id,
    )
    return True


@dataclass(frozen=True)
class Preview:
    markdown: str  # the filled template, as press-release.md has it (without the notice)
    html: Markup  # the same, rendered and sanitised as press-release.html has it
    values: dict[str, str]  # every allowed placeholder and its value now
    notice: str | None  # what a public pack built now would stamp on the release
    seizures: int  # in the public snapshot the figures come from


def preview(op: Operation, body: str | None = None, *, now: datetime | None = None) -> Preview:
    """``body`` (default: the current template) filled with the live public figures."""
    now = now or datetime.now(UTC)
    text = normalise(body) if body is not None else get_template(op)
    snapshot = take_snapshot(op, Audience.PUBLIC)
    ctx = pack_sections.SectionContext(
        snapshot=snapshot,
        figures=compute_figures(snapshot),
        notice=pack_sections.notice_for(Audience.PUBLIC, op.embargo_until, now),
        embargo_until=op.embargo_until,
        organiser=str(op.organising_agency),
        press_template=text,
        built_at=now,
    )
    values = pack_sections.press_values(ctx)
    filled = pack_sections.fill_template(text, values)
    return Preview(
        markdown=filled,
        html=render_markdown(filled),
        values=values,
        notice=ctx.notice,
        seizures=len(snapshot.seizures),
    )
