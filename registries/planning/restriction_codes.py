"""The DZK classifier of restrictions on land use (domain §1.8), from ``restriction_codes.csv``.

Hierarchical codes ``NN``, ``NN.NN``, ``NN.NN.N``; e.g. 06.01.1 "territory within red lines",
07.11 the servitude for temporary structures. The database gets the same table as
``registry.restriction_name(code)`` (NULL: not a classifier code).
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

CSV = Path(__file__).with_name("restriction_codes.csv")
RESTRICTION_CODE_PATTERN = r"^\d{2}(\.\d{2}(\.\d)?)?$"


@lru_cache(maxsize=1)
def restriction_codes() -> dict[str, str]:
    """Return restriction names by code.

    >>> restriction_codes()["06.01.1"]
    'Території в червоних лініях'
    """
    lines = [line for line in CSV.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    return {row["code"]: row["name"] for row in csv.DictReader(lines)}


def functions_sql() -> list[str]:
    """Return DDL of ``registry.restriction_name(code)``."""
    names = json.dumps(restriction_codes(), ensure_ascii=False).replace("'", "''")
    return ["CREATE OR REPLACE FUNCTION registry.restriction_name(text) RETURNS text "
            f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '{names}'::jsonb ->> $1 $$"]
