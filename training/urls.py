from django.urls import path

from training import (
    urls_certificates,
    urls_classes,
    urls_compliance,
    urls_dashboard,
    urls_programmes,
    urls_records,
    urls_reports,
    views,
    views_assign,
    views_exams,
)

app_name = "training"

urlpatterns = [
    path("me/", views.my_record, name="my_record"),
    path("people/", views.people_list, name="people_list"),
    path("people/export.xlsx", views.people_export, name="people_export"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("units/", views.unit_list, name="unit_list"),
    path("invitations/<int:quiz_id>/", views_exams.exam_invite, name="exam_invite"),
    path("roster/", views.roster_upload, name="roster_upload"),
    path("roster/template.xlsx", views.roster_template, name="roster_template"),
    path("roster/<int:pk>/", views.roster_import_detail, name="roster_import_detail"),
    path(
        "roster/<int:pk>/status.json",
        views.roster_import_status,
        name="roster_import_status",
    ),
    path("assign/", views_assign.assign, name="assign"),
    path("assign/<int:pk>/", views_assign.assign_status, name="assign_status"),
    path(
        "assign/<int:pk>/status.json",
        views_assign.assign_status_json,
        name="assign_status_json",
    ),
]
urlpatterns += urls_compliance.urlpatterns
urlpatterns += urls_records.urlpatterns
urlpatterns += urls_reports.urlpatterns
urlpatterns += urls_classes.urlpatterns
urlpatterns += urls_programmes.urlpatterns
urlpatterns += urls_certificates.urlpatterns
urlpatterns += urls_dashboard.urlpatterns
