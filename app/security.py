"""Who is asking: a bearer token or a login session → Principal; the personal-read log.

``Authenticator`` is the one authenticator of the app (see docs/security.md);
``token_authenticator`` is the settings-only variant kept for callers without a database.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from app.problems import gis_error_handler
from gis import users
from gis.auth import ANONYMOUS, Principal, Role
from gis.db import database_errors
from gis.errors import EnvironmentProblem, Forbidden, GisError, Unauthorized
from gis.oidc import OidcVerifier, looks_like_jwt

_PRINCIPAL = "hromada.principal"  # the scope key one request's principal is kept under


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
        decided = request.scope.get(_PRINCIPAL)  # AuthMiddleware already decided
        if isinstance(decided, Principal):
            return decided
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


SESSION_COOKIE = "gis_session"
CSRF_COOKIE = "gis_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def scope_principal(scope: Scope) -> Principal | None:
    """Return the principal already decided for this request (None: not authenticated yet,
    i.e. a request without credentials, which is the public)."""
    found = scope.get(_PRINCIPAL)
    return found if isinstance(found, Principal) else None


def has_credentials(headers: dict[str, str] | Any, cookies: str = "") -> bool:
    """Return True when a request carries a bearer token or a session cookie."""
    return bool(headers.get("authorization")) or f"{SESSION_COOKIE}=" in cookies


class Authenticator:
    """The one place a request becomes a Principal.

    In order: ``Authorization: Bearer`` (a JWT of the configured OpenID Connect issuer, else
    the settings' bootstrap tokens, then ``auth.tokens`` by SHA-256; unknown, revoked, expired
    or of a disabled user → 401), then the web editor's session
    cookie (unsafe methods also need the ``X-CSRF-Token`` header matching the session's CSRF
    token, else 403), else the anonymous public. The principal is kept in the request scope,
    so a request is authenticated once however many handlers ask.
    """

    def __init__(self, pool: ConnectionPool, tokens: dict[str, str] | None = None,
                 oidc: OidcVerifier | None = None) -> None:
        self.pool = pool
        self.bootstrap = [(t.encode(), parse_token_owner(s)) for t, s in (tokens or {}).items()]
        self.oidc = oidc

    def __call__(self, request: Request) -> Principal:
        known = request.scope.get(_PRINCIPAL)
        if isinstance(known, Principal):
            return known
        principal = self._authenticate(request)
        request.scope[_PRINCIPAL] = principal
        return principal

    def _authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("use 'Authorization: Bearer <token>'")
            return self.bearer(token.strip())
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            return self.session(request, session)
        return ANONYMOUS

    def bearer(self, token: str) -> Principal:
        if self.oidc is not None and looks_like_jwt(token):  # ours are never JWTs
            return self.oidc.verify(token)
        given = token.encode()
        for secret, principal in self.bootstrap:
            if hmac.compare_digest(secret, given):
                return principal
        with database_errors(), self.pool.connection() as conn:
            user, known = users.token_user(conn, token)
        if user is None:
            raise Unauthorized("revoked token" if known else "unknown token")
        return user.principal

    def session(self, request: Request, session: str) -> Principal:
        with database_errors(), self.pool.connection() as conn:
            found = users.session_user(conn, session)
        if found is None:  # expired or logged out: the public, as without the cookie
            return ANONYMOUS
        user, csrf_hash = found
        if request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER, "")
            if not given or not hmac.compare_digest(users.secret_hash(given), csrf_hash):
                raise Forbidden("a change from the web editor needs the X-CSRF-Token header "
                                f"with the value of the {CSRF_COOKIE} cookie")
        return user.principal

    def audit(self, who: Principal, collection: str, request: Request,
              object_ids: list[int] | None = None) -> None:
        """Log one staff read of personal data (one row per request, never per feature)."""
        query = str(request.url.query) or None
        with database_errors(), self.pool.connection() as conn:
            users.log_personal_read(conn, who, collection, method=request.method,
                                    path=request.url.path, query=query, object_ids=object_ids)


class AuthMiddleware:
    """ASGI middleware: authenticate every request that carries credentials, before routing.

    Every route (OGC API, tiles, search, the editor) then sees the same principal, a revoked
    token is a 401 everywhere, and a cookie-authenticated change without its CSRF token is a
    403 everywhere. Requests without credentials pass untouched (the public).
    """

    def __init__(self, app: Callable[..., Any], auth: Authenticator) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            if has_credentials(request.headers, request.headers.get("cookie", "")):
                try:
                    await run_in_threadpool(self.auth, request)
                except GisError as exc:  # rendered as every error is (app.problems)
                    response = await gis_error_handler(request, exc)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
