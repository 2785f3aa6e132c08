"""URLs of the class pages (培训班), added to the ``training:`` namespace."""

from django.urls import path

from training.classes import attendance_views, views

urlpatterns = [
    path("classes/", views.class_list, name="class_list"),
    path("classes/mine/", views.class_mine, name="class_mine"),
    path("classes/new/", views.class_create, name="class_create"),
    path("classes/<int:pk>/", views.class_detail, name="class_detail"),
    path("classes/<int:pk>/edit/", views.class_edit, name="class_edit"),
    path("classes/<int:pk>/quotas/", views.class_quotas, name="class_quotas"),
    path("classes/<int:pk>/nominate/", views.class_nominate, name="class_nominate"),
    path(
        "classes/<int:pk>/members/<int:member_id>/withdraw/",
        views.class_member_withdraw,
        name="class_member_withdraw",
    ),
    path(
        "classes/<int:pk>/sessions/new/",
        views.class_session_new,
        name="class_session_new",
    ),
    path(
        "classes/<int:pk>/sessions/<int:session_id>/attendance/",
        attendance_views.attendance_checkin,
        name="attendance_checkin",
    ),
    path(
        "classes/<int:pk>/attendance/import/",
        attendance_views.attendance_import,
        name="attendance_import",
    ),
    path(
        "classes/<int:pk>/attendance/template.xlsx",
        attendance_views.attendance_template,
        name="attendance_template",
    ),
    path("classes/<int:pk>/complete/", views.class_complete, name="class_complete"),
    path(
        "classes/<int:pk>/roster.xlsx",
        views.class_roster_export,
        name="class_roster_export",
    ),
]
