from django.urls import path

from training.certificates import verify as views_verify
from training.certificates.views import actions as views_actions
from training.certificates.views import batches as views_batches
from training.certificates.views import mine as views_mine
from training.certificates.views import reviews as views_reviews
from training.certificates.views import staff as views_staff

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
    path("me/certificates/", views_mine.certificates_mine, name="certificates_mine"),
    # Scoped (owner, or coordinators and leaders over the person's unit).
    path("certificates/", views_staff.certificate_list, name="certificate_list"),
    path(
        "certificates/issue/",
        views_actions.certificate_issue,
        name="certificate_issue",
    ),
    path(
        "certificates/reviews/",
        views_reviews.certificate_reviews,
        name="certificate_reviews",
    ),
    path(
        "certificates/reviews/<int:pk>/",
        views_reviews.certificate_review_decide,
        name="certificate_review_decide",
    ),
    path(
        "certificates/batches/new/",
        views_batches.certificate_batch_new,
        name="certificate_batch_new",
    ),
    path(
        "certificates/batches/<int:pk>/",
        views_batches.certificate_batch_detail,
        name="certificate_batch_detail",
    ),
    path(
        "certificates/batches/<int:pk>/status.json",
        views_batches.certificate_batch_status,
        name="certificate_batch_status",
    ),
    path(
        "certificates/batches/<int:pk>/resume/",
        views_batches.certificate_batch_resume,
        name="certificate_batch_resume",
    ),
    path(
        "certificates/<str:code>/",
        views_staff.certificate_detail,
        name="certificate_detail",
    ),
    path(
        "certificates/<str:code>/download/",
        views_mine.certificate_download,
        name="certificate_download",
    ),
    path(
        "certificates/<str:code>/revoke/",
        views_actions.certificate_revoke,
        name="certificate_revoke",
    ),
    path(
        "certificates/<str:code>/reissue/",
        views_actions.certificate_reissue,
        name="certificate_reissue",
    ),
    path(
        "classes/<int:pk>/certificates.zip",
        views_staff.class_certificates_zip,
        name="class_certificates_zip",
    ),
]
