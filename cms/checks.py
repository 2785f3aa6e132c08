"""Warn at start-up when PDF rendering would be broken or slow.

Without a CJK font, Chinese in certificates renders as empty boxes; without HarfBuzz
subsetting WeasyPrint falls back to fontTools and a one-page certificate takes
seconds instead of milliseconds.
"""

import ctypes.util

from django.core.checks import Warning, register

APT_HINT = (
    "apt-get install -y fonts-noto-cjk libharfbuzz-subset0 (or run `make install`)"
)


def cjk_font_available() -> bool:
    from cms.fonts import fc_list

    return bool(fc_list(":lang=zh"))


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


@register("pdf")
def check_pdf_fonts(app_configs, **kwargs):
    warnings = []
    if not cjk_font_available():
        warnings.append(
            Warning(
                "No CJK font is installed: Chinese text in PDFs will render as boxes.",
                hint=APT_HINT,
                id="cms.W001",
            )
        )
    if not harfbuzz_subset_available():
        warnings.append(
            Warning(
                "HarfBuzz subsetting (libharfbuzz-subset0) is missing: WeasyPrint "
                "falls back to fontTools and Chinese PDFs take seconds each.",
                hint=APT_HINT,
                id="cms.W002",
            )
        )
    from cms import fonts

    if not fonts.installed():
        warnings.append(
            Warning(
                f"The certificate font {fonts.FAMILY!r} is not installed: "
                "certificates print with the full Noto fonts, about twice as slowly.",
                hint="Run `make fonts` (or `python -m cms.fonts`).",
                id="cms.W003",
            )
        )
    return warnings
