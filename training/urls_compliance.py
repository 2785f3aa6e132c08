"""Compliance explanations, annual evaluation (考评), personal training record."""

from django.urls import path

from training import views_compliance as views

urlpatterns = [
    path("compliance/", views.my_compliance, name="my_compliance"),
    path(
        "people/<int:pk>/compliance/",
        views.person_compliance,
        name="person_compliance",
    ),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/export.xlsx", views.evaluation_export, name="evaluation_export"),
    path("me/training-record/", views.my_training_record, name="my_training_record"),
    path(
        "me/training-record.pdf",
        views.my_training_record,
        {"fmt": "pdf"},
        name="my_training_record_pdf",
    ),
    path(
        "me/training-record.xlsx",
        views.my_training_record,
        {"fmt": "xlsx"},
        name="my_training_record_xlsx",
    ),
    path(
        "people/<int:pk>/training-record/",
        views.person_training_record,
        name="person_training_record",
    ),
    path(
        "people/<int:pk>/training-record.pdf",
        views.person_training_record,
        {"fmt": "pdf"},
        name="person_training_record_pdf",
    ),
    path(
        "people/<int:pk>/training-record.xlsx",
        views.person_training_record,
        {"fmt": "xlsx"},
        name="person_training_record_xlsx",
    ),
]
