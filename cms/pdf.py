"""HTML → PDF with WeasyPrint, shared by every printable page (personal training
records, progress reports, certificates).

One ``FontConfiguration`` per process: building it scans the system fonts, which costs
more than rendering a one-page Chinese document. The font stack falls back from Noto
Sans/Serif CJK SC to any font fontconfig knows for the rare characters (𠮷, 䶮) they
lack.
"""

from __future__ import annotations

import threading

from django.template.loader import render_to_string

PDF_CONTENT_TYPE = "application/pdf"

# Put this first in a print stylesheet's font-family lists.
CJK_FONT_STACK = (
    '"Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", '
    '"WenQuanYi Zen Hei", "Droid Sans Fallback", sans-serif'
)

_local = threading.local()


def font_configuration():
    config = getattr(_local, "fonts", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.fonts = FontConfiguration()
    return config


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf(
        font_config=font_configuration()
    )


def render_pdf(template: str, context: dict, *, request=None) -> bytes:
    """Render a Django template to PDF. Templates extend ``cms/print_base.html``."""
    html = render_to_string(template, context, request=request)
    return html_to_pdf(html)
