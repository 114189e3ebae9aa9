"""The evaluation summary of an operation, as pure data computed from the SUBMITTED answers
(a draft may still change): rating distributions per dimension, overall and per group; the
challenges ranked by how many respondents ticked them; the free-text answers grouped per
question and per group.

Groups: the answers of countries are grouped by their coordinating network in the operation
(``Participation.network``; "(no network)" for the others); the answers of network
coordinators form a group of their own ("Network coordinators"). "Overall" is every submitted
answer, countries and coordinators alike.

``evaluation_summary(operation)`` is the contract the publication pack uses (everything, for the
internal pack); pages pass the viewer's scope to restrict it (a coordinator: its network's
respondents). ``summary_html`` renders a self-contained document (inline CSS, no external
resource, bars drawn in CSS) and ``summary_pdf`` the same through WeasyPrint.

Definitions: ``counts[v]`` is how many respondents rated v; ``na`` how many said "not
applicable"; ``unanswered`` how many left the dimension empty (only possible for a dimension a
respondent did not see); ``mean`` is over the ratings only (N/A and unanswered left out), None
without any rating. A challenge's ``share`` is of the respondents of the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import render_template

from opsplanner.models import EvaluationResponse, Operation, ResponseStatus
from opsplanner.services import evaluation, pdf
from opsplanner.services.evaluation import Respondent, label_of
from opsplanner.services.readiness import NO_NETWORK
from opsplanner.services.scoping import Scope

COORDINATORS_GROUP = "Network coordinators"


@dataclass
class RatingDistribution:
    code: str
    label: str
    scale_max: int
    counts: dict[int, int]  # rating value (1..scale_max) -> respondents
    na: int = 0
    unanswered: int = 0

    @property
    def rated(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        rated = self.rated
        if not rated:
            return None
        return sum(v * n for v, n in self.counts.items()) / rated

    def as_dict(self) -> dict[str, Any]:
        mean = self.mean
        return {
            "code": self.code,
            "label": self.label,
            "counts": {str(v): n for v, n in self.counts.items()},
            "not_applicable": self.na,
            "unanswered": self.unanswered,
            "rated": self.rated,
            "mean": round(mean, 4) if mean is not None else None,
        }


@dataclass
class GroupSummary:
    label: str
    kind: str  # "overall", "network" (countries of a network) or "coordinators"
    respondents: list[str]
    dimensions: list[RatingDistribution]

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "kind": self.kind,
            "respondents": list(self.respondents),
            "dimensions": [d.as_dict() for d in self.dimensions],
        }


@dataclass
class ChallengeCount:
    code: str
    label: str
    count: int
    share: float  # of the summary's respondents
    by_group: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "count": self.count,
            "share": round(self.share, 4),
            "by_group": dict(self.by_group),
        }


@dataclass
class TextAnswer:
    respondent: str
    group: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"respondent": self.respondent, "group": self.group, "text": self.text}


@dataclass
class QuestionAnswers:
    code: str
    label: str
    answers: list[TextAnswer]

    @property
    def by_group(self) -> dict[str, list[TextAnswer]]:
        grouped: dict[str, list[TextAnswer]] = {}
        for a in self.answers:
            grouped.setdefault(a.group, []).append(a)
        return grouped

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "answers": [a.as_dict() for a in self.answers],
        }


@dataclass
class EvaluationSummary:
    operation_id: int
    code_name: str
    phase: str
    questionnaire_version: int | None
    scale_max: int
    intro: str
    expected: int  # respondents in the summary's scope
    responded: int  # of them, with submitted answers
    overall: GroupSummary
    groups: list[GroupSummary]
    challenges: list[ChallengeCount]
    challenges_other: list[TextAnswer]
    questions: list[QuestionAnswers]
    generated_at: datetime
    scope_label: str = ""

    @property
    def response_rate(self) -> float:
        return self.responded / self.expected if self.expected else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "code_name": self.code_name,
            "questionnaire_version": self.questionnaire_version,
            "scale_max": self.scale_max,
            "expected": self.expected,
            "responded": self.responded,
            "response_rate": round(self.response_rate, 4),
            "overall": self.overall.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
            "challenges": [c.as_dict() for c in self.challenges],
            "challenges_other": [a.as_dict() for a in self.challenges_other],
            "questions": [q.as_dict() for q in self.questions],
            "generated_at": self.generated_at.isoformat(),
        }


def group_of(respondent: Respondent) -> str:
    return COORDINATORS_GROUP if respondent.kind == "network" else respondent.group


def _distributions(
    dimensions: list[dict[str, Any]], scale_max: int, answers: list[EvaluationResponse]
) -> list[RatingDistribution]:
    out = []
    for d in dimensions:
        dist = RatingDistribution(
            code=d["code"],
            label=label_of(d, "dimensions"),
            scale_max=scale_max,
            counts=dict.fromkeys(range(1, scale_max + 1), 0),
        )
        for r in answers:
            if d["code"] not in r.ratings:
                dist.unanswered += 1
                continue
            value = r.ratings[d["code"]]
            if value is None:
                dist.na += 1
            elif isinstance(value, int) and 1 <= value <= scale_max:
                dist.counts[value] += 1
            else:  # not possible through the service; counted as unanswered rather than lost
                dist.unanswered += 1
        out.append(dist)
    return out


def evaluation_summary(operation: Operation, scope: Scope | None = None) -> EvaluationSummary:
    """The summary of ``operation``'s submitted answers: every respondent (``scope`` None,
    as the internal pack has it), or those the viewer may see."""
    q = evaluation.current_questionnaire(operation)
    if q is None:
        data = evaluation.QuestionnaireInput.defaults()
        dimensions, challenges, questions = data.dimensions, data.challenges, data.questions
        scale_max, version, intro = data.scale_max or evaluation.DEFAULT_SCALE, None, data.intro
    else:
        dimensions, challenges, questions = q.dimensions, q.challenges, q.questions
        scale_max, version, intro = q.scale_max, q.version, evaluation.intro_of(q)
    people = (
        evaluation.expected_respondents(operation)
        if scope is None
        else evaluation.respondents(operation, scope)
    )
    by_key = evaluation.responses(operation)
    submitted: list[tuple[Respondent, EvaluationResponse]] = [
        (p, by_key[p.key])
        for p in people
        if p.key in by_key and by_key[p.key].status is ResponseStatus.SUBMITTED
    ]
    answers = [r for _, r in submitted]
    overall = GroupSummary(
        "Overall",
        "overall",
        [p.label for p, _ in submitted],
        _distributions(dimensions, scale_max, answers),
    )
    grouped: dict[str, list[tuple[Respondent, EvaluationResponse]]] = {}
    for p, r in submitted:
        grouped.setdefault(group_of(p), []).append((p, r))

    def order(label: str) -> tuple[int, str]:
        return (2 if label == COORDINATORS_GROUP else 1 if label == NO_NETWORK else 0, label)

    groups = [
        GroupSummary(
            label,
            "coordinators" if label == COORDINATORS_GROUP else "network",
            [p.label for p, _ in members],
            _distributions(dimensions, scale_max, [r for _, r in members]),
        )
        for label, members in sorted(grouped.items(), key=lambda kv: order(kv[0]))
    ]
    total = len(submitted)
    ranked = []
    for c in challenges:
        ticked = [(p, r) for p, r in submitted if c["code"] in r.challenges]
        by_group: dict[str, int] = {}
        for p, _ in ticked:
            by_group[group_of(p)] = by_group.get(group_of(p), 0) + 1
        ranked.append(
            ChallengeCount(
                code=c["code"],
                label=label_of(c, "challenges"),
                count=len(ticked),
                share=len(ticked) / total if total else 0.0,
                by_group=dict(sorted(by_group.items(), key=lambda kv: order(kv[0]))),
            )
        )
    # most ticked first; ties in the questionnaire's order (sorted is stable)
    ranked.sort(key=lambda c: -c.count)
    by_group_order = {
        label: i
        for i, (label, _) in enumerate(sorted(grouped.items(), key=lambda kv: order(kv[0])))
    }

    def text_order(a: TextAnswer) -> tuple[int, str]:
        return (by_group_order.get(a.group, 99), a.respondent)

    others = sorted(
        (
            TextAnswer(p.label, group_of(p), r.challenges_other)
            for p, r in submitted
            if r.challenges_other.strip()
        ),
        key=text_order,
    )
    texts = [
        QuestionAnswers(
            code=x["code"],
            label=label_of(x, "questions"),
            answers=sorted(
                (
                    TextAnswer(p.label, group_of(p), r.answers[x["code"]])
                    for p, r in submitted
                    if (r.answers.get(x["code"]) or "").strip()
                ),
                key=text_order,
            ),
        )
        for x in questions
    ]
    return EvaluationSummary(
        operation_id=operation.id,
        code_name=operation.code_name,
        phase=operation.phase.value,
        questionnaire_version=version,
        scale_max=scale_max,
        intro=intro,
        expected=len(people),
        responded=total,
        overall=overall,
        groups=groups,
        challenges=ranked,
        challenges_other=others,
        questions=texts,
        generated_at=datetime.now(UTC),
    )


# -- documents ------------------------------------------------------------------------------------
RATING_COLOURS = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"]
NA_COLOUR = "#bdbdbd"


def rating_colours(scale_max: int) -> list[str]:
    """A diverging colour per rating value, low (red) to high (blue)."""
    if scale_max <= 1:
        return [RATING_COLOURS[-1]]
    last = len(RATING_COLOURS) - 1
    return [RATING_COLOURS[round(i * last / (scale_max - 1))] for i in range(scale_max)]


def summary_html(summary: EvaluationSummary, notice: str | None = None) -> str:
    """The summary as one self-contained HTML document (inline CSS, bars drawn in CSS, no
    script and no external resource), with ``notice`` (a pack's marking) at the top. Needs an
    app context (templates, translations)."""
    return render_template(
        "evaluation/document.html",
        summary=summary,
        colours=rating_colours(summary.scale_max),
        na_colour=NA_COLOUR,
        notice=notice,
    )


def summary_pdf(summary: EvaluationSummary) -> bytes:
    """The summary as PDF (WeasyPrint); raises ``pdf.PdfUnavailable`` where it is missing."""
    return pdf.html_to_pdf(summary_html(summary))


# -- the internal pack ---------------------------------------------------------------------------
def to_snapshot(summary: EvaluationSummary) -> dict[str, Any]:
    """The summary as plain JSON for the internal pack's snapshot: everything the documents
    show, and nothing that changes when the answers do not (no generation time), so the pack's
    data version moves with the answers and only with them."""
    data = summary.as_dict()
    data.pop("generated_at")
    data.pop("response_rate")
    data["intro"] = summary.intro
    data["phase"] = summary.phase
    return data


def from_snapshot(data: dict[str, Any], generated_at: datetime) -> EvaluationSummary:
    """The summary ``to_snapshot`` wrote, dated ``generated_at`` (the pack's build time)."""
    scale_max = int(data["scale_max"])

    def group(g: dict[str, Any]) -> GroupSummary:
        return GroupSummary(
            label=g["label"],
            kind=g["kind"],
            respondents=list(g["respondents"]),
            dimensions=[
                RatingDistribution(
                    code=d["code"],
                    label=d["label"],
                    scale_max=scale_max,
                    counts={int(v): int(n) for v, n in d["counts"].items()},
                    na=int(d["not_applicable"]),
                    unanswered=int(d["unanswered"]),
                )
                for d in g["dimensions"]
            ],
        )

    def text(a: dict[str, Any]) -> TextAnswer:
        return TextAnswer(a["respondent"], a["group"], a["text"])

    return EvaluationSummary(
        operation_id=int(data["operation_id"]),
        code_name=data["code_name"],
        phase=data["phase"],
        questionnaire_version=data["questionnaire_version"],
        scale_max=scale_max,
        intro=data["intro"],
        expected=int(data["expected"]),
        responded=int(data["responded"]),
        overall=group(data["overall"]),
        groups=[group(g) for g in data["groups"]],
        challenges=[
            ChallengeCount(
                code=c["code"],
                label=c["label"],
                count=int(c["count"]),
                share=float(c["share"]),
                by_group=dict(c["by_group"]),
            )
            for c in data["challenges"]
        ],
        challenges_other=[text(a) for a in data["challenges_other"]],
        questions=[
            QuestionAnswers(q["code"], q["label"], [text(a) for a in q["answers"]])
            for q in data["questions"]
        ],
        generated_at=generated_at,
    )
