"""A coordinator's scoped participation list (the scoping helper, ORM objects) against the
equivalent hand-written SQL through raw sqlite3, on the demo data."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from benchmarks._common import best_of, fresh_app, report
from opsplanner.extensions import db
from opsplanner.models import Operation, User
from opsplanner.services.demo import load_demo
from opsplanner.services.reference import load_reference
from opsplanner.services.scoping import Scope

RAW = """
SELECT p.country_iso3, c.name, p.status
FROM participation p JOIN country c ON c.iso3 = p.country_iso3
WHERE p.operation_id = ? AND (p.network_id = ? OR p.country_iso3 IN (
    SELECT country_iso3 FROM network_membership
    WHERE network_id = ? AND (valid_from IS NULL OR valid_from <= date('now'))
      AND (valid_to IS NULL OR valid_to >= date('now'))))
ORDER BY p.country_iso3
"""


def main() -> None:
    app, db_path = fresh_app()
    with app.app_context():
        load_reference()
        load_demo()
        db.session.commit()
        coordinator = db.session.scalar(
            select(User).where(User.email == "coordinator.asean@demo.opsplanner.org")
        )
        op = db.session.scalar(select(Operation))
        user_id, network_id, op_id = coordinator.id, coordinator.network_id, op.id

    def ours() -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            scope = Scope(user)
            operation = scope.operation_or_404(op_id)
            rows = [
                (p.country_iso3, p.country.name, str(p.status))
                for p in db.session.scalars(scope.participations(operation))
            ]
            assert rows
            db.session.remove()

    con = sqlite3.connect(db_path)

    def raw() -> None:
        rows = con.execute(RAW, (op_id, network_id, network_id)).fetchall()
        assert rows

    report("coordinator's participation list", best_of(ours, 20), best_of(raw, 20), "raw SQL")
    con.close()


if __name__ == "__main__":
    main()
