"""Bearer JWTs from an external OpenID Connect provider: verified here, turned into a Principal.

A council that already runs an identity provider (Keycloak, Azure AD, the national ID.GOV.UA
through a broker) lets its staff sign in there; the API then receives access tokens (JWTs)
instead of our own opaque tokens. Each token is checked in full before anything is trusted:
the signature against the provider's published keys (JWKS, fetched once and cached; a new
``kid`` triggers one refetch, so key rotation works), the algorithm against the configured
list (never ``none``, never HMAC with a public key), ``iss``, ``aud``, ``exp``/``nbf``/``iat``
with a small leeway. Roles come from one claim and are mapped onto ours; a role we do not
know grants nothing, and a valid token without staff roles is the public.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

import jwt

from gis.auth import Principal, Role
from gis.errors import EnvironmentProblem, Unauthorized
from gis.settings import OidcSettings

DISCOVERY = "/.well-known/openid-configuration"


def looks_like_jwt(token: str) -> bool:
    """Return True for a compact JWS (three base64url parts, a JSON header).

    >>> looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"), looks_like_jwt("abc")
    (True, False)
    """
    return token.count(".") == 2 and token.startswith("eyJ")


def claim(claims: dict[str, Any], path: str) -> Any:
    """Return the claim at a dotted ``path`` (None when absent).

    >>> claim({"realm_access": {"roles": ["gis-planner"]}}, "realm_access.roles")
    ['gis-planner']
    >>> claim({"roles": "planner"}, "groups") is None
    True
    """
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def roles_of(claims: dict[str, Any], settings: OidcSettings) -> frozenset[Role]:
    """Return our roles named by the token's role claim (mapped by ``role_map``).

    >>> s = OidcSettings(issuer="x", roles_claim="realm_access.roles",
    ...                  role_map={"gis-planner": "planner"})
    >>> sorted(roles_of({"realm_access": {"roles": ["gis-planner", "offline_access"]}}, s))
    [<Role.PLANNER: 'planner'>, <Role.PUBLIC: 'public'>]
    """
    raw = claim(claims, settings.roles_claim)
    names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    known = {r.value for r in Role}
    roles = {Role(settings.role_map.get(n, n)) for n in names
             if isinstance(n, str) and settings.role_map.get(n, n) in known}
    return frozenset(roles | {Role.PUBLIC})


class OidcVerifier:
    """Verify access tokens of one OpenID Connect issuer (thread-safe)."""

    def __init__(self, settings: OidcSettings) -> None:
        if not settings.issuer:
            raise EnvironmentProblem("OpenID Connect needs an issuer (GIS_AUTH__OIDC__ISSUER)")
        bad = [a for a in settings.algorithms if a.lower() == "none" or a.startswith("HS")]
        if bad:
            raise EnvironmentProblem(
                f"refusing JWT algorithms {bad} (GIS_AUTH__OIDC__ALGORITHMS): only asymmetric "
                "signatures (RS*, PS*, ES*, EdDSA) prove a token came from the provider")
        for url in (settings.issuer, settings.jwks_url):
            if url and not url.startswith(("https://", "http://")):
                raise EnvironmentProblem(f"OpenID Connect URLs must be http(s): {url!r}")
        self.settings = settings
        self._client: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def _jwks_url(self) -> str:
        s = self.settings
        if s.jwks_url:
            return s.jwks_url
        url = f"{(s.issuer or '').rstrip('/')}{DISCOVERY}"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - configured
            return str(json.load(response)["jwks_uri"])

    def _keys(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._client is None:
                try:
                    self._client = jwt.PyJWKClient(self._jwks_url(), cache_keys=True,
                                                   lifespan=3600, timeout=5)
                except (OSError, KeyError, ValueError) as exc:
                    raise EnvironmentProblem(
                        "cannot read the identity provider's discovery document "
                        f"({self.settings.issuer}{DISCOVERY}): {exc}") from None
            return self._client

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token; raise Unauthorized saying what is wrong."""
        s = self.settings
        try:
            key = self._keys().get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise EnvironmentProblem(f"cannot fetch the identity provider's keys: {exc}"
                                     ) from None
        except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
            raise Unauthorized(f"token not signed by a key of {s.issuer}: {exc}") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=s.algorithms, issuer=s.issuer,
                audience=s.audience, leeway=s.leeway_s,
                options={"require": ["exp", "iss"], "verify_aud": s.audience is not None})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired; sign in again") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized(f"token not issued by {s.issuer}") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(f"token not meant for {s.audience}") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid token: {exc}") from None
        name = claim(claims, s.name_claim) or claims.get("sub")
        if not isinstance(name, str) or not name:
            raise Unauthorized(f"token names nobody (no {s.name_claim!r} or 'sub' claim)")
        return Principal(name, roles_of(claims, s))
