"""Per-unit roll-ups of ``ComplianceStatus`` for the leadership dashboards.

A roll-up row counts the people *directly* in one unit for one programme cycle and
one combination of person attributes (category, grade, leadership level, 员额). A
subtree's figures are the sum of its units' rows, found by the tree path: the root
dashboard of 3,600 units reads tens of thousands of small rows, never the 300,000
status rows or the ledger. Kept current by ``training.compliance.rollups`` whenever
statuses are written; ``UnitRollupMonth`` holds when people met the programme, for
the monthly trend.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from training.org.models import OrgUnit
from training.programmes.models import Programme


class UnitRollup(models.Model):
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    cycle_start = models.DateField()
    category = models.CharField(max_length=16)
    grade = models.CharField(max_length=10, blank=True)
    leadership_level = models.CharField(max_length=10, blank=True)
    is_quota = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    compliant = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    exempt = models.PositiveIntegerField(default=0)
    # In progress with the due date within AT_RISK_DAYS of when the row was built.
    at_risk = models.PositiveIntegerField(default=0)
    hours = models.DecimalField(default=0, max_digits=14, decimal_places=2)
    online_hours = models.DecimalField(default=0, max_digits=14, decimal_places=2)
    built_on = models.DateField()

    class Meta:
        verbose_name = _("unit roll-up")
        verbose_name_plural = _("unit roll-ups")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "unit",
                    "programme",
                    "cycle_start",
                    "category",
                    "grade",
                    "leadership_level",
                    "is_quota",
                ],
                name="unique_unit_rollup",
            )
        ]
        indexes = [models.Index(fields=["programme", "cycle_start", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.programme_id} · {self.cycle_start}"


class UnitRollupMonth(models.Model):
    """How many of a unit's people met the programme cycle in each month."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    cycle_start = models.DateField()
    month = models.DateField()  # first day of the month
    met = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("unit monthly roll-up")
        verbose_name_plural = _("unit monthly roll-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "programme", "cycle_start", "month"],
                name="unique_unit_rollup_month",
            )
        ]
        indexes = [models.Index(fields=["programme", "cycle_start", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.programme_id} · {self.month:%Y-%m}"
