"""The snapshot a publication pack is built from: the approved results of one operation for one
audience, as plain data with one canonical serialisation and a version that is its SHA-256.

What is in it (``take_snapshot``):

- ``countries``: every CONFIRMED participation (the participating countries) with its network
  and UN M49 region; ``reported`` when its report is APPROVED, and then its national results.
  A declined, withdrawn or invited country is not there, whatever it reported before.
- ``seizures``: the seizures of the approved reports only (a draft, submitted, validated or
  returned report may still change). Internal: all of them. Public: only ``publishable`` and not
  ``sensitive`` ones.
- ``highlights``: internal, every highlight case of an included seizure, with its consent.
  Public, a case only when it has consent, its seizure is in the public snapshot, its country is
  named and its narrative does not mention a country that is not named (free text is the one
  place a name could slip through).
- ``country_names``: the name of every ISO3 the snapshot uses, so that figures are computed
  without the database.
- ``evaluation``: internal only, the post-operation evaluation summary (submitted answers,
  ``evaluation_report.to_snapshot``) once anyone has submitted; None in every public snapshot.

Naming in the public snapshot: a participating country is named only when its approved report
says ``consent_to_be_named``. Every other participating country (no consent, or no approved
report) appears as ``OTHER_COUNTRIES``: its key is an opaque HMAC of the operation and its ISO3
under the application's secret (stable from one snapshot to the next, so distinct reporters
can still be counted, but not reversible by hashing the ~250 codes), and wherever its ISO3
would appear as an origin, transit or destination of a seizure it is replaced by ``OTHER``.
The public snapshot also leaves out every free-text and identifying field: national
reference, place, port, description, free-text species, notes, suspects' nationalities and the
amount and currency of assets seized. Its ISO3 codes, names and free text never reach a public
file through the snapshot.

Version rules: ``data_version`` is the SHA-256 of ``to_json_bytes()`` (sorted keys, no spaces,
Decimals as plain strings without trailing zeros, dates ISO, UTF-8). It holds no database id and
no timestamp, so the same data gives the same version, any change of what the snapshot holds
gives a new one, and a change to a record the audience does not see (a draft report, a sensitive
seizure, a field left out of the public snapshot) leaves that audience's version unchanged.
Rotating the application's secret changes the public version (the opaque keys change): the next
pack is rebuilt, which is harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cached_property
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    CountryReport,
    HighlightCase,
    Operation,
    Participation,
    ParticipationStatus,
    Priority,
    ReportStatus,
    Seizure,
    SeizureQuantity,
    Species,
)
from opsplanner.services.pack_model import OTHER_COUNTRIES, Audience
from opsplanner.services.reports import COUNT_FIELDS
from opsplanner.services.seizure_fields import format_amount

FORMAT = 1
# Stands for a participating country that is not named, in the route codes of a public snapshot.
OTHER = "*"
ONLINE_CONVEYANCE = "online"


# -- the plain data --------------------------------------------------------------------------
@dataclass(frozen=True)
class Quantity:
    amount: Decimal
    unit: str


@dataclass(frozen=True)
class National:
    """A country's national results (counts, never names)."""

    counts: dict[str, int]  # every field of reports.COUNT_FIELDS
    suspects: int  # the sum of suspects_by_nationality
    # internal only (empty in a public snapshot): nationalities could name a country that is
    # not named, a currency names its country, notes are free text
    suspects_by_nationality: dict[str, int]
    assets_seized_amount: Decimal | None
    assets_seized_currency: str
    notes: str


@dataclass(frozen=True)
class CountryEntry:
    """A confirmed participation. ``key`` is the ISO3 of a named country, else opaque."""

    key: str
    iso3: str | None  # None when not named
    name: str  # OTHER_COUNTRIES when not named
    network: str | None  # acronym of the coordinating network
    network_name: str | None
    region: str | None  # UN M49 region
    reported: bool  # its report is approved: its results are in the snapshot
    consent_to_be_named: bool
    national: National | None  # when reported


@dataclass(frozen=True)
class SeizureEntry:
    country: str  # CountryEntry.key
    reference: str  # "" in a public snapshot
    seized_on: date
    place: str  # "" in a public snapshot
    port: str  # "" in a public snapshot
    agency: str
    detection_method: str
    commodity: str
    species: str  # scientific name from the reference, "" when free text
    species_other: str  # "" in a public snapshot
    description: str  # "" in a public snapshot
    conveyance: str
    quantities: tuple[Quantity, ...]
    origin: tuple[str, ...]  # ISO3 codes, or OTHER
    transit: tuple[str, ...]
    destination: tuple[str, ...]
    online_linked: bool
    priority: int | None  # rank of the operation priority
    suspects: int
    arrests: int
    sensitive: bool
    publishable: bool

    @property
    def online(self) -> bool:
        return self.online_linked or self.conveyance == ONLINE_CONVEYANCE


@dataclass(frozen=True)
class HighlightEntry:
    country: str  # CountryEntry.key
    narrative: str
    consent: bool
    seizure: SeizureEntry


@dataclass(frozen=True)
class Snapshot:
    operation_id: int
    operation_name: str
    audience: Audience
    window_start: date
    window_end: date
    countries: tuple[CountryEntry, ...]
    seizures: tuple[SeizureEntry, ...]
    highlights: tuple[HighlightEntry, ...]
    country_names: dict[str, str]  # ISO3 -> name, for every named code used
    format: int = FORMAT
    # The internal pack's post-operation evaluation summary (evaluation_report.to_snapshot),
    # once answers are submitted; never in a public snapshot.
    evaluation: dict[str, Any] | None = None

    def to_json_bytes(self) -> bytes:
        # Serialised once per snapshot: a large operation's snapshot is tens of megabytes.
        return self._json_bytes

    @cached_property
    def _json_bytes(self) -> bytes:
        return json.dumps(
            self, default=_plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")

    @cached_property
    def data_version(self) -> str:
        return hashlib.sha256(self.to_json_bytes()).hexdigest()

    @classmethod
    def load(cls, raw: bytes, *, data_version: str | None = None) -> Snapshot:
        """The snapshot ``raw`` holds. Pass ``data_version`` when ``raw`` is known to be what
        ``to_json_bytes`` wrote (its SHA-256 was checked against it): the version is then
        taken as given rather than worked out by serialising the whole snapshot again."""
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown snapshot format {data.get('format')!r}")
        snapshot = cls(
            operation_id=int(data["operation_id"]),
            operation_name=data["operation_name"],
            audience=Audience(data["audience"]),
            window_start=date.fromisoformat(data["window_start"]),
            window_end=date.fromisoformat(data["window_end"]),
            countries=tuple(_country_from(c) for c in data["countries"]),
            seizures=tuple(_seizure_from(s) for s in data["seizures"]),
            highlights=tuple(
                HighlightEntry(
                    country=h["country"],
                    narrative=h["narrative"],
                    consent=bool(h["consent"]),
                    seizure=_seizure_from(h["seizure"]),
                )
                for h in data["highlights"]
            ),
            country_names=dict(data["country_names"]),
            format=FORMAT,
            evaluation=data.get("evaluation"),
        )
        if data_version is not None:
            # cached_property stores in the instance dict, which a frozen dataclass allows
            snapshot.__dict__["data_version"] = data_version
            snapshot.__dict__["_json_bytes"] = raw
        return snapshot

    def country_name(self, code: str) -> str:
        """The name of a route code (ISO3 or OTHER)."""
        if code == OTHER:
            return OTHER_COUNTRIES
        return self.country_names.get(code, code)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """``json.dumps``'s ``default``: the encoder walks the containers itself (fast, in C) and
    asks here only for dataclasses, Decimals, dates and enums."""
    if is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES.get(type(value))
        if names is None:
            names = _FIELD_NAMES[type(value)] = tuple(f.name for f in fields(value))
        return {name: getattr(value, name) for name in names}
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} has no place in a snapshot")


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _country_from(c: Mapping[str, Any]) -> CountryEntry:
    nat = c["national"]
    return CountryEntry(
        key=c["key"],
        iso3=c["iso3"],
        name=c["name"],
        network=c["network"],
        network_name=c["network_name"],
        region=c["region"],
        reported=bool(c["reported"]),
        consent_to_be_named=bool(c["consent_to_be_named"]),
        national=(
            None
            if nat is None
            else National(
                counts={k: int(v) for k, v in nat["counts"].items()},
                suspects=int(nat["suspects"]),
                suspects_by_nationality={
                    k: int(v) for k, v in nat["suspects_by_nationality"].items()
                },
                assets_seized_amount=_decimal(nat["assets_seized_amount"]),
                assets_seized_currency=nat["assets_seized_currency"],
                notes=nat["notes"],
            )
        ),
    )


def _seizure_from(s: Mapping[str, Any]) -> SeizureEntry:
    return SeizureEntry(
        country=s["country"],
        reference=s["reference"],
        seized_on=date.fromisoformat(s["seized_on"]),
        place=s["place"],
        port=s["port"],
        agency=s["agency"],
        detection_method=s["detection_method"],
        commodity=s["commodity"],
        species=s["species"],
        species_other=s["species_other"],
        description=s["description"],
        conveyance=s["conveyance"],
        quantities=tuple(Quantity(Decimal(q["amount"]), q["unit"]) for q in s["quantities"]),
        origin=tuple(s["origin"]),
        transit=tuple(s["transit"]),
        destination=tuple(s["destination"]),
        online_linked=bool(s["online_linked"]),
        priority=None if s["priority"] is None else int(s["priority"]),
        suspects=int(s["suspects"]),
        arrests=int(s["arrests"]),
        sensitive=bool(s["sensitive"]),
        publishable=bool(s["publishable"]),
    )


# -- taking it from the database -----------------------------------------------------------------
def opaque_key(secret: bytes, operation_id: int, iso3: str) -> str:
    """A stable key for a country that is not named: lower-case hex, so it never spells an
    ISO3 code (those are upper case)."""
    digest = hmac.new(secret, f"pack-country:{operation_id}:{iso3}".encode(), hashlib.sha256)
    return "c-" + digest.hexdigest()[:16]


def _secret() -> bytes:
    key = current_app.config["SECRET_KEY"]
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def _canonical(amount: Any) -> Decimal:
    return Decimal(format_amount(Decimal(str(amount))))


def _masked_codes(codes: Iterable[str] | None, masked: set[str]) -> tuple[str, ...]:
    out: list[str] = []
    for code in codes or ():
        code = OTHER if code in masked else code
        if code not in out:
            out.append(code)
    return tuple(out)


def _seizure_sort_key(s: SeizureEntry) -> tuple[Any, ...]:
    return (
        s.seized_on,
        s.country,
        s.reference,
        s.commodity,
        s.species,
        s.species_other,
        tuple((q.unit, q.amount) for q in s.quantities),
        s.origin,
        s.transit,
        s.destination,
        s.conveyance,
        s.detection_method,
        s.agency,
        s.place,
        s.port,
        s.description,
        s.online_linked,
        -1 if s.priority is None else s.priority,
        s.suspects,
        s.arrests,
        s.sensitive,
        s.publishable,
    )


def _mentions(text: str, words: Iterable[str]) -> bool:
    for word in words:
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE):
            return True
    return False


def _names_of(country: Country) -> list[str]:
    """Every way a narrative could name ``country``: ISO3, name, official and common name."""
    import pycountry

    names = [country.iso3, country.name, country.official_name or ""]
    known = pycountry.countries.get(alpha_3=country.iso3)
    if known is not None:
        names += [getattr(known, "common_name", ""), getattr(known, "official_name", "")]
    return [n for n in names if n]


def take_snapshot(
    operation: Operation, audience: Audience | str, *, secret: bytes | None = None
) -> Snapshot:
    """The approved results of ``operation`` as ``audience`` may see them (see the module)."""
    audience = Audience(audience)
    public = audience is Audience.PUBLIC
    secret = secret if secret is not None else _secret()

    parts = list(
        db.session.scalars(
            select(Participation)
            .where(
                Participation.operation_id == operation.id,
                Participation.status == ParticipationStatus.CONFIRMED,
            )
            .options(joinedload(Participation.country), joinedload(Participation.network))
        )
    )
    part_ids = [p.id for p in parts]
    approved: dict[int, CountryReport] = (
        {
            r.participation_id: r
            for r in db.session.scalars(
                select(CountryReport).where(
                    CountryReport.participation_id.in_(part_ids),
                    CountryReport.status == ReportStatus.APPROVED,
                )
            )
        }
        if part_ids
        else {}
    )
    named = {
        p.country_iso3
        for p in parts
        if not public or (p.id in approved and approved[p.id].consent_to_be_named)
    }
    masked = {p.country_iso3 for p in parts} - named
    key_of = {
        p.id: p.country_iso3
        if p.country_iso3 in named
        else opaque_key(secret, operation.id, p.country_iso3)
        for p in parts
    }

    countries = tuple(
        sorted(
            (
                _country_entry(p, approved.get(p.id), key_of[p.id], p.country_iso3 in named, public)
                for p in parts
            ),
            key=lambda c: c.key,
        )
    )

    by_id = _seizures(operation, list(approved), key_of, masked, public)
    highlights = _highlights(list(approved), by_id, key_of, named, masked, parts, public)

    used = {c.iso3 for c in countries if c.iso3}
    for s in by_id.values():
        used.update(s.origin + s.transit + s.destination)
    used.discard(OTHER)
    country_names = (
        dict(
            db.session.execute(
                select(Country.iso3, Country.name).where(Country.iso3.in_(sorted(used)))
            ).all()
        )
        if used
        else {}
    )
    return Snapshot(
        operation_id=operation.id,
        operation_name=operation.code_name,
        audience=audience,
        window_start=operation.window_start,
        window_end=operation.window_end,
        countries=countries,
        seizures=tuple(sorted(by_id.values(), key=_seizure_sort_key)),
        highlights=highlights,
        country_names=dict(sorted(country_names.items())),
        evaluation=None if public else _evaluation(operation),
    )


def _evaluation(operation: Operation) -> dict[str, Any] | None:
    """The evaluation summary for the internal pack, when anyone has submitted answers."""
    from opsplanner.services import evaluation_report

    summary = evaluation_report.evaluation_summary(operation)
    return evaluation_report.to_snapshot(summary) if summary.responded else None


def _country_entry(
    p: Participation, report: CountryReport | None, key: str, is_named: bool, public: bool
) -> CountryEntry:
    national = None
    if report is not None:
        nationalities = {k: int(v) for k, v in (report.suspects_by_nationality or {}).items()}
        national = National(
            counts={name: int(getattr(report, name) or 0) for name in COUNT_FIELDS},
            suspects=sum(nationalities.values()),
            suspects_by_nationality={} if public else dict(sorted(nationalities.items())),
            assets_seized_amount=(
                None
                if public or report.assets_seized_amount is None
                else _canonical(report.assets_seized_amount)
            ),
            assets_seized_currency="" if public else report.assets_seized_currency,
            notes="" if public else report.notes,
        )
    return CountryEntry(
        key=key,
        iso3=p.country_iso3 if is_named else None,
        name=p.country.name if is_named else OTHER_COUNTRIES,
        network=p.network.acronym if p.network else None,
        network_name=p.network.name if p.network else None,
        region=p.country.region or None,
        reported=report is not None,
        consent_to_be_named=bool(report is not None and report.consent_to_be_named),
        national=national,
    )


def _seizures(
    operation: Operation,
    approved_ids: list[int],
    key_of: Mapping[int, str],
    masked: set[str],
    public: bool,
) -> dict[int, SeizureEntry]:
    """The included seizures by database id (the id does not go into the snapshot)."""
    if not approved_ids:
        return {}
    where = [Seizure.participation_id.in_(approved_ids)]
    if public:
        where += [Seizure.publishable.is_(True), Seizure.sensitive.is_(False)]
    quantities: dict[int, list[Quantity]] = defaultdict(list)
    for seizure_id, amount, unit in db.session.execute(
        select(SeizureQuantity.seizure_id, SeizureQuantity.amount, SeizureQuantity.unit)
        .join(Seizure, Seizure.id == SeizureQuantity.seizure_id)
        .where(*where)
        .order_by(SeizureQuantity.seizure_id, SeizureQuantity.position, SeizureQuantity.id)
    ):
        quantities[seizure_id].append(Quantity(_canonical(amount), unit))
    species = dict(db.session.execute(select(Species.id, Species.scientific_name)).all())
    ranks = dict(
        db.session.execute(
            select(Priority.id, Priority.rank).where(Priority.operation_id == operation.id)
        ).all()
    )
    t = Seizure
    rows = db.session.execute(
        select(
            t.id,
            t.participation_id,
            t.national_reference,
            t.seized_on,
            t.place,
            t.port,
            t.agency,
            t.detection_method,
            t.commodity,
            t.species_id,
            t.species_other,
            t.description,
            t.conveyance,
            t.origin_codes,
            t.transit_codes,
            t.destination_codes,
            t.online_linked,
            t.priority_id,
            t.suspects,
            t.arrests,
            t.sensitive,
            t.publishable,
        ).where(*where)
    )
    out: dict[int, SeizureEntry] = {}
    for r in rows:
        out[r.id] = SeizureEntry(
            country=key_of[r.participation_id],
            reference="" if public else r.national_reference,
            seized_on=r.seized_on,
            place="" if public else r.place,
            port="" if public else r.port,
            agency=r.agency,
            detection_method=str(getattr(r.detection_method, "value", r.detection_method)),
            commodity=r.commodity,
            species=species.get(r.species_id, "") if r.species_id else "",
            species_other="" if public else r.species_other,
            description="" if public else r.description,
            conveyance=r.conveyance,
            quantities=tuple(quantities.get(r.id, ())),
            origin=_masked_codes(r.origin_codes, masked),
            transit=_masked_codes(r.transit_codes, masked),
            destination=_masked_codes(r.destination_codes, masked),
            online_linked=bool(r.online_linked),
            priority=ranks.get(r.priority_id) if r.priority_id else None,
            suspects=int(r.suspects or 0),
            arrests=int(r.arrests or 0),
            sensitive=bool(r.sensitive),
            publishable=bool(r.publishable),
        )
    return out


def _highlights(
    approved_ids: list[int],
    by_id: Mapping[int, SeizureEntry],
    key_of: Mapping[int, str],
    named: set[str],
    masked: set[str],
    parts: list[Participation],
    public: bool,
) -> tuple[HighlightEntry, ...]:
    if not approved_ids:
        return ()
    iso3_of = {p.id: p.country_iso3 for p in parts}
    unnamed_words = [w for p in parts if p.country_iso3 in masked for w in _names_of(p.country)]
    out: list[HighlightEntry] = []
    for case in db.session.scalars(
        select(HighlightCase).where(HighlightCase.participation_id.in_(approved_ids))
    ):
        seizure = by_id.get(case.seizure_id)
        if seizure is None:  # its seizure is not in this audience's snapshot
            continue
        if public and (
            not case.consent
            or iso3_of[case.participation_id] not in named
            or _mentions(case.narrative, unnamed_words)
        ):
            continue
        out.append(
            HighlightEntry(
                country=key_of[case.participation_id],
                narrative=case.narrative,
                consent=bool(case.consent),
                seizure=seizure,
            )
        )
    return tuple(sorted(out, key=lambda h: (h.country, h.narrative, _seizure_sort_key(h.seizure))))
