"""Writing tables to CSV and XLSX safely: cells that a spreadsheet would run as a formula are
neutralised, and XLSX text cells are typed as strings."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix text that starts like a formula with an apostrophe (OWASP CSV injection advice).
    Numbers stay numbers: a negative quantity is data, not a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    # utf-8-sig so that spreadsheet programs detect the encoding of names like Côte d'Ivoire.
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else neutralise(v) for v in row])
            count += 1
    return count


def write_xlsx(
    path: Path, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title[:31])
    ws.append(list(header))
    count = 0
    for row in rows:
        ws.append([xlsx_value(ws, v) for v in row])
        count += 1
    wb.save(path)
    return count


def xlsx_value(ws: Any, value: Any) -> Any:
    """A value for a write-only sheet's row: text is neutralised, and always stays text.

    openpyxl types a plain string by its look: "=..." as a formula (neutralised text never
    starts with "="), "#N/A" and the other error codes as errors. Only those get an explicit
    text cell; a cell object per string would cost a quarter of the writing time."""
    if isinstance(value, str):
        value = neutralise(value)
        if value in ERROR_CODES:
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            return cell
    return value
