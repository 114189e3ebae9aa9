"""Forms of the network directory: the information sheet (the 2016 questionnaire), the
comparison's choices, directory entries, confirmation rounds, catalogue entries and usage."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from opsplanner.extensions import db
from opsplanner.forms.setup import MultiCheckboxField
from opsplanner.models import (
    ContactKind,
    Country,
    Mandate,
    Network,
    NetworkForm,
    NetworkMaturity,
    Role,
    User,
)
from opsplanner.services import catalogue, contacts, sheets
from opsplanner.services.scoping import Scope

TRI_STATE = [("", _l("not stated")), ("true", _l("yes")), ("false", _l("no"))]
PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _tri(value: str | None) -> bool | None:
    return {"true": True, "false": False}.get(value or "")


def _tri_text(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _long(label: Any, description: Any = None) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=10000)],
        description=description,
        render_kw={"rows": 3},
    )


class SheetForm(FlaskForm):
    formation_date = StringField(
        _l("Formation date"),
        validators=[Optional(), Length(max=10)],
        description=_l("YYYY, YYYY-MM or YYYY-MM-DD: the year is enough."),
    )
    legal_basis = _long(_l("Legal basis"), _l("Treaty, MoU, declaration or decision, if any."))
    form = SelectField(_l("Form"), validators=[Optional()])
    maturity = SelectField(_l("Maturity"), validators=[Optional()])
    mandate = SelectField(_l("Mandate"), validators=[Optional()])
    member_states = _long(_l("Member states"))
    lead_agencies = _long(_l("Lead agencies"))
    has_secretariat = SelectField(_l("Secretariat"), choices=TRI_STATE, validators=[Optional()])
    secretariat_location = StringField(
        _l("Secretariat location"), validators=[Optional(), Length(max=200)]
    )
    secretariat_role = _long(_l("Secretariat role"))
    prosecutors_judiciary = SelectField(
        _l("Prosecutors and judiciary involved"), choices=TRI_STATE, validators=[Optional()]
    )
    prosecutors_judiciary_detail = _long(_l("Involvement of prosecutors and judiciary"))
    channels_sensitive = _long(
        _l("Channels for sensitive information"), _l("e.g. CENcomm closed user groups, I-24/7.")
    )
    channels_non_sensitive = _long(
        _l("Channels for non-sensitive information"), _l("e.g. e-mail lists, messaging groups.")
    )
    partners_donors = _long(_l("Partners and donors"))
    funding_sources = _long(_l("Funding sources"))
    recent_activities = _long(_l("Main activities since the last update"))
    challenges = _long(_l("Challenges"))
    # The version the sheet had when the form was opened (0: no sheet yet): a save over
    # someone else's newer one is refused instead of silently overwriting it.
    version = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Save the sheet"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = sheets.choice_labels()
        blank = [("", _l("not stated"))]
        self.form.choices = blank + [(f.value, labels["form"][f.value]) for f in NetworkForm]
        self.maturity.choices = blank + [
            (m.value, labels["maturity"][m.value]) for m in NetworkMaturity
        ]
        self.mandate.choices = blank + [(m.value, labels["mandate"][m.value]) for m in Mandate]

    def load(self, values: dict[str, Any], version: int) -> None:
        for key in sheets.FIELD_KEYS:
            value = values.get(key)
            if sheets.FIELDS_BY_KEY[key].kind == "bool":
                getattr(self, key).data = _tri_text(value)
            else:
                getattr(self, key).data = value or ""
        self.version.data = str(version)

    @property
    def version_number(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in sheets.FIELD_KEYS:
            data = getattr(self, key).data
            if sheets.FIELDS_BY_KEY[key].kind == "bool":
                out[key] = _tri(data)
            else:
                out[key] = (data or "").strip()
        return out

    def validate_formation_date(self, field: Any) -> None:
        text = (field.data or "").strip()
        if not text:
            return
        if not PARTIAL_DATE.match(text):
            raise ValidationError(_l("Use YYYY, YYYY-MM or YYYY-MM-DD."))
        parts = [int(p) for p in text.split("-")]
        try:
            day = date(
                parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1
            )
        except ValueError:
            raise ValidationError(_l("This date does not exist.")) from None
        if day > date.today() or day.year < 1900:
            raise ValidationError(_l("A formation date lies between 1900 and today."))

    def validate_version(self, field: Any) -> None:
        if self.version_number is None or self.version_number < 0:
            raise ValidationError(_l("The form lost its version; reload the sheet."))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        # A network that says it has no secretariat cannot also say where it sits.
        if _tri(self.has_secretariat.data) is False:
            for f in (self.secretariat_location, self.secretariat_role):
                if (f.data or "").strip():
                    f.errors.append(_l("Leave this blank, or say the network has a secretariat."))
                    ok = False
        if (
            _tri(self.prosecutors_judiciary.data) is False
            and (self.prosecutors_judiciary_detail.data or "").strip()
        ):
            self.prosecutors_judiciary_detail.errors.append(
                _l("Leave this blank, or say that prosecutors or the judiciary are involved.")
            )
            ok = False
        return ok


class CompareForm(FlaskForm):
    """The comparison's choices travel in the query string: a bookmarkable, read-only view."""

    class Meta:
        csrf = False

    fields = MultiCheckboxField(_l("Compare on"), validators=[Optional()])
    secretariat = SelectField(
        _l("Secretariat"),
        choices=[("", _l("any")), ("yes", _l("with a secretariat")), ("no", _l("without"))],
        validators=[Optional()],
    )
    mandate = SelectField(_l("Mandate"), validators=[Optional()])
    form = SelectField(_l("Form"), validators=[Optional()])
    maturity = SelectField(_l("Maturity"), validators=[Optional()])
    submit = SubmitField(_l("Compare"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = sheets.choice_labels()
        self.fields.choices = [(f.key, f.label) for f in sheets.SHEET_FIELDS] + list(
            sheets.EXTRA_COLUMNS.items()
        )
        anything = [("", _l("any"))]
        self.mandate.choices = anything + [
            (Mandate.OPERATIONAL.value, labels["mandate"]["operational"]),
            (Mandate.POLICY.value, labels["mandate"]["policy"]),
        ]
        self.form.choices = anything + list(labels["form"].items())
        self.maturity.choices = anything + list(labels["maturity"].items())

    def chosen_fields(self) -> list[str]:
        return list(self.fields.data or []) or list(sheets.DEFAULT_COMPARE)

    def filters(self) -> sheets.CompareFilters:
        """The filters chosen; a value outside the choices (a hand-edited link) is ignored."""

        def pick(enum: Any, value: str | None) -> Any:
            try:
                return enum(value) if value else None
            except ValueError:
                return None

        return sheets.CompareFilters(
            secretariat={"yes": True, "no": False}.get(self.secretariat.data or ""),
            mandate=pick(Mandate, self.mandate.data),
            form=pick(NetworkForm, self.form.data),
            maturity=pick(NetworkMaturity, self.maturity.data),
        )


class ContactForm(FlaskForm):
    kind = SelectField(_l("Listed as"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    network = SelectField(_l("Network"), validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()])
    agency = StringField(_l("Agency"), validators=[Optional(), Length(max=200)])
    role = StringField(_l("Role"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=60)],
        description=_l("With the country code, e.g. +254 20 123 4567."),
    )
    languages = StringField(
        _l("Languages"),
        validators=[Optional(), Length(max=200)],
        description=_l("Separated by commas, e.g. English, French."),
    )
    cencomm = BooleanField(_l("Member of a WCO CENcomm group"))
    i247 = BooleanField(_l("Has INTERPOL I-24/7 access"))
    user = SelectField(
        _l("Linked account"),
        validators=[Optional()],
        description=_l("The account of the person listed, who then confirms the entry."),
    )
    submit = SubmitField(_l("Save the entry"))

    def __init__(self, scope: Scope, *args: Any, restricted: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        # The person listed corrects their details; where and as what they are listed is the
        # organiser's or coordinator's call.
        self.restricted = restricted
        self.kind.choices = list(contacts.kind_labels().items())
        networks = db.session.scalars(select(Network).order_by(Network.acronym)).all()
        codes = scope.country_codes
        if not scope.is_organiser:
            networks = [n for n in networks if n.id in scope.own_network_ids]
        self.network.choices = [("", _l("(none)"))] + [
            (str(n.id), f"{n.acronym}: {n.name}") for n in networks
        ]
        countries = db.session.scalars(select(Country).order_by(Country.name)).all()
        if codes is not None:
            countries = [c for c in countries if c.iso3 in codes]
        self.country.choices = [("", _l("(none)"))] + [
            (c.iso3, f"{c.name} ({c.iso3})") for c in countries
        ]
        users = db.session.scalars(
            select(User)
            .where(User.role.in_((Role.FOCAL_POINT, Role.COORDINATOR)), User.active.is_(True))
            .order_by(User.name)
        ).all()
        if not scope.is_organiser:
            users = [u for u in users if u.id == scope.user.id or u.country_iso3 in (codes or ())]
        self.user.choices = [("", _l("(none)"))] + [
            (str(u.id), f"{u.name} <{u.email}>") for u in users
        ]

    def load(self, c: Any) -> None:
        self.kind.data = c.kind.value
        self.name.data = c.name
        self.network.data = str(c.network_id) if c.network_id else ""
        self.country.data = c.country_iso3 or ""
        self.agency.data = c.agency
        self.role.data = c.role
        self.email.data = c.email
        self.phone.data = c.phone
        self.languages.data = ", ".join(c.languages or [])
        self.cencomm.data = c.cencomm
        self.i247.data = c.i247
        self.user.data = str(c.user_id) if c.user_id else ""
        if self.restricted:
            self.pin_placement(c)

    def pin_placement(self, c: Any) -> None:
        """For the person listed: where and as what they are listed stays as it is (the
        page shows these fields read-only, so a browser does not send them)."""
        self.kind.data = c.kind.value
        for f, value, label in (
            (
                self.network,
                str(c.network_id) if c.network_id else "",
                c.network.acronym if c.network else "",
            ),
            (self.country, c.country_iso3 or "", c.country.name if c.country else ""),
            (self.user, str(c.user_id) if c.user_id else "", c.user.name if c.user else ""),
        ):
            f.data = value
            if value and value not in {v for v, _ in f.choices}:
                f.choices.append((value, label))

    def to_input(self) -> contacts.ContactInput:
        return contacts.ContactInput(
            kind=ContactKind(self.kind.data),
            name=(self.name.data or "").strip(),
            network_id=int(self.network.data) if self.network.data else None,
            country_iso3=self.country.data or None,
            agency=self.agency.data or "",
            role=self.role.data or "",
            email=(self.email.data or "").strip(),
            phone=self.phone.data or "",
            languages=contacts.parse_languages(self.languages.data or ""),
            cencomm=bool(self.cencomm.data),
            i247=bool(self.i247.data),
            user_id=int(self.user.data) if self.user.data else None,
        )

    def validate_phone(self, field: Any) -> None:
        if field.data and not re.fullmatch(r"[+0-9 ().\-/]{5,60}", field.data.strip()):
            raise ValidationError(_l("Digits, spaces and + ( ) - . / only."))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return False
        if self.restricted:
            return True
        errors = contacts.check_contact(self.to_input())
        for name, message in errors:
            getattr(self, name).errors.append(message)
        return not errors


class OpenRoundForm(FlaskForm):
    closes_on = DateField(
        _l("Closes on"),
        validators=[DataRequired()],
        description=_l("Entries not confirmed by then are listed as not confirmed."),
    )
    submit = SubmitField(_l("Open a confirmation round"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted() and self.closes_on.data is None:
            self.closes_on.data = date.today() + timedelta(days=contacts.DEFAULT_ROUND_DAYS)

    def closes_at(self) -> datetime:
        # the round runs to the end of the closing day, UTC
        return datetime.combine(self.closes_on.data, time(23, 59, 59), tzinfo=UTC)

    def validate_closes_on(self, field: Any) -> None:
        if field.data and field.data < date.today():
            raise ValidationError(_l("The round must close in the future."))
        if field.data and field.data > date.today() + timedelta(days=180):
            raise ValidationError(_l("A round lasts at most six months."))


class ToolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    provider = StringField(_l("Provider"), validators=[Optional(), Length(max=200)])
    offers = _long(_l("What it offers"))
    eligibility = _long(_l("Who may use it"))
    access = _long(_l("How to request access"))
    region_codes = MultiCheckboxField(
        _l("Regions it serves (UN M49)"), validators=[Optional()], validate_choice=False
    )
    networks = MultiCheckboxField(
        _l("Networks it serves"), validators=[Optional()], coerce=int, validate_choice=False
    )
    link = StringField(
        _l("Link"),
        validators=[Optional(), Length(max=500)],
        description=_l("Shown as text; the app never fetches it."),
    )
    submit = SubmitField(_l("Save the entry"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region_codes.choices = catalogue.region_choices()
        self.networks.choices = [
            (n.id, n.acronym) for n in db.session.scalars(select(Network).order_by(Network.acronym))
        ]

    def load(self, t: Any) -> None:
        for key in ("name", "provider", "offers", "eligibility", "access", "link"):
            getattr(self, key).data = getattr(t, key)
        self.region_codes.data = list(t.region_codes or [])
        self.networks.data = [n.id for n in t.networks]

    def to_input(self) -> catalogue.ToolInput:
        return catalogue.ToolInput(
            name=(self.name.data or "").strip(),
            provider=self.provider.data or "",
            offers=self.offers.data or "",
            eligibility=self.eligibility.data or "",
            access=self.access.data or "",
            region_codes=list(self.region_codes.data or []),
            network_ids=list(self.networks.data or []),
            link=self.link.data or "",
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        known = {n for n, _ in self.networks.choices}
        if unknown := [i for i in (self.networks.data or []) if i not in known]:
            self.networks.errors.append(_l("Unknown network: %(ids)s", ids=unknown))
            ok = False
        if ok:
            for name, message in catalogue.check_tool(self.to_input()):
                getattr(self, name).errors.append(message)
                ok = False
        return ok


class ToolUsageForm(FlaskForm):
    tools = MultiCheckboxField(
        _l("Tools and services your country uses"),
        validators=[Optional()],
        coerce=int,
        validate_choice=False,
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tools.choices = [(t.id, t.name) for t in catalogue.all_tools()]

    def validate_tools(self, field: Any) -> None:
        known = {i for i, _ in field.choices}
        if unknown := sorted(set(field.data or []) - known):
            raise ValidationError(_l("Unknown catalogue entries: %(ids)s", ids=unknown))
