"""Demo briefings: a global pre-operation virtual meeting and one briefing per major
coordinating network, with attendance and guideline acknowledgements for most countries.

Called by the demo loader on a fresh demo operation; it goes through the same services as the
pages, so the demo's audit trail reads like a real one."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from opsplanner.extensions import db
from opsplanner.models import (
    Briefing,
    BriefingKind,
    MeetingMode,
    Network,
    Operation,
    Participation,
    ParticipationStatus,
    User,
)
from opsplanner.services import briefings as service

MAJOR_NETWORKS = 6  # the networks coordinating the most countries get a briefing of their own
MIN_COUNTRIES = 3
ATTENDANCE_SHARE = 0.8
ACKNOWLEDGED_SHARE = 0.7

# Where each network usually meets, so the demo shows local times that make sense.
NETWORK_ZONES = {
    "ASEAN-WEN": "Asia/Bangkok",
    "LATF": "Africa/Nairobi",
    "HA-WEN": "Africa/Nairobi",
    "WEN-SA": "Africa/Johannesburg",
    "COMIFAC": "Africa/Douala",
    "SA-WEN": "Asia/Kathmandu",
    "SudWEN": "America/Sao_Paulo",
    "ROAVIS": "America/Guatemala",
    "CaribWEN": "America/Port_of_Spain",
    "NAWEG": "America/New_York",
    "EU Enforcement Group": "Europe/Brussels",
    "CITES EG West Asia": "Asia/Dubai",
    "NICECG": "Asia/Shanghai",
    "AFRIPOL": "Africa/Algiers",
}

DEMO_GUIDELINES = """\
## Guidelines for national focal points

1. Plan activities against the operation's priorities and enter them before the window opens.
2. Share seizure and case details **only** over the secure channel named for the operation.
3. Report results with the reporting template by the reporting deadline; nothing is public
   before the embargo ends.
4. Tell your network coordinator at once about seizures linked to other countries.
"""

AGENDA = """\
1. Welcome and objectives of the operation
2. Priorities and trade routes
3. Planning national activities; inter-agency teams
4. Secure communication and reporting
5. Questions from the countries
"""

MATERIALS = """\
- Operational guidelines (see the operation's guidelines page)
- Species identification sheets (distributed over the secure channel)
- Reporting template walk-through (slides, on the secure channel)
"""


def _invited(op: Operation) -> list[Participation]:
    return list(
        db.session.scalars(
            select(Participation)
            .where(
                Participation.operation_id == op.id,
                Participation.status.in_(service.INVITED_STATUSES),
            )
            .options(selectinload(Participation.focal_points))
            .order_by(Participation.country_iso3)
        )
    )


def _major_networks(participations: list[Participation]) -> list[Network]:
    counts = Counter(p.network_id for p in participations if p.network_id is not None)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        db.session.get(Network, net_id)
        for net_id, n in ranked[:MAJOR_NETWORKS]
        if n >= MIN_COUNTRIES
    ]


def add_demo_briefings(
    op: Operation, organiser: User, rng: random.Random, now: datetime | None = None
) -> dict[str, int]:
    """Create the demo briefings unless the operation has some already; the caller commits."""
    created = {"briefings": 0, "attendances": 0, "acknowledgements": 0}
    if db.session.scalar(select(Briefing.id).where(Briefing.operation_id == op.id).limit(1)):
        return created
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    if not op.guidelines.strip():
        op.guidelines = DEMO_GUIDELINES
    participations = _invited(op)

    # The briefings took place over the past three weeks (attendance is recorded only once a
    # briefing has started); each was scheduled a fortnight ahead.
    plan: list[tuple[datetime, service.BriefingInput]] = []
    for i, net in enumerate(_major_networks(participations)):
        tz = NETWORK_ZONES.get(net.acronym, "UTC")
        local = datetime.combine((now - timedelta(days=21 - 2 * i)).date(), time(10, 0))
        plan.append(
            (
                service.to_utc(local, service.zone(tz) or UTC),
                service.BriefingInput(
                    title=f"{net.acronym} regional briefing",
                    kind=BriefingKind.BRIEFING,
                    mode=MeetingMode.HYBRID if i % 2 else MeetingMode.VIRTUAL,
                    network=net,
                    start_local=local,
                    timezone=tz,
                    duration_minutes=120,
                    location="Joining details are sent to focal points over the secure channel.",
                    agenda=AGENDA,
                    materials=MATERIALS,
                ),
            )
        )
    meeting_day = (now - timedelta(days=3)).date()
    plan.append(
        (
            datetime.combine(meeting_day, time(13, 0), tzinfo=UTC),
            service.BriefingInput(
                title="Global pre-operation meeting",
                kind=BriefingKind.PRE_OPERATION_MEETING,
                mode=MeetingMode.VIRTUAL,
                network=None,
                start_local=datetime.combine(meeting_day, time(13, 0)),
                timezone="UTC",
                duration_minutes=150,
                location="Video conference; the link is shared over the secure channel.",
                agenda=AGENDA,
                materials=MATERIALS,
            ),
        )
    )

    for starts_at, data in plan:
        b = service.schedule(op, data, organiser, now=starts_at - timedelta(days=14))
        created["briefings"] += 1
        after = service.ends_at(b)
        for p in participations:
            if p.status is not ParticipationStatus.CONFIRMED or not service.is_invited(b, p):
                continue
            if rng.random() < ATTENDANCE_SHARE:
                service.record_attendance(b, p, True, rng.randint(1, 4), organiser, now=after)
                created["attendances"] += 1

    for p in participations:
        if p.status is ParticipationStatus.CONFIRMED and rng.random() < ACKNOWLEDGED_SHARE:
            by = p.focal_points[0] if p.focal_points else None
            service.acknowledge_guidelines(p, by, now=now - timedelta(days=rng.randint(1, 20)))
            created["acknowledgements"] += 1
    db.session.flush()
    return created
