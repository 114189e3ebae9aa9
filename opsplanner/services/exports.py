"""Exports that run as background jobs: the participation list of an operation."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import Job, Operation, Participation, User
from opsplanner.services import jobs
from opsplanner.services.jobs import PermanentJobError, ProgressFn, job_handler
from opsplanner.services.tabular import write_csv, write_xlsx

PARTICIPATION_EXPORT = "participation_export"
PARTICIPATION_HEADER = (
    "ISO3",
    "Country",
    "M49 region",
    "M49 sub-region",
    "Coordinating network",
    "Status",
    "Invited at (UTC)",
    "Responded at (UTC)",
    "Focal points",
)


def _participations(operation_id: int) -> list[Participation]:
    return list(
        db.session.scalars(
            select(Participation)
            .where(Participation.operation_id == operation_id)
            .options(
                selectinload(Participation.country),
                selectinload(Participation.network),
                selectinload(Participation.focal_points),
            )
            .order_by(Participation.country_iso3)
        )
    )


def _row(p: Participation) -> tuple[Any, ...]:
    return (
        p.country_iso3,
        p.country.name,
        p.country.region or "",
        p.country.subregion or "",
        p.network.acronym if p.network else "",
        str(p.status),
        p.invited_at.strftime("%Y-%m-%d %H:%M"),
        p.responded_at.strftime("%Y-%m-%d %H:%M") if p.responded_at else "",
        "; ".join(f"{u.name} <{u.email}>" for u in p.focal_points),
    )


def participation_data_version(operation_id: int) -> str:
    """A digest of what the export would contain: unchanged data reuses the finished job."""
    digest = hashlib.sha256()
    for p in _participations(operation_id):
        digest.update(repr(_row(p)).encode())
    return digest.hexdigest()[:16]


def request_participation_export(operation: Operation, by: User) -> Job:
    version = participation_data_version(operation.id)
    return jobs.enqueue(
        PARTICIPATION_EXPORT,
        key=f"op{operation.id}:{version}",
        params={"operation_id": operation.id, "data_version": version},
        requested_by=by,
    )


@job_handler(PARTICIPATION_EXPORT)
def build_participation_export(job: Job, progress: ProgressFn) -> dict[str, Any]:
    operation = db.session.get(Operation, job.params.get("operation_id"))
    if operation is None:
        raise PermanentJobError("the operation no longer exists")
    progress(5, "reading participations")
    rows = [_row(p) for p in _participations(operation.id)]
    slug = operation.code_name.lower().replace(" ", "-")
    with jobs.atomic_output(job) as folder:
        csv_name, xlsx_name = f"{slug}-participations.csv", f"{slug}-participations.xlsx"
        progress(40, "writing CSV")
        n_csv = write_csv(folder / csv_name, PARTICIPATION_HEADER, rows)
        progress(70, "writing XLSX")
        n_xlsx = write_xlsx(folder / xlsx_name, "Participations", PARTICIPATION_HEADER, rows)
    if not n_csv == n_xlsx == len(rows):
        raise RuntimeError(f"row count mismatch: {len(rows)} read, {n_csv}/{n_xlsx} written")
    return {
        "operation_id": operation.id,
        "rows": len(rows),
        "data_version": job.params.get("data_version"),
        "files": [{"name": csv_name, "rows": n_csv}, {"name": xlsx_name, "rows": n_xlsx}],
    }
