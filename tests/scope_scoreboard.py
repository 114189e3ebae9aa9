"""Scope-matrix rows for the scoreboard pages (see tests/scope_cases.py for the vocabulary).

The comparative table and its exports: organisers and coordinators (per-network aggregates name
no country, so a coordinator compares its network with every other); focal points and
communications get 404. A network's page (its member states, the checklist): organisers and
that network's coordinator; a network that coordinates nobody in the operation is 404 for all.
Saving the checklist: organisers any network, a coordinator its own.

Ids added by ``extend_world``: {sb_asean}, {sb_latf}, {sb_naweg} (network ids; NAWEG coordinates
nobody in the world) and {sb_stamp}, the stamp of a checklist nobody has answered yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Network, Operation
from opsplanner.services import scoreboard
from tests.scope_cases import Case, G, P, expect

COORDINATION = expect(organiser=200, coord_asean=200, coord_latf=200)
ON_OTHER = expect(organiser=200, coord_latf=200)
ORGANISER = expect(organiser=200)
NOBODY = expect(404)


def extend_world(ids: dict[str, Any]) -> dict[str, Any]:
    def network_id(acronym: str) -> int:
        return db.session.scalar(select(Network.id).where(Network.acronym == acronym))

    asean = network_id("ASEAN-WEN")
    return {
        "sb_asean": asean,
        "sb_latf": network_id("LATF"),
        "sb_naweg": network_id("NAWEG"),
        "sb_stamp": scoreboard.checklist_stamp(db.session.get(Operation, ids["rop"]), asean),
    }


CHECKLIST = {
    "stamp": "{sb_stamp}",
    "secretariat_done": "y",
    "secretariat_note": "Matrix secretariat",
    "debrief_note": "",
}


def _network(op: str, net: str, expected: dict[str, int]) -> Case:
    return Case(G, f"/operations/{{{op}}}/scoreboard/networks/{{{net}}}", expected)


WEB: dict[str, list[Case]] = {
    "scoreboard.page": [
        Case(G, "/operations/{rop}/scoreboard", COORDINATION),
        Case(G, "/operations/{other}/scoreboard", ON_OTHER),
        Case(G, "/operations/{draft}/scoreboard", ORGANISER),
        Case(G, "/operations/999999/scoreboard", NOBODY),
    ],
    "scoreboard.export": [
        Case(G, "/operations/{rop}/scoreboard.csv", COORDINATION),
        Case(G, "/operations/{rop}/scoreboard.xlsx", COORDINATION),
        Case(G, "/operations/{other}/scoreboard.csv", ON_OTHER),
        Case(G, "/operations/{draft}/scoreboard.xlsx", ORGANISER),
        Case(G, "/operations/999999/scoreboard.csv", NOBODY),
    ],
    "scoreboard.network": [
        _network("rop", "sb_asean", expect(organiser=200, coord_asean=200)),
        _network("rop", "sb_latf", expect(organiser=200, coord_latf=200)),
        _network("rop", "sb_naweg", NOBODY),
        _network("other", "sb_asean", NOBODY),
        _network("other", "sb_latf", ON_OTHER),
        _network("draft", "sb_latf", ORGANISER),
    ],
    "scoreboard.checklist": [
        Case(
            P,
            "/operations/{rop}/scoreboard/networks/{sb_asean}/checklist",
            expect(organiser=302, coord_asean=302),
            CHECKLIST,
        ),
        Case(P, "/operations/{rop}/scoreboard/networks/{sb_naweg}/checklist", NOBODY, CHECKLIST),
        Case(
            P,
            "/operations/{draft}/scoreboard/networks/{sb_latf}/checklist",
            expect(organiser=302),
            CHECKLIST,
        ),
    ],
}
API: dict[str, list[Case]] = {}
