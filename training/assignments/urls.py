"""Assigning courses to people and inviting them to an exam (included from
training.urls)."""

from django.urls import path

from training.assignments import exams, views

urlpatterns = [
    path("invitations/<int:quiz_id>/", exams.exam_invite, name="exam_invite"),
    path("assign/", views.assign, name="assign"),
    path("assign/<int:pk>/", views.assign_status, name="assign_status"),
    path(
        "assign/<int:pk>/status.json",
        views.assign_status_json,
        name="assign_status_json",
    ),
]
