"""The results cycle over the JSON API, each role with its own token: Thailand's focal point
reports three seizures (one sensitive), the national results and a highlight case, and
submits; the ASEAN-WEN coordinator validates; the organiser approves. The database is checked at
each step, and Kenya's focal point gets 404 on every one of Thailand's URLs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from opsplanner.extensions import db
from opsplanner.models import (
    AuditEvent,
    CountryReport,
    HighlightCase,
    Participation,
    RecordSource,
    ReportStatus,
    Seizure,
)
from tests.conftest import bearer

A = "/api/v1"


class Api:
    """One role's client; remembers the country-level calls made, for the replay by another."""

    calls: list[tuple[str, str, Any]] = []

    def __init__(self, client: Any, token: str) -> None:
        self.client, self.headers = client, bearer(token)

    def __call__(self, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
        response = self.client.open(f"{A}{url}", method=method, json=body, headers=self.headers)
        assert response.status_code == expect, (method, url, response.get_data(as_text=True))
        if "/countries/THA" in url:
            self.calls.append((method, url, body))
        return response.get_json() if response.is_json else response


def state(op_id: int) -> tuple[CountryReport, list[Seizure]]:
    db.session.commit()  # a fresh snapshot: see what the requests committed
    p = db.session.scalar(
        select(Participation).where(
            Participation.operation_id == op_id, Participation.country_iso3 == "THA"
        )
    )
    report = db.session.scalar(select(CountryReport).where(CountryReport.participation_id == p.id))
    rows = db.session.scalars(
        select(Seizure).where(Seizure.participation_id == p.id).order_by(Seizure.id)
    ).all()
    return report, list(rows)


def seizure(reference: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "national_reference": reference,
        "seized_on": "2027-02-04",
        "place": "Suvarnabhumi Airport cargo terminal",
        "agency": "customs",
        "detection_method": "xray_scanner",
        "species": "Manis javanica",
        "commodity": "pangolin_scales",
        "quantities": [{"amount": "120.5", "unit": "kg"}],
        "conveyance": "air_cargo",
        "origin": ["NGA"],
        "transit": ["ETH"],
        "destination": ["THA"],
        "priority": 2,
        "suspects": 2,
        "arrests": 2,
        "publishable": True,
    }
    return {**body, **overrides}


def test_results_cycle_over_the_api(app, users, api_tokens, reporting):
    Api.calls = []
    tha = Api(app.test_client(), api_tokens["fp_tha"])
    asean = Api(app.test_client(), api_tokens["coord_asean"])
    org = Api(app.test_client(), api_tokens["organiser"])
    ken = Api(app.test_client(), api_tokens["fp_ken"])
    op = f"/operations/{reporting.id}"
    country = f"{op}/countries/THA"

    # 1. Thailand's focal point reports three seizures, one of them sensitive.
    scales = tha("POST", f"{country}/seizures", seizure("TH-CYCLE-1"), expect=201)
    ivory = tha(
        "POST",
        f"{country}/seizures",
        seizure(
            "TH-CYCLE-2",
            seized_on="2027-02-09",
            species="Loxodonta africana",
            commodity="ivory",
            quantities=[{"amount": 40, "unit": "pieces"}, {"amount": 96.25, "unit": "kg"}],
            priority=1,
            origin=["KEN", "TZA"],
        ),
        expect=201,
    )
    secret = tha(
        "POST",
        f"{country}/seizures",
        seizure(
            "TH-CYCLE-3",
            seized_on="2027-02-12",
            species=None,
            species_other="Manis sp.",
            sensitive=True,
            publishable=False,
            suspects=4,
            arrests=0,
        ),
        expect=201,
    )
    assert secret["species_unverified"] is True and secret["sensitive"] is True
    report, rows = state(reporting.id)
    assert (report.status, report.version) == (ReportStatus.DRAFT, 1)  # started by the first
    assert [s.national_reference for s in rows] == ["TH-CYCLE-1", "TH-CYCLE-2", "TH-CYCLE-3"]
    assert {s.source for s in rows} == {RecordSource.API}
    assert [(q.amount, q.unit) for q in rows[1].quantities] == [
        (Decimal("40"), "pieces"),
        (Decimal("96.25"), "kg"),
    ]
    assert (rows[2].sensitive, rows[2].species_id, rows[2].species_other) == (
        True,
        None,
        "Manis sp.",
    )
    # a correction before submitting
    tha("PATCH", f"{country}/seizures/{ivory['id']}", {"version": 1, "port": "BKK"})
    listing = tha("GET", f"{country}/seizures")
    assert listing["count"] == 3
    assert [s["sensitive"] for s in listing["items"]] == [False, False, True]

    # 2. The national results and a highlight case; the sensitive case cannot be nominated.
    national = tha("GET", f"{country}/national-results")
    tha(
        "PUT",
        f"{country}/national-results",
        {
            "version": national["version"],
            "counts": {"arrests": 6, "investigations_opened": 3},
            "suspects_by_nationality": {"THA": 5, "VNM": 3},
            "assets": {"amount": "25000", "currency": "THB"},
            "consent_to_be_named": True,
        },
    )
    tha(
        "POST",
        f"{country}/highlights",
        {"seizure_id": secret["id"], "narrative": "Not for the press"},
        expect=422,
    )
    tha(
        "POST",
        f"{country}/highlights",
        {"seizure_id": scales["id"], "narrative": "Scales declared as fish maw.", "consent": True},
        expect=201,
    )
    report, rows = state(reporting.id)
    assert (report.status, report.version, report.arrests) == (ReportStatus.DRAFT, 2, 6)
    assert report.suspects_by_nationality == {"THA": 5, "VNM": 3}
    assert (report.assets_seized_amount, report.assets_seized_currency) == (Decimal("25000"), "THB")
    assert rows[1].port == "BKK" and rows[1].version == 2
    cases = db.session.scalars(select(HighlightCase)).all()
    assert [c.seizure_id for c in cases] == [scales["id"]]

    # 3. The focal point submits: the report locks.
    current = tha("GET", f"{country}/report")
    assert (current["version"], current["available_actions"]) == (2, ["submit"])
    submitted = tha("POST", f"{country}/report/submit", {"version": 2})
    assert submitted["on_time"] is True and submitted["seizure_count"] == 3
    report, _ = state(reporting.id)
    assert (report.status, report.submitted_by_id) == (ReportStatus.SUBMITTED, users["fp_tha"].id)
    assert report.first_submitted_at == report.submitted_at
    locked = tha("POST", f"{country}/seizures", seizure("TH-CYCLE-4"), expect=422)
    assert locked["error"]["message"] == submitted["lock_reason"]

    # 4. The ASEAN-WEN coordinator reads everything, the sensitive record too, and validates.
    assert asean("GET", f"{country}/seizures?sensitive=true")["items"][0]["id"] == secret["id"]
    assert asean("GET", f"{country}/seizures/{secret['id']}/history")["count"] == 1
    assert asean("GET", f"{country}/national-results")["counts"]["arrests"] == 6
    assert asean("GET", f"{country}/highlights")["count"] == 1
    assert asean("GET", f"{country}/report")["available_actions"] == ["validate", "return"]
    asean("POST", f"{country}/report/approve", {"version": 3}, expect=403)
    asean("POST", f"{country}/report/validate", {"version": 3, "comment": "Complete."})
    report, _ = state(reporting.id)
    assert (report.status, report.validated_by_id) == (
        ReportStatus.VALIDATED,
        users["coord_asean"].id,
    )

    # 5. The organiser approves: the results are final.
    listed = org("GET", f"{op}/reports?status=validated")
    assert [(r["country"], r["seizure_count"]) for r in listed["items"]] == [("THA", 3)]
    approved = org("POST", f"{country}/report/approve", {"version": 4})
    assert approved["lock_reason"].startswith("Approved")
    assert [t["action"] for t in approved["transitions"]] == ["submit", "validate", "approve"]
    report, rows = state(reporting.id)
    assert (report.status, report.approved_by_id) == (ReportStatus.APPROVED, users["organiser"].id)
    assert len(rows) == 3
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.via == "api").order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "seizure.create",
        "seizure.create",
        "seizure.create",
        "seizure.update",
        "report.national_results",
        "highlight.create",
        "report.submit",
        "report.validate",
        "report.approve",
    ]

    # 6. Kenya's focal point gets 404 on every one of Thailand's URLs, reads or writes.
    assert ken("GET", f"{op}/countries/KEN/report")["status"] == "draft"
    replayed = {(method, url) for method, url, _ in Api.calls}
    assert len(replayed) >= 12
    leaks = []
    for method, url, body in Api.calls:
        response = ken.client.open(f"{A}{url}", method=method, json=body, headers=ken.headers)
        text = response.get_data(as_text=True)
        if response.status_code != 404 or "TH-CYCLE" in text or "Thailand" in text:
            leaks.append(f"{method} {url}: {response.status_code}")
    assert not leaks, "\n".join(leaks)
    report, rows = state(reporting.id)
    assert report.status is ReportStatus.APPROVED and len(rows) == 3
