"""The results export, as a background job (``results_export``) that writes CSV and XLSX
through the formula-neutralising writers of ``services/tabular.py``.

What a file holds depends on who asked, decided again when the job runs (through the same
``Scope`` as the pages):

- organisers, coordinators and focal points get the seizure rows of the countries they may see
  (ISO3, the template's columns from ``seizure_fields.to_row`` so that a file can be uploaded
  again, the report's status and the record's source), and the national results of those
  countries;
- communications staff get aggregates only: per commodity and unit, the total quantity and the
  number of seizures, from submitted reports, without sensitive seizures and without any
  country; and the national results summed over the operation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    CountryReport,
    Job,
    Operation,
    Participation,
    ParticipationStatus,
    ReportStatus,
    Seizure,
    SeizureQuantity,
    User,
)
from opsplanner.services import audit, completeness, jobs
from opsplanner.services.errors import NotFound
from opsplanner.services.jobs import PermanentJobError, ProgressFn, job_handler
from opsplanner.services.reports import COUNT_FIELDS
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import FIELD_NAMES, Catalog, to_row
from opsplanner.services.tabular import write_csv, write_xlsx

RESULTS_EXPORT = "results_export"

SEIZURE_HEADER = ("country", *FIELD_NAMES, "report_status", "source")
NATIONAL_HEADER = (
    "country",
    "country_name",
    "network",
    "participation_status",
    "report_status",
    "first_submitted_at_utc",
    "on_time",
    *COUNT_FIELDS,
    "suspects_by_nationality",
    "assets_seized_amount",
    "assets_seized_currency",
    "consent_to_be_named",
    "notes",
    "return_comment",
)
AGGREGATE_HEADER = (
    "commodity",
    "commodity_name",
    "unit",
    "total_quantity",
    "seizures_with_this_unit",
    "seizures_of_the_commodity",
)
NATIONAL_TOTALS_HEADER = ("figure", "total")


def audience(scope: Scope) -> str:
    """``rows`` for the roles that see country detail, ``aggregate`` for communications."""
    return "rows" if scope.sees_country_detail else "aggregate"


def _participations(op: Operation, scope: Scope) -> list[Participation]:
    return list(
        db.session.scalars(
            scope.participations(op).options(selectinload(Participation.focal_points))
        ).unique()
    )


def data_version(op: Operation, scope: Scope) -> str:
    """A digest of what this viewer's export would contain: unchanged data reuses the job."""
    digest = hashlib.sha256()
    digest.update(f"{scope.role}:{scope.user.country_iso3}:{scope.user.network_id}".encode())
    if scope.sees_country_detail:
        participations = _participations(op, scope)
        digest.update(repr(sorted((p.id, p.status.value) for p in participations)).encode())
        ids = [p.id for p in participations]
    else:
        ids = list(
            db.session.scalars(select(Participation.id).where(Participation.operation_id == op.id))
        )
    if ids:
        for query in (
            select(CountryReport.id, CountryReport.version)
            .where(CountryReport.participation_id.in_(ids))
            .order_by(CountryReport.id),
            select(Seizure.id, Seizure.version)
            .where(Seizure.participation_id.in_(ids))
            .order_by(Seizure.id),
        ):
            digest.update(repr([tuple(row) for row in db.session.execute(query)]).encode())
    return digest.hexdigest()[:16]


def request_results_export(op: Operation, by: User) -> Job:
    """Queue (or reuse) the export of ``op``'s results as ``by`` may see them."""
    scope = Scope(by)
    version = data_version(op, scope)
    kind = audience(scope)
    audit.record(
        by,
        "results.export",
        "operation",
        op.id,
        after={"content": kind},
        operation_id=op.id,
    )
    return jobs.enqueue(
        RESULTS_EXPORT,
        key=f"op{op.id}:u{by.id}:{kind}:{version}",
        params={"operation_id": op.id, "data_version": version, "content": kind},
        requested_by=by,
    )


# -- the rows ------------------------------------------------------------------------------------
def seizure_rows(op: Operation, participations: list[Participation]) -> Iterator[list[Any]]:
    catalog = Catalog.load(op)
    ids = [p.id for p in participations]
    reports = completeness.reports_of(ids)
    for p in sorted(participations, key=lambda p: p.country_iso3):
        report = reports.get(p.id)
        status = report.status.value if report else ReportStatus.DRAFT.value
        query = (
            select(Seizure)
            .where(Seizure.participation_id == p.id)
            .options(selectinload(Seizure.quantities))
            .order_by(Seizure.seized_on, Seizure.id)
            .execution_options(yield_per=500)
        )
        for s in db.session.scalars(query):
            row = to_row(s, catalog.species_names, catalog.rank_by_priority)
            yield [p.country_iso3, *(row[name] for name in FIELD_NAMES), status, s.source.value]


def national_rows(op: Operation, participations: list[Participation]) -> list[list[Any]]:
    reports = completeness.reports_of([p.id for p in participations])
    rows: list[list[Any]] = []
    for p in sorted(participations, key=lambda p: p.country_iso3):
        if p.status is not ParticipationStatus.CONFIRMED and p.id not in reports:
            continue
        r = reports.get(p.id)
        first = r.first_submitted_at if r else None
        rows.append(
            [
                p.country_iso3,
                p.country.name,
                p.network.acronym if p.network else "",
                p.status.value,
                r.status.value if r else ReportStatus.DRAFT.value,
                first.strftime("%Y-%m-%d %H:%M") if first else "",
                "yes" if completeness.is_on_time(r, op.reporting_deadline) else "no",
                *(getattr(r, f) if r else 0 for f in COUNT_FIELDS),
                " ".join(f"{k}:{v}" for k, v in sorted((r.suspects_by_nationality or {}).items()))
                if r
                else "",
                _number(r.assets_seized_amount) if r else "",
                r.assets_seized_currency if r else "",
                "yes" if r and r.consent_to_be_named else "no",
                r.notes if r else "",
                r.return_comment if r and r.status is ReportStatus.RETURNED else "",
            ]
        )
    return rows


def aggregate_rows(summary: completeness.Summary) -> list[list[Any]]:
    """Per commodity and unit; a seizure with quantities in two units counts in both rows."""
    ids_by_unit = _seizures_per_unit(summary)
    rows: list[list[Any]] = []
    for line in summary.commodities:
        if not line.quantities:
            rows.append([line.commodity, line.label, "", "", 0, line.seizures])
        for unit, amount in line.quantities.items():
            rows.append(
                [
                    line.commodity,
                    line.label,
                    unit,
                    _number(amount),
                    ids_by_unit.get((line.commodity, unit), 0),
                    line.seizures,
                ]
            )
    return rows


def _seizures_per_unit(summary: completeness.Summary) -> dict[tuple[str, str], int]:
    reported = completeness.reported_participation_ids(summary.operation)
    if not reported:
        return {}
    return {
        (commodity, unit): n
        for commodity, unit, n in db.session.execute(
            select(Seizure.commodity, SeizureQuantity.unit, func.count(Seizure.id))
            .join(SeizureQuantity, SeizureQuantity.seizure_id == Seizure.id)
            .where(Seizure.participation_id.in_(reported), Seizure.sensitive.is_(False))
            .group_by(Seizure.commodity, SeizureQuantity.unit)
        )
    }


def national_total_rows(summary: completeness.Summary) -> list[list[Any]]:
    return [
        ["countries_expected", summary.expected],
        ["countries_reported", summary.reported],
        ["countries_with_seizures", summary.countries_with_seizures],
        ["seizures", summary.seizures],
        *([name, summary.national[name]] for name in COUNT_FIELDS),
    ]


def _number(amount: Decimal | None) -> Any:
    if amount is None:
        return ""
    return Decimal(completeness.format_total(amount))


# -- the job -------------------------------------------------------------------------------------
@job_handler(RESULTS_EXPORT)
def build_results_export(job: Job, progress: ProgressFn) -> dict[str, Any]:
    user = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
    if user is None or not user.active:
        raise PermanentJobError("the account that asked for the export is gone or disabled")
    scope = Scope(user)
    try:
        op = scope.operation_or_404(int(job.params.get("operation_id", 0)))
    except NotFound:
        raise PermanentJobError("the operation no longer exists or is out of scope") from None
    slug = re.sub(r"[^a-z0-9]+", "-", op.code_name.lower()).strip("-") or f"operation-{op.id}"
    kind = audience(scope)
    tables: list[tuple[str, str, tuple[str, ...], Any]] = []  # file stem, sheet, header, rows
    if kind == "rows":
        progress(5, "reading the countries in scope")
        participations = _participations(op, scope)
        # a generator per file: 164,000 rows are streamed, never held twice
        tables += [
            ("seizures", "Seizures", SEIZURE_HEADER, lambda: seizure_rows(op, participations)),
            (
                "national-results",
                "National results",
                NATIONAL_HEADER,
                lambda: national_rows(op, participations),
            ),
        ]
    else:
        progress(5, "adding up non-sensitive seizures")
        summary = completeness.summary(op)
        tables += [
            (
                "summary-seizures",
                "Seizures by commodity",
                AGGREGATE_HEADER,
                lambda: aggregate_rows(summary),
            ),
            (
                "summary-national",
                "National results",
                NATIONAL_TOTALS_HEADER,
                lambda: national_total_rows(summary),
            ),
        ]
    files: list[dict[str, Any]] = []
    with jobs.atomic_output(job) as folder:
        for i, (stem, sheet, header, rows) in enumerate(tables):
            csv_name, xlsx_name = f"{slug}-{stem}.csv", f"{slug}-{stem}.xlsx"
            progress(10 + 80 * i // len(tables), f"writing {stem}")
            n_csv = write_csv(folder / csv_name, header, rows())
            n_xlsx = write_xlsx(folder / xlsx_name, sheet, header, rows())
            if n_csv != n_xlsx:
                raise RuntimeError(f"{stem}: {n_csv} CSV rows but {n_xlsx} XLSX rows")
            files += [{"name": csv_name, "rows": n_csv}, {"name": xlsx_name, "rows": n_xlsx}]
    return {
        "operation_id": op.id,
        "content": kind,
        "rows": files[0]["rows"],
        "data_version": job.params.get("data_version"),
        "files": files,
    }
