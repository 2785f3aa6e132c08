"""Notifications and progress reports (included from training.urls)."""

from django.urls import path

from training import views_notifications, views_reports

urlpatterns = [
    path(
        "notifications/",
        views_notifications.notification_list,
        name="notification_list",
    ),
    path(
        "notifications/<int:pk>/read/",
        views_notifications.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        views_notifications.notification_read_all,
        name="notification_read_all",
    ),
    path(
        "notifications/unread-count.json",
        views_notifications.notification_unread_count,
        name="notification_unread_count",
    ),
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
]
