"""The map of an extract: the features of the frame's ground box, read from PostGIS as vectors.

Every layer is read from its registry's public view (what the public API reads), clipped to
the frame in the storage CRS (metres) and with vertices closer than 0.02 mm of paper merged,
so a sheet stays small at 1:10 000 without a visible change. Before anything is read the
frame is counted in SQL, layer by layer with a bound, so that an area holding more features
than a sheet can show is refused before a single geometry leaves the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
import shapely
from psycopg import sql
from shapely.geometry.base import BaseGeometry

from extracts.layout import Box, MapTransform
from extracts.underlay import Underlay
from gis.errors import InvalidParameter
from registries.catalog import Catalog
from registries.map_labels import label_note, map_label_sql
from registries.model import Registry
from registries.status import has_term_status
from registries.styles import Style, draw_order, style_of

# always on an extract: the cadastral and address base of a working document
BASE_LAYERS = ("land_parcels", "buildings", "streets", "addresses")
SNAP_MM = 0.02  # vertices closer than this on paper are merged
CLIP_MARGIN = 0.02  # the clip box is this share larger than the frame: strokes run off cleanly


@dataclass(frozen=True)
class MapFeature:
    geom: BaseGeometry  # storage CRS, metres
    label: str | None = None
    status: str | None = None


@dataclass
class MapLayer:
    reg: Registry
    style: Style
    features: list[MapFeature] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        return label_note(self.reg)


@dataclass
class MapContent:
    """What the map frame shows: layers bottom first, the object, its numbered points."""

    transform: MapTransform
    layers: list[MapLayer]
    target: BaseGeometry | None = None
    points: list[tuple[int, float, float]] = field(default_factory=list)  # (no, e, n)
    convergence: float = 0.0  # degrees
    underlay: Underlay | None = None  # a published raster under the layers (extracts.underlay)


def map_registries(catalog: Catalog, asked: tuple[str, ...],
                   target: Registry | None) -> list[Registry]:
    """Return the registries drawn, bottom first: the base layers, those asked for, the
    object's own registry. Unknown or non-public ids are refused by name."""
    for cid in asked:
        if cid not in catalog.ids or not catalog.get(cid).public:
            raise InvalidParameter(f"layers: no public collection {cid!r}; choose from "
                                   + ", ".join(r.id for r in catalog if r.public),
                                   parameter="layers")
    ids = dict.fromkeys([*BASE_LAYERS, *asked, *([target.id] if target else [])])
    return draw_order([catalog.get(i) for i in ids if i in catalog.ids and catalog.get(i).public])


def _envelope(box: Box, srid: int) -> sql.Composable:
    return sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
        sql.Literal(box.x0), sql.Literal(box.y0), sql.Literal(box.x1), sql.Literal(box.y1),
        sql.Literal(srid))


def count_features(conn: psycopg.Connection, regs: list[Registry], ground: Box, srid: int,
                   limit: int) -> dict[str, int]:
    """Return, per registry, how many objects touch ``ground`` (each count stops at
    ``limit`` + 1: enough to refuse, never a full scan of a whole city)."""
    if not regs:
        return {}
    env = _envelope(ground, srid)
    parts = [sql.SQL("(SELECT count(*) FROM (SELECT 1 FROM {} AS t WHERE t.geom && {} "
                     "LIMIT {}) AS s)").format(sql.Identifier(*r.public_view), env,
                                              sql.Literal(limit + 1)) for r in regs]
    row = conn.execute(sql.SQL("SELECT {}").format(sql.SQL(", ").join(parts))).fetchone()
    assert row is not None
    return {r.id: int(n) for r, n in zip(regs, row, strict=True)}


def check_size(counts: dict[str, int], limit: int, scale: int, ground: Box) -> None:
    """Refuse (400) a frame that holds more than ``limit`` features, naming the layers."""
    total = sum(counts.values())
    if total <= limit:
        return
    heavy = ", ".join(f"{cid} {'≥ ' if n > limit else ''}{n:,}"
                      for cid, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n)
    raise InvalidParameter(
        f"the map frame at 1:{scale} covers {ground.width / 1000:.1f} × "
        f"{ground.height / 1000:.1f} km holding more than {limit:,} features ({heavy}); "
        "choose a more detailed scale or a smaller area", parameter="scale")


def read_layers(conn: psycopg.Connection, regs: list[Registry], ground: Box, srid: int,
                scale: int) -> list[MapLayer]:
    """Return the features of ``regs`` inside ``ground`` (clipped, labels, statuses)."""
    grow_x, grow_y = ground.width * CLIP_MARGIN, ground.height * CLIP_MARGIN
    clip = Box(ground.x0 - grow_x, ground.y0 - grow_y, ground.x1 + grow_x, ground.y1 + grow_y)
    env = _envelope(clip, srid)
    snap = sql.Literal(SNAP_MM * scale / 1000)
    layers = []
    for reg in regs:
        label = map_label_sql(reg) or sql.SQL("NULL")
        status = sql.SQL("t.status") if has_term_status(reg) else sql.SQL("NULL")
        geom = (sql.SQL("t.geom") if reg.geometry == "Point" else
                sql.SQL("ST_RemoveRepeatedPoints(ST_ClipByBox2D(t.geom, {env}), {snap})")
                .format(env=env, snap=snap))
        rows = conn.execute(sql.SQL(
            "SELECT ST_AsBinary({geom}), {label}, {status} FROM {src} AS t "
            "WHERE t.geom && {env} ORDER BY t.id").format(
            geom=geom, label=label, status=status, src=sql.Identifier(*reg.public_view),
            env=env)).fetchall()
        geoms = shapely.from_wkb([bytes(r[0]) for r in rows if r[0] is not None])
        kept = [r for r in rows if r[0] is not None]
        layer = MapLayer(reg, style_of(reg))
        layer.features = [MapFeature(g, lab, st) for g, (_, lab, st) in zip(geoms, kept,
                                                                          strict=True)
                          if not g.is_empty]
        layers.append(layer)
    return layers


def object_geometry(conn: psycopg.Connection, src: sql.Composable,
                    object_id: int) -> BaseGeometry | None:
    """Return the object's geometry (storage CRS) unclipped, or None when it has none."""
    row = conn.execute(sql.SQL("SELECT ST_AsBinary(t.geom) FROM {} AS t WHERE t.id = %s")
                       .format(src), (object_id,)).fetchone()
    if row is None or row[0] is None:
        return None
    geom: Any = shapely.from_wkb(bytes(row[0]))
    return geom
