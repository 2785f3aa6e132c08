"""Notifications (站内通知) of the signed-in user."""

from django.urls import path

from training.notifications import views as views_notifications

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
]
