"""Forms of the evaluation pages: the organiser's questionnaire (each list as lines of
"code | text"), the evaluation deadline, the answers (made from the questionnaire in use) and
reopening submitted answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from opsplanner.forms.operations import DATETIME_FORMATS
from opsplanner.models import EvaluationResponse, Questionnaire
from opsplanner.services import evaluation
from opsplanner.services.errors import DomainError
from opsplanner.services.evaluation import (
    ANSWER_MAX,
    INTRO_MAX,
    NOT_APPLICABLE,
    OTHER_MAX,
    SCALE_RANGE,
    AnswerInput,
    QuestionnaireInput,
    answer_field,
    label_of,
    rating_field,
)

SEPARATOR = "|"


def slug(text: str) -> str:
    code = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not code or not code[0].isalpha():
        code = "q_" + code
    return code[:40].rstrip("_")


def parse_lines(text: str) -> list[dict[str, str]]:
    """ "code | text" per line; a line without a code gets one made from its text."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        if SEPARATOR in line:
            code, label = (part.strip() for part in line.split(SEPARATOR, 1))
        else:
            label = line.strip()
            code = slug(label)
        items.append({"code": code, "label": label})
    return items


def format_lines(items: list[dict[str, Any]]) -> str:
    return "\n".join(f"{i['code']} {SEPARATOR} {i['label']}" for i in items)


LIST_HELP = _l(
    'One per line, as "code | text". The code is what answers refer to: keep it when you '
    "reword the text. A line without a code gets one made from its text."
)


class QuestionnaireForm(FlaskForm):
    intro = TextAreaField(
        _l("Introduction"),
        render_kw={"rows": 3},
        validators=[Length(max=INTRO_MAX)],
        description=_l("What respondents read above the questions."),
    )
    scale_max = IntegerField(
        _l("Rating scale: from 1 to"),
        validators=[NumberRange(min=SCALE_RANGE[0], max=SCALE_RANGE[1])],
        description=_l('Respondents may also answer "not applicable".'),
        render_kw={"inputmode": "numeric"},
    )
    dimensions = TextAreaField(
        _l("Dimensions to rate"), render_kw={"rows": 10}, description=LIST_HELP
    )
    challenges = TextAreaField(
        _l("Challenges met (a checklist)"), render_kw={"rows": 10}, description=LIST_HELP
    )
    questions = TextAreaField(_l("Open questions"), render_kw={"rows": 4}, description=LIST_HELP)
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Save the questionnaire"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_errors: list[str] = []

    def load(self, data: QuestionnaireInput, version: int) -> None:
        self.intro.data = data.intro
        self.scale_max.data = data.scale_max
        self.dimensions.data = format_lines(data.dimensions)
        self.challenges.data = format_lines(data.challenges)
        self.questions.data = format_lines(data.questions)
        self.version.data = version

    def to_input(self) -> QuestionnaireInput:
        return QuestionnaireInput(
            intro=self.intro.data or "",
            scale_max=self.scale_max.data,
            dimensions=parse_lines(self.dimensions.data or ""),
            challenges=parse_lines(self.challenges.data or ""),
            questions=parse_lines(self.questions.data or ""),
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        failed = {name for name, errors in self.errors.items() if errors}
        for name, message in evaluation.check_questionnaire(self.to_input()):
            if name not in failed:
                getattr(self, name).errors.append(message)
                failed.add(name)
                ok = False
        return ok


class DeadlineForm(FlaskForm):
    evaluation_deadline = DateTimeLocalField(
        _l("Answers due (UTC)"),
        format=DATETIME_FORMATS,
        validators=[Optional()],
        description=_l("Reminders go out seven and two days before, and once when overdue."),
    )
    submit = SubmitField(_l("Save the deadline"))

    def value(self) -> datetime | None:
        v = self.evaluation_deadline.data
        if v is None:
            return None
        return v.astimezone(UTC) if v.tzinfo else v.replace(tzinfo=UTC)


class ReopenForm(FlaskForm):
    reason = StringField(_l("Why (for the audit trail)"), validators=[Length(max=500)])
    submit = SubmitField(_l("Reopen"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AnswerForm(FlaskForm):
    """The answers to one questionnaire; ``for_questionnaire`` adds a field per dimension
    (``rating_<code>``) and per open question (``answer_<code>``)."""

    challenges = MultiCheckboxField(_l("Challenges met"), validate_choice=False)
    challenges_other = TextAreaField(
        _l("Other challenges"),
        render_kw={"rows": 2},
        validators=[Length(max=OTHER_MAX)],
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    save = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit answers"))

    @classmethod
    def for_questionnaire(cls, q: Questionnaire, *args: Any, **kwargs: Any) -> AnswerForm:
        class Bound(cls):  # type: ignore[valid-type, misc]
            pass

        choices = [("", _l("(choose)")), (NOT_APPLICABLE, _l("Not applicable"))] + [
            (str(v), str(v)) for v in range(1, q.scale_max + 1)
        ]
        for d in q.dimensions:
            setattr(
                Bound,
                rating_field(d["code"]),
                SelectField(label_of(d, "dimensions"), choices=choices, validate_choice=False),
            )
        for x in q.questions:
            setattr(
                Bound,
                answer_field(x["code"]),
                TextAreaField(
                    label_of(x, "questions"),
                    render_kw={"rows": 4},
                    validators=[Length(max=ANSWER_MAX)],
                ),
            )
        form = Bound(*args, **kwargs)
        form.questionnaire = q
        form.challenges.choices = [(c["code"], label_of(c, "challenges")) for c in q.challenges]
        form.form_errors = []
        return form

    questionnaire: Questionnaire
    form_errors: list[str]

    def rating_fields(self) -> list[Field]:
        return [getattr(self, rating_field(d["code"])) for d in self.questionnaire.dimensions]

    def answer_fields(self) -> list[Field]:
        return [getattr(self, answer_field(x["code"])) for x in self.questionnaire.questions]

    def load(self, r: EvaluationResponse | None) -> None:
        self.version.data = r.version if r is not None else 0
        if r is None:
            return
        for d in self.questionnaire.dimensions:
            f = getattr(self, rating_field(d["code"]))
            if d["code"] in r.ratings:
                value = r.ratings[d["code"]]
                f.data = NOT_APPLICABLE if value is None else str(value)
        self.challenges.data = list(r.challenges)
        self.challenges_other.data = r.challenges_other
        for x in self.questionnaire.questions:
            getattr(self, answer_field(x["code"])).data = r.answers.get(x["code"], "")

    def _rating(self, f: Field) -> int | str | None:
        raw = (f.data or "").strip()
        if raw == NOT_APPLICABLE:
            return None
        try:
            return int(raw)
        except ValueError:
            return raw  # refused by the service's check, with the field named

    def to_input(self) -> AnswerInput:
        ratings: dict[str, Any] = {}
        for d in self.questionnaire.dimensions:
            f = getattr(self, rating_field(d["code"]))
            if (f.data or "").strip():
                ratings[d["code"]] = self._rating(f)
        return AnswerInput(
            ratings=ratings,
            challenges=list(self.challenges.data or []),
            challenges_other=self.challenges_other.data or "",
            answers={
                x["code"]: getattr(self, answer_field(x["code"])).data or ""
                for x in self.questionnaire.questions
            },
        )

    @property
    def submitting(self) -> bool:
        return bool(self.submit.data)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        failed = {name for name, errors in self.errors.items() if errors}
        for name, message in evaluation.check_answers(
            self.questionnaire, self.to_input(), submitting=self.submitting
        ):
            target = getattr(self, name, None)
            if target is None:
                self.form_errors.append(message)
            elif name not in failed:
                target.errors.append(message)
                failed.add(name)
            ok = False
        return ok

    def attach(self, exc: DomainError) -> None:
        target = getattr(self, exc.field, None) if exc.field else None
        if target is None or getattr(target.widget, "input_type", None) == "hidden":
            self.form_errors.append(exc.message)
        else:
            target.errors = [*target.errors, exc.message]
