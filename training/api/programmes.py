"""Published programmes (培训项目) that apply above or below the caller's scope, with
the rule of the version in force."""

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.pagination import paginate

from training.api import queries
from training.api.auth import require_view
from training.api.common import Pagination, PathId, responses
from training.api.schemas import ProgrammeDetailOut, ProgrammeOut
from training.programmes.models import Programme
from training.programmes.selectors import programmes_visible_to

router = Router(tags=["programmes"])


def _published(who):
    return (
        programmes_visible_to(who)
        .filter(status=Programme.Status.PUBLISHED)
        .select_related("owner_unit")
    )


@router.get(
    "/programmes", response=responses(list[ProgrammeOut]), summary="List programmes"
)
@paginate(Pagination)
def programme_list(request: HttpRequest):
    return _published(require_view(request)).order_by("name", "pk")


@router.get(
    "/programmes/{programme_id}",
    response=responses(ProgrammeDetailOut),
    summary="One programme and its current rule",
)
def programme_detail(request: HttpRequest, programme_id: PathId):
    programme = _published(require_view(request)).filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    programme.current_version = queries.programme_version_out(
        programme, timezone.localdate()
    )
    return programme
