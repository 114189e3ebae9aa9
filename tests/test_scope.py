"""The scope matrix: every role against every route registered so far, web and API.

A focal point sees only their country, a coordinator only their network's member states,
communications only aggregates; anything outside the scope is a 404 (never a 403, never data).
A route added without a row here fails ``test_the_matrix_covers_every_route``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    ApiToken,
    AuditEvent,
    Country,
    Job,
    JobStatus,
    Network,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Participation,
    ParticipationStatus,
    Priority,
    PriorityKind,
    Role,
)
from opsplanner.services import accounts, activities, briefings
from opsplanner.services import jobs as jobs_service
from opsplanner.services import operations as ops
from tests import (
    scope_archive,
    scope_evaluation,
    scope_figures,
    scope_packs,
    scope_press,
    scope_results_api,
    scope_results_completeness,
    scope_results_imports,
    scope_results_views,
    scope_scoreboard,
)
from tests.conftest import bearer, csrf_token, location_path, signed_in
from tests.scope_cases import (
    PATCH,
    ROLES,
    A,
    Case,
    G,
    P,
    api_expect,
    expect,
)
from tests.scope_results_world import results_world

OWN_COUNTRY = {"fp_tha": "THA", "fp_ken": "KEN"}
INVITED = ("THA", "VNM", "KEN", "UGA", "FRA")
VISIBLE_COUNTRIES = {
    "organiser": set(INVITED),
    "coord_asean": {"THA", "VNM"},
    "coord_latf": {"KEN", "UGA"},
    "fp_tha": {"THA"},
    "fp_ken": {"KEN"},
}


EVERYONE = expect(200)
PUBLIC = expect(200, anonymous=200)
NOBODY = expect(404)
ORGANISER_ONLY = expect(organiser=200)
ON_OP = {
    "THA": expect(organiser=200, coord_asean=200, fp_tha=200),
    "KEN": expect(organiser=200, coord_latf=200, fp_ken=200),
}
NEW_OPERATION = {
    "code_name": "Operation Matrix",
    "organising_agency": "INTERPOL",
    "window_start": "2030-02-01",
    "window_end": "2030-02-14",
    "world_wildlife_day": "2030-03-03",
    "reporting_deadline": "2030-02-24T23:59",
    "embargo_until": "2030-03-03T09:00",
    "secure_channel": "I-24/7 MATRIX",
}

NEW_ACTIVITY = {
    "activity_type": "air_cargo_screening",
    "title": "Matrix activity",
    "location": "International airport cargo terminal",
    "start_date": "2027-02-02",
    "end_date": "2027-02-04",
    "priorities": "{prio}",
    "agencies": "customs",
}

NEW_BRIEFING = {
    "title": "Matrix briefing",
    "kind": "briefing",
    "mode": "virtual",
    "network": "",
    "start": "2030-01-20T16:00",
    "timezone": "Asia/Bangkok",
    "duration_minutes": "90",
}
ATTENDED = {"attended": "true", "attendees": "2"}

SHEET_UPDATE = {"mandate": "operational", "has_secretariat": "true", "version": "1"}
CONTACT_THA = {
    "kind": "agency_contact",
    "name": "Matrix Customs Officer",
    "country": "THA",
    "agency": "Customs",
    "email": "matrix.customs@th.example",
}
NEW_TOOL = {"name": "Matrix tool", "provider": "Matrix", "region_codes": "142"}
CURATORS = {"organiser": 200, "coord_asean": 200, "coord_latf": 200}

# -- the web routes ---------------------------------------------------------------------------
WEB: dict[str, list[Case]] = {
    "static": [Case(G, "/static/css/app.css", PUBLIC)],
    "auth.login": [
        Case(G, "/login", expect(302, anonymous=200)),
        Case(P, "/login", expect(302, anonymous=401), {"email": "x@test.example", "password": "x"}),
    ],
    "auth.logout": [Case(P, "/logout", expect(302))],  # runs last: it ends the session
    "auth.accept_invite": [
        Case(G, "/invite/{invite}", PUBLIC),
        Case(G, "/invite/not-a-real-token", expect(404, anonymous=404)),
        Case(P, "/invite/not-a-real-token", expect(404, anonymous=404), {"password": "x"}),
    ],
    "main.index": [Case(G, "/", expect(302))],
    "main.home": [Case(G, "/home", EVERYONE)],
    "operations.index": [Case(G, "/operations/", EVERYONE)],
    "operations.new": [
        Case(G, "/operations/new", ORGANISER_ONLY),
        Case(P, "/operations/new", expect(organiser=302), NEW_OPERATION),
    ],
    "operations.detail": [
        Case(G, "/operations/{op}", EVERYONE),
        Case(G, "/operations/{other}", expect(200, coord_asean=404, fp_tha=404)),
        Case(G, "/operations/{draft}", ORGANISER_ONLY),
        Case(G, "/operations/999999", NOBODY),
    ],
    "operations.invite": [
        Case(P, "/operations/{op}/participations", expect(organiser=302), {"country": "MYS"}),
        Case(P, "/operations/{other}/participations", expect(organiser=302), {"country": "TZA"}),
    ],
    "operations.participation": [
        Case(G, "/operations/{op}/participations/THA", ON_OP["THA"]),
        Case(G, "/operations/{op}/participations/tha", ON_OP["THA"]),
        Case(G, "/operations/{op}/participations/VNM", expect(organiser=200, coord_asean=200)),
        Case(G, "/operations/{op}/participations/KEN", ON_OP["KEN"]),
        Case(G, "/operations/{op}/participations/FRA", ORGANISER_ONLY),
        Case(G, "/operations/{op}/participations/ZZZ", NOBODY),
        Case(G, "/operations/{other}/participations/KEN", ON_OP["KEN"]),
        Case(G, "/operations/{draft}/participations/THA", ORGANISER_ONLY),
        Case(G, "/operations/{draft}/participations/KEN", ORGANISER_ONLY),
        # answering: the country's focal point or an organiser; a coordinator sees but may not
        Case(
            P,
            "/operations/{op}/participations/THA",
            expect(organiser=302, fp_tha=302, coord_asean=403),
            {"status": "confirmed"},
        ),
        Case(
            P,
            "/operations/{op}/participations/KEN",
            expect(organiser=302, fp_ken=302, coord_latf=403),
            {"status": "declined"},
        ),
        Case(
            P,
            "/operations/{draft}/participations/THA",
            expect(organiser=302),
            {"status": "confirmed"},
        ),
    ],
    "operations.export": [Case(P, "/operations/{op}/export", expect(organiser=302))],
    "setup.edit": [
        Case(G, "/operations/{op}/edit", ORGANISER_ONLY),
        Case(G, "/operations/{draft}/edit", ORGANISER_ONLY),
        # re-rendered with the schedule error
        Case(
            P,
            "/operations/{op}/edit",
            ORGANISER_ONLY,
            {**NEW_OPERATION, "window_end": "2031-01-01"},
        ),
    ],
    "setup.guidelines": [
        Case(G, "/operations/{op}/guidelines", EVERYONE),
        Case(G, "/operations/{other}/guidelines", expect(200, coord_asean=404, fp_tha=404)),
        Case(G, "/operations/{draft}/guidelines", ORGANISER_ONLY),
    ],
    # a refused move (planning cannot go to archived) changes nothing and redirects back
    "setup.move_phase": [
        Case(P, "/operations/{op}/phase", expect(organiser=302), {"target": "archived"})
    ],
    "setup.priorities_page": [
        Case(G, "/operations/{op}/priorities", EVERYONE),
        Case(G, "/operations/{draft}/priorities", ORGANISER_ONLY),
        Case(
            P,
            "/operations/{op}/priorities",
            expect(organiser=302),
            {"kind": "commodity", "title": "Matrix priority", "commodity": "ivory"},
        ),
    ],
    "setup.edit_priority": [
        Case(G, "/operations/{op}/priorities/{prio}", ORGANISER_ONLY),
        Case(G, "/operations/{other}/priorities/{prio}", NOBODY),
        Case(
            P,
            "/operations/{op}/priorities/{prio}",
            expect(organiser=302),
            {"kind": "commodity", "title": "Ivory (renamed)", "commodity": "ivory"},
        ),
    ],
    "setup.priority_action": [
        Case(P, "/operations/{op}/priorities/{prio}/down", expect(organiser=302)),
        Case(P, "/operations/{other}/priorities/{prio}/up", NOBODY),
    ],
    "setup.enrolment_page": [
        Case(G, "/operations/{op}/enrolment", expect(200, comms=404)),
        Case(
            G,
            "/operations/{other}/enrolment",
            expect(organiser=200, coord_latf=200, fp_ken=200),
        ),
        Case(P, "/operations/{op}/enrolment", expect(organiser=302), {"network": "{naweg}"}),
    ],
    "setup.directory": [
        Case(G, "/operations/{op}/directory.csv", expect(200, comms=404)),
        Case(G, "/operations/{op}/directory.xlsx", expect(200, comms=404)),
        Case(G, "/operations/{draft}/directory.csv", ORGANISER_ONLY),
    ],
    "setup.readiness_page": [
        Case(
            G, "/operations/{op}/readiness", expect(organiser=200, coord_asean=200, coord_latf=200)
        ),
        Case(
            G,
            "/operations/{op}/readiness?by=region",
            expect(organiser=200, coord_asean=200, coord_latf=200),
        ),
        Case(G, "/operations/{draft}/readiness", ORGANISER_ONLY),
    ],
    # national activity plans: the country's focal point and the organiser change a plan; the
    # network's coordinator reads and comments (403 on changes: the plan is visible to them)
    "plans.overview": [
        Case(
            G,
            "/operations/{op}/plans",
            expect(organiser=200, coord_asean=200, coord_latf=200, fp_tha=302, fp_ken=302),
        ),
        Case(
            G,
            "/operations/{op}/plans?network=LATF",
            expect(organiser=200, coord_asean=200, coord_latf=200, fp_tha=302, fp_ken=302),
        ),
        Case(G, "/operations/{other}/plans", expect(organiser=200, coord_latf=200, fp_ken=302)),
        Case(G, "/operations/{draft}/plans", ORGANISER_ONLY),
    ],
    "plans.country_plan": [
        Case(G, "/operations/{op}/plans/THA", ON_OP["THA"]),
        Case(G, "/operations/{op}/plans/tha", ON_OP["THA"]),
        Case(G, "/operations/{op}/plans/VNM", expect(organiser=200, coord_asean=200)),
        Case(G, "/operations/{op}/plans/KEN", ON_OP["KEN"]),
        Case(G, "/operations/{op}/plans/FRA", ORGANISER_ONLY),
        Case(G, "/operations/{op}/plans/ZZZ", NOBODY),
        Case(G, "/operations/{other}/plans/KEN", ON_OP["KEN"]),
        Case(G, "/operations/{draft}/plans/THA", ORGANISER_ONLY),
        Case(
            P,
            "/operations/{op}/plans/THA",
            expect(organiser=302, fp_tha=302, coord_asean=403),
            NEW_ACTIVITY,
        ),
        # Kenya has declined by now (operations.participation above): its plan refuses
        # changes, saying why on the re-rendered page (200) or the redirect (302)
        Case(
            P,
            "/operations/{op}/plans/KEN",
            expect(organiser=200, fp_ken=200, coord_latf=403),
            NEW_ACTIVITY,
        ),
    ],
    "plans.edit_activity": [
        Case(
            G,
            "/operations/{op}/plans/THA/activities/{act}",
            expect(organiser=200, fp_tha=200, coord_asean=403),
        ),
        Case(G, "/operations/{op}/plans/KEN/activities/{act}", NOBODY),
        Case(
            G,
            "/operations/{op}/plans/KEN/activities/{act_ken}",
            expect(organiser=302, fp_ken=302, coord_latf=403),
        ),
        Case(
            P,
            "/operations/{op}/plans/THA/activities/{act}",
            expect(organiser=302, fp_tha=302, coord_asean=403),
            {**NEW_ACTIVITY, "title": "Matrix renamed", "version": "1"},
        ),
    ],
    "plans.delete_activity": [
        Case(P, "/operations/{op}/plans/KEN/activities/{act_del}/delete", NOBODY, {"version": "1"}),
        Case(
            P,
            "/operations/{op}/plans/THA/activities/{act_del}/delete",
            expect(organiser=302, fp_tha=302, coord_asean=403),
            {"version": "1"},
        ),
    ],
    "plans.comment": [
        Case(
            P,
            "/operations/{op}/plans/THA/comments",
            expect(organiser=302, coord_asean=302, fp_tha=302),
            {"body": "Matrix comment"},
        ),
        Case(
            P,
            "/operations/{op}/plans/KEN/comments",
            expect(organiser=302, coord_latf=302, fp_ken=302),
            {"body": "Matrix comment"},
        ),
    ],
    # the taxonomy is shared reference data (kept across tests on PostgreSQL): the add is
    # refused on its code (re-rendered) and the other changes restore what they change
    "plans.activity_types": [
        Case(G, "/activity-types", EVERYONE),
        Case(P, "/activity-types", ORGANISER_ONLY, {"code": "X", "name": "X", "definition": "X"}),
    ],
    "plans.edit_activity_type": [
        Case(G, "/activity-types/online_monitoring", ORGANISER_ONLY),
        Case(G, "/activity-types/no_such_type", NOBODY),
        Case(
            P, "/activity-types/online_monitoring", ORGANISER_ONLY, {"name": "", "definition": ""}
        ),
    ],
    "plans.toggle_activity_type": [
        Case(P, "/activity-types/source_area_patrol/deactivate", expect(organiser=302)),
        Case(P, "/activity-types/source_area_patrol/reactivate", expect(organiser=302)),
        Case(P, "/activity-types/no_such_type/deactivate", NOBODY),
    ],
    # briefings: global ones for every role but communications, network ones for the
    # network's coordinator and focal points; attendance for the countries in scope only
    "briefings.index": [
        Case(G, "/operations/{op}/briefings/", expect(200, comms=404)),
        Case(
            G,
            "/operations/{other}/briefings/",
            expect(organiser=200, coord_latf=200, fp_ken=200),
        ),
        Case(G, "/operations/{draft}/briefings/", ORGANISER_ONLY),
    ],
    "briefings.new": [
        Case(G, "/operations/{op}/briefings/new", ORGANISER_ONLY),
        Case(P, "/operations/{op}/briefings/new", expect(organiser=302), NEW_BRIEFING),
        # re-rendered with the duration error
        Case(
            P,
            "/operations/{op}/briefings/new",
            ORGANISER_ONLY,
            {**NEW_BRIEFING, "duration_minutes": "5"},
        ),
    ],
    "briefings.detail": [
        Case(G, "/operations/{op}/briefings/{brief_global}", expect(200, comms=404)),
        Case(
            G,
            "/operations/{op}/briefings/{brief_asean}",
            expect(organiser=200, coord_asean=200, fp_tha=200),
        ),
        Case(
            G,
            "/operations/{op}/briefings/{brief_latf}",
            expect(organiser=200, coord_latf=200, fp_ken=200),
        ),
        Case(G, "/operations/{other}/briefings/{brief_global}", NOBODY),
        Case(G, "/operations/{op}/briefings/999999", NOBODY),
    ],
    "briefings.edit": [
        Case(G, "/operations/{op}/briefings/{brief_asean}/edit", ORGANISER_ONLY),
        Case(
            P,
            "/operations/{op}/briefings/{brief_asean}/edit",
            expect(organiser=302),
            {**NEW_BRIEFING, "title": "ASEAN-WEN (moved)", "network": "{asean}"},
        ),
    ],
    "briefings.attendance": [
        Case(
            P,
            "/operations/{op}/briefings/{brief_global}/attendance",
            expect(organiser=302, coord_asean=302, fp_tha=302),
            {"country": "THA", **ATTENDED},
        ),
        Case(
            P,
            "/operations/{op}/briefings/{brief_latf}/attendance",
            expect(organiser=302, coord_latf=302),
            {"country": "UGA", **ATTENDED},
        ),
        # not started yet: re-rendered with the reason
        Case(
            P,
            "/operations/{op}/briefings/{brief_asean}/attendance",
            expect(organiser=200, coord_asean=200, fp_tha=200),
            {"country": "THA", **ATTENDED},
        ),
    ],
    "briefings.ics": [
        Case(G, "/operations/{op}/briefings/{brief_global}.ics", expect(200, comms=404)),
        Case(
            G,
            "/operations/{op}/briefings/{brief_latf}.ics",
            expect(organiser=200, coord_latf=200, fp_ken=200),
        ),
        Case(G, "/operations/{draft}/briefings/{brief_global}.ics", NOBODY),
    ],
    "briefings.calendar": [
        Case(G, "/operations/{op}/briefings/calendar.ics", expect(200, comms=404)),
        Case(G, "/operations/{draft}/briefings/calendar.ics", ORGANISER_ONLY),
    ],
    # a refusal (Kenya has declined by now) redirects back with the reason too
    "briefings.acknowledge": [
        Case(
            P, "/operations/{op}/briefings/guidelines/acknowledge", expect(fp_tha=302, fp_ken=302)
        ),
        Case(P, "/operations/{other}/briefings/guidelines/acknowledge", expect(fp_ken=302)),
        Case(P, "/operations/{draft}/briefings/guidelines/acknowledge", NOBODY),
    ],
    # the LATF briefing has attendance by now: refused, back to the briefing
    "briefings.cancel": [
        Case(P, "/operations/{op}/briefings/{brief_spare}/cancel", expect(organiser=302)),
        Case(P, "/operations/{op}/briefings/{brief_latf}/cancel", expect(organiser=302)),
    ],
    "reference.networks": [Case(G, "/networks/", EVERYONE)],
    "reference.network": [
        Case(G, "/networks/ASEAN-WEN", EVERYONE),
        Case(G, "/networks/NO-SUCH-NET", NOBODY),
    ],
    "reference.countries": [
        Case(G, "/countries/", EVERYONE),
        Case(G, "/countries/?q=ken", EVERYONE),
    ],
    "reference.country": [Case(G, "/countries/KEN", EVERYONE), Case(G, "/countries/ZZZ", NOBODY)],
    # the network directory: sheets are for every role; the sheet is edited by its network's
    # coordinator (or an organiser); contacts are personal data, never for communications
    "directory.index": [Case(G, "/directory/", EVERYONE)],
    "directory.compare": [
        Case(G, "/directory/compare", EVERYONE),
        Case(G, "/directory/compare?fields=mandate&secretariat=yes&mandate=policy", EVERYONE),
    ],
    "directory.compare_export": [
        Case(G, "/directory/compare.csv?fields=form", EVERYONE),
        Case(G, "/directory/compare.xlsx", EVERYONE),
    ],
    "directory.sheet": [
        Case(G, "/directory/networks/ASEAN-WEN", EVERYONE),
        Case(G, "/directory/networks/NO-SUCH-NET", NOBODY),
    ],
    "directory.sheet_version": [
        Case(G, "/directory/networks/LATF/versions/1", EVERYONE),
        Case(G, "/directory/networks/LATF/versions/99", NOBODY),
    ],
    "directory.edit_sheet": [
        Case(G, "/directory/networks/ASEAN-WEN/edit", expect(organiser=200, coord_asean=200)),
        Case(G, "/directory/networks/LATF/edit", expect(organiser=200, coord_latf=200)),
        Case(
            P,
            "/directory/networks/ASEAN-WEN/edit",
            expect(organiser=302, coord_asean=302),
            SHEET_UPDATE,
        ),
        # saved just above: the copy opened at version 1 is refused
        Case(
            P,
            "/directory/networks/ASEAN-WEN/edit",
            expect(organiser=409, coord_asean=409),
            SHEET_UPDATE,
        ),
    ],
    "directory.sheet_export": [
        Case(G, "/directory/networks/LATF/sheet.html", EVERYONE),
        Case(G, "/directory/networks/LATF/sheet.pdf", EVERYONE),
        Case(G, "/directory/networks/NO-SUCH-NET/sheet.pdf", NOBODY),
    ],
    "directory.contacts_page": [
        Case(G, "/directory/contacts/", expect(200, comms=404)),
        Case(G, "/directory/contacts/?q=matrix&country=THA", expect(200, comms=404)),
    ],
    "directory.contacts_export": [
        Case(G, "/directory/contacts.csv", expect(200, comms=404)),
        Case(G, "/directory/contacts.xlsx", expect(200, comms=404)),
        Case(G, "/directory/contacts.vcf", expect(200, comms=404)),
    ],
    "directory.new_contact": [
        Case(G, "/directory/contacts/new", expect(**CURATORS)),
        # Thailand is not a LATF member state: not a choice, re-rendered with the error
        Case(
            P,
            "/directory/contacts/new",
            expect(organiser=302, coord_asean=302, coord_latf=200),
            CONTACT_THA,
        ),
    ],
    "directory.edit_contact": [
        Case(G, "/directory/contacts/{c_tha}", ON_OP["THA"]),
        Case(G, "/directory/contacts/{c_ken}", ON_OP["KEN"]),
        Case(G, "/directory/contacts/{c_fra}", ORGANISER_ONLY),
        # Kenya's focal point sees LATF's coordinator in the directory but may not edit them
        Case(G, "/directory/contacts/{c_latf}", expect(organiser=200, coord_latf=200)),
        Case(G, "/directory/contacts/999999", NOBODY),
        Case(
            P,
            "/directory/contacts/{c_tha}",
            expect(organiser=302, coord_asean=302, fp_tha=302),
            {**CONTACT_THA, "kind": "focal_point", "name": "Matrix Focal Point"},
        ),
    ],
    "directory.delete_contact": [
        Case(P, "/directory/contacts/{c_del}/delete", expect(organiser=302, coord_asean=302)),
    ],
    "directory.rounds": [
        Case(G, "/directory/rounds/", expect(200, comms=404)),
        # a round is open already: refused on the page
        Case(P, "/directory/rounds/", ORGANISER_ONLY, {"closes_on": "{closes_on}"}),
    ],
    "directory.round_page": [
        Case(G, "/directory/rounds/{round}", expect(200, comms=404)),
        Case(G, "/directory/rounds/999999", NOBODY),
    ],
    "directory.confirm": [
        Case(
            P,
            "/directory/rounds/{round}/contacts/{c_tha}/confirm",
            expect(organiser=302, fp_tha=302),
        ),
        Case(
            P,
            "/directory/rounds/{round}/contacts/{c_ken}/confirm",
            expect(organiser=302, fp_ken=302),
        ),
        Case(
            P,
            "/directory/rounds/{round}/contacts/{c_latf}/confirm",
            expect(organiser=302, coord_latf=302),
        ),
        Case(P, "/directory/rounds/999999/contacts/{c_ken}/confirm", NOBODY),
    ],
    "tools.index": [
        Case(G, "/tools/", EVERYONE),
        Case(G, "/tools/?network=LATF", EVERYONE),
        Case(G, "/tools/?network=NO-SUCH-NET", NOBODY),
    ],
    "tools.new": [
        Case(G, "/tools/new", expect(**CURATORS)),
        Case(P, "/tools/new", expect(organiser=302, coord_asean=302, coord_latf=302), NEW_TOOL),
    ],
    "tools.edit": [
        Case(G, "/tools/{tool}", expect(**CURATORS)),
        Case(G, "/tools/999999", NOBODY),
        Case(
            P,
            "/tools/{tool}",
            expect(organiser=302, coord_asean=302, coord_latf=302),
            {**NEW_TOOL, "name": "ENVIRONET", "region_codes": "001"},
        ),
    ],
    "tools.delete": [Case(P, "/tools/{tool_del}/delete", expect(organiser=302))],
    "tools.usage": [
        Case(G, "/tools/usage", expect(organiser=200, fp_tha=200, fp_ken=200)),
        Case(G, "/tools/usage?country=THA", expect(organiser=200, fp_tha=200)),
        Case(G, "/tools/usage?country=ZZZ", NOBODY),
        Case(P, "/tools/usage?country=THA", expect(organiser=302, fp_tha=302), {"tools": "{tool}"}),
    ],
    "tools.analysis": [Case(G, "/tools/analysis", EVERYONE)],
    "admin.users": [Case(G, "/admin/users", ORGANISER_ONLY)],
    "admin.new_user": [
        Case(G, "/admin/users/new", ORGANISER_ONLY),
        Case(
            P,
            "/admin/users/new",
            ORGANISER_ONLY,  # 200: the page with the one-time link
            {
                "email": "matrix@test.example",
                "name": "Matrix",
                "role": "communications",
                "country": "",
                "network": "",
            },
        ),
    ],
    "admin.edit_user": [
        Case(G, "/admin/users/{fp_tha_id}", ORGANISER_ONLY),
        Case(G, "/admin/users/999999", NOBODY),
        Case(
            P,
            "/admin/users/{comms_id}",
            expect(organiser=302),
            {"name": "Comms Renamed", "role": "communications", "country": "", "network": ""},
        ),
    ],
    "admin.revoke_sessions": [Case(P, "/admin/users/{fp_ken_id}/revoke", expect(organiser=302))],
    "admin.reinvite": [Case(P, "/admin/users/{fp_ken_id}/invite", ORGANISER_ONLY)],
    "admin.audit_log": [Case(G, "/admin/audit", ORGANISER_ONLY)],
    "account.settings": [
        Case(G, "/account/", EVERYONE),
        Case(
            P,
            "/account/",
            EVERYONE,  # re-rendered with the error: the current password is wrong
            {"current_password": "wrong", "password": "x" * 14, "confirm": "x" * 14},
        ),
    ],
    "account.create_token": [Case(P, "/account/tokens", EVERYONE, {"name": "matrix"})],
    # one's own language only; "" keeps the browser's choice (the matrix reads English)
    "account.language": [Case(P, "/account/language", expect(302), {"language-locale": ""})],
    "account.revoke_token": [
        Case(P, "/account/tokens/{others_token}/revoke", NOBODY),
        Case(P, "/account/tokens/{own_token}/revoke", expect(302)),
    ],
    "jobs.detail": [
        Case(G, "/jobs/{org_job}", ORGANISER_ONLY),
        Case(G, "/jobs/{fp_job}", expect(organiser=200, fp_tha=200)),
    ],
    "jobs.status": [
        Case(G, "/jobs/{org_job}/status", ORGANISER_ONLY),
        Case(G, "/jobs/{fp_job}/status", expect(organiser=200, fp_tha=200)),
    ],
    "jobs.download": [
        Case(G, "/jobs/{org_job}/files/list.csv", ORGANISER_ONLY),
        Case(G, "/jobs/{org_job}/files/other.csv", NOBODY),
        Case(G, "/jobs/{org_job}/files/..%2F..%2Fsecret_key", NOBODY),
    ],
}

# -- the JSON API -----------------------------------------------------------------------------


API_ALL = api_expect(200)
API_ORGANISER = api_expect(organiser=200)
NEW_API_OPERATION = {**NEW_OPERATION, "code_name": "Operation Matrix API"}
NEW_API_BRIEFING = {**NEW_BRIEFING, "title": "Matrix API briefing", "duration_minutes": 90}
API: dict[str, list[Case]] = {
    "api.openapi": [Case(G, f"{A}/openapi.json", expect(200, anonymous=200))],
    "api.countries": [Case(G, f"{A}/countries", API_ALL)],
    "api.country": [
        Case(G, f"{A}/countries/KEN", API_ALL),
        Case(G, f"{A}/countries/ZZZ", api_expect()),
    ],
    "api.networks": [Case(G, f"{A}/networks", API_ALL)],
    "api.network": [
        Case(G, f"{A}/networks/LATF", API_ALL),
        Case(G, f"{A}/networks/NO-SUCH-NET", api_expect()),
    ],
    "api.operations": [Case(G, f"{A}/operations", API_ALL)],
    "api.create_operation": [
        Case(P, f"{A}/operations", api_expect(403, organiser=201), NEW_API_OPERATION)
    ],
    "api.operation": [
        Case(G, f"{A}/operations/{{op}}", API_ALL),
        Case(G, f"{A}/operations/{{other}}", api_expect(200, coord_asean=404, fp_tha=404)),
        Case(G, f"{A}/operations/{{draft}}", API_ORGANISER),
        Case(G, f"{A}/operations/999999", api_expect()),
    ],
    "api.participations": [
        Case(G, f"{A}/operations/{{op}}/participations", api_expect(200, comms=404)),
        Case(
            G,
            f"{A}/operations/{{other}}/participations",
            api_expect(organiser=200, coord_latf=200, fp_ken=200),
        ),
        Case(G, f"{A}/operations/{{draft}}/participations", API_ORGANISER),
    ],
    "api.invite": [
        Case(
            P,
            f"{A}/operations/{{op}}/participations",
            api_expect(403, organiser=201),
            {"country": "MYS", "network": "ASEAN-WEN"},
        ),
        Case(
            P,
            f"{A}/operations/{{other}}/participations",
            api_expect(403, organiser=201, coord_asean=404, fp_tha=404),
            {"country": "TZA"},
        ),
    ],
    "api.participation": [
        Case(G, f"{A}/operations/{{op}}/participations/THA", {**ON_OP["THA"], "anonymous": 401}),
        Case(G, f"{A}/operations/{{op}}/participations/KEN", {**ON_OP["KEN"], "anonymous": 401}),
        Case(G, f"{A}/operations/{{op}}/participations/FRA", API_ORGANISER),
        Case(G, f"{A}/operations/{{draft}}/participations/THA", API_ORGANISER),
    ],
    "api.respond": [
        Case(
            PATCH,
            f"{A}/operations/{{op}}/participations/THA",
            api_expect(organiser=200, fp_tha=200, coord_asean=403),
            {"status": "confirmed"},
        ),
        Case(
            PATCH,
            f"{A}/operations/{{op}}/participations/KEN",
            api_expect(organiser=200, fp_ken=200, coord_latf=403),
            {"status": "declined", "note": "no capacity this year"},
        ),
        Case(
            PATCH,
            f"{A}/operations/{{draft}}/participations/KEN",
            api_expect(organiser=200),
            {"status": "confirmed"},
        ),
    ],
    "api.export": [
        Case(P, f"{A}/operations/{{op}}/exports", api_expect(403, organiser=202)),
        Case(
            P,
            f"{A}/operations/{{other}}/exports",
            api_expect(403, organiser=202, coord_asean=404, fp_tha=404),
        ),
    ],
    "api.edit_operation": [
        Case(PATCH, f"{A}/operations/{{op}}", api_expect(403, organiser=200), {"description": "x"}),
        Case(
            PATCH,
            f"{A}/operations/{{other}}",
            api_expect(403, organiser=200, coord_asean=404, fp_tha=404),
            {"secure_channel": "I-24/7"},
        ),
        Case(PATCH, f"{A}/operations/{{draft}}", api_expect(organiser=200), {"description": "y"}),
    ],
    "api.phase": [
        Case(G, f"{A}/operations/{{op}}/phase", API_ALL),
        Case(G, f"{A}/operations/{{draft}}/phase", API_ORGANISER),
    ],
    "api.move_phase": [
        # planning cannot move to archived: refused with the reason, nothing changes
        Case(
            P, f"{A}/operations/{{op}}/phase", api_expect(403, organiser=422), {"phase": "archived"}
        )
    ],
    "api.list_priorities": [
        Case(G, f"{A}/operations/{{op}}/priorities", API_ALL),
        Case(G, f"{A}/operations/{{draft}}/priorities", API_ORGANISER),
    ],
    "api.create_priority": [
        Case(
            P,
            f"{A}/operations/{{op}}/priorities",
            api_expect(403, organiser=201),
            {"kind": "commodity", "title": "API priority", "commodity": "timber"},
        )
    ],
    "api.change_priority": [
        Case(
            PATCH,
            f"{A}/operations/{{op}}/priorities/{{prio}}",
            api_expect(403, organiser=200),
            {"move": "down"},
        ),
        Case("DELETE", f"{A}/operations/{{op}}/priorities/999999", api_expect(403, organiser=404)),
    ],
    "api.invite_network": [
        Case(
            P,
            f"{A}/operations/{{op}}/networks",
            api_expect(403, organiser=200),
            {"network": "NAWEG"},
        )
    ],
    "api.trade_chain": [
        Case(G, f"{A}/operations/{{op}}/trade-chain", api_expect(403, organiser=200))
    ],
    "api.directory": [
        Case(G, f"{A}/operations/{{op}}/directory", api_expect(200, comms=404)),
        Case(G, f"{A}/operations/{{draft}}/directory", API_ORGANISER),
    ],
    "api.readiness_board": [
        Case(
            G,
            f"{A}/operations/{{op}}/readiness",
            api_expect(organiser=200, coord_asean=200, coord_latf=200),
        )
    ],
    "api.list_activities": [
        Case(G, f"{A}/operations/{{op}}/plans/THA/activities", {**ON_OP["THA"], "anonymous": 401}),
        Case(G, f"{A}/operations/{{op}}/plans/KEN/activities", {**ON_OP["KEN"], "anonymous": 401}),
        Case(G, f"{A}/operations/{{draft}}/plans/THA/activities", API_ORGANISER),
    ],
    "api.create_activity": [
        Case(
            P,
            f"{A}/operations/{{op}}/plans/THA/activities",
            api_expect(organiser=201, fp_tha=201, coord_asean=403),
            NEW_ACTIVITY,
        ),
    ],
    "api.activity": [
        Case(
            G,
            f"{A}/operations/{{op}}/plans/THA/activities/{{act}}",
            {**ON_OP["THA"], "anonymous": 401},
        ),
        Case(G, f"{A}/operations/{{op}}/plans/KEN/activities/{{act}}", api_expect()),
    ],
    "api.update_activity": [
        Case(
            PATCH,
            f"{A}/operations/{{op}}/plans/THA/activities/{{act}}",
            api_expect(organiser=200, fp_tha=200, coord_asean=403),
            {"title": "Matrix renamed", "version": 1},
        ),
        Case(
            PATCH,
            f"{A}/operations/{{op}}/plans/KEN/activities/{{act}}",
            api_expect(),
            {"version": 1},
        ),
    ],
    "api.delete_activity": [
        Case("DELETE", f"{A}/operations/{{op}}/plans/KEN/activities/{{act_del}}", api_expect()),
        Case(
            "DELETE",
            f"{A}/operations/{{op}}/plans/THA/activities/{{act_del}}",
            api_expect(organiser=204, fp_tha=204, coord_asean=403),
        ),
    ],
    "api.plan_comments": [
        Case(G, f"{A}/operations/{{op}}/plans/THA/comments", {**ON_OP["THA"], "anonymous": 401}),
    ],
    "api.add_plan_comment": [
        Case(
            P,
            f"{A}/operations/{{op}}/plans/THA/comments",
            api_expect(organiser=201, coord_asean=201, fp_tha=201),
            {"body": "Matrix comment"},
        ),
    ],
    "api.activity_types": [Case(G, f"{A}/activity-types", API_ALL)],
    "api.briefings": [
        Case(G, f"{A}/operations/{{op}}/briefings", api_expect(200, comms=404)),
        Case(
            G,
            f"{A}/operations/{{other}}/briefings",
            api_expect(organiser=200, coord_latf=200, fp_ken=200),
        ),
        Case(G, f"{A}/operations/{{draft}}/briefings", API_ORGANISER),
    ],
    "api.create_briefing": [
        Case(
            P,
            f"{A}/operations/{{op}}/briefings",
            api_expect(403, organiser=201, comms=404),
            NEW_API_BRIEFING,
        ),
        Case(
            P,
            f"{A}/operations/{{other}}/briefings",
            api_expect(403, organiser=201, coord_asean=404, fp_tha=404, comms=404),
            NEW_API_BRIEFING,
        ),
    ],
    "api.briefing": [
        Case(G, f"{A}/operations/{{op}}/briefings/{{brief_global}}", api_expect(200, comms=404)),
        Case(
            G,
            f"{A}/operations/{{op}}/briefings/{{brief_asean}}",
            api_expect(organiser=200, coord_asean=200, fp_tha=200),
        ),
        Case(G, f"{A}/operations/{{other}}/briefings/{{brief_global}}", api_expect()),
    ],
    "api.edit_briefing": [
        Case(
            PATCH,
            f"{A}/operations/{{op}}/briefings/{{brief_asean}}",
            api_expect(organiser=200, coord_asean=403, fp_tha=403),
            {"title": "ASEAN-WEN (renamed)"},
        ),
    ],
    "api.delete_briefing": [
        Case(
            "DELETE",
            f"{A}/operations/{{op}}/briefings/{{brief_spare}}",
            api_expect(403, organiser=204, comms=404),
        ),
    ],
    "api.briefing_attendance": [
        Case(
            P,
            f"{A}/operations/{{op}}/briefings/{{brief_global}}/attendance",
            api_expect(organiser=200, coord_asean=200, fp_tha=200),
            {"country": "THA", "attended": True, "attendees": 2},
        ),
        Case(
            P,
            f"{A}/operations/{{op}}/briefings/{{brief_latf}}/attendance",
            api_expect(organiser=200, coord_latf=200),
            {"country": "UGA", "attended": False},
        ),
        # not started yet
        Case(
            P,
            f"{A}/operations/{{op}}/briefings/{{brief_asean}}/attendance",
            api_expect(organiser=422, coord_asean=422, fp_tha=422),
            {"country": "THA", "attended": True, "attendees": 1},
        ),
    ],
    "api.briefing_ics": [
        Case(
            G, f"{A}/operations/{{op}}/briefings/{{brief_global}}.ics", api_expect(200, comms=404)
        ),
        Case(
            G,
            f"{A}/operations/{{op}}/briefings/{{brief_latf}}.ics",
            api_expect(organiser=200, coord_latf=200, fp_ken=200),
        ),
    ],
    "api.briefings_calendar": [
        Case(G, f"{A}/operations/{{op}}/briefings.ics", api_expect(200, comms=404)),
        Case(G, f"{A}/operations/{{draft}}/briefings.ics", API_ORGANISER),
    ],
    # Kenya has declined by now (api.respond above); the other operation has no guidelines
    "api.acknowledge_guidelines": [
        Case(
            P,
            f"{A}/operations/{{op}}/guidelines/acknowledgement",
            api_expect(403, fp_tha=200, fp_ken=422),
        ),
        Case(
            P,
            f"{A}/operations/{{other}}/guidelines/acknowledgement",
            api_expect(403, coord_asean=404, fp_tha=404, fp_ken=422),
        ),
    ],
    "api.sheets_list": [Case(G, f"{A}/sheets", API_ALL)],
    "api.sheets_comparison": [
        Case(G, f"{A}/sheets/comparison?fields=mandate,has_secretariat&secretariat=yes", API_ALL),
        Case(G, f"{A}/sheets/comparison?mandate=bogus", api_expect(422)),
    ],
    "api.sheet": [
        Case(G, f"{A}/sheets/ASEAN-WEN", API_ALL),
        Case(G, f"{A}/sheets/NO-SUCH-NET", api_expect()),
    ],
    "api.update_sheet": [
        Case(
            PATCH,
            f"{A}/sheets/ASEAN-WEN",
            api_expect(403, organiser=200, coord_asean=200),
            {"version": 1, "mandate": "both", "has_secretariat": True},
        ),
        # saved just above: the copy read at version 1 is refused
        Case(
            PATCH,
            f"{A}/sheets/ASEAN-WEN",
            api_expect(403, organiser=409, coord_asean=409),
            {"version": 1, "mandate": "policy"},
        ),
        Case(PATCH, f"{A}/sheets/NO-SUCH-NET", api_expect(), {"version": 1}),
    ],
    "api.directory_contacts": [
        Case(G, f"{A}/directory/contacts", api_expect(200, comms=404)),
        Case(G, f"{A}/directory/contacts?country=THA&q=matrix", api_expect(200, comms=404)),
    ],
    "api.tools": [Case(G, f"{A}/tools", API_ALL), Case(G, f"{A}/tools?network=LATF", API_ALL)],
    "api.tools_analysis": [Case(G, f"{A}/tools/analysis", API_ALL)],
    "api.tool_usage": [
        Case(G, f"{A}/tools/usage/THA", {**ON_OP["THA"], "anonymous": 401}),
        Case(G, f"{A}/tools/usage/FRA", API_ORGANISER),
        Case(
            "PUT",
            f"{A}/tools/usage/THA",
            api_expect(organiser=200, fp_tha=200, coord_asean=403),
            {"tools": []},
        ),
    ],
    "api.job": [
        Case(G, f"{A}/jobs/{{org_job}}", API_ORGANISER),
        Case(G, f"{A}/jobs/{{fp_job}}", api_expect(organiser=200, fp_tha=200)),
        Case(G, f"{A}/jobs/999999", api_expect()),
    ],
}


# -- the results routes, one module per area --------------------------------------------------
RESULTS_AREAS = (
    scope_results_views,
    scope_results_imports,
    scope_results_api,
    scope_results_completeness,
    scope_figures,
    scope_packs,
    scope_press,
    scope_evaluation,
    scope_scoreboard,
    scope_archive,
)
for _area in RESULTS_AREAS:
    WEB.update(_area.WEB)
    API.update(_area.API)


# -- the world the matrix runs in -------------------------------------------------------------
def schedule(year: int) -> dict[str, Any]:
    return {
        "window_start": date(year, 2, 1),
        "window_end": date(year, 2, 14),
        "world_wildlife_day": date(year, 3, 3),
        "reporting_deadline": datetime(year, 2, 24, 23, 59, tzinfo=UTC),
        "embargo_until": datetime(year, 3, 3, 9, 0, tzinfo=UTC),
    }


def network(acronym: str) -> Network:
    return db.session.scalar(select(Network).where(Network.acronym == acronym))


@pytest.fixture
def world(app, users, operation, api_tokens, monkeypatch) -> dict[str, Any]:
    """Besides ``operation`` (THA, VNM, KEN, UGA, FRA; planning): "Operation Savanna" with
    Kenya only (planning), a draft with Thailand and Kenya, two jobs and an invitation."""
    # Exports are queued but no worker runs here: the broker is not needed.
    sent: list[int] = []
    monkeypatch.setattr(
        jobs_service, "dispatch", lambda job_id, countdown=None: sent.append(job_id)
    )
    organiser = users["organiser"]
    other = ops.create_operation(
        ops.OperationInput("Operation Savanna", OrganisingAgency.INTERPOL, **schedule(2028)),
        by=organiser,
    )
    other.phase = OperationPhase.PLANNING
    ops.invite_country(other, db.session.get(Country, "KEN"), network("LATF"), by=organiser)
    draft = ops.create_operation(
        ops.OperationInput("Operation Draft Horizon", OrganisingAgency.WCO, **schedule(2029)),
        by=organiser,
    )
    ops.invite_country(draft, db.session.get(Country, "THA"), network("ASEAN-WEN"), by=organiser)
    ops.invite_country(draft, db.session.get(Country, "KEN"), network("LATF"), by=organiser)

    org_job = Job(
        kind="participation_export",
        key="matrix-organiser",
        status=JobStatus.SUCCEEDED,
        result={"files": [{"name": "list.csv", "rows": 1}]},
        requested_by_id=organiser.id,
    )
    fp_job = Job(kind="participation_export", key="matrix-fp", requested_by_id=users["fp_tha"].id)
    db.session.add_all([org_job, fp_job])
    invitee = accounts.create_user(
        email="invitee@test.example", name="Invitee", role=Role.COMMUNICATIONS, by=organiser
    )
    invite = accounts.invite(invitee, by=organiser)
    prio = Priority(
        operation=operation, rank=1, kind=PriorityKind.COMMODITY, title="Ivory", commodity="ivory"
    )
    db.session.add(prio)
    db.session.commit()
    folder = jobs_service.output_dir(org_job)
    folder.mkdir(parents=True)
    (folder / "list.csv").write_text("ISO3,Country\nTHA,Thailand\n")
    Path(app.config["INSTANCE_DIR"], "secret_key").write_text("not for download")

    plans = plan_world(operation, prio, users)
    briefs = briefing_world(operation, users)
    directory = directory_world(users)
    results = results_world(users)
    for area in RESULTS_AREAS:
        if hasattr(area, "extend_world"):
            results.update(area.extend_world(results))
    token_ids = {
        key: db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
        for key, user in users.items()
    }
    return {
        "op": operation.id,
        "other": other.id,
        "draft": draft.id,
        "org_job": org_job.id,
        "fp_job": fp_job.id,
        "invite": invite,
        "fp_tha_id": users["fp_tha"].id,
        "fp_ken_id": users["fp_ken"].id,
        "comms_id": users["comms"].id,
        "prio": prio.id,
        "naweg": network("NAWEG").id,
        "token_ids": token_ids,
        "tokens": api_tokens,
        "sent": sent,
        "code_names": [operation.code_name, other.code_name, draft.code_name],
        **plans,
        **briefs,
        **directory,
        **results,
    }


def directory_world(users: dict[str, Any]) -> dict[str, Any]:
    """The shipped sheets and catalogue; directory entries for Thailand (its focal point's
    own, and one to delete), Kenya, France and LATF's coordinator; an open round."""
    from opsplanner.models import Contact, ContactKind, ToolService
    from opsplanner.services import contacts
    from opsplanner.services.directory_seed import load_directory_seed

    load_directory_seed()

    def entry(name: str, kind: ContactKind, iso3: str | None, acronym: str | None, user=None):
        c = Contact(
            kind=kind,
            name=name,
            country_iso3=iso3,
            network_id=network(acronym).id if acronym else None,
            email=f"{name.lower().replace(' ', '.')}@matrix.example",
            user_id=user.id if user else None,
        )
        db.session.add(c)
        db.session.flush()
        return c.id

    ids = {
        "c_tha": entry("Niran Matrix", ContactKind.FOCAL_POINT, "THA", None, users["fp_tha"]),
        "c_del": entry("Spare Matrix", ContactKind.AGENCY_CONTACT, "THA", None),
        "c_ken": entry("Wanjiru Matrix", ContactKind.AGENCY_CONTACT, "KEN", None),
        "c_fra": entry("Claire Matrix", ContactKind.AGENCY_CONTACT, "FRA", None),
        "c_latf": entry("Amani Matrix", ContactKind.COORDINATOR, None, "LATF", users["coord_latf"]),
    }
    now = datetime.now(UTC)
    rnd = contacts.open_round(
        users["organiser"], now + timedelta(days=10), now=now - timedelta(days=1)
    )
    tool = db.session.scalar(select(ToolService).where(ToolService.name == "ENVIRONET"))
    spare = db.session.scalar(select(ToolService).where(ToolService.name == "TRACK"))
    db.session.commit()
    return {
        **ids,
        "round": rnd.id,
        "tool": tool.id,
        "tool_del": spare.id,
        "closes_on": (date.today() + timedelta(days=20)).isoformat(),
    }


def plan_world(operation: Operation, prio: Priority, users: dict[str, Any]) -> dict[str, int]:
    """Activities in the plans of Thailand (one to change, one to delete) and Kenya."""

    def plan(iso3: str, title: str) -> int:
        p = db.session.scalar(
            select(Participation).where(
                Participation.operation_id == operation.id, Participation.country_iso3 == iso3
            )
        )
        data = activities.ActivityInput(
            activity_type="market_inspection",
            title=title,
            location="Central wildlife market",
            start_date=date(2027, 2, 3),
            end_date=date(2027, 2, 5),
            priority_ids=[prio.id],
            agencies=["police", "wildlife"],
        )
        return activities.create(p, data, users["organiser"]).id

    ids = {"act": plan("THA", "Market sweep"), "act_del": plan("THA", "Second sweep")}
    ids["act_ken"] = plan("KEN", "Nairobi market sweep")
    db.session.commit()
    return ids


def ids_for(world: dict[str, Any], role: str) -> dict[str, Any]:
    ids = {k: v for k, v in world.items() if isinstance(v, int | str)}
    # what this role may never see: a refusal must not show it either
    _, other, draft = world["code_names"]
    hidden_ops = {"organiser": [], "coord_asean": [other, draft], "fp_tha": [other, draft]}
    hidden_countries = set(INVITED) - VISIBLE_COUNTRIES.get(role, set())
    ids["private"] = [*hidden_ops.get(role, [draft]), *country_names(*sorted(hidden_countries))]
    own = world["token_ids"].get(role, 0)
    ids["own_token"] = own
    ids["others_token"] = world["token_ids"]["fp_tha" if role == "organiser" else "organiser"]
    return ids


def run_cases(
    client: Any,
    role: str,
    table: dict[str, list[Case]],
    ids: dict[str, Any],
    *,
    api_token: str | None = None,
) -> list[str]:
    """Run every case of the table as ``role``; return the mismatches (empty when all hold)."""
    problems: list[str] = []
    is_api = api_token is not None or table is API
    token = None
    if not is_api:
        token = csrf_token(client, "/login" if role == "anonymous" else "/account/")
    headers = bearer(api_token) if api_token else {}
    # logging out ends the session, so it comes last
    for endpoint in sorted(table, key=lambda e: e == "auth.logout"):
        for case in table[endpoint]:
            url = case.url.format(**ids)
            data = {k: v.format(**ids) if isinstance(v, str) else v for k, v in case.data.items()}
            if case.method == G:
                response = client.get(url, headers=headers)
            elif is_api:
                response = client.open(url, method=case.method, json=data, headers=headers)
            else:
                response = client.open(url, method=case.method, data={**data, "csrf_token": token})
            want = case.expected[role]
            got = response.status_code
            where = f"{role:11} {case.method:5} {url}"
            if got != want:
                problems.append(f"{where}: {got}, expected {want}")
            elif role == "anonymous" and got == 302:
                if not location_path(response).startswith("/login"):
                    problems.append(f"{where}: redirects to {response.headers['Location']}")
            elif got in (401, 403, 404) and is_api:
                body = response.get_json()
                if not (body and body["error"]["status"] == got and body["error"]["message"]):
                    problems.append(f"{where}: {got} without a JSON error body")
            if got in (403, 404):
                # a refusal carries no data: no operation and no country of the world
                text = response.get_data(as_text=True)
                if leaked := [s for s in ids["private"] if s in text]:
                    problems.append(f"{where}: the {got} answer shows {leaked}")
    return problems


def client_for(app: Any, role: str) -> Any:
    if role == "anonymous":
        return app.test_client()
    return signed_in(app, f"{role}@test.example")


# -- the matrix -------------------------------------------------------------------------------
def test_the_matrix_covers_every_route(app):
    matrix = {**WEB, **API}
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(matrix), "add the new routes to the scope matrix"
    assert all(e.startswith("api.") for e in API)
    assert not any(e.startswith("api.") for e in WEB)
    for rule in app.url_map.iter_rules():
        methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
        covered = {case.method for case in matrix[rule.endpoint]}
        assert methods <= covered, f"{rule.endpoint}: {methods - covered} not in the matrix"
        for case in matrix[rule.endpoint]:
            assert set(case.expected) == set(ROLES), rule.endpoint


@pytest.mark.parametrize("role", ROLES)
def test_web_scope_matrix(app, world, role):
    problems = run_cases(client_for(app, role), role, WEB, ids_for(world, role))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_api_scope_matrix(app, world, role):
    token = world["tokens"].get(role)
    client = app.test_client()
    problems = run_cases(client, role, API, ids_for(world, role), api_token=token)
    assert not problems, "\n".join(problems)


# -- what each role sees ----------------------------------------------------------------------
def country_names(*iso3: str) -> list[str]:
    return [db.session.get(Country, code).name for code in iso3]


def json_strings(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(json_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(json_strings(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) else set()


@pytest.mark.parametrize("role", ["fp_tha", "fp_ken"])
def test_a_focal_point_never_sees_another_country(app, world, role):
    own = OWN_COUNTRY[role]
    others = [c for c in INVITED if c != own]
    [own_name] = country_names(own)
    foreign_names = country_names(*others)
    op, other = world["op"], world["other"]

    client = signed_in(app, f"{role}@test.example")
    pages = ["/home", "/operations/", f"/operations/{op}", f"/operations/{op}/participations/{own}"]
    if own == "KEN":
        pages.append(f"/operations/{other}")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert not [n for n in foreign_names if n in html], url
    assert own_name in client.get("/home").get_data(as_text=True)

    headers = bearer(world["tokens"][role])
    api = app.test_client()
    urls = [
        f"{A}/operations",
        f"{A}/operations/{op}",
        f"{A}/operations/{op}/participations",
        f"{A}/operations/{op}/participations/{own}",
    ]
    for url in urls:
        response = api.get(url, headers=headers)
        assert response.status_code == 200, url
        strings = json_strings(response.get_json())
        assert not strings & (set(others) | set(foreign_names)), url
    listed = api.get(f"{A}/operations/{op}/participations", headers=headers).get_json()
    assert [p["country"] for p in listed["items"]] == [own]


@pytest.mark.parametrize(
    "role, members, outsiders",
    [
        ("coord_asean", {"THA", "VNM"}, ("KEN", "UGA", "FRA")),
        ("coord_latf", {"KEN", "UGA"}, ("THA", "VNM", "FRA")),
    ],
)
def test_a_coordinator_sees_only_its_member_states(app, world, role, members, outsiders):
    op = world["op"]
    client = signed_in(app, f"{role}@test.example")
    outsider_names = country_names(*outsiders)
    for url in ("/home", f"/operations/{op}"):
        html = client.get(url).get_data(as_text=True)
        assert all(name in html for name in country_names(*members)), url
        assert not [n for n in outsider_names if n in html], url

    headers = bearer(world["tokens"][role])
    api = app.test_client()
    listed = api.get(f"{A}/operations/{op}/participations", headers=headers).get_json()
    assert {p["country"] for p in listed["items"]} == members
    visible_ops = {o["id"] for o in api.get(f"{A}/operations", headers=headers).get_json()["items"]}
    # the results operation has both networks' member states too
    expected = {op, world["rop"]} | (set() if role == "coord_asean" else {world["other"]})
    # so has the evaluation operation (scope_evaluation.extend_world)
    expected.add(world["eop"])
    assert visible_ops == expected


def test_a_member_state_without_a_coordinating_network_is_still_the_coordinators(app, world, users):
    op = db.session.get(Operation, world["op"])
    ops.invite_country(op, db.session.get(Country, "MYS"), None, by=users["organiser"])
    db.session.commit()
    headers = bearer(world["tokens"]["coord_asean"])
    listed = app.test_client().get(f"{A}/operations/{op.id}/participations", headers=headers)
    assert {p["country"] for p in listed.get_json()["items"]} == {"THA", "VNM", "MYS"}
    other_coordinator = bearer(world["tokens"]["coord_latf"])
    listed = app.test_client().get(
        f"{A}/operations/{op.id}/participations", headers=other_coordinator
    )
    assert "MYS" not in {p["country"] for p in listed.get_json()["items"]}


def test_communications_gets_aggregates_only(app, world, users):
    op = db.session.get(Operation, world["op"])
    ops.respond(
        db.session.scalar(
            select(Participation).where(
                Participation.operation_id == op.id, Participation.country_iso3 == "KEN"
            )
        ),
        ParticipationStatus.CONFIRMED,
        "",
        users["fp_ken"],
    )
    db.session.commit()
    names = country_names(*INVITED)

    client = signed_in(app, "comms@test.example")
    for url in ("/home", "/operations/", f"/operations/{op.id}"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert not [n for n in names if n in html], url
    detail = client.get(f"/operations/{op.id}").get_data(as_text=True)
    assert 'badge-invited">invited</span> <strong>4</strong>' in detail
    assert 'badge-confirmed">confirmed</span> <strong>1</strong>' in detail
    for iso3 in INVITED:
        assert client.get(f"/operations/{op.id}/participations/{iso3}").status_code == 404

    headers = bearer(world["tokens"]["comms"])
    api = app.test_client()
    body = api.get(f"{A}/operations/{op.id}", headers=headers).get_json()
    assert body["participation_counts"] == {
        "invited": 4,
        "confirmed": 1,
        "declined": 0,
        "withdrawn": 0,
    }
    assert not json_strings(body) & (set(INVITED) | set(names))
    listing = api.get(f"{A}/operations", headers=headers).get_json()
    assert not json_strings(listing) & (set(INVITED) | set(names))
    assert api.get(f"{A}/operations/{op.id}/participations", headers=headers).status_code == 404


# -- what each role may change ----------------------------------------------------------------
def participation_state(op_id: int, iso3: str) -> tuple[str, str, Any]:
    db.session.commit()  # a fresh snapshot: see what the requests committed
    p = db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op_id, Participation.country_iso3 == iso3
        )
    )
    return (str(p.status), p.status_note, p.responded_at)


def respond_events() -> int:
    return db.session.scalar(
        select(func.count()).where(AuditEvent.action == "participation.respond")
    )


@pytest.mark.parametrize(
    "role, iso3, web_status, api_status",
    [
        ("fp_ken", "THA", 404, 404),
        ("fp_tha", "KEN", 404, 404),
        ("fp_tha", "VNM", 404, 404),
        ("coord_asean", "THA", 403, 403),
        ("coord_latf", "THA", 404, 404),
        ("comms", "THA", 404, 404),
    ],
)
def test_only_the_countrys_focal_point_answers(app, world, role, iso3, web_status, api_status):
    op = world["op"]
    before = participation_state(op, iso3)
    events = respond_events()
    url = f"/operations/{op}/participations/{iso3}"
    client = signed_in(app, f"{role}@test.example")
    token = csrf_token(client, "/account/")
    response = client.post(url, data={"status": "confirmed", "csrf_token": token})
    assert response.status_code == web_status
    api = app.test_client().patch(
        A + url, json={"status": "declined"}, headers=bearer(world["tokens"][role])
    )
    assert api.status_code == api_status
    assert api.get_json()["error"]["status"] == api_status
    assert participation_state(op, iso3) == before
    assert respond_events() == events


def counts() -> tuple[int, int]:
    db.session.commit()
    return (
        db.session.scalar(select(func.count()).select_from(Operation)),
        db.session.scalar(select(func.count()).select_from(Participation)),
    )


@pytest.mark.parametrize("role", ["coord_asean", "coord_latf", "fp_tha", "fp_ken", "comms"])
def test_only_organisers_create_operations_and_invite_countries(app, world, role):
    op = world["op"]
    before = counts()
    client = signed_in(app, f"{role}@test.example")
    token = csrf_token(client, "/account/")
    assert (
        client.post("/operations/new", data={**NEW_OPERATION, "csrf_token": token}).status_code
        == 404
    )
    invite = {"country": "MYS", "csrf_token": token}
    assert client.post(f"/operations/{op}/participations", data=invite).status_code == 404
    api = app.test_client()
    headers = bearer(world["tokens"][role])
    assert api.post(f"{A}/operations", json=NEW_API_OPERATION, headers=headers).status_code == 403
    response = api.post(
        f"{A}/operations/{op}/participations", json={"country": "MYS"}, headers=headers
    )
    assert response.status_code == 403
    assert counts() == before


def test_an_organiser_creates_operations_and_invites_countries(app, world):
    op = world["op"]
    operations, participations = counts()
    client = signed_in(app, "organiser@test.example")
    token = csrf_token(client, "/account/")
    assert (
        client.post("/operations/new", data={**NEW_OPERATION, "csrf_token": token}).status_code
        == 302
    )
    invite = {"country": "MYS", "csrf_token": token}
    assert client.post(f"/operations/{op}/participations", data=invite).status_code == 302
    api = app.test_client()
    headers = bearer(world["tokens"]["organiser"])
    assert api.post(f"{A}/operations", json=NEW_API_OPERATION, headers=headers).status_code == 201
    response = api.post(
        f"{A}/operations/{op}/participations", json={"country": "SGP"}, headers=headers
    )
    assert response.status_code == 201
    assert counts() == (operations + 2, participations + 2)
    assert json.loads(response.get_data())["country"] == "SGP"


def briefing_world(operation: Operation, users: dict[str, Any]) -> dict[str, int]:
    """Guidelines to acknowledge; a global and a LATF briefing that took place, an ASEAN-WEN
    briefing to come, and a spare global one to cancel."""
    from opsplanner.models import BriefingKind, MeetingMode

    organiser = users["organiser"]
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    operation.guidelines = "## Guidelines\n\nOperational details travel over CENcomm only."

    def brief(title: str, acronym: str | None, start: datetime) -> int:
        data = briefings.BriefingInput(
            title=title,
            kind=BriefingKind.BRIEFING,
            mode=MeetingMode.VIRTUAL,
            network=network(acronym) if acronym else None,
            start_local=start,
            timezone="Asia/Bangkok",
            duration_minutes=90,
        )
        # scheduled back when the past ones were still to come
        return briefings.schedule(operation, data, organiser, now=long_ago).id

    held, to_come = datetime(2021, 3, 1, 16, 0), datetime(2030, 1, 20, 16, 0)
    ids = {
        "brief_global": brief("Global kick-off", None, held),
        "brief_latf": brief("LATF briefing", "LATF", held),
        "brief_asean": brief("ASEAN-WEN briefing", "ASEAN-WEN", to_come),
        "brief_spare": brief("Spare briefing", None, to_come),
        "asean": network("ASEAN-WEN").id,
    }
    db.session.commit()
    return ids
