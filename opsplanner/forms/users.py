from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from opsplanner.extensions import db
from opsplanner.models import Country, Network, Role


def role_choices() -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in Role]


def country_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(select(Country).order_by(Country.name))
    return [("", _l("(none)"))] + [(c.iso3, f"{c.name} ({c.iso3})") for c in rows]


def network_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(select(Network).order_by(Network.acronym))
    return [("", _l("(none)"))] + [(str(n.id), f"{n.acronym}: {n.name}") for n in rows]


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    country = SelectField(
        _l("Country"), description=_l("Required for national focal points, empty otherwise.")
    )
    network = SelectField(
        _l("Network"), description=_l("Required for network coordinators, empty otherwise.")
    )
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()
        self.country.choices = country_choices()
        self.network.choices = network_choices()

    def validate(self, extra_validators: object = None) -> bool:
        ok = super().validate(extra_validators)
        role = self.role.data
        if role == Role.FOCAL_POINT and not self.country.data:
            self.country.errors.append(_l("A national focal point needs a country."))
            ok = False
        if role == Role.COORDINATOR and not self.network.data:
            self.network.errors.append(_l("A network coordinator needs a network."))
            ok = False
        if role != Role.FOCAL_POINT and self.country.data:
            self.country.errors.append(_l("Only national focal points are scoped to a country."))
            ok = False
        if role != Role.COORDINATOR and self.network.data:
            self.network.errors.append(_l("Only network coordinators are scoped to a network."))
            ok = False
        return ok

    @property
    def network_id(self) -> int | None:
        return int(self.network.data) if self.network.data else None

    @property
    def country_iso3(self) -> str | None:
        return self.country.data or None


class InviteUserForm(UserForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Create account and invitation link"))
