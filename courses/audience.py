"""Audience hint choices, mirroring the values of training's Person choices.

courses sits below training and may not import it; tests/courses check that these
lists stay equal to training's. The labels are the same source strings, so the
translations are shared.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CATEGORY_CHOICES = [
    ("prosecutor", _("Prosecutor")),
    ("assistant", _("Prosecutor's assistant")),
    ("clerk", _("Clerk")),
    ("police", _("Judicial police")),
    ("technician", _("Procuratorial technician")),
    ("administrative", _("Judicial administrative staff")),
]

GRADE_CHOICES = [
    ("chief", _("Procurator-General")),
    ("grand1", _("Grand Prosecutor, 1st class")),
    ("grand2", _("Grand Prosecutor, 2nd class")),
    ("senior1", _("Senior Prosecutor, 1st class")),
    ("senior2", _("Senior Prosecutor, 2nd class")),
    ("senior3", _("Senior Prosecutor, 3rd class")),
    ("senior4", _("Senior Prosecutor, 4th class")),
    ("p1", _("Prosecutor, 1st class")),
    ("p2", _("Prosecutor, 2nd class")),
    ("p3", _("Prosecutor, 3rd class")),
    ("p4", _("Prosecutor, 4th class")),
    ("p5", _("Prosecutor, 5th class")),
]

LEADERSHIP_CHOICES = [
    ("bureau", _("Bureau level")),
    ("county", _("County/division level")),
    ("section", _("Section level")),
]
