"""The network directory: information sheets (list, sheet with history, edit, HTML/PDF export,
the comparative table and its export), the focal-point directory (search, exports, entries)
and its confirmation rounds."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.forms.directory import CompareForm, ContactForm, OpenRoundForm, SheetForm
from opsplanner.models import Network, Role
from opsplanner.services import contacts, sheets
from opsplanner.services.errors import Conflict, DomainError
from opsplanner.services.pdf import PdfUnavailable, html_to_pdf
from opsplanner.views.common import MIMETYPES, roles_required, scope, table_file

bp = Blueprint("directory", __name__, url_prefix="/directory")


def _network_or_404(acronym: str) -> Network:
    net = db.session.scalar(select(Network).where(Network.acronym == acronym))
    if net is None:
        abort(404)
    return net


@bp.app_template_global()
def network_directory(net: Network) -> dict[str, Any]:
    """What a network's page shows from the directory: its sheet's status and the catalogue
    entries that serve it."""
    from opsplanner.services import catalogue

    s = scope()
    return {
        "status": sheets.status_of(net),
        "tools": catalogue.serving(net, s.today),
        "may_edit": s.may_edit_sheet(net),
        "regions": catalogue.region_names(),
    }


@bp.app_template_global()
def own_sheet_status() -> sheets.SheetStatus | None:
    """A coordinator's own network sheet, for the reminder on their home page."""
    if not current_user.is_authenticated or current_user.role is not Role.COORDINATOR:
        return None
    return sheets.status_of(current_user.network) if current_user.network else None


# -- information sheets ---------------------------------------------------------------------
@bp.route("/")
@login_required
def index() -> Any:
    s = scope()
    return render_template(
        "directory/index.html",
        statuses=sheets.statuses(),
        outbox=sheets.outbox() if s.is_organiser else [],
        scope=s,
        active="sheets",
    )


@bp.route("/networks/<acronym>")
@login_required
def sheet(acronym: str) -> Any:
    net = _network_or_404(acronym)
    status = sheets.status_of(net)
    return render_template(
        "directory/sheet.html",
        net=net,
        status=status,
        values=sheets.content(status.sheet),
        version=None,
        may_edit=scope().may_edit_sheet(net),
        fields=sheets.SHEET_FIELDS,
        display=sheets.display,
        active="sheets",
    )


@bp.route("/networks/<acronym>/versions/<int:number>")
@login_required
def sheet_version(acronym: str, number: int) -> Any:
    net = _network_or_404(acronym)
    status = sheets.status_of(net)
    past = sheets.version_of(status.sheet, number) if status.sheet else None
    if past is None:
        abort(404)
    return render_template(
        "directory/sheet.html",
        net=net,
        status=status,
        values=past.content,
        version=past,
        may_edit=False,
        fields=sheets.SHEET_FIELDS,
        display=sheets.display,
        active="sheets",
    )


@bp.route("/networks/<acronym>/edit", methods=["GET", "POST"])
@login_required
def edit_sheet(acronym: str) -> Any:
    net = _network_or_404(acronym)
    if not scope().may_edit_sheet(net):
        abort(404)
    current = sheets.sheet_of(net)
    form = SheetForm()
    if not form.is_submitted():
        form.load(sheets.content(current), current.version if current else 0)
    conflict, status = None, 200
    if form.is_submitted():
        try:
            # a stale copy is refused before its other errors, which would be moot
            if form.version_number is not None:
                sheets.check_version(current, form.version_number)
            if form.validate_on_submit():
                sheets.save(net, form.values(), form.version_number, current_user)
                db.session.commit()
                flash(_("The sheet of %(network)s is saved.", network=net.acronym), "success")
                return redirect(url_for("directory.sheet", acronym=net.acronym))
        except Conflict as exc:
            db.session.rollback()
            conflict, status = exc.message, 409
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "formation_date").errors.append(exc.message)
    return (
        render_template(
            "directory/sheet_form.html",
            net=net,
            form=form,
            fields=sheets.SHEET_FIELDS,
            conflict=conflict,
            active="sheets",
        ),
        status,
    )


def _sheet_document(net: Network) -> str:
    status = sheets.status_of(net)
    return render_template(
        "directory/sheet_document.html",
        net=net,
        status=status,
        values=sheets.content(status.sheet),
        fields=sheets.SHEET_FIELDS,
        display=sheets.display,
        today=scope().today,
    )


@bp.route("/networks/<acronym>/sheet.<any(html, pdf):fmt>")
@login_required
def sheet_export(acronym: str, fmt: str) -> Any:
    net = _network_or_404(acronym)
    html = _sheet_document(net)
    name = f"{net.acronym.lower().replace(' ', '-')}-information-sheet.{fmt}"
    if fmt == "html":
        data = io.BytesIO(html.encode("utf-8"))
    else:
        try:
            data = io.BytesIO(html_to_pdf(html))
        except PdfUnavailable as exc:
            return render_template("error.html", status=503, message=str(exc)), 503
    return send_file(data, mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name)


@bp.route("/compare")
@login_required
def compare() -> Any:
    form = CompareForm(request.args)
    form.validate()
    comparison = sheets.compare(form.chosen_fields(), form.filters())
    form.fields.data = [k for k, _label in comparison.columns]
    return render_template(
        "directory/compare.html",
        form=form,
        comparison=comparison,
        query=request.query_string.decode(),
        active="compare",
    )


@bp.route("/compare.<any(csv, xlsx):fmt>")
@login_required
def compare_export(fmt: str) -> Any:
    form = CompareForm(request.args)
    form.validate()
    header, rows = sheets.comparison_table(sheets.compare(form.chosen_fields(), form.filters()))
    return table_file(fmt, f"network-comparison.{fmt}", "Networks", header, rows)


# -- the focal-point directory --------------------------------------------------------------
def _search_query() -> contacts.SearchQuery:
    network = request.args.get("network", "")
    return contacts.SearchQuery(
        q=(request.args.get("q") or "").strip()[:100],
        network_id=int(network) if network.isdigit() else None,
        country_iso3=(request.args.get("country") or "").strip().upper()[:3] or None,
    )


def _contacts_scope() -> Any:
    s = scope()
    if not s.sees_country_detail:
        abort(404)  # personal data: communications staff see no entry at all
    return s


@bp.route("/contacts/")
@login_required
def contacts_page() -> Any:
    s = _contacts_scope()
    query = _search_query()
    rows = contacts.search(s.contacts(), query)
    return render_template(
        "directory/contacts.html",
        rows=rows,
        query=query,
        networks=contacts.network_choices(),
        rnd=contacts.current_round(),
        scope=s,
        kinds=contacts.kind_labels(),
        active="contacts",
    )


@bp.route("/contacts.<any(csv, xlsx, vcf):fmt>")
@login_required
def contacts_export(fmt: str) -> Any:
    s = _contacts_scope()
    query = _search_query()
    rows = contacts.search(s.contacts(), query)
    contacts.record_export(current_user, fmt, len(rows), query)
    db.session.commit()
    name = f"focal-point-directory.{fmt}"
    if fmt == "vcf":
        data = io.BytesIO(contacts.to_vcards(rows).encode("utf-8"))
        return send_file(data, mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name)
    return table_file(fmt, name, "Directory", contacts.EXPORT_HEADER, contacts.export_rows(rows))


@bp.route("/contacts/new", methods=["GET", "POST"])
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def new_contact() -> Any:
    s = scope()
    form = ContactForm(s)
    if form.validate_on_submit():
        try:
            c = contacts.create(s, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("%(name)s is in the directory.", name=c.name), "success")
            return redirect(url_for("directory.contacts_page"))
    return render_template(
        "directory/contact_form.html", form=form, contact=None, active="contacts"
    )


@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
@login_required
def edit_contact(contact_id: int) -> Any:
    s = _contacts_scope()
    c = s.contact_or_404(contact_id)
    if not s.may_manage_contact(c):
        abort(404)
    restricted = not s.is_organiser and s.is_own_entry(c)
    form = ContactForm(s, restricted=restricted)
    if not form.is_submitted():
        form.load(c)
    elif restricted:
        form.pin_placement(c)
    if form.validate_on_submit():
        try:
            changed = contacts.update(s, c, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            db.session.commit()
            if changed:
                flash(_("The entry of %(name)s is saved.", name=c.name), "success")
            return redirect(url_for("directory.contacts_page"))
    return render_template(
        "directory/contact_form.html",
        form=form,
        contact=c,
        may_delete=s.may_delete_contact(c),
        rnd=contacts.current_round(),
        active="contacts",
    )


@bp.route("/contacts/<int:contact_id>/delete", methods=["POST"])
@login_required
def delete_contact(contact_id: int) -> Any:
    s = _contacts_scope()
    c = s.contact_or_404(contact_id)
    if not s.may_delete_contact(c):
        abort(404)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    name = c.name
    contacts.delete(c, current_user)
    db.session.commit()
    flash(_("%(name)s is removed from the directory.", name=name), "success")
    return redirect(url_for("directory.contacts_page"))


# -- confirmation rounds --------------------------------------------------------------------
@bp.route("/rounds/", methods=["GET", "POST"])
@login_required
def rounds() -> Any:
    s = _contacts_scope()
    if request.method == "POST" and not s.is_organiser:
        abort(404)
    form = OpenRoundForm() if s.is_organiser else None
    if form is not None and form.validate_on_submit():
        try:
            rnd = contacts.open_round(current_user, form.closes_at())
        except DomainError as exc:
            db.session.rollback()
            form.closes_on.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("The confirmation round is open."), "success")
            return redirect(url_for("directory.round_page", round_id=rnd.id))
    return render_template(
        "directory/rounds.html",
        form=form,
        rounds=contacts.rounds(),
        current=contacts.current_round(),
        next_due=contacts.next_round_due(),
        active="rounds",
    )


@bp.route("/rounds/<int:round_id>")
@login_required
def round_page(round_id: int) -> Any:
    s = _contacts_scope()
    rnd = contacts.round_or_404(round_id)
    view = contacts.round_view(s, rnd)
    return render_template(
        "directory/round.html",
        view=view,
        is_open=rnd.is_open(contacts.now_utc()),
        scope=s,
        confirm_form=FlaskForm(),
        kinds=contacts.kind_labels(),
        active="rounds",
    )


@bp.route("/rounds/<int:round_id>/contacts/<int:contact_id>/confirm", methods=["POST"])
@login_required
def confirm(round_id: int, contact_id: int) -> Any:
    s = _contacts_scope()
    rnd = contacts.round_or_404(round_id)
    c = s.contact_or_404(contact_id)
    if not s.may_confirm_contact(c):
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        contacts.confirm(s, rnd, c, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The entry of %(name)s is confirmed.", name=c.name), "success")
    return redirect(url_for("directory.round_page", round_id=rnd.id))
