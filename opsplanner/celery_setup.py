"""Celery bound to the Flask app (the Flask docs' ``celery_init_app`` pattern).

Embedded mode uses kombu's SQL transport on its own SQLite file; scaled mode uses Redis with the
settings that keep a message through a worker crash. Either way the job table, not the broker,
is the source of truth, and the reconciler re-sends what a transport loses.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery, Task
from flask import Flask

# Long enough for the longest task (a full publication pack) with room to spare; Redis
# redelivers an unacknowledged message only after this.
VISIBILITY_TIMEOUT = 2 * 60 * 60


def celery_config(app: Flask) -> dict[str, Any]:
    broker = app.config["CELERY_BROKER_URL"]
    config: dict[str, Any] = {
        "broker_url": broker,
        "task_ignore_result": True,
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": app.config["CELERY_QUEUE"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": 55 * 60,
        "task_time_limit": 60 * 60,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 5,
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": {
            "reconcile-jobs": {
                "task": "opsplanner.reconcile_jobs",
                "schedule": timedelta(seconds=app.config["RECONCILE_INTERVAL_SECONDS"]),
            },
            "clean-broker": {
                "task": "opsplanner.clean_broker",
                "schedule": timedelta(hours=1),
            },
            # Network information sheets older than six months: remind their coordinators.
            "remind-stale-sheets": {
                "task": "opsplanner.remind_stale_sheets",
                "schedule": timedelta(hours=24),
            },
            # Countries whose results are not in as the deadline nears (7 days, 2 days, overdue).
            "remind-report-deadlines": {
                "task": "opsplanner.remind_report_deadlines",
                "schedule": timedelta(hours=24),
            },
            # Respondents whose evaluation answers are not in (7 days, 2 days, overdue).
            "remind-evaluation-deadlines": {
                "task": "opsplanner.remind_evaluation_deadlines",
                "schedule": timedelta(hours=24),
            },
        },
        "task_always_eager": app.config.get("CELERY_TASK_ALWAYS_EAGER", False),
    }
    if broker.startswith("sqla+"):
        # Options given here reach kombu's create_engine for the broker database.
        config["broker_transport_options"] = {"connect_args": {"timeout": 30}}
    else:
        config["broker_transport_options"] = {"visibility_timeout": VISIBILITY_TIMEOUT}
        config["result_backend_transport_options"] = {"visibility_timeout": VISIBILITY_TIMEOUT}
        config["visibility_timeout"] = VISIBILITY_TIMEOUT
    return config


def _speed_up_sql_transport() -> None:
    # The SQL transport polls once a second by default; a lower class attribute is the
    # supported knob (a transport option of that name is passed on to create_engine and fails).
    from kombu.transport import sqlalchemy as kombu_sqla

    kombu_sqla.Transport.polling_interval = 0.2


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(app))
    if app.config["CELERY_BROKER_URL"].startswith("sqla+"):
        _speed_up_sql_transport()
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
