"""Execution-quality statistics: slippage, price improvement, shortfall, time to fill."""

from orderdesk.stats.executions import execution_of, executions
from orderdesk.stats.quality import Execution, OrderQuality, measure
from orderdesk.stats.report import GroupStats, Report, Summary, parse_window, report

__all__ = [
    "Execution",
    "GroupStats",
    "OrderQuality",
    "Report",
    "Summary",
    "execution_of",
    "executions",
    "measure",
    "parse_window",
    "report",
]
