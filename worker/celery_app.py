"""The Celery entry point: ``celery -A worker.celery_app worker``."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init

from opsplanner import create_app
from opsplanner.extensions import db

flask_app = create_app()
celery = flask_app.extensions["celery"]

from worker import tasks  # noqa: E402, F401 - registers the tasks


@worker_process_init.connect
def _dispose_engine_after_fork(**_: Any) -> None:
    # A forked child must not share the parent's pooled connections.
    with flask_app.app_context():
        db.engine.dispose(close=False)
