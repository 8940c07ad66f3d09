"""Who is asking: roles and the principal behind a request or a command."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PUBLIC = "public"  # anonymous read, no personal data
    PLANNER = "planner"  # edits the land cadastre and planning layers
    REGISTRAR = "registrar"  # edits advertising, temporary structures and addresses
    ADMIN = "admin"  # users, registries, everything


@dataclass(frozen=True)
class Principal:
    """A user (or system process) and its roles; ``name`` goes into history as the author."""

    name: str
    roles: frozenset[Role]
    authenticated: bool = True  # False only for the anonymous public (no credentials at all)

    def has(self, role: Role) -> bool:
        return role in self.roles or Role.ADMIN in self.roles

    @property
    def sees_personal_data(self) -> bool:
        return bool(self.roles - {Role.PUBLIC})

    @property
    def is_public(self) -> bool:
        """True for the anonymous public: the request limits for anonymous clients apply."""
        return not self.roles - {Role.PUBLIC}


ANONYMOUS = Principal("anonymous", frozenset({Role.PUBLIC}), authenticated=False)
SYSTEM = Principal("system", frozenset({Role.ADMIN}))
