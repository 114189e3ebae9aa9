from __future__ import annotations

from typing import Any

from flask import jsonify

from opsplanner.api import api_bp, api_error
from opsplanner.api.common import api_user
from opsplanner.extensions import db
from opsplanner.models import Job, Role
from opsplanner.views.jobs import job_status


@api_bp.get("/jobs/<int:job_id>")
def job(job_id: int) -> Any:
    user = api_user()
    j = db.session.get(Job, job_id)
    if j is None or (user.role is not Role.ORGANISER and j.requested_by_id != user.id):
        return api_error(404, "not found")
    return jsonify(job_status(j))
