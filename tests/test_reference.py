from __future__ import annotations

from datetime import date

import pycountry
from sqlalchemy import func, select

from opsplanner.extensions import db
from opsplanner.models import Country, Network, NetworkMembership
from opsplanner.services.reference import load_reference, read_m49, read_networks

# Every network and body named in the seed document (Johannesburg 2016), incl. the invited.
SEED_NETWORKS = {
    "ARINSA",
    "ASEAN-WEN",
    "CaribWEN",
    "COMIFAC",
    "ROAVIS",
    "NICECG",
    "EU Enforcement Group",
    "EUROPOL",
    "HA-WEN",
    "IOFMC",
    "INTERPOL RB Nairobi",
    "INTERPOL RB Harare",
    "LATF",
    "NAWEG",
    "SADC RESG",
    "SudWEN",
    "SA-WEN",
    "WEN-SA",
    "WCO RILO AP",
    "WCO RILO ESA",
    "AFRIPOL",
    "ASEANAPOL",
    "CITES EG West Asia",
    "ENPE",
    "EUROJUST",
}
TODAY = date(2026, 11, 30)


def members(acronym: str, day: date = TODAY) -> set[str]:
    net = db.session.scalar(select(Network).where(Network.acronym == acronym))
    assert net is not None, acronym
    return {c.iso3 for c in net.members_on(day)}


def test_every_iso_country_is_loaded_with_its_m49_region(app):
    countries = {c.iso3: c for c in db.session.scalars(select(Country))}
    assert set(countries) == {c.alpha_3 for c in pycountry.countries}
    missing_region = {iso3 for iso3, c in countries.items() if not c.region or not c.subregion}
    assert missing_region == {"ATA"}  # Antarctica has no M49 region
    assert countries["KEN"].subregion == "Sub-Saharan Africa"
    assert countries["KEN"].intermediate_region == "Eastern Africa"
    assert countries["MEX"].intermediate_region == "Central America"
    assert countries["THA"].subregion == "South-eastern Asia"
    assert countries["CYP"].subregion == "Western Asia"
    assert (countries["FRA"].iso2, countries["FRA"].numeric) == ("FR", "250")


def test_m49_file_covers_exactly_the_iso_countries():
    assert set(read_m49()) == {c.alpha_3 for c in pycountry.countries}


def test_every_seed_network_is_loaded(app):
    acronyms = set(db.session.scalars(select(Network.acronym)))
    assert acronyms == SEED_NETWORKS
    assert {n["acronym"] for n in read_networks()} == SEED_NETWORKS


def test_real_memberships(app):
    assert members("ASEAN-WEN") == {
        "BRN",
        "KHM",
        "IDN",
        "LAO",
        "MYS",
        "MMR",
        "PHL",
        "SGP",
        "THA",
        "VNM",
    }
    assert members("SA-WEN") == {"AFG", "BGD", "BTN", "IND", "MDV", "NPL", "PAK", "LKA"}
    assert members("NAWEG") == {"CAN", "MEX", "USA"}
    assert {"COG", "KEN", "LSO", "LBR", "TZA", "UGA", "ZMB"} <= members("LATF")
    assert members("ROAVIS") == {"BLZ", "CRI", "SLV", "GTM", "HND", "NIC", "PAN", "DOM"}
    assert members("WEN-SA") == {"AGO", "BWA", "MWI", "MOZ", "NAM", "SWZ", "ZMB", "ZWE", "ZAF"}
    assert members("NICECG") == {"CHN"}


def test_memberships_are_dated(app):
    # The UK left the EU bodies at the end of the Brexit transition.
    assert "GBR" in members("EU Enforcement Group", date(2016, 9, 28))
    assert "GBR" not in members("EU Enforcement Group")
    assert len(members("EU Enforcement Group")) == 27
    # Angola acceded to COMIFAC in 2021.
    assert "AGO" not in members("COMIFAC", date(2016, 9, 28))
    assert "AGO" in members("COMIFAC")


def test_networks_without_a_found_list_say_so(app):
    for acronym in ("SADC RESG", "ENPE", "IOFMC"):
        net = db.session.scalar(select(Network).where(Network.acronym == acronym))
        assert net.members_found is False
        assert net.memberships == []
        assert net.notes


def test_a_country_can_belong_to_several_networks(app):
    tza = {
        m.network.acronym
        for m in db.session.scalars(
            select(NetworkMembership).where(NetworkMembership.country_iso3 == "TZA")
        )
        if m.is_valid_on(TODAY)
    }
    assert {"LATF", "ARINSA", "INTERPOL RB Nairobi", "INTERPOL RB Harare"} <= tza


def test_reload_is_idempotent_and_repairs_drift(app):
    def counts() -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Country, Network, NetworkMembership)
        )

    before = counts()
    report = load_reference()
    db.session.commit()
    assert counts() == before
    assert str(report) == (
        "countries +0 ~0; networks +0 ~0; memberships +0 -0; activity types +0; species +0 ~0"
    )

    # Someone edits the reference by hand; the next load puts the shipped data back.
    naweg = db.session.scalar(select(Network).where(Network.acronym == "NAWEG"))
    naweg.name = "changed"
    naweg.memberships.pop()
    db.session.add(NetworkMembership(network=naweg, country_iso3="FRA"))
    db.session.commit()
    report = load_reference()
    db.session.commit()
    assert (report.networks_updated, report.memberships_added, report.memberships_removed) == (
        1,
        1,
        1,
    )
    assert members("NAWEG") == {"CAN", "MEX", "USA"}
    assert counts() == before
