"""Training models, one module per area; every public model is re-exported here."""

from training.models.api import ApiToken
from training.models.certificates import (
    Certificate,
    CertificateBatch,
    CertificateReview,
    CertificateRevocation,
    CertificateTemplate,
)
from training.models.classes import (
    AttendanceRecord,
    ClassMember,
    ClassQuota,
    ClassSession,
    TrainingClass,
)
from training.models.compliance import ComplianceStatus, Exemption
from training.models.exports import ReportExport
from training.models.ledger import (
    ApprovalDelegation,
    ExternalEvidence,
    ExternalRecord,
    LedgerEntry,
)
from training.models.notifications import Notification
from training.models.org import (
    GRADE_ONLY_FOR_PROSECUTORS,
    OrgUnit,
    Person,
    RoleGrant,
    RosterImport,
)
from training.models.programmes import Programme, ProgrammeVersion
from training.models.reports import ProgressReport, ReportSubmission
from training.models.rollups import UnitRollup, UnitRollupMonth

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
