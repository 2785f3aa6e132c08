"""Every URL refuses anonymous users unless it is on the short public list below.

The URLconf is walked as Django's own reverse() sees it; each pattern gets a concrete
URL with sample values for its parameters. A new endpoint that answers anonymous
users fails here until it is protected or deliberately added to PUBLIC.
"""

from __future__ import annotations

import itertools
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, converters, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

# View names (namespaced as reverse() spells them) that anonymous users may use.
PUBLIC = {
    # pages and their private-page / private-document password forms
    "wagtail_serve",
    "wagtailcore_authenticate_with_password",
    "wagtaildocs_serve",
    "wagtaildocs_authenticate_with_password",
    # signing in and out, closed sign-up, password reset by e-mail
    "account_login",
    "account_logout",
    "account_signup",
    "account_inactive",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    # e-mail confirmation links arrive in a mail client, before any session exists
    "account_confirm_email",
    "account_email_verification_sent",
    # infrastructure, and static assets the login page itself needs
    "healthz",
    "set_language",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
    # certificate verification by number (rate-limited, masked name only)
    "training:certificate_verify_lookup",
    "training:certificate_verify",
    # the REST API: its public certificate check (same rate limit and facts as the
    # page) and its description, which holds no data (every data route needs a
    # session or an API token, tested in tests/training/api/)
    "api-v1:certificate_verify",
    "api-v1:openapi-json",
    "api-v1:openapi-view",
}

LOGIN_URL = "/accounts/login/"
REFUSED = {401, 403, 404, 405}

SAMPLES = {
    converters.IntConverter: "1",
    converters.StringConverter: "sample",
    converters.SlugConverter: "sample-slug",
    converters.UUIDConverter: str(uuid.UUID(int=1)),
    converters.PathConverter: "sample/path",
}
FALLBACK_SAMPLES = ["1", "sample", "sample-slug", "1/", "a-1", str(uuid.UUID(int=1))]


def _walk(resolver, prefix="", convs=None, namespaces=()):
    for entry in resolver.url_patterns:
        regex = entry.pattern.regex.pattern.removeprefix("^")
        found = {**(convs or {}), **entry.pattern.converters}
        if isinstance(entry, URLResolver):
            extra = (entry.namespace,) if entry.namespace else ()
            yield from _walk(entry, prefix + regex, found, namespaces + extra)
        elif isinstance(entry, URLPattern):
            yield prefix + regex, found, namespaces, entry


def _concrete_url(regex: str, convs: dict) -> str | None:
    compiled = re.compile("^" + regex)
    for template, params in normalize(regex):
        choices = []
        for name in params:
            converter = convs.get(name)
            sample = SAMPLES.get(type(converter)) if converter else None
            choices.append([sample] if sample else FALLBACK_SAMPLES)
        for values in itertools.islice(itertools.product(*choices), 500):
            path = template % dict(zip(params, values, strict=True))
            if compiled.match(path):
                return "/" + path
    return None


def _all_urls():
    urls = {}
    for regex, convs, _namespaces, _entry in _walk(get_resolver()):
        url = _concrete_url(regex, convs)
        if url is not None:
            urls.setdefault(url, regex)
    return sorted(urls)


def _view_name(url: str) -> str:
    try:
        return resolve(url).view_name
    except Resolver404:
        return ""


ALL_URLS = _all_urls()


def test_walk_found_the_project_urls():
    names = {_view_name(url) for url in ALL_URLS}
    assert len(ALL_URLS) > 100
    assert {
        "training:people_list",
        "training:person_detail",
        "training:roster_import_status",
        "wagtailadmin_home",
        "healthz",
    } <= names


def test_public_list_has_no_stale_entries():
    names = {_view_name(url) for url in ALL_URLS}
    assert PUBLIC - names == set()


def _refused(response, client=None) -> bool:
    if response.status_code in REFUSED:
        return True
    if response.status_code in {301, 302, 303, 307, 308}:
        location = response["Location"]
        if location.startswith("/admin/login/") and client is not None:
            # Wagtail's admin sends to its own login URL, which redirects to ours.
            return _refused(client.get(location))
        return location.startswith(LOGIN_URL)
    return False


def _describe(response) -> str:
    return f"{response.status_code} {response.get('Location', '')}".strip()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ALL_URLS)
def test_anonymous_is_refused(client, url):
    name = _view_name(url)
    if name in PUBLIC:
        pytest.skip(f"public: {name or url}")
    response = client.get(url)
    assert _refused(response, client), (
        f"GET {url} ({name}) answered {_describe(response)}"
    )
    if response.status_code == 405:
        response = client.post(url)
        assert _refused(response), f"POST {url} ({name}) answered {_describe(response)}"
