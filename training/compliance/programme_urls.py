from django.urls import path

from training.compliance import programme_views as views

urlpatterns = [
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/new/", views.programme_new, name="programme_new"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path(
        "programmes/<int:pk>/archive/",
        views.programme_archive_view,
        name="programme_archive",
    ),
    path(
        "programmes/<int:pk>/people/",
        views.programme_people,
        name="programme_people",
    ),
    path(
        "programmes/<int:pk>/people.xlsx",
        views.programme_people_export,
        name="programme_people_export",
    ),
    path(
        "programmes/<int:pk>/recompute/",
        views.programme_recompute,
        name="programme_recompute",
    ),
    path(
        "programmes/<int:pk>/versions/new/",
        views.version_new,
        name="programme_version_new",
    ),
    path(
        "programmes/<int:pk>/versions/<int:vid>/edit/",
        views.version_edit,
        name="programme_version_edit",
    ),
    path(
        "programmes/<int:pk>/versions/<int:vid>/publish/",
        views.version_publish,
        name="programme_version_publish",
    ),
]
