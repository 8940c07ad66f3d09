"""The tile cache: pluggable (a folder on disk, a PostgreSQL table, or none).

A cache holds finished tiles per source, gzip-compressed (``pack``: what goes on the wire to
every client that accepts gzip, so a cached tile is sent as it is stored), and knows how to
drop a given set of tiles at one zoom precisely (``drop``), a whole source, or everything.
It also keeps a small state document — which database it caches and how far it has applied
the change feed — so that a cache that was offline while edits happened is brought up to date
(or cleared) before it serves again.
Caches are named by the fingerprint of the tile SQL: new declarations, new cache.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import tempfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import psycopg

Key = tuple[int, int]  # (x, y) at one zoom
Range = tuple[int, int, int, int]  # xmin, ymin, xmax, ymax (inclusive)
WALK_ABOVE = 2048  # more candidate tiles than this: list what is cached instead of probing
EMPTY_ETAG = '"empty"'


def pack(mvt: bytes) -> bytes:
    """Return a tile as it is cached and sent: gzip (level 6, no timestamp: the same tile
    always packs to the same bytes, so ETags agree across instances); empty stays empty.

    >>> unpack(pack(b"tile")), pack(b"")
    (b'tile', b'')
    """
    return gzip.compress(mvt, compresslevel=6, mtime=0) if mvt else b""


def unpack(data: bytes) -> bytes:
    """Return the MVT bytes of a cached tile (``pack``'s inverse; several members join)."""
    return gzip.decompress(data) if data else b""


def etag_of(data: bytes) -> str:
    """Return an ETag of a tile's bytes: CRC-32 and length (a cryptographic hash took 0.2 ms
    per 150 KB tile, half the cost of serving it from the cache).

    >>> etag_of(b""), etag_of(b"tile")
    ('"empty"', '"768fa904-4"')
    """
    if not data:
        return EMPTY_ETAG
    return f'"{zlib.crc32(data):08x}-{len(data):x}"'


class TileCache(Protocol):
    """What the tile service, the invalidation and seeding need from a cache backend."""

    name: str
    local: bool  # reads are page-cache or memory reads: cheap enough for the event loop

    def get(self, source: str, z: int, x: int, y: int) -> bytes | None: ...
    def put(self, source: str, z: int, x: int, y: int, data: bytes) -> None: ...
    def has(self, source: str, z: int, x: int, y: int) -> bool: ...
    def drop(self, source: str, z: int, keys: set[Key], ranges: Iterable[Range] = ()) -> int: ...
    def drop_source(self, source: str) -> None: ...
    def clear(self) -> None: ...
    def read_state(self) -> dict[str, Any] | None: ...
    def write_state(self, state: dict[str, Any]) -> None: ...


def _in_ranges(x: int, y: int, ranges: list[Range]) -> bool:
    return any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in ranges)


class NoCache:
    """No caching: every tile is rendered (for development and for measuring cold tiles)."""

    name = "none"
    local = True

    def get(self, source: str, z: int, x: int, y: int) -> bytes | None:
        return None

    def put(self, source: str, z: int, x: int, y: int, data: bytes) -> None:
        pass

    def has(self, source: str, z: int, x: int, y: int) -> bool:
        return False

    def drop(self, source: str, z: int, keys: set[Key], ranges: Iterable[Range] = ()) -> int:
        return 0

    def drop_source(self, source: str) -> None:
        pass

    def clear(self) -> None:
        pass

    def read_state(self) -> dict[str, Any] | None:
        return None

    def write_state(self, state: dict[str, Any]) -> None:
        pass


class DiskCache:
    """Tiles as files ``<root>/<fingerprint>/<source>/<z>/<x>/<y>.mvt`` (empty file: no data).

    Writes go to a temporary file renamed into place, so a reader never sees half a tile and
    several processes (app instances, ``gis tiles seed``) can share one folder.
    """

    name = "disk"
    local = True

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.root = root
        self.base = root / fingerprint
        self.base.mkdir(parents=True, exist_ok=True)
        for other in root.iterdir():  # caches of older tile SQL can never be served again
            if other.is_dir() and other.name != fingerprint and len(other.name) == 16:
                shutil.rmtree(other, ignore_errors=True)

    def path(self, source: str, z: int, x: int, y: int) -> Path:
        return self.base / source / str(z) / str(x) / f"{y}.mvt"

    def get(self, source: str, z: int, x: int, y: int) -> bytes | None:
        try:
            with open(self.path(source, z, x, y), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def has(self, source: str, z: int, x: int, y: int) -> bool:
        return self.path(source, z, x, y).exists()

    def put(self, source: str, z: int, x: int, y: int, data: bytes) -> None:
        path = self.path(source, z, x, y)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def drop(self, source: str, z: int, keys: set[Key], ranges: Iterable[Range] = ()) -> int:
        """Delete the cached tiles at ``z`` among ``keys`` or inside ``ranges``; return how many."""
        ranges = list(ranges)
        zdir = self.base / source / str(z)
        if not zdir.is_dir():
            return 0
        dropped = 0
        if not ranges and len(keys) <= WALK_ABOVE:
            for x, y in keys:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(zdir / str(x) / f"{y}.mvt")
                    dropped += 1
            return dropped
        xs = {x for x, _ in keys}
        for xdir in os.scandir(zdir):
            if not xdir.name.isdigit():
                continue
            x = int(xdir.name)
            if x not in xs and not any(x0 <= x <= x1 for x0, _, x1, _ in ranges):
                continue
            for entry in os.scandir(xdir.path):
                stem = entry.name.removesuffix(".mvt")
                if not stem.isdigit():
                    continue
                y = int(stem)
                if (x, y) in keys or _in_ranges(x, y, ranges):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        dropped += 1
        return dropped

    def drop_source(self, source: str) -> None:
        target = self.base / source
        if target.exists():  # rename first so no reader sees a half-deleted tree
            trash = self.base / f".trash-{source}-{os.getpid()}-{id(self)}"
            with contextlib.suppress(FileNotFoundError):
                target.rename(trash)
                shutil.rmtree(trash, ignore_errors=True)

    def clear(self) -> None:
        for entry in self.base.iterdir():
            if entry.is_dir():
                self.drop_source(entry.name)
        (self.base / "state.json").unlink(missing_ok=True)

    def read_state(self) -> dict[str, Any] | None:
        try:
            state: dict[str, Any] = json.loads((self.base / "state.json").read_text())
            return state
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write_state(self, state: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.base, prefix=".state-")
        with os.fdopen(fd, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.base / "state.json")


class PostgresCache:
    """Tiles in the UNLOGGED table ``tiles.cache`` of the served database.

    For several app instances without a shared disk; a crash empties it (never stale).
    Each call opens a short connection from ``connect``.
    """

    name = "postgres"
    local = False

    def __init__(self, connect: Any, fingerprint: str) -> None:
        self.connect = connect
        self.fingerprint = fingerprint
        with self.connect() as conn:
            conn.execute("DELETE FROM tiles.cache WHERE source NOT LIKE %s",
                          (f"{fingerprint}:%",))
            conn.execute("DELETE FROM tiles.state WHERE key LIKE 'cache:%%' AND key <> %s",
                         (self._state_key,))

    @property
    def _state_key(self) -> str:
        return f"cache:{self.fingerprint}"

    def _src(self, source: str) -> str:
        return f"{self.fingerprint}:{source}"

    def get(self, source: str, z: int, x: int, y: int) -> bytes | None:
        with self.connect() as conn:
            row = conn.execute("SELECT data FROM tiles.cache WHERE source = %s AND z = %s AND "
                               "x = %s AND y = %s", (self._src(source), z, x, y)).fetchone()
        return bytes(row[0]) if row else None

    def has(self, source: str, z: int, x: int, y: int) -> bool:
        return self.get(source, z, x, y) is not None

    def put(self, source: str, z: int, x: int, y: int, data: bytes) -> None:
        with self.connect() as conn:
            conn.execute("INSERT INTO tiles.cache VALUES (%s, %s, %s, %s, %s) ON CONFLICT "
                         "(source, z, x, y) DO UPDATE SET data = excluded.data",
                         (self._src(source), z, x, y, data))

    def drop(self, source: str, z: int, keys: set[Key], ranges: Iterable[Range] = ()) -> int:
        xs = [k[0] for k in keys]
        ys = [k[1] for k in keys]
        dropped = 0
        with self.connect() as conn:
            if keys:
                cur = conn.execute(
                    "DELETE FROM tiles.cache c USING unnest(%s::int[], %s::int[]) AS k(x, y) "
                    "WHERE c.source = %s AND c.z = %s AND c.x = k.x AND c.y = k.y",
                    (xs, ys, self._src(source), z))
                dropped += cur.rowcount
            for x0, y0, x1, y1 in ranges:
                cur = conn.execute(
                    "DELETE FROM tiles.cache WHERE source = %s AND z = %s AND x BETWEEN %s AND %s "
                    "AND y BETWEEN %s AND %s", (self._src(source), z, x0, x1, y0, y1))
                dropped += cur.rowcount
        return dropped

    def drop_source(self, source: str) -> None:
        with self.connect() as conn:
            conn.execute("DELETE FROM tiles.cache WHERE source = %s", (self._src(source),))

    def clear(self) -> None:
        with self.connect() as conn:
            conn.execute("DELETE FROM tiles.cache WHERE source LIKE %s",
                         (f"{self.fingerprint}:%",))
            conn.execute("DELETE FROM tiles.state WHERE key = %s", (self._state_key,))

    def read_state(self) -> dict[str, Any] | None:
        with self.connect() as conn:
            row = conn.execute("SELECT value FROM tiles.state WHERE key = %s",
                               (self._state_key,)).fetchone()
        return json.loads(row[0]) if row else None

    def write_state(self, state: dict[str, Any]) -> None:
        with self.connect() as conn:
            conn.execute("INSERT INTO tiles.state VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                         "SET value = excluded.value", (self._state_key, json.dumps(state)))


class MemoryFront:
    """A bounded in-process LRU (by bytes) in front of another cache, with each tile's ETag.

    Measured: a cached tile read from disk cost about a third of serving it (path building,
    open, read, CRC-32 for the ETag); from memory that third is gone. The memory is this
    process's own and is dropped with the cache below it by this process's invalidator, which
    follows the change feed like every other instance's. A fill from the cache below is kept
    only if no drop happened while it was read (``_generation``): a tile read just before an
    edit's drop can never settle in memory after it.

    >>> front = MemoryFront(NoCache(), max_bytes=40)
    >>> for x in range(4):
    ...     front.put("s", 1, x, 0, b"0123456789")
    >>> front.peek("s", 1, 0, 0)[1]  # tile 0 is used: tile 1 is now the least recently used
    '"a684c7c6-a"'
    >>> front.put("s", 1, 4, 0, b"0123456789")
    >>> front.peek("s", 1, 1, 0) is None, front.size
    (True, 40)
    >>> front.drop("s", 1, {(0, 0)}), front.peek("s", 1, 0, 0), front.size
    (0, None, 30)
    """

    def __init__(self, inner: TileCache, max_bytes: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.local = inner.local
        self.max_bytes = max_bytes
        self.size = 0
        self._tiles: OrderedDict[tuple[str, int, int, int], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    def peek(self, source: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """Return the tile and its ETag if it is in memory (no read below)."""
        key = (source, z, x, y)
        with self._lock:
            hit = self._tiles.get(key)
            if hit is not None:
                self._tiles.move_to_end(key)
            return hit

    def fetch(self, source: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """Return the tile and its ETag from memory, else from the cache below (kept)."""
        hit = self.peek(source, z, x, y)
        if hit is not None:
            return hit
        generation = self._generation
        data = self.inner.get(source, z, x, y)
        if data is None:
            return None
        return self._keep((source, z, x, y), data, generation)

    def _keep(self, key: tuple[str, int, int, int], data: bytes,
              generation: int | None) -> tuple[bytes, str]:
        entry = (data, etag_of(data))
        if len(data) > self.max_bytes // 4:  # a few huge tiles must not flush the rest
            return entry
        with self._lock:
            if generation is not None and generation != self._generation:
                return entry  # dropped meanwhile: what was read may be the old tile
            old = self._tiles.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self._tiles[key] = entry
            self.size += len(data)
            while self.size > self.max_bytes:
                _, (gone, _) = self._tiles.popitem(last=False)
                self.size -= len(gone)
        return entry

    def get(self, source: str, z: int, x: int, y: int) -> bytes | None:
        hit = self.fetch(source, z, x, y)
        return None if hit is None else hit[0]

    def has(self, source: str, z: int, x: int, y: int) -> bool:
        return self.peek(source, z, x, y) is not None or self.inner.has(source, z, x, y)

    def put(self, source: str, z: int, x: int, y: int, data: bytes) -> None:
        self.inner.put(source, z, x, y, data)
        self._keep((source, z, x, y), data, None)

    def _forget(self, match: Any) -> None:
        with self._lock:
            self._generation += 1
            for key in [k for k in self._tiles if match(k)]:
                self.size -= len(self._tiles.pop(key)[0])

    def drop(self, source: str, z: int, keys: set[Key], ranges: Iterable[Range] = ()) -> int:
        ranges = list(ranges)
        dropped = self.inner.drop(source, z, keys, ranges)  # below first: see the class notes
        self._forget(lambda k: k[0] == source and k[1] == z
                     and ((k[2], k[3]) in keys or _in_ranges(k[2], k[3], ranges)))
        return dropped

    def drop_source(self, source: str) -> None:
        self.inner.drop_source(source)
        self._forget(lambda k: k[0] == source)

    def clear(self) -> None:
        self.inner.clear()
        self._forget(lambda k: True)

    def read_state(self) -> dict[str, Any] | None:
        return self.inner.read_state()

    def write_state(self, state: dict[str, Any]) -> None:
        self.inner.write_state(state)


def open_cache(kind: str, fingerprint: str, cache_dir: Path | None,
               connect: Any = None, memory_bytes: int = 0) -> TileCache:
    """Return the cache backend called ``kind`` (disk | postgres | none), behind a memory
    front of ``memory_bytes`` when that is positive."""
    cache: TileCache
    if kind == "none":
        return NoCache()
    if kind == "disk":
        if cache_dir is None:
            raise ValueError("the disk tile cache needs a folder (GIS_TILES__CACHE_DIR)")
        cache = DiskCache(cache_dir, fingerprint)
    elif kind == "postgres":
        cache = PostgresCache(connect or psycopg.connect, fingerprint)
    else:
        raise ValueError(f"unknown tile cache {kind!r}; use disk, postgres or none")
    return MemoryFront(cache, memory_bytes) if memory_bytes > 0 else cache
