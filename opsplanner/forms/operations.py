from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    DateTimeLocalField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from opsplanner.extensions import db
from opsplanner.models import Country, Network, OrganisingAgency, ParticipationStatus
from opsplanner.services.operations import OperationInput, check_schedule

DATETIME_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class OperationForm(FlaskForm):
    code_name = StringField(
        _l("Code name"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(r"^[\w .'-]+$", message=_l("Use letters, digits, spaces, . ' and - only.")),
        ],
    )
    organising_agency = SelectField(
        _l("Organising agency"), choices=[(a.value, a.value) for a in OrganisingAgency]
    )
    window_start = DateField(_l("Window start"), validators=[DataRequired()])
    window_end = DateField(_l("Window end"), validators=[DataRequired()])
    world_wildlife_day = DateField(_l("World Wildlife Day"), validators=[DataRequired()])
    reporting_deadline = DateTimeLocalField(
        _l("Reporting deadline (UTC)"), format=DATETIME_FORMATS, validators=[DataRequired()]
    )
    embargo_until = DateTimeLocalField(
        _l("Embargo until (UTC)"), format=DATETIME_FORMATS, validators=[DataRequired()]
    )
    secure_channel = StringField(
        _l("Secure channel"),
        validators=[Optional(), Length(max=200)],
        description=_l("e.g. the CENcomm closed user group or the I-24/7 reference"),
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    submit = SubmitField(_l("Save operation"))

    def to_input(self) -> OperationInput:
        return OperationInput(
            code_name=self.code_name.data or "",
            organising_agency=OrganisingAgency(self.organising_agency.data),
            window_start=self.window_start.data,
            window_end=self.window_end.data,
            world_wildlife_day=self.world_wildlife_day.data,
            reporting_deadline=_utc(self.reporting_deadline.data),
            embargo_until=_utc(self.embargo_until.data),
            secure_channel=self.secure_channel.data or "",
            description=self.description.data or "",
        )

    def validate(self, extra_validators: object = None) -> bool:
        if not super().validate(extra_validators):
            return False
        ok = True
        for field, message in check_schedule(self.to_input()):
            getattr(self, field).errors.append(message)
            ok = False
        return ok


class InviteCountryForm(FlaskForm):
    country = SelectField(_l("Country"), validators=[DataRequired()])
    network = SelectField(_l("Coordinating network"), validators=[Optional()])
    submit = SubmitField(_l("Invite"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        countries = db.session.scalars(select(Country).order_by(Country.name))
        networks = db.session.scalars(select(Network).order_by(Network.acronym))
        self.country.choices = [(c.iso3, f"{c.name} ({c.iso3})") for c in countries]
        self.network.choices = [("", _l("(none)"))] + [(str(n.id), n.acronym) for n in networks]


class RespondForm(FlaskForm):
    status = SelectField(
        _l("Answer"),
        choices=[
            (ParticipationStatus.CONFIRMED.value, _l("Confirm participation")),
            (ParticipationStatus.DECLINED.value, _l("Decline")),
            (ParticipationStatus.WITHDRAWN.value, _l("Withdraw")),
        ],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send answer"))


class ApiInviteForm(FlaskForm):
    """The API names the network by acronym rather than by id."""

    country = StringField(validators=[DataRequired(), Length(min=3, max=3)])
    network = StringField(validators=[Optional(), Length(max=40)])

    def validate_country(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if db.session.get(Country, (field.data or "").upper()) is None:
            raise ValidationError(_l("unknown ISO 3166-1 alpha-3 country code"))

    def validate_network(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if field.data and self.network_obj is None:
            raise ValidationError(_l("unknown network acronym"))

    @property
    def network_obj(self) -> Network | None:
        if not self.network.data:
            return None
        return db.session.scalar(select(Network).where(Network.acronym == self.network.data))
