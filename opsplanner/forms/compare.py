"""Forms of the operations comparison and of copying an operation's set-up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from opsplanner.forms.operations import OperationForm


class CopyOperationForm(OperationForm):
    """A new code name and new dates, checked like a new operation's (``check_schedule``)."""

    submit = SubmitField(_l("Create the new operation"))
