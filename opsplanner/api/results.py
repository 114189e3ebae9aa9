"""API for results reporting: the countries' reports and their review (submit, validate, approve,
return, reopen; one by one or over a filtered set), seizure records, national results, highlight
cases and the species reference. Same scoping and services as the web pages; a seizure is
checked only by ``seizure_fields.parse``, as from the form and the spreadsheet upload.

Choices made here (and documented in ``docs``):
- a role that may never do something gets 403 (as for activities); a refusal that depends on the
  state (a locked report, a move the status does not allow) is 422 with the reason;
- every change of a report, a seizure or the national results carries the ``version`` the caller
  loaded: a stale one is 409, nothing is overwritten;
- deleting a seizure takes the version as ``?version=`` (DELETE bodies are dropped by too many
  clients and proxies).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from flask import abort, jsonify, request, url_for
from sqlalchemy import func, select

from opsplanner.api import STRUCTURED_ENDPOINTS, api_bp, api_error
from opsplanner.api.common import api_scope
from opsplanner.extensions import db
from opsplanner.models import (
    Agency,
    AuditEvent,
    CountryReport,
    DetectionMethod,
    HighlightCase,
    Network,
    Operation,
    Participation,
    ParticipationStatus,
    Priority,
    RecordSource,
    ReportStatus,
    Seizure,
    Species,
    User,
)
from opsplanner.reference.vocabularies import commodities
from opsplanner.services import reports, seizures
from opsplanner.services.errors import DomainError
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import (
    FIELD_NAMES,
    MAX_QUANTITIES,
    REFERENCE_MAX,
    TEXT_MAX,
    Catalog,
    FieldError,
    format_amount,
    parse,
    to_row,
)

COUNTRY = "/operations/<int:operation_id>/countries/<iso3>"
SEIZURES = COUNTRY + "/seizures"
NO_ENTER = "only the country's focal point or an organiser can change its results"
PER_PAGE, PER_PAGE_MAX = 50, 500
DIGITS = re.compile(r"[0-9]{1,9}")

STRUCTURED_ENDPOINTS.update(
    {
        "api.bulk_report_action",
        "api.create_seizure",
        "api.update_seizure",
        "api.replace_seizure",
        "api.update_national_results",
    }
)


# -- small helpers ------------------------------------------------------------------------------
def _fail(
    status: int, message: str, field: str | None = None, fields: dict[str, list[str]] | None = None
) -> NoReturn:
    db.session.rollback()
    response, code = api_error(status, message, field=field, fields=fields)
    response.status_code = code
    abort(response)


def _field_errors(errors: Iterable[FieldError]) -> NoReturn:
    fields: dict[str, list[str]] = {}
    for e in errors:
        fields.setdefault(e.field, [])
        if e.message not in fields[e.field]:
            fields[e.field].append(e.message)
    first = next(iter(fields))
    _fail(422, f"{first}: {fields[first][0]}", field=first, fields=fields)


def _body() -> dict[str, Any]:
    """The JSON object sent (an empty body is an empty object)."""
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        _fail(422, "the body must be a JSON object")
    return body


def _int(value: Any, name: str) -> int | None:
    """An integer from JSON (or its text, as ids in URLs); None when absent."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    _fail(422, f"{name}: expected an integer", field=name)


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        _fail(422, f"{name}: expected a string", field=name)
    return value


def _bool(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        _fail(422, f"{name}: expected true or false", field=name)
    return value


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    word = raw.strip().lower()
    if word in ("true", "1", "yes"):
        return True
    if word in ("false", "0", "no"):
        return False
    _fail(422, f"{name}: use true or false", field=name)


def _int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if (
        not DIGITS.fullmatch(raw.strip())
        or int(raw) < low
        or (high is not None and int(raw) > high)
    ):
        bounds = f"from {low} to {high}" if high is not None else f"from {low}"
        _fail(422, f"{name}: expected a whole number {bounds}", field=name)
    return int(raw)


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def _user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _may_enter_or_403(s: Scope, p: Participation) -> None:
    if not reports.may_enter(s, p):
        _fail(403, NO_ENTER)


# -- reports --------------------------------------------------------------------------------------
def _on_time(p: Participation, r: CountryReport | None) -> bool | None:
    return reports.submitted_on_time(r, p.operation.reporting_deadline)


def _status(r: CountryReport | None) -> ReportStatus:
    return r.status if r is not None else ReportStatus.DRAFT


def _version(r: CountryReport | None) -> int:
    # a report not created yet starts at version 1 when it is
    return r.version if r is not None else 1


def report_summary_json(p: Participation, r: CountryReport | None, count: int) -> dict[str, Any]:
    return {
        "operation_id": p.operation_id,
        "country": p.country_iso3,
        "country_name": p.country.name,
        "network": p.network.acronym if p.network else None,
        "status": str(_status(r)),
        "version": _version(r),
        "first_submitted_at": _iso(r.first_submitted_at) if r else None,
        "submitted_at": _iso(r.submitted_at) if r else None,
        "on_time": _on_time(p, r),
        "seizure_count": count,
    }


def national_json(p: Participation, r: CountryReport | None) -> dict[str, Any]:
    amount = r.assets_seized_amount if r is not None else None
    return {
        "country": p.country_iso3,
        "status": str(_status(r)),
        "version": _version(r),
        "lock_reason": reports.lock_reason(p, r),
        "counts": {name: (getattr(r, name) or 0) if r else 0 for name in reports.COUNT_FIELDS},
        "suspects_by_nationality": dict(sorted((r.suspects_by_nationality or {}).items()))
        if r
        else {},
        "assets": {
            "amount": str(amount) if amount is not None else None,
            "currency": (r.assets_seized_currency or "") if r else "",
        },
        "consent_to_be_named": bool(r.consent_to_be_named) if r else False,
        "notes": (r.notes or "") if r else "",
    }


def report_json(s: Scope, p: Participation) -> dict[str, Any]:
    r = reports.existing_report(p)
    count = db.session.scalar(
        select(func.count(Seizure.id)).where(Seizure.participation_id == p.id)
    )
    # a report not created yet is a draft; a transient stand-in answers the rules' questions
    current = r if r is not None else CountryReport(status=ReportStatus.DRAFT)
    transitions = list(r.transitions) if r is not None else []
    names = _user_names(t.by_id for t in transitions)
    national = national_json(p, r)
    return {
        **report_summary_json(p, r, count or 0),
        "lock_reason": national.pop("lock_reason"),
        "available_actions": reports.available_actions(s, p, current),
        "return_comment": r.return_comment if r else "",
        "validated_at": _iso(r.validated_at) if r else None,
        "approved_at": _iso(r.approved_at) if r else None,
        "national_results": {
            k: v for k, v in national.items() if k not in ("country", "status", "version")
        },
        "transitions": [
            {
                "action": t.action,
                "from_status": str(t.from_status),
                "to_status": str(t.to_status),
                "comment": t.comment,
                "at": t.at.isoformat(),
                "by": names.get(t.by_id) if t.by_id else None,
            }
            for t in transitions
        ],
    }


def _network_filter(raw: Any, name: str) -> Network | str | None:
    """A network by acronym, ``"none"`` for countries without one, or ``""`` for no filter."""
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str):
        _fail(422, f"{name}: expected a network acronym", field=name)
    if raw.strip().lower() == "none":
        return None
    network = db.session.scalar(
        select(Network).where(func.upper(Network.acronym) == raw.strip().upper())
    )
    if network is None:
        _fail(422, f"{name}: unknown network {raw!r} (or 'none')", field=name)
    return network


def _status_filter(raw: Any, name: str) -> ReportStatus | None:
    if raw is None or raw == "":
        return None
    try:
        return ReportStatus(str(raw).strip().lower()) if isinstance(raw, str) else ReportStatus(raw)
    except ValueError:
        allowed = ", ".join(s.value for s in ReportStatus)
        _fail(422, f"{name}: unknown status {raw!r}: use one of {allowed}", field=name)


def _reports_in_scope(
    s: Scope,
    op: Operation,
    *,
    status: ReportStatus | None = None,
    network: Network | str | None = "",
    countries: list[str] | None = None,
) -> list[tuple[Participation, CountryReport | None]]:
    """The confirmed participations in the caller's scope (the expected reporters) with their
    report, if one was started, filtered."""
    query = s.participations(op).where(Participation.status == ParticipationStatus.CONFIRMED)
    if network is None:
        query = query.where(Participation.network_id.is_(None))
    elif isinstance(network, Network):
        query = query.where(Participation.network_id == network.id)
    if countries is not None:
        query = query.where(Participation.country_iso3.in_(countries))
    found = list(db.session.scalars(query))
    by_participation = {
        r.participation_id: r
        for r in db.session.scalars(
            select(CountryReport).where(CountryReport.participation_id.in_([p.id for p in found]))
        )
    }
    rows = [(p, by_participation.get(p.id)) for p in found]
    if status is not None:
        rows = [(p, r) for p, r in rows if _status(r) is status]
    return rows


@api_bp.get("/operations/<int:operation_id>/reports")
def reports_list(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    s.participations(op)  # communications: 404 before the filters are read
    rows = _reports_in_scope(
        s,
        op,
        status=_status_filter(request.args.get("status"), "status"),
        network=_network_filter(request.args.get("network"), "network"),
    )
    counts = dict(
        db.session.execute(
            select(Seizure.participation_id, func.count(Seizure.id))
            .where(Seizure.participation_id.in_([p.id for p, _ in rows]))
            .group_by(Seizure.participation_id)
        ).all()
    )
    items = [report_summary_json(p, r, counts.get(p.id, 0)) for p, r in rows]
    return jsonify({"count": len(items), "items": items})


@api_bp.get(COUNTRY + "/report")
def report(operation_id: int, iso3: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    return jsonify(report_json(s, p))


@api_bp.post(COUNTRY + "/report/<action>")
def report_action(operation_id: int, iso3: str, action: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    if action not in reports.ACTIONS:
        return api_error(404, f"unknown action {action!r}: use {', '.join(reports.ACTIONS)}")
    body = _body()
    version = _int(body.get("version"), "version")
    comment = _text(body, "comment")
    if not reports.may_act(s, p, action):
        current = reports.existing_report(p) or CountryReport(status=ReportStatus.DRAFT)
        return api_error(403, reports.refusal(s, p, current, action) or "not allowed")
    if version is None:
        return api_error(
            422, "version: send the version of the report you are acting on", field="version"
        )
    reports.transition(s, p, action, comment=comment, version=version)
    db.session.commit()
    return jsonify(report_json(s, p))


@api_bp.post("/operations/<int:operation_id>/reports/bulk")
def bulk_report_action(operation_id: int) -> Any:
    s = api_scope()
    op = s.operation_or_404(operation_id)
    s.participations(op)  # communications: 404 before anything is read
    body = _body()
    action = body.get("action")
    if action not in reports.ACTIONS:
        _fail(422, f"action: use one of {', '.join(reports.ACTIONS)}", field="action")
    comment = _text(body, "comment")
    criteria = body.get("filter")
    if criteria is None:
        criteria = {}
    if not isinstance(criteria, dict):
        _fail(422, "filter: expected an object with status, network, countries", field="filter")
    unknown = sorted(set(criteria) - {"status", "network", "countries"})
    if unknown:
        field = f"filter.{unknown[0]}"
        _fail(422, f"{field}: unknown filter: use status, network, countries", field=field)
    countries = criteria.get("countries")
    if countries is not None:
        if not isinstance(countries, list):
            _fail(422, "filter.countries: expected a list of ISO3 codes", field="filter.countries")
        for i, code in enumerate(countries, start=1):
            if not isinstance(code, str) or len(code.strip()) != 3:
                field = f"filter.countries[{i}]"
                _fail(422, f"{field}: expected an ISO3 code such as THA", field=field)
        countries = list(dict.fromkeys(c.strip().upper() for c in countries))
    rows = _reports_in_scope(
        s,
        op,
        status=_status_filter(criteria.get("status"), "filter.status"),
        network=_network_filter(criteria.get("network"), "filter.network"),
        countries=countries,
    )
    outcome = reports.bulk_transition(s, [p for p, _ in rows], action, comment=comment)
    # codes asked for but not among the reports this caller sees: one answer for "unknown",
    # "not confirmed" and "outside your scope", so that it tells nothing
    for code in countries or ():
        if code not in outcome.done and code not in outcome.skipped:
            outcome.skipped[code] = "no report of this country that you can act on"
    db.session.commit()
    return jsonify({"action": action, "done": outcome.done, "skipped": outcome.skipped})


# -- seizures -------------------------------------------------------------------------------------
COUNTRY_FIELDS = ("origin", "transit", "destination")
QUANTITY_FIELDS = tuple(
    name for n in range(1, MAX_QUANTITIES + 1) for name in (f"quantity_{n}", f"unit_{n}")
)
# The Seizure representation's read-only keys: a GET body may be sent back as it came.
READ_ONLY = frozenset(
    {
        "id",
        "operation_id",
        "country",
        "species_unverified",
        "source",
        "import_batch_id",
        "created_at",
        "updated_at",
    }
)
INPUT_KEYS = frozenset(FIELD_NAMES) | {"quantities"}


def _ranks(op: Operation) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Priority.id, Priority.rank).where(Priority.operation_id == op.id)
        ).all()
    )


def species_ref_json(sp: Species | None) -> dict[str, Any] | None:
    if sp is None:
        return None
    return {
        "id": sp.id,
        "scientific_name": sp.scientific_name,
        "common_name": sp.common_name,
        "cites_appendix": sp.cites_appendix,
        "taxon_group": sp.taxon_group,
    }


def species_json(sp: Species) -> dict[str, Any]:
    return {
        **(species_ref_json(sp) or {}),
        "rank": sp.rank,
        "appendix_note": sp.appendix_note,
        "commodities": list(sp.commodities or ()),
        "synonyms": list(sp.synonyms or ()),
    }


def seizure_json(s: Seizure, p: Participation, ranks: Mapping[int, int]) -> dict[str, Any]:
    return {
        "id": s.id,
        "operation_id": p.operation_id,
        "country": p.country_iso3,
        "national_reference": s.national_reference,
        "seized_on": s.seized_on.isoformat(),
        "place": s.place,
        "port": s.port,
        "agency": s.agency,
        "detection_method": str(s.detection_method),
        "species": species_ref_json(s.species),
        "species_other": s.species_other,
        "species_unverified": s.species_unverified,
        "commodity": s.commodity,
        "description": s.description,
        "quantities": [{"amount": format_amount(q.amount), "unit": q.unit} for q in s.quantities],
        "conveyance": s.conveyance,
        "origin": list(s.origin_codes or ()),
        "transit": list(s.transit_codes or ()),
        "destination": list(s.destination_codes or ()),
        "online_linked": s.online_linked,
        "priority": ranks.get(s.priority_id) if s.priority_id else None,
        "suspects": s.suspects,
        "arrests": s.arrests,
        "sensitive": s.sensitive,
        "publishable": s.publishable,
        "source": str(s.source),
        "import_batch_id": s.import_batch_id,
        "version": s.version,
        "created_at": s.created_at.isoformat(),
        "updated_at": s.updated_at.isoformat(),
    }


def _shape(body: Mapping[str, Any], *, allow_version: bool) -> tuple[dict[str, Any], list]:
    """The body as ``parse`` takes it, and the errors of JSON types ``parse`` cannot read
    (an object where a value belongs, a quantity that is not an object...). A value with such an
    error is left out, so that ``parse`` does not report it a second time."""
    raw: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, value in body.items():
        if (key == "version" and allow_version) or key in READ_ONLY:
            continue
        if key not in INPUT_KEYS:
            errors.append(FieldError(key, f"unknown field: use {', '.join(FIELD_NAMES)}"))
        elif key == "quantities":
            value = _shape_quantities(value, errors)
            if value is not None:
                raw[key] = value
        elif key in COUNTRY_FIELDS and isinstance(value, list):
            bad = [i for i, v in enumerate(value, start=1) if not isinstance(v, str)]
            if bad:
                errors.append(FieldError(f"{key}[{bad[0]}]", "expected a country code such as KEN"))
            else:
                raw[key] = value
        elif key == "species" and isinstance(value, dict):
            # the representation's species object, sent back: its scientific name counts
            name = value.get("scientific_name")
            if isinstance(name, str) or name is None:
                raw[key] = name
            else:
                errors.append(FieldError(key, "expected a scientific name"))
        elif isinstance(value, dict | list):
            errors.append(FieldError(key, "expected a single value"))
        else:
            raw[key] = value
    if "quantities" in body and any(k in body for k in QUANTITY_FIELDS):
        errors.append(
            FieldError("quantities", "send either quantities or quantity_N/unit_N, not both")
        )
    return raw, errors


def _shape_quantities(value: Any, errors: list[FieldError]) -> list[dict[str, Any]] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(FieldError("quantities", 'expected a list of {"amount": .., "unit": ..}'))
        return None
    items: list[dict[str, Any]] = []
    for i, item in enumerate(value, start=1):
        where = f"quantities[{i}]"
        if not isinstance(item, dict):
            errors.append(FieldError(where, 'expected an object {"amount": .., "unit": ..}'))
            items.append({})
            continue
        clean: dict[str, Any] = {}
        for key, v in item.items():
            if key == "amount":
                if isinstance(v, bool) or not isinstance(v, int | float | str | None):
                    errors.append(FieldError(f"{where}.amount", "expected a number"))
                    continue
            elif key == "unit":
                if not isinstance(v, str | None):
                    errors.append(FieldError(f"{where}.unit", "expected a unit code such as kg"))
                    continue
            else:
                errors.append(FieldError(f"{where}.{key}", "unknown key: use amount and unit"))
                continue
            clean[key] = v
        items.append(clean)
    return items


def _checked(raw: dict[str, Any], shape_errors: list[FieldError], catalog: Catalog) -> tuple:
    """``parse``, after the type errors (a field with one is not reported twice). Unless the
    caller used the quantity_N/unit_N columns, the quantity rule of ``parse`` ("quantity_1") is
    reported on ``quantities``, the key the API documents."""
    data, errors = parse(raw, catalog)
    listed = not any(k in raw for k in QUANTITY_FIELDS)
    shaped = {e.field for e in shape_errors}
    renamed = [
        FieldError("quantities", e.message) if listed and e.field == "quantity_1" else e
        for e in errors
    ]
    return data, shape_errors + [e for e in renamed if e.field not in shaped]


def _as_list_form(row: dict[str, Any]) -> dict[str, Any]:
    """A ``to_row`` dict with its quantity_N/unit_N columns as the API's ``quantities`` list."""
    quantities = [
        {"amount": row[f"quantity_{n}"], "unit": row[f"unit_{n}"]}
        for n in range(1, MAX_QUANTITIES + 1)
        if row.get(f"quantity_{n}") not in (None, "")
    ]
    rest = {k: v for k, v in row.items() if k not in QUANTITY_FIELDS}
    return {**rest, "quantities": quantities}


def _save(call: Any) -> Any:
    try:
        return call()
    except seizures.InvalidSeizure as exc:
        _field_errors(exc.errors)


def _seizure_response(s: Seizure, p: Participation, status: int = 200) -> Any:
    response = jsonify(seizure_json(s, p, _ranks(p.operation)))
    response.status_code = status
    return response


@api_bp.get(SEIZURES)
def seizures_list(operation_id: int, iso3: str) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    filters = []
    if commodity := request.args.get("commodity"):
        if commodity not in commodities():
            allowed = ", ".join(commodities())
            _fail(422, f"commodity: unknown code {commodity!r}: use {allowed}", field="commodity")
        filters.append(Seizure.commodity == commodity)
    sensitive = _bool_arg("sensitive")
    if sensitive is not None:
        filters.append(Seizure.sensitive.is_(sensitive))
    page = _int_arg("page", 1, 1)
    per_page = _int_arg("per_page", PER_PAGE, 1, PER_PAGE_MAX)
    total = db.session.scalar(
        select(func.count(Seizure.id)).where(Seizure.participation_id == p.id, *filters)
    )
    rows = db.session.scalars(
        seizures.of_participation(p).where(*filters).limit(per_page).offset((page - 1) * per_page)
    ).all()
    ranks = _ranks(p.operation)
    return jsonify(
        {
            "count": total,
            "page": page,
            "per_page": per_page,
            "pages": max(1, -(-(total or 0) // per_page)),
            "items": [seizure_json(s, p, ranks) for s in rows],
        }
    )


@api_bp.post(SEIZURES)
def create_seizure(operation_id: int, iso3: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    _may_enter_or_403(s, p)
    raw, shape_errors = _shape(_body(), allow_version=False)
    data, errors = _checked(raw, shape_errors, seizures.catalog_for(p))
    record = _save(lambda: seizures.create(s, p, data, errors, source=RecordSource.API))
    db.session.commit()
    response = _seizure_response(record, p, 201)
    response.headers["Location"] = url_for(
        "api.seizure", operation_id=operation_id, iso3=p.country_iso3, seizure_id=record.id
    )
    return response


@api_bp.get(SEIZURES + "/<int:seizure_id>")
def seizure(operation_id: int, iso3: str, seizure_id: int) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    return _seizure_response(seizures.seizure_or_404(p, seizure_id), p)


def _change(operation_id: int, iso3: str, seizure_id: int, *, merge: bool) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    record = seizures.seizure_or_404(p, seizure_id)
    _may_enter_or_403(s, p)
    body = _body()
    version = _int(body.get("version"), "version")
    raw, shape_errors = _shape(body, allow_version=True)
    catalog = seizures.catalog_for(p)
    if merge:
        current = to_row(record, catalog.species_names, catalog.rank_by_priority)
        if not any(k in body for k in QUANTITY_FIELDS):
            current = _as_list_form(current)
        raw = {**current, **raw}
    data, errors = _checked(raw, shape_errors, catalog)
    _save(lambda: seizures.update(s, record, data, errors, version))
    db.session.commit()
    return _seizure_response(record, p)


@api_bp.patch(SEIZURES + "/<int:seizure_id>")
def update_seizure(operation_id: int, iso3: str, seizure_id: int) -> Any:
    return _change(operation_id, iso3, seizure_id, merge=True)


@api_bp.put(SEIZURES + "/<int:seizure_id>")
def replace_seizure(operation_id: int, iso3: str, seizure_id: int) -> Any:
    return _change(operation_id, iso3, seizure_id, merge=False)


@api_bp.delete(SEIZURES + "/<int:seizure_id>")
def delete_seizure(operation_id: int, iso3: str, seizure_id: int) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    record = seizures.seizure_or_404(p, seizure_id)
    _may_enter_or_403(s, p)
    raw = request.args.get("version")
    version = _int(raw, "version")
    if version is None:
        return api_error(
            422, "version: send ?version= (the version of the seizure you loaded)", field="version"
        )
    seizures.delete(s, record, version)
    db.session.commit()
    return "", 204


@api_bp.get(SEIZURES + "/<int:seizure_id>/history")
def seizure_history(operation_id: int, iso3: str, seizure_id: int) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    events: list[AuditEvent] = seizures.history(seizures.seizure_or_404(p, seizure_id))
    names = _user_names(e.actor_id for e in events)
    items = [
        {
            "at": e.at.isoformat(),
            "action": e.action,
            "actor": names.get(e.actor_id) if e.actor_id else None,
            "actor_role": e.actor_role,
            "via": e.via,
            "before": e.before,
            "after": e.after,
        }
        for e in events
    ]
    return jsonify({"count": len(items), "items": items})


# -- national results -----------------------------------------------------------------------------
NATIONAL_FIELDS = {
    **{name: f"counts.{name}" for name in reports.COUNT_FIELDS},
    "assets_seized_amount": "assets.amount",
    "assets_seized_currency": "assets.currency",
}
NATIONAL_KEYS = frozenset(
    {"counts", "suspects_by_nationality", "assets", "consent_to_be_named", "notes", "version"}
)
NATIONAL_READ_ONLY = frozenset({"country", "status", "lock_reason"})


def _national_input(body: Mapping[str, Any]) -> tuple[reports.NationalResultsInput, list]:
    """The body as the service's input, and the type errors (by the API's field names)."""
    data = reports.NationalResultsInput()
    errors: list[FieldError] = []

    def count(value: Any, where: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        errors.append(FieldError(where, "expected a whole number"))
        return None

    for key in sorted(set(body) - NATIONAL_KEYS - NATIONAL_READ_ONLY):
        errors.append(FieldError(key, f"unknown field: use {', '.join(sorted(NATIONAL_KEYS))}"))
    counts = body.get("counts")
    if isinstance(counts, dict):
        for name, value in counts.items():
            if name not in reports.COUNT_FIELDS:
                allowed = ", ".join(reports.COUNT_FIELDS)
                errors.append(FieldError(f"counts.{name}", f"unknown count: use {allowed}"))
            elif value is not None and (n := count(value, f"counts.{name}")) is not None:
                data.counts[name] = n
    elif counts is not None:
        errors.append(FieldError("counts", 'expected an object such as {"arrests": 3}'))
    suspects = body.get("suspects_by_nationality")
    if isinstance(suspects, dict):
        for code, value in suspects.items():
            where = f"suspects_by_nationality.{code}"
            if (n := count(value, where)) is not None:
                data.suspects_by_nationality[str(code).strip().upper()] = n
    elif suspects is not None:
        errors.append(
            FieldError("suspects_by_nationality", 'expected an object such as {"VNM": 3}')
        )
    assets = body.get("assets")
    if isinstance(assets, dict):
        for key in sorted(set(assets) - {"amount", "currency"}):
            errors.append(FieldError(f"assets.{key}", "unknown key: use amount and currency"))
        amount = assets.get("amount")
        if amount is not None and amount != "":
            try:
                if isinstance(amount, bool) or not isinstance(amount, int | float | str):
                    raise InvalidOperation
                number = Decimal(str(amount).strip())
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(FieldError("assets.amount", 'expected a number such as "1500.00"'))
            else:
                if number != number.quantize(Decimal("0.01")):
                    errors.append(FieldError("assets.amount", "use at most 2 decimals"))
                else:
                    data.assets_seized_amount = number
        currency = assets.get("currency")
        if isinstance(currency, str):
            data.assets_seized_currency = currency
        elif currency is not None:
            errors.append(FieldError("assets.currency", "expected an ISO 4217 code such as USD"))
    elif assets is not None:
        errors.append(FieldError("assets", 'expected an object {"amount": .., "currency": ..}'))
    consent = body.get("consent_to_be_named")
    if isinstance(consent, bool):
        data.consent_to_be_named = consent
    elif consent is not None:
        errors.append(FieldError("consent_to_be_named", "expected true or false"))
    notes = body.get("notes")
    if isinstance(notes, str):
        data.notes = notes
    elif notes is not None:
        errors.append(FieldError("notes", "expected a string"))
    return data, errors


@api_bp.get(COUNTRY + "/national-results")
def national_results(operation_id: int, iso3: str) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    return jsonify(national_json(p, reports.existing_report(p)))


@api_bp.put(COUNTRY + "/national-results")
def update_national_results(operation_id: int, iso3: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    _may_enter_or_403(s, p)
    body = _body()
    version = _int(body.get("version"), "version")
    data, errors = _national_input(body)
    report = reports.ensure_editable(s, p)
    if version is not None and version == report.version:
        # every error at once; a stale or missing version is the service's to refuse first
        checked = [
            FieldError(NATIONAL_FIELDS.get(f, f), m) for f, m in reports.check_national(data)
        ]
        shaped = {e.field for e in errors}
        if problems := errors + [e for e in checked if e.field not in shaped]:
            _field_errors(problems)
    try:
        reports.update_national(s, p, data, version)
    except DomainError as exc:
        _fail(exc.status, exc.message, field=NATIONAL_FIELDS.get(exc.field or "", exc.field))
    db.session.commit()
    return jsonify(national_json(p, reports.existing_report(p)))


# -- highlight cases ------------------------------------------------------------------------------
def highlight_json(h: HighlightCase) -> dict[str, Any]:
    return {
        "id": h.id,
        "seizure_id": h.seizure_id,
        "national_reference": h.seizure.national_reference,
        "seizure_sensitive": h.seizure.sensitive,
        "narrative": h.narrative,
        "consent": h.consent,
        "created_at": h.created_at.isoformat(),
    }


@api_bp.get(COUNTRY + "/highlights")
def highlights(operation_id: int, iso3: str) -> Any:
    p = api_scope().participation_or_404(operation_id, iso3)
    rows = reports.highlights(p)
    return jsonify({"count": len(rows), "items": [highlight_json(h) for h in rows]})


@api_bp.post(COUNTRY + "/highlights")
def nominate_highlight(operation_id: int, iso3: str) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    _may_enter_or_403(s, p)
    body = _body()
    seizure_id = _int(body.get("seizure_id"), "seizure_id")
    narrative = _text(body, "narrative")
    consent = _bool(body, "consent")
    record = db.session.get(Seizure, seizure_id) if seizure_id is not None else None
    if record is None or record.participation_id != p.id:
        return api_error(
            422, "seizure_id: give the id of one of this country's seizures", field="seizure_id"
        )
    try:
        case = reports.nominate(s, p, record, narrative, consent)
    except DomainError as exc:
        field = "seizure_id" if exc.field == "seizure" else exc.field
        _fail(exc.status, exc.message, field=field)
    db.session.commit()
    response = jsonify(highlight_json(case))
    response.status_code = 201
    return response


@api_bp.delete(COUNTRY + "/highlights/<int:highlight_id>")
def withdraw_highlight(operation_id: int, iso3: str, highlight_id: int) -> Any:
    s = api_scope()
    p = s.participation_or_404(operation_id, iso3)
    case = db.session.get(HighlightCase, highlight_id)
    if case is None or case.participation_id != p.id:
        return api_error(404, "not found")
    _may_enter_or_403(s, p)
    reports.withdraw_highlight(s, p, case)
    db.session.commit()
    return "", 204


# -- the species reference ----------------------------------------------------------------------
@api_bp.get("/species")
def species_list() -> Any:
    query = select(Species).order_by(Species.taxon_group, Species.scientific_name)
    if group := request.args.get("group", "").strip().lower():
        groups = set(db.session.scalars(select(Species.taxon_group).distinct()))
        if group not in groups:
            _fail(422, f"group: unknown group: use {', '.join(sorted(groups))}", field="group")
        query = query.where(Species.taxon_group == group)
    rows = list(db.session.scalars(query))
    if q := " ".join(request.args.get("q", "").lower().split()):
        # a few hundred taxa: matching synonyms (a JSON list) is simpler here than in SQL
        rows = [
            sp
            for sp in rows
            if any(
                q in " ".join(name.lower().split())
                for name in (sp.scientific_name, sp.common_name, *(sp.synonyms or ()))
            )
        ]
    return jsonify({"count": len(rows), "items": [species_json(sp) for sp in rows]})


@api_bp.get("/species/<int:species_id>")
def species(species_id: int) -> Any:
    sp = db.session.get(Species, species_id)
    if sp is None:
        return api_error(404, "not found")
    return jsonify(species_json(sp))


# -- OpenAPI ------------------------------------------------------------------------------------
def docs() -> dict[str, Any]:
    from opsplanner.api.openapi import ISO3, OP_ID, _body, _errors, _list_of, _ok, _ref

    def path_id(name: str) -> dict[str, Any]:
        return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}

    def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
        param = {"name": name, "in": "query", "schema": schema}
        return {**param, "description": description} if description else param

    status_q = query("status", {"enum": [s.value for s in ReportStatus]})
    network_q = query(
        "network", {"type": "string"}, "a network acronym, or `none` for countries without one"
    )
    seizure_id, highlight_id = path_id("seizure_id"), path_id("highlight_id")
    country = "/operations/{operation_id}/countries/{iso3}"
    item = f"{country}/seizures/{{seizure_id}}"
    lock = " Refused with 422 and the reason while the report is locked (submitted, validated, "
    lock += "approved) or the operation is not in a reporting phase."
    return {
        "/operations/{operation_id}/reports": {
            "get": {
                "summary": "The reports of the confirmed participations the caller can see: "
                "status, version, first submission, on time, seizure count",
                "parameters": [OP_ID, status_q, network_q],
                "responses": {**_ok(_list_of("ReportSummary")), **_errors(401, 404, 422)},
            }
        },
        "/operations/{operation_id}/reports/bulk": {
            "post": {
                "summary": "Apply one action to every report of the filtered set in the caller's "
                "scope; the reports that cannot move are listed with the reason. A country "
                "asked for that the caller cannot act on is skipped, with the same reason "
                "whether it is unknown, unconfirmed or out of scope",
                "parameters": [OP_ID],
                "requestBody": _body("BulkReportActionInput"),
                "responses": {
                    **_ok(_ref("BulkReportOutcome")),
                    **_errors(401, 404, 409, 415, 422),
                },
            }
        },
        f"{country}/report": {
            "get": {
                "summary": "A country's report: status, version, why it is locked, the actions "
                "the caller may take, national results and the review history",
                "parameters": [OP_ID, ISO3],
                "responses": {**_ok(_ref("Report")), **_errors(401, 404)},
            }
        },
        f"{country}/report/{{action}}": {
            "post": {
                "summary": "Move the report: submit (focal point, organiser), validate (the "
                "coordinator of the country's network, organiser), approve (organiser), return "
                "(coordinator, organiser; a comment is required), reopen (organiser). 403 when "
                "the caller's role may never take the action; 409 when `version` is stale; 422 "
                "when the report's status or the operation's phase does not allow it",
                "parameters": [
                    OP_ID,
                    ISO3,
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": list(reports.ACTIONS)},
                    },
                ],
                "requestBody": _body("ReportActionInput"),
                "responses": {
                    **_ok(_ref("Report")),
                    **_errors(401, 403, 404, 409, 415, 422),
                },
            }
        },
        f"{country}/seizures": {
            "get": {
                "summary": "A country's seizures, oldest first, a page at a time (`count` is the "
                "total). Sensitive records are included for the roles that see the country, "
                "flagged `sensitive`",
                "parameters": [
                    OP_ID,
                    ISO3,
                    query("commodity", {"type": "string"}, "a commodity code"),
                    query("sensitive", {"type": "boolean"}),
                    query("page", {"type": "integer", "minimum": 1, "default": 1}),
                    query(
                        "per_page",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": PER_PAGE_MAX,
                            "default": PER_PAGE,
                        },
                    ),
                ],
                "responses": {**_ok(_ref("SeizurePage")), **_errors(401, 404, 422)},
            },
            "post": {
                "summary": "Report a seizure (the country's focal point or an organiser). "
                "Checked as the form and the upload are; 422 lists every field error in "
                "`error.fields` (quantities as `quantities[N].amount`/`.unit`); a national "
                "reference already reported is 409." + lock,
                "parameters": [OP_ID, ISO3],
                "requestBody": _body("SeizureInput"),
                "responses": {
                    **_ok(_ref("Seizure"), "Created", "201"),
                    **_errors(401, 403, 404, 409, 415, 422),
                },
            },
        },
        item: {
            "get": {
                "summary": "One seizure, with the version to send when changing it",
                "parameters": [OP_ID, ISO3, seizure_id],
                "responses": {**_ok(_ref("Seizure")), **_errors(401, 404)},
            },
            "patch": {
                "summary": "Change a seizure: the keys sent replace the record's values, the "
                "others are kept. `version` is required: a stale one is 409, never "
                "overwritten." + lock,
                "parameters": [OP_ID, ISO3, seizure_id],
                "requestBody": _body("SeizurePatch"),
                "responses": {
                    **_ok(_ref("Seizure")),
                    **_errors(401, 403, 404, 409, 415, 422),
                },
            },
            "put": {
                "summary": "Replace a seizure: keys not sent are empty. `version` is required "
                "(409 when stale). A Seizure as returned by GET may be sent back: its "
                "read-only keys are ignored." + lock,
                "parameters": [OP_ID, ISO3, seizure_id],
                "requestBody": _body("SeizurePatch"),
                "responses": {
                    **_ok(_ref("Seizure")),
                    **_errors(401, 403, 404, 409, 415, 422),
                },
            },
            "delete": {
                "summary": "Delete a seizure; `?version=` is required (409 when stale)." + lock,
                "parameters": [
                    OP_ID,
                    ISO3,
                    seizure_id,
                    {
                        "name": "version",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "204": {"description": "Deleted"},
                    **_errors(401, 403, 404, 409, 422),
                },
            },
        },
        f"{item}/history": {
            "get": {
                "summary": "The audit trail of a seizure, oldest first",
                "parameters": [OP_ID, ISO3, seizure_id],
                "responses": {**_ok(_list_of("AuditEntry")), **_errors(401, 404)},
            }
        },
        f"{country}/national-results": {
            "get": {
                "summary": "A country's national results: counts, suspects by nationality, "
                "assets seized, consent to be named",
                "parameters": [OP_ID, ISO3],
                "responses": {**_ok(_ref("NationalResults")), **_errors(401, 404)},
            },
            "put": {
                "summary": "Replace the national results (values not sent are zero or empty). "
                "`version` (the report's) is required: 409 when stale. 422 names every field "
                "at fault (`counts.arrests`, `assets.currency`...)." + lock,
                "parameters": [OP_ID, ISO3],
                "requestBody": _body("NationalResultsInput"),
                "responses": {
                    **_ok(_ref("NationalResults")),
                    **_errors(401, 403, 404, 409, 415, 422),
                },
            },
        },
        f"{country}/highlights": {
            "get": {
                "summary": "The seizures a country nominates for the press",
                "parameters": [OP_ID, ISO3],
                "responses": {**_ok(_list_of("HighlightCase")), **_errors(401, 404)},
            },
            "post": {
                "summary": "Nominate a seizure with a narrative (never a sensitive one: 422); "
                "a seizure already nominated is 409." + lock,
                "parameters": [OP_ID, ISO3],
                "requestBody": _body("HighlightInput"),
                "responses": {
                    **_ok(_ref("HighlightCase"), "Created", "201"),
                    **_errors(401, 403, 404, 409, 415, 422),
                },
            },
        },
        f"{country}/highlights/{{highlight_id}}": {
            "delete": {
                "summary": "Withdraw a highlight case." + lock,
                "parameters": [OP_ID, ISO3, highlight_id],
                "responses": {"204": {"description": "Withdrawn"}, **_errors(401, 403, 404, 422)},
            }
        },
        "/species": {
            "get": {
                "summary": "The species reference (commonly seized taxa with their CITES "
                "appendix); `q` searches scientific and common names and synonyms",
                "parameters": [
                    query("q", {"type": "string"}),
                    query("group", {"type": "string"}, "taxon group, e.g. mammals, timber"),
                ],
                "responses": {**_ok(_list_of("Species")), **_errors(401, 422)},
            }
        },
        "/species/{species_id}": {
            "get": {
                "summary": "One taxon of the species reference",
                "parameters": [path_id("species_id")],
                "responses": {**_ok(_ref("Species")), **_errors(401, 404)},
            }
        },
    }


def _schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STATUS = {"enum": [s.value for s in ReportStatus]}
DATE_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
CODES = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "string", "description": "codes separated by spaces or commas"},
    ],
    "description": "ISO 3166 codes (alpha-3 or alpha-2)",
}
_SEIZURE_FIELDS: dict[str, Any] = {
    "national_reference": {
        "type": "string",
        "maxLength": REFERENCE_MAX,
        "description": "the country's case number, unique in its report",
    },
    "seized_on": {"type": "string", "format": "date", "description": "inside the window"},
    "place": {"type": "string", "maxLength": TEXT_MAX["place"]},
    "port": {"type": "string", "maxLength": TEXT_MAX["port"]},
    "agency": {"enum": [a.value for a in Agency]},
    "detection_method": {"enum": [d.value for d in DetectionMethod]},
    "species_other": {
        "type": "string",
        "maxLength": TEXT_MAX["species_other"],
        "description": "free text when the taxon is not in /species (the record is flagged)",
    },
    "commodity": {"type": "string", "description": "a commodity code, e.g. ivory"},
    "description": {"type": "string", "maxLength": TEXT_MAX["description"]},
    "conveyance": {"type": "string", "description": "a conveyance code, e.g. air_cargo"},
    "online_linked": {"type": "boolean"},
    "suspects": {"type": "integer", "minimum": 0, "description": "a count: never a name"},
    "arrests": {"type": "integer", "minimum": 0, "description": "no more than suspects"},
    "sensitive": {
        "type": "boolean",
        "description": "under investigation: kept out of every publication",
    },
    "publishable": {"type": "boolean", "description": "not together with sensitive"},
}
_SEIZURE_INPUT: dict[str, Any] = {
    **_SEIZURE_FIELDS,
    "species": {
        "type": ["string", "null"],
        "description": "scientific name (or synonym) from /species",
    },
    "quantities": {
        "type": "array",
        "maxItems": MAX_QUANTITIES,
        "items": {
            "type": "object",
            "properties": {
                "amount": {"type": ["number", "string"], "exclusiveMinimum": 0},
                "unit": {"type": "string", "description": "e.g. kg, pieces, live"},
            },
            "required": ["amount", "unit"],
        },
        "description": "one quantity per unit, never added across units; or send "
        "quantity_1/unit_1 ... quantity_3/unit_3 instead",
    },
    "origin": CODES,
    "transit": CODES,
    "destination": CODES,
    "priority": {
        "type": ["integer", "string", "null"],
        "description": "the rank of one of the operation's priorities",
    },
}
_NATIONAL_FIELDS: dict[str, Any] = {
    "counts": {
        "type": "object",
        "properties": {name: {"type": "integer", "minimum": 0} for name in reports.COUNT_FIELDS},
        "additionalProperties": False,
    },
    "suspects_by_nationality": {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 1},
        "description": 'suspects counted by nationality (ISO3), e.g. {"VNM": 3}; never names',
    },
    "assets": {
        "type": "object",
        "properties": {
            "amount": {"type": ["string", "null"], "description": 'a decimal, e.g. "1500.00"'},
            "currency": {"type": "string", "description": "ISO 4217, e.g. USD"},
        },
    },
    "consent_to_be_named": {
        "type": "boolean",
        "description": "whether the country may be named in public releases",
    },
    "notes": {"type": "string", "maxLength": reports.COMMENT_MAX},
}
_REPORT_SUMMARY: dict[str, Any] = {
    "operation_id": {"type": "integer"},
    "country": {"type": "string"},
    "country_name": {"type": "string"},
    "network": {"type": ["string", "null"]},
    "status": STATUS,
    "version": {"type": "integer", "description": "send it back with an action or a change"},
    "first_submitted_at": DATE_TIME_OR_NULL,
    "submitted_at": DATE_TIME_OR_NULL,
    "on_time": {
        "type": ["boolean", "null"],
        "description": "first submitted by the deadline; null until submitted",
    },
    "seizure_count": {"type": "integer"},
}

SCHEMAS: dict[str, Any] = {
    "ReportSummary": {
        "type": "object",
        "properties": _REPORT_SUMMARY,
        "required": ["country", "status", "version", "seizure_count"],
    },
    "Report": {
        "type": "object",
        "properties": {
            **_REPORT_SUMMARY,
            "lock_reason": {
                "type": ["string", "null"],
                "description": "why the results cannot change now; null when they can",
            },
            "available_actions": {"type": "array", "items": {"enum": list(reports.ACTIONS)}},
            "return_comment": {"type": "string"},
            "validated_at": DATE_TIME_OR_NULL,
            "approved_at": DATE_TIME_OR_NULL,
            "national_results": {"type": "object", "properties": _NATIONAL_FIELDS},
            "transitions": {"type": "array", "items": _schema_ref("ReportTransition")},
        },
        "required": ["country", "status", "version", "available_actions", "transitions"],
    },
    "ReportTransition": {
        "type": "object",
        "properties": {
            "action": {"enum": list(reports.ACTIONS)},
            "from_status": STATUS,
            "to_status": STATUS,
            "comment": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "by": {"type": ["string", "null"]},
        },
        "required": ["action", "from_status", "to_status", "at"],
    },
    "ReportActionInput": {
        "type": "object",
        "properties": {
            "version": {"type": "integer", "description": "the report's version you loaded"},
            "comment": {
                "type": "string",
                "maxLength": reports.COMMENT_MAX,
                "description": "required to return a report",
            },
        },
        "required": ["version"],
    },
    "BulkReportActionInput": {
        "type": "object",
        "properties": {
            "action": {"enum": list(reports.ACTIONS)},
            "comment": {"type": "string", "description": "required to return"},
            "filter": {
                "type": "object",
                "properties": {
                    "status": STATUS,
                    "network": {"type": "string", "description": "acronym, or `none`"},
                    "countries": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": False,
            },
        },
        "required": ["action"],
    },
    "BulkReportOutcome": {
        "type": "object",
        "properties": {
            "action": {"enum": list(reports.ACTIONS)},
            "done": {"type": "array", "items": {"type": "string"}, "description": "ISO3 codes"},
            "skipped": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "ISO3 -> the reason",
            },
        },
        "required": ["done", "skipped"],
    },
    "SpeciesRef": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "scientific_name": {"type": "string"},
            "common_name": {"type": "string"},
            "cites_appendix": {"type": "string", "description": "I, II, III, I/II or empty"},
            "taxon_group": {"type": "string"},
        },
        "required": ["id", "scientific_name"],
    },
    "Species": {
        "allOf": [
            _schema_ref("SpeciesRef"),
            {
                "type": "object",
                "properties": {
                    "rank": {"type": "string"},
                    "appendix_note": {"type": "string"},
                    "commodities": {"type": "array", "items": {"type": "string"}},
                    "synonyms": {"type": "array", "items": {"type": "string"}},
                },
            },
        ]
    },
    "SeizureQuantity": {
        "type": "object",
        "properties": {
            "amount": {"type": "string", "description": 'a decimal, e.g. "12.5"'},
            "unit": {"type": "string"},
        },
        "required": ["amount", "unit"],
    },
    "Seizure": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "operation_id": {"type": "integer"},
            "country": {"type": "string"},
            **_SEIZURE_FIELDS,
            "species": {"oneOf": [_schema_ref("SpeciesRef"), {"type": "null"}]},
            "species_unverified": {
                "type": "boolean",
                "description": "no species from the reference: flagged for review",
            },
            "quantities": {"type": "array", "items": _schema_ref("SeizureQuantity")},
            "origin": {"type": "array", "items": {"type": "string"}},
            "transit": {"type": "array", "items": {"type": "string"}},
            "destination": {"type": "array", "items": {"type": "string"}},
            "priority": {"type": ["integer", "null"], "description": "the priority's rank"},
            "source": {"enum": [s.value for s in RecordSource]},
            "import_batch_id": {"type": ["integer", "null"]},
            "version": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "national_reference", "seized_on", "quantities", "version"],
    },
    "SeizurePage": {
        "type": "object",
        "properties": {
            "count": {"type": "integer", "description": "all the records matching"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
            "items": {"type": "array", "items": _schema_ref("Seizure")},
        },
        "required": ["count", "page", "per_page", "items"],
    },
    "SeizureInput": {
        "type": "object",
        "properties": _SEIZURE_INPUT,
        "required": [
            "national_reference",
            "seized_on",
            "place",
            "agency",
            "detection_method",
            "commodity",
            "quantities",
            "conveyance",
        ],
        "description": "the columns of the reporting template; null counts as absent; "
        "booleans as JSON booleans (yes/no text is read too)",
    },
    "SeizurePatch": {
        "type": "object",
        "properties": {
            **_SEIZURE_INPUT,
            "version": {"type": "integer", "description": "the version you loaded"},
        },
        "required": ["version"],
    },
    "AuditEntry": {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "action": {"type": "string", "description": "seizure.create, seizure.update..."},
            "actor": {"type": ["string", "null"]},
            "actor_role": {"type": ["string", "null"]},
            "via": {"enum": ["web", "api", "system"]},
            "before": {"type": ["object", "null"], "description": "the changed values before"},
            "after": {"type": ["object", "null"], "description": "the changed values after"},
        },
        "required": ["at", "action"],
    },
    "NationalResults": {
        "type": "object",
        "properties": {
            "country": {"type": "string"},
            "status": STATUS,
            "version": {"type": "integer", "description": "the report's version"},
            "lock_reason": {"type": ["string", "null"]},
            **_NATIONAL_FIELDS,
        },
        "required": ["country", "version", "counts", "suspects_by_nationality", "assets"],
    },
    "NationalResultsInput": {
        "type": "object",
        "properties": {
            **_NATIONAL_FIELDS,
            "version": {"type": "integer", "description": "the report's version you loaded"},
        },
        "required": ["version"],
    },
    "HighlightCase": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "seizure_id": {"type": "integer"},
            "national_reference": {"type": "string"},
            "seizure_sensitive": {"type": "boolean"},
            "narrative": {"type": "string"},
            "consent": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "seizure_id", "narrative", "consent"],
    },
    "HighlightInput": {
        "type": "object",
        "properties": {
            "seizure_id": {"type": "integer"},
            "narrative": {"type": "string", "maxLength": reports.NARRATIVE_MAX},
            "consent": {"type": "boolean", "description": "the country agrees to publication"},
        },
        "required": ["seizure_id", "narrative"],
    },
}
