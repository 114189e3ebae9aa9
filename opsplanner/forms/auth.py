from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from opsplanner.services.passwords import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class NewPasswordMixin:
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use between %(min)d and %(max)d characters."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Set password"))


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change password"))


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("What uses it, e.g. 'national seizure database sync'."),
    )
    submit = SubmitField(_l("Create token"))


# The interface languages, each named in itself so that anyone can find their own.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


class LanguageForm(FlaskForm):
    locale = SelectField(
        _l("Language of the interface"),
        description=_l("Leave it on the browser's choice to follow your browser's settings."),
    )
    submit = SubmitField(_l("Save the language"))

    def __init__(self, *args: object, languages: tuple[str, ...] = ("en",), **kwargs: object):
        super().__init__(*args, **kwargs)
        self.locale.choices = [("", str(_l("The browser's choice")))] + [
            (code, LANGUAGE_NAMES.get(code, code)) for code in languages
        ]
