"""Scope-matrix rows for the press-release template (views/press.py): organisers only, every
other role 404, anonymous to the sign-in page; an operation that does not exist is 404.

Ids: {rop} (the results operation, in reporting), {other} (planning), {draft}. Each POST that
saves uses its own operation, so that the organiser's rows do not depend on each other's
versions: a save (302), a preview (200), an unknown placeholder (422), a stale version (409).
The form data is formatted with the ids too, hence the doubled braces of the placeholders.
"""

from __future__ import annotations

from tests.scope_cases import Case, G, P, expect

URL = "/operations/{%s}/packs/press-template"
ORGANISER = expect(organiser=200)
NOBODY = expect(404)

WEB: dict[str, list[Case]] = {
    "press.template": [
        Case(G, URL % "rop", ORGANISER),
        Case(G, URL % "other", ORGANISER),
        Case(G, URL % "draft", ORGANISER),
        Case(G, "/operations/999999/packs/press-template", NOBODY),
        Case(P, URL % "rop", expect(organiser=302), {"body": "# {{operation}}", "version": "0"}),
        Case(
            P,
            URL % "rop",
            ORGANISER,
            {"body": "{{seizures}} seizures", "version": "0", "action": "preview"},
        ),
        Case(P, URL % "draft", expect(organiser=422), {"body": "{{nope}}", "version": "0"}),
        Case(P, URL % "other", expect(organiser=409), {"body": "{{seizures}}", "version": "7"}),
        Case(
            P,
            "/operations/999999/packs/press-template",
            NOBODY,
            {"body": "{{seizures}}", "version": "0"},
        ),
    ],
}

API: dict[str, list[Case]] = {}
