"""Charts of execution quality as PNG files (the ``charts`` extra: matplotlib)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from orderdesk.stats.quality import Execution, measure

__all__ = ["plot_quality"]


def plot_quality(executions: Iterable[Execution], path: str | Path) -> Path:
    """Draw a slippage histogram and the time-to-fill distribution by order type to ``path``.

    Orders without a fill are left out of both panels (they count in the report's rates).
    """
    try:
        import matplotlib  # noqa: PLC0415 - an optional extra

        matplotlib.use("Agg")  # files only: no display needed
        from matplotlib import pyplot  # noqa: PLC0415
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise ImportError("charts need matplotlib: pip install 'orderdesk[charts]'") from error
    slippage: dict[str, list[float]] = defaultdict(list)
    fill_times: dict[str, list[float]] = defaultdict(list)
    for execution in executions:
        quality = measure(execution)
        kind = execution.order_type.value
        if quality.slippage_bps is not None:
            slippage[kind].append(float(quality.slippage_bps))
        if quality.time_to_fill is not None:
            fill_times[kind].append(float(quality.time_to_fill))
    figure, (left, right) = pyplot.subplots(1, 2, figsize=(11, 4.2))
    for kind, values in sorted(slippage.items()):
        left.hist(values, bins=30, alpha=0.6, label=f"{kind} ({len(values)})")
    left.set(title="Slippage against arrival", xlabel="bps (positive = cost)", ylabel="orders")
    kinds = sorted(fill_times)
    if kinds:
        right.boxplot([fill_times[k] for k in kinds], tick_labels=kinds, showfliers=True)
    right.set(title="Time from send to complete fill", ylabel="seconds")
    if slippage:
        left.legend()
    figure.tight_layout()
    target = Path(path)
    figure.savefig(target, format="png", dpi=100)
    pyplot.close(figure)
    return target
