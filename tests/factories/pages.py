"""The Wagtail home page, for tests that need the page tree.

Its data migration creates it, but every transactional test flushes the database
afterwards, so a later test may find no page tree at all.
"""

from __future__ import annotations

from django.conf import settings


def home_page_ensure():
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    from cms.models import HomePage

    home = HomePage.objects.live().first()
    if home is None:
        language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
        locale, _ = Locale.objects.get_or_create(language_code=language)
        root = Page.get_first_root_node() or Page.add_root(
            instance=Page(title="Root", locale=locale)
        )
        home = root.add_child(
            instance=HomePage(
                title="检察教育培训平台",
                slug="home",
                locale=locale,
                intro="<p>面向全国检察人员的在线学习、考试与培训管理平台。</p>",
            )
        )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={
            "hostname": "localhost",
            "port": 80,
            "root_page": home,
            "site_name": "检察教育培训平台",
        },
    )
    return home
