"""External records, approvals, delegation and ledger corrections."""

from django.urls import path

from training.ledger import views

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
]
