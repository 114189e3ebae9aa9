"""The press-release template page (views/press.py, services/press.py): the organiser saves a
template and the next pack's press files are filled from it; unknown placeholders, an empty or
too long text and a stale version are refused; only organisers reach the page; the preview and
the placeholder values come from the live public figures through the pack's own filling code."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from opsplanner.extensions import db
from opsplanner.models import AuditEvent, PressTemplate
from opsplanner.services import chart_files, jobs, pack_sections, packs, press
from opsplanner.services.errors import Conflict, DomainError
from tests import pack_datasets
from tests.conftest import field_errors, location_path, post_form, signed_in
from tests.test_packs import build, read_zip

OTHERS = ("coord_asean", "coord_latf", "fp_tha", "fp_ken", "comms")


def url(op: Any) -> str:
    return f"/operations/{op.id}/packs/press-template"


def textarea(html: str) -> str:
    match = re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no template field"
    assert match.group(1).startswith("\n")  # the newline an HTML parser drops after the tag
    return match.group(1)[1:]


def version_field(html: str) -> str:
    match = re.search(r'name="version" value="([^"]*)"', html)
    assert match, "no version field"
    return match.group(1)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """The jobs the code dispatches, for ``build`` to run in-process."""
    ids: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", lambda job_id, countdown=None: ids.append(job_id) or True)
    return ids


@pytest.fixture
def no_chromium(monkeypatch) -> None:
    monkeypatch.setattr(chart_files, "chromium_path", lambda: None)


@pytest.fixture
def mixed(app, users, reporting) -> Any:
    """``reporting`` with the mixed dataset (public: 7 seizures, 13 arrests, 5 countries) and
    its embargo a month ahead."""
    pack_datasets.mixed(reporting, users)
    reporting.embargo_until = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    db.session.commit()
    return reporting


# -- saving, and the next pack ------------------------------------------------------------------
EDITED = (
    "# {operation}: the results\r\n\r\n"
    "{seizures} seizures and {arrests} arrests in {countries} countries.\r\n\r\n"
    "{top_commodities}\r\n"
)


def test_the_organiser_saves_and_the_next_pack_uses_the_template(
    app, users, mixed, sent, no_chromium
):
    client = signed_in(app, "organiser@test.example")
    page = client.get(url(mixed)).get_data(as_text=True)
    assert version_field(page) == "0"  # the shipped template, not stored yet
    assert "Note to editors" in textarea(page)

    response = post_form(client, url(mixed), {"body": EDITED, "version": "0"})
    assert response.status_code == 302 and location_path(response) == url(mixed)
    db.session.expire_all()
    row = db.session.get(PressTemplate, mixed.id)
    assert row.version == 1 and row.updated_by_id == users["organiser"].id
    assert row.body == EDITED.replace("\r\n", "\n")  # stored as the pack writes it
    (created,) = events("press_template.create")
    assert created.operation_id == mixed.id and created.after["version"] == 1
    assert created.actor_id == users["organiser"].id and created.via == "web"

    page = client.get(url(mixed)).get_data(as_text=True)
    assert version_field(page) == "1" and "Note to editors" not in textarea(page)

    pack = build(mixed, users["organiser"], "public", sent)
    md = read_zip(pack)["press/press-release.md"].decode()
    assert md.startswith("**EMBARGOED until")
    assert "# Operation Test Shield: the results" in md
    assert "7 seizures and 13 arrests in 5 countries." in md
    assert "kg of ivory" in md and "Note to editors" not in md
    html = (packs.section_dir(pack, "press") / "press-release.html").read_text()
    assert "7 seizures and 13 arrests in 5 countries." in html
    # the preview is what the pack wrote, but for the notice line
    assert md.endswith(press.preview(mixed).markdown)

    # a second save, from the version now stored
    again = EDITED.replace("the results", "results")
    assert post_form(client, url(mixed), {"body": again, "version": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(PressTemplate, mixed.id).version == 2
    (updated,) = events("press_template.update")
    assert updated.before["version"] == 1 and updated.after["version"] == 2
    assert "the results" in updated.before["body"] and "the results" not in updated.after["body"]


def test_saving_the_same_text_changes_nothing(app, users, mixed):
    organiser = users["organiser"]
    assert press.save_template(mixed, EDITED, 0, organiser) is True
    db.session.commit()
    assert press.save_template(mixed, EDITED, 1, organiser) is False
    db.session.commit()
    assert db.session.get(PressTemplate, mixed.id).version == 1
    assert len(events("press_template.update")) == 0


def test_a_template_saved_after_a_pack_reaches_the_next_pack(app, users, mixed, sent, no_chromium):
    first = build(mixed, users["organiser"], "public", sent)
    press.save_template(mixed, "Now {seizures} seizures.", 0, users["organiser"])
    db.session.commit()
    pack = build(mixed, users["organiser"], "public", sent)
    assert pack.id != first.id and pack.data_version == first.data_version
    assert "Now 7 seizures." in read_zip(pack)["press/press-release.md"].decode()
    # the earlier pack keeps the template it was asked with
    assert "Now 7 seizures." not in read_zip(first)["press/press-release.md"].decode()
    # and asking again with the same template reuses the new pack
    assert build(mixed, users["organiser"], "public", sent).id == pack.id


# -- refusals -----------------------------------------------------------------------------------
def test_unknown_placeholders_are_refused_naming_them(app, users, mixed):
    client = signed_in(app, "organiser@test.example")
    body = "{seizures} seizures, {Seizures}, {seizure_count} and { arrests }; {: .lead} {}"
    response = post_form(client, url(mixed), {"body": body, "version": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    (message,) = field_errors(page)["body"]
    assert "Unknown placeholders: {Seizures}, {seizure_count}, { arrests }." in message
    for name in pack_sections.PLACEHOLDERS:
        assert "{" + name + "}" in message
    assert "{seizures}," not in message.split("Unknown placeholders:")[1].split(".")[0]
    assert textarea(page) == body  # the text stays on the page
    assert db.session.get(PressTemplate, mixed.id) is None
    assert events("press_template.create") == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", "cannot be empty"),
        ("  \r\n\t ", "cannot be empty"),
        ("{seizures} " + "x" * press.MAX_LENGTH, "too long"),
    ],
)
def test_an_empty_or_too_long_template_is_refused(app, users, mixed, body, says):
    with pytest.raises(DomainError, match=says) as exc:
        press.save_template(mixed, body, 0, users["organiser"])
    assert exc.value.field == "body"
    client = signed_in(app, "organiser@test.example")
    response = post_form(client, url(mixed), {"body": body, "version": "0"})
    assert response.status_code == 422
    assert says in field_errors(response.get_data(as_text=True))["body"][0]
    assert db.session.get(PressTemplate, mixed.id) is None


def test_a_template_of_exactly_the_maximum_length_is_saved(app, users, mixed):
    body = "{seizures}" + "x" * (press.MAX_LENGTH - len("{seizures}"))
    assert press.save_template(mixed, body, 0, users["organiser"]) is True


def test_a_stale_version_is_refused_with_409(app, users, mixed):
    client = signed_in(app, "organiser@test.example")
    page = client.get(url(mixed)).get_data(as_text=True)
    assert version_field(page) == "0"
    # another organiser saves in between
    press.save_template(mixed, "Theirs: {seizures}.", 0, users["organiser"])
    db.session.commit()

    mine = "Mine: {arrests}."
    response = post_form(client, url(mixed), {"body": mine, "version": "0"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed by someone else" in page and "version 1" in page
    assert textarea(page) == mine and version_field(page) == "0"  # saving again: refused again
    db.session.expire_all()
    assert db.session.get(PressTemplate, mixed.id).body == "Theirs: {seizures}."
    assert post_form(client, url(mixed), {"body": mine, "version": "0"}).status_code == 409
    # without a version
    assert post_form(client, url(mixed), {"body": mine}).status_code == 422


def test_losing_the_race_at_flush_is_a_conflict(app, users, mixed, monkeypatch):
    organiser = users["organiser"]
    press.save_template(mixed, "First {seizures}.", 0, organiser)
    db.session.commit()
    row = db.session.get(PressTemplate, mixed.id)
    assert row.version == 1
    # someone else's save, committed on another connection between our read and our flush
    with db.engine.begin() as other:
        other.execute(
            update(PressTemplate)
            .where(PressTemplate.operation_id == mixed.id)
            .values(body="Theirs {arrests}.", version=2)
        )
    assert row.version == 1  # our copy is the one read before
    with pytest.raises(Conflict, match="version 2"):
        press.save_template(mixed, "Mine {seizures}.", 1, organiser)


def test_two_first_saves_at_once_are_a_conflict(app, users, mixed, monkeypatch):
    organiser = users["organiser"]
    press.save_template(mixed, "First {seizures}.", 0, organiser)
    db.session.commit()
    db.session.expunge(db.session.get(PressTemplate, mixed.id))
    # the second organiser read "nothing stored" just before the first one's insert
    monkeypatch.setattr(press, "stored", lambda op: None)
    with pytest.raises(Conflict, match="changed by someone else"):
        press.save_template(mixed, "Second {seizures}.", 0, organiser)


# -- who may -----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", OTHERS)
def test_only_organisers_reach_the_page(app, users, mixed, role):
    client = signed_in(app, f"{role}@test.example")
    assert client.get(url(mixed)).status_code == 404
    token_page = "/account/"
    body = {"body": "{seizures}", "version": "0"}
    assert post_form(client, url(mixed), body, form_url=token_page).status_code == 404
    assert db.session.get(PressTemplate, mixed.id) is None
    index = client.get(f"/operations/{mixed.id}/packs").get_data(as_text=True)
    assert "press-template" not in index  # comms sees the packs, not the link


def test_anonymous_is_sent_to_sign_in_and_the_organiser_sees_the_link(app, users, mixed):
    response = app.test_client().get(url(mixed))
    assert response.status_code == 302 and location_path(response).startswith("/login")
    client = signed_in(app, "organiser@test.example")
    assert url(mixed) in client.get(f"/operations/{mixed.id}/packs").get_data(as_text=True)
    assert client.get("/operations/999999/packs/press-template").status_code == 404


# -- preview -----------------------------------------------------------------------------------
def test_the_page_previews_the_release_with_the_live_public_figures(app, users, mixed):
    client = signed_in(app, "organiser@test.example")
    page = client.get(url(mixed)).get_data(as_text=True)
    preview = page.split('data-role="preview"')[1]
    assert "<strong>7 seizures</strong>" in preview and "<strong>13 arrests</strong>" in preview
    assert "5 countries" in preview and "Operation Test Shield" in preview
    assert not re.search(r"\{[a-z_]+\}", preview)  # every placeholder filled
    assert "EMBARGOED until" in page
    # every placeholder is listed with its value now
    rows = dict(re.findall(r"<tr><td><code>\{(\w+)\}</code></td><td><code>([^<]*)</code>", page))
    assert set(rows) == set(pack_sections.PLACEHOLDERS)
    assert rows["seizures"] == "7" and rows["arrests"] == "13" and rows["countries"] == "5"
    assert rows["operation"] == "Operation Test Shield" and rows["organiser"] == "WCO"


def test_preview_without_saving_fills_the_submitted_text_and_sanitises_it(app, users, mixed):
    client = signed_in(app, "organiser@test.example")
    body = "**{seizures} seized** in {operation}.\n\n<script>alert(1)</script>[x](javascript:y)"
    response = post_form(client, url(mixed), {"body": body, "version": "0", "action": "preview"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    preview = page.split('data-role="preview"')[1].split("</div>")[0]
    assert "<strong>7 seized</strong> in Operation Test Shield." in preview
    assert "<script>" not in page and "javascript:" not in preview
    assert textarea(page) == body.replace("<", "&lt;").replace(">", "&gt;")
    assert db.session.get(PressTemplate, mixed.id) is None  # nothing saved
    # a preview of a text with an unknown placeholder says so, and still shows it
    response = post_form(
        client, url(mixed), {"body": "{seizures} {typo}", "version": "0", "action": "preview"}
    )
    assert response.status_code == 422
    assert (
        "Unknown placeholders: {typo}." in field_errors(response.get_data(as_text=True))["body"][0]
    )


def test_the_preview_uses_the_packs_filling_code(app, users, mixed, monkeypatch):
    calls: list[str] = []
    original = pack_sections.fill_template
    monkeypatch.setattr(
        pack_sections,
        "fill_template",
        lambda body, values: calls.append(body) or original(body, values),
    )
    result = press.preview(mixed, "{seizures} / {suspects}")
    assert calls == ["{seizures} / {suspects}"]
    assert result.values["seizures"] == "7" and result.markdown.startswith("7 / ")
    assert result.seizures == 7 and result.notice and "EMBARGOED" in result.notice
