"""A read-only consistency check of the records that prove training: run it after
restoring a backup, after a crash, or nightly.

What it recounts, in chunks so 300,000 people cost a few queries per chunk, never a
query per row:

* ``statuses`` — every ``ComplianceStatus``: its 学时, days, online 学时,
  centralised days and pending 学时 equal a recount from the ledger (the same
  rule engine, ``training.programmes.rules``, over the same entries), and its status
  agrees with whether the recounted credits meet the version's requirement;
* ``rollups`` — every ``UnitRollup`` / ``UnitRollupMonth`` equals a recount of the
  status rows (as of the day each roll-up row was built, for the at-risk count);
* ``certificates`` — every certificate's PDF exists and hashes to the stored
  SHA-256; a PDF no certificate refers to is reported as a warning;
* ``ledger`` — reversals reverse exactly one ordinary entry of the same person with
  the negated amounts, credits from courses, tests, classes and approved records
  are not negative, no person's total is negative, and approved external records
  hold the entry their approval wrote.

Mismatches are listed with ids (at most ``LIST_LIMIT`` per check; all are counted).
"""

from __future__ import annotations

from collections.abc import Iterable

from training.consistency.files import (
    check_certificates,
)
from training.consistency.ledger import check_ledger
from training.consistency.report import (
    ConsistencyReport,
    Progress,
)
from training.consistency.rollups import (
    check_rollups,
)
from training.consistency.statuses import (
    check_statuses,
)

CHECKS = ("statuses", "rollups", "certificates", "ledger")
CHUNK = 5000


def consistency_check(
    *,
    checks: Iterable[str] = CHECKS,
    chunk_size: int = CHUNK,
    hashes: bool = True,
    progress: Progress = None,
) -> ConsistencyReport:
    """Run the named checks (all by default) and return what they found."""
    report = ConsistencyReport()
    wanted = set(checks)
    unknown = wanted - set(CHECKS)
    if unknown:
        raise ValueError(f"Unknown checks: {', '.join(sorted(unknown))}")
    if "ledger" in wanted:
        check_ledger(report)
    if "statuses" in wanted:
        check_statuses(report, chunk_size=chunk_size, progress=progress)
    if "rollups" in wanted:
        check_rollups(report)
    if "certificates" in wanted:
        check_certificates(
            report, chunk_size=chunk_size, hashes=hashes, progress=progress
        )
    return report


# --- the ledger ----------------------------------------------------------------------


# --- compliance statuses ----------------------------------------------------------


# --- roll-ups ----------------------------------------------------------------------


# --- certificates -------------------------------------------------------------------
