from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import Country, Network, NetworkMembership
from opsplanner.views.common import scope

bp = Blueprint("reference", __name__)


@bp.route("/networks/")
@login_required
def networks() -> Any:
    rows = db.session.scalars(
        select(Network).options(selectinload(Network.memberships)).order_by(Network.acronym)
    ).all()
    return render_template("reference/networks.html", networks=rows, today=scope().today)


@bp.route("/networks/<acronym>")
@login_required
def network(acronym: str) -> Any:
    net = db.session.scalar(select(Network).where(Network.acronym == acronym))
    if net is None:
        abort(404)
    memberships = sorted(net.memberships, key=lambda m: (m.country.name, m.valid_from or 0))
    return render_template(
        "reference/network.html", net=net, memberships=memberships, today=scope().today
    )


@bp.route("/countries/")
@login_required
def countries() -> Any:
    q = (request.args.get("q") or "").strip()
    query = select(Country).order_by(Country.name)
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(
                Country.name.ilike(like),
                Country.iso3.ilike(like),
                Country.region.ilike(like),
                Country.subregion.ilike(like),
            )
        )
    return render_template(
        "reference/countries.html", countries=db.session.scalars(query).all(), q=q
    )


@bp.route("/countries/<iso3>")
@login_required
def country(iso3: str) -> Any:
    c = db.session.get(Country, iso3.upper())
    if c is None:
        abort(404)
    memberships = db.session.scalars(
        select(NetworkMembership)
        .where(NetworkMembership.country_iso3 == c.iso3)
        .options(selectinload(NetworkMembership.network))
    ).all()
    return render_template(
        "reference/country.html", c=c, memberships=memberships, today=scope().today
    )
