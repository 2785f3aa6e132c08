from django.urls import path

from training.certificates import verify as views_verify
from training.certificates import views

urlpatterns = [
    # Public, no login.
    path(
        "certificates/verify/",
        views_verify.verify_lookup,
        name="certificate_verify_lookup",
    ),
    path(
        "certificates/verify/<str:code>/",
        views_verify.verify,
        name="certificate_verify",
    ),
    # The learner's own.
    path("me/certificates/", views.certificates_mine, name="certificates_mine"),
    # Scoped (owner, or coordinators and leaders over the person's unit).
    path("certificates/", views.certificate_list, name="certificate_list"),
    path("certificates/issue/", views.certificate_issue, name="certificate_issue"),
    path(
        "certificates/reviews/", views.certificate_reviews, name="certificate_reviews"
    ),
    path(
        "certificates/reviews/<int:pk>/",
        views.certificate_review_decide,
        name="certificate_review_decide",
    ),
    path(
        "certificates/batches/new/",
        views.certificate_batch_new,
        name="certificate_batch_new",
    ),
    path(
        "certificates/batches/<int:pk>/",
        views.certificate_batch_detail,
        name="certificate_batch_detail",
    ),
    path(
        "certificates/batches/<int:pk>/status.json",
        views.certificate_batch_status,
        name="certificate_batch_status",
    ),
    path(
        "certificates/batches/<int:pk>/resume/",
        views.certificate_batch_resume,
        name="certificate_batch_resume",
    ),
    path(
        "certificates/<str:code>/", views.certificate_detail, name="certificate_detail"
    ),
    path(
        "certificates/<str:code>/download/",
        views.certificate_download,
        name="certificate_download",
    ),
    path(
        "certificates/<str:code>/revoke/",
        views.certificate_revoke,
        name="certificate_revoke",
    ),
    path(
        "certificates/<str:code>/reissue/",
        views.certificate_reissue,
        name="certificate_reissue",
    ),
    path(
        "classes/<int:pk>/certificates.zip",
        views.class_certificates_zip,
        name="class_certificates_zip",
    ),
]
