"""The post-operation evaluation pages of an operation.

Who sees what (anything outside the scope is 404; communications get 404 everywhere, the
answers can be sensitive):

- ``questionnaire`` and ``deadline``: organisers configure the questionnaire (versioned; frozen
  once answers arrive) and the date answers are due.
- ``responses``: who is expected to answer, who has, per network and overall, whom to ask, and
  the reminders sent: organisers (everyone), coordinators (their network's respondents).
- ``country`` / ``network``: the answer form. A country's focal point answers for it and a
  network's coordinator for the network; organisers and the country's coordinator read it.
- ``reopen``: organisers unlock submitted answers.
- ``report`` and ``download`` (HTML, PDF): the summary of the submitted answers, for
  organisers (everyone) and coordinators (their network's respondents). Focal points see their
  own answers only, never the summary of others'.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from opsplanner.extensions import db
from opsplanner.forms.evaluation import AnswerForm, DeadlineForm, QuestionnaireForm, ReopenForm
from opsplanner.models import Operation, Questionnaire, ResponseStatus, Role
from opsplanner.security import allow_chart_styles
from opsplanner.services import (
    archive,
    charts,
    evaluation,
    evaluation_charts,
    evaluation_reminders,
    pdf,
)
from opsplanner.services.errors import Conflict, DomainError
from opsplanner.services.evaluation import QuestionnaireInput, Respondent, label_of
from opsplanner.services.evaluation_report import (
    NA_COLOUR,
    evaluation_summary,
    rating_colours,
    summary_html,
    summary_pdf,
)
from opsplanner.services.scoping import Scope
from opsplanner.views.common import MIMETYPES, roles_required, scope

bp = Blueprint("evaluation", __name__, url_prefix="/operations/<int:operation_id>/evaluation")

EVALUATORS = (Role.ORGANISER, Role.COORDINATOR, Role.FOCAL_POINT)


def _answer_url(op: Operation, r: Respondent) -> str:
    if r.iso3 is not None:
        return url_for("evaluation.country", operation_id=op.id, iso3=r.iso3)
    return url_for("evaluation.network", operation_id=op.id, network_id=r.network_id)


def _transient_defaults(op: Operation) -> Questionnaire:
    """The default questionnaire, shown before the organiser has saved one (not stored)."""
    data = QuestionnaireInput.defaults().content()
    return Questionnaire(operation_id=op.id, version=0, **data)


# -- the organiser's configuration ----------------------------------------------------------------
def _questionnaire_page(
    op: Operation,
    form: QuestionnaireForm,
    deadline_form: DeadlineForm,
    conflict: str | None,
    status: int = 200,
) -> Any:
    current = evaluation.current_questionnaire(op)
    return (
        render_template(
            "evaluation/questionnaire.html",
            op=op,
            form=form,
            deadline_form=deadline_form,
            current=current,
            frozen=evaluation.is_frozen(current),
            archived=archive.is_archived(op),
            versions=evaluation.versions(op),
            answers=evaluation.response_count(op),
            conflict=conflict,
            label_of=label_of,
            active="evaluation",
        ),
        status,
    )


@bp.route("/questionnaire", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def questionnaire(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    current = evaluation.current_questionnaire(op)
    form = QuestionnaireForm()
    deadline_form = DeadlineForm(prefix="deadline")
    if not deadline_form.is_submitted():
        deadline_form.evaluation_deadline.data = op.evaluation_deadline
    if not form.is_submitted():
        data = QuestionnaireInput.of(current) if current else QuestionnaireInput.defaults()
        form.load(data, current.version if current else 0)
        if current is None:
            form.intro.data = str(evaluation.DEFAULT_INTRO)
        return _questionnaire_page(op, form, deadline_form, None)
    conflict, status = None, 200
    in_use = current.version if current else 0
    stale = form.version.data is not None and form.version.data != in_use
    frozen = evaluation.is_frozen(current)
    if stale or frozen or form.validate_on_submit():
        try:
            saved = evaluation.save_questionnaire(
                op, form.to_input(), form.version.data, current_user._get_current_object()
            )
        except Conflict as exc:
            db.session.rollback()
            conflict, status = exc.message, 409
        except DomainError as exc:
            db.session.rollback()
            target = getattr(form, exc.field or "", None)
            if target is None:
                form.form_errors.append(exc.message)
            else:
                target.errors = [*target.errors, exc.message]
            status = 422
        else:
            changed = saved is not current
            db.session.commit()
            if changed:
                flash(_("Questionnaire saved as version %(v)d.", v=saved.version), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("evaluation.questionnaire", operation_id=op.id))
    else:
        status = 422
    return _questionnaire_page(op, form, deadline_form, conflict, status)


@bp.route("/deadline", methods=["POST"])
@roles_required(Role.ORGANISER)
def deadline(operation_id: int) -> Any:
    op = scope().operation_or_404(operation_id)
    form = DeadlineForm(prefix="deadline")
    if not form.validate_on_submit():
        for message in form.evaluation_deadline.errors:
            flash(str(message), "error")
        return redirect(url_for("evaluation.questionnaire", operation_id=op.id))
    try:
        changed = evaluation.set_deadline(op, form.value(), current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        if changed:
            flash(_("Evaluation deadline saved."), "success")
    return redirect(url_for("evaluation.questionnaire", operation_id=op.id))


# -- completeness ---------------------------------------------------------------------------------
@bp.route("/responses")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def responses(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    board = evaluation.completeness(op, s)
    return render_template(
        "evaluation/responses.html",
        status_labels=evaluation.STATUS_LABELS,
        op=op,
        board=board,
        answer_url=lambda r: _answer_url(op, r),
        reminders=evaluation_reminders.outbox(op, {row.respondent.key for row in board.rows}),
        stage=evaluation_reminders.stage_for(op, evaluation_reminders.now_utc()),
        labels={row.respondent.key: row.respondent.label for row in board.rows},
        active="evaluation",
    )


# -- answering ---------------------------------------------------------------------------------
def _answer(s: Scope, op: Operation, respondent: Respondent) -> Any:
    if request.method == "POST" and not evaluation.may_answer(s, respondent):
        # the answers are visible to this viewer (an organiser, a coordinator): say why
        abort(403)
    q = evaluation.current_questionnaire(op)
    if q is None and evaluation.phase_refusal(op) is None:
        q = evaluation.ensure_questionnaire(op, s.user)
        db.session.commit()
    shown = q if q is not None else _transient_defaults(op)
    response = evaluation.response_of(op, respondent)
    lock = evaluation.lock_reason(op, respondent, s, response)
    form = AnswerForm.for_questionnaire(shown)
    if not form.is_submitted():
        form.load(response)
    conflict, status = None, 200
    if request.method == "POST":
        if lock:
            status = 422
        else:
            current = response.version if response is not None else 0
            stale = form.version.data is not None and form.version.data != current
            if stale or form.validate_on_submit():
                submitting = form.submitting
                try:
                    evaluation.save_answers(
                        s, op, respondent, form.to_input(), form.version.data, submit=submitting
                    )
                except Conflict as exc:
                    db.session.rollback()
                    conflict, status = exc.message, 409
                except DomainError as exc:
                    db.session.rollback()
                    form.attach(exc)
                    status = 422
                else:
                    db.session.commit()
                    flash(
                        _("Answers submitted. Thank you.")
                        if submitting
                        else _("Draft saved. Submit the answers when they are complete."),
                        "success",
                    )
                    return redirect(_answer_url(op, respondent))
            else:
                status = 422
    return (
        render_template(
            "evaluation/answer.html",
            status_labels=evaluation.STATUS_LABELS,
            op=op,
            respondent=respondent,
            questionnaire=shown,
            intro=evaluation.intro_of(shown),
            response=response,
            form=form,
            lock=lock,
            conflict=conflict,
            may_reopen=s.is_organiser
            and response is not None
            and response.status is ResponseStatus.SUBMITTED
            and evaluation.phase_refusal(op) is None,
            reopen_form=ReopenForm(),
            active="evaluation",
        ),
        status,
    )


@bp.route("/countries/<iso3>", methods=["GET", "POST"])
@roles_required(*EVALUATORS)
def country(operation_id: int, iso3: str) -> Any:
    s = scope()
    respondent = evaluation.country_respondent_or_404(s, operation_id, iso3)
    assert respondent.participation is not None
    return _answer(s, respondent.participation.operation, respondent)


@bp.route("/networks/<int:network_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def network(operation_id: int, network_id: int) -> Any:
    s = scope()
    respondent = evaluation.network_respondent_or_404(s, operation_id, network_id)
    return _answer(s, s.operation_or_404(operation_id), respondent)


@bp.route("/responses/<int:response_id>/reopen", methods=["POST"])
@roles_required(Role.ORGANISER)
def reopen(operation_id: int, response_id: int) -> Any:
    s = scope()
    response = evaluation.response_or_404(s, operation_id, response_id)
    op = response.operation
    form = ReopenForm()
    respondent = evaluation.respondent_of(response)
    if form.validate_on_submit():
        try:
            evaluation.reopen(s, op, response, (form.reason.data or "").strip())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("The answers of %(who)s are open again.", who=respondent.label), "success")
    else:
        for field, errors in form.errors.items():
            label = getattr(form, field).label.text if hasattr(form, field) else field
            flash(f"{label}: {errors[0]}", "error")
    return redirect(_answer_url(op, respondent))


# -- the report ------------------------------------------------------------------------------
@bp.route("/report")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def report(operation_id: int) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    summary = evaluation_summary(op, s)
    allow_chart_styles()
    return render_template(
        "evaluation/report.html",
        op=op,
        summary=summary,
        ratings_chart=charts.embed(
            evaluation_charts.rating_distribution_chart(
                summary.overall.dimensions, summary.scale_max, _("N/A")
            )
        ),
        challenges_chart=charts.embed(evaluation_charts.challenges_chart(summary.challenges)),
        colours=rating_colours(summary.scale_max),
        na_colour=NA_COLOUR,
        active="evaluation",
    )


@bp.route("/report.<fmt>")
@roles_required(Role.ORGANISER, Role.COORDINATOR)
def download(operation_id: int, fmt: str) -> Any:
    s = scope()
    op = s.operation_or_404(operation_id)
    if fmt not in ("html", "pdf"):
        abort(404)
    summary = evaluation_summary(op, s)
    stem = re.sub(r"[^a-z0-9]+", "-", op.code_name.lower()).strip("-") or str(op.id)
    name = f"evaluation-{stem}.{fmt}"
    if fmt == "html":
        body: bytes = summary_html(summary).encode("utf-8")
    else:
        try:
            body = summary_pdf(summary)
        except pdf.PdfUnavailable as exc:
            return render_template("error.html", status=503, message=str(exc)), 503
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
