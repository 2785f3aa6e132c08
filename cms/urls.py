from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import views

# Apps above cms plug in by dotted path, so cms never imports them.
handler404 = views.page_not_found

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("search/", views.search, name="search"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    # One login for the whole site: Wagtail's own login form would bypass allauth's
    # rate limits and two-factor step, so it redirects to allauth's.
    path(
        "admin/login/",
        RedirectView.as_view(url="/accounts/login/", query_string=True),
        name="wagtailadmin_login",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include("training.api.urls")),
    path("", include("assessments.urls")),
    path("", include("courses.urls")),
    path("", include("training.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    # Wagtail's login for private pages, likewise replaced by allauth's.
    path(
        "_util/login/",
        RedirectView.as_view(url="/accounts/login/", query_string=True),
        name="wagtailcore_login",
    ),
    path("", include(wagtail_urls)),
]
