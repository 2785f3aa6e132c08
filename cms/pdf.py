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


# WeasyPrint cascades its full HTML5 user-agent stylesheet over every element of
# every document. Documents built only from html/body/div/p/br/img (certificates)
# need five rules of it; using just those saves ~10 ms of a ~65 ms certificate.
LEAN_UA_CSS = (
    "html, body, div, p { display: block }"
    "head, style, title, meta, script { display: none }"
    "br::before { content: '\\A'; white-space: pre-line }"
)
_lean_class = None


def _lean_html_class():
    global _lean_class
    if _lean_class is None:
        from weasyprint import CSS, HTML

        stylesheet = CSS(string=LEAN_UA_CSS)

        class LeanHTML(HTML):
            def _ua_stylesheets(self, forms=False):
                return [stylesheet]

        _lean_class = LeanHTML
    return _lean_class


def html_to_pdf(html: str, *, base_url: str | None = None, lean: bool = False) -> bytes:
    """``lean``: the document uses only html/body/div/p/br/img (see LEAN_UA_CSS)."""
    from weasyprint import HTML

    document_class = _lean_html_class() if lean else HTML
    return document_class(string=html, base_url=base_url).write_pdf(
        font_config=font_configuration()
    )


def render_pdf(template: str, context: dict, *, request=None) -> bytes:
    """Render a Django template to PDF. Templates extend ``cms/print_base.html``."""
    html = render_to_string(template, context, request=request)
    return html_to_pdf(html)
