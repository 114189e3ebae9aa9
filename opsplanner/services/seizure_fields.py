"""The fields of a seizure record, defined once: the web form, the spreadsheet template (its
columns, drop-down lists and sheet of allowed values), the upload validator, the JSON API and
the exports all read this module, so the three ways in share one validation.

``parse`` turns raw values (strings from a form or a spreadsheet cell, or JSON values) into a
typed :class:`SeizureInput` and a list of :class:`FieldError`; ``Catalog`` holds everything a
row is checked against, loaded once per request or upload so that checking 164,000 rows makes
no query per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import Agency, Country, DetectionMethod, Operation, Priority, Species
from opsplanner.reference.vocabularies import commodities, commodity_units, conveyances, units
from opsplanner.services.activities import AGENCY_LABELS

MAX_QUANTITIES = 3
REFERENCE_MAX = 80
TEXT_MAX = {"place": 300, "port": 120, "species_other": 200, "description": 4000}
COUNT_MAX = 100_000
AMOUNT_MAX = Decimal("999999999999999")  # Numeric(18, 3)

DETECTION_LABELS = {
    DetectionMethod.RISK_PROFILING: _l("Risk profiling / targeting"),
    DetectionMethod.XRAY_SCANNER: _l("X-ray or scanner"),
    DetectionMethod.DETECTOR_DOG: _l("Detector dog"),
    DetectionMethod.PHYSICAL_INSPECTION: _l("Physical inspection"),
    DetectionMethod.INTELLIGENCE: _l("Intelligence"),
    DetectionMethod.ONLINE_MONITORING: _l("Online monitoring"),
    DetectionMethod.TIP_OFF: _l("Tip-off"),
    DetectionMethod.CONTROLLED_DELIVERY: _l("Controlled delivery"),
    DetectionMethod.OTHER: _l("Other"),
}

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x", "oui", "si", "sí", "ja"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "non", "nein", ""})


@dataclass(frozen=True)
class FieldDef:
    """One column of the template / key of the API / field of the form."""

    name: str
    label: Any  # lazy string
    kind: str  # text, date, choice, bool, int, countries, species, priority, decimal
    required: bool = False
    help: Any = ""
    # for "choice" fields: code -> label, read when needed (the vocabularies are files)
    choices: Callable[[], dict[str, str]] | None = None


def _agency_choices() -> dict[str, str]:
    return {a.value: str(label) for a, label in AGENCY_LABELS.items()}


def _detection_choices() -> dict[str, str]:
    return {d.value: str(label) for d, label in DETECTION_LABELS.items()}


FIELDS: tuple[FieldDef, ...] = (
    FieldDef(
        "national_reference",
        _l("National reference"),
        "text",
        True,
        _l("Your case number; sending it again updates the record instead of adding one."),
    ),
    FieldDef("seized_on", _l("Date of seizure"), "date", True, _l("YYYY-MM-DD")),
    FieldDef("place", _l("Place"), "text", True, _l("City, border post, market...")),
    FieldDef("port", _l("Port or airport"), "text", help=_l("Name or UN/LOCODE, if any")),
    FieldDef("agency", _l("Reporting agency"), "choice", True, choices=_agency_choices),
    FieldDef(
        "detection_method", _l("Detection method"), "choice", True, choices=_detection_choices
    ),
    FieldDef(
        "species",
        _l("Species (scientific name)"),
        "species",
        help=_l("A name from the Species sheet; otherwise leave empty and fill Species (other)"),
    ),
    FieldDef(
        "species_other",
        _l("Species (other)"),
        "text",
        help=_l("Free text when the taxon is not in the list; the record is flagged for review"),
    ),
    FieldDef("commodity", _l("Commodity category"), "choice", True, choices=commodities),
    FieldDef("description", _l("Description of specimens"), "text"),
    *(
        f
        for n in range(1, MAX_QUANTITIES + 1)
        for f in (
            FieldDef(f"quantity_{n}", _l("Quantity %(n)d", n=n), "decimal", n == 1),
            FieldDef(f"unit_{n}", _l("Unit %(n)d", n=n), "choice", n == 1, choices=units),
        )
    ),
    FieldDef("conveyance", _l("Conveyance"), "choice", True, choices=conveyances),
    FieldDef("origin", _l("Countries of origin"), "countries", help=_l("ISO codes, e.g. NGA")),
    FieldDef("transit", _l("Transit countries"), "countries", help=_l("ISO codes, several")),
    FieldDef("destination", _l("Countries of destination"), "countries"),
    FieldDef("online_linked", _l("Linked to online trade"), "bool"),
    FieldDef(
        "priority", _l("Operation priority"), "priority", help=_l("The priority's rank number")
    ),
    FieldDef("suspects", _l("Suspects"), "int", help=_l("A count: never a name")),
    FieldDef("arrests", _l("Arrests"), "int"),
    FieldDef(
        "sensitive",
        _l("Sensitive (under investigation)"),
        "bool",
        help=_l("Kept out of every publication and of communications views"),
    ),
    FieldDef("publishable", _l("Publishable"), "bool"),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
BY_NAME: dict[str, FieldDef] = {f.name: f for f in FIELDS}
REQUIRED_COLUMNS = frozenset({"national_reference", "seized_on", "commodity"})


@dataclass
class Quantity:
    amount: Decimal
    unit: str


@dataclass
class SeizureInput:
    national_reference: str = ""
    seized_on: date | None = None
    place: str = ""
    port: str = ""
    agency: str = ""
    detection_method: str = ""
    species_id: int | None = None
    species_other: str = ""
    commodity: str = ""
    description: str = ""
    quantities: list[Quantity] = field(default_factory=list)
    conveyance: str = ""
    origin: list[str] = field(default_factory=list)
    transit: list[str] = field(default_factory=list)
    destination: list[str] = field(default_factory=list)
    online_linked: bool = False
    priority_id: int | None = None
    suspects: int = 0
    arrests: int = 0
    sensitive: bool = False
    publishable: bool = False


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


# -- what rows are checked against --------------------------------------------------------------
@dataclass
class Catalog:
    """Reference lookups for one operation, loaded once."""

    operation: Operation
    species_by_name: dict[str, int]
    species_names: dict[int, str]
    iso3: frozenset[str]
    iso2_to_iso3: dict[str, str]
    priority_by_rank: dict[int, int]
    rank_by_priority: dict[int, int]
    commodity_units: dict[str, list[str]]
    choice_values: dict[str, frozenset[str]]

    @classmethod
    def load(cls, operation: Operation) -> Catalog:
        by_name: dict[str, int] = {}
        names: dict[int, str] = {}
        for sid, name, synonyms in db.session.execute(
            select(Species.id, Species.scientific_name, Species.synonyms)
        ):
            names[sid] = name
            by_name[_species_key(name)] = sid
            for synonym in synonyms or ():
                by_name.setdefault(_species_key(synonym), sid)
        countries = db.session.execute(select(Country.iso3, Country.iso2)).all()
        ranks = {
            rank: pid
            for rank, pid in db.session.execute(
                select(Priority.rank, Priority.id).where(Priority.operation_id == operation.id)
            )
        }
        return cls(
            operation=operation,
            species_by_name=by_name,
            species_names=names,
            iso3=frozenset(c.iso3 for c in countries),
            iso2_to_iso3={c.iso2: c.iso3 for c in countries if c.iso2},
            priority_by_rank=ranks,
            rank_by_priority={v: k for k, v in ranks.items()},
            commodity_units=commodity_units(),
            choice_values={f.name: frozenset(f.choices()) for f in FIELDS if f.choices is not None},
        )


def _species_key(name: str) -> str:
    return " ".join(name.lower().split())


# -- raw value -> typed value -------------------------------------------------------------------
class _Bad(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a reference typed as a number in a spreadsheet
    return str(value).strip()


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d")


def parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if "T" in text:
        text = text.split("T", 1)[0]
    elif " " in text:
        text = text.split(" ", 1)[0]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _Bad(_("%(value)s is not a date: write it as YYYY-MM-DD.", value=_text(value)))


def parse_decimal(value: Any, comma_decimal: bool = False) -> Decimal | None:
    """Numbers as spreadsheets write them: 12.5, or 12,5 (and 1.234,5) from European files."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _Bad(_("%(value)s is not a number.", value=value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = _text(value).replace("\u00a0", "").replace(" ", "").replace("\u202f", "")
    if "," in text and "." in text:
        # whichever comes last is the decimal separator; the other groups thousands
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        if comma_decimal or not re.fullmatch(r"-?\d{1,3}(,\d{3})+", text):
            text = text.replace(",", ".")
        else:
            text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Bad(_("%(value)s is not a number.", value=_text(value))) from None
    if not number.is_finite():
        raise _Bad(_("%(value)s is not a number.", value=_text(value)))
    return number


def parse_int(value: Any) -> int:
    if value is None or value == "":
        return 0
    number = parse_decimal(value)
    if number is None or number != number.to_integral_value():
        raise _Bad(_("%(value)s is not a whole number.", value=_text(value)))
    if number < 0:
        raise _Bad(_("A count cannot be negative (%(value)s).", value=_text(value)))
    if number > COUNT_MAX:
        raise _Bad(_("%(value)s is more than %(max)d.", value=_text(value), max=COUNT_MAX))
    return int(number)


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = _text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _Bad(_("%(value)s is not yes or no.", value=_text(value)))


SPLIT_CODES = re.compile(r"[\s,;|/]+")


def parse_countries(value: Any, catalog: Catalog) -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list | tuple) else SPLIT_CODES.split(_text(value))
    codes: list[str] = []
    unknown: list[str] = []
    for item in items:
        code = _text(item).upper()
        if not code:
            continue
        iso3 = code if code in catalog.iso3 else catalog.iso2_to_iso3.get(code)
        if iso3 is None:
            unknown.append(code)
        elif iso3 not in codes:
            codes.append(iso3)
    if unknown:
        raise _Bad(
            _(
                "Unknown country code %(codes)s: use ISO 3166 codes such as KEN or KE.",
                codes=", ".join(unknown),
            )
        )
    return codes


def _choice(name: str, value: Any, catalog: Catalog) -> str:
    text = _text(value)
    if not text:
        return ""
    allowed = catalog.choice_values[name]
    if text in allowed:
        return text
    # people type labels ("Air cargo") or change the case; accept what is unambiguous
    lowered = text.lower().replace(" ", "_").replace("-", "_")
    if lowered in allowed:
        return lowered
    definition = BY_NAME[name]
    assert definition.choices is not None
    for code, label in definition.choices().items():
        if label.lower() == text.lower():
            return code
    raise _Bad(
        _(
            "%(value)s is not an allowed value: use one of %(allowed)s.",
            value=text,
            allowed=", ".join(sorted(allowed)),
        )
    )


def _priority(value: Any, catalog: Catalog) -> int | None:
    text = _text(value)
    if not text:
        return None
    # the template's drop-down shows "3 - Pangolin scales"; the number is what counts
    head = re.match(r"^\s*(\d+)", text)
    if head is None or int(head.group(1)) not in catalog.priority_by_rank:
        ranks = ", ".join(str(r) for r in sorted(catalog.priority_by_rank)) or "-"
        raise _Bad(
            _(
                "%(value)s is not a priority of this operation: use its rank (%(ranks)s).",
                value=text,
                ranks=ranks,
            )
        )
    return catalog.priority_by_rank[int(head.group(1))]


# -- the one validation ---------------------------------------------------------------------------
def parse(
    raw: Mapping[str, Any], catalog: Catalog, *, comma_decimal: bool = False
) -> tuple[SeizureInput, list[FieldError]]:
    """Read and check one seizure. ``raw`` maps field names to form/cell strings or JSON values;
    quantities come either as ``quantity_N``/``unit_N`` or as a JSON list ``quantities``."""
    data = SeizureInput()
    errors: list[FieldError] = []

    def read(name: str, reader: Callable[[Any], Any]) -> Any:
        try:
            return reader(raw.get(name))
        except _Bad as bad:
            errors.append(FieldError(name, bad.message))
            return None

    for name in ("national_reference", "place", "port", "species_other", "description"):
        setattr(data, name, _text(raw.get(name)))
    data.seized_on = read("seized_on", parse_date)
    for name in ("agency", "detection_method", "commodity", "conveyance"):
        setattr(data, name, read(name, lambda v, n=name: _choice(n, v, catalog)) or "")
    for name in ("origin", "transit", "destination"):
        setattr(data, name, read(name, lambda v: parse_countries(v, catalog)) or [])
    for name in ("online_linked", "sensitive", "publishable"):
        setattr(data, name, bool(read(name, parse_bool)))
    for name in ("suspects", "arrests"):
        setattr(data, name, read(name, parse_int) or 0)
    data.priority_id = read("priority", lambda v: _priority(v, catalog))

    species = _text(raw.get("species"))
    if species:
        data.species_id = catalog.species_by_name.get(_species_key(species))
        if data.species_id is None:
            errors.append(
                FieldError(
                    "species",
                    _(
                        "Unknown species %(name)s: use a scientific name from the reference "
                        "list, or leave it empty and write the name in Species (other).",
                        name=species,
                    ),
                )
            )
    data.quantities = _quantities(raw, catalog, errors, comma_decimal, data.commodity)
    flagged = {e.field for e in errors}
    if any(f.startswith(("quantity", "unit", "quantities")) for f in flagged):
        flagged.add("quantity_1")
    errors.extend(
        e
        for e in check(data, catalog, species_given=bool(species))
        if not (e.field in flagged and e.field in REQUIRED_MESSAGES_FOR)
    )
    return data, errors


def _quantities(
    raw: Mapping[str, Any],
    catalog: Catalog,
    errors: list[FieldError],
    comma_decimal: bool,
    commodity: str,
) -> list[Quantity]:
    pairs: list[tuple[str, str, Any, Any]] = []
    if isinstance(raw.get("quantities"), list):
        if len(raw["quantities"]) > MAX_QUANTITIES:
            errors.append(
                FieldError(
                    "quantities",
                    _("Give at most %(n)d quantities, one per unit.", n=MAX_QUANTITIES),
                )
            )
        for i, item in enumerate(raw["quantities"][:MAX_QUANTITIES], start=1):
            item = item if isinstance(item, Mapping) else {}
            pairs.append((f"quantities[{i}].amount", f"quantities[{i}].unit", *_pair(item)))
    else:
        for n in range(1, MAX_QUANTITIES + 1):
            pairs.append(
                (f"quantity_{n}", f"unit_{n}", raw.get(f"quantity_{n}"), raw.get(f"unit_{n}"))
            )
    found: list[Quantity] = []
    for amount_field, unit_field, raw_amount, raw_unit in pairs:
        try:
            amount = parse_decimal(raw_amount, comma_decimal)
        except _Bad as bad:
            errors.append(FieldError(amount_field, bad.message))
            continue
        unit = _text(raw_unit)
        if amount is None and not unit:
            continue
        if amount is None:
            errors.append(FieldError(amount_field, _("Give the quantity in %(unit)s.", unit=unit)))
            continue
        if amount <= 0:
            errors.append(
                FieldError(
                    amount_field,
                    _("A quantity must be more than zero (%(value)s).", value=_text(raw_amount)),
                )
            )
            continue
        if amount > AMOUNT_MAX or amount != amount.quantize(Decimal("0.001")):
            errors.append(
                FieldError(
                    amount_field,
                    _("%(value)s: use at most 15 digits and 3 decimals.", value=_text(raw_amount)),
                )
            )
            continue
        if not unit:
            errors.append(FieldError(unit_field, _("Say in which unit %(n)s is.", n=amount)))
            continue
        try:
            unit = _choice("unit_1", unit, catalog)
        except _Bad as bad:
            errors.append(FieldError(unit_field, bad.message))
            continue
        if any(q.unit == unit for q in found):
            errors.append(
                FieldError(
                    unit_field,
                    _(
                        "%(unit)s is given twice: one quantity per unit (quantities in "
                        "different units are kept apart, never added).",
                        unit=unit,
                    ),
                )
            )
            continue
        allowed = catalog.commodity_units.get(commodity)
        if allowed is not None and unit not in allowed:
            errors.append(
                FieldError(
                    unit_field,
                    _(
                        "%(unit)s is not a unit for %(commodity)s: use %(allowed)s.",
                        unit=unit,
                        commodity=commodity,
                        allowed=", ".join(allowed),
                    ),
                )
            )
            continue
        found.append(Quantity(amount, unit))
    return found


def _pair(item: Mapping[str, Any]) -> tuple[Any, Any]:
    return item.get("amount"), item.get("unit")


MISSING_MESSAGES = {
    "seized_on": _l("Give the date of the seizure (YYYY-MM-DD)."),
    "place": _l("Say where the seizure was made."),
    "agency": _l("Choose the reporting agency."),
    "detection_method": _l("Choose how the seizure was detected."),
    "commodity": _l("Choose the commodity category."),
    "conveyance": _l("Choose the conveyance (air cargo, sea container, postal...)."),
}

# a field with a reading error is not also reported as missing
REQUIRED_MESSAGES_FOR = frozenset(
    {"seized_on", "agency", "detection_method", "commodity", "conveyance", "quantity_1"}
)


def check(data: SeizureInput, catalog: Catalog, *, species_given: bool = False) -> list[FieldError]:
    """The rules across fields; every message names what to change."""
    errors: list[FieldError] = []
    op = catalog.operation
    if not data.national_reference:
        errors.append(
            FieldError("national_reference", _("Give the national reference of the case."))
        )
    elif len(data.national_reference) > REFERENCE_MAX:
        errors.append(
            FieldError(
                "national_reference",
                _("Keep the national reference under %(n)d characters.", n=REFERENCE_MAX),
            )
        )
    if data.seized_on is not None and not op.window_start <= data.seized_on <= op.window_end:
        errors.append(
            FieldError(
                "seized_on",
                _(
                    "%(date)s is outside the operation window (%(start)s to %(end)s): report "
                    "seizures made during the operation.",
                    date=data.seized_on.isoformat(),
                    start=op.window_start.isoformat(),
                    end=op.window_end.isoformat(),
                ),
            )
        )
    for name, message in MISSING_MESSAGES.items():
        if not getattr(data, name):
            # translated only when needed: checking 164,000 good rows builds no message
            errors.append(FieldError(name, str(message)))
    for name, limit in TEXT_MAX.items():
        if len(getattr(data, name)) > limit:
            errors.append(FieldError(name, _("Keep this under %(n)d characters.", n=limit)))
    if data.species_id is None and not data.species_other and not species_given:
        errors.append(
            FieldError(
                "species",
                _("Choose the species from the list, or write it in Species (other)."),
            )
        )
    if not data.quantities:
        errors.append(FieldError("quantity_1", _("Give at least one quantity with its unit.")))
    if data.arrests > data.suspects:
        errors.append(
            FieldError(
                "arrests",
                _(
                    "%(arrests)d arrests but %(suspects)d suspects: arrests cannot be more "
                    "than suspects.",
                    arrests=data.arrests,
                    suspects=data.suspects,
                ),
            )
        )
    if data.sensitive and data.publishable:
        errors.append(
            FieldError(
                "publishable",
                _(
                    "A sensitive case (under investigation) cannot be publishable: untick one "
                    "of them."
                ),
            )
        )
    return errors


# -- typed value -> row (exports, API, the edit form) --------------------------------------------
def to_row(s: Any, catalog_names: Mapping[int, str], rank_by_priority: Mapping[int, int]) -> dict:
    """A seizure as the template's columns: an export can be uploaded again unchanged."""
    row: dict[str, Any] = {
        "national_reference": s.national_reference,
        "seized_on": s.seized_on.isoformat(),
        "place": s.place,
        "port": s.port,
        "agency": s.agency,
        "detection_method": str(s.detection_method),
        "species": catalog_names.get(s.species_id, "") if s.species_id else "",
        "species_other": s.species_other,
        "commodity": s.commodity,
        "description": s.description,
    }
    quantities = list(s.quantities)
    for n in range(1, MAX_QUANTITIES + 1):
        q = quantities[n - 1] if n <= len(quantities) else None
        row[f"quantity_{n}"] = format_amount(q.amount) if q else ""
        row[f"unit_{n}"] = q.unit if q else ""
    row.update(
        conveyance=s.conveyance,
        origin=" ".join(s.origin_codes),
        transit=" ".join(s.transit_codes),
        destination=" ".join(s.destination_codes),
        online_linked="yes" if s.online_linked else "no",
        priority=str(rank_by_priority.get(s.priority_id, "")) if s.priority_id else "",
        suspects=s.suspects,
        arrests=s.arrests,
        sensitive="yes" if s.sensitive else "no",
        publishable="yes" if s.publishable else "no",
    )
    return row


def format_amount(amount: Decimal) -> str:
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def agencies() -> list[str]:
    return [a.value for a in Agency]
