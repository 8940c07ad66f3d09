"""The queueing pools (gis/queueing.py) against a real PostgreSQL: dead connections are re-drawn
at once, not after psycopg_pool's 1 s, 2 s … pauses."""

from __future__ import annotations

import asyncio

import psycopg
from psycopg_pool import ConnectionPool

from gis.queueing import AsyncQueueingPool, QueueingPool

APP = "hromada-queueing-test"


def _kill_pool_backends(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = %s", (APP,)).fetchall()
    return len(rows)


def test_a_pool_whose_connections_were_all_killed_hands_out_a_live_one_in_its_queue_time(
        db_url: str) -> None:
    # every pooled connection is dead; the queue (0.8 s) is shorter than the 1 s psycopg_pool
    # used to sleep after the first failed check, so the old loop could not deliver in time
    with QueueingPool(db_url, min_size=4, max_size=4, queue_s=0.8, open=False,
                      check=ConnectionPool.check_connection,
                      kwargs={"application_name": APP}) as pool:
        pool.open(wait=True, timeout=10)
        assert _kill_pool_backends(db_url) == 4
        for _ in range(3):
            with pool.connection() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)


def test_the_async_pool_also_re_draws_at_once(db_url: str) -> None:
    async def run() -> None:
        pool = AsyncQueueingPool(db_url, min_size=4, max_size=4, queue_s=0.8, open=False,
                                 check=AsyncQueueingPool.check_connection,
                                 kwargs={"application_name": APP})
        await pool.open(wait=True, timeout=10)
        try:
            assert _kill_pool_backends(db_url) == 4
            for _ in range(3):
                async with pool.connection() as conn:
                    cur = await conn.execute("SELECT 1")
                    assert await cur.fetchone() == (1,)
        finally:
            await pool.close()

    asyncio.run(run())
