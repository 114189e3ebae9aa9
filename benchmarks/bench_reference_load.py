"""Reference loading (countries + networks + memberships) against raw sqlite3.executemany of
the same rows into the same schema, measured in the same run."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import best_of, fresh_app, report
from opsplanner.extensions import db
from opsplanner.services.reference import load_reference


def rows_from(db_path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    con = sqlite3.connect(db_path)
    out = {}
    for table in ("country", "network", "network_membership"):
        cur = con.execute(f"SELECT * FROM {table}")
        out[table] = ([d[0] for d in cur.description], cur.fetchall())
    con.close()
    return out


def clear(db_path: Path) -> None:
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA foreign_keys=ON")
    for table in ("network_membership", "network", "country"):
        con.execute(f"DELETE FROM {table}")
    con.commit()
    con.close()


def main() -> None:
    app, db_path = fresh_app()
    with app.app_context():
        load_reference()
        db.session.commit()
    data = rows_from(db_path)
    n_rows = sum(len(rows) for _, rows in data.values())

    def raw_insert() -> None:
        clear(db_path)
        con = sqlite3.connect(db_path)
        for table, (cols, rows) in data.items():
            marks = ",".join("?" * len(cols))
            con.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", rows)
        con.commit()
        con.close()

    def ours_from_empty() -> None:
        clear(db_path)
        with app.app_context():
            load_reference()
            db.session.commit()
            db.session.remove()

    def ours_reload() -> None:
        with app.app_context():
            load_reference()
            db.session.commit()
            db.session.remove()

    baseline = best_of(raw_insert)
    print(f"reference data: {n_rows} rows")
    report("load into an empty database", best_of(ours_from_empty), baseline, "executemany")
    report("reload (idempotent, nothing changes)", best_of(ours_reload), baseline, "executemany")


if __name__ == "__main__":
    main()
