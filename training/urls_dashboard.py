"""Leadership dashboards and their exports (/reports/), included from training.urls."""

from django.urls import path

from training import views_dashboard, views_exports

urlpatterns = [
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
]
