"""Documents a regulator files: rendered from plain domain objects, no I/O beyond templates."""

from recall.adapters.reports.closure import ClosureReportData, render_closure_report
from recall.adapters.reports.svg import correction_chart_svg

__all__ = ["ClosureReportData", "correction_chart_svg", "render_closure_report"]
