"""Every benchmark still runs (at a tiny size): benchmarks are not tests, but must not rot."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import broker, hotpath, model, stats, venue
from bench.ledger_lifecycle import bench_group, make_lifecycles


def test_the_model_benchmark_runs() -> None:
    rows = model.run(n=200)
    assert [name for name, _, _ in rows][:2] == [
        "bare dataclass(slots=True)",
        "plain pydantic model",
    ]
    assert all(cost > 0 for _, cost, _ in rows)


def test_the_broker_benchmark_runs() -> None:
    rows = broker.run(20)
    assert [name for name, *_ in rows] == ["memory", "SQLite NORMAL", "SQLite FULL"]
    assert all(rate > 0 for _, *rates in rows for rate in rates)


@pytest.mark.parametrize(("store", "kind"), [("memory", "MARKET"), ("sqlite-normal", "LIMIT")])
def test_the_hot_path_benchmark_runs_and_counts_the_ledger_work(
    store: str, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hotpath.main(["--orders", "20", "--store", store, "--type", kind])
    out = capsys.readouterr().out
    transactions = "3.00" if kind == "MARKET" else "4.00"
    assert f"transactions/order  {transactions:>10}" in out


def test_the_venue_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    venue.main(["--orders", "200", "--repeat", "1"])
    assert "bare-loop floor" in capsys.readouterr().out


def test_the_ledger_benchmark_builds_its_lifecycles() -> None:
    lifecycles = make_lifecycles(10, bench_group(), seed=1)
    assert len(lifecycles) == 10
    assert len({life.order.order_id for life in lifecycles}) == 10


def test_the_statistics_benchmark_runs_and_agrees_with_the_per_order_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stats.main(["--orders", "300", "--repeat", "1", "--check", "--cache", str(tmp_path)])
    out = capsys.readouterr().out
    assert "| orderdesk ledger_report (exact) |" in out
    assert "| orderdesk per order (measure) |" in out  # --check: the same report, or it raises
    assert [path.name for path in tmp_path.iterdir()] == ["stats-300-v2.db"]
