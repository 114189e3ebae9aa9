"""The snapshot of approved results and the figures of a publication pack.

Every headline figure and breakdown is checked against an independent computation from the raw
tables (``Oracle``: SQL over participation, country_report, seizure, seizure_quantity and
highlight_case, GROUP BY where SQL can add exactly, plain Python for the rest), on several
datasets built through the real services (``tests/pack_datasets.py``). Then what a public
snapshot may hold, and when its data version changes."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pycountry
import pytest
from sqlalchemy import bindparam, text

from opsplanner.extensions import db
from opsplanner.reference.vocabularies import commodities, units
from opsplanner.services.pack_figures import compute_figures
from opsplanner.services.pack_model import OTHER_COUNTRIES, Audience, Figures
from opsplanner.services.pack_snapshot import (
    OTHER,
    CountryEntry,
    National,
    Quantity,
    SeizureEntry,
    Snapshot,
    take_snapshot,
)
from opsplanner.services.readiness import NO_NETWORK
from tests import pack_datasets
from tests.pack_datasets import Builder

NO_REGION = "(no region)"


# -- the independent computation -----------------------------------------------------------------
def _rows(sql: str, **params: Any) -> list[Any]:
    statement = text(sql)
    if "ids" in params:
        statement = statement.bindparams(bindparam("ids", expanding=True))
    return list(db.session.execute(statement, params).mappings())


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class Oracle:
    """The figures of ``op`` for ``audience``, straight from the tables."""

    def __init__(self, op: Any, audience: Audience) -> None:
        self.op = op
        self.public = audience is Audience.PUBLIC
        self.parts = _rows(
            """
            SELECT p.id, p.country_iso3 AS iso3, c.name, c.official_name, c.region,
                   n.acronym, n.name AS network_name
            FROM participation p
            JOIN country c ON c.iso3 = p.country_iso3
            LEFT JOIN network n ON n.id = p.network_id
            WHERE p.operation_id = :op AND p.status = 'confirmed'
            """,
            op=op.id,
        )
        self.approved = {
            r["participation_id"]: r
            for r in _rows(
                """
                SELECT r.* FROM country_report r
                JOIN participation p ON p.id = r.participation_id
                WHERE p.operation_id = :op AND p.status = 'confirmed' AND r.status = 'approved'
                """,
                op=op.id,
            )
        }
        self.ids = sorted(self.approved)
        self.named = {
            p["iso3"]
            for p in self.parts
            if not self.public
            or (p["id"] in self.approved and self.approved[p["id"]]["consent_to_be_named"])
        }
        self.masked = {p["iso3"] for p in self.parts} - self.named
        self.names = {r["iso3"]: r["name"] for r in _rows("SELECT iso3, name FROM country")}

    # the seizures the audience sees
    @property
    def where(self) -> str:
        clause = "s.participation_id IN :ids"
        if self.public:
            clause += " AND s.publishable = :yes AND s.sensitive = :no"
        return clause

    def q(self, sql: str) -> list[Any]:
        return _rows(sql.replace("{where}", self.where), ids=self.ids, yes=True, no=False)

    def masked_words(self) -> list[str]:
        """Every way a country that is not named could be written."""
        words: list[str] = []
        for p in self.parts:
            if p["iso3"] in self.masked:
                known = pycountry.countries.get(alpha_3=p["iso3"])
                words += [p["iso3"], p["name"], getattr(known, "common_name", p["name"])]
        return words

    def country_name(self, code: str) -> str:
        return OTHER_COUNTRIES if code in self.masked else self.names.get(code, code)

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        per_country = {
            r["participation_id"]: r
            for r in self.q(
                """
                SELECT s.participation_id, COUNT(*) AS n, SUM(s.suspects) AS suspects,
                       SUM(s.arrests) AS arrests
                FROM seizure s WHERE {where} GROUP BY s.participation_id
                """
            )
        }
        rows = []
        for p in self.parts:
            seized = per_country.get(p["id"])
            n = int(seized["n"]) if seized else 0
            suspects = arrests = 0
            report = self.approved.get(p["id"])
            if report is not None:
                national_suspects = sum(_json(report["suspects_by_nationality"] or "{}").values())
                suspects = national_suspects or (int(seized["suspects"]) if seized else 0)
                arrests = report["arrests"] or (int(seized["arrests"]) if seized else 0)
            rows.append(
                dict(
                    iso3=p["iso3"],
                    name=p["name"],
                    network=(p["acronym"], p["network_name"])
                    if p["acronym"]
                    else (None, NO_NETWORK),
                    region=(p["region"], p["region"]) if p["region"] else (None, NO_REGION),
                    country=(p["iso3"], p["name"])
                    if p["iso3"] in self.named
                    else (None, OTHER_COUNTRIES),
                    reported=report is not None,
                    seizures=n,
                    suspects=suspects,
                    arrests=arrests,
                )
            )
        out["participating_countries"] = len(self.parts)
        out["reporting_countries"] = len(self.approved)
        out["seizures"] = sum(r["seizures"] for r in rows)
        out["suspects"] = sum(r["suspects"] for r in rows)
        out["arrests"] = sum(r["arrests"] for r in rows)
        sums = _rows(
            """
            SELECT COALESCE(SUM(companies_implicated), 0) AS companies,
                   COALESCE(SUM(criminal_networks_identified), 0) AS criminal_networks,
                   COALESCE(SUM(international_notices_requested), 0) AS international_notices,
                   COALESCE(SUM(online_adverts_removed), 0) AS online_adverts_removed,
                   COALESCE(SUM(online_accounts_removed), 0) AS online_accounts_removed
            FROM country_report WHERE participation_id IN :ids
            """,
            ids=self.ids,
        )[0]
        out.update({k: int(v) for k, v in sums.items()})
        out["online_cases"] = int(
            self.q(
                "SELECT COUNT(*) AS n FROM seizure s WHERE {where} "
                "AND (s.online_linked = :yes OR s.conveyance = 'online')"
            )[0]["n"]
        )

        # per (commodity, unit): SQL adds thousandths as integers, exactly on both backends
        per_unit = self.q(
            """
            SELECT s.commodity, q.unit, COUNT(DISTINCT s.id) AS n,
                   SUM(CAST(ROUND(q.amount * 1000) AS BIGINT)) AS milli
            FROM seizure s JOIN seizure_quantity q ON q.seizure_id = s.id
            WHERE {where} GROUP BY s.commodity, q.unit
            """
        )
        per_commodity = {
            r["commodity"]: int(r["n"])
            for r in self.q(
                "SELECT s.commodity, COUNT(*) AS n FROM seizure s WHERE {where} "
                "GROUP BY s.commodity"
            )
        }
        labels, unit_codes = commodities(), list(units())
        out["by_commodity"] = sorted(
            (
                (r["commodity"], r["unit"], Decimal(int(r["milli"])) / 1000, int(r["n"]))
                for r in per_unit
            ),
            key=lambda t: (-per_commodity[t[0]], labels[t[0]], unit_codes.index(t[1])),
        )

        def grouped(key: str) -> list[tuple[Any, ...]]:
            # Public: a network or region where exactly one reporting country is not named
            # would give that country away by subtraction; its unnamed countries are pooled.
            unnamed = [r for r in rows if r["iso3"] not in self.named]
            lone = {
                g
                for g in {r[key] for r in unnamed}
                if sum(1 for r in unnamed if r[key] == g and r["reported"]) == 1
            }
            groups: dict[tuple[Any, str], list[dict[str, Any]]] = defaultdict(list)
            for r in rows:
                pool = key != "country" and r["iso3"] not in self.named and r[key] in lone
                groups[(None, OTHER_COUNTRIES) if pool else r[key]].append(r)
            return sorted(
                (
                    (
                        code,
                        name,
                        sum(m["reported"] for m in members),
                        len(members),
                        sum(m["seizures"] for m in members),
                        sum(m["suspects"] for m in members),
                        sum(m["arrests"] for m in members),
                    )
                    for (code, name), members in groups.items()
                ),
                key=lambda g: (-g[4], g[1], g[0] or ""),
            )

        out["by_network"] = grouped("network")
        out["by_region"] = grouped("region")
        out["by_country"] = grouped("country")

        per_day = {
            _day(r["day"]): int(r["n"])
            for r in self.q(
                "SELECT s.seized_on AS day, COUNT(*) AS n FROM seizure s WHERE {where} "
                "GROUP BY s.seized_on"
            )
        }
        days = (self.op.window_end - self.op.window_start).days + 1
        out["timeline"] = [
            (
                self.op.window_start + timedelta(days=i),
                per_day.get(self.op.window_start + timedelta(days=i), 0),
            )
            for i in range(days)
        ]
        assert all(self.op.window_start <= d <= self.op.window_end for d in per_day)

        # routes: each seizure once on every origin x destination pair
        routes: Counter[tuple[str, tuple[str, ...], str]] = Counter()
        links: Counter[tuple[str, str, str, str]] = Counter()
        without = 0
        for s in self.q(
            "SELECT s.origin_codes, s.transit_codes, s.destination_codes FROM seizure s "
            "WHERE {where}"
        ):
            origins = list(dict.fromkeys(map(self.country_name, _json(s["origin_codes"]) or [])))
            transit = tuple(dict.fromkeys(map(self.country_name, _json(s["transit_codes"]) or [])))
            destinations = list(
                dict.fromkeys(map(self.country_name, _json(s["destination_codes"]) or []))
            )
            if not origins or not destinations:
                without += 1
                continue
            for o in origins:
                for d in destinations:
                    routes[(o, transit, d)] += 1
                    path = [("origin", o), *(("transit", t) for t in transit), ("destination", d)]
                    for (ss, sn), (ts, tn) in pairwise(path):
                        links[(ss, sn, ts, tn)] += 1
        out["routes"] = sorted(
            ((o, t, d, n) for (o, t, d), n in routes.items()),
            key=lambda r: (-r[3], r[0], r[2], r[1]),
        )
        out["routes_total"] = len(routes)
        out["seizures_without_route"] = without
        stage = {"origin": 0, "transit": 1, "destination": 2}
        out["flows"] = sorted(
            ((ss, sn, ts, tn, n) for (ss, sn, ts, tn), n in links.items()),
            key=lambda f: (-f[4], stage[f[0]], f[1], stage[f[2]], f[3]),
        )
        out["map_counts"] = [
            (r["iso3"], r["seizures"])
            for r in sorted(rows, key=lambda r: (-r["seizures"], r["name"]))
            if r["reported"] and r["iso3"] in self.named
        ]

        cases = _rows(
            """
            SELECT h.narrative, h.consent, s.seized_on, s.sensitive, s.publishable,
                   p.country_iso3 AS iso3
            FROM highlight_case h
            JOIN seizure s ON s.id = h.seizure_id
            JOIN participation p ON p.id = h.participation_id
            WHERE h.participation_id IN :ids
            """,
            ids=self.ids,
        )
        words = [w.lower() for w in self.masked_words()]
        out["highlights"] = sorted(
            (
                _day(c["seized_on"]),
                self.names[c["iso3"]] if c["iso3"] in self.named else OTHER_COUNTRIES,
                c["narrative"],
                bool(c["consent"]),
            )
            for c in cases
            if not self.public
            or (
                c["consent"]
                and c["publishable"]
                and not c["sensitive"]
                and c["iso3"] in self.named
                and not any(w in c["narrative"].lower() for w in words)
            )
        )
        return out


def observed(f: Figures) -> dict[str, Any]:
    """The same shape from the Figures under test."""
    return {
        "participating_countries": f.participating_countries,
        "reporting_countries": f.reporting_countries,
        "seizures": f.seizures,
        "suspects": f.suspects,
        "arrests": f.arrests,
        "companies": f.companies,
        "criminal_networks": f.criminal_networks,
        "international_notices": f.international_notices,
        "online_adverts_removed": f.online_adverts_removed,
        "online_accounts_removed": f.online_accounts_removed,
        "online_cases": f.online_cases,
        "by_commodity": [(c.commodity, c.unit, c.quantity, c.seizures) for c in f.by_commodity],
        "by_network": [_group(g) for g in f.by_network],
        "by_region": [_group(g) for g in f.by_region],
        "by_country": [_group(g) for g in f.by_country],
        "timeline": [(d.day, d.seizures) for d in f.timeline],
        "routes": [(r.origin, r.transit, r.destination, r.seizures) for r in f.top_routes],
        "routes_total": f.routes_total,
        "seizures_without_route": f.seizures_without_route,
        "flows": [
            (x.source_stage, x.source, x.target_stage, x.target, x.seizures) for x in f.flows
        ],
        "map_counts": list(f.map_counts.items()),
        "highlights": sorted(
            (h.seized_on, h.country, h.narrative, h.consent) for h in f.highlights
        ),
    }


def _group(g: Any) -> tuple[Any, ...]:
    return (g.code, g.name, g.countries, g.participating, g.seizures, g.suspects, g.arrests)


def figures_of(op: Any, audience: Audience) -> tuple[Snapshot, Figures]:
    snapshot = take_snapshot(op, audience)
    # the pack works from the stored file: compute from what was read back
    loaded = Snapshot.load(snapshot.to_json_bytes())
    assert loaded == snapshot and loaded.data_version == snapshot.data_version
    return snapshot, compute_figures(loaded, top_routes=10_000)


def assert_matches_raw_rows(op: Any, audience: Audience) -> tuple[Snapshot, Figures, Oracle]:
    snapshot, figures = figures_of(op, audience)
    oracle = Oracle(op, audience)
    expected, got = oracle.figures(), observed(figures)
    for key, value in expected.items():
        assert got[key] == value, f"{audience} {key}"
    # and what holds between them, whatever the dataset
    assert sum(d.seizures for d in figures.timeline) == figures.seizures
    assert sum(g.seizures for g in figures.by_country) == figures.seizures
    assert sum(g.arrests for g in figures.by_network) == figures.arrests
    assert sum(g.suspects for g in figures.by_region) == figures.suspects
    assert sum(g.participating for g in figures.by_country) == figures.participating_countries
    assert sum(g.countries for g in figures.by_network) == figures.reporting_countries
    return snapshot, figures, oracle


def assert_no_leak(snapshot: Snapshot, figures: Figures, oracle: Oracle, secrets: list[str]):
    """Nothing of a sensitive or non-publishable record, and no country that is not named,
    in the public snapshot file or in the figures."""
    files = {
        "snapshot": snapshot.to_json_bytes().decode("utf-8"),
        "figures": json.dumps(asdict(figures), default=str, ensure_ascii=False),
    }
    forbidden = list(secrets) + oracle.masked_words()
    for label, content in files.items():
        for word in forbidden:
            assert word not in content, f"{word!r} in the public {label}"
    for iso3 in oracle.masked:
        assert iso3 not in figures.map_counts


def assert_no_country_singled_out(snapshot: Snapshot, figures: Figures) -> None:
    """What a reader of the public pack can do: take a network's (or region's) row, subtract
    the rows of the named countries they know belong to it, and look at what is left. What is
    left must never be one reporting country that is not named."""
    named = {c.name: c for c in snapshot.countries if c.iso3 is not None}
    country_rows = {g.name: g for g in figures.by_country}
    for groups, member_of in (
        (figures.by_network, lambda c: c.network),
        (figures.by_region, lambda c: c.region),
    ):
        for g in groups:
            if g.name == OTHER_COUNTRIES:
                continue
            members = [c for c in named.values() if member_of(c) == g.code]
            left = g.countries - sum(1 for c in members if c.reported)
            assert left != 1, (g.name, "one unnamed reporter left after subtraction")
            if left == 0:
                assert g.seizures == sum(country_rows[c.name].seizures for c in members)


# -- the figures against the raw rows -----------------------------------------------------------
BUILDERS = {
    "mixed": pack_datasets.mixed,
    "everyone_named": pack_datasets.everyone_named,
    "nothing_approved": pack_datasets.nothing_approved,
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_figure_equals_the_raw_rows(app, users, reporting, name):
    dataset = BUILDERS[name](reporting, users)
    assert_matches_raw_rows(reporting, Audience.INTERNAL)
    public = assert_matches_raw_rows(reporting, Audience.PUBLIC)
    assert_no_leak(*public, dataset.secrets)
    assert_no_country_singled_out(public[0], public[1])


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_random_operations_equal_the_raw_rows(app, users, reporting, seed):
    dataset = pack_datasets.randomised(reporting, users, seed)
    internal = assert_matches_raw_rows(reporting, Audience.INTERNAL)[1]
    snapshot, public, oracle = assert_matches_raw_rows(reporting, Audience.PUBLIC)
    assert_no_leak(snapshot, public, oracle, dataset.secrets)
    assert_no_country_singled_out(snapshot, public)
    assert public.seizures <= internal.seizures
    assert public.reporting_countries == internal.reporting_countries


def test_the_mixed_operation_in_figures(app, users, reporting):
    """The mixed dataset worked by hand, as a reader of the release would check it."""
    pack_datasets.mixed(reporting, users)
    internal = compute_figures(take_snapshot(reporting, Audience.INTERNAL))
    public = compute_figures(take_snapshot(reporting, Audience.PUBLIC), top_routes=100)

    # THA, VNM, KEN, UGA, FRA confirmed (ZAF withdrew, MYS declined); THA, VNM, KEN approved
    assert (internal.participating_countries, internal.reporting_countries) == (5, 3)
    assert (public.participating_countries, public.reporting_countries) == (5, 3)
    assert (internal.seizures, public.seizures) == (11, 7)
    # THA national 7 arrests, 5 suspects; VNM no national: 2+1+1 arrests, 3+2+1 suspects
    # (public: VN-1 and VN-3 only); KEN national 3 suspects, arrests from seizures 2+1+1
    # (public: KE-1 and KE-3 only)
    assert (internal.arrests, internal.suspects) == (7 + 4 + 4, 5 + 6 + 3)
    assert (public.arrests, public.suspects) == (7 + 3 + 3, 5 + 4 + 3)
    assert (internal.companies, internal.criminal_networks, internal.international_notices) == (
        3,
        3,
        3,
    )
    assert (public.online_cases, public.online_adverts_removed) == (2, 10)

    ivory = {
        (c.unit, c.quantity, c.seizures) for c in public.by_commodity if c.commodity == "ivory"
    }
    # TH-1 35 pcs + 212.4 kg, TH-5 3.25 kg, KE-1 100 kg, KE-3 7 pcs: never added across units
    assert ivory == {("pieces", Decimal("42"), 2), ("kg", Decimal("315.65"), 3)}
    internal_ivory = {(c.unit, c.quantity) for c in internal.by_commodity if c.commodity == "ivory"}
    # plus TH-INTERNAL-3 12 pcs and VN-SECRET-2 20 pcs + 8.5 kg
    assert internal_ivory == {("pieces", Decimal("74")), ("kg", Decimal("324.15"))}

    others = [g for g in public.by_country if g.code is None]
    assert [(g.name, g.countries, g.participating, g.seizures) for g in others] == [
        (OTHER_COUNTRIES, 1, 3, 2)  # VNM reported; VNM, UGA, FRA take part unnamed
    ]
    assert set(public.map_counts) == {"THA", "KEN"}
    # ASEAN-WEN minus Thailand would be Viet Nam, its one unnamed reporter: Viet Nam is pooled;
    # LATF's unnamed Uganda has not reported (nothing to give away) and stays
    country = {g.name: g for g in public.by_country}
    network = {(g.code, g.name): g for g in public.by_network}
    assert {k: g.participating for k, g in network.items()} == {
        ("ASEAN-WEN", "ASEAN Wildlife Enforcement Network"): 1,
        ("LATF", "Lusaka Agreement Task Force"): 2,
        (None, OTHER_COUNTRIES): 1,
        (None, NO_NETWORK): 1,
    }
    asean = network[("ASEAN-WEN", "ASEAN Wildlife Enforcement Network")]
    assert asean.seizures == country["Thailand"].seizures  # nothing left to subtract
    assert network[(None, OTHER_COUNTRIES)].seizures == 2  # Viet Nam's, under no name
    assert {(r.origin, r.transit, r.destination) for r in public.top_routes} >= {
        ("Kenya", (OTHER_COUNTRIES,), OTHER_COUNTRIES),
        ("Thailand", (), OTHER_COUNTRIES),
        ("Nigeria", ("Ethiopia", "United Arab Emirates"), "China"),
    }
    assert public.seizures_without_route == 1  # TH-4, online without an origin
    assert [(h.country, h.narrative) for h in public.highlights] == [
        ("Thailand", "Tusks and worked ivory in air cargo, declared as handicrafts."),
        ("Kenya", "Seven tusks hidden in a truck of avocados."),
    ]
    first = public.highlights[0]
    assert first.route == (
        f"Nigeria, Cameroon -> Ethiopia -> United Arab Emirates -> {OTHER_COUNTRIES}, China"
    )
    assert first.quantities == ((Decimal("35"), "pieces"), (Decimal("212.4"), "kg"))
    assert first.detection_method == "X-ray or scanner"
    assert len(internal.highlights) == 6  # every case of an approved report
    assert sum(not h.consent for h in internal.highlights) == 1
    assert [d.day for d in public.timeline] == pack_datasets.window_days(reporting)


def test_routes_and_flows_are_counted_as_documented(app, users, reporting):
    pack_datasets.everyone_named(reporting, users)
    figures = compute_figures(take_snapshot(reporting, Audience.PUBLIC), top_routes=3)
    assert [(r.origin, r.transit, r.destination, r.seizures) for r in figures.top_routes] == [
        ("Nigeria", ("Ethiopia",), "Thailand", 2),
        ("Nigeria", ("Ethiopia",), "Vietnam", 2),  # V1, and V2 from Cameroon and Nigeria
        ("Cameroon", ("Belgium",), "France", 1),
    ]
    assert figures.routes_total == 9 and figures.seizures_without_route == 1  # F2
    flows = {(f.source, f.target): f.seizures for f in figures.flows}
    # into Ethiopia: NGA 4 (T1, T2, V1, V2) + CMR 1 (V2) + KEN 1 (K1); out: THA 2, VNM 3, ARE 1
    assert flows[("Nigeria", "Ethiopia")] == 4
    assert flows[("Ethiopia", "Thailand")] == 2 and flows[("Ethiopia", "Vietnam")] == 3
    into = sum(n for (s, t), n in flows.items() if t == "Ethiopia")
    out = sum(n for (s, t), n in flows.items() if s == "Ethiopia")
    assert into == out == 6
    stages = {(f.source, f.source_stage, f.target, f.target_stage) for f in figures.flows}
    assert ("Kenya", "origin", "Uganda", "destination") in stages
    assert ("Uganda", "origin", "Kenya", "transit") in stages
    timber = [(c.unit, c.quantity) for c in figures.by_commodity if c.commodity == "timber"]
    assert timber == [("m3", Decimal("12.5")), ("truckloads", Decimal("3"))]


def test_nothing_approved_gives_zeros_over_the_whole_window(app, users, reporting):
    pack_datasets.nothing_approved(reporting, users)
    figures = compute_figures(take_snapshot(reporting, Audience.INTERNAL))
    assert (figures.participating_countries, figures.reporting_countries) == (5, 0)
    assert (figures.seizures, figures.arrests, figures.suspects) == (0, 0, 0)
    assert figures.by_commodity == [] and figures.top_routes == [] and figures.map_counts == {}
    assert [(d.day, d.seizures) for d in figures.timeline] == [
        (d, 0) for d in pack_datasets.window_days(reporting)
    ]
    assert len(figures.timeline) == 14


# -- the snapshot -------------------------------------------------------------------------------
def test_the_public_snapshot_holds_no_free_text_nor_unnamed_country(app, users, reporting):
    pack_datasets.mixed(reporting, users)
    public = take_snapshot(reporting, Audience.PUBLIC)
    internal = take_snapshot(reporting, Audience.INTERNAL)
    raw = public.to_json_bytes().decode("utf-8")
    for word in ("VNM", "Vietnam", "Viet Nam", "UGA", "Uganda", "FRA", "France", "ZAF"):
        assert word not in raw
    assert all(s.reference == s.place == s.port == s.description == "" for s in public.seizures)
    assert all(not s.sensitive and s.publishable for s in public.seizures)
    assert all(
        c.national is None or (c.national.suspects_by_nationality == {} and not c.national.notes)
        for c in public.countries
    )
    unnamed = [c for c in public.countries if c.iso3 is None]
    assert len(unnamed) == 3 and len({c.key for c in unnamed}) == 3
    assert all(c.key.startswith("c-") and c.key == c.key.lower() for c in unnamed)
    # the internal snapshot has everything approved, and nothing else
    raw_internal = internal.to_json_bytes().decode("utf-8")
    assert "TH-SECRET-777" in raw_internal and "Vietnam" in raw_internal
    for absent in ("UG-1", "FR-1", "ZA-1", "OR Tambo", "Roissy"):
        assert absent not in raw_internal
    assert {c.iso3 for c in internal.countries} == {"THA", "VNM", "KEN", "UGA", "FRA"}


def test_the_serialisation_is_canonical(app, users, reporting):
    pack_datasets.mixed(reporting, users)
    snapshot = take_snapshot(reporting, Audience.INTERNAL)
    raw = snapshot.to_json_bytes()
    data = json.loads(raw)
    assert (
        raw == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    tha = next(s for s in data["seizures"] if s["reference"] == "TH-1")
    assert tha["quantities"] == [
        {"amount": "35", "unit": "pieces"},
        {"amount": "212.4", "unit": "kg"},
    ]
    assert tha["seized_on"] == "2027-02-02"
    assert Snapshot.load(raw).to_json_bytes() == raw


def test_unnamed_keys_depend_on_the_secret_not_on_the_code(app, users, reporting):
    pack_datasets.mixed(reporting, users)
    a = take_snapshot(reporting, Audience.PUBLIC, secret=b"one")
    b = take_snapshot(reporting, Audience.PUBLIC, secret=b"two")
    assert a.data_version == take_snapshot(reporting, Audience.PUBLIC, secret=b"one").data_version
    assert a.data_version != b.data_version
    assert compute_figures(a).by_country == compute_figures(b).by_country
    internal = take_snapshot(reporting, Audience.INTERNAL, secret=b"one")
    assert internal == take_snapshot(reporting, Audience.INTERNAL, secret=b"two")


# -- the data version ------------------------------------------------------------------------------
def versions(op: Any) -> tuple[str, str]:
    return (
        take_snapshot(op, Audience.PUBLIC).data_version,
        take_snapshot(op, Audience.INTERNAL).data_version,
    )


def reapprove(b: Builder, iso3: str, **changes: dict[str, Any]) -> None:
    b.move(iso3, "reopen")
    for reference, overrides in changes.items():
        b.update(iso3, reference, **overrides)
    b.approve(iso3)
    db.session.commit()


def test_the_same_data_gives_the_same_version(app, users, reporting):
    pack_datasets.mixed(reporting, users)
    first = versions(reporting)
    assert versions(reporting) == first
    assert len(set(first)) == 2


def test_a_change_to_a_record_the_audience_does_not_see_keeps_its_version(app, users, reporting):
    pack_datasets.mixed(reporting, users)
    b = Builder(reporting, users)
    public, internal = versions(reporting)
    # France's report is a draft: nobody sees it
    b.update("FRA", "FR-1", quantity_1="99")
    b.national("FRA", consent=False, arrests=1)
    db.session.commit()
    assert versions(reporting) == (public, internal)
    # a sensitive and a non-publishable seizure of Thailand change: the public pack is the same
    reapprove(
        b,
        "THA",
        **{"TH-SECRET-777": {"quantity_1": "1000"}, "TH-INTERNAL-3": {"quantity_1": "13"}},
    )
    new_public, new_internal = versions(reporting)
    assert new_public == public and new_internal != internal
    # a field the public snapshot leaves out (the place) changes only the internal version
    reapprove(b, "THA", **{"TH-1": {"place": "Don Mueang cargo"}})
    assert versions(reporting)[0] == public


def test_a_change_to_an_included_record_gives_a_new_version(app, users, reporting):
    pack_datasets.mixed(reporting, users)
    b = Builder(reporting, users)
    before = versions(reporting)
    reapprove(b, "THA", **{"TH-1": {"quantity_2": "212.5"}})
    after = versions(reporting)
    assert after[0] != before[0] and after[1] != before[1]
    # reopening takes the report out; approving it again unchanged brings the version back
    b.move("KEN", "reopen")
    db.session.commit()
    out = versions(reporting)
    assert out[0] != after[0] and out[1] != after[1]
    b.approve("KEN")
    db.session.commit()
    assert versions(reporting) == after
    # a country that now consents is named: the public version changes, the internal too
    b.move("VNM", "reopen")
    b.national("VNM", consent=True, companies_implicated=1, international_notices_requested=2)
    b.approve("VNM")
    db.session.commit()
    named = versions(reporting)
    assert named[0] != after[0] and named[1] != after[1]
    assert "Vietnam" in take_snapshot(reporting, Audience.PUBLIC).to_json_bytes().decode()


# -- pure: figures from a hand-made snapshot, without a database --------------------------------
def _entry(country: str, day: date, **kw: Any) -> SeizureEntry:
    base: dict[str, Any] = dict(
        country=country,
        reference="",
        seized_on=day,
        place="",
        port="",
        agency="customs",
        detection_method="intelligence",
        commodity="ivory",
        species="",
        species_other="",
        description="",
        conveyance="road",
        quantities=(Quantity(Decimal("1"), "kg"),),
        origin=("AAA",),
        transit=(),
        destination=("CCC",),
        online_linked=False,
        priority=None,
        suspects=1,
        arrests=1,
        sensitive=False,
        publishable=True,
    )
    return SeizureEntry(**(base | kw))


def test_figures_need_no_database_and_keep_to_their_rules():
    national = National({"arrests": 5}, 0, {}, None, "", "")
    countries = (
        CountryEntry("AAA", "AAA", "Aland", "NET", "A network", "Europe", True, True, national),
        CountryEntry("c-0123", None, OTHER_COUNTRIES, None, None, None, True, False, national),
    )
    seizures = (
        # two origins that share a name (a reference quirk): one route, counted once
        _entry("AAA", date(2027, 1, 30), origin=("AAA", "BBB"), destination=("CCC", OTHER)),
        _entry("c-0123", date(2027, 2, 2), suspects=4, arrests=2),
    )
    snapshot = Snapshot(
        operation_id=7,
        operation_name="Operation Pure",
        audience=Audience.PUBLIC,
        window_start=date(2027, 2, 1),
        window_end=date(2027, 2, 3),
        countries=countries,
        seizures=seizures,
        highlights=(),
        country_names={"AAA": "Same", "BBB": "Same", "CCC": "Cee"},
    )
    figures = compute_figures(snapshot)
    # a seizure dated before the window stretches the timeline: the days add up
    assert [(d.day.isoformat(), d.seizures) for d in figures.timeline] == [
        ("2027-01-30", 1),
        ("2027-01-31", 0),
        ("2027-02-01", 0),
        ("2027-02-02", 1),
        ("2027-02-03", 0),
    ]
    assert sorted((r.origin, r.destination, r.seizures) for r in figures.top_routes) == [
        ("Same", "Cee", 2),
        ("Same", OTHER_COUNTRIES, 1),
    ]
    # national arrests (5) win over the seizures'; no national suspects: the seizures' count
    assert (figures.arrests, figures.suspects) == (10, 5)
    # the unnamed country is the only one in its (missing) region: pooled, not "no region"
    assert [(g.code, g.name, g.seizures) for g in figures.by_region] == [
        ("Europe", "Europe", 1),  # a tie: by name
        (None, OTHER_COUNTRIES, 1),
    ]
    assert figures.map_counts == {"AAA": 1}
    assert figures.data_version == snapshot.data_version
