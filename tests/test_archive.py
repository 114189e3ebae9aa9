"""The archive: an archived operation is read-only for every role, on every page and API call.

The route test walks the app's url_map: every POST/PUT/PATCH/DELETE route whose URL names an
operation is sent, as an organiser, to an archived operation, and must answer 409 with the
archive message while every table stays exactly as it was. A route added later is walked too
(and ``test_a_route_added_later_is_covered`` shows the rule needs nothing from the new view)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    HighlightCase,
    OperationPhase,
    Pack,
    PackAudience,
    PackStatus,
    Participation,
    PressTemplate,
    RecordSource,
    Role,
    Seizure,
)
from opsplanner.services import (
    activities,
    archive,
    briefings,
    enrolment,
    imports,
    phases,
    press,
    priorities,
    reports,
    seizures,
)
from opsplanner.services import operations as ops
from opsplanner.services.errors import DomainError
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse
from opsplanner.views.archive_guard import READS, reads
from tests.conftest import bearer, csrf_token, seizure_row, signed_in

WRITES = ("POST", "PUT", "PATCH", "DELETE")
MESSAGE = "is archived: its records are read-only"
# tables that change on every request whatever it does (sign-in stamps, token use)
VOLATILE = {"user", "api_token", "alembic_version"}


def fingerprint() -> dict[str, str]:
    """A digest of every row of every table: equal before and after means nothing changed."""
    db.session.expire_all()
    digests = {}
    for table in db.metadata.sorted_tables:
        if table.name in VOLATILE:
            continue
        rows = db.session.execute(select(table)).all()
        body = "\n".join(sorted(repr(tuple(r)) for r in rows))
        digests[table.name] = hashlib.sha256(body.encode()).hexdigest()
    return digests


def participation(op: Any, iso3: str) -> Participation:
    return db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id, Participation.country_iso3 == iso3
        )
    )


@pytest.fixture
def archived(reporting, users):
    """Operation Test Shield with a Thai seizure, a highlight and a press template, archived."""
    scope = Scope(users["organiser"])
    data, errors = parse(seizure_row(), Catalog.load(reporting))
    assert not errors
    tha = participation(reporting, "THA")
    s = seizures.create(scope, tha, data, errors, source=RecordSource.FORM)
    reports.nominate(scope, tha, s, "Scales in air cargo.", True)
    press.save_template(reporting, "# {{operation}}", 0, users["organiser"])
    reporting.phase = OperationPhase.ARCHIVED
    db.session.commit()
    return reporting


def write_rules(app: Flask) -> list[tuple[Any, str]]:
    """(rule, method) for every write route whose URL names an operation."""
    found = []
    for rule in app.url_map.iter_rules():
        if "operation_id" not in rule.arguments:
            continue
        for method in sorted(set(rule.methods or ()) & set(WRITES)):
            found.append((rule, method))
    return sorted(found, key=lambda rm: (rm[0].rule, rm[1]))


def url_for_rule(rule: Any, op_id: int, ids: dict[str, int]) -> str:
    """Fill the rule's arguments: the archived operation, Thailand, existing ids where known
    (the refusal comes before any of them is loaded, so any id would do)."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if name == "operation_id":
            values[name] = op_id
        elif name == "iso3":
            values[name] = "THA"
        elif hasattr(converter, "items"):
            values[name] = sorted(converter.items)[0]
        elif name in ids:
            values[name] = ids[name]
        elif type(converter).__name__ == "IntegerConverter":
            values[name] = 1
        else:
            values[name] = "submit"
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", str(value))
        for conv in ("int", "string", "path"):
            path = path.replace(f"<{conv}:{name}>", str(value))
    if "<any(" in path:  # <any(a, b):name>
        import re

        path = re.sub(r"<any\([^)]*\):(\w+)>", lambda m: str(values[m.group(1)]), path)
    assert "<" not in path, path
    return path


def test_every_write_route_of_an_archived_operation_is_refused(app, archived, users, api_tokens):
    s = db.session.scalar(select(Seizure))
    ids = {"seizure_id": s.id, "highlight_id": db.session.scalar(select(HighlightCase.id))}
    rules = write_rules(app)
    web = [(r, m) for r, m in rules if not r.rule.startswith("/api/")]
    api = [(r, m) for r, m in rules if r.rule.startswith("/api/")]
    # the walk covers both sides, and the routes the brief names among others
    assert len(web) > 25 and len(api) > 20
    endpoints = {r.endpoint for r, _ in rules}
    assert {"setup.priorities_page", "results.new_seizure", "api.create_seizure"} <= endpoints
    # each web route is sent by a role it is for (an organiser where organisers may)
    clients = {}
    for key in ("organiser", "fp_tha", "coord_asean"):
        client = signed_in(app, f"{key}@test.example")
        clients[key] = (client, csrf_token(client, "/account/"))
    by_role = {Role.ORGANISER: "organiser", Role.FOCAL_POINT: "fp_tha"}
    before = fingerprint()
    checked = []
    for rule, method in rules:
        if reads(rule.endpoint):
            continue
        url = url_for_rule(rule, archived.id, ids)
        if rule.rule.startswith("/api/"):
            client, _ = clients["organiser"]
            response = client.open(
                url, method=method, json={}, headers=bearer(api_tokens["organiser"])
            )
            message = response.get_json()["error"]["message"]
        else:
            roles = getattr(app.view_functions[rule.endpoint], "_required_roles", None)
            role = Role.ORGANISER if not roles or Role.ORGANISER in roles else roles[0]
            client, token = clients[by_role.get(role, "coord_asean")]
            response = client.open(url, method=method, data={"csrf_token": token})
            message = response.get_data(as_text=True)
        assert response.status_code == 409, (method, url, response.status_code)
        assert MESSAGE in message, (method, url)
        checked.append(rule.endpoint)
    assert fingerprint() == before
    assert len(checked) == len([1 for r, _ in rules if not reads(r.endpoint)])


def test_the_read_only_posts_are_exports(app):
    """The routes left open on an archived operation queue an export or a pack: they are POSTs
    that write nothing to the operation. Every one of them exists (no stale names)."""
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert endpoints >= READS
    for name in READS:
        assert any(word in name for word in ("export", "pack")), name
    # besides them, only starting a copy (it reads the source, writes a new operation)
    marked = {e for e in endpoints if reads(e)} - READS
    assert marked == {"compare.copy_operation"}


def test_the_refusal_comes_with_the_scope_rule_first(app, archived, users, api_tokens):
    # Kenya's focal point may not see Thailand: still the view's 404, not the archive answer
    fp_ken = signed_in(app, "fp_ken@test.example")
    token = csrf_token(fp_ken, "/account/")
    response = fp_ken.post(
        f"/operations/{archived.id}/results/THA/seizures/new", data={"csrf_token": token}
    )
    assert response.status_code == 404
    # a page reserved to organisers stays a 404 for a focal point
    response = fp_ken.post(
        f"/operations/{archived.id}/participations", data={"csrf_token": token, "country": "MYS"}
    )
    assert response.status_code == 404
    # their own country: the archive answer
    response = fp_ken.post(
        f"/operations/{archived.id}/participations/KEN",
        data={"csrf_token": token, "status": "declined"},
    )
    assert response.status_code == 409
    assert participation(archived, "KEN").status.value == "confirmed"
    # the API: no token is a 401 as ever; a token of another country, 404
    assert fp_ken.post(f"/api/v1/operations/{archived.id}/priorities", json={}).status_code == 401
    response = fp_ken.post(
        f"/api/v1/operations/{archived.id}/countries/THA/seizures",
        json={},
        headers=bearer(api_tokens["fp_ken"]),
    )
    assert response.status_code == 404


def test_a_route_added_later_is_covered(app, archived, users):
    """A new write route needs nothing of its own: the rule is applied before the view."""
    calls: list[int] = []

    def new_thing(operation_id: int) -> str:
        calls.append(operation_id)
        return "written"

    app.add_url_rule(
        "/operations/<int:operation_id>/new-thing", "new_thing", new_thing, methods=["POST"]
    )
    organiser = signed_in(app, "organiser@test.example")
    token = csrf_token(organiser, "/account/")
    response = organiser.post(f"/operations/{archived.id}/new-thing", data={"csrf_token": token})
    assert response.status_code == 409 and calls == []
    archived.phase = OperationPhase.PUBLISHED
    db.session.commit()
    response = organiser.post(f"/operations/{archived.id}/new-thing", data={"csrf_token": token})
    assert response.status_code == 200 and calls == [archived.id]


def test_reads_still_work_and_the_pages_say_archived(app, archived, users):
    organiser = signed_in(app, "organiser@test.example")
    for path in (
        "",
        "/priorities",
        "/results",
        "/results/THA",
        "/completeness",
        "/summary",
        "/briefings/",
        "/plans",
    ):
        response = organiser.get(f"/operations/{archived.id}{path}")
        assert response.status_code == 200, path
        assert "Archived — read-only" in response.get_data(as_text=True), path
    page = organiser.get(f"/operations/{archived.id}").get_data(as_text=True)
    assert "Edit set-up" not in page
    assert "Invite a country" not in page
    assert "Start a new operation from this set-up" in page
    fp = signed_in(app, "fp_tha@test.example")
    page = fp.get(f"/operations/{archived.id}/results/THA").get_data(as_text=True)
    assert "Archived — read-only" in page


def test_an_export_of_an_archived_operation_is_still_allowed(app, archived, users, monkeypatch):
    from opsplanner.services import jobs

    monkeypatch.setattr(jobs, "dispatch", lambda job_id, countdown=None: None)
    organiser = signed_in(app, "organiser@test.example")
    token = csrf_token(organiser, "/account/")
    response = organiser.post(f"/operations/{archived.id}/export", data={"csrf_token": token})
    assert response.status_code == 302


def _services(op: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Every service that changes an operation's data, called on the archived operation. The
    archive check comes first, so stand-ins carry just the way to the operation."""
    by = users["organiser"]
    scope = Scope(by)
    tha = participation(op, "THA")
    seizure = db.session.scalar(select(Seizure))
    on_op = SimpleNamespace(operation=op)
    activity = SimpleNamespace(participation=tha)
    prio = op.priorities[0]
    from opsplanner.models import Country, Network

    mys = db.session.get(Country, "MYS")
    naweg = db.session.scalar(select(Network).where(Network.acronym == "NAWEG"))
    return {
        "operations.invite_country": lambda: ops.invite_country(op, mys, None, by),
        "operations.respond": lambda: ops.respond(tha, ops.ParticipationStatus.WITHDRAWN, "", by),
        "operations.update_operation": lambda: ops.update_operation(
            op, None, by, guidelines="", timezone=""
        ),
        "priorities.add": lambda: priorities.add(op, None, by),
        "priorities.edit": lambda: priorities.edit(prio, None, by),
        "priorities.move": lambda: priorities.move(prio, 1, by),
        "priorities.remove": lambda: priorities.remove(prio, by),
        "briefings.schedule": lambda: briefings.schedule(op, None, by),
        "briefings.edit": lambda: briefings.edit(on_op, None, by),
        "briefings.cancel": lambda: briefings.cancel(on_op, by),
        "briefings.record_attendance": lambda: briefings.record_attendance(on_op, tha, True, 1, by),
        "briefings.acknowledge_guidelines": lambda: briefings.acknowledge_guidelines(tha, by),
        "activities.create": lambda: activities.create(tha, None, by),
        "activities.update": lambda: activities.update(activity, None, 1, by),
        "activities.delete": lambda: activities.delete(activity, 1, by),
        "activities.add_comment": lambda: activities.add_comment(tha, "note", by),
        "reports.transition": lambda: reports.transition(scope, tha, "submit"),
        "reports.bulk_transition": lambda: reports.bulk_transition(scope, [tha], "submit"),
        "reports.update_national": lambda: reports.update_national(scope, tha, None, 1),
        "reports.nominate": lambda: reports.nominate(scope, tha, seizure, "x", True),
        "reports.withdraw_highlight": lambda: reports.withdraw_highlight(
            scope, tha, db.session.scalar(select(HighlightCase))
        ),
        "seizures.create": lambda: seizures.create(scope, tha, None, [], source=RecordSource.FORM),
        "seizures.update": lambda: seizures.update(scope, seizure, None, [], seizure.version),
        "seizures.delete": lambda: seizures.delete(scope, seizure, None),
        "imports.stage_upload": lambda: imports.stage_upload(scope, tha, "x.csv", io.BytesIO(b"")),
        "imports.confirm": lambda: imports.confirm(scope, tha, None),
        "imports.discard": lambda: imports.discard(scope, tha, None),
        "imports.import_rows": lambda: imports.import_rows(scope, tha, [], dry_run=False),
        "press.save_template": lambda: press.save_template(op, "# x", 1, by),
        "enrolment.invite_network": lambda: enrolment.invite_network(op, naweg, by),
        "phases.move": lambda: phases.move(op, OperationPhase.PUBLISHED, by),
    }


def test_every_service_refuses_to_change_an_archived_operation(app, archived, users):
    before = fingerprint()
    calls = _services(archived, users)
    for name, call in calls.items():
        with pytest.raises(archive.ArchivedOperation) as refused:
            call()
        assert MESSAGE in refused.value.message, name
        assert refused.value.status == 409
    db.session.rollback()
    assert fingerprint() == before


def test_a_published_operation_keeps_its_own_refusals(app, archived, users):
    archived.phase = OperationPhase.PUBLISHED
    db.session.commit()
    from opsplanner.models import Country

    with pytest.raises(DomainError) as refused:
        ops.invite_country(archived, db.session.get(Country, "MYS"), None, users["organiser"])
    assert refused.value.message == "a published or archived operation takes no new countries"
    assert not isinstance(refused.value, archive.ArchivedOperation)
    with pytest.raises(DomainError) as refused:
        ops.respond(
            participation(archived, "THA"),
            ops.ParticipationStatus.WITHDRAWN,
            "",
            users["organiser"],
        )
    assert refused.value.message == "the operation is closed"


# -- moving to the archive ------------------------------------------------------------------------
def published(op: Any) -> Any:
    op.phase = OperationPhase.PUBLISHED
    db.session.commit()
    return op


def test_archiving_needs_the_public_pack(app, reporting, users):
    op = published(reporting)
    now = op.embargo_until + timedelta(days=1)
    check = phases.check_move(op, OperationPhase.ARCHIVED, now=now)
    assert check.reasons == ["the public pack has not been built yet"]
    for audience, status in (
        (PackAudience.INTERNAL, PackStatus.SUCCEEDED),
        (PackAudience.PUBLIC, PackStatus.FAILED),
    ):
        db.session.add(
            Pack(
                operation=op,
                audience=audience,
                status=status,
                data_version="x" * 8,
                inputs_version=f"{audience}-{status}",
                embargo_until=op.embargo_until,
            )
        )
    db.session.flush()
    assert not phases.check_move(op, OperationPhase.ARCHIVED, now=now).allowed
    db.session.add(
        Pack(
            operation=op,
            audience=PackAudience.PUBLIC,
            status=PackStatus.SUCCEEDED,
            data_version="z" * 8,
            inputs_version="built",
            embargo_until=op.embargo_until,
        )
    )
    db.session.flush()
    assert phases.check_move(op, OperationPhase.ARCHIVED, now=now).allowed
    phases.move(op, OperationPhase.ARCHIVED, users["organiser"], now=now)
    db.session.commit()
    assert archive.is_archived(op)
    # nothing leaves the archive
    assert phases.next_moves(op) == []
    with pytest.raises(archive.ArchivedOperation):
        phases.move(op, OperationPhase.PUBLISHED, users["organiser"])


def test_the_organiser_archives_from_the_page(app, reporting, users):
    op = published(reporting)
    op.embargo_until = datetime.now(UTC) - timedelta(days=1)
    db.session.add(
        Pack(
            operation=op,
            audience=PackAudience.PUBLIC,
            status=PackStatus.SUCCEEDED,
            data_version="z" * 8,
            inputs_version="y" * 8,
            embargo_until=op.embargo_until,
        )
    )
    db.session.commit()
    organiser = signed_in(app, "organiser@test.example")
    token = csrf_token(organiser, f"/operations/{op.id}")
    response = organiser.post(
        f"/operations/{op.id}/phase", data={"csrf_token": token, "target": "archived"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert op.phase is OperationPhase.ARCHIVED
    assert db.session.scalar(select(PressTemplate.operation_id)) is None
