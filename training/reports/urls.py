"""Leadership dashboards and their exports (/reports/), progress reports (进展报告)
and the personal training record (个人培训档案); included from training.urls."""

from django.urls import path

from training.reports import dashboard_views as views_dashboard
from training.reports import export_views as views_exports
from training.reports import progress_views as views_reports
from training.reports import record_views

urlpatterns = [
    path(
        "progress-reports/",
        views_reports.progress_report_list,
        name="progress_report_list",
    ),
    path(
        "progress-reports/new/",
        views_reports.progress_report_new,
        name="progress_report_new",
    ),
    path(
        "progress-reports/children/",
        views_reports.progress_report_children,
        name="progress_report_children",
    ),
    path(
        "progress-reports/<int:pk>/",
        views_reports.progress_report_detail,
        name="progress_report_detail",
    ),
    path(
        "progress-reports/submissions/<int:sid>.pdf",
        views_reports.progress_report_submission_pdf,
        name="progress_report_submission_pdf",
    ),
    path(
        "progress-reports/submissions/<int:sid>/return/",
        views_reports.progress_report_return,
        name="progress_report_return",
    ),
    # Dashboard pages (views_dashboard).
    path("reports/", views_dashboard.dashboard, name="dashboard"),
    path("reports/people/", views_dashboard.dashboard_people, name="dashboard_people"),
    # Exports (views_exports): small tables right away, big ones as tasks.
    path(
        "reports/export/<slug:table>.xlsx",
        views_exports.table_xlsx,
        name="dashboard_table_xlsx",
    ),
    path("reports/report.pdf", views_exports.dashboard_pdf, name="dashboard_pdf"),
    path("reports/exports/", views_exports.export_list, name="export_list"),
    path("reports/exports/new/", views_exports.export_create, name="export_create"),
    path(
        "reports/exports/<int:pk>/", views_exports.export_detail, name="export_detail"
    ),
    path(
        "reports/exports/<int:pk>/status.json",
        views_exports.export_status,
        name="export_status",
    ),
    path(
        "reports/exports/<int:pk>/download/",
        views_exports.export_download,
        name="export_download",
    ),
    # The personal training record (record_views).
    path(
        "me/training-record/",
        record_views.my_training_record,
        name="my_training_record",
    ),
    path(
        "me/training-record.pdf",
        record_views.my_training_record,
        {"fmt": "pdf"},
        name="my_training_record_pdf",
    ),
    path(
        "me/training-record.xlsx",
        record_views.my_training_record,
        {"fmt": "xlsx"},
        name="my_training_record_xlsx",
    ),
    path(
        "people/<int:pk>/training-record/",
        record_views.person_training_record,
        name="person_training_record",
    ),
    path(
        "people/<int:pk>/training-record.pdf",
        record_views.person_training_record,
        {"fmt": "pdf"},
        name="person_training_record_pdf",
    ),
    path(
        "people/<int:pk>/training-record.xlsx",
        record_views.person_training_record,
        {"fmt": "xlsx"},
        name="person_training_record_xlsx",
    ),
]
