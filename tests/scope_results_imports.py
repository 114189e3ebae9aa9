"""Scope-matrix rows for the results routes of this area (see scope_results_world).

Ids available in urls/data: {rop} (the results operation), {s_tha}, {s_tha_del}, {s_sens}
(sensitive, Thailand), {s_ken}, {hl_tha} (highlight case), plus anything extend_world adds:
{b_tha} and {b_tha_spare} (previewed uploads for Thailand: one to apply, one to discard) and
{b_ken} (a previewed upload for Kenya).

Uploads are for the country's focal point and the organiser; the network's coordinator reads
the country's upload history and previews (403 on changes: they see the country); anyone else
gets 404. The template is for anyone who works on a country of the operation.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Participation, User
from opsplanner.services import imports
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import FIELD_NAMES
from tests.scope_cases import A, Case, G, P, api_expect, expect
from tests.scope_results_world import results_row

R = "/operations/{rop}/results"
THA = expect(organiser=200, coord_asean=200, fp_tha=200)
KEN = expect(organiser=200, coord_latf=200, fp_ken=200)
ENTER_THA = {"organiser": 200, "fp_tha": 200, "coord_asean": 403}
ENTER_KEN = {"organiser": 200, "fp_ken": 200, "coord_latf": 403}
ROW_THA = results_row("TH-MATRIX-API")
ROW_KEN = results_row("KE-MATRIX-API")

WEB: dict[str, list[Case]] = {
    "imports.template": [
        Case(G, R + "/template.xlsx", expect(200, comms=404)),
        Case(G, R + "/template.csv", expect(200, comms=404)),
        Case(G, "/operations/{draft}/results/template.csv", expect(organiser=200)),
        Case(G, "/operations/999999/results/template.xlsx", expect()),
    ],
    "imports.upload": [
        Case(G, R + "/THA/upload", expect(**ENTER_THA)),
        Case(G, R + "/tha/upload", expect(**ENTER_THA)),
        Case(G, R + "/KEN/upload", expect(**ENTER_KEN)),
        Case(G, R + "/FRA/upload", expect(organiser=200)),
        Case(G, R + "/ZZZ/upload", expect()),
        # no file: re-rendered with the form error, nothing written
        Case(P, R + "/THA/upload", expect(**ENTER_THA)),
        Case(P, R + "/KEN/upload", expect(**ENTER_KEN)),
    ],
    "imports.preview": [
        Case(G, R + "/THA/upload/{b_tha}", THA),
        Case(G, R + "/KEN/upload/{b_ken}", KEN),
        Case(G, R + "/THA/upload/{b_ken}", expect()),
        Case(G, R + "/KEN/upload/{b_tha}", expect()),
        Case(G, R + "/THA/upload/999999", expect()),
    ],
    "imports.confirm": [
        Case(P, R + "/KEN/upload/{b_tha}/confirm", expect()),
        Case(
            P,
            R + "/THA/upload/{b_tha}/confirm",
            expect(organiser=302, fp_tha=302, coord_asean=403),
        ),
        # applied just above: refused with the reason, back to the preview
        Case(
            P,
            R + "/THA/upload/{b_tha}/confirm",
            expect(organiser=302, fp_tha=302, coord_asean=403),
        ),
    ],
    "imports.discard": [
        Case(P, R + "/THA/upload/{b_ken}/discard", expect()),
        Case(
            P,
            R + "/THA/upload/{b_tha_spare}/discard",
            expect(organiser=302, fp_tha=302, coord_asean=403),
        ),
        Case(
            P,
            R + "/KEN/upload/{b_ken}/discard",
            expect(organiser=302, fp_ken=302, coord_latf=403),
        ),
    ],
    "imports.batches": [
        Case(G, R + "/THA/uploads", THA),
        Case(G, R + "/KEN/uploads", KEN),
        Case(G, R + "/VNM/uploads", expect(organiser=200, coord_asean=200)),
        Case(G, R + "/ZZZ/uploads", expect()),
    ],
}

API: dict[str, list[Case]] = {
    "api.import_seizures": [
        Case(
            P,
            A + "/operations/{rop}/countries/THA/seizures/import",
            api_expect(**ENTER_THA),
            {"rows": [ROW_THA], "dry_run": True},
        ),
        Case(
            P,
            A + "/operations/{rop}/countries/THA/seizures/import",
            api_expect(**ENTER_THA),
            {"rows": [ROW_THA]},
        ),
        # the same rows again: nothing changes, still 200
        Case(
            P,
            A + "/operations/{rop}/countries/THA/seizures/import",
            api_expect(**ENTER_THA),
            {"rows": [ROW_THA]},
        ),
        Case(
            P,
            A + "/operations/{rop}/countries/KEN/seizures/import",
            api_expect(**ENTER_KEN),
            {"rows": [ROW_KEN]},
        ),
        # an invalid row: every problem listed, nothing written
        Case(
            P,
            A + "/operations/{rop}/countries/KEN/seizures/import",
            api_expect(organiser=422, fp_ken=422, coord_latf=403),
            {"rows": [{**ROW_KEN, "seized_on": "not a date"}]},
        ),
        Case(
            P,
            A + "/operations/{rop}/countries/ZZZ/seizures/import",
            api_expect(),
            {"rows": [ROW_THA]},
        ),
    ],
}


def _csv(*rows: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELD_NAMES)
    for row in rows:
        writer.writerow([row.get(name, "") for name in FIELD_NAMES])
    return out.getvalue().encode()


def extend_world(ids: dict[str, Any]) -> dict[str, Any]:
    """Previewed uploads: two for Thailand (one to apply, one to discard), one for Kenya."""
    organiser = db.session.scalar(select(User).where(User.email == "organiser@test.example"))
    scope = Scope(organiser)

    def staged(iso3: str, *references: str) -> int:
        p = db.session.scalar(
            select(Participation).where(
                Participation.operation_id == ids["rop"], Participation.country_iso3 == iso3
            )
        )
        content = _csv(*(results_row(reference) for reference in references))
        batch = imports.stage_upload(scope, p, f"matrix-{iso3}.csv", io.BytesIO(content))
        assert batch.status.value == "previewed", batch.errors
        return batch.id

    extra = {
        "b_tha": staged("THA", "TH-MATRIX-UP-1", "TH-MATRIX-1"),
        "b_tha_spare": staged("THA", "TH-MATRIX-UP-2"),
        "b_ken": staged("KEN", "KE-MATRIX-UP-1"),
    }
    db.session.commit()
    return extra
