"""opsplanner: plan, track and publish ICCWC's coordinated global wildlife-enforcement
operations."""

from __future__ import annotations

from typing import Any

from flask import Flask

from opsplanner.config import BASE_DIR, Config


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` is a Config object, or a dict of overrides on the defaults."""
    if isinstance(config, Config):
        cfg = config
    else:
        cfg = Config()
        for key, value in (config or {}).items():
            setattr(cfg, key, value)
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=cfg.INSTANCE_DIR,
    )
    app.config.from_object(cfg)

    from opsplanner import models  # noqa: F401 - registers the tables on the metadata
    from opsplanner.celery_setup import celery_init_app
    from opsplanner.cli import register_commands
    from opsplanner.security import register_security
    from opsplanner.services import exports  # noqa: F401 - registers the job handlers
    from opsplanner.web import register_blueprints, register_error_handlers, register_extensions

    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    celery_init_app(app)
    return app
