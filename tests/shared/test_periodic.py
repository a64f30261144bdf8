"""Background work repeats while its block runs, survives a failed round and stops with the block
(shared/periodic.py)."""

import asyncio
from datetime import timedelta

from shared.periodic import periodically


async def test_periodic_work_runs_at_start_and_each_interval_and_survives_a_failed_round(caplog):
    rounds = []

    async def work():
        rounds.append(len(rounds))
        if len(rounds) == 2:
            raise RuntimeError("the second round fails")

    async with periodically("test work", timedelta(milliseconds=20), work):
        while len(rounds) < 4:
            await asyncio.sleep(0.01)
    stopped_at = len(rounds)
    await asyncio.sleep(0.06)
    assert rounds[:4] == [0, 1, 2, 3] and len(rounds) == stopped_at  # nothing runs once the block is left
    assert "test work failed; the next round retries" in caplog.text


async def test_leaving_the_block_ends_the_wait_between_rounds_at_once():
    async def work():
        pass

    loop = asyncio.get_running_loop()
    started = loop.time()
    async with periodically("test work", timedelta(hours=1), work):
        await asyncio.sleep(0)
    assert loop.time() - started < 1
