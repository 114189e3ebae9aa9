"""Shared set-up for the benchmarks: a migrated SQLite database in a temporary folder."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from opsplanner import create_app
from opsplanner.config import Config


def fresh_app(folder: Path | None = None) -> tuple[Flask, Path]:
    folder = folder or Path(tempfile.mkdtemp(prefix="opsbench-"))
    cfg = Config()
    cfg.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'bench.sqlite'}"
    cfg.INSTANCE_DIR = str(folder)
    cfg.EXPORT_DIR = str(folder / "exports")
    cfg.CELERY_BROKER_URL = f"sqla+sqlite:///{folder / 'broker.sqlite'}"
    app = create_app(cfg)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app, folder / "bench.sqlite"


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, ours: float, baseline: float, baseline_name: str) -> None:
    print(
        f"{name:<44} ours {ours * 1000:8.2f} ms   {baseline_name} {baseline * 1000:8.2f} ms"
        f"   ratio {ours / baseline:6.2f}x"
    )
