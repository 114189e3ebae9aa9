"""The network scoreboard of an operation: indicators computed from the data for each network
that coordinates at least one participation, the checklist its coordinator keeps, an overall
score, and the comparative table of networks (the seed meeting asked for "a checklist-scoreboard
to measure and monitor performance" and "a comparative table ... among WENs").

Definitions (one place, so the pages, the export, the charts and the tests agree):

- a network's member states in an operation = the participations it coordinates
  (``Participation.network_id``), whatever their status: the states invited through it. This is
  the denominator of the five participation indicators, so a member state that declined or
  withdrew counts against the network (the scoreboard measures how well a network brings its
  members into the operation). Countries without a coordinating network are in no row.
- numerators count CONFIRMED participations only (a declined state's briefing or plan is not
  the network's result), so every indicator is at most the confirmed share:
  - confirmed: status confirmed;
  - briefed: attended at least one briefing (``BriefingAttendance.attended``), the readiness
    board's definition;
  - planned: at least one planned activity, the readiness board's definition;
  - reported on time: report submitted, validated or approved now, and first submitted by the
    reporting deadline (``completeness.is_on_time``, built on ``reports.submitted_on_time``), so
    a network's on-time count equals the completeness board's;
  - approved: report status approved.
- evaluation response rate: submitted evaluation responses of the confirmed participations /
  confirmed participations (None without confirmed ones); the network coordinator's own
  response (submitted or not) is shown apart and not part of the rate.
- seizures and arrests per participating state: over the confirmed participations whose report
  is submitted, validated or approved (the basis of ``completeness.summary``: a draft may still
  change), sensitive seizures included (only counts leave this module), divided by the confirmed
  participations. Arrests per country follow the publication pack's rule
  (``pack_figures``): the national result ``CountryReport.arrests`` when above zero, else the
  sum over the country's seizures, so the same people are never counted twice.
- checklist: the items of ``CHECKLIST``; the coordinator's answer counts (an item not answered
  is not done). Where the data suggest an answer (the network's information sheet, the
  directory, briefings, the evaluation), the suggestion is shown next to it, never used.
- score (0-100, one decimal): the mean of the shares that are defined among confirmed,
  briefed, planned, on time, approved, evaluation response rate and the checklist share, times
  100. Seizure and arrest rates are not in it: more seizures is not better performance.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    Activity,
    Agency,
    Briefing,
    BriefingAttendance,
    Contact,
    CountryReport,
    EvaluationResponse,
    Network,
    NetworkChecklistItem,
    NetworkSheet,
    Operation,
    Participation,
    ParticipationStatus,
    ReportStatus,
    ResponseStatus,
    Role,
    Seizure,
    User,
)
from opsplanner.services import archive, audit
from opsplanner.services.completeness import focal_point_emails, is_on_time, is_reported
from opsplanner.services.errors import Conflict, DomainError, NotFound
from opsplanner.services.scoping import Scope
from opsplanner.services.sheets import STALE_AFTER

NOTE_MAX = 500


# -- the indicators --------------------------------------------------------------------------
@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        share = self.share
        return None if share is None else round(100 * share, 1)


# (code, label): the participation indicators, in the order every table shows them
INDICATORS: tuple[tuple[str, Any], ...] = (
    ("confirmed", _l("Confirmed")),
    ("briefed", _l("Briefed")),
    ("planned", _l("Planned activities")),
    ("on_time", _l("Reported on time")),
    ("approved", _l("Report approved")),
    ("evaluation", _l("Evaluation answered")),
)
INDICATOR_CODES = tuple(code for code, _label in INDICATORS)


def indicator_labels() -> dict[str, str]:
    return {code: str(label) for code, label in INDICATORS} | {"checklist": _("Checklist")}


# -- the checklist -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChecklistDef:
    code: str
    label: Any  # lazy: resolved in the viewer's language
    hint: Any


CHECKLIST: tuple[ChecklistDef, ...] = (
    ChecklistDef(
        "secretariat",
        _l("Secretariat in place"),
        _l("The network has a standing secretariat (people and a seat) that runs its work."),
    ),
    ChecklistDef(
        "directory_updated",
        _l("Focal-point directory updated in the last six months"),
        _l("Every entry of the network and its member states confirmed or corrected."),
    ),
    ChecklistDef(
        "prosecutors",
        _l("Prosecutors and judiciary involved"),
        _l("Prosecutors or the judiciary take part in planning or follow-up of cases."),
    ),
    ChecklistDef(
        "secure_channel",
        _l("Secure communication channel in use"),
        _l("Operational information travels over a secure channel (CENcomm, I-24/7, ...)."),
    ),
    ChecklistDef(
        "focal_points",
        _l("National focal points nominated for every member"),
        _l("Each member state taking part has a named national focal point."),
    ),
    ChecklistDef(
        "pre_briefing",
        _l("Pre-operation briefing held"),
        _l("The network briefed its member states before the operation."),
    ),
    ChecklistDef(
        "debrief",
        _l("Post-operation debrief held"),
        _l("The network met its member states after the operation to review it."),
    ),
    ChecklistDef(
        "lessons_shared",
        _l("Lessons shared with ICCWC"),
        _l("The network's lessons learned were passed to the ICCWC partners."),
    ),
)
CHECKLIST_CODES = tuple(item.code for item in CHECKLIST)


@dataclass(frozen=True)
class Suggestion:
    """What the data suggest for a checklist item: ``value`` None when they say nothing."""

    value: bool | None
    reason: str


@dataclass
class ChecklistLine:
    item: ChecklistDef
    done: bool = False
    note: str = ""
    answered: bool = False  # a row exists: the coordinator (or an organiser) said so
    updated_at: datetime | None = None
    updated_by: str = ""
    suggestion: Suggestion | None = None


# -- what one participation contributes -------------------------------------------------------
@dataclass
class MemberFacts:
    """One participation of a network and what it counts for in each indicator."""

    participation: Participation
    confirmed: bool = False
    briefed: bool = False
    planned: bool = False
    on_time: bool = False
    approved: bool = False
    evaluation: bool = False
    report_status: ReportStatus | None = None
    seizures: int = 0
    arrests: int = 0

    @property
    def iso3(self) -> str:
        return self.participation.country_iso3

    @property
    def name(self) -> str:
        return self.participation.country.name

    def counts_for(self, code: str) -> bool:
        return bool(getattr(self, code))


@dataclass
class NetworkScore:
    """The scoreboard of one network in one operation (the contract for the comparison of
    operations: ``network_id``, ``network_name``, ``score``)."""

    network_id: int
    network_acronym: str
    network_name: str
    invited: int
    indicators: dict[str, Ratio]
    coordinator_response: bool
    seizures: int
    arrests: int
    checklist: list[ChecklistLine]
    members: list[MemberFacts] = field(default_factory=list)

    @property
    def confirmed(self) -> int:
        return self.indicators["confirmed"].numerator

    @property
    def seizures_per_state(self) -> float | None:
        return round(self.seizures / self.confirmed, 2) if self.confirmed else None

    @property
    def arrests_per_state(self) -> float | None:
        return round(self.arrests / self.confirmed, 2) if self.confirmed else None

    @property
    def checklist_ratio(self) -> Ratio:
        return Ratio(sum(1 for line in self.checklist if line.done), len(self.checklist))

    @property
    def shares(self) -> dict[str, float | None]:
        """Every share that enters the score, checklist included."""
        values = {code: r.share for code, r in self.indicators.items()}
        values["checklist"] = self.checklist_ratio.share
        return values

    @property
    def score(self) -> float | None:
        defined = [s for s in self.shares.values() if s is not None]
        if not defined:
            return None
        return round(100 * sum(defined) / len(defined), 1)


# -- loading ---------------------------------------------------------------------------------
def coordinates_in(op: Operation, network_id: int) -> bool:
    """Whether the network coordinates any participation of ``op`` (has a scoreboard row)."""
    return (
        db.session.scalar(
            select(Participation.id)
            .where(Participation.operation_id == op.id, Participation.network_id == network_id)
            .limit(1)
        )
        is not None
    )


def _network_participations(op: Operation) -> list[Participation]:
    return list(
        db.session.scalars(
            select(Participation)
            .where(Participation.operation_id == op.id, Participation.network_id.is_not(None))
            .options(
                selectinload(Participation.country),
                selectinload(Participation.network),
                selectinload(Participation.focal_points),
            )
            .order_by(Participation.country_iso3)
        )
    )


def _ids_in(column: Any, ids: Sequence[int], *where: Any) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(select(column).where(column.in_(ids), *where)))


def member_facts(op: Operation, participations: Sequence[Participation]) -> list[MemberFacts]:
    """The indicator facts of each participation (see the module's definitions)."""
    ids = [p.id for p in participations]
    briefed = _ids_in(
        BriefingAttendance.participation_id, ids, BriefingAttendance.attended.is_(True)
    )
    planned = _ids_in(Activity.participation_id, ids)
    answered = _ids_in(
        EvaluationResponse.participation_id,
        ids,
        EvaluationResponse.status == ResponseStatus.SUBMITTED,
    )
    reports = (
        {
            r.participation_id: r
            for r in db.session.scalars(
                select(CountryReport).where(CountryReport.participation_id.in_(ids))
            )
        }
        if ids
        else {}
    )
    counted = [pid for pid, r in reports.items() if is_reported(r.status)]
    per_seizure: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if counted:
        for pid, arrests in db.session.execute(
            select(Seizure.participation_id, Seizure.arrests).where(
                Seizure.participation_id.in_(counted)
            )
        ):
            per_seizure[pid][0] += 1
            per_seizure[pid][1] += arrests or 0
    facts = []
    for p in participations:
        f = MemberFacts(p)
        report = reports.get(p.id)
        f.report_status = report.status if report else None
        if p.status is ParticipationStatus.CONFIRMED:
            f.confirmed = True
            f.briefed = p.id in briefed
            f.planned = p.id in planned
            f.on_time = is_on_time(report, op.reporting_deadline)
            f.approved = report is not None and report.status is ReportStatus.APPROVED
            f.evaluation = p.id in answered
            if report is not None and is_reported(report.status):
                n, from_seizures = per_seizure.get(p.id, (0, 0))
                f.seizures = n
                f.arrests = report.arrests if (report.arrests or 0) > 0 else from_seizures
        facts.append(f)
    return facts


def _checklist_rows(
    op: Operation, network_ids: Iterable[int]
) -> dict[int, dict[str, NetworkChecklistItem]]:
    ids = sorted(set(network_ids))
    rows: dict[int, dict[str, NetworkChecklistItem]] = defaultdict(dict)
    if not ids:
        return rows
    for row in db.session.scalars(
        select(NetworkChecklistItem)
        .where(
            NetworkChecklistItem.operation_id == op.id,
            NetworkChecklistItem.network_id.in_(ids),
        )
        .options(selectinload(NetworkChecklistItem.updated_by))
    ):
        rows[row.network_id][row.item] = row
    return rows


def _lines(rows: dict[str, NetworkChecklistItem]) -> list[ChecklistLine]:
    lines = []
    for item in CHECKLIST:
        row = rows.get(item.code)
        if row is None:
            lines.append(ChecklistLine(item))
            continue
        lines.append(
            ChecklistLine(
                item,
                done=row.done,
                note=row.note,
                answered=True,
                updated_at=row.updated_at,
                updated_by=row.updated_by.name if row.updated_by else "",
            )
        )
    return lines


def _coordinator_responses(op: Operation) -> set[int]:
    return set(
        db.session.scalars(
            select(EvaluationResponse.network_id).where(
                EvaluationResponse.operation_id == op.id,
                EvaluationResponse.network_id.is_not(None),
                EvaluationResponse.status == ResponseStatus.SUBMITTED,
            )
        )
    )


def _score(
    network: Network,
    facts: list[MemberFacts],
    checklist: list[ChecklistLine],
    coordinator_response: bool,
) -> NetworkScore:
    invited = len(facts)
    confirmed = sum(f.confirmed for f in facts)
    indicators = {
        code: Ratio(sum(f.counts_for(code) for f in facts), invited)
        for code in ("confirmed", "briefed", "planned", "on_time", "approved")
    }
    indicators["evaluation"] = Ratio(sum(f.evaluation for f in facts), confirmed)
    return NetworkScore(
        network_id=network.id,
        network_acronym=network.acronym,
        network_name=network.name,
        invited=invited,
        indicators=indicators,
        coordinator_response=coordinator_response,
        seizures=sum(f.seizures for f in facts),
        arrests=sum(f.arrests for f in facts),
        checklist=checklist,
        members=sorted(facts, key=lambda f: f.name),
    )


def network_scores(operation: Operation) -> list[NetworkScore]:
    """The scoreboard of every network that coordinates at least one participation of
    ``operation``, by acronym. Aggregates only (``members`` holds the per-country facts: pass
    them on only to viewers who may see the network's member states)."""
    participations = _network_participations(operation)
    facts = member_facts(operation, participations)
    by_network: dict[int, list[MemberFacts]] = defaultdict(list)
    networks: dict[int, Network] = {}
    for f in facts:
        network = f.participation.network
        assert network is not None
        networks[network.id] = network
        by_network[network.id].append(f)
    checklists = _checklist_rows(operation, networks)
    responded = _coordinator_responses(operation)
    scores = [
        _score(n, by_network[nid], _lines(checklists.get(nid, {})), nid in responded)
        for nid, n in networks.items()
    ]
    return sorted(scores, key=lambda s: s.network_acronym.lower())


def networks_without(operation: Operation) -> int:
    """Participations that no network coordinates (they are in no scoreboard row)."""
    return len(
        db.session.scalars(
            select(Participation.id).where(
                Participation.operation_id == operation.id, Participation.network_id.is_(None)
            )
        ).all()
    )


def network_score(
    operation: Operation, network_id: int, now: datetime | None = None
) -> NetworkScore:
    """One network's scoreboard, with the data's checklist suggestions; NotFound when the
    network coordinates no participation of the operation."""
    for s in network_scores(operation):
        if s.network_id == network_id:
            network = db.session.get(Network, network_id)
            assert network is not None
            suggestions = suggest(operation, network, s.members, now)
            for line in s.checklist:
                line.suggestion = suggestions.get(line.item.code)
            return s
    raise NotFound("network not found")


# -- the comparative table -------------------------------------------------------------------
def comparative_header() -> list[str]:
    header = [_("Network"), _("Name"), _("Member states invited")]
    labels = indicator_labels()
    for code in INDICATOR_CODES:
        header += [
            _("%(indicator)s (states)", indicator=labels[code]),
            f"{labels[code]} (%)",
        ]
    header += [
        _("Coordinator's evaluation submitted"),
        _("Seizures"),
        _("Seizures per participating state"),
        _("Arrests"),
        _("Arrests per participating state"),
        _("Checklist items done"),
        _("Checklist (%)"),
        _("Score (0-100)"),
    ]
    return header


def comparative_row(s: NetworkScore) -> list[Any]:
    row: list[Any] = [s.network_acronym, s.network_name, s.invited]
    for code in INDICATOR_CODES:
        r = s.indicators[code]
        row += [r.numerator, r.percent]
    row += [
        _("yes") if s.coordinator_response else _("no"),
        s.seizures,
        s.seizures_per_state,
        s.arrests,
        s.arrests_per_state,
        s.checklist_ratio.numerator,
        s.checklist_ratio.percent,
        s.score,
    ]
    return row


def comparative_table(
    operation: Operation, scores: list[NetworkScore] | None = None
) -> list[list[Any]]:
    """One row per network, the cells of ``comparative_header()``: what the page shows and the
    CSV/XLSX exports hold. Per-network aggregates only, no country named."""
    return [
        comparative_row(s) for s in (scores if scores is not None else network_scores(operation))
    ]


def export_name(operation: Operation, fmt: str) -> str:
    return f"{operation.code_name.lower().replace(' ', '-')}-network-scoreboard.{fmt}"


# -- what the data suggest for the checklist -------------------------------------------------
def now_utc() -> datetime:
    return datetime.now(UTC)


def suggest(
    op: Operation,
    network: Network,
    members: list[MemberFacts],
    now: datetime | None = None,
) -> dict[str, Suggestion]:
    now = now or now_utc()
    sheet = db.session.scalar(select(NetworkSheet).where(NetworkSheet.network_id == network.id))
    out: dict[str, Suggestion] = {}

    def from_sheet(value: bool | None, what: str) -> Suggestion:
        if value is None:
            return Suggestion(None, _("Not stated on the network's information sheet."))
        return Suggestion(
            value,
            _(
                "The information sheet says %(answer)s (%(what)s).",
                answer=_("yes") if value else _("no"),
                what=what,
            ),
        )

    out["secretariat"] = from_sheet(sheet.has_secretariat if sheet else None, _("secretariat"))

    # the directory: the entries of the network and of its member states in this operation
    countries = sorted({f.iso3 for f in members})
    entries = list(
        db.session.scalars(
            select(Contact).where(
                or_(Contact.network_id == network.id, Contact.country_iso3.in_(countries))
            )
        )
    )
    fresh = sum(1 for c in entries if c.confirmed_at and now - c.confirmed_at <= STALE_AFTER)
    if not entries:
        out["directory_updated"] = Suggestion(False, _("The directory has no entries for them."))
    else:
        out["directory_updated"] = Suggestion(
            fresh == len(entries),
            _(
                "%(fresh)d of %(total)d directory entries confirmed in the last six months.",
                fresh=fresh,
                total=len(entries),
            ),
        )

    confirmed_ids = [f.participation.id for f in members if f.confirmed]
    with_prosecutors = False
    if confirmed_ids:
        for agencies in db.session.scalars(
            select(Activity.agencies).where(Activity.participation_id.in_(confirmed_ids))
        ):
            if Agency.PROSECUTORS.value in (agencies or []):
                with_prosecutors = True
                break
    if with_prosecutors:
        out["prosecutors"] = Suggestion(
            True, _("Planned activities of member states involve prosecutors or the judiciary.")
        )
    else:
        out["prosecutors"] = from_sheet(
            sheet.prosecutors_judiciary if sheet else None, _("prosecutors and judiciary")
        )

    channels = (sheet.channels_sensitive or "").strip() if sheet else ""
    out["secure_channel"] = (
        Suggestion(True, _("Information sheet: %(channels)s", channels=channels[:120]))
        if channels
        else Suggestion(None, _("No channel for sensitive information on the information sheet."))
    )

    confirmed = [f.participation for f in members if f.confirmed]
    if confirmed:
        emails = focal_point_emails(confirmed)
        with_fp = sum(1 for p in confirmed if emails.get(p.id))
        out["focal_points"] = Suggestion(
            with_fp == len(confirmed),
            _(
                "%(n)d of %(total)d confirmed member states have a focal point.",
                n=with_fp,
                total=len(confirmed),
            ),
        )
    else:
        out["focal_points"] = Suggestion(None, _("No member state has confirmed yet."))

    starts = list(
        db.session.scalars(
            select(Briefing.starts_at).where(
                Briefing.operation_id == op.id, Briefing.network_id == network.id
            )
        )
    )
    held = [s for s in starts if s <= now]
    if held:
        out["pre_briefing"] = Suggestion(
            True, _("%(n)d briefing(s) of the network took place.", n=len(held))
        )
    elif starts:
        out["pre_briefing"] = Suggestion(
            False,
            _(
                "The network's briefing is scheduled for %(day)s.",
                day=min(starts).strftime("%Y-%m-%d"),
            ),
        )
    else:
        out["pre_briefing"] = Suggestion(False, _("No briefing of the network is recorded."))

    out["debrief"] = Suggestion(None, _("Debriefs are not recorded in opsplanner."))
    responded = network.id in _coordinator_responses(op)
    out["lessons_shared"] = (
        Suggestion(True, _("The network's evaluation (with its lessons learned) is submitted."))
        if responded
        else Suggestion(None, _("The network's evaluation is not submitted yet."))
    )
    return out


# -- who may do what -------------------------------------------------------------------------
# The scoreboard itself is for organisers and coordinators (views: roles_required): per-network
# aggregates name no country, so a coordinator compares its network with the others.


def may_see_network(scope: Scope, network_id: int) -> bool:
    """The network page lists member states: organisers, and that network's coordinator."""
    return scope.is_organiser or (
        scope.role is Role.COORDINATOR and scope.user.network_id == network_id
    )


may_edit_checklist = may_see_network


# -- saving the checklist --------------------------------------------------------------------
def checklist_stamp(op: Operation, network_id: int) -> str:
    """A fingerprint of the answers as they stand: the form carries the one it was opened
    with, and a save over answers changed since is refused (optimistic concurrency)."""
    rows = _checklist_rows(op, [network_id]).get(network_id, {})
    content = sorted((code, row.done, row.note) for code, row in rows.items())
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Answer:
    done: bool
    note: str = ""


def save_checklist(
    scope: Scope,
    op: Operation,
    network: Network,
    answers: dict[str, Answer],
    stamp: str,
    by: User,
) -> bool:
    """Record the checklist of ``network`` for ``op``; True when something changed. The caller
    commits. NotFound outside the viewer's scope, Conflict on an archived operation or a stale
    page, DomainError on an unknown item or a note too long."""
    if not may_edit_checklist(scope, network.id):
        raise NotFound("network not found")
    archive.ensure_writable(op)
    if not coordinates_in(op, network.id):
        raise NotFound("network not found")
    unknown = sorted(set(answers) - set(CHECKLIST_CODES))
    if unknown:
        raise DomainError(_("Unknown checklist item: %(item)s.", item=unknown[0]), field="stamp")
    for code, answer in answers.items():
        if len(answer.note) > NOTE_MAX:
            raise DomainError(
                _("A note is at most %(n)d characters.", n=NOTE_MAX), field=f"{code}_note"
            )
    if stamp != checklist_stamp(op, network.id):
        raise Conflict(
            _(
                "The checklist of %(network)s was changed by someone else since you opened it. "
                "Reload it to see their answers, then make your changes again.",
                network=network.acronym,
            ),
            field="stamp",
        )
    rows = _checklist_rows(op, [network.id]).get(network.id, {})
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for code in CHECKLIST_CODES:
        if code not in answers:
            continue
        answer = answers[code]
        note = answer.note.strip()
        row = rows.get(code)
        old = {"done": row.done, "note": row.note} if row else None
        new = {"done": answer.done, "note": note}
        if old == new:
            continue
        if row is None:
            row = NetworkChecklistItem(operation_id=op.id, network_id=network.id, item=code)
            db.session.add(row)
        row.done, row.note, row.updated_by_id = answer.done, note, by.id
        before[code], after[code] = old, new
    if not after:
        return False
    audit.record(
        by,
        "scoreboard.checklist",
        "network_checklist",
        f"{op.id}:{network.id}",
        before=before,
        after=after,
        operation_id=op.id,
    )
    db.session.flush()
    return True


# -- the demo --------------------------------------------------------------------------------
def seed_demo_checklist(operation: Operation, by: User | None = None) -> int:
    """Checklist answers for the demo: each network's coordinator answered what the data
    suggest (no suggestion: not done; the debrief, which no data record, done by every other
    network), the data's reason as the note. Returns the rows written. Idempotent: a network
    with answers already is left alone. The demo loader calls it for last year's operation
    (demo_evaluation.add_demo_checklists)."""
    archive.ensure_writable(operation)
    scores = network_scores(operation)
    existing = _checklist_rows(operation, [s.network_id for s in scores])
    written = 0
    for i, s in enumerate(scores):
        if existing.get(s.network_id):
            continue
        network = db.session.get(Network, s.network_id)
        assert network is not None
        suggestions = suggest(operation, network, s.members)
        for item in CHECKLIST:
            hint = suggestions.get(item.code)
            done = i % 2 == 0 if item.code == "debrief" else bool(hint and hint.value)
            db.session.add(
                NetworkChecklistItem(
                    operation_id=operation.id,
                    network_id=s.network_id,
                    item=item.code,
                    done=done,
                    note=hint.reason if hint and hint.value is not None else "",
                    updated_by_id=by.id if by else None,
                )
            )
            written += 1
    db.session.flush()
    return written
