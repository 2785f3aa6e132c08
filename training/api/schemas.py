"""Request and response shapes of API v1. Amounts (学时, days) are decimals and
travel as strings ("90.00"), never as floats."""

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

# Ids are 32-bit on every supported database; a larger number is a 422, not a 500.
MAX_ID = 2_147_483_647
# Text that reaches a query: PostgreSQL refuses NUL characters outright.
NO_NUL = r"^[^\x00]*$"


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[dict[str, Any]] | dict[str, Any] | None = None


class Ref(Schema):
    id: int
    name: str


class UnitRef(Schema):
    id: int
    code: str
    name: str


# --- units and people ---------------------------------------------------------------


class UnitOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    level: str
    depth: int
    path: str = Field(description="Materialised path: a unit's subtree shares it.")
    parent_id: int | None
    is_active: bool


class PersonOut(Schema):
    id: int
    employee_no: str
    full_name: str
    unit: UnitRef
    category: str
    grade: str
    leadership_level: str
    is_quota: bool
    position_title: str
    is_active: bool

    @staticmethod
    def resolve_full_name(obj) -> str:
        return obj.user.full_name


class PersonDetailOut(PersonOut):
    joined_on: dt.date | None
    grade_since: dt.date | None
    post_since: dt.date | None
    national_id_last4: str = Field(description="Last four characters only.")


# --- programmes and compliance ------------------------------------------------------


class VersionOut(Schema):
    number: int
    effective_from: dt.date
    hours_required: Decimal | None
    days_required: Decimal | None
    online_hours_required: Decimal | None
    centralised_days_required: Decimal | None
    credit_scope: str
    cycle_kind: str
    cycle_years: int
    cycle_anchor_year: int | None
    trigger_event: str
    window_months: int | None
    categories: list[str]
    grades: list[str]
    leadership_levels: list[str]
    quota: str
    required_courses: list[Ref]
    required_quizzes: list[Ref]
    required_classes: list[Ref]
    summary: list[str] = Field(description="The rule in plain words.")


class ProgrammeOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    owner_unit: UnitRef
    responsible_department: str
    responsible_person: str
    deadline: dt.date | None
    issues_certificate: bool
    published_at: dt.datetime | None


class ProgrammeDetailOut(ProgrammeOut):
    description: str
    current_version: VersionOut | None


class ProgressOut(Schema):
    key: str
    have: Decimal
    required: Decimal
    percent: int | None


class PersonComplianceOut(Schema):
    id: int
    programme: Ref
    version: int
    cycle_start: dt.date
    cycle_end: dt.date
    due_on: dt.date
    is_open: bool
    status: str
    met_on: dt.date | None
    hours: Decimal
    days: Decimal
    online_hours: Decimal
    centralised_days: Decimal
    pending_hours: Decimal
    progress: list[ProgressOut]
    missing: dict[str, Any] = Field(
        description="What is still missing: amounts and required course, exam and "
        "class ids."
    )


class CountsOut(Schema):
    total: int
    compliant: int
    in_progress: int
    overdue: int
    exempt: int
    at_risk: int
    hours: Decimal
    online_hours: Decimal
    rate: Decimal | None = Field(
        description="Compliant share in percent, exempt excluded."
    )
    online_hours_per_head: Decimal | None


class ChildUnitCountsOut(Schema):
    id: int
    code: str
    name: str
    has_children: bool
    rank: int | None
    counts: CountsOut


class ClassesOut(Schema):
    held: int
    participants: int
    passed: int
    pass_rate: Decimal | None
    start: dt.date
    end: dt.date


class TrendOut(Schema):
    month: str
    met: int
    cumulative: int
    rate: Decimal | None


class UnitComplianceOut(Schema):
    unit: UnitRef
    programme: Ref | None
    cycle_start: dt.date | None
    summary: CountsOut
    own: CountsOut = Field(description="People directly in the unit.")
    children: list[ChildUnitCountsOut]
    by_category: dict[str, CountsOut]
    by_grade: dict[str, CountsOut]
    by_leadership: dict[str, CountsOut]
    by_focus: dict[str, CountsOut]
    trend: list[TrendOut]
    classes: ClassesOut
    generated_at: str


# --- ledger and external records ----------------------------------------------------


class LedgerEntryOut(Schema):
    id: int
    source: str
    title: str
    hours: Decimal
    days: Decimal
    is_online: bool
    is_centralised: bool
    occurred_on: dt.date
    programme_id: int | None
    reverses_id: int | None
    reason: str
    created_at: dt.datetime


class ExternalRecordIn(Schema):
    person_id: int = Field(ge=1, le=MAX_ID)
    title: str = Field(min_length=1, max_length=300, pattern=NO_NUL)
    provider: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    started_on: dt.date
    ended_on: dt.date
    hours: Decimal = Field(
        Decimal(0), ge=0, max_digits=7, decimal_places=2, description="学时"
    )
    days: Decimal = Field(Decimal(0), ge=0, max_digits=6, decimal_places=1)
    is_centralised: bool = False
    programme_id: int = Field(
        0,
        ge=0,
        le=MAX_ID,
        description="A published programme the credit is earmarked for (0: none).",
    )
    note: str = Field("", pattern=NO_NUL)
    idempotency_key: str = Field(
        "",
        max_length=64,
        pattern=NO_NUL,
        description="Sending the same key again returns the record made the first "
        "time instead of a second one.",
    )


class ExternalRecordOut(Schema):
    id: int
    person_id: int
    title: str
    provider: str
    started_on: dt.date
    ended_on: dt.date
    hours: Decimal
    days: Decimal
    is_centralised: bool
    programme_id: int | None
    note: str
    status: str
    submitted_at: dt.datetime
    evidence: list[str] = Field(description="File names of the attached evidence.")


# --- courses ------------------------------------------------------------------------


class CourseRef(Schema):
    id: int
    title: str


class EnrolmentOut(Schema):
    id: int
    person_id: int
    course: CourseRef
    source: str
    assignment_id: int | None
    required: bool
    due_on: dt.date | None
    enrolled_at: dt.datetime
    completed_at: dt.datetime | None
    credit_hours: Decimal | None
    progress_percent: int


class AssignmentOut(Schema):
    id: int
    course: CourseRef
    target_kind: str
    target_label: str
    required: bool
    due_on: dt.date | None
    reason: str
    status: str
    total: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


# --- certificates and reports -------------------------------------------------------


class RevocationOut(Schema):
    revoked_at: dt.datetime
    reason: str


class CertificateVerifyOut(Schema):
    number: str
    status: str = Field(description="valid, revoked or superseded")
    holder: str = Field(description="The holder's name, partly hidden.")
    unit: str
    subject: str
    title: str
    issuing_body: str
    hours: str
    days: str
    period_start: str
    period_end: str
    issued_at: dt.datetime
    signed: bool
    sha256: str = Field(description="SHA-256 of the issued PDF.")
    revocation: RevocationOut | None
    replaced_by: str | None = Field(description="Number of the new certificate.")


class ProgressReportOut(Schema):
    id: int
    unit: UnitRef
    period: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    status: str
    submission_count: int
    last_submitted_at: dt.datetime | None


class SubmissionOut(Schema):
    number: int
    submitted_at: dt.datetime
    sha256: str
    returned_at: dt.datetime | None
    return_comment: str
    data: dict[str, Any]


class ProgressReportDetailOut(ProgressReportOut):
    problems: str
    comments: str
    latest_submission: SubmissionOut | None
