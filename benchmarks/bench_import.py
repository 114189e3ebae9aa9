"""A 164,000-row seizure upload (one large country's reporting, as a CSV) through the upload
service -- the full check that makes the preview, then the confirmation that checks every row
again and writes them in one transaction -- against raw sqlite3.executemany of the same rows
(read with the csv module, no checks) into a plain table, in the same run.

Also prints the rows per second and the memory the import took: the growth of the process's
peak resident size (ru_maxrss), and with --tracemalloc the peak of Python allocations during
the import. Both must stay bounded by a chunk of rows, not grow with the file.

    .venv/bin/python benchmarks/bench_import.py            # 164,000 rows
    .venv/bin/python benchmarks/bench_import.py --rows 5000 --tracemalloc
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from benchmarks._common import fresh_app
from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    DetectionMethod,
    ImportStatus,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    Priority,
    PriorityKind,
    Role,
    Seizure,
    SeizureQuantity,
    Species,
)
from opsplanner.reference.vocabularies import commodity_units, conveyances
from opsplanner.services import accounts, imports
from opsplanner.services import operations as ops
from opsplanner.services.activities import AGENCY_LABELS
from opsplanner.services.reference import load_reference
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import FIELD_NAMES

FULL_SIZE = 164_000
WINDOW = (date(2027, 2, 1), date(2027, 2, 14))
PLACES = [
    "Suvarnabhumi Airport cargo terminal",
    "Laem Chabang port, container yard B",
    "Sadao border checkpoint",
    "Chiang Saen river port",
    "Bangkok international mail centre",
    "Don Mueang airport, passenger hall",
    "Chatuchak weekend market",
    "Mae Sai border checkpoint",
]
DESCRIPTIONS = [
    "Scales in sacks declared as fish maw",
    "Raw tusks wrapped in hessian sacks",
    "Live tortoises in suitcases",
    "Carvings declared as handicrafts",
    "Logs hidden under a legal cargo of plywood",
    "",
]


def max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


def set_up(app) -> tuple[int, int]:
    """An operation in reporting with Thailand confirmed, two priorities and its focal point."""
    with app.app_context():
        load_reference()
        organiser = accounts.create_user(
            email="organiser@bench.example", name="Bench Organiser", role=Role.ORGANISER
        )
        focal = accounts.create_user(
            email="focal.tha@bench.example",
            name="Bench Focal Point",
            role=Role.FOCAL_POINT,
            country_iso3="THA",
        )
        op = ops.create_operation(
            ops.OperationInput(
                code_name="Operation Bench Shield",
                organising_agency=OrganisingAgency.WCO,
                window_start=WINDOW[0],
                window_end=WINDOW[1],
                world_wildlife_day=date(2027, 3, 3),
                reporting_deadline=datetime(2027, 2, 24, 23, 59, tzinfo=UTC),
                embargo_until=datetime(2027, 3, 3, 9, 0, tzinfo=UTC),
            ),
            by=organiser,
        )
        p = ops.invite_country(op, db.session.get(Country, "THA"), None, by=organiser)
        p.status = ParticipationStatus.CONFIRMED
        for rank, (title, commodity) in enumerate(
            [("Pangolin scales", "pangolin_scales"), ("Ivory", "ivory")], start=1
        ):
            db.session.add(
                Priority(
                    operation=op,
                    rank=rank,
                    kind=PriorityKind.COMMODITY,
                    title=title,
                    commodity=commodity,
                )
            )
        op.phase = OperationPhase.REPORTING
        db.session.commit()
        return focal.id, p.id


def write_csv(app, path: Path, n: int, seed: int = 164) -> None:
    """Realistic rows from the reference: species with their commodities and units, countries
    of origin, transit and destination, several quantities now and then."""
    rng = random.Random(seed)
    with app.app_context():
        species = [
            (name, list(coms))
            for name, coms in db.session.execute(
                select(Species.scientific_name, Species.commodities)
            )
            if coms
        ]
        countries = list(db.session.scalars(select(Country.iso3)))
    units = commodity_units()
    agencies = [a.value for a in AGENCY_LABELS]
    methods = [d.value for d in DetectionMethod]
    conveyance_codes = list(conveyances())
    days = (WINDOW[1] - WINDOW[0]).days
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELD_NAMES)
        for i in range(1, n + 1):
            name, commodities = rng.choice(species)
            commodity = rng.choice([c for c in commodities if c in units] or ["other"])
            unit_choices = rng.sample(units[commodity], k=min(len(units[commodity]), 3))
            quantities = unit_choices[: rng.choice((1, 1, 1, 2, 3))]
            suspects = rng.choice((0, 0, 1, 1, 2, 3, 5))
            sensitive = rng.random() < 0.05
            row = {
                "national_reference": f"TH-2027-{i:06d}",
                "seized_on": (WINDOW[0] + timedelta(days=rng.randint(0, days))).isoformat(),
                "place": rng.choice(PLACES),
                "port": rng.choice(("BKK", "LCH", "", "DMK")),
                "agency": rng.choice(agencies),
                "detection_method": rng.choice(methods),
                "species": name,
                "species_other": "",
                "commodity": commodity,
                "description": rng.choice(DESCRIPTIONS),
                "conveyance": rng.choice(conveyance_codes),
                "origin": " ".join(rng.sample(countries, k=rng.choice((1, 1, 2)))),
                "transit": " ".join(rng.sample(countries, k=rng.choice((0, 1, 2)))),
                "destination": rng.choice(("THA", "VNM", "CHN", "LAO")),
                "online_linked": rng.choice(("yes", "no", "no", "no")),
                "priority": rng.choice(("1", "2", "")),
                "suspects": suspects,
                "arrests": rng.randint(0, suspects),
                "sensitive": "yes" if sensitive else "no",
                "publishable": "no" if sensitive else rng.choice(("yes", "no")),
            }
            for q, unit in enumerate(quantities, start=1):
                row[f"quantity_{q}"] = f"{rng.randint(1, 50_000) / rng.choice((1, 10, 100)):g}"
                row[f"unit_{q}"] = unit
            writer.writerow([row.get(name, "") for name in FIELD_NAMES])


def ours(app, path: Path, user_id: int, participation_id: int) -> dict[str, float]:
    """Upload (check everything, keep the file) then confirm (check again and write)."""
    from opsplanner.models import User

    times: dict[str, float] = {}
    with app.app_context():
        scope = Scope(db.session.get(User, user_id))
        p = db.session.get(Participation, participation_id)
        start = time.perf_counter()
        with path.open("rb") as fh:
            batch = imports.stage_upload(scope, p, path.name, fh)
        db.session.commit()
        times["check"] = time.perf_counter() - start
        assert batch.status is ImportStatus.PREVIEWED, batch.errors[:5]
        start = time.perf_counter()
        outcome = imports.confirm(scope, p, batch)
        db.session.commit()
        times["apply"] = time.perf_counter() - start
        assert outcome.ok and outcome.created == batch.rows_total, outcome.errors[:5]
        times["rows"] = outcome.created
        times["seizures"] = db.session.scalar(select(func.count()).select_from(Seizure))
        times["quantities"] = db.session.scalar(select(func.count()).select_from(SeizureQuantity))
        db.session.remove()
    return times


def raw(path: Path, folder: Path) -> float:
    con = sqlite3.connect(folder / "raw.sqlite")
    columns = ", ".join(f"{name} TEXT" for name in FIELD_NAMES)
    con.execute(f"CREATE TABLE plain (id INTEGER PRIMARY KEY, {columns})")
    con.commit()
    marks = ", ".join("?" * len(FIELD_NAMES))
    names = ", ".join(FIELD_NAMES)
    start = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        con.executemany(f"INSERT INTO plain ({names}) VALUES ({marks})", reader)
    con.commit()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=FULL_SIZE)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower)"
    )
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])

    folder = Path(tempfile.mkdtemp(prefix="opsbench-import-"))
    try:
        run(folder, args.rows, args.tracemalloc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the databases, the CSV and its stored copy


def run(folder: Path, rows: int, trace: bool) -> None:
    app, _db_path = fresh_app(folder)
    app.config["IMPORT_MAX_ROWS"] = max(rows, app.config["IMPORT_MAX_ROWS"])
    app.config["IMPORT_MAX_BYTES"] = max(app.config["IMPORT_MAX_BYTES"], 200 * 1024 * 1024)
    user_id, participation_id = set_up(app)
    path = folder / "seizures.csv"
    write_csv(app, path, rows)
    size_mb = path.stat().st_size / (1024 * 1024)

    baseline = raw(path, folder)
    rss_before = max_rss_kb()
    if trace:
        tracemalloc.start()
    result = ours(app, path, user_id, participation_id)
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    rss_growth = (max_rss_kb() - rss_before) / 1024

    total = result["check"] + result["apply"]
    n = rows
    quantities = int(result["quantities"])
    print(f"seizure import: {n:,} rows, {size_mb:.1f} MB CSV ({quantities:,} quantities)")
    for label, seconds in (
        ("raw sqlite3 executemany (csv.reader, no checks)", baseline),
        ("ours: check for the preview", result["check"]),
        ("ours: confirm (check again + write)", result["apply"]),
        ("ours: upload to applied", total),
    ):
        print(f"  {label:<50} {seconds:8.2f} s  {n / seconds:10,.0f} rows/s")
    apply_ratio, whole_ratio = result["apply"] / baseline, total / baseline
    print(f"  ratio ours / executemany: apply {apply_ratio:.1f}x, whole {whole_ratio:.1f}x")
    print(f"  peak resident size grew by {rss_growth:.1f} MB during the import")
    if peak is not None:
        print(f"  tracemalloc peak during the import: {peak / (1024 * 1024):.1f} MB")


if __name__ == "__main__":
    main()
