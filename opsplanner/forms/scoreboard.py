"""The network scoreboard's checklist form: one "done" box and one note per item of
``services.scoreboard.CHECKLIST``, and the stamp of the answers the page was opened with."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from opsplanner.services import scoreboard


class ChecklistForm(FlaskForm):
    # The answers as they stood when the page was opened: a save over newer answers is
    # refused instead of silently overwriting them.
    stamp = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Save the checklist"))

    def load(self, lines: list[scoreboard.ChecklistLine], stamp: str) -> None:
        for line in lines:
            self[f"{line.item.code}_done"].data = line.done
            self[f"{line.item.code}_note"].data = line.note
        self.stamp.data = stamp

    def answers(self) -> dict[str, scoreboard.Answer]:
        return {
            item.code: scoreboard.Answer(
                done=bool(self[f"{item.code}_done"].data),
                note=(self[f"{item.code}_note"].data or "").strip(),
            )
            for item in scoreboard.CHECKLIST
        }

    def item_fields(self) -> list[tuple[scoreboard.ChecklistDef, Any, Any]]:
        return [
            (item, self[f"{item.code}_done"], self[f"{item.code}_note"])
            for item in scoreboard.CHECKLIST
        ]


for _item in scoreboard.CHECKLIST:
    setattr(ChecklistForm, f"{_item.code}_done", BooleanField(_item.label))
    setattr(
        ChecklistForm,
        f"{_item.code}_note",
        StringField(
            _l("Note"),
            validators=[Optional(), Length(max=scoreboard.NOTE_MAX)],
            description=_item.hint,
        ),
    )
