"""The catalogue of tools and services: curation, the entries each network page lists, the
tools a country uses, and the usage analysis checked against an independent count."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest
from sqlalchemy import and_, func, or_, select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    Country,
    Network,
    NetworkMembership,
    ToolService,
    ToolUsage,
)
from opsplanner.services import catalogue, directory_charts
from opsplanner.services.directory_seed import load_directory_seed
from tests.conftest import bearer, csrf_token, field_errors, post_form, signed_in

NEW_TOOL = {
    "name": "Regional forensic laboratory network",
    "provider": "A university consortium",
    "offers": "Species identification and DNA analysis of seized specimens.",
    "eligibility": "Enforcement agencies of the region.",
    "access": "Through the national CITES scientific authority.",
    "region_codes": ["035"],  # South-eastern Asia
    "link": "https://lab.example/",
}


@pytest.fixture
def seeded(app):
    load_directory_seed()
    db.session.commit()


def tool(name: str) -> ToolService:
    db.session.commit()
    return db.session.scalar(select(ToolService).where(ToolService.name == name))


def network(acronym: str) -> Network:
    return db.session.scalar(select(Network).where(Network.acronym == acronym))


def test_coordinators_and_organisers_curate_the_catalogue(app, users, seeded):
    client = signed_in(app, "coord_asean@test.example")
    asean = network("ASEAN-WEN")
    response = post_form(client, "/tools/new", {**NEW_TOOL, "networks": [str(asean.id)]})
    assert response.status_code == 302
    entry = tool(NEW_TOOL["name"])
    assert entry.region_codes == ["035"] and [n.acronym for n in entry.networks] == ["ASEAN-WEN"]
    assert entry.updated_by_id == users["coord_asean"].id
    listing = client.get("/tools/?network=ASEAN-WEN").get_data(as_text=True)
    assert NEW_TOOL["name"] in listing and "South-eastern Asia" in listing

    # the same name twice is refused; so is an entry that serves nowhere
    twice = post_form(client, "/tools/new", NEW_TOOL)
    assert "already has an entry" in " ".join(field_errors(twice.get_data(as_text=True))["name"])
    nowhere = post_form(client, "/tools/new", {**NEW_TOOL, "name": "X", "region_codes": []})
    assert "region_codes" in field_errors(nowhere.get_data(as_text=True))
    bad_link = post_form(client, "/tools/new", {**NEW_TOOL, "name": "Y", "link": "ftp://x.example"})
    assert "link" in field_errors(bad_link.get_data(as_text=True))

    # another coordinator edits it; only organisers remove entries
    other = signed_in(app, "coord_latf@test.example")
    edit = post_form(other, f"/tools/{entry.id}", {**NEW_TOOL, "offers": "DNA analysis."})
    assert edit.status_code == 302 and tool(NEW_TOOL["name"]).offers == "DNA analysis."
    token = csrf_token(other, "/account/")
    assert other.post(f"/tools/{entry.id}/delete", data={"csrf_token": token}).status_code == 404
    organiser = signed_in(app, "organiser@test.example")
    token = csrf_token(organiser, "/account/")
    assert (
        organiser.post(f"/tools/{entry.id}/delete", data={"csrf_token": token}).status_code == 302
    )
    assert tool(NEW_TOOL["name"]) is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "tool_service")
    ).all()
    assert actions == ["tool.create", "tool.update", "tool.delete"]


def test_focal_points_and_communications_do_not_curate(app, users, seeded):
    for who in ("fp_tha", "comms"):
        client = signed_in(app, f"{who}@test.example")
        assert client.get("/tools/").status_code == 200  # but they read the catalogue
        assert client.get("/tools/new").status_code == 404
        token = csrf_token(client, "/account/")
        response = client.post("/tools/new", data={**NEW_TOOL, "csrf_token": token})
        assert response.status_code == 404
    assert tool(NEW_TOOL["name"]) is None


def serving_names(acronym: str) -> set[str]:
    return {t.name for t in catalogue.serving(network(acronym), date.today())}


def test_each_network_page_lists_the_entries_serving_its_region_or_itself(app, users, seeded):
    comifac = serving_names("COMIFAC")
    assert "Africa-TWIX" in comifac and "ENVIRONET" in comifac and "EU-TWIX" not in comifac
    eu = serving_names("EU Enforcement Group")
    assert "EU-TWIX" in eu and "Africa-TWIX" not in eu
    # by region: Thailand and Viet Nam are in South-eastern Asia, part of Asia
    assert "WCO RILO Asia/Pacific" in serving_names("ASEAN-WEN")
    assert "WCO RILO Asia/Pacific" not in serving_names("NAWEG")
    # by name: the Harare bureau serves ARINSA, whatever the region
    assert "INTERPOL Regional Bureau Harare" in serving_names("ARINSA")
    # no member states known: only the global entries and those naming the network
    resg = serving_names("SADC RESG")
    assert "INTERPOL Regional Bureau Harare" in resg and "Africa-TWIX" not in resg

    page = signed_in(app, "fp_ken@test.example").get("/networks/COMIFAC").get_data(as_text=True)
    section = page.split("Tools and services serving this network", 1)[1]
    assert "Africa-TWIX" in section and "EU-TWIX" not in section
    assert "Information sheet" in page and "older than six months" in page


def test_a_focal_point_marks_the_tools_their_country_uses(app, users, seeded):
    client = signed_in(app, "fp_ken@test.example")
    page = client.get("/tools/usage").get_data(as_text=True)
    assert "Tools and services Kenya uses" in page
    used = [tool("ENVIRONET").id, tool("INTERPOL I-24/7").id]
    assert post_form(client, "/tools/usage", {"tools": [str(i) for i in used]}).status_code == 302
    db.session.commit()
    marks = {u.tool_id: u for u in db.session.scalars(select(ToolUsage))}
    assert len(marks) == len(catalogue.all_tools())  # an unticked entry is a "no"
    assert {i for i, u in marks.items() if u.uses} == set(used)
    assert {u.country_iso3 for u in marks.values()} == {"KEN"}
    assert all(u.noted_by_id == users["fp_ken"].id for u in marks.values())
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tool_usage.update"))
    assert event.country_iso3 == "KEN" and event.after["uses"] == ["ENVIRONET", "INTERPOL I-24/7"]

    # ticked again on the next visit; another country is not theirs to answer for
    again = client.get("/tools/usage").get_data(as_text=True)
    assert re.search(rf'<input checked[^>]*value="{used[0]}"', again)
    assert client.get("/tools/usage?country=THA").status_code == 404
    unknown = post_form(client, "/tools/usage", {"tools": ["999999"]})
    assert unknown.status_code == 200
    assert "Unknown catalogue entries" in unknown.get_data(as_text=True)
    for who in ("coord_latf", "comms"):
        assert signed_in(app, f"{who}@test.example").get("/tools/usage").status_code == 404


def independent_count(today: date) -> dict[tuple[str, str], tuple[int, int]]:
    """(network, tool) -> (members using it, members today), straight from the tables."""
    m = NetworkMembership
    valid = and_(
        or_(m.valid_from.is_(None), m.valid_from <= today),
        or_(m.valid_to.is_(None), m.valid_to >= today),
    )
    members = dict(
        db.session.execute(
            select(Network.acronym, func.count(func.distinct(m.country_iso3)))
            .join(m, m.network_id == Network.id)
            .where(valid, Network.members_found.is_(True))
            .group_by(Network.acronym)
        ).all()
    )
    using = {
        (acronym, name): count
        for acronym, name, count in db.session.execute(
            select(Network.acronym, ToolService.name, func.count(func.distinct(m.country_iso3)))
            .join(m, m.network_id == Network.id)
            .join(ToolUsage, ToolUsage.country_iso3 == m.country_iso3)
            .join(ToolService, ToolService.id == ToolUsage.tool_id)
            .where(valid, ToolUsage.uses.is_(True), Network.members_found.is_(True))
            .group_by(Network.acronym, ToolService.name)
        ).all()
    }
    names = db.session.scalars(select(ToolService.name)).all()
    return {
        (acronym, name): (using.get((acronym, name), 0), n)
        for acronym, n in members.items()
        for name in names
    }


def test_the_usage_analysis_matches_an_independent_count(app, users, api_tokens, seeded):
    rng = random.Random(7)
    tools = catalogue.all_tools()
    countries = db.session.scalars(
        select(Country).where(Country.iso3.in_(select(NetworkMembership.country_iso3)))
    ).all()
    for country in countries:
        if rng.random() < 0.25:
            continue  # has not answered
        used = {t.id for t in tools if rng.random() < 0.4}
        catalogue.set_usage(country, used, users["organiser"])
    db.session.commit()

    today = date.today()
    expected = independent_count(today)
    analysis = catalogue.usage_analysis(today)
    got = {
        (n.acronym, t.name): (analysis.cell(n, t).using, analysis.cell(n, t).members)
        for n in analysis.networks
        for t in analysis.tools
    }
    assert got == expected
    assert sum(using for using, _members in got.values()) > 100  # the data is not trivial
    assert "SADC RESG" not in {n.acronym for n in analysis.networks}  # no members known
    some = analysis.cell(network("ASEAN-WEN"), tool("ENVIRONET"))
    assert some.share == pytest.approx(some.using / 10)

    # the API says the same
    api = app.test_client().get("/api/v1/tools/analysis", headers=bearer(api_tokens["comms"]))
    rows = {
        (row["network"], item["tool"]): (item["using"], row["members"])
        for row in api.get_json()["items"]
        for item in row["tools"]
    }
    assert rows == expected

    # and the page's table (and chart), for every role
    html = signed_in(app, "comms@test.example").get("/tools/analysis").get_data(as_text=True)
    row = html.split(">ASEAN-WEN</th>", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"\((\d+)/(\d+)\)", row)
    assert [(int(a), int(b)) for a, b in cells] == [
        expected[("ASEAN-WEN", t.name)] for t in analysis.tools
    ]
    assert 'data-chart="usage-chart"' in html


def test_the_usage_chart_is_built_from_the_analysis(app, users, seeded):
    kenya, uganda = db.session.get(Country, "KEN"), db.session.get(Country, "UGA")
    catalogue.set_usage(kenya, {tool("ENVIRONET").id}, users["organiser"])
    catalogue.set_usage(uganda, {tool("ENVIRONET").id, tool("TRACK").id}, users["organiser"])
    db.session.commit()
    analysis = catalogue.usage_analysis(date.today())
    fig = directory_charts.usage_heatmap(analysis)
    heat = fig.data[0]
    assert list(heat.y) == [n.acronym for n in analysis.networks]
    assert list(heat.x) == [t.name for t in analysis.tools]
    latf = list(heat.y).index("LATF")
    members = analysis.members[network("LATF").id]
    environet = list(heat.x).index("ENVIRONET")
    assert heat.z[latf][environet] == round(100 * 2 / members, 1)
    assert heat.text[latf][environet] == f"2/{members}"
    assert heat.z[latf][list(heat.x).index("TRACK")] == round(100 * 1 / members, 1)
