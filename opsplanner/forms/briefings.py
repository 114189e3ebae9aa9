"""Forms of the pre-operational briefings: scheduling, attendance, the guidelines
acknowledgement. The scheduling rules live in services.briefings.check_briefing, shared with
the API."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from opsplanner.extensions import db
from opsplanner.forms.setup import timezone_choices
from opsplanner.models import (
    Briefing,
    BriefingKind,
    MeetingMode,
    Network,
    Operation,
    Participation,
)
from opsplanner.services import briefings as service

# Local wall-clock time: an offset would contradict the zone chosen beside it.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

KIND_CHOICES = [
    (BriefingKind.BRIEFING.value, _l("Briefing")),
    (BriefingKind.PRE_OPERATION_MEETING.value, _l("Pre-operation meeting")),
]
MODE_CHOICES = [
    (MeetingMode.VIRTUAL.value, _l("Virtual")),
    (MeetingMode.IN_PERSON.value, _l("In person")),
    (MeetingMode.HYBRID.value, _l("Hybrid")),
]


class BriefingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    mode = SelectField(_l("Mode"), choices=MODE_CHOICES)
    # Any id is accepted here so that the service's rule gives the reason a network is refused.
    network = SelectField(
        _l("Invited"),
        validate_choice=False,
        description=_l(
            "A network briefing invites the countries that network coordinates in this "
            "operation; a global one every invited or confirmed country."
        ),
    )
    start = DateTimeLocalField(
        _l("Start (local time in the zone below)"),
        format=LOCAL_FORMATS,
        # InputRequired keeps the parse error ("Not a valid datetime value.") for a bad value.
        validators=[InputRequired()],
    )
    timezone = SelectField(
        _l("Time zone"),
        validate_choice=False,
        description=_l("Stored in UTC; shown in UTC and in this zone."),
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), validators=[InputRequired()], default=90
    )
    location = TextAreaField(
        _l("Location or joining instructions"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "A venue, or how to join the call. No passwords for the secure channels here."
        ),
    )
    agenda = TextAreaField(
        _l("Agenda"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Markdown: headings, lists, links. No images or HTML."),
    )
    materials = TextAreaField(
        _l("Materials"),
        validators=[Optional(), Length(max=10000)],
        description=_l("A Markdown list of titles and links, e.g. - [Species ID guide](https://…)"),
    )
    submit = SubmitField(_l("Save briefing"))

    def __init__(
        self, *args: Any, operation: Operation, briefing: Briefing | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.operation, self.briefing = operation, briefing
        coordinating = db.session.scalars(
            select(Network)
            .where(
                Network.id.in_(
                    select(Participation.network_id).where(
                        Participation.operation_id == operation.id
                    )
                )
            )
            .order_by(Network.acronym)
        )
        self.network.choices = [("", _l("Global: every invited country"))] + [
            (str(n.id), f"{n.acronym}: {n.name}") for n in coordinating
        ]
        self.timezone.choices = timezone_choices()
        if not self.is_submitted():
            if briefing is not None:
                self._fill(briefing)
            elif not self.timezone.data:
                self.timezone.data = operation.timezone or "UTC"

    def _fill(self, b: Briefing) -> None:
        self.title.data, self.kind.data, self.mode.data = b.title, b.kind.value, b.mode.value
        self.network.data = str(b.network_id) if b.network_id else ""
        self.start.data = service.local_start(b).replace(tzinfo=None)
        self.timezone.data = b.timezone
        self.duration_minutes.data = b.duration_minutes
        self.location.data, self.agenda.data, self.materials.data = (
            b.location,
            b.agenda,
            b.materials,
        )

    def validate_network(self, field: Any) -> None:
        if field.data and self.network_obj is None:
            raise ValidationError(_l("unknown network"))

    @property
    def network_obj(self) -> Network | None:
        value = (self.network.data or "").strip()
        if not value:
            return None
        return db.session.get(Network, int(value)) if value.isdigit() else None

    def to_input(self) -> service.BriefingInput:
        return service.BriefingInput(
            title=self.title.data or "",
            kind=BriefingKind(self.kind.data),
            mode=MeetingMode(self.mode.data),
            network=self.network_obj,
            start_local=self.start.data,
            timezone=(self.timezone.data or "").strip(),
            duration_minutes=self.duration_minutes.data,
            location=self.location.data or "",
            agenda=self.agenda.data or "",
            materials=self.materials.data or "",
        )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        errors = service.check_briefing(self.operation, self.to_input(), existing=self.briefing)
        for name, message in errors:
            getattr(self, name).errors.append(message)
        return not errors


class ApiBriefingForm(BriefingForm):
    """The API names the network by acronym (null or absent: a global briefing)."""

    network = StringField(validators=[Optional(), Length(max=40)])

    @property
    def network_obj(self) -> Network | None:
        value = (self.network.data or "").strip()
        if not value:
            return None
        return db.session.scalar(select(Network).where(Network.acronym == value))


def briefing_formdata(b: Briefing) -> dict[str, str]:
    """A briefing as API form data, so that a PATCH changes only the fields it names."""
    return {
        "title": b.title,
        "kind": b.kind.value,
        "mode": b.mode.value,
        "network": b.network.acronym if b.network else "",
        "start": service.local_start(b).strftime("%Y-%m-%dT%H:%M"),
        "timezone": b.timezone,
        "duration_minutes": str(b.duration_minutes),
        "location": b.location,
        "agenda": b.agenda,
        "materials": b.materials,
    }


ATTENDED_CHOICES = [("true", _l("Attended")), ("false", _l("Did not attend"))]


class AttendanceForm(FlaskForm):
    # The view resolves the country through the viewer's scope: one outside it is a 404,
    # not a form error that would confirm it exists.
    country = SelectField(_l("Country"), validate_choice=False, validators=[DataRequired()])
    attended = RadioField(
        _l("Attendance"), choices=ATTENDED_CHOICES, validators=[InputRequired()], default="true"
    )
    attendees = IntegerField(
        _l("Number of attendees"),
        validators=[Optional()],
        default=1,
        description=_l("People from the country who joined (0 when it did not attend)."),
    )
    submit = SubmitField(_l("Record attendance"))

    def __init__(self, *args: Any, countries: list[Participation] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.country.choices = [(p.country_iso3, p.country.name) for p in countries or []]
        if not self.is_submitted() and len(self.country.choices) == 1:
            self.country.data = self.country.choices[0][0]

    @property
    def attended_value(self) -> bool:
        return self.attended.data == "true"

    @property
    def attendees_value(self) -> int:
        return self.attendees.data or 0


class ApiAttendanceForm(AttendanceForm):
    country = StringField(validators=[DataRequired(), Length(min=3, max=3)])


class AcknowledgeForm(FlaskForm):
    submit = SubmitField(_l("I have read the guidelines for my country"))
