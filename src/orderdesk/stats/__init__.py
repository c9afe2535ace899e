"""Execution-quality statistics: slippage, price improvement, shortfall, time to fill."""

from orderdesk.stats.quality import Execution, OrderQuality, measure
from orderdesk.stats.report import GroupStats, Report, Summary, parse_window, report

__all__ = [
    "Execution",
    "GroupStats",
    "OrderQuality",
    "Report",
    "Summary",
    "measure",
    "parse_window",
    "report",
]
