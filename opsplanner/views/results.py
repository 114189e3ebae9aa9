"""Results reporting pages: the review overview (with bulk actions over a filtered set), a
country's report (seizures, national results, highlight cases, review history), the seizure
form, the national results form and the moves of a report through review."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from opsplanner.extensions import db
from opsplanner.forms.results import (
    BULK_ACTIONS,
    BulkForm,
    DeleteSeizureForm,
    HighlightForm,
    NationalResultsForm,
    SeizureForm,
    TransitionForm,
)
from opsplanner.models import (
    CountryReport,
    HighlightCase,
    Operation,
    Participation,
    ParticipationStatus,
    Priority,
    RecordSource,
    ReportStatus,
    Role,
    Seizure,
    Species,
    User,
)
from opsplanner.reference.vocabularies import commodities, conveyances
from opsplanner.services import reports, seizures
from opsplanner.services.activities import AGENCY_LABELS
from opsplanner.services.errors import Conflict, DomainError, Forbidden, NotFound
from opsplanner.services.scoping import Scope
from opsplanner.services.seizure_fields import (
    BY_NAME,
    DETECTION_LABELS,
    FieldError,
    format_amount,
    parse,
)
from opsplanner.views.common import roles_required, scope

bp = Blueprint("results", __name__)

RESULTS = "/operations/<int:operation_id>/results"
COUNTRY = RESULTS + "/<iso3>"
SEIZURE = COUNTRY + "/seizures/<int:seizure_id>"
NO_NETWORK = "none"
MAX_SKIPS_SHOWN = 25


# -- helpers ------------------------------------------------------------------------------------
def _country_url(p: Participation, anchor: str | None = None) -> str:
    return url_for(
        "results.country", operation_id=p.operation_id, iso3=p.country_iso3, _anchor=anchor
    )


def _may_not_edit() -> Forbidden:
    # The report is visible to this viewer (a coordinator): say why, rather than pretend a 404.
    return Forbidden(_("Only the country's focal point or an organiser can change its results."))


def _require_enter(s: Scope, p: Participation) -> None:
    if not reports.may_enter(s, p):
        raise _may_not_edit()


def _attach(form: FlaskForm, exc: DomainError) -> None:
    """A refused use case next to the field at fault, or above the form."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is None or getattr(target.widget, "input_type", None) == "hidden":
        form.form_errors.append(exc.message)
    else:
        target.errors = [*target.errors, exc.message]


def _report(p: Participation) -> CountryReport:
    """The country's report; the first look creates it (as a draft) and keeps it."""
    report = reports.existing_report(p)
    if report is None:
        try:
            report = reports.report_for(p)
            db.session.commit()
        except IntegrityError:  # another request created it at the same moment
            db.session.rollback()
            report = reports.report_for(p)
    return report


def quantity_text(s: Seizure) -> str:
    """Quantities per unit, never added: "120.5 kg; 3 pieces"."""
    return "; ".join(f"{format_amount(q.amount)} {q.unit}" for q in s.quantities)


def _labels() -> dict[str, Any]:
    return {
        "agency_labels": {a.value: label for a, label in AGENCY_LABELS.items()},
        "detection_labels": {d.value: label for d, label in DETECTION_LABELS.items()},
        "commodity_labels": commodities(),
        "conveyance_labels": conveyances(),
        "quantity_text": quantity_text,
        "status_labels": {s.value: label for s, label in reports.STATUS_LABELS.items()},
    }


# -- the review overview ------------------------------------------------------------------------
@dataclass
class Row:
    participation: Participation
    status: ReportStatus
    seizures: int
    first_submitted_at: datetime | None
    on_time: bool | None  # None: not submitted yet
    last_update: datetime | None


@dataclass
class Filters:
    status: str = ""
    network: str = ""
    region: str = ""
    q: str = ""

    @classmethod
    def read(cls, values: Mapping[str, Any], s: Scope) -> Filters:
        status = (values.get("status") or "").strip()
        return cls(
            status=status if status in {st.value for st in ReportStatus} else "",
            # only an organiser's list spans networks
            network=(values.get("network") or "").strip() if s.is_organiser else "",
            region=(values.get("region") or "").strip(),
            q=(values.get("q") or "").strip(),
        )

    def args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    def match(self, row: Row) -> bool:
        p = row.participation
        c = p.country
        if self.status and row.status.value != self.status:
            return False
        if self.network == NO_NETWORK and p.network is not None:
            return False
        if (
            self.network
            and self.network != NO_NETWORK
            and (p.network is None or p.network.acronym != self.network)
        ):
            return False
        if self.region and self.region not in (
            c.region_code,
            c.subregion_code,
            c.intermediate_region_code,
        ):
            return False
        if self.q:
            needle = self.q.lower()
            if needle not in c.name.lower() and needle != c.iso3.lower():
                return False
        return True


def _confirmed(s: Scope, op: Operation) -> list[Participation]:
    """The expected reporters in the viewer's scope (404 for communications)."""
    return [
        p
        for p in db.session.scalars(s.participations(op))
        if p.status is ParticipationStatus.CONFIRMED
    ]


def _rows(op: Operation, participations: list[Participation]) -> list[Row]:
    ids = [p.id for p in participations]
    by_participation = {
        r.participation_id: r
        for r in db.session.scalars(
            select(CountryReport).where(CountryReport.participation_id.in_(ids))
        )
    }
    stats = {
        pid: (n, last)
        for pid, n, last in db.session.execute(
            select(Seizure.participation_id, func.count(), func.max(Seizure.updated_at))
            .where(Seizure.participation_id.in_(ids))
            .group_by(Seizure.participation_id)
        )
    }
    rows = []
    for p in participations:
        report = by_participation.get(p.id)
        count, last_seizure = stats.get(p.id, (0, None))
        first = report.first_submitted_at if report else None
        # a report changes version when it moves or its national results change; a draft
        # created by the first look at the page is no update
        changed = report.updated_at if report is not None and report.version > 1 else None
        moments = [m for m in (changed, last_seizure) if m]
        rows.append(
            Row(
                participation=p,
                status=report.status if report else ReportStatus.DRAFT,
                seizures=count,
                first_submitted_at=first,
                on_time=reports.submitted_on_time(report, op.reporting_deadline),
                last_update=max(moments) if moments else None,
            )
        )
    return sorted(rows, key=lambda r: r.participation.country.name)


def _regions(participations: list[Participation]) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for p in participations:
        c = p.country
        for code, name in (
            (c.region_code, c.region),
            (c.subregion_code, c.subregion),
            (c.intermediate_region_code, c.intermediate_region),
        ):
            if code and name:
                found[code] = name
    return sorted(found.items(), key=lambda kv: kv[1])


@bp.route(RESULTS)
@login_required
def overview(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    if s.role is Role.FOCAL_POINT:
        # A focal point has one report: theirs (a 404 if their country is not in the operation).
        p = s.participation_or_404(operation_id, s.user.country_iso3 or "")
        return redirect(_country_url(p))
    confirmed = _confirmed(s, op)
    filters = Filters.read(request.args, s)
    rows = _rows(op, confirmed)
    shown = [r for r in rows if filters.match(r)]
    bulk_form = BulkForm(formdata=None, **filters.args())
    return render_template(
        "results/overview.html",
        op=op,
        rows=shown,
        total=len(rows),
        filters=filters,
        statuses=list(ReportStatus),
        networks=sorted({p.network.acronym for p in confirmed if p.network}),
        regions=_regions(confirmed),
        no_network=NO_NETWORK,
        by_network=s.is_organiser,
        bulk_form=bulk_form,
        reported=sum(r.status in reports.REPORTED_STATUSES for r in shown),
        on_time=sum(bool(r.on_time) for r in shown),
        in_phase=op.phase in reports.REPORTING_PHASES,
        active="results",
        **_labels(),
    )


@bp.route(RESULTS + "/bulk", methods=["POST"])
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def bulk(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    form = BulkForm()
    filters = Filters.read(request.form, s)
    back = redirect(url_for("results.overview", operation_id=op.id, **filters.args()))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return back
    action = form.action.data
    assert action in BULK_ACTIONS
    # the whole filtered set, as the overview lists it: not a page of it
    targets = [r.participation for r in _rows(op, _confirmed(s, op)) if filters.match(r)]
    try:
        outcome = reports.bulk_transition(s, targets, action, comment=form.comment.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return back
    db.session.commit()
    flash(
        _(
            "%(action)s: %(moved)d moved; %(skipped)d skipped.",
            action=reports.ACTION_LABELS[action],
            moved=len(outcome.done),
            skipped=len(outcome.skipped),
        ),
        "success" if outcome.done else "warning",
    )
    names = {p.country_iso3: p.country.name for p in targets}
    for iso3, reason in list(outcome.skipped.items())[:MAX_SKIPS_SHOWN]:
        flash(
            _("Skipped %(country)s: %(reason)s", country=names.get(iso3, iso3), reason=reason),
            "warning",
        )
    if len(outcome.skipped) > MAX_SKIPS_SHOWN:
        flash(
            _("... and %(n)d more skipped.", n=len(outcome.skipped) - MAX_SKIPS_SHOWN),
            "warning",
        )
    return back


# -- a country's report -------------------------------------------------------------------------
def _nominable(p: Participation) -> list[Seizure]:
    """The seizures that can go to the press: not sensitive, not nominated already."""
    taken = set(
        db.session.scalars(
            select(HighlightCase.seizure_id).where(HighlightCase.participation_id == p.id)
        )
    )
    return [
        sz
        for sz in db.session.scalars(seizures.of_participation(p))
        if not sz.sensitive and sz.id not in taken
    ]


def _render_country(
    s: Scope,
    p: Participation,
    *,
    status: int = 200,
    problem: str | None = None,
    problem_field: str | None = None,
    acting: str | None = None,
    comment: str = "",
    highlight_form: HighlightForm | None = None,
) -> Any:
    report = _report(p)
    lock = reports.lock_reason(p, report)
    editable = reports.may_enter(s, p) and lock is None
    if highlight_form is None and editable:
        highlight_form = HighlightForm(_nominable(p), formdata=None)
    rows = list(db.session.scalars(seizures.of_participation(p)))
    actions = reports.available_actions(s, p, report)
    return (
        render_template(
            "results/country.html",
            op=p.operation,
            p=p,
            report=report,
            lock=lock,
            editable=editable,
            may_enter=reports.may_enter(s, p),
            actions=actions,
            action_labels=reports.ACTION_LABELS,
            problem=problem,
            problem_field=problem_field,
            acting=acting,
            comment=comment,
            seizures=rows,
            highlights=reports.highlights(p),
            highlight_form=highlight_form,
            count_fields=[(name, reports.COUNT_LABELS[name]) for name in reports.COUNT_FIELDS],
            transitions=report.transitions,
            upload_url=f"/operations/{p.operation_id}/results/{p.country_iso3}/upload",
            deadline=p.operation.reporting_deadline,
            active="results",
            **_labels(),
        ),
        status,
    )


@bp.route(COUNTRY)
@login_required
def country(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    return _render_country(s, p)


@bp.route(COUNTRY + "/<any(submit, validate, approve, return, reopen):action>", methods=["POST"])
@login_required
def transition(operation_id: int, iso3: str, action: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    if not reports.may_act(s, p, action):
        # visible to this viewer, but not theirs to move: say who does it
        raise Forbidden(reports.refusal(s, p, _report(p), action) or _("Not allowed."))
    form = TransitionForm()
    comment = form.comment.data or ""
    if not form.validate_on_submit():
        field = "comment" if form.comment.errors else None
        messages = [m for errors in form.errors.values() for m in errors]
        return _render_country(
            s,
            p,
            status=422,
            problem="; ".join(messages),
            problem_field=field,
            acting=action,
            comment=comment,
        )
    try:
        report = reports.transition(s, p, action, comment=comment, version=form.version.data)
    except Conflict as exc:
        db.session.rollback()
        # the page shows the report as it is now, with the comment that was not sent
        return _render_country(
            s,
            p,
            status=409,
            problem=exc.message,
            problem_field="version",
            acting=action,
            comment=comment,
        )
    except DomainError as exc:
        db.session.rollback()
        return _render_country(
            s,
            p,
            status=422,
            problem=exc.message,
            problem_field=exc.field,
            acting=action,
            comment=comment,
        )
    db.session.commit()
    flash(
        _(
            "The report of %(country)s is now %(status)s.",
            country=p.country.name,
            status=str(reports.STATUS_LABELS[report.status]).lower(),
        ),
        "success",
    )
    return redirect(_country_url(p))


# -- seizures -----------------------------------------------------------------------------------
def _render_seizure_form(
    p: Participation,
    form: SeizureForm,
    *,
    seizure: Seizure | None = None,
    conflict: str | None = None,
    lock: str | None = None,
    status: int = 200,
) -> Any:
    return (
        render_template(
            "results/seizure_form.html",
            op=p.operation,
            p=p,
            form=form,
            seizure=seizure,
            conflict=conflict,
            lock=lock,
            active="results",
        ),
        status,
    )


@bp.route(COUNTRY + "/seizures/new", methods=["GET", "POST"])
@login_required
def new_seizure(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    _require_enter(s, p)
    lock = reports.lock_reason(p)
    if lock and request.method == "GET":
        flash(lock, "error")
        return redirect(_country_url(p))
    form = SeizureForm(p.operation)
    if lock:
        # the input stays on the page; the report is locked and says why
        return _render_seizure_form(p, form, lock=lock, status=422)
    if form.is_submitted():  # (the CSRF token is checked for every POST)
        data, errors = parse(form.raw(), seizures.catalog_for(p))
        try:
            sz = seizures.create(s, p, data, errors, source=RecordSource.FORM)
        except seizures.InvalidSeizure as exc:
            db.session.rollback()
            form.attach(exc.errors)
        except DomainError as exc:
            db.session.rollback()
            form.attach([FieldError(exc.field or "", exc.message)])
        else:
            db.session.commit()
            flash(_("Seizure %(ref)s added.", ref=sz.national_reference), "success")
            return redirect(_country_url(p, f"seizure-{sz.id}"))
    return _render_seizure_form(p, form)


@bp.route(SEIZURE, methods=["GET", "POST"])
@login_required
def edit_seizure(operation_id: int, iso3: str, seizure_id: int) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    sz = seizures.seizure_or_404(p, seizure_id)
    _require_enter(s, p)
    lock = reports.lock_reason(p)
    if lock and request.method == "GET":
        flash(lock, "error")
        return redirect(_country_url(p, f"seizure-{sz.id}"))
    form = SeizureForm(p.operation)
    catalog = seizures.catalog_for(p)
    if not form.is_submitted():
        form.load(sz, catalog)
    if lock:
        return _render_seizure_form(p, form, seizure=sz, lock=lock, status=422)
    conflict, status = None, 200
    if form.is_submitted():
        form.validate()  # the hidden version: an unreadable one is sent as missing
        data, errors = parse(form.raw(), catalog)
        try:
            # a stale copy is refused before its other errors, which would be moot
            changed = seizures.update(s, sz, data, errors, form.version.data)
        except seizures.InvalidSeizure as exc:
            db.session.rollback()
            form.attach(exc.errors)
        except Conflict as exc:
            db.session.rollback()
            if exc.field == "national_reference":
                form.attach([FieldError(exc.field, exc.message)])
            else:
                # the input stays on the page with the version it was opened at, so saving
                # again is refused again: the user reloads, sees the other change, redoes theirs
                conflict, status = exc.message, 409
        except DomainError as exc:
            db.session.rollback()
            form.attach([FieldError(exc.field or "", exc.message)])
        else:
            db.session.commit()
            if changed:
                flash(_("Seizure %(ref)s saved.", ref=sz.national_reference), "success")
            else:
                flash(_("Nothing changed in %(ref)s.", ref=sz.national_reference), "info")
            return redirect(_country_url(p, f"seizure-{sz.id}"))
    return _render_seizure_form(
        p, form, seizure=db.session.get(Seizure, seizure_id), conflict=conflict, status=status
    )


@bp.route(SEIZURE + "/delete", methods=["POST"])
@login_required
def delete_seizure(operation_id: int, iso3: str, seizure_id: int) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    sz = seizures.seizure_or_404(p, seizure_id)
    _require_enter(s, p)
    form = DeleteSeizureForm()
    if not form.validate_on_submit():
        abort(400)
    reference = sz.national_reference
    try:
        seizures.delete(s, sz, form.version.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Seizure %(ref)s deleted.", ref=reference), "success")
    return redirect(_country_url(p, "seizures"))


# how the history names the snapshot's keys
HISTORY_LABELS: dict[str, Any] = {
    **{d.name: d.label for d in BY_NAME.values()},
    "species_id": BY_NAME["species"].label,
    "priority_id": BY_NAME["priority"].label,
    "quantities": _l("Quantities"),
}


SKIPPED = ("version", "source")
EMPTY = (None, "", [], False, 0)


def _history_value(key: str, value: Any, species: dict[int, str], ranks: dict[int, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if key == "species_id":
        return species.get(value, f"#{value}")
    if key == "priority_id":
        return ranks.get(value, f"#{value}")
    if key == "quantities":
        return "; ".join(f"{amount} {unit}" for amount, unit in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    definition = BY_NAME.get(key)
    if definition is not None and definition.choices is not None:
        return str(definition.choices().get(value, value))
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


@bp.route(SEIZURE + "/history")
@login_required
def seizure_history(operation_id: int, iso3: str, seizure_id: int) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    sz = seizures.seizure_or_404(p, seizure_id)
    events = seizures.history(sz)
    species = dict(db.session.execute(select(Species.id, Species.scientific_name)).all())
    ranks = {
        pr.id: f"{pr.rank}. {pr.title}"
        for pr in db.session.scalars(
            select(Priority).where(Priority.operation_id == p.operation_id)
        )
    }
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    names = (
        dict(db.session.execute(select(User.id, User.name).where(User.id.in_(actor_ids))).all())
        if actor_ids
        else {}
    )
    entries = []
    for e in events:
        before, after = e.before or {}, e.after or {}
        if e.action == "seizure.create":
            # what the record started with: its filled-in fields
            keys = [k for k in after if k not in SKIPPED and after[k] not in EMPTY]
        else:
            keys = [k for k in after if k not in SKIPPED]
        changes = [
            (
                HISTORY_LABELS.get(k, k),
                _history_value(k, before.get(k), species, ranks) if e.before else "",
                _history_value(k, after.get(k), species, ranks) if e.after else "",
            )
            for k in keys
        ]
        entries.append(
            {
                "event": e,
                "who": names.get(e.actor_id) or e.actor_email or _("a deleted account"),
                "what": e.action.split(".", 1)[-1],
                "source": after.get("source"),
                "changes": changes,
            }
        )
    return render_template(
        "results/seizure_history.html",
        op=p.operation,
        p=p,
        seizure=sz,
        entries=entries,
        active="results",
    )


# -- national results ---------------------------------------------------------------------------
@bp.route(COUNTRY + "/national", methods=["GET", "POST"])
@login_required
def national(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    _require_enter(s, p)
    report = _report(p)
    lock = reports.lock_reason(p, report)
    if lock and request.method == "GET":
        flash(lock, "error")
        return redirect(_country_url(p, "national"))
    form = NationalResultsForm()
    if not form.is_submitted():
        form.load(report)
    conflict, status = None, 200
    if lock:
        status = 422
    elif form.is_submitted():
        stale = form.version.data is not None and form.version.data != report.version
        # a stale copy goes to the service at once, which refuses it before any other error
        if stale or form.validate_on_submit():
            try:
                changed = reports.update_national(s, p, form.to_input(), form.version.data)
            except Conflict as exc:
                db.session.rollback()
                conflict, status = exc.message, 409
            except DomainError as exc:
                db.session.rollback()
                _attach(form, exc)
            else:
                db.session.commit()
                if changed:
                    flash(
                        _("National results of %(country)s saved.", country=p.country.name),
                        "success",
                    )
                return redirect(_country_url(p, "national"))
    return (
        render_template(
            "results/national.html",
            op=p.operation,
            p=p,
            form=form,
            conflict=conflict,
            lock=lock,
            active="results",
        ),
        status,
    )


# -- highlight cases ----------------------------------------------------------------------------
@bp.route(COUNTRY + "/highlights", methods=["POST"])
@login_required
def new_highlight(operation_id: int, iso3: str) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    _require_enter(s, p)
    form = HighlightForm(_nominable(p))
    status = 200
    if form.validate_on_submit():
        chosen = db.session.get(Seizure, form.seizure.data) if form.seizure.data else None
        try:
            if chosen is None or chosen.participation_id != p.id:
                raise DomainError(_("Choose one of your country's seizures."), field="seizure")
            reports.nominate(
                s, p, chosen, form.narrative.data or "", consent=bool(form.consent.data)
            )
        except DomainError as exc:
            db.session.rollback()
            _attach(form, exc)
            if reports.lock_reason(p):
                status = 422
        else:
            db.session.commit()
            flash(
                _("%(ref)s nominated as a highlight case.", ref=chosen.national_reference),
                "success",
            )
            return redirect(_country_url(p, "highlights"))
    return _render_country(s, p, status=status, highlight_form=form)


@bp.route(COUNTRY + "/highlights/<int:highlight_id>/delete", methods=["POST"])
@login_required
def delete_highlight(operation_id: int, iso3: str, highlight_id: int) -> Any:
    s = scope()
    p = s.participation_or_404(operation_id, iso3)
    case = db.session.get(HighlightCase, highlight_id)
    if case is None or case.participation_id != p.id:
        raise NotFound("highlight case not found")
    _require_enter(s, p)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    reference = case.seizure.national_reference
    try:
        reports.withdraw_highlight(s, p, case)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("%(ref)s is no longer a highlight case.", ref=reference), "success")
    return redirect(_country_url(p, "highlights"))
