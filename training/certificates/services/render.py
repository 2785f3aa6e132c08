"""What a certificate says and how it is drawn.

The subject (a passed class member, or a person who met a programme in a cycle)
is checked for eligibility and turned into the printed facts; a template fills
them in as fields, which become HTML and a (possibly signed) PDF. The admin
preview uses the same path with a sample person, so what it shows is what prints.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cms.pdf import PDF_CONTENT_TYPE, html_to_pdf
from cms.signing import sign_pdf, signing_enabled
from training.certificates.models import (
    PLACEHOLDER_RE,
    Certificate,
    CertificateTemplate,
)
from training.certificates.services.codes import (
    _CROCKFORD_ALIASES,
    certificate_verify_url,
)
from training.classes.models import ClassMember, TrainingClass
from training.compliance.models import ComplianceStatus
from training.org.models import Person
from training.programmes import rules
from training.programmes.models import Programme

# --- What a certificate says ---------------------------------------------------


@dataclass
class Subject:
    """What a certificate is for, resolved and checked for eligibility."""

    kind: str
    person: Person
    programme: Programme | None = None
    cycle_start: dt.date | None = None
    training_class: TrainingClass | None = None

    @property
    def key(self) -> str:
        if self.kind == Certificate.Kind.CLASS:
            return f"class:{self.training_class.pk}:{self.person.pk}"
        return f"programme:{self.programme.pk}:{self.person.pk}:{self.cycle_start}"

    @property
    def template_choice(self) -> CertificateTemplate | None:
        owner = self.training_class or self.programme
        return owner.certificate_template


def _date(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _subject_values(subject: Subject) -> dict[str, str]:
    """The printed facts, checked: raises ValidationError when not eligible."""
    person = subject.person
    if subject.kind == Certificate.Kind.CLASS:
        training_class = subject.training_class
        member = ClassMember.objects.filter(
            training_class=training_class, person=person
        ).first()
        if (
            training_class.status != TrainingClass.Status.COMPLETED
            or member is None
            or member.result != ClassMember.Result.PASSED
        ):
            raise ValidationError(
                _("%(name)s did not pass the class “%(class)s”.")
                % {"name": person.full_name, "class": training_class.name}
            )
        return {
            "subject": training_class.name,
            "start": _date(training_class.starts_on),
            "end": _date(training_class.ends_on),
            "hours": f"{rules.format_amount(training_class.credited_hours)} 学时",
            "days": f"{rules.format_amount(training_class.credited_days)} 天",
            "result": "合格",
        }
    status = ComplianceStatus.objects.filter(
        person=person,
        programme=subject.programme,
        cycle_start=subject.cycle_start,
        status=ComplianceStatus.Status.COMPLIANT,
    ).first()
    if status is None:
        raise ValidationError(
            _("%(name)s has not met “%(programme)s” in this cycle.")
            % {"name": person.full_name, "programme": subject.programme.name}
        )
    return {
        "subject": subject.programme.name,
        "start": _date(status.cycle_start),
        "end": _date(status.met_on or status.cycle_end),
        "hours": f"{rules.format_amount(status.hours)} 学时",
        "days": f"{rules.format_amount(status.days)} 天",
        "result": "合格",
    }


def _body(template: CertificateTemplate, values: dict[str, str]) -> list[str]:
    """The body text with its placeholders filled in, as paragraphs."""
    return [
        PLACEHOLDER_RE.sub(
            lambda m: values.get(m.group(1), ""), block.replace("\n", "")
        ).strip()
        for block in re.split(r"\n\s*\n", template.body.strip())
    ]


def certificate_fields(
    *,
    template: CertificateTemplate,
    values: dict[str, str],
    code: str,
    issued_on: dt.date,
) -> dict:
    values = {**values, "issued": _date(issued_on)}
    return {
        "code": code,
        "number": "-".join(code[i : i + 4] for i in range(0, len(code), 4)),
        "title": template.title,
        "issuing_body": template.issuing_body,
        "signature_line": template.signature_line,
        "orientation": template.orientation,
        "body": _body(template, values),
        "verify_url": certificate_verify_url(code),
        "verify_base": settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        + reverse("training:certificate_verify_lookup"),
        **values,
    }


# --- Rendering -------------------------------------------------------------------

_seal_cache: dict[tuple, str] = {}


def _seal_data_uri(template: CertificateTemplate) -> str:
    """The seal as a data URI, read once per image (a bulk run prints it 1,000×)."""
    image = template.seal
    if image is None:
        return ""
    key = (image.pk, image.file.name)
    found = _seal_cache.get(key)
    if found is None:
        rendition = image.get_rendition("max-400x400|format-png")
        with rendition.file.open("rb") as handle:
            found = "data:image/png;base64," + base64.b64encode(handle.read()).decode()
        _seal_cache.clear()
        _seal_cache[key] = found
    return found


def _qr_data_uri(url: str) -> str:
    import segno

    # A small PNG: WeasyPrint draws an SVG QR code path by path, ten times slower.
    # A fixed mask skips segno's mask scoring (three times faster; any mask scans).
    return segno.make(url, error="m", mask=0).png_data_uri(
        scale=4, border=0, dark="#222"
    )


def certificate_html(*, fields: dict, template: CertificateTemplate) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "training/certificates/certificate_pdf.html",
            {
                "f": fields,
                "seal": _seal_data_uri(template),
                "qr": _qr_data_uri(fields["verify_url"]),
            },
        )


def certificate_pdf(*, fields: dict, template: CertificateTemplate) -> bytes:
    data = html_to_pdf(certificate_html(fields=fields, template=template), lean=True)
    if signing_enabled():
        data = sign_pdf(
            data,
            reason=f"{fields['title']} {fields['number']}",
            location=fields["issuing_body"],
        )
    return data


SAMPLE_VALUES = {
    "name": "张喆堃",
    "unit": "浙江省杭州市西湖区人民检察院",
    "subject": "2026年度政治轮训",
    "start": "2026年3月1日",
    "end": "2026年3月5日",
    "hours": "40 学时",
    "days": "5 天",
    "result": "合格",
}


def certificate_template_preview(*, template: CertificateTemplate, mode: str):
    """The admin preview: the template filled with a sample person."""
    fields = certificate_fields(
        template=template,
        values=SAMPLE_VALUES,
        code="PREV1EW0SAMP1E00".translate(_CROCKFORD_ALIASES),
        issued_on=timezone.localdate(),
    )
    if mode == "pdf":
        return HttpResponse(
            certificate_pdf(fields=fields, template=template),
            content_type=PDF_CONTENT_TYPE,
        )
    return HttpResponse(certificate_html(fields=fields, template=template))


def template_for(subject: Subject) -> CertificateTemplate:
    template = subject.template_choice
    if template is None:
        template = CertificateTemplate.objects.filter(is_default=True).first()
    if template is None:
        raise ValidationError(
            _("No certificate template: mark one as the default in the admin.")
        )
    return template
