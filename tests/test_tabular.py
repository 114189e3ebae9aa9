"""The safe table writer: text that looks like a formula or a spreadsheet error stays text."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from opsplanner.services.tabular import write_csv, write_xlsx

ROWS = [
    ['=HYPERLINK("http://x")', 1],
    ["#N/A", -2],
    ["#DIV/0!", 3],
    ["+44 20", 4],
    ["Côte d'Ivoire", 5],
]


def test_xlsx_text_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert write_xlsx(path, "Sheet", ["text", "n"], ROWS) == len(ROWS)
    ws = load_workbook(path).active
    cells = list(ws.iter_rows(min_row=2, values_only=False))
    assert [c[0].value for c in cells] == [
        '\'=HYPERLINK("http://x")',
        "#N/A",
        "#DIV/0!",
        "'+44 20",
        "Côte d'Ivoire",
    ]
    assert {c[0].data_type for c in cells} == {"s"}  # no formula, no error cell
    assert [c[1].value for c in cells] == [1, -2, 3, 4, 5]  # numbers stay numbers


def test_csv_neutralises_formula_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, ["text", "n"], ROWS)
    import csv

    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "1"]
    assert rows[2] == ["#N/A", "-2"]
    assert rows[4] == ["'+44 20", "4"]
