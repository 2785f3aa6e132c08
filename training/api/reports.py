"""Progress reports (进展报告) of the units in the caller's scope, and one report
with the figures of its latest submission."""

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.pagination import paginate

from training.api import queries
from training.api.auth import require_view
from training.api.common import Pagination, PathId, responses
from training.api.schemas import ProgressReportDetailOut, ProgressReportOut
from training.reports.progress_selectors import progress_reports_visible_to

router = Router(tags=["progress reports"])


@router.get(
    "/progress-reports",
    response=responses(list[ProgressReportOut]),
    summary="List progress reports",
)
@paginate(Pagination)
def report_list(request: HttpRequest):
    """Newest period first."""
    return queries.reports_listing(progress_reports_visible_to(require_view(request)))


@router.get(
    "/progress-reports/{report_id}",
    response=responses(ProgressReportDetailOut),
    summary="One progress report and its latest submission",
)
def report_detail(request: HttpRequest, report_id: PathId):
    reports = progress_reports_visible_to(require_view(request))
    report = queries.reports_listing(reports).filter(pk=report_id).first()
    if report is None:
        raise Http404
    report.latest_submission = report.submissions.order_by("-number").first()
    return report
