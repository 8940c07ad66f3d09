"""Who is asking: bearer tokens → Principal (the token list comes from settings for now)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from starlette.requests import Request

from gis.auth import ANONYMOUS, Principal, Role
from gis.errors import EnvironmentProblem, Unauthorized


def parse_token_owner(spec: str) -> Principal:
    """Return the principal of a ``name:role[,role]`` token spec.

    >>> parse_token_owner("olena:planner").roles == frozenset({Role.PLANNER})
    True
    """
    name, _, roles = spec.partition(":")
    try:
        parsed = frozenset(Role(r.strip()) for r in roles.split(",") if r.strip())
    except ValueError:
        raise EnvironmentProblem(f"GIS_AUTH__TOKENS: unknown role in {spec!r}; roles are "
                                 + ", ".join(r.value for r in Role)) from None
    if not name or not parsed:
        raise EnvironmentProblem(f"GIS_AUTH__TOKENS: {spec!r} must look like 'name:role'")
    return Principal(name, parsed)


def token_authenticator(tokens: dict[str, str]) -> Callable[[Request], Principal]:
    """Return a function that maps a request's bearer token to its principal."""
    known = [(token.encode(), parse_token_owner(spec)) for token, spec in tokens.items()]

    def authenticate(request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            return ANONYMOUS
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        given = token.strip().encode()
        for secret, principal in known:
            if hmac.compare_digest(secret, given):
                return principal
        raise Unauthorized("unknown or revoked token")

    return authenticate
