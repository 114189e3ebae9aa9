"""The post-operation evaluation: the questionnaire the organiser configures, who answers it,
the answers themselves and how complete they are.

The questionnaire is versioned, and frozen once answers arrive:

- the newest ``Questionnaire`` row of an operation is the one in use;
- every saved change of the organiser makes version N+1 (the earlier versions stay as the
  history of the set-up), as long as nobody has answered;
- the first answer saved (a draft too) freezes the version in use (``frozen_at``); from then on
  every change is refused with the reason, so that all answers refer to the same questions;
- the organiser saves against the version the page was opened at: a save from a stale page is a
  conflict (409), never a silent overwrite.

Who answers (the "respondents"), when the operation is in its evaluation phase:

- every CONFIRMED participating country, through its focal points (the rule of results: a
  focal-point account of that country; see ``reports.is_own_country``);
- every network that coordinates a confirmed country in the operation
  (``Participation.network_id``), through its coordinator (``User.network_id``).

Before the evaluation phase nobody answers; once the operation is published the answers are
read-only; an archived operation refuses every change (``archive.ensure_writable``).

Answers are saved as drafts and then submitted; a submitted answer is locked until an organiser
reopens it (audited). Ratings run 1..scale_max or "not applicable" (stored as None); a
dimension without a key in ``ratings`` is not answered yet, which a draft may leave but a
submission may not.

Who sees what: organisers every respondent; a coordinator its network's member states and its
own network's answer; a focal point its own country's answer only; communications nothing at
all (404: answers can be sensitive).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from opsplanner.extensions import db
from opsplanner.models import (
    EvaluationReminder,
    EvaluationResponse,
    Network,
    Operation,
    OperationPhase,
    Participation,
    ParticipationStatus,
    Questionnaire,
    ResponseStatus,
    Role,
    User,
)
from opsplanner.services import archive, audit
from opsplanner.services.errors import Conflict, DomainError, Forbidden, NotFound
from opsplanner.services.readiness import NO_NETWORK
from opsplanner.services.scoping import Scope

# -- the defaults -------------------------------------------------------------------------------
# Codes are what answers refer to; labels are lazy so that the defaults read in the viewer's
# language (see ``label_of``).
DEFAULT_DIMENSIONS: tuple[tuple[str, Any], ...] = (
    ("briefings", _l("Usefulness of the briefings and guidelines")),
    ("priorities", _l("Relevance of the priorities")),
    ("communication", _l("Communication channels")),
    ("inter_agency", _l("Inter-agency cooperation")),
    ("cross_border", _l("Cross-border cooperation")),
    ("prosecutors", _l("Involvement of prosecutors and the judiciary")),
    ("species_id", _l("Species identification")),
    ("forensics", _l("Forensic support")),
    ("live_animals", _l("Handling of live animals")),
    ("resources", _l("Resources")),
)
DEFAULT_CHALLENGES: tuple[tuple[str, Any], ...] = (
    ("corruption", _l("Corruption")),
    ("rivalry", _l("Inter-agency rivalry")),
    ("legislation", _l("Gaps in legislation")),
    ("online_trade", _l("Online trade")),
    ("resources", _l("Lack of resources")),
    ("training", _l("Lack of training")),
    ("language", _l("Language barriers")),
    ("information_delays", _l("Delays in information exchange")),
    ("forensic_capacity", _l("Lack of forensic capacity")),
    ("live_animal_care", _l("Care of seized live animals")),
    ("prosecution", _l("Cases not taken up for prosecution")),
    ("secure_channels", _l("No access to secure communication channels")),
)
DEFAULT_QUESTIONS: tuple[tuple[str, Any], ...] = (
    ("lessons", _l("Lessons learned")),
    ("capacity", _l("Capacity building needed")),
    ("other", _l("Other comments")),
)
DEFAULT_INTRO = _l(
    "Please tell us how the operation went for you. Your answers help ICCWC and the networks "
    "prepare the next operation; they are shared with the organisers and your network's "
    "coordinator only, never published with your name."
)
DEFAULT_SCALE = 5
SCALE_RANGE = (3, 10)
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LABEL_MAX = 200
INTRO_MAX = 4000
ITEMS_MAX = 40
ANSWER_MAX = 5000
OTHER_MAX = 1000
NOT_APPLICABLE = "na"
LIST_FIELDS = ("dimensions", "challenges", "questions")

_DEFAULT_LABELS: dict[str, dict[str, Any]] = {
    "dimensions": dict(DEFAULT_DIMENSIONS),
    "challenges": dict(DEFAULT_CHALLENGES),
    "questions": dict(DEFAULT_QUESTIONS),
}


def _msgid(lazy: Any) -> str:
    return getattr(lazy, "_args", (str(lazy),))[0]


def label_of(item: dict[str, Any], kind: str) -> str:
    """An item's label for display: a default label unchanged by the organiser reads in the
    viewer's language; a reworded one as written."""
    default = _DEFAULT_LABELS.get(kind, {}).get(item.get("code", ""))
    if default is not None and item.get("label") == _msgid(default):
        return str(default)
    return str(item.get("label", ""))


def default_items(kind: str) -> list[dict[str, str]]:
    """The default list (stored with the English labels, shown translated by ``label_of``)."""
    defaults = {
        "dimensions": DEFAULT_DIMENSIONS,
        "challenges": DEFAULT_CHALLENGES,
        "questions": DEFAULT_QUESTIONS,
    }[kind]
    return [{"code": code, "label": _msgid(label)} for code, label in defaults]


def intro_of(q: Questionnaire) -> str:
    return str(DEFAULT_INTRO) if q.intro == _msgid(DEFAULT_INTRO) else q.intro


# -- the questionnaire ----------------------------------------------------------------------------
@dataclass
class QuestionnaireInput:
    intro: str = ""
    scale_max: int | None = DEFAULT_SCALE
    dimensions: list[dict[str, str]] = field(default_factory=list)
    challenges: list[dict[str, str]] = field(default_factory=list)
    questions: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def defaults(cls) -> QuestionnaireInput:
        return cls(
            intro=_msgid(DEFAULT_INTRO),
            scale_max=DEFAULT_SCALE,
            dimensions=default_items("dimensions"),
            challenges=default_items("challenges"),
            questions=default_items("questions"),
        )

    @classmethod
    def of(cls, q: Questionnaire) -> QuestionnaireInput:
        return cls(
            intro=q.intro,
            scale_max=q.scale_max,
            dimensions=[dict(d) for d in q.dimensions],
            challenges=[dict(c) for c in q.challenges],
            questions=[dict(x) for x in q.questions],
        )

    def content(self) -> dict[str, Any]:
        return {
            "intro": self.intro.strip(),
            "scale_max": self.scale_max,
            **{
                kind: [
                    {
                        "code": str(i.get("code", "")).strip(),
                        "label": str(i.get("label", "")).strip(),
                    }
                    for i in getattr(self, kind)
                ]
                for kind in LIST_FIELDS
            },
        }


def check_questionnaire(data: QuestionnaireInput) -> list[tuple[str, str]]:
    """Every problem of a questionnaire as (field, message); empty when it is valid."""
    errors: list[tuple[str, str]] = []
    low, high = SCALE_RANGE
    if data.scale_max is None or not low <= data.scale_max <= high:
        errors.append(
            (
                "scale_max",
                _(
                    "The scale runs from 1 to a number between %(low)d and %(high)d.",
                    low=low,
                    high=high,
                ),
            )
        )
    if len(data.intro or "") > INTRO_MAX:
        errors.append(("intro", _("Keep the introduction under %(n)d characters.", n=INTRO_MAX)))
    names = {
        "dimensions": _("dimension"),
        "challenges": _("challenge"),
        "questions": _("question"),
    }
    for kind in LIST_FIELDS:
        items = getattr(data, kind)
        if kind == "dimensions" and not items:
            errors.append((kind, _("Give at least one dimension to rate.")))
            continue
        if len(items) > ITEMS_MAX:
            errors.append((kind, _("Keep the list to %(n)d items at most.", n=ITEMS_MAX)))
            continue
        seen: set[str] = set()
        for n, item in enumerate(items, start=1):
            code = str(item.get("code", "")).strip()
            label = str(item.get("label", "")).strip()
            if not CODE_RE.match(code):
                errors.append(
                    (
                        kind,
                        _(
                            "Item %(n)d: the code %(code)s is not valid (lower-case letters, "
                            "digits and _, starting with a letter, at most 40).",
                            n=n,
                            code=repr(code),
                        ),
                    )
                )
            elif code in seen:
                errors.append(
                    (kind, _("Item %(n)d: the code %(code)s is used twice.", n=n, code=code))
                )
            seen.add(code)
            if not label:
                errors.append(
                    (kind, _("Item %(n)d: the %(what)s has no text.", n=n, what=names[kind]))
                )
            elif len(label) > LABEL_MAX:
                errors.append(
                    (
                        kind,
                        _(
                            "Item %(n)d: keep the text under %(max)d characters.",
                            n=n,
                            max=LABEL_MAX,
                        ),
                    )
                )
    return errors


# How a respondent's answers stand, as the pages show it ("missing": nothing saved yet).
STATUS_LABELS = {
    "missing": _l("not started"),
    ResponseStatus.DRAFT.value: _l("draft"),
    ResponseStatus.SUBMITTED.value: _l("submitted"),
}


def versions(op: Operation) -> list[Questionnaire]:
    """Every version of the operation's questionnaire, newest first."""
    return list(
        db.session.scalars(
            select(Questionnaire)
            .where(Questionnaire.operation_id == op.id)
            .options(selectinload(Questionnaire.created_by))  # the page names each author
            .order_by(Questionnaire.version.desc())
        )
    )


def current_questionnaire(op: Operation) -> Questionnaire | None:
    return db.session.scalar(
        select(Questionnaire)
        .where(Questionnaire.operation_id == op.id)
        .order_by(Questionnaire.version.desc())
        .limit(1)
    )


def response_count(op: Operation) -> int:
    return (
        db.session.scalar(
            select(func.count(EvaluationResponse.id)).where(
                EvaluationResponse.operation_id == op.id
            )
        )
        or 0
    )


def is_frozen(q: Questionnaire | None) -> bool:
    """Frozen once any answer of the operation is saved (to this version or, after a race with
    the organiser's save, to an earlier one)."""
    if q is None:
        return False
    return q.frozen_at is not None or response_count(q.operation) > 0


def ensure_questionnaire(operation: Operation, user: User | None = None) -> Questionnaire:
    """The operation's questionnaire in use; when it has none yet, version 1 made from the
    defaults (flushed, not committed). Idempotent; used by the demo loaders and the answer
    page, so it also serves an operation that is being archived by a loader."""
    current = current_questionnaire(operation)
    if current is not None:
        return current
    data = QuestionnaireInput.defaults().content()
    q = Questionnaire(
        operation_id=operation.id,
        version=1,
        created_by_id=user.id if user is not None else None,
        **data,
    )
    try:
        with db.session.begin_nested():
            db.session.add(q)
    except IntegrityError:  # made by another request a moment ago
        current = current_questionnaire(operation)
        assert current is not None
        return current
    audit.record(
        user,
        "evaluation.questionnaire",
        "questionnaire",
        q.id,
        after={"version": 1, "from": "defaults"},
        operation_id=operation.id,
    )
    return q


def frozen_message(op: Operation) -> str:
    return _(
        "The questionnaire of %(operation)s is frozen: answers have arrived, and every answer "
        "must refer to the same questions. It can no longer be changed.",
        operation=op.code_name,
    )


def save_questionnaire(
    op: Operation, data: QuestionnaireInput, expected_version: int | None, by: User
) -> Questionnaire:
    """Save the organiser's questionnaire as version N+1 of the one opened at
    ``expected_version`` (0: none yet). Returns the version in use (the same one when nothing
    changed). Refused when answers have arrived (frozen) or the page is stale."""
    archive.ensure_writable(op)
    current = current_questionnaire(op)
    in_use = current.version if current is not None else 0
    if expected_version is None:
        raise DomainError(
            _("Send the version of the questionnaire you are changing."), field="version"
        )
    if is_frozen(current):
        raise Conflict(frozen_message(op))
    if expected_version != in_use:
        raise Conflict(
            _(
                "The questionnaire was changed by someone else since you opened it (now at "
                "version %(version)d). Reload to see their changes, then make yours again.",
                version=in_use,
            ),
            field="version",
        )
    if errors := check_questionnaire(data):
        name, message = errors[0]
        raise DomainError(message, field=name)
    content = data.content()
    if current is not None and QuestionnaireInput.of(current).content() == content:
        return current
    q = Questionnaire(operation_id=op.id, version=in_use + 1, created_by_id=by.id, **content)
    try:
        with db.session.begin_nested():
            db.session.add(q)
    except IntegrityError:
        raise Conflict(
            _("Someone else saved the questionnaire at the same moment. Reload and try again."),
            field="version",
        ) from None
    before = QuestionnaireInput.of(current).content() if current is not None else {}
    old, new = audit.changes(before, content)
    audit.record(
        by,
        "evaluation.questionnaire",
        "questionnaire",
        q.id,
        before={"version": in_use, **old},
        after={"version": q.version, **new},
        operation_id=op.id,
    )
    return q


def set_deadline(op: Operation, deadline: datetime | None, by: User) -> bool:
    """When answers are due (the reminders count down to it); False when unchanged."""
    archive.ensure_writable(op)
    if deadline is not None and deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=UTC)
    if op.evaluation_deadline == deadline:
        return False
    before = op.evaluation_deadline
    op.evaluation_deadline = deadline
    audit.record(
        by,
        "evaluation.deadline",
        "operation",
        op.id,
        before={"evaluation_deadline": before.isoformat() if before else None},
        after={"evaluation_deadline": deadline.isoformat() if deadline else None},
        operation_id=op.id,
    )
    return True


# -- respondents --------------------------------------------------------------------------------
@dataclass
class Respondent:
    """Who answers: a confirmed participating country, or a coordinating network."""

    kind: str  # "country" or "network"
    label: str  # country name, or network acronym
    group: str  # the coordinating network's acronym (countries), or the network's own
    participation: Participation | None = None
    network: Network | None = None

    @property
    def key(self) -> str:
        if self.participation is not None:
            return f"country:{self.participation.country_iso3}"
        assert self.network is not None
        return f"network:{self.network.id}"

    @property
    def iso3(self) -> str | None:
        return self.participation.country_iso3 if self.participation is not None else None

    @property
    def network_id(self) -> int | None:
        if self.network is not None:
            return self.network.id
        return self.participation.network_id if self.participation is not None else None


def _country(p: Participation) -> Respondent:
    return Respondent(
        kind="country",
        label=p.country.name,
        group=p.network.acronym if p.network else NO_NETWORK,
        participation=p,
    )


def _network(n: Network) -> Respondent:
    return Respondent(kind="network", label=n.acronym, group=n.acronym, network=n)


def _confirmed(op: Operation) -> list[Participation]:
    return list(
        db.session.scalars(
            select(Participation)
            .where(
                Participation.operation_id == op.id,
                Participation.status == ParticipationStatus.CONFIRMED,
            )
            .options(
                selectinload(Participation.country),
                selectinload(Participation.network),
                selectinload(Participation.focal_points),
            )
            .order_by(Participation.country_iso3)
        )
    )


def expected_respondents(op: Operation) -> list[Respondent]:
    """Every respondent of the operation: confirmed countries, then coordinating networks."""
    confirmed = _confirmed(op)
    networks = {p.network.id: p.network for p in confirmed if p.network is not None}
    return [
        *(_country(p) for p in confirmed),
        *(_network(n) for n in sorted(networks.values(), key=lambda n: n.acronym)),
    ]


def may_see_evaluation(scope: Scope) -> bool:
    return scope.role in (Role.ORGANISER, Role.COORDINATOR, Role.FOCAL_POINT)


def _require_detail(scope: Scope) -> None:
    if not may_see_evaluation(scope):
        raise NotFound("the evaluation is not available to this role")


def visible(scope: Scope, respondent: Respondent) -> bool:
    """Whether the viewer may see this respondent's answers."""
    if scope.is_organiser:
        return True
    if scope.role is Role.COORDINATOR:
        if respondent.kind == "network":
            return respondent.network_id == scope.user.network_id
        p = respondent.participation
        assert p is not None
        return (
            p.network_id is not None and p.network_id == scope.user.network_id
        ) or p.country_iso3 in (scope.country_codes or frozenset())
    if scope.role is Role.FOCAL_POINT:
        return respondent.kind == "country" and respondent.iso3 == scope.user.country_iso3
    return False


def respondents(op: Operation, scope: Scope) -> list[Respondent]:
    """The respondents whose answers the viewer may see (NotFound for communications)."""
    _require_detail(scope)
    return [r for r in expected_respondents(op) if visible(scope, r)]


def country_respondent_or_404(scope: Scope, operation_id: int, iso3: str) -> Respondent:
    _require_detail(scope)
    op = scope.operation_or_404(operation_id)
    p = db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op.id,
            Participation.country_iso3 == iso3.upper(),
            Participation.status == ParticipationStatus.CONFIRMED,
        )
    )
    if p is None:
        raise NotFound("respondent not found")
    respondent = _country(p)
    if not visible(scope, respondent):
        raise NotFound("respondent not found")
    return respondent


def network_respondent_or_404(scope: Scope, operation_id: int, network_id: int) -> Respondent:
    _require_detail(scope)
    op = scope.operation_or_404(operation_id)
    coordinates = db.session.scalar(
        select(func.count(Participation.id)).where(
            Participation.operation_id == op.id,
            Participation.network_id == network_id,
            Participation.status == ParticipationStatus.CONFIRMED,
        )
    )
    network = db.session.get(Network, network_id) if coordinates else None
    if network is None:
        raise NotFound("respondent not found")
    respondent = _network(network)
    if not visible(scope, respondent):
        raise NotFound("respondent not found")
    return respondent


def may_answer(scope: Scope, respondent: Respondent) -> bool:
    """A country's own focal point; a network's own coordinator. Organisers read and reopen,
    but the answers are the respondents' own."""
    if respondent.kind == "country":
        return scope.role is Role.FOCAL_POINT and scope.user.country_iso3 == respondent.iso3
    return scope.role is Role.COORDINATOR and scope.user.network_id == respondent.network_id


def phase_refusal(op: Operation) -> str | None:
    """Why nobody may answer now; None in the evaluation phase."""
    if op.phase is OperationPhase.EVALUATION:
        return None
    if archive.is_archived(op):
        return _("%(name)s is archived: its records are read-only.", name=op.code_name)
    if op.phase is OperationPhase.PUBLISHED:
        return _(
            "%(operation)s is published: the evaluation is closed and its answers are read-only.",
            operation=op.code_name,
        )
    return _(
        "The evaluation opens when %(operation)s enters its evaluation phase; it is in "
        "%(phase)s now.",
        operation=op.code_name,
        phase=op.phase.value,
    )


def response_of(op: Operation, respondent: Respondent) -> EvaluationResponse | None:
    query = select(EvaluationResponse).where(EvaluationResponse.operation_id == op.id)
    if respondent.participation is not None:
        query = query.where(EvaluationResponse.participation_id == respondent.participation.id)
    else:
        assert respondent.network is not None
        query = query.where(EvaluationResponse.network_id == respondent.network.id)
    return db.session.scalar(query)


def lock_reason(
    op: Operation, respondent: Respondent, scope: Scope, response: EvaluationResponse | None
) -> str | None:
    """Why the viewer cannot change these answers now, as the page says it; None if they can."""
    if reason := phase_refusal(op):
        return reason
    if not may_answer(scope, respondent):
        if respondent.kind == "country":
            return _(
                "Only the focal points of %(country)s answer for it.", country=respondent.label
            )
        return _("Only the coordinator of %(network)s answers for it.", network=respondent.label)
    if response is not None and response.status is ResponseStatus.SUBMITTED:
        return _(
            "These answers were submitted on %(when)s and are locked. An organiser can reopen "
            "them if something must change.",
            when=response.submitted_at.strftime("%Y-%m-%d %H:%M UTC")
            if response.submitted_at
            else "",
        )
    return None


# -- answers --------------------------------------------------------------------------------------
@dataclass
class AnswerInput:
    # dimension code -> 1..scale_max, or None for not applicable; a code left out: not answered
    ratings: dict[str, int | None] = field(default_factory=dict)
    challenges: list[str] = field(default_factory=list)
    challenges_other: str = ""
    answers: dict[str, str] = field(default_factory=dict)


def rating_field(code: str) -> str:
    return f"rating_{code}"


def answer_field(code: str) -> str:
    return f"answer_{code}"


def check_answers(
    q: Questionnaire, data: AnswerInput, *, submitting: bool
) -> list[tuple[str, str]]:
    """Every problem of a set of answers as (field, message); a submission must rate every
    dimension (or say it does not apply)."""
    errors: list[tuple[str, str]] = []
    dimensions = {d["code"]: d for d in q.dimensions}
    for code, value in data.ratings.items():
        if code not in dimensions:
            errors.append(
                (
                    rating_field(code),
                    _("%(code)s is not a dimension of this questionnaire.", code=code),
                )
            )
        elif value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= q.scale_max
        ):
            errors.append(
                (
                    rating_field(code),
                    _("Rate from 1 to %(max)d, or choose not applicable.", max=q.scale_max),
                )
            )
    if submitting:
        for d in q.dimensions:
            if d["code"] not in data.ratings:
                errors.append(
                    (
                        rating_field(d["code"]),
                        _(
                            "Rate %(label)s (or choose not applicable) before submitting.",
                            label=label_of(d, "dimensions"),
                        ),
                    )
                )
    known = {c["code"] for c in q.challenges}
    for code in data.challenges:
        if code not in known:
            errors.append(
                ("challenges", _("%(code)s is not a challenge of this questionnaire.", code=code))
            )
    if len(set(data.challenges)) != len(data.challenges):
        errors.append(("challenges", _("Tick each challenge once.")))
    if len(data.challenges_other or "") > OTHER_MAX:
        errors.append(("challenges_other", _("Keep this under %(n)d characters.", n=OTHER_MAX)))
    questions = {x["code"] for x in q.questions}
    for code, text in data.answers.items():
        if code not in questions:
            errors.append(
                (
                    answer_field(code),
                    _("%(code)s is not a question of this questionnaire.", code=code),
                )
            )
        elif len(text or "") > ANSWER_MAX:
            errors.append(
                (answer_field(code), _("Keep this answer under %(n)d characters.", n=ANSWER_MAX))
            )
    return errors


def snapshot(r: EvaluationResponse) -> dict[str, Any]:
    return {
        "status": r.status.value,
        "ratings": dict(r.ratings),
        "challenges": list(r.challenges),
        "challenges_other": r.challenges_other,
        "answers": dict(r.answers),
    }


def _audit(
    by: User | None,
    action: str,
    op: Operation,
    respondent: Respondent,
    r: EvaluationResponse,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.record(
        by,
        action,
        "evaluation_response",
        r.id,
        before=before,
        after=after,
        operation_id=op.id,
        country_iso3=respondent.iso3,
    )


def save_answers(
    scope: Scope,
    op: Operation,
    respondent: Respondent,
    data: AnswerInput,
    version: int | None,
    *,
    submit: bool = False,
) -> EvaluationResponse:
    """Save the respondent's answers opened at ``version`` (0 or None: none saved yet) as a
    draft, or save and submit them (``submit``). The first answer saved freezes the
    questionnaire. The caller commits."""
    archive.ensure_writable(op)
    if reason := phase_refusal(op):
        raise Conflict(reason)
    if not may_answer(scope, respondent):
        raise Forbidden(lock_reason(op, respondent, scope, None) or "")
    q = ensure_questionnaire(op, scope.user)
    response = response_of(op, respondent)
    if response is not None and response.status is ResponseStatus.SUBMITTED:
        raise Conflict(lock_reason(op, respondent, scope, response) or "")
    current = response.version if response is not None else 0
    if (version or 0) != current:
        raise Conflict(
            _(
                "These answers were changed by someone else since you opened them (now at "
                "version %(version)d). Reload to see their changes, then make yours again.",
                version=current,
            ),
            field="version",
        )
    if errors := check_answers(q, data, submitting=submit):
        name, message = errors[0]
        raise DomainError(message, field=name)
    now = datetime.now(UTC)
    created = response is None
    if response is None:
        response = EvaluationResponse(
            operation_id=op.id,
            questionnaire_id=q.id,
            participation_id=respondent.participation.id if respondent.participation else None,
            network_id=respondent.network.id if respondent.network else None,
        )
        db.session.add(response)
    before = {} if created else snapshot(response)
    response.questionnaire_id = q.id  # the version these answers were given to
    response.ratings = {
        d["code"]: data.ratings[d["code"]] for d in q.dimensions if d["code"] in data.ratings
    }
    response.challenges = [c["code"] for c in q.challenges if c["code"] in data.challenges]
    response.challenges_other = (data.challenges_other or "").strip()
    response.answers = {
        x["code"]: data.answers[x["code"]].strip()
        for x in q.questions
        if (data.answers.get(x["code"]) or "").strip()
    }
    response.updated_by_id = scope.user.id
    response.updated_at = now
    if submit:
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = now
        response.submitted_by_id = scope.user.id
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Conflict(
            _("Someone else saved these answers at the same moment. Reload and try again."),
            field="version",
        ) from None
    if q.frozen_at is None:
        q.frozen_at = now
        audit.record(
            None,
            "evaluation.questionnaire_frozen",
            "questionnaire",
            q.id,
            after={"version": q.version, "frozen_at": now.isoformat()},
            operation_id=op.id,
        )
    old, new = audit.changes(before, snapshot(response))
    _audit(
        scope.user,
        "evaluation.submit" if submit else "evaluation.save",
        op,
        respondent,
        response,
        old or None,
        new,
    )
    return response


def reopen(scope: Scope, op: Operation, response: EvaluationResponse, reason: str = "") -> None:
    """An organiser unlocks submitted answers so that the respondent can change them."""
    archive.ensure_writable(op)
    if not scope.is_organiser:
        raise Forbidden(_("Only an organiser can reopen submitted answers."))
    if reason_now := phase_refusal(op):
        raise Conflict(reason_now)
    if response.status is not ResponseStatus.SUBMITTED:
        raise Conflict(_("These answers are not submitted: there is nothing to reopen."))
    response.status = ResponseStatus.DRAFT
    response.submitted_at = None
    response.submitted_by_id = None
    db.session.flush()
    respondent = respondent_of(response)
    _audit(
        scope.user,
        "evaluation.reopen",
        op,
        respondent,
        response,
        {"status": ResponseStatus.SUBMITTED.value},
        {"status": ResponseStatus.DRAFT.value, **({"reason": reason} if reason else {})},
    )


def respondent_of(response: EvaluationResponse) -> Respondent:
    if response.participation is not None:
        return _country(response.participation)
    assert response.network is not None
    return _network(response.network)


def response_or_404(scope: Scope, operation_id: int, response_id: int) -> EvaluationResponse:
    _require_detail(scope)
    op = scope.operation_or_404(operation_id)
    response = db.session.get(EvaluationResponse, response_id)
    if response is None or response.operation_id != op.id:
        raise NotFound("response not found")
    if not visible(scope, respondent_of(response)):
        raise NotFound("response not found")
    return response


def responses(op: Operation) -> dict[str, EvaluationResponse]:
    """Every response of the operation by respondent key."""
    found: dict[str, EvaluationResponse] = {}
    for r in db.session.scalars(
        select(EvaluationResponse)
        .where(EvaluationResponse.operation_id == op.id)
        .options(
            selectinload(EvaluationResponse.participation).selectinload(Participation.country),
            selectinload(EvaluationResponse.participation).selectinload(Participation.network),
            selectinload(EvaluationResponse.network),
        )
    ):
        found[respondent_of(r).key] = r
    return found


# -- completeness ---------------------------------------------------------------------------------
@dataclass
class EvaluationTally:
    """Expected respondents of one group and how many submitted (``responded``) or have a draft."""

    label: str
    expected: int = 0
    responded: int = 0
    drafts: int = 0

    @property
    def missing(self) -> int:
        return self.expected - self.responded

    @property
    def response_rate(self) -> float:
        return self.responded / self.expected if self.expected else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "expected": self.expected,
            "responded": self.responded,
            "drafts": self.drafts,
            "missing": self.missing,
            "response_rate": round(self.response_rate, 4),
        }


@dataclass
class RespondentRow:
    respondent: Respondent
    response: EvaluationResponse | None
    emails: list[str]
    last_reminder: EvaluationReminder | None = None

    @property
    def status(self) -> str:
        """ "missing" (nothing saved), "draft" or "submitted"."""
        return self.response.status.value if self.response is not None else "missing"

    @property
    def responded(self) -> bool:
        return self.response is not None and self.response.status is ResponseStatus.SUBMITTED


@dataclass
class EvaluationCompleteness:
    operation: Operation
    total: EvaluationTally
    by_network: list[EvaluationTally]
    rows: list[RespondentRow]

    @property
    def missing(self) -> list[RespondentRow]:
        return [r for r in self.rows if not r.responded]


def coordinator_emails(network_ids: Iterable[int]) -> dict[int, list[str]]:
    """The active coordinator accounts of each network."""
    ids = sorted(set(network_ids))
    found: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return found
    for network_id, email in db.session.execute(
        select(User.network_id, User.email)
        .where(User.role == Role.COORDINATOR, User.active.is_(True), User.network_id.in_(ids))
        .order_by(User.id)
    ):
        found[network_id].append(email)
    return found


def respondent_emails(rows: Sequence[Respondent]) -> dict[str, list[str]]:
    """Whom to write to for each respondent: a country's focal points (as for results), a
    network's coordinators."""
    from opsplanner.services.completeness import focal_point_emails

    participations = [r.participation for r in rows if r.participation is not None]
    by_participation = focal_point_emails(participations)
    by_network = coordinator_emails(r.network.id for r in rows if r.network is not None)
    emails: dict[str, list[str]] = {}
    for r in rows:
        if r.participation is not None:
            emails[r.key] = by_participation.get(r.participation.id, [])
        else:
            assert r.network is not None
            emails[r.key] = list(by_network.get(r.network.id, []))
    return emails


def last_reminders(op: Operation) -> dict[str, EvaluationReminder]:
    latest: dict[str, EvaluationReminder] = {}
    for r in db.session.scalars(
        select(EvaluationReminder)
        .where(EvaluationReminder.operation_id == op.id)
        .order_by(EvaluationReminder.created_at, EvaluationReminder.id)
    ):
        latest[r.respondent] = r
    return latest


def tally(rows: Iterable[RespondentRow], label: str) -> EvaluationTally:
    t = EvaluationTally(label)
    for row in rows:
        t.expected += 1
        if row.responded:
            t.responded += 1
        elif row.response is not None:
            t.drafts += 1
    return t


def completeness(op: Operation, scope: Scope) -> EvaluationCompleteness:
    """Expected respondents in the viewer's scope, who submitted, per network (a network's
    group is its confirmed countries and its coordinator) and overall, and whom to ask."""
    people = respondents(op, scope)
    answers = responses(op)
    emails = respondent_emails(people)
    reminders = last_reminders(op)
    rows = [
        RespondentRow(r, answers.get(r.key), emails.get(r.key, []), reminders.get(r.key))
        for r in people
    ]
    groups: dict[str, list[RespondentRow]] = defaultdict(list)
    for row in rows:
        groups[row.respondent.group].append(row)
    by_network = sorted(
        (tally(members, label) for label, members in groups.items()),
        key=lambda t: (t.label == NO_NETWORK, t.label),
    )
    rows.sort(
        key=lambda r: (
            r.respondent.group == NO_NETWORK,
            r.respondent.group,
            r.respondent.kind != "network",
            r.respondent.label,
        )
    )
    return EvaluationCompleteness(
        operation=op, total=tally(rows, "total"), by_network=by_network, rows=rows
    )
