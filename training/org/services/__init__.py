"""Writes with business meaning. Re-exports the public service functions."""

from training.org.services.roles import (
    ROLE_GROUPS,
    role_grant_create,
    role_grant_revoke,
    role_groups_ensure,
)
from training.org.services.roster.columns import (
    ROSTER_COLUMNS,
    roster_template_workbook,
)
from training.org.services.roster.run import roster_import_create, roster_import_run
from training.org.services.units import org_unit_create, org_unit_move

__all__ = [
    "ROLE_GROUPS",
    "ROSTER_COLUMNS",
    "org_unit_create",
    "org_unit_move",
    "role_grant_create",
    "role_grant_revoke",
    "role_groups_ensure",
    "roster_import_create",
    "roster_import_run",
    "roster_template_workbook",
]
