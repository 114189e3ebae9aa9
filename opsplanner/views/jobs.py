"""Background jobs: a page with live progress, a JSON status to poll, and the outputs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, send_file
from flask_login import current_user, login_required

from opsplanner.extensions import db
from opsplanner.models import Job, Role
from opsplanner.services import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def job_or_404(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    # A job belongs to whoever asked for it; organisers see all of them.
    if job is None or (
        current_user.role is not Role.ORGANISER and job.requested_by_id != current_user.id
    ):
        abort(404)
    return job


def job_status(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": str(job.status),
        "progress": job.progress,
        "message": job.progress_message,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "error": job.error,
        "finished": job.is_finished,
        "files": (job.result or {}).get("files", []) if job.status == "succeeded" else [],
    }


@bp.route("/<int:job_id>")
@login_required
def detail(job_id: int) -> Any:
    job = job_or_404(job_id)
    return render_template("jobs/detail.html", job=job, status=job_status(job))


@bp.route("/<int:job_id>/status")
@login_required
def status(job_id: int) -> Any:
    return jsonify(job_status(job_or_404(job_id)))


@bp.route("/<int:job_id>/files/<path:name>")
@login_required
def download(job_id: int, name: str) -> Any:
    job = job_or_404(job_id)
    path = jobs.result_file(job, name)
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=name)
