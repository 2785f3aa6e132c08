"""The public verification pages: status, what is (not) shown, the PDF check, 404s,
canonical URLs and the rate limit. Everything as an anonymous visitor."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from tests.factories.training import make_completed_class
from training.certificates.services import (
    certificate_issue,
    certificate_reissue,
    certificate_revoke,
)

# The Chinese catalogue gets these strings after the English source; compare English.
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def holder(people):
    person = people["A1"]
    person.user.full_name = "张三明"
    person.user.save(update_fields=["full_name"])
    return person


@pytest.fixture
def certificate(tree, coordinator, holder, people):
    training_class = make_completed_class(
        tree.city_a, actor=coordinator, passed=[holder, people["A2"]]
    )
    cert, _created = certificate_issue(
        person=holder, training_class=training_class, actor=coordinator
    )
    return cert


def _url(code: str) -> str:
    return reverse("training:certificate_verify", args=[code])


def _page(client, code: str):
    response = client.get(_url(code), **EN)
    assert response.status_code == 200
    return response.content.decode()


def test_valid_certificate_for_anonymous(client, certificate, holder):
    html = _page(client, certificate.code)
    assert 'data-status="valid"' in html
    assert ">Valid<" in html
    assert '<meta name="robots" content="noindex">' in html
    assert certificate.number in html
    assert certificate.fields["title"] in html
    assert certificate.fields["issuing_body"] in html
    assert certificate.fields["subject"] in html
    assert certificate.fields["unit"] in html
    assert "40 学时" in html and "5 天" in html
    assert certificate.fields["start"] in html and certificate.fields["end"] in html


def test_page_shows_the_masked_name_and_nothing_else_personal(
    client, certificate, holder
):
    html = _page(client, certificate.code)
    assert "张*明" in html
    assert "张三明" not in html
    assert holder.employee_no not in html
    assert holder.user.username not in html
    assert reverse("training:person_detail", args=[holder.pk]) not in html
    assert "person" not in re.sub(r"<[^>]*>", "", html).lower()


def test_signed_note_only_when_signed(client, certificate):
    assert 'id="signed-note"' not in _page(client, certificate.code)
    type(certificate).objects.filter(pk=certificate.pk).update(signed=True)
    html = _page(client, certificate.code)
    assert 'id="signed-note"' in html and "Digital signature" in html


def test_revoked_certificate_shows_reason_and_date(client, certificate, coordinator):
    revocation = certificate_revoke(
        certificate=certificate, actor=coordinator, reason="学时记录有误"
    )
    html = _page(client, certificate.code)
    assert 'data-status="revoked"' in html
    assert ">Revoked<" in html
    assert "学时记录有误" in html
    with translation.override("en"):
        day = date_format(timezone.localdate(revocation.revoked_at), "DATE_FORMAT")
    assert f"revoked on {day}" in html


def test_superseded_certificate_links_to_the_new_one(client, certificate, coordinator):
    new = certificate_reissue(
        certificate=certificate, actor=coordinator, reason="单位名称变更"
    )
    html = _page(client, certificate.code)
    assert 'data-status="superseded"' in html
    assert ">Replaced<" in html
    assert f'href="{_url(new.code)}"' in html
    assert new.number in html
    assert 'data-status="valid"' in _page(client, new.code)


def _normalised(response) -> str:
    """The body without what differs by design: the CSRF token of the language
    switch and the requested path it returns to."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'name="next" value="[^"]*"', "", html)


def test_unknown_and_malformed_numbers_get_the_same_404(client, certificate):
    unknown = "0" * 16 if certificate.code != "0" * 16 else "1" * 16
    responses = [
        client.get(_url(code), **EN)
        for code in (unknown, "NOT-A-NUMBER", "ABCD", "U" * 16, unknown.lower())
    ]
    assert {r.status_code for r in responses} == {404}
    bodies = {_normalised(r) for r in responses}
    assert len(bodies) == 1
    assert certificate.code not in bodies.pop()


def test_lowercase_dashed_number_redirects_to_the_canonical_url(client, certificate):
    for typed in (certificate.number.lower(), f" {certificate.number} "):
        response = client.get(_url(typed))
        assert response.status_code == 302
        assert response["Location"] == _url(certificate.code)


def test_lookup_form_redirects_or_explains(client, certificate):
    page = client.get(reverse("training:certificate_verify_lookup"), **EN)
    assert page.status_code == 200
    assert 'name="number"' in page.content.decode()
    response = client.get(
        reverse("training:certificate_verify_lookup"),
        {"number": certificate.number.lower()},
    )
    assert response.status_code == 302
    assert response["Location"] == _url(certificate.code)
    bad = client.get(
        reverse("training:certificate_verify_lookup"),
        {"number": "12345"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 200
    assert "This is not a certificate number" in bad.content.decode()


def _upload(client, certificate, data: bytes):
    return client.post(
        _url(certificate.code),
        {"pdf": SimpleUploadedFile("c.pdf", data, content_type="application/pdf")},
        **EN,
    )


def test_upload_the_issued_pdf_matches(client, certificate):
    with certificate.pdf.open("rb") as handle:
        data = handle.read()
    response = _upload(client, certificate, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-result="match"' in html
    assert "The file matches the registered record and has not been altered" in html


def test_upload_an_altered_pdf_warns(client, certificate):
    with certificate.pdf.open("rb") as handle:
        data = handle.read()
    response = _upload(client, certificate, data[:-10] + b"tampered!\n")
    html = response.content.decode()
    assert 'data-result="mismatch"' in html
    assert "does NOT match the registered record" in html


def test_post_without_a_file_asks_for_one(client, certificate):
    response = client.post(_url(certificate.code), {}, **EN)
    assert response.status_code == 200
    assert 'data-result="missing"' in response.content.decode()


def test_rate_limit_answers_429(client, certificate, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "certificate_verify": "3/m/ip",
    }
    codes = [client.get(_url(certificate.code)).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    response = client.get(_url(certificate.code), **EN)
    assert response.status_code == 429
    assert "Too many look-ups, please try again later." in response.content.decode()
    # Unknown numbers count too: walking the number space is what it stops.
    assert client.get(_url("0" * 16)).status_code == 429


def test_verify_page_needs_few_queries(
    client, certificate, coordinator, django_assert_max_num_queries
):
    certificate_reissue(certificate=certificate, actor=coordinator, reason="更正")
    with django_assert_max_num_queries(1):
        assert client.get(_url(certificate.code)).status_code == 200
