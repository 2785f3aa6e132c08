"""The acceptance test of certificates (结业证书), in the browser.

A class organised by the city procuratorate is completed and the learner passed,
but the class does not issue certificates by itself. The city's coordinator issues
them in bulk from the class page and watches the batch finish. The learner finds
the certificate under "my learning" and downloads the PDF: the very file whose
SHA-256 was registered. A stranger follows the certificate's QR code to the public
verify page, sees it valid under a masked name, and uploads the PDF to check it.

Elements are found by id, name or CSS class, not by interface text, so the test
keeps passing when the interface is translated. With SCREENSHOTS=1 the screens go
to docs/screenshots/certificate-*.png and the certificate itself to
docs/screenshots/certificate-pdf.png."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from tests.e2e.conftest import VIEWPORT
from tests.factories import (
    PASSWORD,
    OrgUnitFactory,
    PersonFactory,
    Role,
    UserFactory,
    grant,
)
from tests.factories.training import (
    default_certificate_template_ensure,
    make_completed_class,
)
from training.certificates.models import Certificate, CertificateBatch
from training.org.services import role_groups_ensure

pytestmark = pytest.mark.e2e

LEARNER_NAME = "张喆明"
MASKED_NAME = "张*明"
IMAGES_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _past_dates() -> tuple[dt.date, dt.date]:
    """Three days that ended before today, inside this calendar year."""
    today = timezone.localdate()
    first_of_year = dt.date(today.year, 1, 1)
    ends = max(first_of_year, today - dt.timedelta(days=7))
    starts = max(first_of_year, ends - dt.timedelta(days=2))
    return starts, ends


@pytest.fixture
def world(transactional_db, home_page, live_server, settings):
    # The verify URL (and its QR code) is fixed when the certificate is issued:
    # point it at the live server so the anonymous browser can follow it.
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    role_groups_ensure()
    default_certificate_template_ensure()
    prov = OrgUnitFactory(code="PROV", name="某省人民检察院", level="provincial")
    city = OrgUnitFactory(
        code="CITY-A", name="甲市人民检察院", level="municipal", parent=prov
    )
    basic = OrgUnitFactory(code="A1", name="甲市甲一区人民检察院", parent=city)
    learner = PersonFactory(
        unit=basic, employee_no="310100311", user__full_name=LEARNER_NAME
    )
    coordinator = UserFactory(username="coord-a", full_name="李协调")
    grant(coordinator, Role.COORDINATOR, city)
    starts, ends = _past_dates()
    training_class = make_completed_class(
        city,
        actor=coordinator,
        passed=[learner],
        name=f"{starts.year}年第三期公诉业务能力提升班",
        starts_on=starts,
        ends_on=ends,
        hours="24",
        days="3",
        sessions=3,
        issues_certificate=False,
    )
    assert not Certificate.objects.exists()
    return {
        "city": city,
        "learner": learner,
        "coordinator": coordinator,
        "training_class": training_class,
    }


def sign_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def _pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(  # noqa: S603
        ["pdftotext", str(path), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _render_sample(pdf: Path) -> None:
    """The certificate as an image for the docs, at screen resolution."""
    if os.environ.get("SCREENSHOTS") != "1" or not shutil.which("pdftoppm"):
        return
    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-singlefile",
            str(pdf),
            str(IMAGES_DIR / "certificate-pdf"),
        ],
        check=True,
    )


def test_bulk_issue_download_and_public_verify(
    page, browser, live_server, world, screenshot, tmp_path
):
    training_class = world["training_class"]
    learner = world["learner"]

    # The coordinator issues the class's certificates in bulk.
    sign_in(page, world["coordinator"].username)
    page.goto(f"/classes/{training_class.pk}/")
    page.locator("#class-certificates").wait_for()
    page.click("#class-certificates-batch button[type=submit]")
    page.wait_for_url(re.compile(r"/certificates/batches/\d+/$"))
    page.locator("#batch-status.badge-success").wait_for()
    batch = CertificateBatch.objects.get(training_class=training_class)
    assert batch.status == CertificateBatch.Status.DONE
    assert (batch.total, batch.issued) == (1, 1)
    assert page.locator("#batch-progress").count() == 0
    counts = page.locator("#batch-counts .stat-value").all_inner_texts()
    assert [c.strip() for c in counts] == ["1", "1", "0", "0"]
    certificate = Certificate.objects.get(person=learner)
    assert certificate.batch_id == batch.pk
    assert certificate.issued_by == world["coordinator"]
    rows = page.locator("#batch-certificates tbody tr")
    assert rows.count() == 1
    assert certificate.number in rows.first.inner_text()
    screenshot(page, "certificate-batch.png")

    # The coordinator's list and the certificate's page.
    page.goto("/certificates/")
    page.locator("#certificates-table").wait_for()
    assert page.locator(f"#certificate-{certificate.code}").count() == 1
    screenshot(page, "certificate-list.png")
    page.goto(f"/certificates/{certificate.code}/")
    page.locator("#certificate-fields").wait_for()
    assert page.locator("#certificate-download").count() == 1
    sha = page.inner_text("#certificate-sha256")
    assert "".join(sha.split()) == certificate.sha256
    screenshot(page, "certificate-detail.png")

    # The learner: my learning → my certificates → download the PDF.
    sign_in(page, learner.user.username)
    page.goto("/learning/")
    page.click(".learning-certificates a")
    page.wait_for_url(re.compile(r"/me/certificates/$"))
    row = page.locator(f"#my-certificates-table #certificate-{certificate.code}")
    row.wait_for()
    assert page.locator("#my-certificates-table tbody tr").count() == 1
    screenshot(page, "certificate-mine.png")
    with page.expect_download() as download_info:
        row.locator(f"a[href$='/certificates/{certificate.code}/download/']").click()
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == certificate.sha256
    assert LEARNER_NAME in "".join(_pdf_text(pdf).split())
    _render_sample(pdf)

    # A stranger scans the QR code: the public page, no login, masked name.
    verify_url = certificate.fields["verify_url"]
    assert verify_url == f"{live_server.url}/certificates/verify/{certificate.code}/"
    stranger = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    stranger.set_default_timeout(15_000)
    try:
        public = stranger.new_page()
        response = public.goto(verify_url)
        assert response is not None and response.status == 200
        status = public.locator("#verify-status")
        assert status.get_attribute("data-status") == "valid"
        assert public.inner_text("#masked-name").strip() == MASKED_NAME
        assert public.inner_text("#certificate-number").strip() == certificate.number
        assert LEARNER_NAME not in public.content()

        # The downloaded file matches the registered record.
        public.set_input_files("#id_pdf", str(pdf))
        with public.expect_navigation():
            public.click("#file-check-form button[type=submit]")
        assert public.locator("#file-check").get_attribute("data-result") == "match"
        assert public.locator("#verify-status").get_attribute("data-status") == "valid"
        assert LEARNER_NAME not in public.content()
        screenshot(public, "certificate-verify.png")
    finally:
        stranger.close()
