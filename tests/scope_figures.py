"""Scope-matrix rows for the publication figures view (``views/figures``).

The page and its summary export: organisers and communications staff; everyone else 404,
anonymous users to the login. The internal figures (``?audience=internal``) are the
organisers' alone; an unknown audience is a 404 for everyone. {rop}'s reports are drafts: the
page still answers 200 (with its empty state) and the export holds zeros. {other} is in
planning (no approved results either); {draft} is the organiser's.
"""

from __future__ import annotations

from tests.scope_cases import Case, G, expect

FIGURES = expect(organiser=200, comms=200)
ORGANISER = expect(organiser=200)
NOBODY = expect(404)


def _urls(path: str) -> list[Case]:
    return [
        Case(G, f"/operations/{{rop}}/{path}", FIGURES),
        Case(G, f"/operations/{{rop}}/{path}?audience=public", FIGURES),
        Case(G, f"/operations/{{rop}}/{path}?audience=internal", ORGANISER),
        Case(G, f"/operations/{{rop}}/{path}?audience=everyone", NOBODY),
        Case(G, f"/operations/{{other}}/{path}", FIGURES),
        Case(G, f"/operations/{{draft}}/{path}", ORGANISER),
        Case(G, f"/operations/{{draft}}/{path}?audience=internal", ORGANISER),
        Case(G, f"/operations/999999/{path}", NOBODY),
    ]


WEB: dict[str, list[Case]] = {
    "figures.page": _urls("figures"),
    "figures.export": [
        *_urls("figures.csv"),
        *_urls("figures.xlsx"),
        Case(G, "/operations/{rop}/figures.pdf", expect(404, anonymous=404)),
    ],
}
API: dict[str, list[Case]] = {}
