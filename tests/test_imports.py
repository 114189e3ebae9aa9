"""Spreadsheet uploads of seizures: the template (drop-downs, allowed values, species), CSV and
XLSX files checked in full with every problem named by row and column, nothing written until
the preview is applied, the apply in one transaction (atomic, idempotent, with history), and
the files refused before they are parsed (size, rows, encoding, zip bombs, macros, damage)."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
import openpyxl.xml
import pytest
from sqlalchemy import delete, func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    ImportBatch,
    ImportStatus,
    Participation,
    Priority,
    RecordSource,
    Seizure,
)
from opsplanner.services import imports, reports, seizures
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import FIELD_NAMES, Catalog, parse, to_row
from tests.conftest import csrf_token, location_path, seizure_row, signed_in


# -- helpers ------------------------------------------------------------------------------------
def fresh() -> None:
    db.session.commit()  # end the test's transaction: see what the requests committed


def participation(op_id: int, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op_id, Participation.country_iso3 == iso3
        )
    )


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def rows(n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [seizure_row(national_reference=f"TH-UP-{i:03d}", **overrides) for i in range(1, n + 1)]


def csv_bytes(
    data: list[dict[str, Any]],
    *,
    header: list[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    header = header or list(FIELD_NAMES)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in data:
        writer.writerow([row.get(name, "") for name in header])
    return out.getvalue().encode(encoding)


def state() -> tuple[int, int, dict[str, int]]:
    """Seizures, quantities and import batches by status: what an upload may have written."""
    fresh()
    from opsplanner.models import SeizureQuantity

    batches = dict(
        db.session.execute(
            select(ImportBatch.status, func.count()).group_by(ImportBatch.status)
        ).all()
    )
    return (
        db.session.scalar(select(func.count()).select_from(Seizure)),
        db.session.scalar(select(func.count()).select_from(SeizureQuantity)),
        {str(k): v for k, v in batches.items()},
    )


def upload_url(op_id: int, iso3: str = "THA") -> str:
    return f"/operations/{op_id}/results/{iso3}/upload"


def send(client: Any, op_id: int, content: bytes, filename: str, iso3: str = "THA") -> Any:
    url = upload_url(op_id, iso3)
    token = csrf_token(client, url)
    return client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def batch_from(response: Any) -> ImportBatch:
    assert response.status_code == 302, response.status_code
    match = re.search(r"/upload/(\d+)$", location_path(response))
    assert match, location_path(response)
    fresh()
    return db.session.get(ImportBatch, int(match.group(1)))


def confirm(client: Any, op_id: int, batch_id: int, iso3: str = "THA") -> Any:
    url = f"/operations/{op_id}/results/{iso3}/upload/{batch_id}"
    token = csrf_token(client, url)
    return client.post(url + "/confirm", data={"csrf_token": token})


def messages(batch: ImportBatch) -> list[str]:
    return [e["message"] for e in batch.errors]


def by_reference(reference: str) -> Seizure:
    fresh()
    return db.session.scalar(select(Seizure).where(Seizure.national_reference == reference))


@pytest.fixture
def fp(app: Any, users: Any, reporting: Any) -> Any:
    return signed_in(app, "fp_tha@test.example")


def workbook_from_template(client: Any, op_id: int) -> openpyxl.Workbook:
    response = client.get(f"/operations/{op_id}/results/template.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def xlsx_bytes(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fill(ws: Any, data: list[dict[str, Any]], start: int = 2) -> None:
    header = [c.value for c in ws[1]]
    for r, row in enumerate(data, start=start):
        for c, name in enumerate(header, start=1):
            if name in row:
                ws.cell(row=r, column=c, value=row[name])


# -- the template -------------------------------------------------------------------------------
def test_openpyxl_parses_xml_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def test_the_xlsx_template_has_drop_downs_allowed_values_and_species(app, reporting, fp):
    wb = workbook_from_template(fp, reporting.id)
    assert wb.sheetnames == ["Seizures", "Instructions", "Allowed values", "Species"]
    ws = wb["Seizures"]
    header = [c.value for c in ws[1]]
    assert header == list(FIELD_NAMES)
    assert ws.freeze_panes == "A2"
    column = {name: openpyxl.utils.get_column_letter(i) for i, name in enumerate(header, 1)}
    assert "Date of seizure" in ws[f"{column['seized_on']}1"].comment.text
    assert "Required" in ws[f"{column['national_reference']}1"].comment.text

    lists = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            lists[rng.split(":")[0].rstrip("0123456789")] = dv
    for name in (
        "agency",
        "detection_method",
        "commodity",
        "unit_1",
        "unit_2",
        "unit_3",
        "conveyance",
        "online_linked",
        "sensitive",
        "publishable",
        "priority",
        "species",
    ):
        dv = lists[column[name]]
        assert dv.type == "list", name
    assert lists[column["species"]].formula1.startswith("'Species'!$A$2")
    assert lists[column["seized_on"]].type == "date"
    assert lists[column["quantity_1"]].type == "decimal"
    assert lists[column["suspects"]].type == "whole"

    allowed = list(wb["Allowed values"].iter_rows(min_row=2, values_only=True))
    values = {(field, code): label for field, code, label in allowed}
    assert values[("agency", "customs")]
    assert values[("detection_method", "xray_scanner")] == "X-ray or scanner"
    assert values[("commodity", "pangolin_scales")]
    assert values[("unit_1, unit_2, unit_3", "kg")]
    assert values[("conveyance", "air_cargo")]
    assert ("online_linked, sensitive, publishable", "yes") in values
    assert values[("priority", "1 - Ivory")] and ("priority", "2 - Pangolin scales") in values
    assert values[("origin, transit, destination", "KEN")] == "Kenya"
    # each drop-down points at its own block of codes
    agency = lists[column["agency"]].formula1
    first, last = (int(n) for n in re.findall(r"\$B\$(\d+)", agency))
    assert {r[0] for r in allowed[first - 2 : last - 1]} == {"agency"}

    species = {row[0]: row for row in wb["Species"].iter_rows(min_row=2, values_only=True)}
    assert species["Manis javanica"][1:] == ("Sunda pangolin", "I", "mammals")
    assert wb["Instructions"]["A1"].value.startswith("Seizures of Operation Test Shield")


def test_the_csv_template_is_the_header_row_in_utf8(app, reporting, fp):
    response = fp.get(f"/operations/{reporting.id}/results/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.data.decode("utf-8-sig").strip() == ",".join(FIELD_NAMES)
    assert "seizures-template-operation-test-shield.csv" in response.headers["Content-Disposition"]


def test_communications_get_no_template(app, users, reporting):
    comms = signed_in(app, "comms@test.example")
    assert comms.get(f"/operations/{reporting.id}/results/template.xlsx").status_code == 404


# -- a valid upload -------------------------------------------------------------------------------
def test_a_csv_is_previewed_then_applied_in_one_go(app, users, reporting, fp):
    op = reporting.id
    content = csv_bytes(rows(3))
    response = send(fp, op, content, "seizures.csv")
    batch = batch_from(response)
    assert batch.status is ImportStatus.PREVIEWED
    assert (batch.rows_total, batch.rows_created, batch.rows_updated) == (3, 3, 0)
    assert batch.filename == "seizures.csv" and batch.file_format == "csv"
    assert len(batch.sha256) == 64
    assert imports.stored_path(batch).read_bytes() == content
    assert state()[0] == 0  # nothing written before the confirmation

    page = text(fp.get(location_path(response)))
    assert "TH-UP-001" in page and "Suvarnabhumi Airport cargo terminal" in page
    assert re.search(r'id="count-created">3<', page)

    applied = confirm(fp, op, batch.id)
    assert applied.status_code == 302
    assert state()[:2] == (3, 3)
    s = by_reference("TH-UP-002")
    assert s.source is RecordSource.UPLOAD and s.import_batch_id == batch.id
    assert [(q.amount, q.unit) for q in s.quantities] == [(Decimal("120.5"), "kg")]
    assert s.transit_codes == ["ETH", "ARE"] and s.created_by_id == users["fp_tha"].id
    db.session.refresh(batch)
    assert batch.status is ImportStatus.APPLIED and batch.applied_at is not None
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.apply"))
    assert event.object_id == str(batch.id) and event.country_iso3 == "THA"
    assert event.after["rows_created"] == 3 and event.after["sha256"] == batch.sha256
    assert event.after["filename"] == "seizures.csv"
    # applying twice is refused
    again = confirm(fp, op, batch.id)
    assert again.status_code == 302
    assert "only a previewed upload" in text(fp.get(location_path(again)))
    assert state()[:2] == (3, 3)


def test_an_xlsx_made_from_the_template_is_imported(app, reporting, fp):
    op = reporting.id
    wb = workbook_from_template(fp, op)
    data = rows(
        2, quantity_1=0.1 + 0.2, unit_1="kg", suspects=3, arrests=1, priority="2 - Pangolin scales"
    )
    data[0]["seized_on"] = datetime(2027, 2, 3, 14, 30)  # a date cell
    data[1]["seized_on"] = "2027-02-04"
    data[1]["national_reference"] = 20270204  # a number typed as the reference
    fill(wb["Seizures"], data)
    batch = batch_from(send(fp, op, xlsx_bytes(wb), "seizures.xlsx"))
    assert batch.status is ImportStatus.PREVIEWED, batch.errors
    assert batch.file_format == "xlsx" and batch.rows_created == 2
    assert confirm(fp, op, batch.id).status_code == 302
    first = by_reference("TH-UP-001")
    assert first.seized_on.isoformat() == "2027-02-03"
    assert [(q.amount, q.unit) for q in first.quantities] == [(Decimal("0.3"), "kg")]
    assert first.priority.rank == 2 and first.suspects == 3
    assert by_reference("20270204").seized_on.isoformat() == "2027-02-04"


def test_labels_and_any_case_are_accepted_as_column_names(app, reporting, fp):
    header = [name.upper() for name in FIELD_NAMES]
    header[FIELD_NAMES.index("seized_on")] = " Date of seizure "
    header[FIELD_NAMES.index("national_reference")] = "national reference"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerow([seizure_row().get(name, "") for name in FIELD_NAMES])
    batch = batch_from(send(fp, reporting.id, out.getvalue().encode(), "upper.csv"))
    assert batch.status is ImportStatus.PREVIEWED, batch.errors


def test_a_semicolon_file_with_decimal_commas_is_read_as_european(app, reporting, fp):
    content = csv_bytes(rows(1, quantity_1="12,5"), delimiter=";")
    batch = batch_from(send(fp, reporting.id, content, "europe.csv"))
    assert batch.status is ImportStatus.PREVIEWED, batch.errors
    confirm(fp, reporting.id, batch.id)
    [q] = by_reference("TH-UP-001").quantities
    assert q.amount == Decimal("12.5")


def test_a_tab_separated_file_is_read(app, reporting, fp):
    batch = batch_from(send(fp, reporting.id, csv_bytes(rows(2), delimiter="\t"), "tabs.txt"))
    assert batch.status is ImportStatus.PREVIEWED, batch.errors


def test_utf8_with_a_byte_order_mark_is_accepted(app, reporting, fp):
    content = csv_bytes(rows(1, place="Côte d'Ivoire border post"), encoding="utf-8-sig")
    assert content.startswith(b"\xef\xbb\xbf")
    batch = batch_from(send(fp, reporting.id, content, "bom.csv"))
    assert batch.status is ImportStatus.PREVIEWED, batch.errors
    confirm(fp, reporting.id, batch.id)
    assert by_reference("TH-UP-001").place == "Côte d'Ivoire border post"


# -- refused uploads: nothing written -------------------------------------------------------------
def zip_bytes(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def valid_xlsx(client: Any, op_id: int) -> bytes:
    wb = workbook_from_template(client, op_id)
    fill(wb["Seizures"], rows(2))
    return xlsx_bytes(wb)


def with_macros(content: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 macro code"
    return zip_bytes(parts)


def zip_bomb() -> bytes:
    """A workbook whose sheet inflates from about 100 KB to 100 MB."""
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + row * (100 * 1024 * 1024 // len(row)) + b"</sheetData></worksheet>"
    )
    return zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": sheet,
        }
    )


BAD_CSV: list[tuple[str, Any, str, list[tuple[int | None, str | None, str]]]] = [
    (
        "unknown column",
        lambda: csv_bytes(rows(1), header=[*FIELD_NAMES, "suspect_name"]),
        "x.csv",
        [(1, "suspect_name", "Unknown column suspect_name (column AA)")],
    ),
    (
        "missing columns",
        lambda: csv_bytes(
            rows(1), header=[n for n in FIELD_NAMES if n not in ("seized_on", "unit_1")]
        ),
        "x.csv",
        [
            (1, "seized_on", "The required column seized_on (Date of seizure) is missing"),
            (1, "unit_1", "The required column unit_1 (Unit 1) is missing"),
        ],
    ),
    (
        "a column twice",
        lambda: csv_bytes(rows(1), header=[*FIELD_NAMES, "place"]),
        "x.csv",
        [(1, "place", "The column place appears twice (columns C and AA)")],
    ),
    (
        "bad date",
        lambda: csv_bytes([*rows(1), seizure_row(national_reference="B", seized_on="31/02/2027")]),
        "x.csv",
        [(3, "seized_on", "31/02/2027 is not a date")],
    ),
    (
        "date outside the window",
        lambda: csv_bytes(rows(1, seized_on="2027-03-01")),
        "x.csv",
        [(2, "seized_on", "2027-03-01 is outside the operation window")],
    ),
    (
        "negative quantity",
        lambda: csv_bytes(rows(1, quantity_1="-3")),
        "x.csv",
        [(2, "quantity_1", "A quantity must be more than zero (-3)")],
    ),
    (
        "missing quantity",
        lambda: csv_bytes(rows(1, quantity_1="", unit_1="")),
        "x.csv",
        [(2, "quantity_1", "Give at least one quantity with its unit")],
    ),
    (
        "unknown country code",
        lambda: csv_bytes(rows(1, origin="NGA XXZ")),
        "x.csv",
        [(2, "origin", "Unknown country code XXZ")],
    ),
    (
        "unknown species",
        lambda: csv_bytes(rows(1, species="Manis imaginaria")),
        "x.csv",
        [(2, "species", "Unknown species Manis imaginaria")],
    ),
    (
        "same reference twice",
        lambda: csv_bytes([*rows(2), seizure_row(national_reference="TH-UP-001")]),
        "x.csv",
        [(4, "national_reference", "TH-UP-001 is also on row 2")],
    ),
    (
        "a value without a header",
        lambda: csv_bytes(rows(1)).replace(b"yes\r\n", b"yes,stray\r\n"),
        "x.csv",
        [(2, "AA", "Column AA has a value but no header")],
    ),
    (
        "cp1252",
        lambda: csv_bytes(rows(2, place="Côte d'Ivoire"), encoding="cp1252"),
        "x.csv",
        [(2, None, "Line 2 (byte ")],
    ),
    (
        "utf-16",
        lambda: csv_bytes(rows(1), encoding="utf-16"),
        "x.csv",
        [(1, None, "The file is UTF-16 text")],
    ),
    (
        "utf-16 without its byte-order mark",
        lambda: csv_bytes(rows(1), encoding="utf-16-le"),
        "x.csv",
        [(1, None, "is not UTF-8 text: save the file as UTF-8")],
    ),
    ("empty file", lambda: b"", "x.csv", [(None, None, "The file is empty")]),
    (
        "header only",
        lambda: csv_bytes([]),
        "x.csv",
        [(None, None, "The file has a header row but no seizures")],
    ),
    (
        "blank lines only after the header",
        lambda: csv_bytes([]) + b"\r\n,,,\r\n\r\n",
        "x.csv",
        [(None, None, "The file has a header row but no seizures")],
    ),
    (
        "not a spreadsheet",
        lambda: b"%PDF-1.7",
        "report.pdf",
        [(None, None, "Upload the spreadsheet as .xlsx or .csv (this file is .pdf)")],
    ),
    (
        "an old .xls",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
        "old.xls",
        [(None, None, "This is an old Excel .xls file")],
    ),
    (
        "a damaged xlsx",
        lambda: b"PK\x03\x04 this is not really a zip file",
        "x.xlsx",
        [(None, None, "The file is not a readable .xlsx workbook")],
    ),
    (
        "text named .xlsx",
        lambda: csv_bytes(rows(1)),
        "x.xlsx",
        [(None, None, "The file is not a readable .xlsx workbook")],
    ),
    (
        "a zip that is not a workbook",
        lambda: zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
        "x.xlsx",
        [(None, None, "The file is not a readable .xlsx workbook")],
    ),
    (
        "a zip bomb",
        zip_bomb,
        "bomb.xlsx",
        [(None, None, "inflates")],
    ),
    (
        "an .xlsm",
        lambda: b"PK\x03\x04",
        "macros.xlsm",
        [(None, None, "The workbook contains macros")],
    ),
]


@pytest.mark.parametrize(
    "name, make, filename, expected", BAD_CSV, ids=[case[0] for case in BAD_CSV]
)
def test_a_bad_upload_is_rejected_with_its_reasons_and_writes_nothing(
    app, reporting, fp, name, make, filename, expected
):
    before = state()
    response = send(fp, reporting.id, make(), filename)
    batch = batch_from(response)
    assert batch.status is ImportStatus.REJECTED
    assert batch.error_count >= len(expected)
    for row, column, message in expected:
        assert any(
            e["row"] == row and e["column"] == column and message in e["message"]
            for e in batch.errors
        ), (name, batch.errors)
    seizures_, quantities, batches = state()
    assert (seizures_, quantities) == before[:2]
    assert batches == {**before[2], "rejected": before[2].get("rejected", 0) + 1}
    assert not list(imports.imports_dir().glob("*")), "no file kept for a rejected upload"
    page = text(fp.get(location_path(response)))
    assert "nothing was written" in page
    assert expected[0][2] in page


def test_utf8_is_decoded_across_blocks_and_a_bad_byte_is_located_exactly():
    block = imports.READ_BLOCK
    # an accented letter split across the first block boundary decodes fine
    head = b"a" * (block - 1) + "é\n".encode()
    assert "".join(imports._decoded_lines(io.BytesIO(head))) == "a" * (block - 1) + "é\n"
    # a cp1252 byte far into the file: its line and byte offset are named
    lines = [f"line {i},Côte d'Ivoire\n".encode() for i in range(1, 20001)]
    bad_line = 15000
    lines[bad_line - 1] = lines[bad_line - 1].replace("ô".encode(), b"\xf4")
    content = b"".join(lines)
    offset = content.index(b"\xf4")
    assert offset > 4 * block
    with pytest.raises(imports.FileRefused) as refused:
        for _line in imports._decoded_lines(io.BytesIO(content)):
            pass
    assert refused.value.errors[0]["row"] == bad_line
    assert f"Line {bad_line} (byte {offset}) is not UTF-8 text" in refused.value.message


def test_an_xlsx_with_errors_names_the_rows_and_columns(app, reporting, fp):
    wb = workbook_from_template(fp, reporting.id)
    data = rows(3)
    data[1]["commodity"] = "unicorn_horn"
    data[2]["suspects"] = 1
    data[2]["arrests"] = 4
    fill(wb["Seizures"], data)
    wb["Seizures"]["AD2"] = "a note"  # a value in a column without a header
    batch = batch_from(send(fp, reporting.id, xlsx_bytes(wb), "x.xlsx"))
    assert batch.status is ImportStatus.REJECTED
    found = {(e["row"], e["column"]) for e in batch.errors}
    assert found == {(2, "AD"), (3, "commodity"), (4, "arrests")}
    assert state()[0] == 0


def test_a_workbook_with_macros_is_refused_before_it_is_opened(app, reporting, fp, monkeypatch):
    content = with_macros(valid_xlsx(fp, reporting.id))
    opened = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **kw: opened.append(a))
    batch = batch_from(send(fp, reporting.id, content, "macros.xlsx"))
    assert batch.status is ImportStatus.REJECTED
    assert "The workbook contains macros" in messages(batch)[0]
    assert not opened


def test_a_zip_bomb_is_refused_by_its_declared_size(app, reporting, fp):
    app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 1024 * 1024
    content = valid_xlsx(fp, reporting.id)
    batch = batch_from(send(fp, reporting.id, content, "big.xlsx"))
    assert batch.status is ImportStatus.PREVIEWED  # a real template unpacks to under 1 MB
    app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 20 * 1024
    batch = batch_from(send(fp, reporting.id, content, "big.xlsx"))
    assert batch.status is ImportStatus.REJECTED
    assert "more than the limit of" in messages(batch)[0]


def rewrite_part(content: bytes, part: str, change: Any) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts[part] = change(parts[part])
    return zip_bytes(parts)


def test_a_wrong_declared_sheet_size_neither_drops_nor_pads_rows(app, reporting, fp):
    wb = workbook_from_template(fp, reporting.id)
    fill(wb["Seizures"], rows(5))
    sheet = "xl/worksheets/sheet1.xml"
    for ref in (b"A1:B2", b"A1:XFD1048576"):

        def resize(xml: bytes, ref: bytes = ref) -> bytes:
            assert b"<dimension " in xml
            return re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="' + ref + b'"', xml)

        content = rewrite_part(xlsx_bytes(wb), sheet, resize)
        batch = batch_from(send(fp, reporting.id, content, "sized.xlsx"))
        assert (batch.status, batch.rows_total) == (ImportStatus.PREVIEWED, 5), batch.errors


def test_a_sheet_going_on_to_its_last_row_is_refused_quickly(app, reporting, fp):
    app.config["IMPORT_MAX_ROWS"] = 100
    wb = workbook_from_template(fp, reporting.id)
    fill(wb["Seizures"], rows(2))
    wb["Seizures"].cell(row=1_048_576, column=1).font = openpyxl.styles.Font(bold=True)
    batch = batch_from(send(fp, reporting.id, xlsx_bytes(wb), "long.xlsx"))
    assert batch.status is ImportStatus.REJECTED
    assert messages(batch)[-1].startswith("The sheet goes on past row 1200, mostly empty")


def test_a_file_beyond_the_byte_limit_is_refused_saying_the_limit(app, reporting, fp):
    app.config["IMPORT_MAX_BYTES"] = 2048
    content = csv_bytes(rows(20))
    assert len(content) > 2048
    before = state()
    batch = batch_from(send(fp, reporting.id, content, "big.csv"))
    assert batch.status is ImportStatus.REJECTED
    assert "larger than the limit of 0.002 MB" in messages(batch)[0]
    assert state()[:2] == before[:2]
    # far beyond it, the request itself is refused, with the same message
    app.config["IMPORT_MAX_BYTES"] = 10
    response = send(fp, reporting.id, b"x" * (2 * 1024 * 1024), "huge.csv")
    assert response.status_code == 413
    assert "larger than the limit" in text(response)


def test_a_file_beyond_the_row_limit_is_refused_saying_the_limit(app, reporting, fp):
    app.config["IMPORT_MAX_ROWS"] = 5
    assert batch_from(send(fp, reporting.id, csv_bytes(rows(5)), "x.csv")).rows_total == 5
    batch = batch_from(send(fp, reporting.id, csv_bytes(rows(6)), "x.csv"))
    assert batch.status is ImportStatus.REJECTED
    assert batch.errors[-1]["message"].startswith("The file has more than 5 rows")
    assert batch.errors[-1]["row"] == 7


def test_errors_are_counted_in_full_and_kept_up_to_the_limit(app, reporting, fp):
    app.config["IMPORT_MAX_ERRORS_KEPT"] = 10
    batch = batch_from(send(fp, reporting.id, csv_bytes(rows(30, quantity_1="-1")), "x.csv"))
    assert batch.error_count == 30 and len(batch.errors) == 10
    page = text(fp.get(f"/operations/{reporting.id}/results/THA/upload/{batch.id}"))
    assert "30 problems found: nothing was written" in page
    assert "The first 10 of 30 problems are listed" in page


def test_no_file_is_a_form_error(app, reporting, fp):
    url = upload_url(reporting.id)
    response = fp.post(url, data={"csrf_token": csrf_token(fp, url)})
    assert response.status_code == 200
    assert "Choose the file to upload." in text(response)
    assert state()[2] == {}


# -- re-uploads, updates and history --------------------------------------------------------------
def test_the_same_file_again_changes_nothing_and_says_so(app, reporting, fp):
    op = reporting.id
    content = csv_bytes(rows(4))
    first = batch_from(send(fp, op, content, "a.csv"))
    confirm(fp, op, first.id)
    response = send(fp, op, content, "a.csv")
    again = batch_from(response)
    assert again.status is ImportStatus.PREVIEWED
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 4)
    page = text(fp.get(location_path(response)))
    assert "This very file was already applied on" in page and f"(upload #{first.id})" in page
    assert "Applying it again would change nothing." in page
    before = state()
    confirm(fp, op, again.id)
    assert state()[:2] == before[:2]
    assert by_reference("TH-UP-001").import_batch_id == first.id  # unchanged rows are left alone


def test_changed_rows_are_updated_with_their_history(app, users, reporting, fp):
    op = reporting.id
    first = batch_from(send(fp, op, csv_bytes(rows(3)), "a.csv"))
    confirm(fp, op, first.id)
    original = by_reference("TH-UP-002")
    version = original.version
    data = rows(4)
    data[1].update(quantity_1="130", unit_1="kg", quantity_2="2", unit_2="kg")  # unit twice
    batch = batch_from(send(fp, op, csv_bytes(data), "b.csv"))
    assert batch.status is ImportStatus.REJECTED
    assert (3, "unit_2") in {(e["row"], e["column"]) for e in batch.errors}
    data[1].update(quantity_2="", unit_2="", place="Laem Chabang port")
    batch = batch_from(send(fp, op, csv_bytes(data), "b.csv"))
    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (1, 1, 2)
    confirm(fp, op, batch.id)
    changed = by_reference("TH-UP-002")
    assert changed.place == "Laem Chabang port"
    assert [(q.amount, q.unit) for q in changed.quantities] == [(Decimal("130"), "kg")]
    assert changed.version == version + 1 and changed.import_batch_id == batch.id
    events = [e for e in seizures.history(changed) if e.action == "seizure.update"]
    assert len(events) == 1
    assert events[0].before == {
        "place": "Suvarnabhumi Airport cargo terminal",
        "quantities": [["120.5", "kg"]],
    }
    assert events[0].after["place"] == "Laem Chabang port"
    assert events[0].after["import_batch_id"] == batch.id
    assert events[0].actor_id == users["fp_tha"].id
    assert by_reference("TH-UP-001").version == 1


def test_an_export_re_imports_unchanged(app, users, reporting, fp):
    p = participation(reporting.id, "THA")
    scope = Scope(users["organiser"])
    catalog = Catalog.load(reporting)
    for i, extra in enumerate(
        [
            {},
            {
                "species": "",
                "species_other": "Manis sp. (unidentified)",
                "sensitive": "yes",
                "publishable": "no",
            },
            {
                "commodity": "ivory",
                "species": "Loxodonta africana",
                "quantity_1": "12.25",
                "unit_1": "kg",
                "quantity_2": "40",
                "unit_2": "pieces",
                "priority": "1",
                "origin": "KEN UGA",
                "transit": "",
                "online_linked": "yes",
            },
        ]
    ):
        data, errors = parse(seizure_row(national_reference=f"EXP-{i}", **extra), catalog)
        seizures.create(scope, p, data, errors, source=RecordSource.FORM)
    fresh()
    exported = [
        to_row(s, catalog.species_names, catalog.rank_by_priority)
        for s in db.session.scalars(seizures.of_participation(p))
    ]
    batch = batch_from(send(fp, reporting.id, csv_bytes(exported), "export.csv"))
    assert batch.status is ImportStatus.PREVIEWED, batch.errors
    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (0, 0, 3)


# -- the apply ------------------------------------------------------------------------------------
def test_the_apply_is_atomic(app, reporting, fp, monkeypatch):
    op = reporting.id
    app.config["IMPORT_CHUNK_ROWS"] = 2
    seed = batch_from(send(fp, op, csv_bytes(rows(2)), "seed.csv"))
    confirm(fp, op, seed.id)
    data = rows(7)
    data[0]["place"] = "Changed place"  # an update in the first chunk
    batch = batch_from(send(fp, op, csv_bytes(data), "x.csv"))
    assert (batch.rows_created, batch.rows_updated) == (5, 1)
    before = state()
    calls = []
    original = imports.Writer.insert

    def failing(self, creates):
        calls.append(len(creates))
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return original(self, creates)

    monkeypatch.setattr(imports.Writer, "insert", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        confirm(fp, op, batch.id)
    assert len(calls) == 2  # a chunk was written before the failure
    assert state() == before
    db.session.refresh(batch)
    assert batch.status is ImportStatus.PREVIEWED
    assert by_reference("TH-UP-001").place == "Suvarnabhumi Airport cargo terminal"
    assert not db.session.scalar(
        select(func.count())
        .where(AuditEvent.action.in_(["seizure.update", "import.apply"]))
        .where(AuditEvent.object_id != str(seed.id))
    )
    monkeypatch.setattr(imports.Writer, "insert", original)
    assert confirm(fp, op, batch.id).status_code == 302
    assert state()[0] == 7


def test_the_apply_checks_every_row_again(app, reporting, fp):
    op = reporting.id
    batch = batch_from(send(fp, op, csv_bytes(rows(3)), "x.csv"))
    assert batch.status is ImportStatus.PREVIEWED
    # the priority the rows point at is removed in the meantime
    db.session.execute(delete(Priority).where(Priority.operation_id == op, Priority.rank == 2))
    fresh()
    response = confirm(fp, op, batch.id)
    assert "nothing was written" in text(fp.get(location_path(response)))
    db.session.refresh(batch)
    assert batch.status is ImportStatus.REJECTED and batch.error_count == 3
    assert {e["column"] for e in batch.errors} == {"priority"}
    assert state()[0] == 0


def test_a_tampered_stored_file_is_not_applied(app, reporting, fp):
    batch = batch_from(send(fp, reporting.id, csv_bytes(rows(1)), "x.csv"))
    imports.stored_path(batch).write_bytes(csv_bytes(rows(2)))
    response = confirm(fp, reporting.id, batch.id)
    assert "missing or damaged" in text(fp.get(location_path(response)))
    assert state()[0] == 0


def test_a_discarded_upload_writes_nothing_and_its_file_goes(app, reporting, fp):
    op = reporting.id
    batch = batch_from(send(fp, op, csv_bytes(rows(2)), "x.csv"))
    url = f"/operations/{op}/results/THA/upload/{batch.id}"
    response = fp.post(url + "/discard", data={"csrf_token": csrf_token(fp, url)})
    assert response.status_code == 302
    db.session.refresh(batch)
    assert batch.status is ImportStatus.DISCARDED
    assert not imports.stored_path(batch).exists()
    assert "only a previewed upload" in text(fp.get(location_path(confirm(fp, op, batch.id))))
    assert state()[0] == 0


def test_a_locked_report_refuses_uploads_with_the_reason(app, users, reporting, fp):
    op = reporting.id
    batch = batch_from(send(fp, op, csv_bytes(rows(1)), "x.csv"))
    p = participation(op, "THA")
    reports.transition(Scope(users["fp_tha"]), p, "submit")
    fresh()
    page = fp.get(upload_url(op))
    assert page.status_code == 200
    body = text(page)
    assert "Uploads are closed." in body and "locked while ASEAN-WEN validates it" in body
    assert 'id="upload-form"' not in body
    before = state()
    response = fp.post(
        upload_url(op),
        data={
            "csrf_token": csrf_token(fp, "/account/"),
            "file": (io.BytesIO(csv_bytes(rows(1))), "x.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "locked while ASEAN-WEN validates it" in text(response)
    assert state() == before
    # a preview made before the submission cannot be applied now either
    preview = text(fp.get(f"/operations/{op}/results/THA/upload/{batch.id}"))
    assert 'id="confirm"' not in preview and "locked while ASEAN-WEN validates it" in preview
    response = confirm(fp, op, batch.id)
    assert "locked while ASEAN-WEN validates it" in text(fp.get(location_path(response)))
    assert state() == before


# -- who sees what ------------------------------------------------------------------------------
def test_the_upload_history_lists_the_countrys_batches(app, users, reporting, fp):
    op = reporting.id
    good = batch_from(send(fp, op, csv_bytes(rows(2)), "good.csv"))
    confirm(fp, op, good.id)
    bad = batch_from(send(fp, op, b"", "empty.csv"))
    coordinator = signed_in(app, "coord_asean@test.example")
    page = text(coordinator.get(f"/operations/{op}/results/THA/uploads"))
    assert "good.csv" in page and "empty.csv" in page and "Fp Tha" in page
    assert f'id="batch-{good.id}"' in page and f'id="batch-{bad.id}"' in page
    assert "applied" in page and "rejected" in page
    assert 'id="upload-link"' not in page  # a coordinator reads, does not upload
    # the coordinator may read a preview, not apply it
    preview = coordinator.get(f"/operations/{op}/results/THA/upload/{bad.id}")
    assert preview.status_code == 200
    assert coordinator.get(upload_url(op)).status_code == 403
    kenya = signed_in(app, "fp_ken@test.example")
    assert kenya.get(f"/operations/{op}/results/THA/uploads").status_code == 404
    assert kenya.get(f"/operations/{op}/results/KEN/upload/{good.id}").status_code == 404
