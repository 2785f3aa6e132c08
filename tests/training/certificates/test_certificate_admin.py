"""Certificate templates in the Wagtail admin: list, edit, live preview (HTML and PDF),
who may reach them, and the guards on the default template."""

import pytest
from django.urls import reverse

from tests.factories import Role, UserFactory, grant
from training.certificates.models import CertificateTemplate
from training.org.services import role_groups_ensure

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _url(action: str, *args) -> str:
    return reverse(f"wagtailsnippets_training_certificatetemplate:{action}", args=args)


@pytest.fixture
def default_template(db):
    # Migration training/0004 puts one default template in place.
    return CertificateTemplate.objects.get(is_default=True)


@pytest.fixture
def editor(tree):
    role_groups_ensure()
    user = UserFactory(username="editor-1", full_name="课程编辑")
    grant(user, Role.EDITOR, tree.prov)
    return user


def _form_data(template: CertificateTemplate, **changes) -> dict:
    data = {
        "name": template.name,
        "title": template.title,
        "issuing_body": template.issuing_body,
        "body": template.body,
        "signature_line": template.signature_line,
        "seal": template.seal_id or "",
        "orientation": template.orientation,
    }
    if template.is_default:
        data["is_default"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_superuser_lists_and_edits_templates(client, superuser, default_template):
    client.force_login(superuser)
    listing = client.get(_url("list"), **EN)
    assert listing.status_code == 200
    assert default_template.name in listing.content.decode()
    edit = client.get(_url("edit", default_template.pk), **EN)
    assert edit.status_code == 200
    html = edit.content.decode()
    for field in ("name", "title", "issuing_body", "body", "signature_line", "seal"):
        assert f'name="{field}"' in html
    assert "{name}" in html  # the placeholder help text
    assert _url("preview_on_edit", default_template.pk) in html


def test_superuser_saves_a_template(client, superuser, default_template):
    client.force_login(superuser)
    response = client.post(
        _url("edit", default_template.pk),
        _form_data(default_template, title="培训合格证明"),
    )
    assert response.status_code == 302
    default_template.refresh_from_db()
    assert default_template.title == "培训合格证明"


def test_unknown_placeholder_is_a_form_error(client, superuser, default_template):
    client.force_login(superuser)
    response = client.post(
        _url("edit", default_template.pk),
        _form_data(default_template, body="{name}同志{nickname}"),
        **EN,
    )
    assert response.status_code == 200
    assert "Unknown placeholders: {nickname}" in response.content.decode()


@pytest.mark.parametrize("mode", ["", "pdf"])
def test_preview_in_the_editor(client, superuser, default_template, mode):
    client.force_login(superuser)
    preview_url = _url("preview_on_edit", default_template.pk)
    state = client.post(
        preview_url, _form_data(default_template, title="预览证书标题")
    ).json()
    assert state == {"is_valid": True, "is_available": True}
    response = client.get(preview_url, {"mode": mode})
    assert response.status_code == 200
    if mode == "pdf":
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    else:
        html = response.content.decode()
        assert "预览证书标题" in html
        assert "张喆堃" in html  # the sample person


def test_editor_role_may_edit_templates(client, editor, default_template):
    client.force_login(editor)
    assert client.get(_url("list")).status_code == 200
    assert client.get(_url("edit", default_template.pk)).status_code == 200
    assert client.get(_url("add")).status_code == 200


@pytest.mark.parametrize("who", ["coordinator", "learner"])
def test_others_cannot_reach_the_templates(client, request, who, default_template):
    user = request.getfixturevalue(who)
    role_groups_ensure()
    client.force_login(user)
    for url in (
        _url("list"),
        _url("edit", default_template.pk),
        _url("preview_on_edit", default_template.pk),
    ):
        response = client.get(url)
        assert response.status_code in {302, 403}, url
        if response.status_code == 302:
            assert not response["Location"].startswith(url)


def test_default_template_cannot_be_deleted(client, superuser, default_template):
    client.force_login(superuser)
    response = client.post(_url("delete", default_template.pk))
    assert response.status_code in {302, 403}
    assert CertificateTemplate.objects.filter(pk=default_template.pk).exists()


def test_unused_template_can_be_deleted(client, superuser, default_template):
    spare = CertificateTemplate.objects.create(
        name="备用模板", title="结业证书", issuing_body="某学院", body="{name}"
    )
    client.force_login(superuser)
    response = client.post(_url("delete", spare.pk))
    assert response.status_code == 302
    assert not CertificateTemplate.objects.filter(pk=spare.pk).exists()


def test_second_default_is_refused_with_a_message(client, superuser, default_template):
    client.force_login(superuser)
    response = client.post(
        _url("add"),
        _form_data(
            CertificateTemplate(
                name="新模板",
                title="培训合格证明",
                issuing_body="某学院",
                body="{name}",
                is_default=True,
                orientation="portrait",
            )
        ),
        **EN,
    )
    assert response.status_code == 200
    assert default_template.name in response.content.decode()
    assert CertificateTemplate.objects.filter(is_default=True).count() == 1
