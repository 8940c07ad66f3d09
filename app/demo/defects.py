"""The demo city's deliberate defects: what its quality report must find, and nothing else.

A real register holds mistakes, and the quality report (``registries.quality``), the rules'
problems and the verification queue need some to show. Every defect of the demo city is put
there on purpose — here, or by the generator that draws it — and recorded, so that a test can
check the report finds exactly these (``tests/test_quality.py``):

- planted here: 2 addresses without a postal code, 1 parcel without an ownership form, 1
  advertising permit without the distributor's phone, 1 temporary structure without its
  decision number (``required_missing``); 2 addresses whose cadastral number the register never
  filled in (``addresses_without_parcel``); the last 3 buildings, loaded from an older survey
  without verification (``never_verified``, loaded so by ``app.demo.load``);
- ``generate_parcel_rows``: ~10 % of the parcels were surveyed earlier, their declared area off
  by 3–22 m² (``rule:area_matches_geometry``);
- ``permit_term``'s mix of terms: ~20 % of permits and passports expired with no dismantling
  ordered (``expired_in_place``), some ordered dismantled more than 30 days ago and still
  standing (``rule:dismantling_overdue``);
- ``generate_temporary``: ~2.5 % of the temporary structures stand outside every spot of the
  scheme (``rule:within_scheme_spot``), ~2.5 % are larger than their spot allows
  (``rule:fits_spot_area``).

The date-driven ones (expired, overdue, and the scheme rules, which look at standing
structures only) are counted on the day the city is generated for; the report agrees on that
day. Nothing lies outside the community, overlaps or leaves a gap: the rules refuse the first
two on every write path and the parcels tile their blocks exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from registries.advertising import ADVERTISING_STRUCTURES
from registries.catalog import default_catalog
from registries.model import Registry
from registries.status import TERM_COLUMNS, term_status
from registries.terms import ACTIVE_STATUSES

Rows = list[tuple[object, ...]]
Defects = dict[str, dict[str, set[int]]]  # collection id → check id → object ids


def _set(rows: Rows, index: int, columns: tuple[str, ...], name: str,
         value: object) -> int:
    """Set one column of row ``index``; return the row's id."""
    row = list(rows[index])
    row[columns.index(name)] = value
    rows[index] = tuple(row)
    first = row[0]
    assert isinstance(first, int)  # ids are the rows' first column
    return first


def plant(rows: dict[str, Rows], columns: dict[str, tuple[str, ...]]) -> Defects:
    """Plant the defects of the table above that the generators do not draw; return them."""
    planted: Defects = {}

    def add(collection: str, check: str, obj_id: int) -> None:
        planted.setdefault(collection, {}).setdefault(check, set()).add(obj_id)

    addresses, cols = rows["addresses"], columns["addresses"]
    residential = {r[columns["land_parcels"].index("cadastral_number")]
                   for r in rows["land_parcels"]
                   if str(r[columns["land_parcels"].index("purpose_code")]).startswith("02")}
    number = cols.index("cadastral_number")
    for i in (len(addresses) // 3, 2 * len(addresses) // 3):
        add("addresses", "required_missing", _set(addresses, i, cols, "postal_code", None))
    # two houses whose parcel the address register never linked (residential parcels only:
    # the accessibility objects the demo derives follow public buildings' addresses)
    linked = [i for i in range(len(addresses) // 2, len(addresses))
              if addresses[i][number] in residential and addresses[i][cols.index("postal_code")]
              and addresses[i][cols.index("status")] != "annulled"]
    for i in linked[:2]:
        add("addresses", "addresses_without_parcel",
            _set(addresses, i, cols, "cadastral_number", None))
    for collection, name in (("land_parcels", "ownership_form"),
                             ("advertising_structures", "distributor_phone"),
                             ("temporary_structures", "decision_number")):
        table = rows[collection]
        add(collection, "required_missing",
            _set(table, len(table) // 2, columns[collection], name, None))
    for row in rows["buildings"][-3:]:
        add("buildings", "never_verified", int(row[0]))  # type: ignore[call-overload]
    return planted


def _overdue_days(reg: Registry) -> int:
    """Return the days the registry's ``dismantling_overdue`` rule allows."""
    rule = next(r for r in reg.rules if r.id == "dismantling_overdue")
    days = dict(rule.params)["days"]
    assert isinstance(days, int)
    return days


def _term_checks(reg: Registry, rows: Rows, columns: tuple[str, ...], today: date,
                 add: Callable[[str, int], None]) -> dict[int, str]:
    """Record the expired and overdue structures; return every row's status on ``today``."""
    at = {c: columns.index(c) for c in (*TERM_COLUMNS, "id") if c in columns}
    overdue = _overdue_days(reg)
    statuses = {}
    for row in rows:
        def col(name: str, r: tuple[object, ...] = row) -> date | None:
            return r[at[name]] if name in at else None  # type: ignore[return-value]

        valid_from, valid_until = col("valid_from"), col("valid_until")
        assert valid_from is not None and valid_until is not None
        status = term_status(valid_from, valid_until, today,
                             dismantling_ordered_on=col("dismantling_ordered_on"),
                             dismantled_on=col("dismantled_on"), annulled_on=col("annulled_on"))
        obj_id = int(row[at["id"]])  # type: ignore[call-overload]
        statuses[obj_id] = status
        ordered = col("dismantling_ordered_on")
        if status == "expired":
            add("expired_in_place", obj_id)
        elif status == "dismantling_ordered" and ordered and (today - ordered).days > overdue:
            add("rule:dismantling_overdue", obj_id)
    return statuses


def expected(rows: dict[str, Rows], columns: dict[str, tuple[str, ...]], today: date,
             planted: Defects, surveyed_earlier: set[int],
             breaking: dict[str, set[int]]) -> Defects:
    """Return every defect the quality report must find on ``today``: the planted ones, the
    parcels surveyed earlier, the expired and overdue terms, the structures breaking the
    scheme that still stand."""
    out: Defects = {c: {k: set(v) for k, v in checks.items()} for c, checks in planted.items()}

    def adder(collection: str) -> Callable[[str, int], None]:
        def add(check: str, obj_id: int) -> None:
            out.setdefault(collection, {}).setdefault(check, set()).add(obj_id)
        return add

    if surveyed_earlier:
        adder("land_parcels")("rule:area_matches_geometry", 0)
        out["land_parcels"]["rule:area_matches_geometry"] = set(surveyed_earlier)
    catalog = default_catalog()
    _term_checks(ADVERTISING_STRUCTURES, rows["advertising_structures"],
                 columns["advertising_structures"], today, adder("advertising_structures"))
    temporary = catalog.get("temporary_structures")
    statuses = _term_checks(temporary, rows["temporary_structures"],
                            columns["temporary_structures"], today,
                            adder("temporary_structures"))
    standing = {*ACTIVE_STATUSES, "expired"}  # the scheme rules judge standing structures
    for kind, check in (("outside", "rule:within_scheme_spot"),
                        ("oversize", "rule:fits_spot_area")):
        for obj_id in breaking.get(kind, set()):
            if statuses[obj_id] in standing:
                adder("temporary_structures")(check, obj_id)
    return out
