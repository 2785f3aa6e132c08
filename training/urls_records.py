"""External records, approvals, delegation, ledger corrections and exemptions."""

from django.urls import path

from training import views_records as views

urlpatterns = [
    path("records/", views.records_mine, name="records_mine"),
    path("records/new/", views.record_new, name="record_new"),
    path("records/approvals/", views.record_approvals, name="record_approvals"),
    path("records/delegation/", views.record_delegation, name="record_delegation"),
    path(
        "records/delegation/<int:unit_pk>/clear/",
        views.record_delegation_clear,
        name="record_delegation_clear",
    ),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/decide/", views.record_decide, name="record_decide"),
    path("records/<int:pk>/withdraw/", views.record_withdraw, name="record_withdraw"),
    path(
        "records/<int:pk>/evidence/<int:eid>/",
        views.record_evidence,
        name="record_evidence",
    ),
    path(
        "people/<int:pk>/records/new/",
        views.record_new_for_person,
        name="record_new_for_person",
    ),
    path("people/<int:pk>/ledger/", views.person_ledger, name="person_ledger"),
    path(
        "people/<int:pk>/ledger/adjust/",
        views.person_ledger_adjust,
        name="person_ledger_adjust",
    ),
    path(
        "people/<int:pk>/ledger/<int:entry_id>/reverse/",
        views.person_ledger_reverse,
        name="person_ledger_reverse",
    ),
    path(
        "people/<int:pk>/exemptions/",
        views.person_exemptions,
        name="person_exemptions",
    ),
    path(
        "people/<int:pk>/exemptions/<int:eid>/revoke/",
        views.person_exemption_revoke,
        name="person_exemption_revoke",
    ),
]
