"""Precise invalidation: drop exactly the cached tiles that a committed edit touched.

The database records every change (``gis.changes``: old and new Web-Mercator geometry per
changed row, written by triggers, announced with NOTIFY at commit). The :class:`Invalidator`
listens, reads the new rows, and for each zoom at which the changed layer is drawn drops the
tiles whose *buffered* extent the geometry intersects — in every cached source that holds the
layer (the collection's own tiles and the city map). Tiles elsewhere stay cached.

Ordering. Feed rows are read by transaction id, not by row id: a row of a transaction that
was still running at the last read (xid ≥ that read's snapshot ``xmin``) is read again next
time, so a long transaction that commits late is never missed; ids already applied are
remembered until the floor passes them.

Racing renders. A tile rendered from a snapshot taken before an edit, but stored after the
edit was applied, would be stale for good. ``epoch`` counts applied batches and is bumped
*before* tiles are dropped; the tile service reads it before rendering and, after storing,
drops its own tile again if the epoch moved (see ``tiles.service``).

Dates. Statuses such as ``expiring`` change with the date, not with an edit: at the city's
midnight the objects whose status differs between the old and the new date are treated as
changed (:meth:`Invalidator.roll_date`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import shapely
from psycopg import sql

from gis.changes import CHANNEL
from gis.tms import WEB_MERCATOR_QUAD
from registries.model import Registry
from registries.status import has_term_status, term_status_sql
from registries.tiling import min_zoom
from tiles.cache import Key, Range, TileCache
from tiles.grids import Grid, cache_key, web_mercator
from tiles.mvt import Sources

log = logging.getLogger("hromada.tiles")


def tiles_touched(geoms: np.ndarray, z: int) -> tuple[set[Key], list[Range]]:
    """Return the WebMercatorQuad tiles at ``z`` whose buffered extent the EPSG:3857 ``geoms``
    intersect (``tiles.grids.Grid.touched``; every tile a geometry is drawn in is included)."""
    return web_mercator(z).touched(geoms, z)


def tiles_to_drop(grid: Grid, reg: Registry, geoms: np.ndarray,
                  last_zoom: int | None = None) -> dict[int, tuple[set[Key], list[Range]]]:
    """Return, per tile matrix of ``grid`` at which ``reg`` is drawn, the tiles that the
    changed EPSG:3857 ``geoms`` (the change feed's) touch — what an edit must drop.

    The one place that turns a changed geometry into tile addresses, for every grid: a UCS-2000
    grid gets the geometries in its own CRS first.
    """
    first = min_zoom(reg)
    if first is None:
        return {}
    local = grid.from_mercator(geoms)
    out = {}
    for z in grid.zooms:
        if grid.rule_zoom[z] < first or (last_zoom is not None and z > last_zoom):
            continue
        out[z] = grid.touched(local, z)
    return out


class Invalidator:
    """Applies the database's change feed to a tile cache; see the module docstring."""

    def __init__(self, connect: Callable[[], psycopg.Connection], cache: TileCache,
                 sources: Sources, max_zoom: int, time_zone: str, retention_days: int = 7,
                 registries: list[Registry] | None = None,
                 grids: dict[str, Grid] | None = None) -> None:
        self.connect = connect
        self.cache = cache
        self.sources = sources
        self.max_zoom = max_zoom
        self.grids = grids or {WEB_MERCATOR_QUAD: web_mercator(max_zoom)}
        self.zone = ZoneInfo(time_zone)
        self.retention_days = retention_days
        self.by_table = {f"{r.schema}.{r.table}": r
                         for r in (registries or list(sources.catalog))}
        self.epoch = 0
        self.tiles_dropped = 0  # cached tiles dropped by edits, ever (for /metrics)
        self.healthy = False  # True while the feed is followed; otherwise the cache is bypassed
        self.floor = 0
        self.seen: set[int] = set()
        self.today = self._local_today()
        self.identity = ""
        self.lock = threading.RLock()
        self._conn: psycopg.Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0

    # -- state --------------------------------------------------------------------------
    def _local_today(self) -> date:
        return datetime.now(self.zone).date()

    def _db(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
            self._conn.autocommit = True
        return self._conn

    def _save(self) -> None:
        self.cache.write_state({"database": self.identity, "floor": self.floor,
                                "seen": sorted(self.seen), "date": self.today.isoformat()})

    def catch_up(self) -> None:
        """Bring the cache up to date with the feed (or clear it) before it serves tiles."""
        with self.lock:
            conn = self._db()
            row = conn.execute(
                "SELECT (SELECT value FROM tiles.state WHERE key = 'instance') || '/' || "
                "current_database() || '/' || (SELECT oid FROM pg_database WHERE datname = "
                "current_database()), (SELECT value::bigint FROM tiles.state WHERE key = "
                "'pruned_xid'), pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
            ).fetchone()
            assert row is not None
            self.identity, pruned, xmin = str(row[0]), int(row[1]), int(row[2])
            state = self.cache.read_state()
            if (state is None or state.get("database") != self.identity
                    or int(state.get("floor", 0)) < pruned):
                if state is not None:
                    log.warning("tile cache belongs to another database or missed pruned "
                                "changes; clearing it")
                self.cache.clear()
                self.floor, self.seen = xmin, set()
            else:
                self.floor, self.seen = int(state["floor"]), set(state.get("seen", []))
                self.drain()
                since = date.fromisoformat(state.get("date", self.today.isoformat()))
                if since != self.today:
                    self.roll_date(since, self.today)
            self.healthy = True
            self._save()

    # -- applying the feed ----------------------------------------------------------------
    def drain(self) -> int:
        """Apply every committed change not applied yet; return the number of tiles dropped."""
        with self.lock:
            conn = self._db()
            xmin_row = conn.execute(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").fetchone()
            assert xmin_row is not None
            rows = conn.execute(
                "SELECT id, xid, source, ST_AsBinary(geom) FROM tiles.changes WHERE xid >= %s "
                "ORDER BY id", (self.floor,)).fetchall()
            fresh = [r for r in rows if r[0] not in self.seen]
            xmin = int(xmin_row[0])
            self.seen = {int(r[0]) for r in rows if int(r[1]) >= xmin}
            self.floor = xmin
            if not fresh:
                return 0
            changed: dict[str, list[bytes | None]] = defaultdict(list)
            for _id, _xid, source, wkb in fresh:
                changed[source].append(bytes(wkb) if wkb is not None else None)
            dropped = self.apply(changed)
            self._save()
            return dropped

    def apply(self, changed: dict[str, list[bytes | None]]) -> int:
        """Drop the tiles touched by ``changed`` (table → WKB geometries; None: all of it)."""
        with self.lock:
            self.epoch += 1  # before dropping: a render that started earlier will not store
            dropped = 0
            for table, wkbs in changed.items():
                reg = self.by_table.get(table)
                if reg is None:
                    continue
                dropped += self._apply_layer(reg, wkbs)
            self.tiles_dropped += max(dropped, 0)
            return dropped

    def _apply_layer(self, reg: Registry, wkbs: list[bytes | None]) -> int:
        first = min_zoom(reg)
        holders = self.sources.containing(reg.id)
        if first is None or not holders:
            return 0
        if any(w is None for w in wkbs):  # TRUNCATE: every tile of these sources, every grid
            for grid in self.grids.values():
                for s in holders:
                    self.cache.drop_source(cache_key(s.id, grid.id))
            return -1
        geoms = shapely.from_wkb(np.array(wkbs, dtype=object))
        dropped = 0
        for grid in self.grids.values():
            for z, (keys, ranges) in tiles_to_drop(grid, reg, geoms, self.max_zoom
                                                   if grid.mercator else None).items():
                for s in holders:
                    dropped += self.cache.drop(cache_key(s.id, grid.id), z, keys, ranges)
        return dropped

    def roll_date(self, old: date, new: date) -> int:
        """Drop the tiles of objects whose date-driven status differs between two dates."""
        with self.lock:
            conn = self._db()
            changed: dict[str, list[bytes | None]] = {}
            for table, reg in self.by_table.items():
                if not has_term_status(reg) or min_zoom(reg) is None:
                    continue
                query = sql.SQL(
                    "SELECT ST_AsBinary(t.geom_3857) FROM {} AS t WHERE {} IS DISTINCT FROM {}"
                ).format(sql.Identifier(*reg.public_view),
                         term_status_sql(sql.Literal(old)), term_status_sql(sql.Literal(new)))
                changed[table] = [bytes(r[0]) for r in conn.execute(query)]
            self.today = new
            dropped = self.apply(changed)
            self._save()
            return dropped

    def prune(self) -> None:
        """Delete feed rows older than the retention and record how far that went."""
        with self.lock:
            self._db().execute(
                "WITH d AS (DELETE FROM tiles.changes WHERE at < now() - make_interval(days => "
                "%s) RETURNING xid) UPDATE tiles.state SET value = greatest(value::bigint, "
                "(SELECT max(xid) FROM d))::text WHERE key = 'pruned_xid'",
                (self.retention_days,))

    # -- following the feed -------------------------------------------------------------
    def start(self) -> None:
        """Catch up, then follow the feed in a background thread until :meth:`stop`."""
        try:
            self.catch_up()
        except psycopg.Error:  # the thread retries; meanwhile tiles bypass the cache
            log.warning("tile invalidation cannot reach the database yet", exc_info=True)
            self.healthy = False
        self._thread = threading.Thread(target=self._run, name="tile-invalidator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self.lock:
            if self._conn is not None:
                self._conn.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.connect() as listener:
                    listener.autocommit = True
                    listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
                    if not self.healthy:  # reconnected: apply what happened meanwhile
                        self.catch_up()
                        log.warning("tile invalidation follows the database again; tiles use "
                                    "the cache")
                    last = time.monotonic()
                    while not self._stop.is_set():
                        told = False
                        for _ in listener.notifies(timeout=1.0, stop_after=1):
                            told = True
                        # a notification means a commit; a slow poll is the safety net
                        if told or time.monotonic() - last > 30:
                            last = time.monotonic()
                            self.drain()
                        self._periodic()
            except Exception:  # the database went away: bypass the cache until it is back
                if self._stop.is_set():
                    break
                lost, self.healthy = self.healthy, False
                with self.lock:
                    if self._conn is not None:
                        self._conn.close()
                # once per outage: retried every second, it wrote a traceback a second to the
                # journal for as long as the database was down
                log.log(logging.WARNING if lost else logging.DEBUG,
                        "tile invalidation lost the database; tiles bypass the cache",
                        exc_info=True)
                self._stop.wait(1.0)

    def _periodic(self) -> None:
        today = self._local_today()
        if today != self.today:
            self.roll_date(self.today, today)
        if time.monotonic() - self._last_prune > 3600:
            self._last_prune = time.monotonic()
            self.prune()

    def describe(self) -> dict[str, Any]:
        return {"cache": self.cache.name, "healthy": self.healthy, "floor": self.floor,
                "epoch": self.epoch}
