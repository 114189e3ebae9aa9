"""The focal-point directory: who sees which entries (never anonymous users or communications,
never outside the viewer's scope), search, audited exports (CSV, XLSX, vCard with its
escaping), entries by coordinators, and the confirmation round."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    ConfirmationRound,
    ConfirmationStatus,
    Contact,
    ContactConfirmation,
    ContactKind,
    Network,
)
from opsplanner.services import contacts, vcard
from opsplanner.services.scoping import Scope
from tests.conftest import bearer, csrf_token, field_errors, post_form, signed_in


def network_id(acronym: str) -> int:
    return db.session.scalar(select(Network.id).where(Network.acronym == acronym))


@pytest.fixture
def people(app, users) -> dict[str, int]:
    def add(key: str, name: str, kind: ContactKind, iso3=None, acronym=None, user=None, **kw):
        c = Contact(
            kind=kind,
            name=name,
            country_iso3=iso3,
            network_id=network_id(acronym) if acronym else None,
            email=kw.pop("email", f"{key}@people.example"),
            user_id=users[user].id if user else None,
            **kw,
        )
        db.session.add(c)
        db.session.flush()
        ids[key] = c.id

    ids: dict[str, int] = {}
    fp, agency, coord = ContactKind.FOCAL_POINT, ContactKind.AGENCY_CONTACT, ContactKind.COORDINATOR
    add("tha_fp", "Niran Thai", fp, "THA", user="fp_tha", agency="CITES Management Authority")
    add("tha_customs", "Pichit Customs", agency, "THA", agency="Thai Customs Department")
    add("vnm", "Lan Vietnam", agency, "VNM", agency="Environmental Police")
    add("ken_fp", "Wanjiru Kenya", fp, "KEN", user="fp_ken")
    add("ken_kws", "Otieno Wildlife", agency, "KEN", agency="Kenya Wildlife Service")
    add("fra", "Claire France", agency, "FRA", agency="Office français de la biodiversité")
    add("asean_coord", "Somchai Asean", coord, acronym="ASEAN-WEN", user="coord_asean")
    add("asean_sec", "Secretariat Asean", agency, acronym="ASEAN-WEN")
    add("latf_coord", "Amani Latf", coord, acronym="LATF", user="coord_latf")
    add("rilo_ap", "Park RiloAP", coord, acronym="WCO RILO AP")
    db.session.commit()
    return ids


ALL = {
    "Niran Thai",
    "Pichit Customs",
    "Lan Vietnam",
    "Wanjiru Kenya",
    "Otieno Wildlife",
    "Claire France",
    "Somchai Asean",
    "Secretariat Asean",
    "Amani Latf",
    "Park RiloAP",
}
SEES = {
    "organiser": ALL,
    "coord_asean": {
        "Niran Thai",
        "Pichit Customs",
        "Lan Vietnam",
        "Somchai Asean",
        "Secretariat Asean",
    },
    "coord_latf": {"Wanjiru Kenya", "Otieno Wildlife", "Amani Latf"},
    # their country's people and the coordinators of the networks their country belongs to
    "fp_tha": {"Niran Thai", "Pichit Customs", "Somchai Asean", "Park RiloAP"},
    "fp_ken": {"Wanjiru Kenya", "Otieno Wildlife", "Amani Latf"},
}


def exports() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).where(AuditEvent.action == "contacts.export"))


def names_in(text: str) -> set[str]:
    return {n for n in ALL if n in text}


def csv_rows(data: bytes | str) -> list[list[str]]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


# -- scope ----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", sorted(SEES))
def test_each_role_sees_only_the_entries_of_its_scope(app, people, api_tokens, role):
    client = signed_in(app, f"{role}@test.example")
    page = client.get("/directory/contacts/")
    assert page.status_code == 200
    assert names_in(page.get_data(as_text=True)) == SEES[role]
    before = exports()
    for fmt in ("csv", "xlsx", "vcf"):
        response = client.get(f"/directory/contacts.{fmt}")
        assert response.status_code == 200, fmt
        assert "attachment" in response.headers["Content-Disposition"]
    assert exports() == before + 3
    listed = client.get("/directory/contacts.csv")
    assert {r[0] for r in csv_rows(listed.data)[1:]} == SEES[role]
    cards = client.get("/directory/contacts.vcf").get_data(as_text=True)
    assert names_in(cards) == SEES[role]
    assert cards.count("BEGIN:VCARD") == len(SEES[role])
    api = app.test_client().get("/api/v1/directory/contacts", headers=bearer(api_tokens[role]))
    assert {c["name"] for c in api.get_json()["items"]} == SEES[role]
    # an entry outside the scope is "not found", also when asked for by its id
    for key, cid in people.items():
        c = db.session.get(Contact, cid)
        status = client.get(f"/directory/contacts/{cid}").status_code
        if c.name not in SEES[role]:
            assert status == 404, key


def test_anonymous_users_never_see_a_contact(app, people):
    client = app.test_client()
    for url in (
        "/directory/contacts/",
        "/directory/contacts.csv",
        "/directory/contacts.xlsx",
        "/directory/contacts.vcf",
        f"/directory/contacts/{people['tha_fp']}",
        "/directory/rounds/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
        assert not names_in(response.get_data(as_text=True))
    api = client.get("/api/v1/directory/contacts")
    assert api.status_code == 401 and not names_in(api.get_data(as_text=True))
    assert exports() == 0


def test_communications_staff_see_no_contact_at_all(app, people, api_tokens):
    client = signed_in(app, "comms@test.example")
    for url in (
        "/directory/contacts/",
        "/directory/contacts.csv",
        "/directory/contacts.vcf",
        f"/directory/contacts/{people['fra']}",
        "/directory/rounds/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert not names_in(response.get_data(as_text=True))
    # sheets and the catalogue are open to them: nothing personal there
    assert client.get("/directory/").status_code == 200
    assert not names_in(client.get("/directory/").get_data(as_text=True))
    assert "Focal-point directory" not in client.get("/directory/").get_data(as_text=True)
    api = app.test_client().get("/api/v1/directory/contacts", headers=bearer(api_tokens["comms"]))
    assert api.status_code == 404 and not names_in(api.get_data(as_text=True))
    assert exports() == 0


def test_every_export_is_on_the_audit_trail(app, users, people, api_tokens):
    client = signed_in(app, "coord_asean@test.example")
    client.get("/directory/contacts.xlsx?country=THA")
    app.test_client().get(
        "/api/v1/directory/contacts?q=customs", headers=bearer(api_tokens["fp_tha"])
    )
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contacts.export").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.via, e.after["format"], e.after["rows"]) for e in events] == [
        (users["coord_asean"].id, "web", "xlsx", 2),
        (users["fp_tha"].id, "api", "json", 1),
    ]
    assert events[0].after["country"] == "THA" and events[0].country_iso3 == "THA"
    assert events[1].after["q"] == "customs"


def test_the_xlsx_export_has_the_directorys_columns(app, people):
    response = signed_in(app, "fp_ken@test.example").get("/directory/contacts.xlsx")
    rows = [
        [c.value for c in r] for r in load_workbook(io.BytesIO(response.data)).active.iter_rows()
    ]
    assert rows[0] == list(contacts.EXPORT_HEADER)
    latf = next(r for r in rows if r[0] == "Amani Latf")
    assert latf[1] == "coordinator" and latf[4] == "LATF" and latf[5] is None


def test_searching_by_name_agency_or_country(app, people):
    client = signed_in(app, "organiser@test.example")

    def found(query: str) -> set[str]:
        return names_in(client.get(f"/directory/contacts/?{query}").get_data(as_text=True))

    assert found("q=otieno") == {"Otieno Wildlife"}
    assert found("q=customs") == {"Pichit Customs"}
    assert found("q=kenya") == {"Wanjiru Kenya", "Otieno Wildlife"}  # the country's name
    assert found("country=tha") == {"Niran Thai", "Pichit Customs"}
    assert found(f"network={network_id('ASEAN-WEN')}") == {"Somchai Asean", "Secretariat Asean"}
    # a search never widens the scope
    narrow = signed_in(app, "fp_tha@test.example")
    assert names_in(narrow.get("/directory/contacts/?q=kenya").get_data(as_text=True)) == set()


# -- vCard ----------------------------------------------------------------------------------
def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_vcard_values_are_escaped():
    assert vcard.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert vcard.escape("x\r\ny\rz") == "x\\ny\\nz"
    assert vcard.escape("bell\x07") == "bell"


def test_a_vcard_cannot_be_broken_out_of():
    card = vcard.card(
        vcard.Card(
            uid="x-1",
            full_name="Eve\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Mallory",
            organisation="Customs; Border, Police",
            title="Head\\of\\unit",
            categories=["EU Enforcement Group", "A,B"],
        )
    )
    lines = unfold(card)
    assert lines.count("BEGIN:VCARD") == 1 and lines.count("END:VCARD") == 1
    assert "FN:Eve\\nEND:VCARD\\nBEGIN:VCARD\\nFN:Mallory" in lines
    assert "N:Eve\\nEND:VCARD\\nBEGIN:VCARD\\nFN:Mallory;;;;" in lines
    assert "ORG:Customs\\; Border\\, Police" in lines
    assert "TITLE:Head\\\\of\\\\unit" in lines
    assert "CATEGORIES:EU Enforcement Group,A\\,B" in lines
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:3.0"] and card.endswith("END:VCARD\r\n")


def test_long_vcard_lines_fold_at_75_octets_without_splitting_characters():
    note = "Côte d'Ivoire, São Tomé and Príncipe; 象牙 " * 6
    card = vcard.card(vcard.Card(uid="x-2", full_name="Ana", note=note))
    for physical in card.split("\r\n"):
        assert len(physical.encode("utf-8")) <= 75, physical
    assert f"NOTE:{vcard.escape(note)}" in unfold(card)


def test_the_vcard_export_round_trips_the_entry(app, people):
    c = db.session.get(Contact, people["ken_kws"])
    c.phone = "+254 20 555 0199"
    c.languages = ["English", "Swahili"]
    c.i247 = True
    c.role = "Head, investigations; Nairobi"
    db.session.commit()
    text = (
        signed_in(app, "fp_ken@test.example").get("/directory/contacts.vcf").get_data(as_text=True)
    )
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    card = next(block for block in text.split("END:VCARD") if "FN:Otieno Wildlife" in unfold(block))
    lines = unfold(card)
    assert "ORG:Kenya Wildlife Service" in lines
    assert "TITLE:Head\\, investigations\\; Nairobi" in lines
    assert "TEL;TYPE=WORK,VOICE:+254 20 555 0199" in lines
    assert "EMAIL;TYPE=INTERNET:ken_kws@people.example" in lines
    assert any(line.startswith("NOTE:") and "I-24/7: yes" in line for line in lines)
    assert "CATEGORIES:KEN" in lines


# -- entries --------------------------------------------------------------------------------
ENTRY = {
    "kind": "agency_contact",
    "name": "Grace Newcomer",
    "agency": "Uganda Wildlife Authority",
    "role": "Intelligence officer",
    "email": "grace@uwa.example",
    "phone": "+256 41 555 0100",
    "languages": "English, Luganda, english",
    "cencomm": "y",
    "country": "UGA",
    "network": "",
    "user": "",
}


def test_a_coordinator_adds_entries_for_member_states_only(app, users, people):
    client = signed_in(app, "coord_latf@test.example")
    response = post_form(client, "/directory/contacts/new", ENTRY)
    assert response.status_code == 302
    added = db.session.scalar(select(Contact).where(Contact.name == "Grace Newcomer"))
    assert added.country_iso3 == "UGA" and added.cencomm and not added.i247
    assert added.languages == ["English", "Luganda"]
    assert added.confirmed_at is None

    # Thailand is not a LATF member state: not even offered
    outside = post_form(client, "/directory/contacts/new", {**ENTRY, "country": "THA"})
    assert outside.status_code == 200
    assert "Not a valid choice" in " ".join(field_errors(outside.get_data(as_text=True))["country"])
    # nor can an entry be moved out of the coordinator's scope through the service
    s = Scope(users["coord_latf"])
    moved = contacts.ContactInput(kind=ContactKind.AGENCY_CONTACT, name="X", country_iso3="THA")
    moved.email = "x@x.example"
    with pytest.raises(contacts.Forbidden):
        contacts.update(s, added, moved, users["coord_latf"])


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": "focal_point", "country": ""}, "country"),
        ({"kind": "coordinator"}, "network"),
        ({"email": "", "phone": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
    ],
)
def test_an_entry_must_be_complete(app, people, changes, field):
    client = signed_in(app, "organiser@test.example")
    response = post_form(client, "/directory/contacts/new", {**ENTRY, **changes})
    assert response.status_code == 200
    assert field in field_errors(response.get_data(as_text=True))
    assert not db.session.scalar(select(Contact).where(Contact.name == "Grace Newcomer"))


def test_focal_points_may_not_add_or_remove_entries(app, people):
    client = signed_in(app, "fp_tha@test.example")
    assert client.get("/directory/contacts/new").status_code == 404
    token = csrf_token(client, "/account/")
    response = client.post(
        f"/directory/contacts/{people['tha_customs']}/delete", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert db.session.get(Contact, people["tha_customs"]) is not None


# -- the confirmation round -----------------------------------------------------------------
def open_round_via_web(app) -> ConfirmationRound:
    client = signed_in(app, "organiser@test.example")
    closes = (date.today() + timedelta(days=20)).isoformat()
    response = post_form(client, "/directory/rounds/", {"closes_on": closes})
    assert response.status_code == 302
    db.session.commit()
    return db.session.scalar(select(ConfirmationRound))


def status_of(rnd: ConfirmationRound, contact_id: int) -> ContactConfirmation:
    db.session.commit()
    return db.session.scalar(
        select(ContactConfirmation).where(
            ContactConfirmation.round_id == rnd.id, ContactConfirmation.contact_id == contact_id
        )
    )


def test_a_confirmation_round_from_opening_to_who_has_not_confirmed(app, users, people):
    rnd = open_round_via_web(app)
    assert len(rnd.confirmations) == len(people)
    assert {c.status for c in rnd.confirmations} == {ConfirmationStatus.PENDING}
    assert rnd.closes_at.date() == date.today() + timedelta(days=20)

    # a second round cannot open while this one runs
    again = post_form(
        signed_in(app, "organiser@test.example"),
        "/directory/rounds/",
        {"closes_on": (date.today() + timedelta(days=5)).isoformat()},
    )
    assert again.status_code == 200 and "already open" in again.get_data(as_text=True)

    # Thailand's focal point confirms their own entry
    fp = signed_in(app, "fp_tha@test.example")
    page = fp.get(f"/directory/rounds/{rnd.id}").get_data(as_text=True)
    pending = page.split('id="pending"', 1)[1].split("</table>", 1)[0]
    assert names_in(pending) == SEES["fp_tha"]
    url = f"/directory/rounds/{rnd.id}/contacts/{people['tha_fp']}/confirm"
    before = datetime.now(UTC)
    assert post_form(fp, url, {}, form_url=f"/directory/rounds/{rnd.id}").status_code == 302
    row = status_of(rnd, people["tha_fp"])
    assert row.status is ConfirmationStatus.CONFIRMED and row.responded_by_id == users["fp_tha"].id
    confirmed_at = db.session.get(Contact, people["tha_fp"]).confirmed_at
    assert confirmed_at is not None and confirmed_at >= before

    # ... and corrects Thailand's customs entry: their country's, so theirs to correct
    edit = f"/directory/contacts/{people['tha_customs']}"
    data = {**ENTRY, "name": "Pichit Customs", "phone": "+66 2 555 0101", "country": "KEN"}
    assert post_form(fp, edit, data).status_code == 302
    db.session.commit()
    corrected = db.session.get(Contact, people["tha_customs"])
    assert corrected.phone == "+66 2 555 0101"
    assert corrected.country_iso3 == "THA"  # where they are listed is not theirs to change
    assert corrected.kind is ContactKind.AGENCY_CONTACT
    assert status_of(rnd, people["tha_customs"]).status is ConfirmationStatus.CORRECTED
    assert corrected.confirmed_at is not None

    # they may not confirm someone else's entry, even one they can see
    other = f"/directory/rounds/{rnd.id}/contacts/{people['asean_coord']}/confirm"
    assert post_form(fp, other, {}, form_url=f"/directory/rounds/{rnd.id}").status_code == 404
    kenya = f"/directory/rounds/{rnd.id}/contacts/{people['ken_fp']}/confirm"
    assert post_form(fp, kenya, {}, form_url=f"/directory/rounds/{rnd.id}").status_code == 404
    assert status_of(rnd, people["asean_coord"]).status is ConfirmationStatus.PENDING

    # the organiser's round page: who has not confirmed, everyone else answered
    html = signed_in(app, "organiser@test.example").get(f"/directory/rounds/{rnd.id}")
    text = html.get_data(as_text=True)
    pending = text.split('id="pending"', 1)[1].split("</table>", 1)[0]
    answered = text.split('id="answered"', 1)[1].split("</table>", 1)[0]
    assert names_in(pending) == ALL - {"Niran Thai", "Pichit Customs"}
    assert names_in(answered) == {"Niran Thai", "Pichit Customs"}
    assert "8 not confirmed, 1 confirmed, 1 corrected" in text

    # a coordinator sees the round within their scope only
    coord = signed_in(app, "coord_latf@test.example").get(f"/directory/rounds/{rnd.id}")
    assert names_in(coord.get_data(as_text=True)) == SEES["coord_latf"]

    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("contact%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["contact.confirm", "contact.update", "contact.correct"]


def test_a_closed_round_takes_no_more_answers(app, users, people):
    now = datetime.now(UTC)
    rnd = contacts.open_round(
        users["organiser"], now + timedelta(days=1), now=now - timedelta(days=30)
    )
    db.session.commit()
    assert rnd.closes_at < now or not rnd.is_open(now + timedelta(days=2))
    later = now + timedelta(days=2)
    s = Scope(users["fp_ken"])
    c = db.session.get(Contact, people["ken_fp"])
    with pytest.raises(contacts.DomainError, match="closed"):
        contacts.confirm(s, rnd, c, users["fp_ken"], now=later)
    assert contacts.current_round(later) is None
    # the next round is due half a year after this one opened
    assert contacts.next_round_due() == rnd.opened_at + timedelta(days=182)


def test_an_organiser_confirms_on_someones_behalf(app, users, people):
    rnd = open_round_via_web(app)
    client = signed_in(app, "organiser@test.example")
    url = f"/directory/rounds/{rnd.id}/contacts/{people['fra']}/confirm"
    assert post_form(client, url, {}, form_url=f"/directory/rounds/{rnd.id}").status_code == 302
    assert status_of(rnd, people["fra"]).status is ConfirmationStatus.CONFIRMED
    # an organiser editing someone's entry does not answer for them
    data = {**ENTRY, "name": "Claire France", "country": "FRA", "email": "claire@ofb.example"}
    assert post_form(client, f"/directory/contacts/{people['vnm']}", data).status_code == 302
    assert status_of(rnd, people["vnm"]).status is ConfirmationStatus.PENDING


def test_an_entry_added_during_a_round_can_be_confirmed(app, users, people):
    rnd = open_round_via_web(app)
    fp_user = users["fp_ken"]
    c = contacts.create(
        Scope(users["organiser"]),
        contacts.ContactInput(
            kind=ContactKind.AGENCY_CONTACT, name="Late Entry", country_iso3="KEN", phone="+254 1"
        ),
        users["organiser"],
    )
    db.session.commit()
    row = contacts.confirm(Scope(fp_user), rnd, c, fp_user)
    db.session.commit()
    assert row.status is ConfirmationStatus.CONFIRMED and c.confirmed_at is not None


def test_the_api_answers_the_directory_within_scope(app, people, api_tokens):
    api = app.test_client()
    token = api_tokens["coord_latf"]
    body = api.get("/api/v1/directory/contacts?network=LATF", headers=bearer(token)).get_json()
    assert [c["name"] for c in body["items"]] == ["Amani Latf"]
    assert body["items"][0]["kind"] == "coordinator" and body["items"][0]["country"] is None
    unknown = api.get("/api/v1/directory/contacts?network=NOPE", headers=bearer(token))
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "network"


def test_tokens_of_disabled_accounts_cannot_read_the_directory(app, users, people, api_tokens):
    users["fp_ken"].active = False
    db.session.commit()
    response = app.test_client().get(
        "/api/v1/directory/contacts", headers=bearer(api_tokens["fp_ken"])
    )
    assert response.status_code == 401
