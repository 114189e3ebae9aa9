from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from opsplanner.api import api_bp, api_error
from opsplanner.api import serializers as ser
from opsplanner.api.common import api_scope
from opsplanner.extensions import db
from opsplanner.models import Country, Network


@api_bp.get("/countries")
def countries() -> Any:
    query = select(Country).order_by(Country.iso3)
    if region := request.args.get("region"):
        query = query.where((Country.region_code == region) | (Country.region == region))
    if subregion := request.args.get("subregion"):
        query = query.where(
            (Country.subregion_code == subregion) | (Country.subregion == subregion)
        )
    rows = db.session.scalars(query).all()
    return jsonify({"count": len(rows), "items": [ser.country(c) for c in rows]})


@api_bp.get("/countries/<iso3>")
def country(iso3: str) -> Any:
    c = db.session.get(Country, iso3.upper())
    if c is None:
        return api_error(404, "not found")
    return jsonify(ser.country(c))


@api_bp.get("/networks")
def networks() -> Any:
    today = api_scope().today
    rows = db.session.scalars(
        select(Network).options(selectinload(Network.memberships)).order_by(Network.acronym)
    ).all()
    return jsonify({"count": len(rows), "items": [ser.network(n, today) for n in rows]})


@api_bp.get("/networks/<acronym>")
def network(acronym: str) -> Any:
    n = db.session.scalar(select(Network).where(Network.acronym == acronym))
    if n is None:
        return api_error(404, "not found")
    return jsonify(ser.network(n, api_scope().today, with_members=True))
