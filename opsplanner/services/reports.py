"""A country's report for an operation and its review, DHIS2-style: the focal point submits,
the coordinating network's coordinator validates, the organiser approves; any of them can
return it with a comment. Submitted, validated and approved reports are locked, and every
page says why; the organiser can reopen one. Also the national results (counts, never names)
and the highlight cases nominated for the press."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from opsplanner.extensions import db
from opsplanner.models import (
    Country,
    CountryReport,
    HighlightCase,
    OperationPhase,
    Participation,
    ParticipationStatus,
    ReportStatus,
    ReportTransition,
    Role,
    Seizure,
    User,
)
from opsplanner.services import archive, audit
from opsplanner.services.errors import Conflict, DomainError, Forbidden
from opsplanner.services.scoping import Scope

# Seizures are reported as they happen during the window, in the reporting phase, and late
# (after the deadline, while the evaluation runs: such reports count as not on time).
REPORTING_PHASES = (OperationPhase.ACTIVE, OperationPhase.REPORTING, OperationPhase.EVALUATION)
EDITABLE_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)
REPORTED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.VALIDATED, ReportStatus.APPROVED)

STATUS_LABELS = {
    ReportStatus.DRAFT: _l("Draft"),
    ReportStatus.SUBMITTED: _l("Submitted"),
    ReportStatus.VALIDATED: _l("Validated"),
    ReportStatus.APPROVED: _l("Approved"),
    ReportStatus.RETURNED: _l("Returned"),
}

ACTIONS = ("submit", "validate", "approve", "return", "reopen")
ACTION_LABELS = {
    "submit": _l("Submit"),
    "validate": _l("Validate"),
    "approve": _l("Approve"),
    "return": _l("Return with a comment"),
    "reopen": _l("Reopen"),
}
# action -> (statuses it starts from, status it leads to)
MOVES: dict[str, tuple[tuple[ReportStatus, ...], ReportStatus]] = {
    "submit": (EDITABLE_STATUSES, ReportStatus.SUBMITTED),
    "validate": ((ReportStatus.SUBMITTED,), ReportStatus.VALIDATED),
    "approve": ((ReportStatus.VALIDATED,), ReportStatus.APPROVED),
    "return": (REPORTED_STATUSES, ReportStatus.RETURNED),
    "reopen": (REPORTED_STATUSES, ReportStatus.DRAFT),
}
COMMENT_MAX = 4000


# -- the report of a participation --------------------------------------------------------------
def report_for(p: Participation) -> CountryReport:
    """The country's report, created (as a draft) the first time anyone looks at it."""
    report = db.session.scalar(select(CountryReport).where(CountryReport.participation_id == p.id))
    if report is None:
        report = CountryReport(participation=p, status=ReportStatus.DRAFT)
        db.session.add(report)
        db.session.flush()
    return report


def existing_report(p: Participation) -> CountryReport | None:
    return db.session.scalar(select(CountryReport).where(CountryReport.participation_id == p.id))


def submitted_on_time(report: CountryReport | None, deadline: datetime) -> bool | None:
    """Whether the first submission came by the deadline (later resubmissions after a return
    do not move it); None until the report is first submitted."""
    if report is None or report.first_submitted_at is None:
        return None
    return report.first_submitted_at <= deadline


def status_of(p: Participation) -> ReportStatus:
    report = existing_report(p)
    return report.status if report else ReportStatus.DRAFT


# -- who may do what ------------------------------------------------------------------------------
def is_own_country(scope: Scope, p: Participation) -> bool:
    return scope.role is Role.FOCAL_POINT and scope.user.country_iso3 == p.country_iso3


def coordinates(scope: Scope, p: Participation) -> bool:
    """The coordinator of the network that coordinates this country in the operation."""
    return (
        scope.role is Role.COORDINATOR
        and p.network_id is not None
        and scope.user.network_id == p.network_id
    )


def may_enter(scope: Scope, p: Participation) -> bool:
    """Enter and change results: the country's focal point, or an organiser stepping in."""
    return scope.is_organiser or is_own_country(scope, p)


def may_act(scope: Scope, p: Participation, action: str) -> bool:
    """Whether this viewer holds the role for ``action`` (status is checked separately)."""
    if scope.is_organiser:
        return True
    if action == "submit":
        return is_own_country(scope, p)
    if action in ("validate", "return"):
        return coordinates(scope, p)
    return False


def phase_refusal(p: Participation) -> str | None:
    op = p.operation
    if op.phase in (OperationPhase.PUBLISHED, OperationPhase.ARCHIVED):
        return _(
            "%(operation)s is %(phase)s: its results can no longer change.",
            operation=op.code_name,
            phase=op.phase.value,
        )
    if op.phase not in REPORTING_PHASES:
        return _(
            "Results are reported from the start of the operation window; %(operation)s is "
            "still in %(phase)s.",
            operation=op.code_name,
            phase=op.phase.value,
        )
    if p.status is not ParticipationStatus.CONFIRMED:
        return _(
            "%(country)s has not confirmed its participation: it has no results to report.",
            country=p.country.name,
        )
    return None


def lock_reason(p: Participation, report: CountryReport | None = None) -> str | None:
    """Why the country's results cannot be changed now, as the page tells it; None if they can."""
    if reason := phase_refusal(p):
        return reason
    report = report if report is not None else existing_report(p)
    if report is None or report.status in EDITABLE_STATUSES:
        return None
    when = _when(report)
    if report.status is ReportStatus.SUBMITTED:
        if p.network_id is not None:
            return _(
                "Submitted %(when)s: locked while %(network)s validates it. Ask the coordinator "
                "to return it if something must change.",
                when=when,
                network=p.network.acronym if p.network else "",
            )
        return _(
            "Submitted %(when)s: locked while the organiser reviews it. Ask the organiser to "
            "return it if something must change.",
            when=when,
        )
    if report.status is ReportStatus.VALIDATED:
        return _(
            "Validated %(when)s: locked while the organiser approves it. Ask the organiser to "
            "return it if something must change.",
            when=when,
        )
    return _(
        "Approved %(when)s: the results are final. Only an organiser can reopen them.",
        when=when,
    )


def _when(report: CountryReport) -> str:
    moment = {
        ReportStatus.SUBMITTED: report.submitted_at,
        ReportStatus.VALIDATED: report.validated_at,
        ReportStatus.APPROVED: report.approved_at,
    }.get(report.status)
    return _("on %(date)s", date=moment.strftime("%Y-%m-%d %H:%M UTC")) if moment else ""


def ensure_editable(scope: Scope, p: Participation) -> CountryReport:
    """Refuse a change of the results with the reason; return the (editable) report."""
    archive.ensure_writable(p.operation)
    if not may_enter(scope, p):
        raise Forbidden(_("Only the country's focal point or an organiser can change its results."))
    report = report_for(p)
    if reason := lock_reason(p, report):
        raise DomainError(reason)
    return report


# -- moving a report -------------------------------------------------------------------------------
def available_actions(scope: Scope, p: Participation, report: CountryReport) -> list[str]:
    return [action for action in ACTIONS if refusal(scope, p, report, action) is None]


def refusal(scope: Scope, p: Participation, report: CountryReport, action: str) -> str | None:
    """Why ``action`` cannot be done on this report by this viewer; None when it can."""
    if action not in MOVES:
        return _("Unknown action %(action)s.", action=action)
    if reason := phase_refusal(p):
        return reason
    if not may_act(scope, p, action):
        return {
            "submit": _("Only the country's focal point or an organiser submits its results."),
            "validate": _(
                "Only the coordinator of the country's network (or an organiser) validates."
            ),
            "approve": _("Only an organiser approves results."),
            "return": _("Only the country's network coordinator or an organiser returns results."),
            "reopen": _("Only an organiser reopens results."),
        }[action]
    origins, _target = MOVES[action]
    if report.status not in origins:
        return _(
            "The report of %(country)s is %(status)s: it cannot be %(action)s now.",
            country=p.country.name,
            status=str(STATUS_LABELS[report.status]).lower(),
            action=_past(action),
        )
    if action == "return" and report.status is ReportStatus.APPROVED and not scope.is_organiser:
        return _("Approved results are returned by an organiser only.")
    return None


def _past(action: str) -> str:
    return {
        "submit": _("submitted"),
        "validate": _("validated"),
        "approve": _("approved"),
        "return": _("returned"),
        "reopen": _("reopened"),
    }[action]


def transition(
    scope: Scope,
    p: Participation,
    action: str,
    *,
    comment: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> CountryReport:
    """Move the report; a return needs a comment. With ``version`` (the page's copy), a report
    that moved in between is refused with a conflict instead of acting on a stale view."""
    archive.ensure_writable(p.operation)
    report = report_for(p)
    if version is not None and version != report.version:
        raise Conflict(
            _(
                "The report of %(country)s changed since you opened it (it is now %(status)s). "
                "Reload the page and try again.",
                country=p.country.name,
                status=str(STATUS_LABELS[report.status]).lower(),
            ),
            field="version",
        )
    if reason := refusal(scope, p, report, action):
        raise DomainError(reason)
    comment = comment.strip()
    if action == "return" and not comment:
        raise DomainError(
            _("Say what must change: a returned report needs a comment."), field="comment"
        )
    if len(comment) > COMMENT_MAX:
        raise DomainError(
            _("Keep the comment under %(n)d characters.", n=COMMENT_MAX), field="comment"
        )
    now = now or datetime.now(UTC)
    before = report.status
    target = MOVES[action][1]
    user = scope.user
    report.status = target
    if action == "submit":
        report.submitted_at, report.submitted_by_id = now, user.id
        if report.first_submitted_at is None:
            report.first_submitted_at = now
        report.return_comment = ""
    elif action == "validate":
        report.validated_at, report.validated_by_id = now, user.id
    elif action == "approve":
        report.approved_at, report.approved_by_id = now, user.id
    else:  # return, reopen: the review starts again
        report.validated_at = report.approved_at = None
        report.validated_by_id = report.approved_by_id = None
        if action == "return":
            report.return_comment = comment
    report.transitions.append(
        ReportTransition(
            action=action,
            from_status=before,
            to_status=target,
            comment=comment,
            at=now,
            by_id=user.id,
        )
    )
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(
            _("Someone else changed this report at the same moment. Reload and try again.")
        ) from None
    audit.record(
        user,
        f"report.{action}",
        "country_report",
        report.id,
        before={"status": before.value},
        after={"status": target.value, **({"comment": comment} if comment else {})},
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )
    return report


@dataclass
class BulkOutcome:
    done: list[str] = field(default_factory=list)  # ISO3 codes moved
    skipped: dict[str, str] = field(default_factory=dict)  # ISO3 -> reason


def bulk_transition(
    scope: Scope, participations: list[Participation], action: str, *, comment: str = ""
) -> BulkOutcome:
    """Apply ``action`` to a whole filtered set (the caller loaded it through the scope):
    every report that can move does; the others are listed with the reason."""
    for operation in {p.operation for p in participations}:
        archive.ensure_writable(operation)
    if action == "return" and not comment.strip():
        raise DomainError(
            _("Say what must change: a returned report needs a comment."), field="comment"
        )
    outcome = BulkOutcome()
    for p in participations:
        report = report_for(p)
        if reason := refusal(scope, p, report, action):
            outcome.skipped[p.country_iso3] = reason
            continue
        transition(scope, p, action, comment=comment)
        outcome.done.append(p.country_iso3)
    return outcome


# -- national results -----------------------------------------------------------------------------
COUNT_FIELDS = (
    "arrests",
    "investigations_opened",
    "prosecutions_initiated",
    "companies_implicated",
    "criminal_networks_identified",
    "financial_investigations_opened",
    "online_adverts_removed",
    "online_accounts_removed",
    "international_notices_requested",
)
COUNT_LABELS = {
    "arrests": _l("Arrests"),
    "investigations_opened": _l("Investigations opened"),
    "prosecutions_initiated": _l("Prosecutions initiated"),
    "companies_implicated": _l("Companies implicated"),
    "criminal_networks_identified": _l("Criminal networks identified"),
    "financial_investigations_opened": _l("Financial investigations opened"),
    "online_adverts_removed": _l("Online adverts removed"),
    "online_accounts_removed": _l("Online accounts removed"),
    "international_notices_requested": _l("International notices requested"),
}
COUNT_MAX = 1_000_000


@dataclass
class NationalResultsInput:
    counts: dict[str, int] = field(default_factory=dict)
    suspects_by_nationality: dict[str, int] = field(default_factory=dict)
    assets_seized_amount: Decimal | None = None
    assets_seized_currency: str = ""
    consent_to_be_named: bool = False
    notes: str = ""


def check_national(data: NationalResultsInput) -> list[tuple[str, str]]:
    import pycountry

    errors: list[tuple[str, str]] = []
    for name in COUNT_FIELDS:
        value = data.counts.get(name, 0)
        if value < 0:
            errors.append((name, _("A count cannot be negative.")))
        elif value > COUNT_MAX:
            errors.append((name, _("%(value)d is more than %(max)d.", value=value, max=COUNT_MAX)))
    known = set(db.session.scalars(select(Country.iso3)))
    for code, count in data.suspects_by_nationality.items():
        if code not in known:
            errors.append(
                (
                    "suspects_by_nationality",
                    _("Unknown nationality %(code)s: use ISO 3166 alpha-3 codes.", code=code),
                )
            )
        elif count < 1 or count > COUNT_MAX:
            errors.append(
                (
                    "suspects_by_nationality",
                    _("Give a count of at least 1 for %(code)s.", code=code),
                )
            )
    amount, currency = data.assets_seized_amount, data.assets_seized_currency.strip().upper()
    if amount is not None and amount < 0:
        errors.append(("assets_seized_amount", _("An amount cannot be negative.")))
    if amount is not None and amount > Decimal("9999999999999999"):
        errors.append(("assets_seized_amount", _("This amount is too large.")))
    if amount and not currency:
        errors.append(
            ("assets_seized_currency", _("Say in which currency (ISO 4217, e.g. USD, KES).")),
        )
    if currency and pycountry.currencies.get(alpha_3=currency) is None:
        errors.append(
            (
                "assets_seized_currency",
                _("Unknown currency %(code)s: use an ISO 4217 code such as USD.", code=currency),
            )
        )
    if len(data.notes) > COMMENT_MAX:
        errors.append(("notes", _("Keep the notes under %(n)d characters.", n=COMMENT_MAX)))
    return errors


def national_snapshot(r: CountryReport) -> dict[str, Any]:
    return {
        **{name: getattr(r, name) for name in COUNT_FIELDS},
        "suspects_by_nationality": dict(sorted(r.suspects_by_nationality.items())),
        "assets_seized_amount": (
            str(r.assets_seized_amount) if r.assets_seized_amount is not None else None
        ),
        "assets_seized_currency": r.assets_seized_currency,
        "consent_to_be_named": r.consent_to_be_named,
        "notes": r.notes,
    }


def update_national(
    scope: Scope, p: Participation, data: NationalResultsInput, version: int | None
) -> bool:
    """Save the national results the caller opened at ``version``; False when nothing changed."""
    report = ensure_editable(scope, p)
    if version is None:
        raise DomainError(_("Send the version of the report you are changing."), field="version")
    if version != report.version:
        raise Conflict(
            _(
                "These results were changed by someone else since you opened them (now at "
                "version %(version)d). Reload to see their changes, then make yours again.",
                version=report.version,
            ),
            field="version",
        )
    if errors := check_national(data):
        name, message = errors[0]
        raise DomainError(message, field=name)
    before = national_snapshot(report)
    for name in COUNT_FIELDS:
        setattr(report, name, int(data.counts.get(name, 0)))
    report.suspects_by_nationality = dict(sorted(data.suspects_by_nationality.items()))
    report.assets_seized_amount = data.assets_seized_amount
    report.assets_seized_currency = data.assets_seized_currency.strip().upper()
    report.consent_to_be_named = data.consent_to_be_named
    report.notes = data.notes.strip()
    old, new = audit.changes(before, national_snapshot(report))
    if not new:
        return False
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(
            _("Someone else saved these results at the same moment. Reload and try again.")
        ) from None
    audit.record(
        scope.user,
        "report.national_results",
        "country_report",
        report.id,
        before=old,
        after=new,
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )
    return True


# -- highlight cases -----------------------------------------------------------------------------
NARRATIVE_MAX = 2000


def highlights(p: Participation) -> list[HighlightCase]:
    return list(
        db.session.scalars(
            select(HighlightCase)
            .where(HighlightCase.participation_id == p.id)
            .order_by(HighlightCase.created_at, HighlightCase.id)
        )
    )


def nominate(
    scope: Scope, p: Participation, seizure: Seizure, narrative: str, consent: bool
) -> HighlightCase:
    ensure_editable(scope, p)
    if seizure.participation_id != p.id:
        raise DomainError(_("Choose one of your country's seizures."), field="seizure")
    text = narrative.strip()
    if not text:
        raise DomainError(
            _("Write a short narrative of the case for the press."), field="narrative"
        )
    if len(text) > NARRATIVE_MAX:
        raise DomainError(
            _("Keep the narrative under %(n)d characters.", n=NARRATIVE_MAX), field="narrative"
        )
    if seizure.sensitive:
        raise DomainError(
            _(
                "%(ref)s is a sensitive case under investigation: it cannot go to the press.",
                ref=seizure.national_reference,
            ),
            field="seizure",
        )
    existing = db.session.scalar(
        select(HighlightCase).where(HighlightCase.seizure_id == seizure.id)
    )
    if existing is not None:
        raise Conflict(
            _("%(ref)s is already nominated.", ref=seizure.national_reference), field="seizure"
        )
    case = HighlightCase(
        participation=p,
        seizure=seizure,
        narrative=text,
        consent=consent,
        created_by_id=scope.user.id,
    )
    db.session.add(case)
    db.session.flush()
    audit.record(
        scope.user,
        "highlight.create",
        "highlight_case",
        case.id,
        after={"seizure": seizure.national_reference, "narrative": text, "consent": consent},
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )
    return case


def withdraw_highlight(scope: Scope, p: Participation, case: HighlightCase) -> None:
    ensure_editable(scope, p)
    if case.participation_id != p.id:
        raise DomainError(_("Not a highlight case of this country."))
    audit.record(
        scope.user,
        "highlight.delete",
        "highlight_case",
        case.id,
        before={"narrative": case.narrative, "consent": case.consent},
        operation_id=p.operation_id,
        country_iso3=p.country_iso3,
    )
    db.session.delete(case)
    db.session.flush()


def user_label(user: User | None) -> str:
    return user.name if user is not None else _("a deleted account")
