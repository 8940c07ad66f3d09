"""What verification before publication costs: loads, an import's pending batch, its approval.

On one embedded cluster, two databases of the demo city (seed 68, ``--scale``, 1 by default):

- the load of the register of record with direct publication (the published copy and one
  decision row per object written by the publication triggers), against the same load with
  those triggers switched off — the ratio is the price of keeping a published copy;
- an import-like batch: one transaction that changes ``--batch`` parcels (a set-based UPDATE,
  as ingest writes), which lands in the queue as one pending batch; then the approval of that
  batch (``registries.verification.decide``: one transaction, rules re-checked over the
  published registry, the published copy upserted, the tiles' change feed written) and, for
  comparison, the same UPDATE published directly.

    .venv/bin/python bench/verification.py [--scale 1.0] [--batch 5000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ROOT,
    SEED,
    SRID,
    git_commit,
    machine,
    shared_tmp,
    sigterm_as_interrupt,
    write_section,
)

from gis.auth import Principal, Role  # noqa: E402
from gis.staff_rights import grant_verifier, set_department  # noqa: E402
from gis.users import add_user  # noqa: E402
from registries.catalog import default_catalog  # noqa: E402
from registries.publication import TRIGGERS, publish_directly  # noqa: E402
from registries.verification import decide  # noqa: E402


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def load(url: str, scale: float, publish: bool) -> float:
    from app.demo.load import load_demo

    with psycopg.connect(url) as conn:
        if not publish:
            for reg in default_catalog():
                for name in TRIGGERS:
                    conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(
                        sql.Identifier(reg.schema, reg.table), sql.Identifier(name)))
            conn.commit()
        t0 = time.perf_counter()
        load_demo(conn, scale=scale, seed=SEED, srid=SRID)
        conn.commit()
        return time.perf_counter() - t0


def batch_update(url: str, n: int, direct: bool, note: str) -> tuple[float, int]:
    """Change ``n`` parcels in one transaction; return (seconds, objects pending after)."""
    with psycopg.connect(url) as conn:
        conn.execute("SELECT set_config('gis.user', 'olena', true)")
        if direct:
            publish_directly(conn, verified_by="bench")
        t0 = time.perf_counter()
        conn.execute("UPDATE registry.land_parcel SET purpose_text = %s WHERE id IN ("
                     "SELECT id FROM registry.land_parcel ORDER BY id LIMIT %s)", (note, n))
        conn.commit()
        seconds = time.perf_counter() - t0
        pending = conn.execute("SELECT count(*) FROM verification.pending").fetchone()
    return seconds, int(pending[0]) if pending else 0


def approve_batch(url: str) -> tuple[float, int]:
    catalog = default_catalog()
    reg = catalog.get("land_parcels")
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT 1 FROM auth.users WHERE name = 'taras'").fetchone() is None:
            add_user(conn, "taras", frozenset({Role.PLANNER}), password=None,
                     with_db_login=False)
            set_department(conn, "taras", "land_resources")
            grant_verifier(conn, "taras", "land_parcels")
            conn.commit()
        batch = conn.execute("SELECT batch FROM verification.pending LIMIT 1").fetchone()
        assert batch is not None
        t0 = time.perf_counter()
        done = decide(conn, catalog, reg, Principal("taras", frozenset({Role.PLANNER})),
                      "approve", batch=int(batch[0]))
        conn.commit()
        return time.perf_counter() - t0, len(done.ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    from gis.cluster import running_cluster
    from registries.migrate import upgrade

    dirty = bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                                capture_output=True, text=True).stdout.strip())
    root = shared_tmp("hromada-bench-verify-")
    try:
        with sigterm_as_interrupt(), running_cluster(root / "cluster", quiet=True) as cluster:
            urls = {}
            for name in ("published", "plain"):
                urls[name] = cluster.ensure_database(f"verify_{name}")
                upgrade(urls[name], SRID)
            say("loading the demo city with direct publication …")
            with_copy = load(urls["published"], args.scale, publish=True)
            say(f"  {with_copy:.1f} s; and with the publication triggers off …")
            without = load(urls["plain"], args.scale, publish=False)
            say(f"  {without:.1f} s")
            url = urls["published"]
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
                objects = conn.execute("SELECT count(*) FROM verification.decisions"
                                       ).fetchone()[0]  # type: ignore[index]
            pending_s, pending_n = batch_update(url, args.batch, False, "pending import")
            approve_s, approved = approve_batch(url)
            direct_s, _ = batch_update(url, args.batch, True, "direct import")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = [
        ("load the demo city, publication triggers on (published copy + decisions)",
         f"{with_copy:.1f} s", f"{with_copy / without:.2f}×"),
        ("load the demo city, publication triggers off", f"{without:.1f} s", "1.00×"),
        (f"change {args.batch:,} parcels in one transaction → one pending batch "
         f"({pending_n:,} pending)", f"{pending_s:.2f} s", ""),
        (f"approve that batch ({approved:,} parcels: rules over the published registry, "
         "upsert, change feed)", f"{approve_s:.2f} s",
         f"{approve_s / approved * 1000:.2f} ms per object"),
        (f"the same change of {args.batch:,} parcels published directly", f"{direct_s:.2f} s",
         f"{direct_s / pending_s:.2f}× the pending write"),
    ]
    body = "\n".join([
        f"Demo city at scale {args.scale} (seed {SEED}): {objects:,} objects published. "
        f"Machine: {machine()}, shared with other work during the run; commit {git_commit()}"
        f"{' with uncommitted changes' if dirty else ' (clean tree)'}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. `bench/verification.py --scale {args.scale}"
        f" --batch {args.batch}`.",
        "",
        "| what | time | relative |",
        "| --- | --- | --- |",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
    ])
    write_section("Verification before publication", "bench/verification.py", body)
    print(body)


if __name__ == "__main__":
    main()
