"""Scope-matrix rows for the publication packs (see scope_results_world and views/packs.py).

Ids available: {rop} (the results operation, in reporting, embargo in 2031) with {pub_pack}
(public, succeeded, still embargoed) and {int_pack} (internal, succeeded); {other} (Operation
Savanna, planning) with {rel_pack} (public, succeeded, its embargo lifted); {draft}.

Pages (list, request, pack page, status.json): organisers; communications for public packs
(asking for the internal one: 403); everyone else 404, anonymous to the sign-in page. A pack
cannot be requested before reporting: the request redirects back with the reason.
Downloads: internal, organisers; public before the embargo, organisers and communications;
public after the embargo, everyone, anonymous included (404 otherwise, anonymous too).
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from opsplanner.extensions import db
from opsplanner.models import Pack, PackAudience, PackStatus
from opsplanner.services import packs
from tests.scope_cases import Case, G, P, expect

PUBLISHERS = expect(organiser=200, comms=200)
ORGANISER = expect(organiser=200)
NOBODY = expect(404)
NOBODY_AT_ALL = expect(404, anonymous=404)
EMBARGOED = expect(organiser=200, comms=200, anonymous=404)
INTERNAL = expect(organiser=200, anonymous=404)
RELEASED = expect(200, anonymous=200)


def _pack(operation_id: int, audience: PackAudience, embargo: datetime, version: str) -> int:
    pack = Pack(
        operation_id=operation_id,
        audience=audience,
        data_version=version * 64,
        inputs_version=version * 64,
        status=PackStatus.SUCCEEDED,
        embargo_until=embargo,
        seizures=1,
        skipped=[],
        zip_name=f"matrix-{audience}-{version}.zip",
        finished_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    db.session.add(pack)
    db.session.flush()
    folder = packs.pack_dir(pack)
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("manifest.json", "{}")
    (folder / pack.zip_name).write_bytes(buffer.getvalue())
    pack.zip_sha256 = packs.sha256_file(folder / pack.zip_name)
    return pack.id


def extend_world(ids: dict[str, Any]) -> dict[str, Any]:
    from sqlalchemy import select

    from opsplanner.models import Operation

    rop = db.session.get(Operation, ids["rop"])
    other = db.session.scalar(select(Operation).where(Operation.code_name == "Operation Savanna"))
    lifted = datetime(2020, 3, 3, 9, 0, tzinfo=UTC)
    made = {
        "pub_pack": _pack(rop.id, PackAudience.PUBLIC, rop.embargo_until, "a"),
        "int_pack": _pack(rop.id, PackAudience.INTERNAL, rop.embargo_until, "b"),
        "rel_pack": _pack(other.id, PackAudience.PUBLIC, lifted, "c"),
    }
    db.session.commit()
    return made


def _pages(suffix: str) -> list[Case]:
    base = "/operations/{rop}/packs/"
    return [
        Case(G, base + "{pub_pack}" + suffix, PUBLISHERS),
        Case(G, base + "{int_pack}" + suffix, ORGANISER),
        Case(G, "/operations/{other}/packs/{rel_pack}" + suffix, PUBLISHERS),
        Case(G, "/operations/{other}/packs/{pub_pack}" + suffix, NOBODY),  # not its operation
        Case(G, "/operations/999999/packs/{pub_pack}" + suffix, NOBODY),
        Case(G, base + "999999" + suffix, NOBODY),
    ]


WEB: dict[str, list[Case]] = {
    "packs.index": [
        Case(G, "/operations/{rop}/packs", PUBLISHERS),
        Case(G, "/operations/{other}/packs", PUBLISHERS),
        Case(G, "/operations/{draft}/packs", ORGANISER),
        Case(G, "/operations/999999/packs", NOBODY),
    ],
    "packs.request_pack": [
        Case(
            P, "/operations/{rop}/packs", expect(organiser=302, comms=302), {"audience": "public"}
        ),
        Case(
            P, "/operations/{rop}/packs", expect(organiser=302, comms=403), {"audience": "internal"}
        ),
        Case(P, "/operations/{rop}/packs", expect(organiser=404, comms=404), {"audience": "x"}),
        # planning: refused with the reason on the list page
        Case(
            P, "/operations/{other}/packs", expect(organiser=302, comms=302), {"audience": "public"}
        ),
        Case(P, "/operations/{draft}/packs", expect(organiser=302), {"audience": "public"}),
        Case(P, "/operations/999999/packs", NOBODY, {"audience": "public"}),
    ],
    "packs.detail": _pages(""),
    "packs.status": _pages("/status.json"),
    "packs.download": [
        Case(G, "/operations/{rop}/packs/{pub_pack}/download", EMBARGOED),
        Case(G, "/operations/{rop}/packs/{int_pack}/download", INTERNAL),
        Case(G, "/operations/{other}/packs/{rel_pack}/download", RELEASED),
        Case(G, "/operations/{rop}/packs/{rel_pack}/download", NOBODY_AT_ALL),
        Case(G, "/operations/999999/packs/{rel_pack}/download", NOBODY_AT_ALL),
        Case(G, "/operations/{rop}/packs/999999/download", NOBODY_AT_ALL),
    ],
    "packs.latest_public": [
        Case(G, "/operations/{rop}/packs/public/latest.zip", EMBARGOED),
        Case(G, "/operations/{other}/packs/public/latest.zip", RELEASED),
        Case(G, "/operations/{draft}/packs/public/latest.zip", NOBODY_AT_ALL),
        Case(G, "/operations/999999/packs/public/latest.zip", NOBODY_AT_ALL),
    ],
}

API: dict[str, list[Case]] = {}
