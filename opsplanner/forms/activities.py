"""Forms of the national activity plans and of the activity taxonomy."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from opsplanner.forms.setup import MultiCheckboxField
from opsplanner.models import Activity, ActivityType, Agency, Operation
from opsplanner.services import activities
from opsplanner.services.activities import ActivityInput, ActivityTypeInput


class ActivityForm(FlaskForm):
    # Choices are not enforced by WTForms here: the service's rules name the unknown or retired
    # type, the foreign priority or the unknown agency, which "Not a valid choice" would not.
    activity_type = SelectField(_l("Type of activity"), validate_choice=False)
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the activity a title.")), Length(max=200)],
    )
    location = StringField(
        _l("Location"),
        validators=[Length(max=300)],
        description=_l("Where: e.g. international airport cargo terminal, main container port."),
    )
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    priorities = MultiCheckboxField(
        _l("Priorities addressed"), coerce=int, validate_choice=False, validators=[Optional()]
    )
    agencies = MultiCheckboxField(
        _l("Agencies involved"), validate_choice=False, validators=[Optional()]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    # The version the activity had when the form was opened: a save over someone else's newer
    # change is refused instead of silently overwriting it.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Save activity"))

    def __init__(
        self, op: Operation, *args: Any, current: Activity | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.op = op
        self.current_type = current.activity_type_code if current else None
        types: list[ActivityType] = activities.active_types()
        if current is not None and not current.activity_type.active:
            types.append(current.activity_type)  # retired after it was chosen: keep showing it
        self.activity_type.choices = [("", _l("(choose)"))] + [(t.code, t.name) for t in types]
        self.priorities.choices = [(p.id, f"{p.rank}. {p.title}") for p in op.priorities]
        self.agencies.choices = [(a.value, activities.AGENCY_LABELS[a]) for a in Agency]
        self.definitions = {t.code: t.definition for t in types}

    def load(self, a: Activity) -> None:
        """Fill the form from an activity (the relationships do not map onto the field names)."""
        self.activity_type.data = a.activity_type_code
        self.title.data = a.title
        self.location.data = a.location
        self.start_date.data = a.start_date
        self.end_date.data = a.end_date
        self.priorities.data = [p.id for p in a.priorities]
        self.agencies.data = list(a.agencies)
        self.description.data = a.description
        self.version.data = a.version

    def to_input(self) -> ActivityInput:
        return ActivityInput(
            activity_type=self.activity_type.data or "",
            title=self.title.data or "",
            location=self.location.data or "",
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            priority_ids=list(self.priorities.data or []),
            agencies=list(self.agencies.data or []),
            description=self.description.data or "",
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        # One message per field is enough: an unreadable date is not also "outside the window".
        failed = {name for name, errors in self.errors.items() if errors}
        for name, message in activities.check_activity(self.op, self.to_input(), self.current_type):
            if name not in failed:
                getattr(self, name).errors.append(message)
                failed.add(name)
                ok = False
        return ok


class DeleteActivityForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"),
        validators=[
            DataRequired(message=_l("Write a comment first.")),
            Length(max=activities.COMMENT_MAX),
        ],
    )
    submit = SubmitField(_l("Add comment"))


class ActivityTypeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    definition = TextAreaField(
        _l("Definition"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("One line: what counts as this kind of operational activity."),
    )
    examples = TextAreaField(_l("Examples"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save activity type"))

    def to_input(self) -> ActivityTypeInput:
        return ActivityTypeInput(
            name=self.name.data or "",
            definition=self.definition.data or "",
            examples=self.examples.data or "",
        )


class NewActivityTypeForm(ActivityTypeForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Stable identifier, e.g. wildlife_farm_audit; it cannot change later."),
    )
    submit = SubmitField(_l("Add activity type"))
