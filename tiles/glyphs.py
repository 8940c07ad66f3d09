"""Map label glyphs: signed-distance-field glyph ranges (PBF) built from a TrueType font.

MapLibre draws text from SDF glyphs it fetches in ranges of 256 code points
(``/fonts/{fontstack}/{start}-{end}.pbf``, the ``glyphs`` protobuf of the Mapbox GL style
spec). We build them here from the fonts the project installs (DejaVu Sans from npm, which
has Cyrillic), so no label ever needs a font server or CDN. A glyph is rendered by FreeType
(anti-aliased, unhinted) at 24 px and turned into a distance field exactly as MapLibre's own
TinySDF does (3 px buffer, 8 px radius, 0.25 cutoff): the squared Euclidean distance transform
of the coverage, computed separably (rows, then columns) with numpy. A range of 256 glyphs
takes about 0.1 s and is kept in memory once built.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIZE = 24  # px per em: what MapLibre's ONE_EM expects
BUFFER = 3  # px of distance field around each glyph
RADIUS = 8.0
CUTOFF = 0.25
TOP_ADJUST = 26  # baseline to the top of MapLibre's glyph box at 24 px
INF = 1e20
MAX_CODE_POINT = 0xFFFF
# Code points left out of the ranges served: the Cyrillic block's historic letters and those of
# other languages (U+0460–U+048F, U+0492–U+04FF) — Ukrainian names never use them, and leaving
# them out halves the Cyrillic range a first screen downloads. Ґ ґ (U+0490–U+0491) stay.
LEFT_OUT = (range(0x0460, 0x0490), range(0x0492, 0x0500))


def served(code: int) -> bool:
    """Return True when glyph ``code`` is served (see LEFT_OUT).

    >>> served(ord("Ї")), served(ord("ґ")), served(0x0462)
    (True, True, False)
    """
    return not any(code in r for r in LEFT_OUT)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _uint(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _sint(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint((value << 1) ^ (value >> 31))  # zigzag


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, 2) + _varint(len(value)) + value


@dataclass(frozen=True)
class Glyph:
    """One glyph: its SDF bitmap (width + 6 × height + 6 bytes) and metrics in px at 24 px."""

    id: int
    bitmap: bytes
    width: int
    height: int
    left: int
    top: int
    advance: int

    def encode(self) -> bytes:
        """Return the glyph as a ``glyph`` protobuf message."""
        body = _uint(1, self.id)
        if self.bitmap:
            body += _bytes(2, self.bitmap)
        return (body + _uint(3, self.width) + _uint(4, self.height) + _sint(5, self.left)
                + _sint(6, self.top) + _uint(7, self.advance))


def encode_range(stack: str, start: int, glyphs: Iterable[Glyph]) -> bytes:
    """Return the ``glyphs`` protobuf of one font stack and range.

    >>> encode_range("X", 0, [])
    b'\\n\\n\\n\\x01X\\x12\\x050-255'
    """
    body = _bytes(1, stack.encode()) + _bytes(2, f"{start}-{start + 255}".encode())
    for g in glyphs:
        body += _bytes(3, g.encode())
    return _bytes(1, body)


def _edt_1d(f: np.ndarray) -> np.ndarray:
    """Return min over q of (p - q)² + f[..., q] along the last axis (brute force, exact)."""
    n = f.shape[-1]
    idx = np.arange(n, dtype=np.float64)
    d2 = (idx[:, None] - idx[None, :]) ** 2  # [p, q]
    return np.min(f[..., None, :] + d2, axis=-1)


def squared_distance(f: np.ndarray) -> np.ndarray:
    """Return the squared Euclidean distance transform of the sampled function ``f`` (2-D).

    >>> f = np.full((3, 3), INF); f[1, 1] = 0
    >>> squared_distance(f).astype(int).tolist()
    [[2, 1, 2], [1, 0, 1], [2, 1, 2]]
    """
    rows = _edt_1d(f)
    out: np.ndarray = np.minimum(_edt_1d(rows.T).T, INF)
    return out


def sdf(alpha: np.ndarray) -> np.ndarray:
    """Return the 8-bit signed distance field of a coverage image (0–1), TinySDF's way.

    The edge (coverage ½) maps to 191, inside rises to 255, outside falls to 0 at 6 px.

    >>> a = np.zeros((9, 9)); a[3:6, 3:6] = 1
    >>> field = sdf(a); int(field[4, 4]) > 191 > int(field[0, 0])
    True
    """
    outer = np.where(alpha >= 1, 0.0, np.where(alpha <= 0, INF,
                                               np.maximum(0.5 - alpha, 0) ** 2))
    inner = np.where(alpha >= 1, INF, np.where(alpha <= 0, 0.0,
                                               np.maximum(alpha - 0.5, 0) ** 2))
    d = np.sqrt(squared_distance(outer)) - np.sqrt(squared_distance(inner))
    return np.clip(np.round(255 - 255 * (d / RADIUS + CUTOFF)), 0, 255).astype(np.uint8)


class Font:
    """One TrueType face rendered into SDF glyphs (thread-safe: FreeType faces are not)."""

    def __init__(self, path: Path) -> None:
        import freetype  # a runtime dependency, imported where it is needed

        self.path = path
        self.face = freetype.Face(str(path))
        self.face.set_char_size(SIZE * 64)
        self._flags = freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING
        self._lock = threading.Lock()

    def glyph(self, code: int) -> Glyph | None:
        """Return the glyph of code point ``code``, or None when the font has none."""
        with self._lock:
            index = self.face.get_char_index(code)
            if index == 0:
                return None
            self.face.load_glyph(index, self._flags)
            slot = self.face.glyph
            bm = slot.bitmap
            w, h = bm.width, bm.rows
            coverage = np.zeros((h, w))
            if w and h:
                raw = np.frombuffer(bytes(bm.buffer), dtype=np.uint8)
                coverage = raw.reshape(h, bm.pitch)[:, :w] / 255.0
            left, top = slot.bitmap_left, slot.bitmap_top
            advance = int(round(slot.advance.x / 64))
        if not (w and h):  # a space: metrics only
            return Glyph(code, b"", 0, 0, 0, 0, advance)
        padded = np.zeros((h + 2 * BUFFER, w + 2 * BUFFER))
        padded[BUFFER:BUFFER + h, BUFFER:BUFFER + w] = coverage
        return Glyph(code, sdf(padded).tobytes(), w, h, left, top - TOP_ADJUST, advance)


class Glyphs:
    """The label fonts of the maps by font-stack name, their ranges built once and kept.

    ``fonts`` maps a font name as styles write it in ``text-font`` (``"DejaVu Sans Book"``)
    to its TrueType file; a stack of several names is answered by the first one known.
    """

    def __init__(self, fonts: dict[str, Path]) -> None:
        self.files = {name: path for name, path in fonts.items() if path.is_file()}
        self._fonts: dict[str, Font] = {}
        self._ranges: dict[tuple[str, int], bytes] = {}
        self._packed: dict[tuple[str, int], bytes] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return list(self.files)

    def font_of(self, stack: str) -> str | None:
        """Return the first font of a comma-separated stack that is served, or None."""
        for name in stack.split(","):
            if name.strip() in self.files:
                return name.strip()
        return None

    def range(self, stack: str, start: int) -> bytes | None:
        """Return the PBF of glyphs ``start``–``start + 255`` of ``stack`` (None: unknown
        font); ``start`` must be a multiple of 256 within the Basic Multilingual Plane."""
        if start % 256 or not 0 <= start <= MAX_CODE_POINT:
            raise ValueError(f"glyph range must start at a multiple of 256 up to 65280, "
                             f"not {start}")
        name = self.font_of(stack)
        if name is None:
            return None
        key = (name, start)
        hit = self._ranges.get(key)
        if hit is not None:
            return hit
        with self._lock:
            font = self._fonts.get(name)
            if font is None:
                font = self._fonts[name] = Font(self.files[name])
        glyphs = [g for g in (font.glyph(c) for c in range(start, start + 256) if served(c))
                  if g is not None]
        data = encode_range(name, start, glyphs)
        self._ranges[key] = data
        return data

    def packed(self, stack: str, start: int) -> bytes | None:
        """Return :meth:`range` gzip-compressed (kept too: ranges are sent many times)."""
        name = self.font_of(stack)
        if name is None:
            return None
        hit = self._packed.get((name, start))
        if hit is None:
            data = self.range(stack, start)
            assert data is not None
            hit = self._packed[(name, start)] = gzip.compress(data, 6, mtime=0)
        return hit
