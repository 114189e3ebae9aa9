"""Datasets for the publication-pack figures, built through the real services (seizures.create
and update, reports.transition, update_national and nominate) on the ``reporting`` fixture's
Operation Test Shield: THA, VNM (ASEAN-WEN), KEN, UGA (LATF), FRA (no network), confirmed.

Each builder returns the strings that must never reach a public file (sensitive references and
places, places of non-publishable seizures...)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    Network,
    Participation,
    ParticipationStatus,
    RecordSource,
    Seizure,
)
from opsplanner.services import operations, reports, seizures
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import Catalog, parse, to_row
from tests.conftest import seizure_row

SPECIES = {
    "ivory": "Loxodonta africana",
    "rhino_horn": "Ceratotherium simum",
    "pangolin_scales": "Manis javanica",
    "pangolins": "Manis javanica",
    "big_cats": "Panthera tigris",
    "birds": "Psittacus erithacus",
    "reptiles": "Astrochelys radiata",
    "timber": "Dalbergia cochinchinensis",
    "plants": "Dendrobium",
    "marine_products": "Physeter macrocephalus",
}
PRIORITY = {"ivory": "1", "pangolin_scales": "2"}


@dataclass
class Dataset:
    name: str
    # strings that must not appear in any public file
    secrets: list[str] = field(default_factory=list)


class Builder:
    """Results entered and reviewed by the organiser (who may do every step)."""

    def __init__(self, op: Any, users: dict[str, Any]) -> None:
        self.op = op
        self.scope = Scope(users["organiser"])
        self.organiser = users["organiser"]
        self.catalog = Catalog.load(op)

    def part(self, iso3: str) -> Participation:
        return db.session.scalar(
            select(Participation).where(
                Participation.operation_id == self.op.id, Participation.country_iso3 == iso3
            )
        )

    def join(self, iso3: str, network: str | None, status: ParticipationStatus) -> Participation:
        net = (
            db.session.scalar(select(Network).where(Network.acronym == network))
            if network
            else None
        )
        p = operations.invite_country(
            self.op, db.session.get(Country, iso3), net, by=self.organiser
        )
        operations.respond(p, status, "", by=self.organiser)
        db.session.flush()
        return p

    def seizure(self, iso3: str, reference: str, **overrides: Any) -> Seizure:
        commodity = overrides.get("commodity", "pangolin_scales")
        row = {
            "species": SPECIES.get(commodity, ""),
            "species_other": "" if commodity in SPECIES else "Unlisted taxon",
            "priority": PRIORITY.get(commodity, ""),
            "destination": iso3,
            **overrides,
        }
        data, errors = parse(seizure_row(national_reference=reference, **row), self.catalog)
        assert not errors, (reference, errors)
        s = seizures.create(self.scope, self.part(iso3), data, errors, source=RecordSource.FORM)
        db.session.flush()
        return s

    def update(self, iso3: str, reference: str, **overrides: Any) -> None:
        s = seizures.by_reference(self.part(iso3), reference)
        catalog = self.catalog
        row = to_row(s, catalog.species_names, catalog.rank_by_priority) | overrides
        data, errors = parse(row, catalog)
        assert not errors, errors
        assert seizures.update(self.scope, s, data, errors, s.version)
        db.session.flush()

    def national(
        self,
        iso3: str,
        *,
        consent: bool,
        nationalities: dict[str, int] | None = None,
        **counts: int,
    ) -> None:
        p = self.part(iso3)
        report = reports.report_for(p)
        data = reports.NationalResultsInput(
            counts=counts,
            suspects_by_nationality=nationalities or {},
            consent_to_be_named=consent,
        )
        reports.update_national(self.scope, p, data, report.version)
        db.session.flush()

    def highlight(self, iso3: str, reference: str, narrative: str, *, consent: bool) -> None:
        p = self.part(iso3)
        reports.nominate(self.scope, p, seizures.by_reference(p, reference), narrative, consent)
        db.session.flush()

    def move(self, iso3: str, *actions: str) -> None:
        for action in actions:
            comment = "Check the weights." if action in ("return", "reopen") else ""
            reports.transition(self.scope, self.part(iso3), action, comment=comment)
        db.session.flush()

    def approve(self, iso3: str) -> None:
        self.move(iso3, "submit", "validate", "approve")


# -- the datasets ---------------------------------------------------------------------------------
def mixed(op: Any, users: dict[str, Any]) -> Dataset:
    """Every case at once.

    - THA (ASEAN-WEN) approved, consents; national arrests and suspects given; ivory in pieces
      and kg in one seizure and across seizures; a sensitive seizure, a non-publishable one,
      an online one without origin, one destined to France (not named in public); highlights
      with and without consent, one on a non-publishable seizure.
    - VNM (ASEAN-WEN) approved, does NOT consent; no national arrests or suspects (the
      seizures' figures count); a sensitive seizure; a highlight with consent.
    - KEN (LATF) approved, consents; national suspects but no national arrests; a route through
      Uganda and on to Viet Nam (neither named in public); a highlight whose narrative names
      Uganda.
    - UGA (LATF) returned; FRA (no network) left in draft with consent and national results;
      MYS declined; ZAF confirmed, approved and then withdrawn: all three out of the figures.
    """
    b = Builder(op, users)
    ds = Dataset("mixed")
    # -- Thailand
    b.seizure(
        "THA",
        "TH-1",
        seized_on="2027-02-02",
        commodity="ivory",
        quantity_1="35",
        unit_1="pieces",
        quantity_2="212.4",
        unit_2="kg",
        origin="NGA CMR",
        transit="ETH ARE",
        destination="VNM CHN",
        suspects="3",
        arrests="2",
    )
    b.seizure(
        "THA",
        "TH-SECRET-777",
        place="Bonded warehouse 7, Lat Krabang",
        description="Controlled delivery under way",
        seized_on="2027-02-03",
        quantity_1="987.654",
        sensitive="yes",
        publishable="no",
        suspects="4",
        arrests="4",
    )
    b.seizure(
        "THA",
        "TH-INTERNAL-3",
        place="Laem Chabang container yard 12",
        seized_on="2027-02-03",
        commodity="ivory",
        quantity_1="12",
        unit_1="pieces",
        publishable="no",
        origin="KEN",
        transit="",
    )
    b.seizure(
        "THA",
        "TH-4",
        seized_on="2027-02-05",
        commodity="birds",
        quantity_1="40",
        unit_1="live",
        conveyance="online",
        origin="",
        transit="",
        suspects="1",
        arrests="0",
    )
    b.seizure(
        "THA",
        "TH-5",
        seized_on="2027-02-05",
        commodity="ivory",
        quantity_1="3.25",
        unit_1="kg",
        online_linked="yes",
        origin="THA",
        transit="",
        destination="FRA",
    )
    b.highlight(
        "THA", "TH-1", "Tusks and worked ivory in air cargo, declared as handicrafts.", consent=True
    )
    b.highlight("THA", "TH-INTERNAL-3", "Twelve tusks in a reefer container.", consent=True)
    b.highlight("THA", "TH-5", "Carvings sold through a social network.", consent=False)
    b.national(
        "THA",
        consent=True,
        nationalities={"VNM": 2, "CHN": 3},
        arrests=7,
        companies_implicated=2,
        criminal_networks_identified=1,
        international_notices_requested=1,
        online_adverts_removed=10,
        online_accounts_removed=3,
    )
    b.approve("THA")
    # -- Viet Nam (approved, not named in public)
    b.seizure(
        "VNM",
        "VN-1",
        place="Cat Lai port, Ho Chi Minh City",
        seized_on="2027-02-02",
        quantity_1="500",
        conveyance="sea_container",
        origin="NGA",
        transit="",
        suspects="3",
        arrests="2",
    )
    b.seizure(
        "VNM",
        "VN-SECRET-2",
        place="Noi Bai cargo shed 4",
        seized_on="2027-02-09",
        commodity="ivory",
        quantity_1="20",
        unit_1="pieces",
        quantity_2="8.5",
        unit_2="kg",
        sensitive="yes",
        publishable="no",
        suspects="2",
        arrests="1",
    )
    b.seizure(
        "VNM",
        "VN-3",
        place="Mong Cai border gate",
        seized_on="2027-02-14",
        commodity="reptiles",
        quantity_1="15",
        unit_1="live",
        quantity_2="2",
        unit_2="kg",
        conveyance="road",
        origin="LAO",
        transit="",
        destination="CHN",
        suspects="1",
        arrests="1",
    )
    b.highlight("VNM", "VN-1", "Half a tonne of scales in a container from Lagos.", consent=True)
    b.national("VNM", consent=False, companies_implicated=1, international_notices_requested=2)
    b.approve("VNM")
    # -- Kenya
    b.seizure(
        "KEN",
        "KE-1",
        place="Jomo Kenyatta International Airport",
        seized_on="2027-02-04",
        commodity="ivory",
        quantity_1="100",
        unit_1="kg",
        origin="KEN",
        transit="UGA",
        destination="VNM",
        suspects="2",
        arrests="2",
    )
    b.seizure(
        "KEN",
        "KE-INTERNAL-2",
        place="Namanga border post",
        seized_on="2027-02-06",
        commodity="rhino_horn",
        quantity_1="4",
        unit_1="pieces",
        publishable="no",
        origin="KEN",
        transit="",
        destination="CHN",
    )
    b.seizure(
        "KEN",
        "KE-3",
        place="Mombasa port",
        seized_on="2027-02-06",
        commodity="ivory",
        quantity_1="7",
        unit_1="pieces",
        origin="KEN TZA",
        transit="",
        destination="CHN THA",
        suspects="1",
        arrests="1",
    )
    b.highlight("KEN", "KE-1", "Tusks flown out through Entebbe, Uganda.", consent=True)
    b.highlight("KEN", "KE-3", "Seven tusks hidden in a truck of avocados.", consent=True)
    b.national(
        "KEN", consent=True, nationalities={"UGA": 1, "KEN": 2}, criminal_networks_identified=2
    )
    b.approve("KEN")
    # -- Uganda: returned
    b.seizure("UGA", "UG-1", place="Entebbe airport", seized_on="2027-02-07", quantity_1="55")
    b.national("UGA", consent=True, arrests=9)
    b.move("UGA", "submit", "validate", "return")
    # -- France: draft
    b.seizure("FRA", "FR-1", place="Roissy CDG", seized_on="2027-02-08", quantity_1="66")
    b.national("FRA", consent=True, arrests=5)
    # -- Malaysia declined; South Africa approved, then withdrawn
    b.join("MYS", "ASEAN-WEN", ParticipationStatus.DECLINED)
    b.join("ZAF", None, ParticipationStatus.CONFIRMED)
    b.seizure("ZAF", "ZA-1", place="OR Tambo airport", seized_on="2027-02-08", quantity_1="77")
    b.national("ZAF", consent=True, arrests=11)
    b.approve("ZAF")
    operations.respond(b.part("ZAF"), ParticipationStatus.WITHDRAWN, "", by=b.organiser)
    db.session.commit()
    ds.secrets += [
        "TH-SECRET-777",
        "Bonded warehouse 7",
        "Controlled delivery under way",
        "987.654",
        "VN-SECRET-2",
        "Noi Bai cargo shed 4",
        "TH-INTERNAL-3",
        "Laem Chabang",
        "KE-INTERNAL-2",
        "Namanga",
        "Twelve tusks in a reefer",  # highlight of a non-publishable seizure
        "social network",  # highlight without consent
        "Half a tonne",  # highlight of a country not named
        "Entebbe",  # a narrative naming a country not named
        "Cat Lai",  # places of a country not named
        "Mong Cai",
    ]
    return ds


def everyone_named(op: Any, users: dict[str, Any]) -> Dataset:
    """All five approved and named; France without a network; repeated routes (so the route
    table and the flows add up), national figures of zero (the seizures count) and above."""
    b = Builder(op, users)
    ds = Dataset("everyone_named")
    rows = [
        ("THA", "T1", "2027-02-01", dict(origin="NGA", transit="ETH", destination="THA")),
        ("THA", "T2", "2027-02-01", dict(origin="NGA", transit="ETH", destination="THA")),
        ("THA", "T3", "2027-02-03", dict(origin="NGA", transit="", destination="THA")),
        ("VNM", "V1", "2027-02-03", dict(origin="NGA", transit="ETH", destination="VNM")),
        ("VNM", "V2", "2027-02-10", dict(origin="CMR NGA", transit="ETH", destination="VNM")),
        ("KEN", "K1", "2027-02-10", dict(origin="KEN", transit="ETH ARE", destination="VNM")),
        ("UGA", "U1", "2027-02-13", dict(origin="UGA", transit="KEN", destination="CHN")),
        ("FRA", "F1", "2027-02-14", dict(origin="CMR", transit="BEL", destination="FRA")),
    ]
    for iso3, ref, day, route in rows:
        b.seizure(iso3, ref, seized_on=day, place=f"Place of {ref}", suspects="1", **route)
    b.seizure(
        "KEN",
        "K2",
        seized_on="2027-02-11",
        commodity="timber",
        quantity_1="12.5",
        unit_1="m3",
        quantity_2="3",
        unit_2="truckloads",
        conveyance="road",
        origin="KEN",
        transit="",
        destination="UGA",
        suspects="2",
        arrests="2",
    )
    b.seizure(
        "FRA",
        "F2",
        seized_on="2027-02-11",
        commodity="ivory",
        quantity_1="2",
        unit_1="pieces",
        quantity_2="0.75",
        unit_2="kg",
        conveyance="postal_courier",
        origin="",
        transit="",
        destination="FRA",
    )
    b.seizure(
        "FRA",
        "F3",
        seized_on="2027-02-12",
        commodity="ivory",
        quantity_1="1.125",
        unit_1="kg",
        conveyance="online",
        origin="COD",
        transit="",
        destination="FRA",
    )
    b.highlight("FRA", "F1", "Scales in a passenger's suitcase at Roissy.", consent=True)
    b.national("THA", consent=True)  # zeros: the seizures' figures count
    b.national("VNM", consent=True, arrests=4, nationalities={"CHN": 6})
    b.national("KEN", consent=True, arrests=1, companies_implicated=3)
    b.national("UGA", consent=True, online_accounts_removed=4)
    b.national("FRA", consent=True, international_notices_requested=1)
    for iso3 in ("THA", "VNM", "KEN", "UGA", "FRA"):
        b.approve(iso3)
    db.session.commit()
    return ds


def nothing_approved(op: Any, users: dict[str, Any]) -> Dataset:
    """Results entered but none approved: a draft, a submitted, a validated and a returned
    report. The figures are zeros over the whole window."""
    b = Builder(op, users)
    b.seizure("THA", "TH-1", place="Draft place")
    b.seizure("VNM", "VN-1", place="Submitted place")
    b.seizure("KEN", "KE-1", place="Validated place")
    b.seizure("UGA", "UG-1", place="Returned place")
    b.national("THA", consent=True, arrests=3)
    b.move("VNM", "submit")
    b.move("KEN", "submit", "validate")
    b.move("UGA", "submit", "return")
    db.session.commit()
    return Dataset(
        "nothing_approved",
        secrets=["TH-1", "VN-1", "KE-1", "UG-1", "Draft place", "Submitted place"],
    )


UNITS = {
    "ivory": ["pieces", "kg"],
    "rhino_horn": ["pieces", "kg"],
    "pangolin_scales": ["kg"],
    "birds": ["live", "dead", "eggs"],
    "reptiles": ["live", "eggs", "kg"],
    "timber": ["m3", "tonnes", "truckloads"],
    "plants": ["pieces", "live", "kg"],
}
ROUTE_CODES = [
    "NGA",
    "CMR",
    "COD",
    "ETH",
    "ARE",
    "CHN",
    "LAO",
    "THA",
    "VNM",
    "KEN",
    "UGA",
    "FRA",
    "MYS",
    "TZA",
]


def randomised(op: Any, users: dict[str, Any], seed: int) -> Dataset:
    """A seeded random operation: three more countries (one in each situation), 70 seizures
    with random commodities, units, flags, routes and dates, random national results and
    consent, and random final states of the reports."""
    rng = random.Random(seed)
    b = Builder(op, users)
    b.join("MYS", "ASEAN-WEN", ParticipationStatus.CONFIRMED)
    b.join("TZA", "LATF", ParticipationStatus.CONFIRMED)
    b.join("BRA", None, ParticipationStatus.CONFIRMED)
    countries = ["THA", "VNM", "KEN", "UGA", "FRA", "MYS", "TZA", "BRA"]
    start = op.window_start
    for n in range(70):
        iso3 = rng.choice(countries)
        commodity = rng.choice(sorted(UNITS))
        chosen = rng.sample(UNITS[commodity], k=rng.randint(1, len(UNITS[commodity])))
        quantities: dict[str, str] = {}
        for i, unit in enumerate(chosen, start=1):
            amount = rng.choice(["1", "2.5", "0.125", "17", "40.25", "300", "1.001"])
            quantities |= {f"quantity_{i}": amount, f"unit_{i}": unit}
        sensitive = rng.random() < 0.15
        suspects = rng.randint(0, 4)
        b.seizure(
            iso3,
            f"R-{seed}-{n:03d}",
            place=f"Random place {seed}-{n:03d}",
            seized_on=(start + timedelta(days=rng.randint(0, 13))).isoformat(),
            commodity=commodity,
            conveyance=rng.choice(["air_cargo", "road", "online", "sea_container"]),
            online_linked=rng.choice(["yes", "no", "no"]),
            origin=" ".join(rng.sample(ROUTE_CODES, k=rng.choice([0, 1, 1, 2]))),
            transit=" ".join(rng.sample(ROUTE_CODES, k=rng.choice([0, 0, 1, 2]))),
            destination=" ".join(rng.sample(ROUTE_CODES, k=rng.choice([0, 1, 1, 2]))),
            suspects=str(suspects),
            arrests=str(rng.randint(0, suspects)),
            sensitive="yes" if sensitive else "no",
            publishable="no" if sensitive else rng.choice(["yes", "yes", "no"]),
            **quantities,
        )
    secrets: list[str] = []
    for iso3 in countries:
        p = b.part(iso3)
        mine = list(db.session.scalars(seizures.of_participation(p)))
        for s in mine[:2]:
            if not s.sensitive:
                b.highlight(
                    iso3,
                    s.national_reference,
                    f"Case {s.national_reference} told.",
                    consent=rng.random() < 0.7,
                )
        b.national(
            iso3,
            consent=rng.random() < 0.6,
            nationalities={c: rng.randint(1, 3) for c in rng.sample(["CHN", "VNM", "NGA"], 2)}
            if rng.random() < 0.5
            else {},
            arrests=rng.choice([0, 0, 3, 8]),
            companies_implicated=rng.randint(0, 2),
            criminal_networks_identified=rng.randint(0, 1),
            international_notices_requested=rng.randint(0, 2),
            online_adverts_removed=rng.randint(0, 5),
            online_accounts_removed=rng.randint(0, 5),
        )
        fate = rng.choice(["approve", "approve", "approve", "draft", "return", "validate"])
        if fate == "approve":
            b.approve(iso3)
        elif fate == "return":
            b.move(iso3, "submit", "return")
        elif fate == "validate":
            b.move(iso3, "submit", "validate")
        secrets += [s.place for s in mine if s.sensitive]
    db.session.commit()
    return Dataset(f"random-{seed}", secrets=secrets)


def window_days(op: Any) -> list[date]:
    return [
        op.window_start + timedelta(days=i)
        for i in range((op.window_end - op.window_start).days + 1)
    ]
