"""Every benchmark still runs (at a tiny size): benchmarks are not tests, but must not rot."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from bench import (
    broker,
    hotpath,
    model,
    paper_commit,
    paper_run,
    paper_run_inputs,
    peer_stream,
    peers,
    peers_floors,
    peers_orderdesk,
    stats,
    venue,
)
from bench.ledger_lifecycle import bench_group, make_lifecycles

from orderdesk.app import DEFAULT_MARKETS
from orderdesk.paper_run import read_orders
from orderdesk.venues.paper import Quote, read_csv


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
    transactions = "2.00" if kind == "MARKET" else "3.00"  # intent and SENT share a commit
    assert f"transactions/order  {transactions:>10}" in out


def test_the_paper_run_benchmark_runs_every_variant_on_one_order_stream() -> None:
    rows = paper_commit.run(20, 1)
    assert [(store, commit, orders) for store, commit, orders, _ in rows] == [
        (store, commit, 38) for store, commit in paper_commit.VARIANTS
    ]  # a MARKET and a LIMIT at each of the 19 steps after the first quote
    assert all(len(walls) == 1 and walls[0] > 0 for *_, walls in rows)


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
    assert [path.name for path in tmp_path.iterdir()] == ["stats-300-v4.db"]


def test_the_peers_stream_is_the_same_for_a_seed_and_every_limit_order_is_crossed() -> None:
    ticks, intents = peer_stream.stream("limit", 200, seed=3)
    assert (ticks, intents) == peer_stream.stream("limit", 200, seed=3)
    assert len(ticks) == 201
    for n, intent in enumerate(intents):
        after = ticks[n + 1]
        assert intent.price is not None
        assert after.ask <= intent.price if intent.side == "BUY" else after.bid >= intent.price
    _, one_sided = peer_stream.stream("one-sided", 50, seed=3)
    assert {intent.side for intent in one_sided} == {"BUY"}


@pytest.mark.parametrize("api", peers_orderdesk.APIS)
@pytest.mark.parametrize("store", peers_orderdesk.STORES)
@pytest.mark.parametrize("workload", ["market", "limit"])
def test_every_orderdesk_variant_fills_the_whole_stream(
    api: str, store: str, workload: str, tmp_path: Path
) -> None:
    desk, orders, _, over = peers_orderdesk.run_variant(
        api, store, workload, count=20, seed=1, budget=600.0, directory=tmp_path
    )
    assert (orders, over) == (20, False)
    assert desk.filled() == (20, 20)


def test_the_floors_fill_and_write_every_order(tmp_path: Path) -> None:
    ticks, intents = peer_stream.stream("limit", 50, seed=1)
    assert peers_floors.memory_floor(ticks, intents, budget=600.0)[::2] == (50, 50)
    written = peers_floors.sqlite_floor(
        tmp_path / "f.db", "NORMAL", 20, commits=7, updates=3, budget=600.0
    )
    assert written[::2] == (20, 20)
    assert peers_floors.fsync_floor(tmp_path / "pages", 5, 2, budget=600.0)[::2] == (5, 5)


def test_the_peers_benchmark_runs_orderdesk_and_the_floors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Other\n\nkept\n")
    peers.main(["--quick", "--systems", "orderdesk,floors", "--no-write"])
    out = capsys.readouterr().out
    assert "| orderdesk async API, SQLite FULL |" in out
    assert "| floor: one fsync per commit |" in out
    assert "cProfile of orderdesk's async memory MARKET run" in out
    peers.rewrite_results(["first run"], results)
    peers.rewrite_results(["second run"], results)  # replaces its own section, keeps the rest
    text = results.read_text()
    assert text.count(peers.BEGIN) == 1
    assert "second run" in text
    assert "first run" not in text
    assert text.startswith("# Benchmark results\n\n## Other\n\nkept\n")


@pytest.mark.skipif(
    not peers.peers_env_ready(), reason="bench/.venv-peers not built (python -m bench.peers)"
)
@pytest.mark.parametrize("system", ["nautilus", "backtrader"])
@pytest.mark.parametrize("workload", ["market", "limit", "one-sided"])
def test_the_peers_fill_the_whole_stream(system: str, workload: str) -> None:
    result = peers.run_job(peers.peer_job(system, workload, 30), seed=1, budget=600.0)
    assert (result["orders"], result["filled"], result["denied"]) == (30, 30, 0)


def test_the_paper_run_inputs_are_what_orderdesk_paper_run_reads(tmp_path: Path) -> None:
    inputs = paper_run_inputs.write_inputs(tmp_path, quotes=300, orders=40, seed=2)
    events = list(read_csv(inputs.quotes_csv, markets={m.symbol: m for m in DEFAULT_MARKETS}))
    orders = read_orders(inputs.orders_csv)
    assert (inputs.quotes, inputs.orders) == (300, 40)
    assert inputs.market_orders + inputs.limit_orders == 40
    assert len(events) == 300
    assert all(type(e) is Quote and e.asks[0][0] - e.bids[0][0] == Decimal("0.02") for e in events)
    assert len(orders) == 40
    assert [o.order.created_at for o in orders] == sorted(o.order.created_at for o in orders)
    assert sum(o.cancel_at is not None for o in orders) == inputs.cancels
    assert {o.order.quantity for o in orders} == {Decimal(paper_run_inputs.QUANTITY)}
    again = tmp_path / "again"
    again.mkdir()
    twin = paper_run_inputs.write_inputs(again, quotes=300, orders=40, seed=2)
    assert twin.quotes_csv.read_bytes() == inputs.quotes_csv.read_bytes()
    assert twin.orders_csv.read_bytes() == inputs.orders_csv.read_bytes()


def test_the_paper_run_benchmark_runs_orderdesk_on_both_ledgers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paper_run.main(["--quick", "--no-peers", "--stores", "memory,normal", "--phases"])
    out = capsys.readouterr().out
    assert "orderdesk paper run, memory ledger" in out
    assert f"{paper_run.QUICK[1]:,} sent" in out
    assert "ledger: " in out  # the SQLite ledger's statuses, counted
    assert "replay: venue, broker, ledger" in out


@pytest.mark.skipif(
    not peers.peers_env_ready(), reason="bench/.venv-peers not built (python -m bench.peers)"
)
def test_the_paper_run_benchmark_runs_backtrader_on_the_same_files(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paper_run.main(["--quick"])
    out = capsys.readouterr().out
    assert "backtrader Cerebro: read the files" in out  # it submitted every order, or raised
    assert "vs backtrader" in out
