"""Printable documents: the same HTML a browser shows, laid out as a PDF by WeasyPrint.

One template serves both (`closure.html.j2` carries its own `@media print` and `@page`
rules), so the PDF can never say something the HTML page does not.

WeasyPrint is imported when a PDF is asked for, not with this module: it loads Pango,
HarfBuzz and fontconfig through ctypes, and a machine without them should still serve every
other route. Chinese needs a CJK font that fontconfig knows (`fc-list :lang=zh`);
`scripts/install-system-deps.sh` installs one. Without it WeasyPrint draws `.notdef` boxes
and only logs a warning, so `missing_glyphs` lets callers (and the tests) see it.

Rendering is CPU-bound (one to two seconds for a closure report): call it from a worker
thread, never on the event loop. Renders in one process take turns (`_ONE_AT_A_TIME`):
WeasyPrint drives Pango and fontconfig, whose use from several threads at once has crashed
servers (Kozea/WeasyPrint#684, #1402), and a burst of PDF requests should not take every core
the API answers on.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["layout", "missing_glyphs", "render_pdf"]

_ONE_AT_A_TIME = threading.Lock()


def layout(html: str) -> Any:
    """The laid-out `weasyprint.Document` of `html` (its pages, before any PDF is written).

    No resource is fetched: the report is self-contained, and its text comes from firms and
    stations, so a URL in it must never make the server read a file or call a host.
    """
    from weasyprint import HTML  # type: ignore[import-untyped]  # WeasyPrint ships no hints
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]  # idem

    refuse_all = URLFetcher(allowed_protocols=(), fail_on_errors=False)
    return HTML(string=html, url_fetcher=refuse_all, media_type="print").render()


def render_pdf(html: str) -> bytes:
    """`html` as a PDF document (A4 pages as the template's `@page` rule sets them)."""
    with _ONE_AT_A_TIME:
        pdf: bytes = layout(html).write_pdf()
    return pdf


def missing_glyphs(document: Any) -> set[str]:
    """Characters drawn as `.notdef` boxes in a document already written to PDF (the fonts
    WeasyPrint embeds are only known once it has drawn the pages)."""
    return {chr(code) for font in document.fonts.values() for code in font.missing}
