"""API for the network directory: information sheets (read, comparative table, update), the
focal-point directory (scoped and audited), and the catalogue of tools and services with the
usage each country records. Same services, scoping and forms as the web pages."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from opsplanner.api import api_bp, api_error, form_error, json_formdata
from opsplanner.api.common import api_scope, api_user
from opsplanner.extensions import db
from opsplanner.forms.directory import CompareForm, SheetForm, ToolUsageForm, _tri_text
from opsplanner.models import Country, Network, NetworkSheet, ToolService
from opsplanner.services import catalogue, contacts, sheets
from opsplanner.services.errors import DomainError


def _network(acronym: str) -> Network | None:
    return db.session.scalar(select(Network).where(Network.acronym == acronym))


def _when(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def sheet_summary(st: sheets.SheetStatus) -> dict[str, Any]:
    sheet = st.sheet
    return {
        "network": st.network.acronym,
        "name": st.network.name,
        "version": sheet.version if sheet else 0,
        "updated_at": _when(sheet.updated_at) if sheet else None,
        "updated_by": sheet.updated_by.name if sheet and sheet.updated_by else None,
        "stale": st.stale,
        "missing": st.missing,
    }


def sheet_json(st: sheets.SheetStatus) -> dict[str, Any]:
    body = sheet_summary(st)
    body["fields"] = sheets.content(st.sheet)
    body["history"] = [
        {
            "version": v.version,
            "saved_at": _when(v.saved_at),
            "saved_by": v.saved_by.name if v.saved_by else None,
            "via": v.via,
        }
        for v in (st.sheet.versions if st.sheet else [])
    ]
    return body


@api_bp.get("/sheets")
def sheets_list() -> Any:
    items = [sheet_summary(st) for st in sheets.statuses()]
    return jsonify({"count": len(items), "items": items})


@api_bp.get("/sheets/comparison")
def sheets_comparison() -> Any:
    args = MultiDict(request.args)
    # fields=a,b and fields=a&fields=b alike
    args.setlist("fields", [k for v in args.getlist("fields") for k in v.split(",") if k])
    form = CompareForm(args)
    if not form.validate():
        return form_error(form)
    comparison = sheets.compare(form.chosen_fields(), form.filters())
    keys = [k for k, _label in comparison.columns]
    return jsonify(
        {
            "columns": [{"key": k, "label": str(label)} for k, label in comparison.columns],
            "count": len(comparison.rows),
            "rows": [
                {
                    "network": r.network.acronym,
                    "stale": r.stale,
                    "missing": r.sheet is None,
                    "values": dict(zip(keys, r.cells, strict=True)),
                }
                for r in comparison.rows
            ],
        }
    )


@api_bp.get("/sheets/<acronym>")
def sheet(acronym: str) -> Any:
    net = _network(acronym)
    if net is None:
        return api_error(404, "not found")
    return jsonify(sheet_json(sheets.status_of(net)))


@api_bp.patch("/sheets/<acronym>")
def update_sheet(acronym: str) -> Any:
    net = _network(acronym)
    if net is None:
        return api_error(404, "not found")
    if not api_scope().may_edit_sheet(net):
        return api_error(403, "only the network's coordinator or an organiser updates its sheet")
    current: NetworkSheet | None = sheets.sheet_of(net)
    # A partial update: fields not sent keep their values; the version is always required.
    values = sheets.content(current)
    merged: dict[str, str] = {}
    for key in sheets.FIELD_KEYS:
        value = values[key]
        merged[key] = _tri_text(value) if sheets.FIELDS_BY_KEY[key].kind == "bool" else value or ""
    sent = json_formdata()
    if "version" not in sent:
        return api_error(
            422,
            "version: send the version of the sheet you are changing (0 for a network without one)",
            field="version",
        )
    form = SheetForm(
        formdata=ImmutableMultiDict({**merged, **sent.to_dict()}), meta={"csrf": False}
    )
    if not form.validate():
        return form_error(form)
    try:
        sheets.save(net, form.values(), form.version_number, api_user(), via="api")
    except DomainError as exc:
        db.session.rollback()
        return api_error(exc.status, exc.message, field=exc.field)
    db.session.commit()
    return jsonify(sheet_json(sheets.status_of(net)))


@api_bp.get("/directory/contacts")
def directory_contacts() -> Any:
    s = api_scope()
    if not s.sees_country_detail:
        return api_error(404, "not found")
    network_id = None
    if acronym := request.args.get("network"):
        net = _network(acronym)
        if net is None:
            return api_error(422, f"network: unknown network {acronym!r}", field="network")
        network_id = net.id
    query = contacts.SearchQuery(
        q=(request.args.get("q") or "").strip()[:100],
        network_id=network_id,
        country_iso3=(request.args.get("country") or "").strip().upper()[:3] or None,
    )
    rows = contacts.search(s.contacts(), query)
    contacts.record_export(api_user(), "json", len(rows), query)
    db.session.commit()
    return jsonify({"count": len(rows), "items": [contacts.as_json(c) for c in rows]})


def tool_json(t: ToolService) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "provider": t.provider,
        "offers": t.offers,
        "eligibility": t.eligibility,
        "access": t.access,
        "region_codes": list(t.region_codes or []),
        "networks": [n.acronym for n in t.networks],
        "link": t.link,
    }


@api_bp.get("/tools")
def tools() -> Any:
    items = catalogue.all_tools()
    if acronym := request.args.get("network"):
        net = _network(acronym)
        if net is None:
            return api_error(422, f"network: unknown network {acronym!r}", field="network")
        items = catalogue.serving(net, api_scope().today, items)
    return jsonify({"count": len(items), "items": [tool_json(t) for t in items]})


@api_bp.get("/tools/analysis")
def tools_analysis() -> Any:
    rows = catalogue.analysis_table(catalogue.usage_analysis(api_scope().today))
    return jsonify({"count": len(rows), "items": rows})


@api_bp.route("/tools/usage/<iso3>", methods=["GET", "PUT"])
def tool_usage(iso3: str) -> Any:
    s = api_scope()
    country = db.session.get(Country, iso3.upper())
    if country is None or not s.may_see_country(country.iso3):
        return api_error(404, "not found")
    if request.method == "PUT":
        if not s.may_mark_usage(country.iso3):
            return api_error(403, "the country's focal point (or an organiser) records its usage")
        if "tools" not in (request.get_json(silent=True) or {}):
            return api_error(
                422, "tools: list the ids of the tools the country uses", field="tools"
            )
        form = ToolUsageForm(formdata=json_formdata(multi=("tools",)), meta={"csrf": False})
        if not form.validate():
            return form_error(form)
        try:
            catalogue.set_usage(country, set(form.tools.data or []), api_user())
        except DomainError as exc:
            db.session.rollback()
            return api_error(exc.status, exc.message, field=exc.field)
        db.session.commit()
    marks = catalogue.usage_of(country.iso3)
    return jsonify(
        {
            "country": country.iso3,
            "may_change": s.may_mark_usage(country.iso3),
            "tools": [
                {
                    "tool_id": t.id,
                    "tool": t.name,
                    "uses": marks[t.id].uses if t.id in marks else None,
                    "noted_at": _when(marks[t.id].noted_at) if t.id in marks else None,
                }
                for t in catalogue.all_tools()
            ],
        }
    )


# -- OpenAPI paths of this module (merged into the document by api/openapi.py) --------------
def docs() -> dict[str, Any]:
    from opsplanner.api.openapi import _body, _errors, _list_of, _ok, _ref

    acronym = {"name": "acronym", "in": "path", "required": True, "schema": {"type": "string"}}
    iso3 = {
        "name": "iso3",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
    }

    def query(name: str, description: str, **schema: Any) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "schema": schema or {"type": "string"},
            "description": description,
        }

    network_q = query("network", "network acronym")
    return {
        "/sheets": {
            "get": {
                "summary": "Every network with its information sheet's version, last update "
                "and whether it is older than six months",
                "responses": {**_ok(_list_of("SheetSummary")), **_errors(401)},
            }
        },
        "/sheets/comparison": {
            "get": {
                "summary": "The comparative table of networks on chosen fields",
                "parameters": [
                    query(
                        "fields",
                        "sheet fields (repeat or comma-separate); also members_today, updated",
                    ),
                    query("secretariat", "yes or no", enum=["", "yes", "no"]),
                    query("mandate", "operational or policy", enum=["", "operational", "policy"]),
                    query("form", "geographic, discipline or commodity"),
                    query("maturity", "established, emerging or under_consideration"),
                ],
                "responses": {**_ok(_ref("SheetComparison")), **_errors(401, 422)},
            }
        },
        "/sheets/{acronym}": {
            "get": {
                "summary": "A network's information sheet with its version history",
                "parameters": [acronym],
                "responses": {**_ok(_ref("Sheet")), **_errors(401, 404)},
            },
            "patch": {
                "summary": "Update the sheet (its coordinator or an organiser); fields not sent "
                "keep their values, the version it was read at is required",
                "parameters": [acronym],
                "requestBody": _body("SheetInput"),
                "responses": {**_ok(_ref("Sheet")), **_errors(401, 403, 404, 409, 415, 422)},
            },
        },
        "/directory/contacts": {
            "get": {
                "summary": "Focal-point directory within the caller's scope (personal data; "
                "every call is audited; none for communications)",
                "parameters": [
                    query("q", "text in name, agency, role, e-mail or country"),
                    network_q,
                    query("country", "ISO 3166-1 alpha-3"),
                ],
                "responses": {**_ok(_list_of("Contact")), **_errors(401, 404, 422)},
            }
        },
        "/tools": {
            "get": {
                "summary": "The catalogue of tools and services, or those serving a network",
                "parameters": [network_q],
                "responses": {**_ok(_list_of("ToolService")), **_errors(401, 422)},
            }
        },
        "/tools/analysis": {
            "get": {
                "summary": "Per network, the share of member states using each tool",
                "responses": {**_ok({"type": "object"}), **_errors(401)},
            }
        },
        "/tools/usage/{iso3}": {
            "get": {
                "summary": "Which tools a country uses (countries in the caller's scope)",
                "parameters": [iso3],
                "responses": {**_ok(_ref("ToolUsage")), **_errors(401, 404)},
            },
            "put": {
                "summary": "Set the tools a country uses (its focal point or an organiser); "
                "entries not listed count as not used",
                "parameters": [iso3],
                "requestBody": _body("ToolUsageInput"),
                "responses": {**_ok(_ref("ToolUsage")), **_errors(401, 403, 404, 415, 422)},
            },
        },
    }


_TEXT = {"type": "string"}
_TRI = {"type": ["boolean", "string"], "description": 'true, false, or "" for not stated'}
SHEET_FIELDS_SCHEMA: dict[str, Any] = {
    "formation_date": {**_TEXT, "description": "YYYY, YYYY-MM or YYYY-MM-DD"},
    "legal_basis": _TEXT,
    "form": {"enum": ["", "geographic", "discipline", "commodity"]},
    "maturity": {"enum": ["", "established", "emerging", "under_consideration"]},
    "mandate": {"enum": ["", "operational", "policy", "both"]},
    "member_states": _TEXT,
    "lead_agencies": _TEXT,
    "has_secretariat": _TRI,
    "secretariat_location": _TEXT,
    "secretariat_role": _TEXT,
    "prosecutors_judiciary": _TRI,
    "prosecutors_judiciary_detail": _TEXT,
    "channels_sensitive": _TEXT,
    "channels_non_sensitive": _TEXT,
    "partners_donors": _TEXT,
    "funding_sources": _TEXT,
    "recent_activities": _TEXT,
    "challenges": _TEXT,
}
_SUMMARY_PROPS = {
    "network": _TEXT,
    "name": _TEXT,
    "version": {"type": "integer", "description": "0: no sheet yet"},
    "updated_at": {"type": ["string", "null"], "format": "date-time"},
    "updated_by": {"type": ["string", "null"]},
    "stale": {"type": "boolean", "description": "older than six months (183 days)"},
    "missing": {"type": "boolean"},
}

SCHEMAS: dict[str, Any] = {
    "SheetSummary": {
        "type": "object",
        "properties": _SUMMARY_PROPS,
        "required": ["network", "version", "stale"],
    },
    "Sheet": {
        "type": "object",
        "properties": {
            **_SUMMARY_PROPS,
            "fields": {"type": "object", "properties": SHEET_FIELDS_SCHEMA},
            "history": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["network", "version", "stale", "fields", "history"],
    },
    "SheetInput": {
        "type": "object",
        "properties": {"version": {"type": "integer"}, **SHEET_FIELDS_SCHEMA},
        "required": ["version"],
    },
    "SheetComparison": {
        "type": "object",
        "properties": {
            "columns": {"type": "array", "items": {"type": "object"}},
            "count": {"type": "integer"},
            "rows": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["columns", "rows"],
    },
    "Contact": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": ["focal_point", "agency_contact", "coordinator"]},
            "name": _TEXT,
            "agency": _TEXT,
            "role": _TEXT,
            "network": {"type": ["string", "null"]},
            "country": {"type": ["string", "null"]},
            "country_name": {"type": ["string", "null"]},
            "email": _TEXT,
            "phone": _TEXT,
            "languages": {"type": "array", "items": _TEXT},
            "cencomm": {"type": "boolean"},
            "i247": {"type": "boolean"},
            "confirmed_at": {"type": ["string", "null"], "format": "date-time"},
        },
        "required": ["id", "kind", "name"],
    },
    "ToolService": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": _TEXT,
            "provider": _TEXT,
            "offers": _TEXT,
            "eligibility": _TEXT,
            "access": _TEXT,
            "region_codes": {"type": "array", "items": _TEXT, "description": "UN M49 codes"},
            "networks": {"type": "array", "items": _TEXT},
            "link": _TEXT,
        },
        "required": ["id", "name"],
    },
    "ToolUsage": {
        "type": "object",
        "properties": {
            "country": _TEXT,
            "may_change": {"type": "boolean"},
            "tools": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["country", "tools"],
    },
    "ToolUsageInput": {
        "type": "object",
        "properties": {"tools": {"type": "array", "items": {"type": "integer"}}},
        "required": ["tools"],
    },
}
