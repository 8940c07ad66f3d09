"""Registry holders (утримувачі реєстрів): the council departments accountable for a registry.

The city's procedure on keeping GIS data says: the department that holds a registry checks
every change before the public sees it (``registries.verification``). Each registry declares
its holder (``Registry.holder``); staff users belong to a department (``auth.users.department``)
and hold a ``verifier`` right per registry (``auth.verifiers``). A right is granted only to a
member of the holder department whose roles may edit the registry, so a registrar never
verifies the land cadastre. Department titles are declared here once, like code lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from registries.model import Text


@dataclass(frozen=True)
class Holder:
    """A department of the council: its code (stored with users) and its title."""

    code: str
    title: Text

    def title_in(self, lang: str = "uk") -> str:
        """Return the department's title in ``lang`` (Ukrainian if missing).

        >>> LAND_RESOURCES.title_in("en")
        'Land resources department'
        """
        return self.title.get(lang) or self.title.get("uk") or self.code


LAND_RESOURCES = Holder("land_resources", {"uk": "Управління земельних ресурсів",
                                           "en": "Land resources department"})
ARCHITECTURE = Holder("architecture", {"uk": "Управління архітектури та містобудування",
                                       "en": "Architecture and urban planning department"})
TRADE = Holder("trade", {"uk": "Управління торгівлі", "en": "Trade department"})
COMMUNAL_PROPERTY = Holder("communal_property", {"uk": "Управління комунальної власності",
                                                 "en": "Communal property department"})
HOUSING_UTILITIES = Holder("housing_utilities", {
    "uk": "Управління житлово-комунального господарства",
    "en": "Housing and utilities department"})
SOCIAL_PROTECTION = Holder("social_protection", {
    "uk": "Управління праці та соціального захисту населення",
    "en": "Labour and social protection department"})
GIS_DEPARTMENT = Holder("gis", {"uk": "Відділ геоінформаційної системи",
                                "en": "GIS department"})

DEPARTMENTS: tuple[Holder, ...] = (LAND_RESOURCES, ARCHITECTURE, TRADE, COMMUNAL_PROPERTY,
                                   HOUSING_UTILITIES, SOCIAL_PROTECTION, GIS_DEPARTMENT)


def department(code: str) -> Holder:
    """Return the department with ``code`` or raise KeyError.

    >>> department("trade").title_in()
    'Управління торгівлі'
    """
    for d in DEPARTMENTS:
        if d.code == code:
            return d
    raise KeyError(code)
