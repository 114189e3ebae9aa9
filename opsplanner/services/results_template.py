"""The spreadsheet template for reporting seizures, generated from ``seizure_fields.FIELDS``
(so the columns, drop-down lists and allowed values can never drift from the validation).

The XLSX has a "Seizures" sheet (one header row of the field names, each header cell with a
comment giving its label and help, the header frozen) with Excel drop-down lists on every
column that takes a code; an "Instructions" sheet; an "Allowed values" sheet listing every code
with its label (the drop-down lists point into it); and a "Species" sheet. Priorities differ per
operation, so the template is made per operation. The CSV template is the header row alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Country, Operation, Priority, Species
from opsplanner.services.seizure_fields import (
    COUNT_MAX,
    FIELD_NAMES,
    FIELDS,
    REQUIRED_COLUMNS,
    FieldDef,
)
from opsplanner.services.tabular import neutralise

SEIZURES_SHEET = "Seizures"
INSTRUCTIONS_SHEET = "Instructions"
ALLOWED_SHEET = "Allowed values"
SPECIES_SHEET = "Species"
LAST_ROW = 1_048_576  # Excel's last row: drop-downs apply to the whole column
HEADER_FILL = PatternFill("solid", fgColor="E6EFE9")
REQUIRED_FILL = PatternFill("solid", fgColor="C9E2D2")
YES_NO = ("yes", "no")


def required_columns() -> list[str]:
    """Columns a file must have: the template's required fields and the always-needed ones."""
    required = set(REQUIRED_COLUMNS) | {f.name for f in FIELDS if f.required}
    return [name for name in FIELD_NAMES if name in required]


def filename(op: Operation, fmt: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in op.code_name.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"seizures-template-{slug or op.id}.{fmt}"


# -- CSV ---------------------------------------------------------------------------------------
def csv_template() -> bytes:
    """The header row, UTF-8 with a byte-order mark so that Excel opens accents correctly."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(FIELD_NAMES)
    return buffer.getvalue().encode("utf-8-sig")


# -- what the lists hold -----------------------------------------------------------------------
def priority_choices(op: Operation) -> list[tuple[str, str]]:
    """("1 - Ivory", "Ivory (commodity)"): the number is what the upload reads."""
    rows = db.session.scalars(
        select(Priority).where(Priority.operation_id == op.id).order_by(Priority.rank)
    )
    return [(f"{p.rank} - {p.title}", f"{p.title} ({p.kind.value})") for p in rows]


def species_rows() -> list[tuple[str, str, str, str]]:
    return [
        (s.scientific_name, s.common_name, s.cites_appendix, s.taxon_group)
        for s in db.session.scalars(select(Species).order_by(Species.scientific_name))
    ]


def country_rows() -> list[tuple[str, str]]:
    return [
        (iso3, name)
        for iso3, name in db.session.execute(
            select(Country.iso3, Country.name).order_by(Country.iso3)
        )
    ]


def _groups(op: Operation) -> list[tuple[tuple[str, ...], list[tuple[str, str]]]]:
    """(fields, [(code, label)]) per list, in column order; the units and yes/no lists serve
    several columns."""
    groups: list[tuple[tuple[str, ...], list[tuple[str, str]]]] = []
    seen_units = False
    bools = tuple(f.name for f in FIELDS if f.kind == "bool")
    for f in FIELDS:
        if f.kind == "choice" and f.choices is not None:
            if f.name.startswith("unit_"):
                if seen_units:
                    continue
                seen_units = True
                names = tuple(g.name for g in FIELDS if g.name.startswith("unit_"))
                groups.append((names, list(f.choices().items())))
            else:
                groups.append(((f.name,), list(f.choices().items())))
        elif f.kind == "bool" and f.name == bools[0]:
            groups.append((bools, [("yes", _("Yes")), ("no", _("No"))]))
        elif f.kind == "priority":
            groups.append(((f.name,), priority_choices(op)))
    countries = tuple(f.name for f in FIELDS if f.kind == "countries")
    groups.append((countries, country_rows()))
    return groups


# -- XLSX --------------------------------------------------------------------------------------
def _text_cell(ws: Worksheet, row: int, column: int, value: Any) -> None:
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = neutralise(value)
        cell.data_type = "s"  # never a formula, whatever an organiser typed in a title
    else:
        cell.value = value


def _table(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    for column, title in enumerate(header, start=1):
        cell = ws.cell(row=1, column=column, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    count = 0
    for r, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            _text_cell(ws, r, column, value)
        count += 1
    ws.freeze_panes = "A2"
    return count


def _comment(f: FieldDef, required: bool) -> Comment:
    lines = [str(f.label)]
    if required:
        lines.append(_("Required."))
    if f.help:
        lines.append(str(f.help))
    text = "\n".join(lines)
    return Comment(text, "opsplanner", width=260, height=40 + 18 * len(lines))


def _validation(
    kind: str, sqref: str, *, formula1: str, formula2: str | None = None, **extra: Any
) -> DataValidation:
    dv = DataValidation(
        type=kind,
        formula1=formula1,
        formula2=formula2,
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=False,
        **extra,
    )
    dv.add(sqref)
    return dv


def _column_range(index: int) -> str:
    letter = get_column_letter(index)
    return f"{letter}2:{letter}{LAST_ROW}"


def xlsx_template(op: Operation) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SEIZURES_SHEET
    instructions = wb.create_sheet(INSTRUCTIONS_SHEET)
    allowed = wb.create_sheet(ALLOWED_SHEET)
    species_ws = wb.create_sheet(SPECIES_SHEET)

    # the allowed values: one block of rows per list, so each drop-down is a plain range
    allowed_header = (_("Column"), _("Value to enter"), _("Meaning"))
    ranges: dict[str, str] = {}
    rows: list[tuple[str, str, str]] = []
    for names, choices in _groups(op):
        start = len(rows) + 2
        rows.extend((", ".join(names), code, label) for code, label in choices)
        if choices:
            end = len(rows) + 1
            target = f"{quote_sheetname(ALLOWED_SHEET)}!$B${start}:$B${end}"
            for name in names:
                ranges[name] = target
    _table(allowed, allowed_header, rows)
    allowed.column_dimensions["A"].width = 34
    allowed.column_dimensions["B"].width = 34
    allowed.column_dimensions["C"].width = 60

    species = species_rows()
    _table(
        species_ws,
        (_("Scientific name"), _("Common name"), _("CITES appendix"), _("Taxon group")),
        species,
    )
    for letter, width in zip("ABCD", (36, 44, 16, 18), strict=True):
        species_ws.column_dimensions[letter].width = width
    species_range = f"{quote_sheetname(SPECIES_SHEET)}!$A$2:$A${len(species) + 1}"

    # the seizures sheet: header, comments, drop-downs
    required = set(required_columns())
    validations: list[DataValidation] = []
    for index, f in enumerate(FIELDS, start=1):
        cell = ws.cell(row=1, column=index, value=f.name)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if f.name in required else HEADER_FILL
        cell.comment = _comment(f, f.name in required)
        ws.column_dimensions[get_column_letter(index)].width = max(14, len(f.name) + 4)
        sqref = _column_range(index)
        if f.kind in ("choice", "priority", "bool") and f.name in ranges:
            validations.append(
                _validation(
                    "list",
                    sqref,
                    formula1=ranges[f.name],
                    error=_("Choose a value from the list (see the Allowed values sheet)."),
                    errorTitle=str(f.label),
                )
            )
        elif f.kind == "species" and species:
            validations.append(
                _validation(
                    "list",
                    sqref,
                    formula1=species_range,
                    errorStyle="warning",
                    error=_(
                        "Not in the Species sheet: if the taxon is not listed, leave this empty "
                        "and write it in species_other."
                    ),
                    errorTitle=str(f.label),
                )
            )
        elif f.kind == "date":
            start, end = op.window_start, op.window_end
            validations.append(
                _validation(
                    "date",
                    sqref,
                    operator="between",
                    formula1=f"DATE({start.year},{start.month},{start.day})",
                    formula2=f"DATE({end.year},{end.month},{end.day})",
                    errorStyle="warning",
                    error=_(
                        "Report seizures made during the operation window (%(start)s to %(end)s).",
                        start=start.isoformat(),
                        end=end.isoformat(),
                    ),
                    errorTitle=str(f.label),
                )
            )
            ws.column_dimensions[get_column_letter(index)].number_format = "yyyy-mm-dd"
        elif f.kind == "decimal":
            validations.append(
                _validation(
                    "decimal",
                    sqref,
                    operator="greaterThan",
                    formula1="0",
                    error=_("A quantity is a number above zero."),
                    errorTitle=str(f.label),
                )
            )
        elif f.kind == "int":
            validations.append(
                _validation(
                    "whole",
                    sqref,
                    operator="between",
                    formula1="0",
                    formula2=str(COUNT_MAX),
                    error=_("A count: a whole number from 0."),
                    errorTitle=str(f.label),
                )
            )
    for dv in validations:
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"

    _instructions(instructions, op, sorted(required, key=FIELD_NAMES.index))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _instructions(ws: Worksheet, op: Operation, required: list[str]) -> None:
    lines = [
        _("Seizures of %(operation)s", operation=op.code_name),
        "",
        _(
            "One row per seizure on the %(sheet)s sheet, below its header row. Keep the "
            "header row as it is: the upload reads the column names.",
            sheet=SEIZURES_SHEET,
        ),
        _(
            "Columns with a drop-down take a value from the %(sheet)s sheet; species take a "
            "scientific name from the %(species)s sheet.",
            sheet=ALLOWED_SHEET,
            species=SPECIES_SHEET,
        ),
        _(
            "Dates as YYYY-MM-DD, inside the operation window (%(start)s to %(end)s).",
            start=op.window_start.isoformat(),
            end=op.window_end.isoformat(),
        ),
        _(
            "Quantities: up to three, one per unit (12 kg and 40 pieces are two quantities; "
            "they are never added together)."
        ),
        _("Countries: ISO codes such as KEN or KE, several separated by spaces."),
        _(
            "The national reference is your case number: uploading a row with a reference "
            "already reported updates that seizure instead of adding one, so you can upload "
            "the same file again after correcting it."
        ),
        _("Suspects and arrests are counts: never write a name."),
        _(
            "Upload the file as .xlsx, or as CSV saved in UTF-8 (in Excel: Save as > CSV UTF-8). "
            "Nothing is written until every row is valid and you confirm the preview."
        ),
        "",
        _("Required columns: %(columns)s", columns=", ".join(required)),
        "",
    ]
    for r, line in enumerate(lines, start=1):
        _text_cell(ws, r, 1, line)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    top = len(lines) + 1
    for column, title in enumerate((_("Column"), _("Label"), _("Required"), _("Help")), start=1):
        cell = ws.cell(row=top, column=column, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for r, f in enumerate(FIELDS, start=top + 1):
        values = (f.name, str(f.label), _("yes") if f.name in required else "", str(f.help))
        for column, value in enumerate(values, start=1):
            _text_cell(ws, r, column, value)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 34
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 80
    for row in ws.iter_rows(min_row=top + 1, max_col=4):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
