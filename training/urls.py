"""Every page of training, one URLconf per domain (docs/architecture.md); all
share the ``training:`` namespace, so URL names do not say which domain owns them."""

from training.assignments import urls as assignments
from training.certificates import urls as certificates
from training.classes import urls as classes
from training.compliance import programme_urls as programmes
from training.compliance import urls as compliance
from training.ledger import urls as ledger
from training.notifications import urls as notifications
from training.org import urls as org
from training.reports import urls as reports

app_name = "training"

urlpatterns = [
    *org.urlpatterns,
    *assignments.urlpatterns,
    *compliance.urlpatterns,
    *ledger.urlpatterns,
    *notifications.urlpatterns,
    *reports.urlpatterns,
    *classes.urlpatterns,
    *programmes.urlpatterns,
    *certificates.urlpatterns,
]
