"""Sync-status queries at tenant scale: the reporter's handlers on a real
SQLite file holding N users' statuses and history, each admin query timed.

    .venv/bin/python -m bench.status_queries [--users 10000] [--repeat 20]

The rows are written in bulk (the outcome path's own speed is the main benchmark's business); the
queries go through the reporter's dispatcher exactly as the admin API asks them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contracts import MessageMeta
from contracts.sync_status.v1 import GetSyncSummary, GetUserHistory, ListUserStatuses
from services.sync_status.bootstrap import bootstrap
from services.sync_status.settings import SyncStatusSettings
from services.sync_status.tables import HistoryRow, UserStatusRow
from shared.messaging.ping import ServiceIdentity

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def rows(users: int) -> list[UserStatusRow | HistoryRow]:
    """Every 10th user failed; products alternate; a third are in a set; three history entries each."""
    made: list[UserStatusRow | HistoryRow] = []
    for i in range(users):
        failed, name = i % 10 == 0, f"user{i:06}@acme.example"
        at = T0 + timedelta(seconds=i)
        made.append(UserStatusRow(tenant_id="t1", user_name_key=name, user_name=name,
                                  user_id=None if failed else f"id{i}", status="failed" if failed else "synced",
                                  detail="no free seat" if failed else None, last_synced=None if failed else at,
                                  last_attempt=at, products=["Sales" if i % 2 else "Talent"],
                                  subscription_set="Sales Team" if i % 3 == 0 else None))
        made += [HistoryRow(message_id=f"m{i}-{k}", tenant_id="t1", user_name_key=name, at=at - timedelta(hours=k),
                            action="patch", status="synced") for k in range(3)]
    return made


QUERIES = {
    "list, newest first": ListUserStatuses(),
    "failed only": ListUserStatuses(status="failed"),
    "by product, 100": ListUserStatuses(product="Sales", count=100),
    "by set": ListUserStatuses(subscription_set="Sales Team"),
    "failed + product, page 18": ListUserStatuses(status="failed", product="Talent", start_index=851),
    "one user's history": GetUserHistory(user_name="user005000@acme.example"),
    "summary": GetSyncSummary(),
}


async def run(users: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        async with bootstrap(SyncStatusSettings(data_dir=Path(directory)), ServiceIdentity("bench", "b")) as dispatch:
            async with dispatch.deps.uow() as uow:
                uow.session.add_all(rows(users))
                await uow.commit()
            print(f"sync-status queries, {users} users in one tenant, {repeat} runs each (ms):")
            print(f"{'query':28} {'p50':>7} {'max':>7}")
            for name, query in QUERIES.items():
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    reply = await dispatch(query, MessageMeta(message_type=query.TYPE, tenant_id="t1"))
                    times.append((time.perf_counter() - started) * 1000)
                    assert reply.ok, reply.error
                print(f"{name:28} {statistics.median(times):7.1f} {max(times):7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    asyncio.run(run(options.users, options.repeat))


if __name__ == "__main__":
    main()
