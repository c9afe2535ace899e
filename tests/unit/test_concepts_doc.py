"""docs/concepts.md: its Python examples run as written, and its JSON orders are the ones
the tests build orders from."""

from __future__ import annotations

import json
import re
from pathlib import Path

from orderdesk import Order
from orderdesk.testing.examples import FILLED_MARKET_ORDER, NEW_LIMIT_ORDER

CONCEPTS = Path(__file__).resolve().parents[2] / "docs" / "concepts.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", CONCEPTS.read_text(), re.M | re.S)


def test_every_python_example_runs() -> None:
    examples = blocks("python")
    assert len(examples) == 1
    for number, source in enumerate(examples):
        exec(compile(source, f"docs/concepts.md, example {number + 1}", "exec"), {})


def test_the_json_orders_are_the_example_orders_and_valid() -> None:
    shown = [json.loads(text) for text in blocks("json")]
    assert shown == [NEW_LIMIT_ORDER, FILLED_MARKET_ORDER]
    for data in shown:
        order = Order.model_validate(data)
        assert json.loads(order.model_dump_json(exclude={"time_in_force", "expire_at"})) == data
