"""The whole demo city: every generator run in order on one seeded random stream.

``build_city`` draws everything from a single ``random.Random(seed)`` in a fixed order (grid,
streets, parcels, numbers, buildings, addresses, holders, advertising, spots, temporary
structures, zones) and returns a ``DemoCity`` with each registry's rows in its table's COPY
column order (the ``*_COLUMNS`` tuples). It stands apart from the generators, which know
nothing of tables, and from the database work in ``app.demo.load``, so that the city can be
generated and compared without a database.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.demo import defects
from app.demo import names as nm
from app.demo.addresses import generate_addresses, generate_buildings, number_houses
from app.demo.common import CITY, CITY_KATOTTG
from app.demo.geometry import _multilinestring
from app.demo.grid import generate_grid
from app.demo.parcels import (
    assign_cadastral_numbers,
    generate_blocks,
    generate_parcel_rows,
    generate_parcels,
)
from app.demo.street_sites import (
    StreetSites,
    generate_advertising,
    generate_spots,
    generate_temporary,
    spot_rows,
)
from app.demo.streets import generate_streets
from app.demo.zones import generate_zones
from registries.addresses import ADDRESSES, BUILDINGS, STREETS
from registries.advertising import ADVERTISING_STRUCTURES
from registries.parcels import LAND_PARCELS
from registries.planning import COMMUNITY_BOUNDARIES, PLANNING_ZONES
from registries.temporary import TEMPORARY_STRUCTURES, TS_SCHEME_SPOTS

Progress = Callable[[str, int, int], None]

STREET_COLUMNS = ("id", "street_type", "name", "former_names", "katottg", "geom")
BUILDING_COLUMNS = ("id", "floors", "purpose", "geom")
PARCEL_COLUMNS = ("id", "cadastral_number", "category", "purpose_code", "purpose_text",
                  "ownership_form", "area_declared_ha", "holder_kind", "holder_name",
                  "holder_edrpou", "holder_rnokpp", "holder_home_address", "registered_on",
                  "katottg", "geom")
ADDRESS_COLUMNS = ("id", "street_id", "house_number", "korpus", "postal_code", "katottg",
                   "object_kind", "status", "building_id", "cadastral_number",
                   "decision_number", "decision_date", "issuing_body", "geom")
ADVERTISING_COLUMNS = ("id", "permit_number", "issued_on", "valid_from", "valid_until",
                       "dismantling_ordered_on", "dismantled_on", "decision_number",
                       "decision_date", "issuing_body", "structure_type", "width_m",
                       "height_m", "sides", "lighting", "mounting", "distributor_kind",
                       "distributor_name", "distributor_edrpou", "distributor_phone",
                       "distributor_email", "distributor_rnokpp", "distributor_home_address",
                       "place_owner", "contract_number", "contract_date", "location_text",
                       "geom")
SPOT_COLUMNS = ("id", "spot_number", "max_area_m2", "allowed_kind", "allowed_specialisation",
                "status", "scheme_decision_number", "scheme_decision_date", "issuing_body",
                "geom")
TEMPORARY_COLUMNS = ("id", "passport_number", "issued_on", "valid_from", "valid_until",
                     "dismantling_ordered_on", "dismantled_on", "decision_number",
                     "decision_date", "issuing_body", "owner_kind", "owner_name",
                     "owner_edrpou", "owner_rnokpp", "owner_home_address", "structure_kind",
                     "purpose", "specialisation", "length_m", "width_m", "height_m", "area_m2",
                     "scheme_spot_id", "location_text", "geom")
ZONE_COLUMNS = ("id", "zone_code", "zone_name", "max_height_m", "max_coverage_pct",
                "plan_decision_number", "plan_decision_date", "issuing_body")
LOAD_ORDER = (STREETS, BUILDINGS, LAND_PARCELS, ADDRESSES, ADVERTISING_STRUCTURES,
              TS_SCHEME_SPOTS, TEMPORARY_STRUCTURES)  # parents before children
COLUMNS = dict(zip((r.id for r in LOAD_ORDER),
                   (STREET_COLUMNS, BUILDING_COLUMNS, PARCEL_COLUMNS, ADDRESS_COLUMNS,
                    ADVERTISING_COLUMNS, SPOT_COLUMNS, TEMPORARY_COLUMNS), strict=True))
ALL_REGISTRIES = (*LOAD_ORDER, PLANNING_ZONES, COMMUNITY_BOUNDARIES)


@dataclass
class DemoCity:
    """The generated rows of every registry, in each table's COPY column order, and the
    defects placed on purpose (``app.demo.defects``)."""

    rows: dict[str, list[tuple[object, ...]]]  # collection id → rows
    zone_cells: list[tuple[object, ...]]
    river: str = ""  # the river's centreline (EWKT); the water body is derived at load
    defects: defects.Defects = field(default_factory=dict)  # what the quality report finds

    @property
    def never_verified(self) -> dict[str, set[int]]:
        """Return the objects the loader publishes without verification, per collection."""
        return {c: checks["never_verified"] for c, checks in self.defects.items()
                if "never_verified" in checks}


def build_city(scale: float, seed: int, today: date, first_ids: dict[str, int],
               progress: Progress) -> DemoCity:
    """Return the demo city's rows (geometries as EWKT in EPSG:6383, metres)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    rng, steps = random.Random(seed), 8
    progress("generating city", 0, steps)
    grid = generate_grid(rng, scale)
    streets, refs = generate_streets(grid, rng, scale, today, first_ids[STREETS.id])
    progress("generating city", 1, steps)
    parcels = generate_parcels(grid, generate_blocks(grid), rng)
    assign_cadastral_numbers(grid, parcels, rng)
    number_houses(streets, refs, parcels, rng)
    progress("generating city", 2, steps)
    buildings = generate_buildings(grid, parcels, rng, first_ids[BUILDINGS.id])
    addresses = generate_addresses(grid, streets, parcels, rng, today, first_ids[ADDRESSES.id])
    progress("generating city", 4, steps)
    parties = nm.Parties(rng)
    surveyed_earlier: set[int] = set()
    land = generate_parcel_rows(streets, parcels, parties, rng, today,
                                first_ids[LAND_PARCELS.id], surveyed_earlier)
    kind, home = PARCEL_COLUMNS.index("holder_kind"), PARCEL_COLUMNS.index("holder_home_address")
    residents = [str(row[home]) for row in land if row[kind] == "natural"] or [CITY]
    progress("generating city", 5, steps)
    sites = StreetSites(grid, streets, refs)
    advertising = generate_advertising(sites, parties, residents, rng, today,
                                       max(12, round(3000 * scale)),
                                       first_ids[ADVERTISING_STRUCTURES.id])
    progress("generating city", 6, steps)
    n_ts = max(12, round(2000 * scale))
    wide = StreetSites(grid, streets, refs, min_half=8.0)
    spots, taken = generate_spots(wide, rng, n_ts + max(2, round(0.07 * n_ts)),
                                  first_ids[TS_SCHEME_SPOTS.id])
    breaking: dict[str, set[int]] = {}
    structures, occupied = generate_temporary(wide, spots, taken, parties, residents, rng,
                                              today, n_ts, first_ids[TEMPORARY_STRUCTURES.id],
                                              breaking)
    progress("generating city", 7, steps)
    zones, cells = generate_zones(grid, rng, today, first_ids[PLANNING_ZONES.id])
    street_rows: list[tuple[object, ...]] = [
        (s.id, s.street_type, s.name, json.dumps(s.former, ensure_ascii=False) if s.former
         else None, CITY_KATOTTG, _multilinestring(s.nodes)) for s in streets]
    progress("generating city", steps, steps)
    rows = {STREETS.id: street_rows, BUILDINGS.id: buildings, LAND_PARCELS.id: land,
            ADDRESSES.id: addresses, ADVERTISING_STRUCTURES.id: advertising,
            TS_SCHEME_SPOTS.id: spot_rows(spots, occupied, rng, today),
            TEMPORARY_STRUCTURES.id: structures, PLANNING_ZONES.id: zones}
    planted = defects.plant(rows, COLUMNS)  # after every draw: the random stream is unchanged
    return DemoCity(rows, cells, _multilinestring(grid.river),
                    defects.expected(rows, COLUMNS, today, planted, surveyed_earlier, breaking))
