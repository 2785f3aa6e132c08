from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class OrgUnit(MP_Node):
    """A node of the organisation tree: a procuratorate, a department or an office.

    Materialised path (treebeard): ``path`` of a subtree shares its root's prefix, so
    "everything under X" is one indexed ``path LIKE 'X%'`` query at any depth.
    """

    class Kind(models.TextChoices):
        PROCURATORATE = "procuratorate", _("Procuratorate")
        DEPARTMENT = "department", _("Internal department")
        BRANCH = "branch", _("Dispatched procuratorate")
        OFFICE = "office", _("Procuratorial office")

    class Level(models.TextChoices):
        SUPREME = "supreme", _("Supreme")
        PROVINCIAL = "provincial", _("Provincial")
        MUNICIPAL = "municipal", _("Municipal")
        BASIC = "basic", _("Basic")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("unit name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.PROCURATORATE
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    is_active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    node_order_by = ["sort_order", "code"]

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


# One wording for the rule wherever it is checked (model validation, roster rows).
GRADE_ONLY_FOR_PROSECUTORS = _("Only prosecutors have a prosecutor grade.")


class Person(models.Model):
    """A staff member (检察人员). Personal data fields are marked ``# pii``."""

    class Category(models.TextChoices):
        PROSECUTOR = "prosecutor", _("Prosecutor")
        ASSISTANT = "assistant", _("Prosecutor's assistant")
        CLERK = "clerk", _("Clerk")
        JUDICIAL_POLICE = "police", _("Judicial police")
        TECHNICIAN = "technician", _("Procuratorial technician")
        ADMINISTRATIVE = "administrative", _("Judicial administrative staff")

    class Grade(models.TextChoices):
        # 四等十二级: 首席大检察官, 大检察官 1–2, 高级检察官 1–4, 检察官 1–5.
        CHIEF = "chief", _("Procurator-General")
        GRAND_1 = "grand1", _("Grand Prosecutor, 1st class")
        GRAND_2 = "grand2", _("Grand Prosecutor, 2nd class")
        SENIOR_1 = "senior1", _("Senior Prosecutor, 1st class")
        SENIOR_2 = "senior2", _("Senior Prosecutor, 2nd class")
        SENIOR_3 = "senior3", _("Senior Prosecutor, 3rd class")
        SENIOR_4 = "senior4", _("Senior Prosecutor, 4th class")
        PROSECUTOR_1 = "p1", _("Prosecutor, 1st class")
        PROSECUTOR_2 = "p2", _("Prosecutor, 2nd class")
        PROSECUTOR_3 = "p3", _("Prosecutor, 3rd class")
        PROSECUTOR_4 = "p4", _("Prosecutor, 4th class")
        PROSECUTOR_5 = "p5", _("Prosecutor, 5th class")

    class LeadershipLevel(models.TextChoices):
        NONE = "", _("None")
        BUREAU = "bureau", _("Bureau level")
        COUNTY = "county", _("County/division level")
        SECTION = "section", _("Section level")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="person",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="people"
    )
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    is_quota = models.BooleanField(_("quota prosecutor (员额)"), default=False)
    grade = models.CharField(
        _("grade"), max_length=10, choices=Grade.choices, blank=True
    )
    leadership_level = models.CharField(
        _("leadership level"),
        max_length=10,
        choices=LeadershipLevel.choices,
        blank=True,
        default="",
    )
    position_title = models.CharField(_("position"), max_length=100, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    grade_since = models.DateField(_("in current grade since"), null=True, blank=True)
    post_since = models.DateField(_("in current post since"), null=True, blank=True)
    is_active = models.BooleanField(_("in service"), default=True)
    # pii: national ID number, stored only as an HMAC (for matching roster rows)
    # and its last four characters (for display). See training.org.identity.
    national_id_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    national_id_last4 = models.CharField(
        _("ID number (last 4)"), max_length=4, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["unit", "category"]),
            models.Index(fields=["category", "grade", "leadership_level"]),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}（{self.employee_no}）"

    def clean(self) -> None:
        if self.grade and self.category != self.Category.PROSECUTOR:
            raise ValidationError({"grade": GRADE_ONLY_FOR_PROSECUTORS})

    @property
    def full_name(self) -> str:
        return self.user.full_name

    @property
    def masked_national_id(self) -> str:
        return (
            f"**************{self.national_id_last4}" if self.national_id_last4 else ""
        )


class RoleGrant(models.Model):
    """``(user, role, unit)``: the role holds over the unit and its whole subtree.

    Every signed-in person is a learner; grants add the other roles.
    """

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Training coordinator")
        LEADER = "leader", _("Leader (audit)")
        EDITOR = "editor", _("Course editor")
        ADMIN = "admin", _("Administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="role_grants",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit"], name="unique_role_grant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class RosterImport(models.Model):
    """One upload of a roster file and what became of it (all rows or none)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Checking")
        WRITING = "writing", _("Writing")
        SUCCEEDED = "succeeded", _("Imported")
        REJECTED = "rejected", _("Rejected: errors found")
        FAILED = "failed", _("Failed")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="roster_imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("people added"), default=0)
    updated_count = models.PositiveIntegerField(_("people updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {
            self.Status.SUCCEEDED,
            self.Status.REJECTED,
            self.Status.FAILED,
        }

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))
