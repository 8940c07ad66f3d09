"""The tile cache's memory front over a real disk cache: bounded, dropped with the disk, and
never left holding a tile that an edit dropped while it was being read."""

from __future__ import annotations

from pathlib import Path

from tiles.cache import DiskCache, MemoryFront, etag_of


class DropWhileReading(DiskCache):
    """A disk cache whose next read is overtaken by an edit's drop (the invalidator thread
    dropping the tile between the file read and the memory fill)."""

    front: MemoryFront | None = None
    armed = False

    def get(self, source: str, z: int, x: int, y: int) -> bytes | None:
        data = super().get(source, z, x, y)  # the old tile, read before the drop
        if self.armed and self.front is not None:
            self.armed = False
            self.front.drop(source, z, {(x, y)})
        return data


def test_memory_front_serves_from_memory_and_drops_with_the_disk(tmp_path: Path) -> None:
    disk = DiskCache(tmp_path, "f" * 16)
    front = MemoryFront(disk, max_bytes=1000)
    front.put("city", 14, 1, 2, b"tile-a")
    assert front.peek("city", 14, 1, 2) == (b"tile-a", etag_of(b"tile-a"))
    assert disk.get("city", 14, 1, 2) == b"tile-a"  # written through
    # a tile only on disk (seeded by another process) is kept in memory once read
    disk.put("city", 14, 3, 3, b"seeded")
    assert front.peek("city", 14, 3, 3) is None
    assert front.get("city", 14, 3, 3) == b"seeded"
    assert front.peek("city", 14, 3, 3) is not None
    # an edit drops disk and memory; ranges too; other zooms and sources stay
    front.put("city", 15, 3, 3, b"other zoom")
    front.put("land_parcels", 14, 3, 3, b"other source")
    assert front.drop("city", 14, set(), [(0, 0, 5, 5)]) == 2
    assert front.get("city", 14, 1, 2) is None and front.get("city", 14, 3, 3) is None
    assert front.get("city", 15, 3, 3) == b"other zoom"
    assert front.get("land_parcels", 14, 3, 3) == b"other source"
    front.drop_source("land_parcels")
    assert front.get("land_parcels", 14, 3, 3) is None
    front.clear()
    assert front.size == 0 and front.get("city", 15, 3, 3) is None


def test_a_read_overtaken_by_a_drop_is_not_kept_in_memory(tmp_path: Path) -> None:
    disk = DropWhileReading(tmp_path, "f" * 16)
    front = MemoryFront(disk, max_bytes=1000)
    disk.front = front
    disk.put("city", 16, 7, 7, b"before the edit")
    disk.armed = True
    assert front.get("city", 16, 7, 7) == b"before the edit"  # this request saw the old tile
    assert front.peek("city", 16, 7, 7) is None  # … but it did not settle in memory
    assert disk.get("city", 16, 7, 7) is None  # and the drop reached the disk


def test_memory_front_is_bounded_and_skips_huge_tiles(tmp_path: Path) -> None:
    front = MemoryFront(DiskCache(tmp_path, "f" * 16), max_bytes=400)
    for x in range(10):
        front.put("city", 18, x, 0, bytes(90))
    assert front.size <= 400
    assert [x for x in range(10) if front.peek("city", 18, x, 0)] == [6, 7, 8, 9]
    front.put("city", 18, 99, 0, bytes(101))  # over a quarter of the front: disk only
    assert front.peek("city", 18, 99, 0) is None and front.get("city", 18, 99, 0) == bytes(101)
