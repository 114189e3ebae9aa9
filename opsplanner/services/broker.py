"""Housekeeping for kombu's SQL transport, which never deletes consumed messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import create_engine, inspect, text


def delete_consumed_messages(older_than: timedelta = timedelta(hours=1)) -> int:
    url = current_app.config["CELERY_BROKER_URL"]
    if not url.startswith("sqla+"):
        return 0
    engine = create_engine(url.removeprefix("sqla+"))
    try:
        if not inspect(engine).has_table("kombu_message"):
            return 0
        # kombu stamps a message with naive local time when it is consumed (onupdate).
        cutoff = datetime.now() - older_than
        with engine.begin() as conn:
            result = conn.execute(
                text("DELETE FROM kombu_message WHERE visible = :false AND timestamp < :cutoff"),
                {"false": False, "cutoff": cutoff},
            )
        return result.rowcount or 0
    finally:
        engine.dispose()
