"""Results reporting: each country's report for an operation, its seizures (non-nominal: never
a suspect's name), national results, highlight cases, the spreadsheet uploads they came from,
and the reminders sent to countries that have not reported."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opsplanner.extensions import db
from opsplanner.models.base import UTCDateTime, str_enum, utcnow
from opsplanner.models.operations import Participation, Priority
from opsplanner.models.users import User


class Species(db.Model):
    """A commonly seized taxon from the shipped reference (species.json)."""

    __tablename__ = "species"

    id: Mapped[int] = mapped_column(primary_key=True)
    scientific_name: Mapped[str] = mapped_column(String(160), unique=True)
    common_name: Mapped[str] = mapped_column(String(200), default="")
    rank: Mapped[str] = mapped_column(String(20), default="species")
    taxon_group: Mapped[str] = mapped_column(String(40))
    # "I", "II", "III", "I/II" (split listings) or "" (not listed)
    cites_appendix: Mapped[str] = mapped_column(String(10), default="")
    appendix_note: Mapped[str] = mapped_column(Text, default="")
    commodities: Mapped[list[str]] = mapped_column(JSON, default=list)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    APPROVED = "approved"
    RETURNED = "returned"


class CountryReport(db.Model):
    """A country's results for one operation and where they stand in review (DHIS2-style:
    the focal point submits, the network coordinator validates, the organiser approves).
    Also holds the national results: counts that are not per seizure."""

    __tablename__ = "country_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "report_status"), default=ReportStatus.DRAFT, index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The first submission decides whether the country reported on time; later resubmissions
    # (after a return) do not move it.
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    return_comment: Mapped[str] = mapped_column(Text, default="")

    # -- national results (counts, never names) ----------------------------------------------
    arrests: Mapped[int] = mapped_column(Integer, default=0)
    # {"VNM": 3, "CHN": 1}: suspects identified, counted by nationality (ISO3)
    suspects_by_nationality: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    investigations_opened: Mapped[int] = mapped_column(Integer, default=0)
    prosecutions_initiated: Mapped[int] = mapped_column(Integer, default=0)
    companies_implicated: Mapped[int] = mapped_column(Integer, default=0)
    criminal_networks_identified: Mapped[int] = mapped_column(Integer, default=0)
    financial_investigations_opened: Mapped[int] = mapped_column(Integer, default=0)
    assets_seized_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    assets_seized_currency: Mapped[str] = mapped_column(String(3), default="")
    online_adverts_removed: Mapped[int] = mapped_column(Integer, default=0)
    online_accounts_removed: Mapped[int] = mapped_column(Integer, default=0)
    international_notices_requested: Mapped[int] = mapped_column(Integer, default=0)
    # Whether the country may be named in public releases (the CITES precedent: data are
    # shared "unless otherwise specified by the reporting Party"). Off until the country says.
    consent_to_be_named: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    participation: Mapped[Participation] = relationship()
    transitions: Mapped[list[ReportTransition]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="ReportTransition.id",
    )

    __mapper_args__ = {"version_id_col": version}


class ReportTransition(db.Model):
    """One move of a report through review, with the comment given (returns need one)."""

    __tablename__ = "report_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("country_report.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus, "from_status"))
    to_status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus, "to_status"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    report: Mapped[CountryReport] = relationship(back_populates="transitions")
    by: Mapped[User | None] = relationship()


class DetectionMethod(enum.StrEnum):
    RISK_PROFILING = "risk_profiling"
    XRAY_SCANNER = "xray_scanner"
    DETECTOR_DOG = "detector_dog"
    PHYSICAL_INSPECTION = "physical_inspection"
    INTELLIGENCE = "intelligence"
    ONLINE_MONITORING = "online_monitoring"
    TIP_OFF = "tip_off"
    CONTROLLED_DELIVERY = "controlled_delivery"
    OTHER = "other"


class RecordSource(enum.StrEnum):
    FORM = "form"
    UPLOAD = "upload"
    API = "api"
    DEMO = "demo"


class Seizure(db.Model):
    """One seizure, non-nominal (counts and nationalities at most, as in WCO CEN and TWIX)."""

    __tablename__ = "seizure"
    # The national reference is how a country names its case: re-sending it updates, never
    # duplicates.
    __table_args__ = (UniqueConstraint("participation_id", "national_reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    national_reference: Mapped[str] = mapped_column(String(80))
    seized_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(300))
    port: Mapped[str] = mapped_column(String(120), default="")
    agency: Mapped[str] = mapped_column(String(40))
    detection_method: Mapped[DetectionMethod] = mapped_column(
        str_enum(DetectionMethod, "detection_method")
    )
    species_id: Mapped[int | None] = mapped_column(ForeignKey("species.id"), index=True)
    # Free-text species when the taxon is not in the reference; such records are flagged for
    # review (species_unverified) until someone maps them.
    species_other: Mapped[str] = mapped_column(String(200), default="")
    commodity: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    conveyance: Mapped[str] = mapped_column(String(30))
    origin_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    transit_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    destination_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    online_linked: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_id: Mapped[int | None] = mapped_column(
        ForeignKey("priority.id", ondelete="SET NULL"), index=True
    )
    suspects: Mapped[int] = mapped_column(Integer, default=0)
    arrests: Mapped[int] = mapped_column(Integer, default=0)
    # Case under investigation: kept out of every publication and communications view.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    publishable: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[RecordSource] = mapped_column(str_enum(RecordSource, "record_source"))
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batch.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    participation: Mapped[Participation] = relationship()
    species: Mapped[Species | None] = relationship()
    priority: Mapped[Priority | None] = relationship()
    quantities: Mapped[list[SeizureQuantity]] = relationship(
        back_populates="seizure",
        cascade="all, delete-orphan",
        order_by="SeizureQuantity.position",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def species_unverified(self) -> bool:
        return self.species_id is None


class SeizureQuantity(db.Model):
    """One quantity of a seizure in one unit. Quantities in different units are never added:
    12 kg and 40 pieces of ivory stay two figures."""

    __tablename__ = "seizure_quantity"
    __table_args__ = (UniqueConstraint("seizure_id", "unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seizure_id: Mapped[int] = mapped_column(
        ForeignKey("seizure.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    unit: Mapped[str] = mapped_column(String(20))

    seizure: Mapped[Seizure] = relationship(back_populates="quantities")


class HighlightCase(db.Model):
    """A seizure the country nominates for the press, with its narrative and consent."""

    __tablename__ = "highlight_case"
    __table_args__ = (UniqueConstraint("seizure_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    seizure_id: Mapped[int] = mapped_column(ForeignKey("seizure.id", ondelete="CASCADE"))
    narrative: Mapped[str] = mapped_column(Text)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    participation: Mapped[Participation] = relationship()
    seizure: Mapped[Seizure] = relationship()


class ImportStatus(enum.StrEnum):
    PREVIEWED = "previewed"  # valid, waiting for the user's confirmation
    REJECTED = "rejected"  # had errors: nothing was written
    APPLIED = "applied"
    DISCARDED = "discarded"


class ImportBatch(db.Model):
    """One spreadsheet (or API bulk) upload: validated in full, previewed, then applied in one
    transaction. The stored file is the provenance of every row it wrote."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[RecordSource] = mapped_column(str_enum(RecordSource, "batch_source"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_format: Mapped[str] = mapped_column(String(10), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus, "import_status"))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # The first errors as {"row": n, "column": name, "message": text}; the count says how many.
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participation: Mapped[Participation] = relationship()
    created_by: Mapped[User | None] = relationship()


class ReportReminder(db.Model):
    """The outbox of reminders to countries that have not submitted as the deadline nears:
    one per country and stage, so the periodic task never sends the same reminder twice."""

    __tablename__ = "report_reminder"
    __table_args__ = (UniqueConstraint("participation_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participation.id", ondelete="CASCADE"), index=True
    )
    # "7d", "2d", "overdue": how close to (or past) the deadline it was sent
    stage: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")

    participation: Mapped[Participation] = relationship()
