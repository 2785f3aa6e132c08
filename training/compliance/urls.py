"""Compliance explanations, annual evaluation (考评), exemptions (免修)."""

from django.urls import path

from training.compliance import exemption_views, views

urlpatterns = [
    path("compliance/", views.my_compliance, name="my_compliance"),
    path(
        "people/<int:pk>/compliance/",
        views.person_compliance,
        name="person_compliance",
    ),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/export.xlsx", views.evaluation_export, name="evaluation_export"),
    path(
        "people/<int:pk>/exemptions/",
        exemption_views.person_exemptions,
        name="person_exemptions",
    ),
    path(
        "people/<int:pk>/exemptions/<int:eid>/revoke/",
        exemption_views.person_exemption_revoke,
        name="person_exemption_revoke",
    ),
]
