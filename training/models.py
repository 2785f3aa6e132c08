"""Training models, one module per area; every public model is re-exported here."""

from training.api.models import ApiToken
from training.certificates.models import (
    Certificate,
    CertificateBatch,
    CertificateReview,
    CertificateRevocation,
    CertificateTemplate,
)
from training.classes.models import (
    AttendanceRecord,
    ClassMember,
    ClassQuota,
    ClassSession,
    TrainingClass,
)
from training.compliance.models import ComplianceStatus, Exemption
from training.compliance.rollup_models import UnitRollup, UnitRollupMonth
from training.ledger.models import (
    ApprovalDelegation,
    ExternalEvidence,
    ExternalRecord,
    LedgerEntry,
)
from training.notifications.models import Notification
from training.org.models import (
    GRADE_ONLY_FOR_PROSECUTORS,
    OrgUnit,
    Person,
    RoleGrant,
    RosterImport,
)
from training.programmes.models import Programme, ProgrammeVersion
from training.reports.export_models import ReportExport
from training.reports.models import ProgressReport, ReportSubmission

__all__ = [
    "GRADE_ONLY_FOR_PROSECUTORS",
    "ApiToken",
    "ApprovalDelegation",
    "AttendanceRecord",
    "Certificate",
    "CertificateBatch",
    "CertificateReview",
    "CertificateRevocation",
    "CertificateTemplate",
    "ClassMember",
    "ClassQuota",
    "ClassSession",
    "ComplianceStatus",
    "Exemption",
    "ExternalEvidence",
    "ExternalRecord",
    "LedgerEntry",
    "Notification",
    "OrgUnit",
    "Person",
    "Programme",
    "ProgrammeVersion",
    "ProgressReport",
    "ReportExport",
    "ReportSubmission",
    "RoleGrant",
    "RosterImport",
    "TrainingClass",
    "UnitRollup",
    "UnitRollupMonth",
]
