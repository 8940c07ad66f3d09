"""The demo city's identity and its weighted random draw, shared by every generator.

The codes (KOATUU, the KATOTTG placeholders), the names of the city and its community, and the
bodies that sign its documents appear in parcels, addresses, permits and the load alike, and
``_pick`` (a value drawn by weight from the one seeded ``random.Random``) is used by nearly
every generator. They live here, below every other module of the package, so that each
generator can use them without importing another generator.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date

KOATUU = "6810100000"
# Placeholders with the right shape (^UA\d{17}$), NOT the official codifier codes (domain §0:
# look those up in the current KATOTTG edition before using real data).
CITY_KATOTTG = "UA68040470010000000"
HROMADA_KATOTTG = "UA68040470000000000"
CITY = "м. Хмельницький"
COMMUNITY_NAME = "Хмельницька міська територіальна громада"
EXECUTIVE_COMMITTEE = "Виконавчий комітет Хмельницької міської ради"
ARCHITECTURE_BODY = "Управління архітектури та містобудування Хмельницької міської ради"
ADDRESS_BODY_SINCE = date(2021, 9, 1)  # CMU No. 690 moved address decisions to the UAM


def _pick[T](rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    """Return one value of ``options`` ((value, weight) pairs) drawn by weight."""
    r = rng.random() * sum(w for _, w in options)
    for value, weight in options:
        r -= weight
        if r < 0:
            return value
    return options[-1][0]
