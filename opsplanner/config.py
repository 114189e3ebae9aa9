"""Configuration: safe embedded defaults, overridable from the environment.

Embedded mode (the default) keeps everything in ``instance/``: the SQLite database, the Celery
broker's own SQLite file and the exports. Scaled mode is chosen by setting ``DATABASE_URL``
(PostgreSQL) and ``REDIS_URL`` (broker and rate-limit storage).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _instance_dir() -> Path:
    return Path(os.environ.get("OPSPLANNER_INSTANCE", BASE_DIR / "instance")).resolve()


def _secret_key(instance: Path) -> str:
    """A stable secret per installation: from the environment, else a file made once."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` forms that hosting tools hand out."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    def __init__(self) -> None:
        instance = _instance_dir()
        self.INSTANCE_DIR = str(instance)
        self.SECRET_KEY = _secret_key(instance)

        database_url = os.environ.get("DATABASE_URL")
        self.SQLALCHEMY_DATABASE_URI = (
            normalise_database_url(database_url)
            if database_url
            else f"sqlite:///{instance / 'opsplanner.sqlite'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

        redis_url = os.environ.get("REDIS_URL")
        self.REDIS_URL = redis_url
        self.CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or (
            redis_url or f"sqla+sqlite:///{instance / 'broker.sqlite'}"
        )
        self.RATELIMIT_STORAGE_URI = redis_url or "memory://"
        self.EXPORT_DIR = str(Path(os.environ.get("EXPORT_DIR", instance / "exports")))

        secure = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
        self.SESSION_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_SECURE = secure
        self.PREFERRED_URL_SCHEME = "https" if secure else "http"

    # Sessions: idle timeout through the permanent-session lifetime refreshed on each request,
    # absolute timeout checked against the login time stored in the session.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "opsplanner_session"
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", 60)))
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", 12))
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    REMEMBER_COOKIE_HTTPONLY = True

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_MB", 20)) * 1024 * 1024
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token instead

    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 10 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 10 minutes")

    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "fr", "es")
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # Background jobs
    JOB_LEASE_SECONDS = int(os.environ.get("JOB_LEASE_SECONDS", 300))
    JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", 3))
    JOB_QUEUE_GRACE_SECONDS = int(os.environ.get("JOB_QUEUE_GRACE_SECONDS", 120))
    RECONCILE_INTERVAL_SECONDS = float(os.environ.get("RECONCILE_INTERVAL_SECONDS", 30))
    CELERY_TASK_ALWAYS_EAGER = False
    CELERY_QUEUE = os.environ.get("CELERY_QUEUE", "opsplanner")

    # E-mail (optional): without SMTP_HOST, reminders stay in the in-app outbox.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", 25))
    SMTP_FROM = os.environ.get("SMTP_FROM", "opsplanner@localhost")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "0") == "1"
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    # How links in e-mails start, e.g. https://opsplanner.example.org (empty: paths only).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")

    API_TOKEN_PREFIX = "opk_"  # noqa: S105 - a visible prefix, not a secret


class TestConfig(Config):
    TESTING = True
    RATELIMIT_ENABLED = True
    # Fast hashing in tests would hide the real parameters; argon2id stays, cost lowered.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8 * 1024
    JOB_LEASE_SECONDS = 30
    RECONCILE_INTERVAL_SECONDS = 1.0
    SERVER_NAME = None


# Spreadsheet and API imports of seizures (services/imports.py): appended to Config.
Config.IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_MB", 50)) * 1024 * 1024
Config.IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 200_000))
# An .xlsx is a zip: refuse it before opening when it declares more than this uncompressed,
# or when one of its parts inflates more than IMPORT_MAX_ZIP_RATIO times (a zip bomb).
# (openpyxl holds a workbook's shared strings in memory: they may take a quarter of it)
Config.IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_MB", 512)) * (
    1024 * 1024
)
Config.IMPORT_MAX_ZIP_RATIO = int(os.environ.get("IMPORT_MAX_ZIP_RATIO", 200))
# Errors kept on a rejected batch (the count is always the total).
Config.IMPORT_MAX_ERRORS_KEPT = 500
# Rows validated and written per round trip.
Config.IMPORT_CHUNK_ROWS = 1000
