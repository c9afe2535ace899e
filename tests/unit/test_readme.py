"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 1


def test_readme_examples_run() -> None:
    for block in python_blocks():
        namespace: dict[str, object] = {}
        exec(compile(block, str(README), "exec"), namespace)
        if "open_trades" in namespace:  # the Broker example
            trade: Any = namespace["trade"]
            assert [o.order_id for o in namespace["open_trades"]] == [trade.order_id]  # type: ignore[attr-defined]
            closed: Any = namespace["closed_trades"]
            assert [(o.order_id, str(o.status)) for o in closed] == [(trade.order_id, "CANCELLED")]
        order = namespace.get("order")
        if order is not None:
            fills = namespace["fills"]
            assert str(order.status) == "PARTIALLY_FILLED"  # type: ignore[attr-defined]
            assert str(fills.filled_quantity) == "0.2"  # type: ignore[attr-defined]
