"""Forms of an operation's set-up: editing, priorities, network enrolment, phase moves."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from opsplanner.extensions import db
from opsplanner.forms.operations import OperationForm
from opsplanner.models import Country, Network, OperationPhase, PriorityKind
from opsplanner.reference.vocabularies import commodities, conveyances
from opsplanner.services.areas import m49_areas
from opsplanner.services.priorities import PriorityInput


def timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [("UTC", "UTC")] + [(z, z.replace("_", " ")) for z in zones]


class OperationEditForm(OperationForm):
    timezone = SelectField(
        _l("Organiser's time zone"),
        description=_l("Times are stored in UTC and also shown in this zone."),
    )
    guidelines = TextAreaField(
        _l("Guidelines for national focal points"),
        validators=[Optional(), Length(max=50000)],
        description=_l("Markdown: headings, lists, links, tables. No images or HTML."),
        render_kw={"rows": 14},
    )
    reacknowledge = BooleanField(
        _l("Ask for acknowledgement again"),
        description=_l(
            "Tick this when the guidelines change in substance: every country that has "
            "acknowledged them is asked to read and acknowledge them again. Leave it for a "
            "typo or a clarification."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def area_choices() -> list[tuple[str, str]]:
    countries = db.session.scalars(select(Country).order_by(Country.name))
    regions = [(code, f"{name} (UN M49)") for code, name in m49_areas().items()]
    return regions + [(c.iso3, f"{c.name} ({c.iso3})") for c in countries]


class PriorityForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[
            (PriorityKind.COMMODITY.value, _l("Species group / commodity")),
            (PriorityKind.TRADE_ROUTE.value, _l("Trade route")),
            (PriorityKind.MODUS_OPERANDI.value, _l("Modus operandi")),
            (PriorityKind.CAPACITY_BUILDING.value, _l("Capacity building")),
        ],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    commodity = SelectField(_l("Commodity category"), validators=[Optional()])
    origin_codes = SelectMultipleField(_l("Origin countries or regions"), validators=[Optional()])
    transit_codes = SelectMultipleField(_l("Transit countries or regions"), validators=[Optional()])
    destination_codes = SelectMultipleField(
        _l("Destination countries or regions"), validators=[Optional()]
    )
    conveyances = MultiCheckboxField(_l("Conveyance"), validators=[Optional()])
    submit = SubmitField(_l("Save priority"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.commodity.choices = [("", _l("(none)"))] + list(commodities().items())
        areas = area_choices()
        for f in (self.origin_codes, self.transit_codes, self.destination_codes):
            f.choices = areas
        self.conveyances.choices = list(conveyances().items())

    def to_input(self) -> PriorityInput:
        return PriorityInput(
            kind=PriorityKind(self.kind.data),
            title=self.title.data or "",
            description=self.description.data or "",
            commodity=self.commodity.data or None,
            origin_codes=list(self.origin_codes.data or []),
            transit_codes=list(self.transit_codes.data or []),
            destination_codes=list(self.destination_codes.data or []),
            conveyances=list(self.conveyances.data or []),
        )

    def validate(self, extra_validators: object = None) -> bool:
        from opsplanner.services.priorities import check_priority

        if not super().validate(extra_validators):
            return False
        errors = check_priority(self.to_input())
        for field, message in errors:
            getattr(self, field).errors.append(message)
        return not errors


class InviteNetworkForm(FlaskForm):
    network = SelectField(_l("Network"), validators=[DataRequired()])
    submit = SubmitField(_l("Invite all member states"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        rows = db.session.scalars(
            select(Network).where(Network.members_found.is_(True)).order_by(Network.acronym)
        )
        self.network.choices = [(str(n.id), f"{n.acronym}: {n.name}") for n in rows]


class PhaseForm(FlaskForm):
    target = SelectField(
        _l("Move to"),
        choices=[(p.value, p.value) for p in OperationPhase],
        validators=[DataRequired()],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Move"))
