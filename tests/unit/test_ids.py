"""Id generators: the id pattern, UTC time, and no duplicates under load or across forks."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

from orderdesk import generate_fill_id, generate_group_id, generate_order_id, generate_plan_id
from orderdesk.model.ids import FILL_ID, GROUP_ID, ORDER_ID, PLAN_ID, IdGenerator

AT = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("generate", "pattern", "prefix"),
    [
        (generate_order_id, ORDER_ID, "ORD_"),
        (generate_group_id, GROUP_ID, "EXG_"),
        (generate_plan_id, PLAN_ID, "TPL_"),
        (generate_fill_id, FILL_ID, "FIL_"),
    ],
)
def test_ids_follow_prefix_date_time_and_8_hex(
    generate: object, pattern: object, prefix: str
) -> None:
    assert callable(generate)
    made = generate(AT)
    assert made.startswith(f"{prefix}20251201_150000_")
    assert len(made) == len(prefix) + 8 + 1 + 6 + 1 + 8
    assert pattern.fullmatch(made)  # type: ignore[attr-defined]


def test_id_time_is_utc_whatever_the_given_zone() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert generate_order_id(datetime(2025, 12, 2, 0, 30, tzinfo=tokyo)).startswith(
        "ORD_20251201_153000_"
    )


def test_id_without_time_uses_now_in_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    made = generate_order_id()
    stamp = datetime.strptime(made[4:19], "%Y%m%d_%H%M%S").replace(tzinfo=UTC)
    assert before <= stamp <= datetime.now(UTC)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_order_id(datetime(2025, 12, 1))


def test_a_million_ids_in_one_second_are_all_distinct() -> None:
    ids = {generate_order_id(AT) for _ in range(1_000_000)}
    assert len(ids) == 1_000_000


def test_counter_wraps_to_8_hex_digits() -> None:
    generator = IdGenerator(start=0xFFFFFFFF)
    assert generator.make("ORD", AT).endswith("_ffffffff")
    assert generator.make("ORD", AT).endswith("_00000000")


def test_forked_child_does_not_repeat_the_parents_sequence() -> None:
    generate_order_id(AT)  # the parent's generator exists before the fork
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report the next id and leave without running pytest's teardown
        os.write(write_end, generate_order_id(AT).encode())
        os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    child_id = os.read(read_end, 64).decode()
    os.close(read_end)
    parent_id = generate_order_id(AT)
    assert status == 0
    assert ORDER_ID.fullmatch(child_id)
    assert child_id[-8:] != parent_id[-8:]
