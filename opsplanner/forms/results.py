"""Forms of the results pages: the seizure record (made from ``seizure_fields.FIELDS`` and checked
by ``seizure_fields.parse``, as uploads and the API are), the national results, highlight
nominations, report transitions and the bulk review of a filtered set."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput, Select, html_params

from opsplanner.extensions import db
from opsplanner.models import CountryReport, Operation, Seizure, Species
from opsplanner.services import reports
from opsplanner.services.seizure_fields import (
    FALSE_WORDS,
    FIELD_NAMES,
    FIELDS,
    MAX_QUANTITIES,
    Catalog,
    FieldDef,
    FieldError,
    to_row,
)

# -- the seizure record ------------------------------------------------------------------------
# How the form page groups the fields; every field of FIELDS appears exactly once (checked below).
SEIZURE_SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        _l("The case"),
        ("national_reference", "seized_on", "place", "port", "agency", "detection_method"),
    ),
    (_l("What was seized"), ("species", "species_other", "commodity", "description")),
    (
        _l("Quantities"),
        tuple(f"{k}_{n}" for n in range(1, MAX_QUANTITIES + 1) for k in ("quantity", "unit")),
    ),
    (
        _l("Route"),
        ("conveyance", "origin", "transit", "destination", "online_linked"),
    ),
    (
        _l("Follow-up and publication"),
        ("priority", "suspects", "arrests", "sensitive", "publishable"),
    ),
)
assert sorted(n for _, names in SEIZURE_SECTIONS for n in names) == sorted(FIELD_NAMES)

CHOOSE = _l("(choose)")


def rank(priority: Any) -> int:
    return priority.rank


def _seizure_field(d: FieldDef) -> Field:
    """The WTForms field of one seizure field. No WTForms validators: ``parse`` is the one
    validation, so the messages are the ones uploads and the API give."""
    # lazy, so that the label is translated when the page is drawn
    label = LazyString(lambda: f"{d.label} *") if d.required else d.label
    kw: dict[str, Any] = {"description": d.help}
    if d.kind in ("choice", "species", "priority"):
        return SelectField(label, validate_choice=False, **kw)
    if d.kind == "bool":
        # a checkbox sends "y"; "no" (as a spreadsheet row would say it) is unticked, not ticked
        return BooleanField(label, false_values=(False, *FALSE_WORDS), **kw)
    if d.kind == "date":
        return StringField(label, render_kw={"type": "date"}, **kw)
    if d.kind == "decimal":
        return StringField(label, render_kw={"inputmode": "decimal"}, **kw)
    if d.kind == "int":
        return StringField(label, render_kw={"inputmode": "numeric"}, **kw)
    if d.kind == "countries":
        return StringField(label, render_kw={"placeholder": "NGA ETH"}, **kw)
    if d.name == "description":
        return TextAreaField(label, render_kw={"rows": 3}, **kw)
    return StringField(label, **kw)


def species_choices() -> dict[str, list[tuple[str, str]]]:
    """The reference species grouped by taxon group, each as "scientific — common (CITES I)"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for sp in db.session.scalars(
        select(Species).order_by(Species.taxon_group, Species.scientific_name)
    ):
        appendix = (
            _("CITES %(appendix)s", appendix=sp.cites_appendix)
            if sp.cites_appendix
            else _("not CITES-listed")
        )
        common = f" — {sp.common_name}" if sp.common_name else ""
        label = f"{sp.scientific_name}{common} ({appendix})"
        groups.setdefault(sp.taxon_group.replace("_", " ").capitalize(), []).append(
            (sp.scientific_name, label)
        )
    return groups


class GroupedSelect(Select):
    """A select whose first option (the empty choice) stands outside the groups."""

    def __init__(self, blank: Any) -> None:
        super().__init__()
        self.blank = blank

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        parts = [f"<select {html_params(name=field.name, **kwargs)}>"]
        parts.append(self.render_option("", self.blank, not field.data))
        for group, choices in (field.choices or {}).items():
            parts.append(f"<optgroup {html_params(label=group)}>")
            parts.extend(self.render_option(v, label, v == field.data) for v, label in choices)
            parts.append("</optgroup>")
        parts.append("</select>")
        # html_params and render_option escape every value and label
        return Markup("".join(parts))  # noqa: S704


class SeizureForm(FlaskForm):
    # The version the record had when the form was opened: a save over someone else's newer
    # change is refused (409) instead of silently overwriting it.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Save seizure"))

    def __init__(self, op: Operation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.op = op
        self.form_errors: list[str] = []
        for d in FIELDS:
            if d.kind == "choice":
                assert d.choices is not None
                getattr(self, d.name).choices = [("", CHOOSE), *d.choices().items()]
        self.species.choices = species_choices()
        self.species.widget = GroupedSelect(_l("(not in the list: use Species (other))"))
        self.species.description = _l(
            "Choose the taxon from the reference list. If it is not there, leave this empty "
            "and write it in Species (other): the record is then flagged for review."
        )
        self.priority.choices = [("", _l("(none)"))] + [
            (str(p.rank), f"{p.rank}. {p.title}") for p in sorted(op.priorities, key=rank)
        ]
        self.sections = [
            (title, [getattr(self, name) for name in names]) for title, names in SEIZURE_SECTIONS
        ]

    def raw(self) -> dict[str, Any]:
        """What the user sent, by field name, for ``seizure_fields.parse``: a checkbox as the
        text it sent, so that a value that is neither yes nor no is refused as it is in uploads."""
        raw: dict[str, Any] = {}
        for d in FIELDS:
            f = getattr(self, d.name)
            if d.kind == "bool":
                raw[d.name] = f.raw_data[0] if f.raw_data else False
            else:
                raw[d.name] = f.data
        return raw

    def load(self, s: Seizure, catalog: Catalog) -> None:
        row = to_row(s, catalog.species_names, catalog.rank_by_priority)
        for d in FIELDS:
            value = row[d.name]
            getattr(self, d.name).data = value == "yes" if d.kind == "bool" else str(value)
        self.version.data = s.version

    def attach(self, errors: list[FieldError]) -> None:
        """Each message next to its field; one not tied to a field goes above the form."""
        for e in errors:
            name = e.field
            if name.startswith("quantities"):
                # the JSON shape (quantities[2].unit) maps onto the form's rows
                match = re.match(r"quantities\[(\d+)\]\.(amount|unit)", name)
                if match:
                    kind = "quantity" if match.group(2) == "amount" else "unit"
                    name = f"{kind}_{match.group(1)}"
                else:
                    name = "quantity_1"
            target = getattr(self, name, None) if name in FIELD_NAMES else None
            if target is None:
                self.form_errors.append(e.message)
            elif e.message not in target.errors:
                target.errors = [*target.errors, e.message]

    def quantity_rows(self) -> list[tuple[Field, Field]]:
        return [
            (getattr(self, f"quantity_{n}"), getattr(self, f"unit_{n}"))
            for n in range(1, MAX_QUANTITIES + 1)
        ]


for _definition in FIELDS:
    setattr(SeizureForm, _definition.name, _seizure_field(_definition))


class DeleteSeizureForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


# -- national results --------------------------------------------------------------------------
class CountField(IntegerField):
    """A count: empty means 0; anything but a whole number says so plainly."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip().replace(",", "").replace(" ", "")
        if text == "":
            self.data = 0
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(
                _("%(value)s is not a whole number.", value=str(valuelist[0]).strip())
            ) from None


NATIONALITY_ITEM = re.compile(r"^([A-Za-z]{3})\s*[:=]?\s*(\d+)$")


def parse_nationalities(text: str) -> dict[str, int]:
    """ "VNM 3, CHN 1" (or one per line, or VNM: 3) -> {"VNM": 3, "CHN": 1}."""
    found: dict[str, int] = {}
    for item in re.split(r"[,;\n]+", text or ""):
        item = item.strip()
        if not item:
            continue
        match = NATIONALITY_ITEM.match(item)
        if match is None:
            raise ValidationError(
                _(
                    "Cannot read %(item)s: write a nationality as its ISO 3166 alpha-3 code "
                    "and a count, e.g. VNM 3.",
                    item=item,
                )
            )
        code = match.group(1).upper()
        if code in found:
            raise ValidationError(
                _("%(code)s is given twice: give each nationality once.", code=code)
            )
        found[code] = int(match.group(2))
    return found


def format_nationalities(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))


class NationalResultsForm(FlaskForm):
    suspects_by_nationality = TextAreaField(
        _l("Suspects by nationality"),
        render_kw={"rows": 2, "placeholder": "VNM 3, CHN 1"},
        description=_l(
            "Counts only, never names: each nationality as its ISO 3166 alpha-3 code and the "
            "number of suspects, separated by commas or one per line, e.g. VNM 3, CHN 1."
        ),
    )
    assets_seized_amount = StringField(
        _l("Assets seized (amount)"), render_kw={"inputmode": "decimal"}
    )
    assets_seized_currency = StringField(
        _l("Currency"),
        validators=[Length(max=3)],
        render_kw={"maxlength": 3, "placeholder": "USD"},
        description=_l("ISO 4217 code, e.g. USD, KES, THB."),
    )
    consent_to_be_named = BooleanField(
        _l("Our country may be named in public releases"),
        description=_l(
            "This controls whether press releases and public reports of the operation name "
            "your country next to its results. Unticked, your figures count in the totals "
            "but your country is not named."
        ),
    )
    notes = TextAreaField(
        _l("Notes"), render_kw={"rows": 3}, validators=[Length(max=reports.COMMENT_MAX)]
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Save national results"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_errors: list[str] = []
        self.count_fields = [getattr(self, name) for name in reports.COUNT_FIELDS]

    def load(self, r: CountryReport) -> None:
        for name in reports.COUNT_FIELDS:
            getattr(self, name).data = getattr(r, name)
        self.suspects_by_nationality.data = format_nationalities(r.suspects_by_nationality)
        self.assets_seized_amount.data = (
            format(r.assets_seized_amount, "f") if r.assets_seized_amount is not None else ""
        )
        self.assets_seized_currency.data = r.assets_seized_currency
        self.consent_to_be_named.data = r.consent_to_be_named
        self.notes.data = r.notes
        self.version.data = r.version

    def _amount(self) -> Decimal | None:
        text = (self.assets_seized_amount.data or "").strip().replace(",", "").replace(" ", "")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                _("%(value)s is not an amount.", value=self.assets_seized_amount.data)
            ) from None
        if not amount.is_finite():
            raise ValidationError(
                _("%(value)s is not an amount.", value=self.assets_seized_amount.data)
            )
        return amount

    def validate_assets_seized_amount(self, field: Field) -> None:
        self._amount()

    def validate_suspects_by_nationality(self, field: Field) -> None:
        parse_nationalities(field.data or "")

    def to_input(self) -> reports.NationalResultsInput:
        """The input as far as it reads; unreadable parts are left out (the form said why)."""
        try:
            amount = self._amount()
        except ValidationError:
            amount = None
        try:
            suspects = parse_nationalities(self.suspects_by_nationality.data or "")
        except ValidationError:
            suspects = {}
        return reports.NationalResultsInput(
            counts={name: getattr(self, name).data or 0 for name in reports.COUNT_FIELDS},
            suspects_by_nationality=suspects,
            assets_seized_amount=amount,
            assets_seized_currency=self.assets_seized_currency.data or "",
            consent_to_be_named=bool(self.consent_to_be_named.data),
            notes=self.notes.data or "",
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        # the service's rules (negative counts, unknown nationality or currency), all at once;
        # one message per field is enough
        failed = {name for name, errors in self.errors.items() if errors}
        for name, message in reports.check_national(self.to_input()):
            if name not in failed:
                getattr(self, name).errors.append(message)
                failed.add(name)
                ok = False
        return ok


for _name in reports.COUNT_FIELDS:
    setattr(
        NationalResultsForm,
        _name,
        CountField(reports.COUNT_LABELS[_name], default=0, render_kw={"inputmode": "numeric"}),
    )


# -- highlight cases, transitions, bulk review -------------------------------------------------
class HighlightForm(FlaskForm):
    # Not enforced by WTForms: the service says why a seizure cannot be nominated (sensitive,
    # another country's, already nominated).
    seizure = SelectField(_l("Seizure"), coerce=int, validate_choice=False)
    narrative = TextAreaField(
        _l("Narrative for the press"),
        render_kw={"rows": 3},
        description=_l("A few sentences: what was found, where, and why it matters."),
    )
    consent = BooleanField(
        _l("The agency agrees that this case is described in press material"),
    )
    submit = SubmitField(_l("Nominate"))

    def __init__(self, seizures: list[Seizure], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_errors: list[str] = []
        self.seizure.choices = [(0, CHOOSE)] + [
            (s.id, f"{s.national_reference} ({s.seized_on.isoformat()})") for s in seizures
        ]


class TransitionForm(FlaskForm):
    # The report's version as the page showed it: acting on a report that moved meanwhile is
    # refused. Optional so that the action still works without it (no check then).
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=reports.COMMENT_MAX)])


BULK_ACTIONS = ("validate", "approve", "return", "reopen")


class BulkForm(FlaskForm):
    action = SelectField(
        _l("Action"),
        choices=[(a, reports.ACTION_LABELS[a]) for a in BULK_ACTIONS],
    )
    comment = TextAreaField(
        _l("Comment (needed to return)"),
        render_kw={"rows": 2},
        validators=[Length(max=reports.COMMENT_MAX)],
    )
    # the overview's filters, so that the action applies to exactly the set shown
    status = HiddenField()
    network = HiddenField()
    region = HiddenField()
    q = HiddenField()
    submit = SubmitField(_l("Apply to every report listed"))
