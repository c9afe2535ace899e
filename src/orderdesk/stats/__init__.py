"""Execution-quality statistics: slippage, price improvement, shortfall, time to fill."""

from orderdesk.stats.executions import LedgerExecutions, execution_of, executions
from orderdesk.stats.quality import Execution, OrderQuality, measure
from orderdesk.stats.report import GroupStats, Report, Summary, parse_window, report
from orderdesk.stats.rows import executions_report, ledger_report, report_of_rows

__all__ = [
    "Execution",
    "GroupStats",
    "LedgerExecutions",
    "OrderQuality",
    "Report",
    "Summary",
    "execution_of",
    "executions",
    "executions_report",
    "ledger_report",
    "measure",
    "parse_window",
    "report",
    "report_of_rows",
]
