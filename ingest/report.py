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


# what each of the importer's own checks looks for, in both languages (a registry's rules say
# it themselves: ``Rule.description`` and ``description_uk``)
CHECKS: dict[str, dict[str, str]] = {
    "geometry_readable": {"en": "the geometry can be read",
                          "uk": "геометрію можна прочитати"},
    "geometry_transform": {"en": "the geometry can be brought into the storage CRS",
                           "uk": "геометрію можна перевести в систему координат зберігання"},
    "geometry_present": {"en": "each row has a geometry", "uk": "кожен рядок має геометрію"},
    "geometry_type": {"en": "the geometry is of the registry's kind",
                      "uk": "геометрія того виду, що в реєстрі"},
    "geometry_near_city": {"en": "the geometry lies near the city (a wrong CRS puts it far)",
                           "uk": "геометрія лежить біля міста (хибна система координат "
                                 "відносить її далеко)"},
    "required": {"en": "the required fields are filled", "uk": "обов'язкові поля заповнені"},
    "code_list": {"en": "a coded field holds one of its codes or their titles",
                  "uk": "кодоване поле містить один зі своїх кодів або їхніх назв"},
    "reference": {"en": "a reference names an object that exists",
                  "uk": "посилання вказує на наявний об'єкт"},
    "key": {"en": "each row has the key the mode matches objects by",
            "uk": "кожен рядок має ключ, за яким режим зіставляє об'єкти"},
    "id_present": {"en": "each row has an id (--keep-ids)",
                   "uk": "кожен рядок має id (--keep-ids)"},
    "id_taken": {"en": "a kept id is no other object's", "uk": "збережений id не належить "
                                                          "іншому об'єктові"},
    "cut_by_format": {"en": "no value was cut by the file's format",
                      "uk": "жодне значення не обрізане форматом файлу"},
    "personal_data": {"en": "a name comes with the kind of holder that keeps it private",
                      "uk": "ім'я подано разом із видом власника, що робить його закритим"},
    "unique": {"en": "a value that must be unique is not repeated",
               "uk": "значення, що має бути унікальним, не повторюється"},
    "person_changed": {"en": "a holder the file changes keeps none of the previous one's "
                             "codes and personal data",
                       "uk": "новий власник, якого подає файл, не успадковує кодів і "
                             "персональних даних попереднього"},
    "referred_to": {"en": "a replace deletes no object other registries refer to",
                    "uk": "заміна не вилучає об'єктів, на які посилаються інші реєстри"},
}


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
    # what each check or rule found here looks for: {id: {"uk": …, "en": …}}
    rule_titles: dict[str, dict[str, str]] = field(default_factory=dict)
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
