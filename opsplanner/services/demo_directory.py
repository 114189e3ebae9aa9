"""The demo's network directory: the shipped sheets and catalogue, directory entries for the
demo accounts and for fictional agency contacts of ASEAN-WEN and LATF member states, a
confirmation round under way, one sheet freshly reviewed, and the tools many countries use.

Names, addresses and numbers are invented (``.example`` domains). Called by the demo loader;
it goes through the same services as the pages, so the audit trail reads like a real one."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import (
    ConfirmationRound,
    Contact,
    ContactKind,
    Country,
    Network,
    Role,
    ToolUsage,
    User,
)
from opsplanner.services import catalogue, contacts, sheets
from opsplanner.services.directory_seed import load_directory_seed
from opsplanner.services.scoping import Scope

# (country, agency, role, name, languages, CENcomm, I-24/7)
AGENCY_CONTACTS = [
    (
        "THA",
        "Thai Customs Department",
        "Investigation officer",
        "Pichit Wongsawat",
        "Thai, English",
        True,
        False,
    ),
    (
        "THA",
        "Royal Thai Police",
        "Natural resources crime division",
        "Kanya Srisuk",
        "Thai, English",
        False,
        True,
    ),
    (
        "VNM",
        "Environmental Police",
        "Deputy head of unit",
        "Tran Minh Duc",
        "Vietnamese, English",
        False,
        True,
    ),
    (
        "MYS",
        "Department of Wildlife and National Parks",
        "Enforcement officer",
        "Nurul Aziz",
        "Malay, English",
        False,
        False,
    ),
    (
        "IDN",
        "Directorate General of Customs and Excise",
        "Intelligence analyst",
        "Dewi Lestari",
        "Indonesian, English",
        True,
        False,
    ),
    (
        "PHL",
        "Biodiversity Management Bureau",
        "Wildlife trade officer",
        "Marisol Reyes",
        "Filipino, English",
        False,
        False,
    ),
    (
        "KEN",
        "Kenya Wildlife Service",
        "Head of investigations",
        "Otieno Kamau",
        "English, Swahili",
        False,
        True,
    ),
    (
        "KEN",
        "Kenya Revenue Authority, Customs",
        "Port intelligence officer",
        "Achieng Wambui",
        "English, Swahili",
        True,
        False,
    ),
    (
        "UGA",
        "Uganda Wildlife Authority",
        "Intelligence officer",
        "Moses Okello",
        "English",
        False,
        False,
    ),
    (
        "TZA",
        "Tanzania Wildlife Management Authority",
        "Anti-poaching coordinator",
        "Neema Mushi",
        "English, Swahili",
        False,
        True,
    ),
    (
        "ZMB",
        "Department of National Parks and Wildlife",
        "Senior investigator",
        "Chanda Mwale",
        "English",
        False,
        False,
    ),
    (
        "COG",
        "Ministry of Forest Economy",
        "Wildlife law enforcement",
        "Grâce Mabiala",
        "French",
        False,
        False,
    ),
]

CALLING_CODES = {
    "THA": "66",
    "VNM": "84",
    "MYS": "60",
    "IDN": "62",
    "PHL": "63",
    "KEN": "254",
    "UGA": "256",
    "TZA": "255",
    "ZMB": "260",
    "COG": "242",
}
USAGE_SHARE = {  # how likely a member state uses an entry, by catalogue key; others 0.25
    "i247": 0.9,
    "cencomm": 0.75,
    "environet": 0.45,
    "cites-virtual-college": 0.6,
    "sherloc": 0.35,
    "track": 0.3,
    "iccwc-indicator-framework": 0.2,
}
# Left for the demo's focal points to answer themselves.
UNANSWERED = {"KEN", "THA", "VNM"}


def _email(name: str, agency: str, iso3: str) -> str:
    local = ".".join(name.lower().replace("â", "a").split()[:2])
    domain = "".join(w[0] for w in agency.lower().replace(",", "").split() if w[0].isalpha())
    return f"{local}@{domain}.{iso3.lower()}.example"


def add_demo_directory(rng: random.Random, today: date | None = None) -> dict[str, int]:
    """Add the demo directory once; the caller commits."""
    today = today or date.today()
    now = datetime.now(UTC)
    seeded = load_directory_seed()
    created = {"sheets": seeded.sheets_added, "tools": seeded.tools_added, "contacts": 0}
    organiser = db.session.scalar(
        select(User).where(User.role == Role.ORGANISER).order_by(User.id).limit(1)
    )
    if organiser is None or db.session.scalar(select(func.count(Contact.id))):
        return created
    admin = Scope(organiser, today)

    def add(data: contacts.ContactInput, confirmed_days_ago: int | None) -> Contact:
        c = contacts.create(admin, data, organiser)
        if confirmed_days_ago is not None:
            c.confirmed_at = now - timedelta(days=confirmed_days_ago)
        return c

    people = db.session.scalars(
        select(User).where(User.role.in_((Role.FOCAL_POINT, Role.COORDINATOR))).order_by(User.id)
    ).all()
    for u in people:
        is_coordinator = u.role is Role.COORDINATOR
        add(
            contacts.ContactInput(
                kind=ContactKind.COORDINATOR if is_coordinator else ContactKind.FOCAL_POINT,
                name=u.name,
                network_id=u.network_id if is_coordinator else None,
                country_iso3=None if is_coordinator else u.country_iso3,
                agency="Network secretariat" if is_coordinator else "CITES Management Authority",
                role="Network coordinator" if is_coordinator else "National focal point",
                email=u.email,
                phone="+41 22 555 0100"
                if is_coordinator
                else f"+{CALLING_CODES.get(u.country_iso3 or '', '1')} 20 555 0100",
                languages=["English"],
                cencomm=not is_coordinator,
                i247=is_coordinator,
                user_id=u.id,
            ),
            confirmed_days_ago=190,
        )
    for iso3, agency, role, name, languages, cencomm, i247 in AGENCY_CONTACTS:
        add(
            contacts.ContactInput(
                kind=ContactKind.AGENCY_CONTACT,
                name=name,
                country_iso3=iso3,
                agency=agency,
                role=role,
                email=_email(name, agency, iso3),
                phone=f"+{CALLING_CODES[iso3]} {rng.randint(10, 99)} {rng.randint(100, 999)} "
                f"{rng.randint(1000, 9999)}",
                languages=contacts.parse_languages(languages),
                cencomm=cencomm,
                i247=i247,
            ),
            confirmed_days_ago=rng.choice((200, 230, 400, None)),
        )
    created["contacts"] = len(people) + len(AGENCY_CONTACTS)
    db.session.flush()

    # A round opened twelve days ago; about half of the agency contacts have answered.
    if not db.session.scalar(select(func.count(ConfirmationRound.id))):
        rnd = contacts.open_round(organiser, now + timedelta(days=18), now=now - timedelta(days=12))
        for c in db.session.scalars(
            select(Contact).where(Contact.kind == ContactKind.AGENCY_CONTACT).order_by(Contact.id)
        ):
            if rng.random() < 0.5:
                contacts.confirm(
                    admin, rnd, c, organiser, now=now - timedelta(days=rng.randint(1, 11))
                )

    # LATF's coordinator reviewed their sheet three weeks ago; the other sheets are stale.
    latf = db.session.scalar(select(Network).where(Network.acronym == "LATF"))
    coordinator = db.session.scalar(
        select(User).where(
            User.role == Role.COORDINATOR, User.network_id == (latf.id if latf else -1)
        )
    )
    sheet = sheets.sheet_of(latf) if latf else None
    if latf and coordinator and sheet and sheet.updated_by_id is None:
        values = sheets.content(sheet) | {
            "has_secretariat": True,
            "channels_sensitive": "INTERPOL I-24/7 through the National Central Bureaus",
            "channels_non_sensitive": "E-mail list of national officers; messaging group",
            "recent_activities": "Joint investigations with member states; training of "
            "wildlife officers on intelligence-led enforcement.",
        }
        sheets.save(latf, values, sheet.version, coordinator, now=now - timedelta(days=21))

    # Which tools the member states of the networks use (not the demo focal points' own).
    if not db.session.scalar(select(func.count(ToolUsage.id))):
        tools = catalogue.all_tools()
        networks = db.session.scalars(select(Network)).all()
        members = {c.iso3 for n in networks for c in n.members_on(today)}
        for iso3 in sorted(members - UNANSWERED):
            if rng.random() < 0.3:
                continue  # not every focal point has answered
            used = {t.id for t in tools if rng.random() < USAGE_SHARE.get(t.seed_key or "", 0.25)}
            catalogue.set_usage(db.session.get(Country, iso3), used, organiser, now, tools)
    db.session.flush()
    return created
