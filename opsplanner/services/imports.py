"""Seizures in bulk: a spreadsheet upload (CSV or XLSX) or the API's bulk import.

An upload is read as a stream (bounded memory, whatever its size), every row checked with
``seizure_fields.parse`` (the one validation of form, upload and API) and planned against what
the country already reported: a row whose national reference is new is created, one whose
reference exists is updated when its content differs and left alone when it does not. The
result is an ``ImportBatch``: *previewed* when every row is valid (the file is kept under the
instance folder until the user confirms), *rejected* with the errors (row, column, reason)
otherwise, and nothing else is written. Confirming reads the stored file again, checks every
row again (the data may have changed since) and writes all rows in one transaction: new rows by
chunked bulk inserts (seizures, then their quantities), changed rows through the mapper with
their before/after in the audit trail. Any error rolls the whole batch back.

Files are refused before they are parsed when they are too large, when a workbook declares
more content than a limit or inflates like a zip bomb, when it holds macros, and when a CSV is
not UTF-8. XML is parsed by openpyxl, which uses defusedxml when it is installed (it is a
dependency: entity expansion and external entities are refused).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from opsplanner.extensions import db
from opsplanner.models import (
    DetectionMethod,
    ImportBatch,
    ImportStatus,
    Participation,
    RecordSource,
    Seizure,
    SeizureQuantity,
    Species,
)
from opsplanner.services import archive, audit, reports, seizures
from opsplanner.services.errors import Conflict, DomainError, Forbidden, NotFound
from opsplanner.services.results_template import SEIZURES_SHEET, required_columns
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import (
    BY_NAME,
    FIELD_NAMES,
    FIELDS,
    Catalog,
    SeizureInput,
    format_amount,
    parse,
)

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
ALLOWED_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
READ_BLOCK = 1 << 16
# Below this size a part of a workbook may compress as well as it likes (tiny XML is very
# repetitive); above it, the ratio limit applies.
RATIO_FLOOR = 1 << 20
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
DELIMITERS = (",", ";", "\t")
# Cells further right than this are not read from a workbook (the template has 26 columns).
XLSX_MAX_COLUMNS = 256


# -- limits and outcomes ----------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 200_000
    max_uncompressed: int = 512 * 1024 * 1024
    max_ratio: int = 200
    max_errors: int = 500
    chunk: int = 1000

    @classmethod
    def from_config(cls) -> Limits:
        cfg = current_app.config
        default = cls()
        return cls(
            max_bytes=int(cfg.get("IMPORT_MAX_BYTES", default.max_bytes)),
            max_rows=int(cfg.get("IMPORT_MAX_ROWS", default.max_rows)),
            max_uncompressed=int(
                cfg.get("IMPORT_MAX_UNCOMPRESSED_BYTES", default.max_uncompressed)
            ),
            max_ratio=int(cfg.get("IMPORT_MAX_ZIP_RATIO", default.max_ratio)),
            max_errors=int(cfg.get("IMPORT_MAX_ERRORS_KEPT", default.max_errors)),
            chunk=max(1, int(cfg.get("IMPORT_CHUNK_ROWS", default.chunk))),
        )


def _error(row: int | None, column: str | None, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


class FileRefused(DomainError):
    """The file as a whole cannot be read (size, format, encoding, header): no row is checked
    past this point. ``errors`` holds one entry per problem, as the row errors do."""

    def __init__(
        self, message: str, row: int | None = None, column: str | None = None, *, more=()
    ) -> None:
        super().__init__(message, field="file")
        self.errors = [_error(row, column, message), *more]


@dataclass
class Outcome:
    """What an import found (and, when applied, did): counts are totals, ``errors`` the first
    ``max_errors`` of ``error_count``; ``items`` the plan of the first rows kept for display."""

    max_errors: int = 500
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    fmt: str = ""

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, row: int | None, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(_error(row, column, message))

    def refuse(self, exc: FileRefused) -> None:
        for e in exc.errors:
            self.add_error(e["row"], e["column"], e["message"])

    def counts(self) -> dict[str, int]:
        return {
            "rows_total": self.rows_total,
            "rows_created": self.created,
            "rows_updated": self.updated,
            "rows_unchanged": self.unchanged,
            "error_count": self.error_count,
        }


# -- receiving and storing a file --------------------------------------------------------------
def imports_dir() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "imports"


def stored_path(batch: ImportBatch) -> Path:
    return imports_dir() / f"{batch.id}.{batch.file_format or 'bin'}"


def clean_filename(name: str | None) -> str:
    """The uploaded name, for display only (the file is stored under the batch id)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if c.isprintable()).strip()
    return base[:255] or "upload"


def megabytes(n: int) -> str:
    value = n / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 or value.is_integer() else f"{value:.2g}"


def too_large(limit: int) -> str:
    return _(
        "The file is larger than the limit of %(limit)s MB: split it into smaller files "
        "(rows are matched by their national reference, so the files can be uploaded one "
        "after the other).",
        limit=megabytes(limit),
    )


def receive(stream: IO[bytes], target: Path, max_bytes: int) -> str:
    """Copy an upload to ``target`` (fsynced), returning its sha256; refuse it past the limit."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while block := stream.read(READ_BLOCK):
            size += len(block)
            if size > max_bytes:
                raise FileRefused(too_large(max_bytes))
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


# -- recognising the file ----------------------------------------------------------------------
def detect_format(path: Path, filename: str) -> str:
    """ "csv" or "xlsx", from the content (the extension only chooses the message)."""
    ext = Path(filename).suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    if ext in (".xlsm", ".xltm", ".xlam"):
        raise FileRefused(macros_refused())
    if ext == ".xls" or head.startswith(OLE2_MAGIC):
        raise FileRefused(
            _(
                "This is an old Excel .xls file or a password-protected workbook: remove the "
                "password and save it as Excel Workbook (.xlsx) or as CSV UTF-8, then upload "
                "that."
            )
        )
    if ext not in ALLOWED_EXTENSIONS:
        raise FileRefused(
            _(
                "Upload the spreadsheet as .xlsx or .csv (this file is %(ext)s).",
                ext=ext or _("without an extension"),
            )
        )
    if not head:
        raise FileRefused(
            _("The file is empty: fill the template (one row per seizure) and upload it.")
        )
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if ext == ".xlsx":
        raise FileRefused(damaged_workbook())
    return "csv"


def macros_refused() -> str:
    return _(
        "The workbook contains macros (a macro-enabled .xlsm file): macros are never opened "
        "here. Save it as Excel Workbook (.xlsx) and upload that."
    )


def damaged_workbook(detail: str = "") -> str:
    message = _(
        "The file is not a readable .xlsx workbook (it may be damaged or of another kind): "
        "open it in Excel, save it again as Excel Workbook (.xlsx) or CSV UTF-8, and upload "
        "that."
    )
    return f"{message} ({detail})" if detail else message


# -- the header --------------------------------------------------------------------------------
def _header_key(text: str) -> str:
    return " ".join(text.replace("_", " ").lower().split())


def _aliases() -> dict[str, str]:
    """Header text -> field name: the names (any case, spaces for underscores) and the labels
    (in the current language)."""
    aliases: dict[str, str] = {}
    for f in FIELDS:
        aliases[_header_key(f.name)] = f.name
    for f in FIELDS:
        aliases.setdefault(_header_key(str(f.label)), f.name)
    return aliases


def map_header(cells: Sequence[Any], row: int = 1) -> list[str | None]:
    """Column index -> field name (None for a blank header cell); refuse unknown, repeated and
    missing columns, naming them."""
    aliases = _aliases()
    columns: list[str | None] = []
    problems: list[dict[str, Any]] = []
    where: dict[str, str] = {}
    for index, cell in enumerate(cells, start=1):
        text = "" if cell is None else str(cell).strip()
        if not text:
            columns.append(None)
            continue
        name = aliases.get(_header_key(text))
        letter = get_column_letter(index)
        if name is None:
            problems.append(
                _error(
                    row,
                    text,
                    _(
                        "Unknown column %(name)s (column %(letter)s): use the column names of "
                        "the template (its Instructions sheet lists them), or delete the column.",
                        name=text,
                        letter=letter,
                    ),
                )
            )
        elif name in where:
            problems.append(
                _error(
                    row,
                    name,
                    _(
                        "The column %(name)s appears twice (columns %(first)s and %(second)s): "
                        "keep one.",
                        name=name,
                        first=where[name],
                        second=letter,
                    ),
                )
            )
        else:
            where[name] = letter
        columns.append(name)
    for name in required_columns():
        if name not in where:
            problems.append(
                _error(
                    row,
                    name,
                    _(
                        "The required column %(name)s (%(label)s) is missing: add it as in the "
                        "template.",
                        name=name,
                        label=str(BY_NAME[name].label),
                    ),
                )
            )
    if problems:
        first = problems[0]
        raise FileRefused(first["message"], first["row"], first["column"], more=problems[1:])
    return columns


# -- reading rows ------------------------------------------------------------------------------
RowStream = Iterator[tuple[int, dict[str, Any], list[dict[str, Any]]]]


@dataclass
class Table:
    """An opened upload: its format, whether numbers use decimal commas, and its data rows as
    (row number with the header as row 1, {field: raw value}, errors of cells with no header)."""

    fmt: str
    comma_decimal: bool
    rows: RowStream


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_row(values: Sequence[Any]) -> bool:
    if values.count(None) == len(values):  # an empty workbook row (fast: no Python loop)
        return True
    if all(type(v) is str for v in values):  # a CSV row
        return not "".join(values).strip()
    return all(_blank(v) for v in values)


def _rows(
    cells: Iterator[tuple[int, Sequence[Any]]], limits: Limits, convert: Callable | None = None
) -> tuple[list[str | None], RowStream]:
    """Find the header (the first non-blank row) and map the rows after it."""
    for row_no, header in cells:
        if not _blank_row(header):
            columns = map_header(header, row_no)
            break
    else:
        raise FileRefused(
            _("The file is empty: fill the template (one row per seizure) and upload it.")
        )

    # a workbook's rows come padded with empty cells: the header ends at its last name
    while columns and columns[-1] is None:
        columns.pop()
    named = [(index, name) for index, name in enumerate(columns) if name is not None]
    unnamed = [index for index, name in enumerate(columns) if name is None]
    width = len(columns)

    def stray(row_no: int, values: Sequence[Any]) -> list[dict[str, Any]]:
        candidates = [index for index in unnamed if index < len(values)]
        if len(values) > width and not _blank_row(values[width:]):
            candidates.extend(range(width, len(values)))
        found = []
        for index in candidates:
            if not _blank(values[index]):
                letter = get_column_letter(index + 1)
                message = _(
                    "Column %(letter)s has a value but no header: add the column name in the "
                    "header row or clear the cell.",
                    letter=letter,
                )
                found.append(_error(row_no, letter, message))
        return found

    # blank rows are skipped, but not without end (a workbook can claim a million of them)
    scanned_cap = 2 * limits.max_rows + 1000

    def stream() -> RowStream:
        count = 0
        for row_no, values in cells:
            if row_no > scanned_cap:
                raise FileRefused(
                    _(
                        "The sheet goes on past row %(row)d, mostly empty: delete the empty "
                        "rows below the data (or save the sheet as CSV UTF-8) and upload it "
                        "again.",
                        row=scanned_cap,
                    ),
                    row_no,
                )
            if _blank_row(values):
                continue
            count += 1
            if count > limits.max_rows:
                raise FileRefused(
                    _(
                        "The file has more than %(max)d rows: split it into files of at most "
                        "%(max)d rows.",
                        max=limits.max_rows,
                    ),
                    row_no,
                )
            n = len(values)
            if convert is None:
                raw = {name: values[i] for i, name in named if i < n}
            else:
                raw = {name: convert(name, values[i]) for i, name in named if i < n}
            problems = stray(row_no, values) if (unnamed or n > width) else []
            yield row_no, raw, problems
        if count == 0:
            raise FileRefused(
                _(
                    "The file has a header row but no seizures: fill one row per seizure below "
                    "the header."
                )
            )

    return columns, stream()


def not_utf8(line: int, byte: int) -> str:
    return _(
        "Line %(line)d (byte %(byte)d) is not UTF-8 text: save the file as UTF-8 (in Excel: "
        "Save as > CSV UTF-8 (comma delimited)) and upload it again. Nothing was written.",
        line=line,
        byte=byte,
    )


def _decoded_lines(fh: IO[bytes]) -> Iterator[str]:
    """The file's lines (with their endings) decoded strictly as UTF-8, a byte-order mark
    dropped; an undecodable byte is refused naming its line and byte offset."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0  # bytes consumed before the current block
    newlines = 0
    tail = ""
    first = True
    while True:
        block = fh.read(READ_BLOCK)
        final = not block
        if first:
            first = False
            if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise FileRefused(
                    _(
                        "The file is UTF-16 text (Excel's Unicode Text): save it as CSV UTF-8 "
                        "(comma delimited) and upload it again. Nothing was written."
                    ),
                    1,
                )
            if block.startswith(codecs.BOM_UTF8):
                block = block[len(codecs.BOM_UTF8) :]
                offset += len(codecs.BOM_UTF8)
        pending = decoder.getstate()[0]
        if b"\x00" in block:
            # UTF-16 without its byte-order mark, or not a text file at all
            at = block.index(b"\x00")
            line = newlines + block[:at].count(b"\n") + 1
            raise FileRefused(not_utf8(line, offset + at), line)
        try:
            text = decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            data = pending + block
            line = newlines + data[: exc.start].count(b"\n") + 1
            raise FileRefused(not_utf8(line, offset - len(pending) + exc.start), line) from None
        offset += len(block)
        text = tail + text
        start = 0
        while (end := text.find("\n", start)) != -1:
            newlines += 1
            yield text[start : end + 1]
            start = end + 1
        tail = text[start:]
        if final:
            if tail:
                yield tail
            return


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@contextmanager
def _open_csv(path: Path, limits: Limits) -> Iterator[Table]:
    with path.open("rb") as fh:
        lines = _decoded_lines(fh)
        head = next(lines, "")
        delimiter = _delimiter(head)

        def cells() -> Iterator[tuple[int, list[str]]]:
            reader = csv.reader(_chain(head, lines), delimiter=delimiter)
            row_no = 0
            try:
                for row_no, values in enumerate(reader, start=1):
                    yield row_no, values
            except csv.Error as exc:
                raise FileRefused(
                    _(
                        "Row %(row)d cannot be read as CSV (%(reason)s): check its quotes, or "
                        "save the file again as CSV UTF-8 from Excel.",
                        row=row_no + 1,
                        reason=str(exc),
                    ),
                    row_no + 1,
                ) from None

        _columns, rows = _rows(cells(), limits)
        # European spreadsheets save semicolon-separated files with decimal commas.
        yield Table("csv", delimiter == ";", rows)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def check_workbook(path: Path, limits: Limits) -> None:
    """Refuse a workbook before openpyxl opens it: not a zip, macros, a zip bomb."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            content_types = zf.getinfo("[Content_Types].xml")
            if content_types.file_size > RATIO_FLOOR:
                raise FileRefused(damaged_workbook())
            declared = zf.read(content_types)
    except KeyError:
        raise FileRefused(damaged_workbook()) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise FileRefused(damaged_workbook(str(exc))) from None
    names = [i.filename.lower() for i in infos]
    if any(n.endswith("vbaproject.bin") for n in names) or b"macroenabled" in declared.lower():
        raise FileRefused(macros_refused())
    if "xl/workbook.xml" not in names:
        raise FileRefused(damaged_workbook())
    if any(i.flag_bits & 0x1 for i in infos):
        raise FileRefused(damaged_workbook("encrypted"))
    total = sum(i.file_size for i in infos)
    # openpyxl holds the shared strings in memory while it streams the rows
    strings = sum(i.file_size for i in infos if i.filename.lower() == "xl/sharedstrings.xml")
    for size, limit in ((total, limits.max_uncompressed), (strings, limits.max_uncompressed // 4)):
        if size > limit:
            raise FileRefused(
                _(
                    "The workbook unpacks to %(size)s MB, more than the limit of %(limit)s MB: "
                    "it was not opened. Save it as CSV UTF-8, or split it.",
                    size=megabytes(size),
                    limit=megabytes(limit),
                )
            )
    for i in infos:
        if i.file_size > RATIO_FLOOR and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise FileRefused(
                _(
                    "The workbook's part %(part)s inflates %(ratio)d times (the limit is "
                    "%(limit)d): it looks like a zip bomb and was not opened.",
                    part=i.filename,
                    ratio=i.file_size // max(i.compress_size, 1),
                    limit=limits.max_ratio,
                )
            )


def _xlsx_value(name: str, value: Any) -> Any:
    """Cells as parse expects them: Excel keeps 15 significant digits, so floats are read that
    way (0.1 + 0.2 is 0.3); a date column holding a serial number is a date."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if name == "seized_on":
            return _excel_date(value)
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return Decimal(format(value, ".15g"))
    if isinstance(value, int) and name == "seized_on":
        return _excel_date(value)
    if isinstance(value, time):
        return value.isoformat()
    return value


def _excel_date(value: float) -> Any:
    from openpyxl.utils.datetime import from_excel

    if 1 <= value < 2958466:  # 1900-01-01 .. 9999-12-31
        try:
            return from_excel(value)
        except (ValueError, OverflowError):
            return value
    return value


@contextmanager
def _open_xlsx(path: Path, limits: Limits) -> Iterator[Table]:
    from openpyxl import load_workbook

    check_workbook(path, limits)
    with path.open("rb") as fh:  # a file object: openpyxl would judge a path by its extension
        try:
            wb = load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # a damaged workbook fails in many ways inside openpyxl
            raise FileRefused(damaged_workbook(type(exc).__name__)) from None
        try:
            sheets = wb.worksheets
            if not sheets:
                raise FileRefused(damaged_workbook())
            ws = wb[SEIZURES_SHEET] if SEIZURES_SHEET in wb.sheetnames else sheets[0]
            # The sheet's declared size is not trusted: a wrong one would drop rows past it,
            # a huge one would pad every row to 16,384 cells. Rows are read as they are, up to
            # XLSX_MAX_COLUMNS cells wide.
            ws.reset_dimensions()

            def cells() -> Iterator[tuple[int, Sequence[Any]]]:
                row_no = 0
                try:
                    rows = ws.iter_rows(max_col=XLSX_MAX_COLUMNS, values_only=True)
                    for row_no, values in enumerate(rows, start=1):
                        yield row_no, values
                except Exception as exc:  # malformed sheet XML, refused entities, ...
                    raise FileRefused(
                        damaged_workbook(_("row %(n)d", n=row_no + 1) + f": {type(exc).__name__}"),
                        row_no + 1,
                    ) from None

            _columns, rows = _rows(cells(), limits, convert=_xlsx_value)
            yield Table("xlsx", False, rows)
        finally:
            wb.close()


@contextmanager
def open_table(path: Path, fmt: str, limits: Limits) -> Iterator[Table]:
    opener = _open_xlsx if fmt == "xlsx" else _open_csv
    with opener(path, limits) as table:
        yield table


# -- what exists already -----------------------------------------------------------------------
@dataclass(frozen=True)
class Existing:
    id: int
    version: int
    snapshot: dict[str, Any]


def existing(p: Participation, references: Iterable[str]) -> dict[str, Existing]:
    """The country's seizures with these references, as snapshots, in two queries (no ORM
    objects: a plan over 164,000 rows holds only one chunk at a time)."""
    refs = list(set(references))
    if not refs:
        return {}
    s, q = Seizure.__table__, SeizureQuantity.__table__
    rows = db.session.execute(
        select(s).where(s.c.participation_id == p.id, s.c.national_reference.in_(refs))
    ).all()
    if not rows:
        return {}
    quantities: dict[int, list[SimpleNamespace]] = {}
    for seizure_id, amount, unit in db.session.execute(
        select(q.c.seizure_id, q.c.amount, q.c.unit)
        .where(q.c.seizure_id.in_([r.id for r in rows]))
        .order_by(q.c.seizure_id, q.c.position, q.c.id)
    ):
        quantities.setdefault(seizure_id, []).append(SimpleNamespace(amount=amount, unit=unit))
    found: dict[str, Existing] = {}
    for row in rows:
        record = SimpleNamespace(**row._mapping, quantities=quantities.get(row.id, []))
        found[row.national_reference] = Existing(row.id, row.version, seizures.snapshot(record))
    return found


# -- writing -----------------------------------------------------------------------------------
def changed_meanwhile() -> Conflict:
    return Conflict(
        _(
            "Some of these seizures were changed by someone else while the upload was being "
            "applied: nothing was written. Apply it again to see the new plan."
        )
    )


class Writer:
    """Writes checked rows in the caller's transaction: creates by bulk inserts, updates
    through the mapper (version-checked) with an audit event each."""

    def __init__(
        self, scope: Scope, p: Participation, source: RecordSource, batch_id: Callable[[], int]
    ) -> None:
        self.scope = scope
        self.p = p
        self.source = source
        self.batch_id = batch_id
        self.user_id = scope.user.id
        self.now = datetime.now(UTC)

    def write(
        self,
        creates: list[SeizureInput],
        updates: list[tuple[SeizureInput, Existing]],
    ) -> dict[str, int]:
        ids = self.insert(creates) if creates else {}
        if updates:
            self.update(updates)
        return ids

    def _values(self, data: SeizureInput, batch_id: int) -> dict[str, Any]:
        # the same copy as seizures.apply_input, as plain values
        return {
            "participation_id": self.p.id,
            "national_reference": data.national_reference,
            "seized_on": data.seized_on,
            "place": data.place,
            "port": data.port,
            "agency": data.agency,
            "detection_method": DetectionMethod(data.detection_method),
            "species_id": data.species_id,
            "species_other": "" if data.species_id else data.species_other,
            "commodity": data.commodity,
            "description": data.description,
            "conveyance": data.conveyance,
            "origin_codes": list(data.origin),
            "transit_codes": list(data.transit),
            "destination_codes": list(data.destination),
            "online_linked": data.online_linked,
            "priority_id": data.priority_id,
            "suspects": data.suspects,
            "arrests": data.arrests,
            "sensitive": data.sensitive,
            "publishable": data.publishable,
            "source": self.source,
            "import_batch_id": batch_id,
            "version": 1,
            "created_at": self.now,
            "updated_at": self.now,
            "created_by_id": self.user_id,
            "updated_by_id": self.user_id,
        }

    def insert(self, creates: list[SeizureInput]) -> dict[str, int]:
        batch_id = self.batch_id()
        s, q = Seizure.__table__, SeizureQuantity.__table__
        try:
            result = db.session.execute(
                insert(s).returning(s.c.id, s.c.national_reference),
                [self._values(data, batch_id) for data in creates],
            )
            ids = {ref: seizure_id for seizure_id, ref in result}
            quantities = [
                {"seizure_id": ids[data.national_reference], "position": i, **_amount(qty)}
                for data in creates
                for i, qty in enumerate(data.quantities)
            ]
            if quantities:
                db.session.execute(insert(q), quantities)
        except IntegrityError:
            # another request created one of these references in the meantime
            raise changed_meanwhile() from None
        return ids

    def update(self, updates: list[tuple[SeizureInput, Existing]]) -> None:
        batch_id = self.batch_id()
        loaded = {
            s.id: s
            for s in db.session.scalars(
                select(Seizure)
                .where(Seizure.id.in_([old.id for _data, old in updates]))
                .options(selectinload(Seizure.quantities))
            )
        }
        changes: list[tuple[Seizure, dict[str, Any], dict[str, Any]]] = []
        with db.session.no_autoflush:
            for data, old in updates:
                s = loaded.get(old.id)
                if s is None or s.version != old.version:
                    raise changed_meanwhile()
                before = seizures.snapshot(s)
                seizures.apply_input(s, data)
                was, now = audit.changes(before, seizures.snapshot(s))
                s.source = self.source
                s.import_batch_id = batch_id
                s.updated_at = self.now
                s.updated_by_id = self.user_id
                changes.append((s, was, now))
        try:
            db.session.flush()
        except (StaleDataError, IntegrityError):
            raise changed_meanwhile() from None
        for s, was, now in changes:
            audit.record(
                self.scope.user,
                "seizure.update",
                "seizure",
                s.id,
                before=was,
                after=now
                | {"version": s.version, "source": self.source.value, "import_batch_id": batch_id},
                operation_id=self.p.operation_id,
                country_iso3=self.p.country_iso3,
            )


def _amount(q: Any) -> dict[str, Any]:
    return {"amount": q.amount, "unit": q.unit}


# -- checking (and applying) rows ----------------------------------------------------------------
class Run:
    """Checks rows one by one and plans them chunk by chunk against the database; with a
    writer, writes each chunk while no error has been found (the caller rolls back if one
    is found later)."""

    def __init__(
        self,
        p: Participation,
        catalog: Catalog,
        limits: Limits,
        *,
        comma_decimal: bool = False,
        writer: Writer | None = None,
        keep_items: int = 0,
    ) -> None:
        self.p = p
        self.catalog = catalog
        self.limits = limits
        self.comma_decimal = comma_decimal
        self.writer = writer
        self.keep_items = keep_items
        self.outcome = Outcome(max_errors=limits.max_errors)
        self.seen: dict[str, int] = {}
        self.pending: list[tuple[int, SeizureInput]] = []

    def error(self, row: int, column: str | None, message: str) -> None:
        self.outcome.rows_total += 1
        self.outcome.add_error(row, column, message)

    def feed(
        self, row: int, raw: Mapping[str, Any], problems: Sequence[dict[str, Any]] = ()
    ) -> None:
        self.outcome.rows_total += 1
        data, errors = parse(raw, self.catalog, comma_decimal=self.comma_decimal)
        bad = bool(problems or errors)
        for problem in problems:
            self.outcome.add_error(problem["row"], problem["column"], problem["message"])
        for e in errors:
            self.outcome.add_error(row, e.field, e.message)
        reference = data.national_reference
        if reference:
            first = self.seen.get(reference)
            if first is None:
                self.seen[reference] = row
            else:
                bad = True
                self.outcome.add_error(
                    row,
                    "national_reference",
                    _(
                        "%(ref)s is also on row %(first)d: one row per seizure, each with its "
                        "own national reference.",
                        ref=reference,
                        first=first,
                    ),
                )
        if not bad:
            self.pending.append((row, data))
            if len(self.pending) >= self.limits.chunk:
                self.flush()

    def flush(self) -> None:
        chunk, self.pending = self.pending, []
        if not chunk:
            return
        found = existing(self.p, (data.national_reference for _row, data in chunk))
        creates: list[SeizureInput] = []
        updates: list[tuple[SeizureInput, Existing]] = []
        kept: list[dict[str, Any]] = []
        for row, data in chunk:
            old = found.get(data.national_reference)
            if old is None:
                action = CREATE
                creates.append(data)
                self.outcome.created += 1
            elif old.snapshot == seizures.input_snapshot(data):
                action = UNCHANGED
                self.outcome.unchanged += 1
            else:
                action = UPDATE
                updates.append((data, old))
                self.outcome.updated += 1
            if len(self.outcome.items) < self.keep_items:
                item = {
                    "row": row,
                    "national_reference": data.national_reference,
                    "action": action,
                    "seizure_id": old.id if old else None,
                    "data": data,
                }
                self.outcome.items.append(item)
                kept.append(item)
        if self.writer is not None and self.outcome.ok:
            ids = self.writer.write(creates, updates)
            for item in kept:
                if item["action"] == CREATE:
                    item["seizure_id"] = ids.get(item["national_reference"])

    def finish(self) -> Outcome:
        self.flush()
        return self.outcome


def run_table(
    p: Participation,
    table: Table,
    limits: Limits,
    *,
    writer: Writer | None = None,
    keep_items: int = 0,
    stop_after: int | None = None,
) -> Outcome:
    run = Run(
        p,
        Catalog.load(p.operation),
        limits,
        comma_decimal=table.comma_decimal,
        writer=writer,
        keep_items=keep_items,
    )
    run.outcome.fmt = table.fmt
    try:
        for n, (row, raw, problems) in enumerate(table.rows, start=1):
            run.feed(row, raw, problems)
            if stop_after is not None and n >= stop_after:
                break
        run.flush()
    except FileRefused as exc:
        run.outcome.refuse(exc)
    return run.outcome


def check_file(p: Participation, path: Path, fmt: str, limits: Limits, **kw: Any) -> Outcome:
    """Read and check a whole file (and with ``writer=``, write it)."""
    try:
        with open_table(path, fmt, limits) as table:
            return run_table(p, table, limits, **kw)
    except FileRefused as exc:
        outcome = Outcome(max_errors=limits.max_errors, fmt=fmt)
        outcome.refuse(exc)
        return outcome


# -- the upload flow -----------------------------------------------------------------------------
def _fill(batch: ImportBatch, outcome: Outcome) -> None:
    batch.rows_total = outcome.rows_total
    batch.rows_created = outcome.created
    batch.rows_updated = outcome.updated
    batch.rows_unchanged = outcome.unchanged
    batch.error_count = outcome.error_count
    batch.errors = list(outcome.errors)


def stage_upload(
    scope: Scope,
    p: Participation,
    filename: str | None,
    stream: IO[bytes],
    *,
    limits: Limits | None = None,
) -> ImportBatch:
    """Receive a file and check all of it: a *previewed* batch (the file kept for the
    confirmation) or a *rejected* one with its errors. Writes nothing else."""
    reports.ensure_editable(scope, p)
    limits = limits or Limits.from_config()
    name = clean_filename(filename)
    folder = imports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    incoming = folder / f".incoming-{uuid.uuid4().hex}"
    batch = ImportBatch(
        participation_id=p.id,
        source=RecordSource.UPLOAD,
        filename=name,
        file_format=Path(name).suffix.lower().lstrip(".")[:10],
        sha256="",
        status=ImportStatus.REJECTED,
        created_by_id=scope.user.id,
        errors=[],
    )
    try:
        try:
            batch.sha256 = receive(stream, incoming, limits.max_bytes)
            batch.file_format = detect_format(incoming, name)
        except FileRefused as exc:
            outcome = Outcome(max_errors=limits.max_errors)
            outcome.refuse(exc)
        else:
            outcome = check_file(p, incoming, batch.file_format, limits)
        _fill(batch, outcome)
        batch.status = ImportStatus.PREVIEWED if outcome.ok else ImportStatus.REJECTED
        db.session.add(batch)
        db.session.flush()
        if outcome.ok:
            os.replace(incoming, stored_path(batch))
    finally:
        incoming.unlink(missing_ok=True)
    return batch


def discard_stored(batch: ImportBatch) -> None:
    """Remove a batch's stored file (after a failed commit or a discard)."""
    stored_path(batch).unlink(missing_ok=True)


def batch_or_404(p: Participation, batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.participation_id != p.id:
        raise NotFound("import not found")
    return batch


def batches_of(p: Participation) -> list[ImportBatch]:
    return list(
        db.session.scalars(
            select(ImportBatch)
            .where(ImportBatch.participation_id == p.id)
            .options(selectinload(ImportBatch.created_by))
            .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        )
    )


def applied_twin(batch: ImportBatch) -> ImportBatch | None:
    """An applied upload of the very same file (by sha256) for this country, if any."""
    if not batch.sha256:
        return None
    return db.session.scalar(
        select(ImportBatch)
        .where(
            ImportBatch.participation_id == batch.participation_id,
            ImportBatch.sha256 == batch.sha256,
            ImportBatch.status == ImportStatus.APPLIED,
            ImportBatch.id != batch.id,
        )
        .order_by(ImportBatch.applied_at.desc(), ImportBatch.id.desc())
        .limit(1)
    )


def preview_items(p: Participation, batch: ImportBatch, limit: int = 20) -> list[dict[str, Any]]:
    """The plan of the first rows of a previewed batch, for its preview table."""
    path = stored_path(batch)
    if batch.status is not ImportStatus.PREVIEWED or not path.exists():
        return []
    limits = Limits.from_config()
    try:
        with open_table(path, batch.file_format, limits) as table:
            outcome = run_table(p, table, limits, keep_items=limit, stop_after=limit)
    except FileRefused:
        return []
    return [display(item) for item in outcome.items]


def display(item: dict[str, Any]) -> dict[str, Any]:
    data: SeizureInput = item["data"]
    species = ""
    if data.species_id:
        found = db.session.get(Species, data.species_id)
        species = found.scientific_name if found else ""
    return {
        **{k: v for k, v in item.items() if k != "data"},
        "seized_on": data.seized_on.isoformat() if data.seized_on else "",
        "place": data.place,
        "species": species or data.species_other,
        "commodity": data.commodity,
        "quantities": ", ".join(f"{format_amount(q.amount)} {q.unit}" for q in data.quantities),
        "conveyance": data.conveyance,
        "sensitive": data.sensitive,
    }


def _not_pending(batch: ImportBatch) -> Conflict:
    return Conflict(
        _(
            "This upload is %(status)s: only a previewed upload can be applied or discarded.",
            status=batch.status.value,
        )
    )


def confirm(
    scope: Scope, p: Participation, batch: ImportBatch, *, limits: Limits | None = None
) -> Outcome:
    """Apply a previewed upload: read the stored file again, check every row again and write
    them all in the caller's transaction. On an error nothing is written and the batch becomes
    *rejected* with the new errors; any failure rolls the session back before it propagates."""
    reports.ensure_editable(scope, p)
    limits = limits or Limits.from_config()
    if batch.status is not ImportStatus.PREVIEWED:
        raise _not_pending(batch)
    path = stored_path(batch)
    if not path.exists() or sha256_of(path) != batch.sha256:
        raise DomainError(
            _("The stored copy of this upload is missing or damaged: upload the file again.")
        )
    batch_id = batch.id
    try:
        # claim the batch first: a second confirmation waits for this one, then finds it applied
        claimed = db.session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch_id, ImportBatch.status == ImportStatus.PREVIEWED)
            .values(status=ImportStatus.APPLIED, applied_at=datetime.now(UTC))
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            raise _not_pending(db.session.get(ImportBatch, batch_id) or batch)
        writer = Writer(scope, p, RecordSource.UPLOAD, lambda: batch_id)
        outcome = check_file(p, path, batch.file_format, limits, writer=writer)
        if outcome.ok:
            db.session.refresh(batch)
            _fill(batch, outcome)
            audit.record(
                scope.user,
                "import.apply",
                "import_batch",
                batch_id,
                after=_batch_facts(batch, outcome),
                operation_id=p.operation_id,
                country_iso3=p.country_iso3,
            )
            db.session.flush()
            return outcome
    except BaseException:
        db.session.rollback()
        raise
    # the data changed since the preview and some rows no longer pass: nothing was written
    db.session.rollback()
    batch = db.session.get(ImportBatch, batch_id)
    assert batch is not None
    _fill(batch, outcome)
    batch.status = ImportStatus.REJECTED
    batch.applied_at = None
    db.session.flush()
    return outcome


def _batch_facts(batch: ImportBatch, outcome: Outcome) -> dict[str, Any]:
    return {
        "source": batch.source.value,
        "filename": batch.filename,
        "file_format": batch.file_format,
        "sha256": batch.sha256,
        **outcome.counts(),
    }


def discard(scope: Scope, p: Participation, batch: ImportBatch) -> None:
    archive.ensure_writable(p.operation)
    if not reports.may_enter(scope, p):
        raise Forbidden(_("Only the country's focal point or an organiser can change its results."))
    if batch.status is not ImportStatus.PREVIEWED:
        raise _not_pending(batch)
    batch.status = ImportStatus.DISCARDED
    audit.record(
        scope.user,
        "import.discard",
        "import_batch",
        batch.id,
        after={"filename": batch.filename, "sha256": batch.sha256},
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )
    db.session.flush()


# -- the API's bulk import -------------------------------------------------------------------------
API_KEYS = frozenset(FIELD_NAMES) | {"quantities"}
LIST_KEYS = frozenset({"origin", "transit", "destination"})


def _row_problems(i: int, row: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    raw: dict[str, Any] = {}
    problems: list[dict[str, Any]] = []
    for key, value in row.items():
        if key not in API_KEYS:
            problems.append(
                _error(
                    i,
                    key,
                    _(
                        "Unknown field %(name)s: use the template's column names (or quantities).",
                        name=key,
                    ),
                )
            )
            continue
        scalar = value is None or isinstance(value, str | int | float | bool)
        if key == "quantities":
            ok = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        elif key in LIST_KEYS:
            ok = scalar or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        else:
            ok = scalar
        if not ok:
            problems.append(_error(i, key, _("%(name)s: expected a single value.", name=key)))
            continue
        raw[key] = value
    if "quantities" in raw and any(
        raw.get(f"{k}_{n}") not in (None, "") for k in ("quantity", "unit") for n in (1, 2, 3)
    ):
        problems.append(
            _error(
                i,
                "quantities",
                _("Give the quantities either as a quantities list or as quantity_N/unit_N."),
            )
        )
    return raw, problems


def import_rows(
    scope: Scope,
    p: Participation,
    rows: Sequence[Any],
    *,
    dry_run: bool,
    limits: Limits | None = None,
) -> tuple[Outcome, ImportBatch | None]:
    """The API's bulk import: the same checks and plan as an upload; unless ``dry_run``, all
    rows written in the caller's transaction (rolled back on any error). Idempotent by national
    reference: sending the same rows again changes nothing and records no batch."""
    reports.ensure_editable(scope, p)
    limits = limits or Limits.from_config()
    if len(rows) > limits.max_rows:
        raise DomainError(
            _("Send at most %(max)d rows per call.", max=limits.max_rows), field="rows"
        )
    batch: ImportBatch | None = None

    def batch_id() -> int:
        nonlocal batch
        if batch is None:
            batch = ImportBatch(
                participation_id=p.id,
                source=RecordSource.API,
                filename="",
                file_format="json",
                sha256=hashlib.sha256(
                    json.dumps(rows, sort_keys=True, default=str).encode()
                ).hexdigest(),
                status=ImportStatus.APPLIED,
                created_by_id=scope.user.id,
                applied_at=datetime.now(UTC),
                errors=[],
            )
            db.session.add(batch)
            db.session.flush()
        return batch.id

    writer = None if dry_run else Writer(scope, p, RecordSource.API, batch_id)
    run = Run(p, Catalog.load(p.operation), limits, writer=writer, keep_items=len(rows))
    try:
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, Mapping):
                run.error(i, None, _("Row %(row)d: expected an object.", row=i))
                continue
            raw, problems = _row_problems(i, row)
            run.feed(i, raw, problems)
        outcome = run.finish()
        if not outcome.ok:
            db.session.rollback()
            return outcome, None
        if batch is not None:
            _fill(batch, outcome)
            audit.record(
                scope.user,
                "import.apply",
                "import_batch",
                batch.id,
                after=_batch_facts(batch, outcome),
                operation_id=p.operation_id,
                country_iso3=p.country_iso3,
            )
            db.session.flush()
    except BaseException:
        db.session.rollback()
        raise
    return outcome, batch
