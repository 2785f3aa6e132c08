"""People (检察人员), units and the roster import (included from training.urls)."""

from django.urls import path

from training.org import views

urlpatterns = [
    path("me/", views.my_record, name="my_record"),
    path("people/", views.people_list, name="people_list"),
    path("people/export.xlsx", views.people_export, name="people_export"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("units/", views.unit_list, name="unit_list"),
    path("roster/", views.roster_upload, name="roster_upload"),
    path("roster/template.xlsx", views.roster_template, name="roster_template"),
    path("roster/<int:pk>/", views.roster_import_detail, name="roster_import_detail"),
    path(
        "roster/<int:pk>/status.json",
        views.roster_import_status,
        name="roster_import_status",
    ),
]
