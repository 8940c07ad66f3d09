"""What an import is asked to do (:class:`ImportOptions`) and what it did (:class:`Report`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gis.errors import InvalidParameter

MODES = ("append", "upsert", "replace")
ON_ERROR = ("abort", "skip")


@dataclass(frozen=True)
class ImportOptions:
    """What an import does; ``source_name`` is what history records as its source."""

    mode: str = "append"
    on_error: str = "abort"
    dry_run: bool = False
    legacy: bool = False  # a legacy import: LEGACY rules are reported, not refused
    repair: bool = False  # apply ST_MakeValid to invalid geometries
    keep_ids: bool = False  # the file's id column becomes the object's id
    user: str = "cli"
    source_name: str = ""
    storage_srid: int = 6383
    extent: tuple[float, float, float, float] = (289_000.0, 5_469_000.0, 309_000.0, 5_484_000.0)
    max_listed: int = 500

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidParameter(f"--mode {self.mode!r}: one of {', '.join(MODES)}")
        if self.on_error not in ON_ERROR:
            raise InvalidParameter(f"--on-error {self.on_error!r}: one of {', '.join(ON_ERROR)}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row (``row`` 0: the file as a whole)."""

    row: int
    field: str | None
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "rule": self.rule,
                "severity": self.severity, "message": self.message}


@dataclass
class Report:
    """What an import did, or (dry run) would do."""

    file: str
    format: str
    registry: str
    mode: str
    dry_run: bool
    layer: str | None = None
    encoding: str | None = None
    crs: str = ""
    mapping: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    geometry_types: dict[str, int] = field(default_factory=dict)
    extent_lonlat: list[float] | None = None
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    repaired: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_counts: dict[str, int] = field(default_factory=dict)
    blocking: int = 0  # rows with a problem that refuses them
    written: bool = False
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    rejected_rows: dict[int, str] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        """Return True when nothing was (or would be) written because of problems."""
        return self.blocking > 0 and not self.written and self.rejected == 0

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("problems", "rejected_rows")}
        out["problems"] = [p.as_dict() for p in self.problems]
        out["refused"] = self.refused
        out["rate_per_s"] = round(self.rows / self.seconds) if self.seconds else None
        return out
