"""Being written this session."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


dashboard = dashboard_people = _todo
table_xlsx = dashboard_pdf = export_list = export_create = export_detail = _todo
export_status = export_download = _todo
