"""The closure report as PDF: a real dossier (seeded through the intake, read back from the
system of record) laid out by WeasyPrint on A4, with Chinese drawn in a CJK font.

The layout is inspected through WeasyPrint's document (its pages and text boxes) rather than
by parsing the PDF back: it is what WeasyPrint draws, and no PDF reader is a dependency.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from weasyprint.formatting_structure.boxes import (  # type: ignore[import-untyped]  # no hints
    ReplacedBox,
    TextBox,
)

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.storage import SqlStorage
from recall.adapters.reports.closure import render_closure_report
from recall.adapters.reports.pdf import layout, missing_glyphs, render_pdf
from recall.service.recalls.queries import closure_data
from tests.unit.api.seed import DONE, seed_recall

TITLE = "召回结案报告"
PRODUCT_TITLE = "童车折叠铰链夹手"
A4_WIDTH_PX = 210 / 25.4 * 96
NO_CJK_FONT = "no CJK font drew the Chinese text: run scripts/install-system-deps.sh"


@dataclass(frozen=True)
class Rendered:
    html: str
    document: Any
    pdf: bytes

    def text(self) -> str:
        return "".join(_texts(self.document))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The report of a completed recall with six monthly reports, laid out once and written."""
    url = f"sqlite:///{tmp_path_factory.mktemp('closure-pdf') / 'recalls.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        db = make_session_factory(engine)
        seed_recall(db, DONE, days_ago=200, reports=6)
        data = closure_data(SqlStorage(db), DONE, now=datetime.now(UTC))
    finally:
        engine.dispose()
    html = render_closure_report(data)
    document = layout(html)
    return Rendered(html, document, document.write_pdf())


def _texts(document: Any) -> Iterator[str]:
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, TextBox):
                yield box.text


def test_a_pdf_of_a4_pages(rendered: Rendered) -> None:
    assert rendered.pdf.startswith(b"%PDF-")
    assert rendered.pdf.rstrip().endswith(b"%%EOF")
    assert len(rendered.document.pages) >= 1
    for page in rendered.document.pages:
        assert page.width == pytest.approx(A4_WIDTH_PX, abs=1)


def test_the_text_carries_the_chinese_title_and_the_recall_id(rendered: Rendered) -> None:
    text = rendered.text()
    assert TITLE in text
    assert PRODUCT_TITLE in text
    assert DONE in text
    assert "第 1 页" in text  # the footer's page counter


def test_the_correction_curve_stays_a_vector_chart_within_the_margins(rendered: Rendered) -> None:
    charts = [
        (page, box)
        for page in rendered.document.pages
        for box in page._page_box.descendants()
        if isinstance(box, ReplacedBox) and type(box.replacement).__name__ == "SVGImage"
    ]
    assert len(charts) == 1
    page, chart = charts[0]
    assert 0 < chart.width <= page._page_box.width  # scaled down from 760 px to the A4 column


def test_chinese_is_drawn_in_a_cjk_font_not_as_boxes(rendered: Rendered) -> None:
    assert missing_glyphs(rendered.document) == set(), NO_CJK_FONT
    drawing_chinese = {
        font.family
        for font in rendered.document.fonts.values()
        if "召" in font.to_unicode.values() and ord("召") not in font.missing
    }
    assert drawing_chinese, NO_CJK_FONT
    assert not any(family.startswith("DejaVu") for family in drawing_chinese)


def test_render_pdf_is_the_same_layout_written() -> None:
    html = "<!DOCTYPE html><html lang=zh-CN><body><h1>召回结案报告</h1><p>RC-1</p></body></html>"
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF-")


def test_no_resource_is_fetched(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A URL in the report (text from firms) never makes the server read a file."""
    secret = tmp_path / "leak.css"
    secret.write_text('body::after { content: "LEAKED" }', encoding="utf-8")
    html = f'<html><head><link rel="stylesheet" href="{secret.as_uri()}"></head><body>x</body>'
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        document = layout(html)
    assert "LEAKED" not in "".join(_texts(document))
    assert "disallowed protocol" in caplog.text
