"""The web editor's login: ``/login`` (form and JSON), ``/logout``, ``/me``.

A login sets two cookies: ``gis_session`` (HttpOnly, SameSite=Lax, Secure unless
``GIS_AUTH__COOKIE_SECURE=false``) holding a random session id whose SHA-256 the database keeps,
and ``gis_csrf`` (readable by the editor's script, SameSite=Strict) whose value the editor sends
back in ``X-CSRF-Token`` on every change; the server compares it with the session's stored hash.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app.login_limits import LoginThrottle
from app.pages import TEMPLATES, login_href, page_language
from app.security import CSRF_COOKIE, SESSION_COOKIE, Authenticator
from gis import users
from gis.db import database_errors
from gis.errors import Forbidden, InvalidParameter, PayloadTooLarge, TooManyRequests, Unauthorized
from gis.json_input import parse_json
from gis.negotiation import json_document
from gis.negotiation import language as language_of
from gis.settings import Settings

# the form's words; what the server says to a program stays English
LOGIN_WORDS = {
    "uk": {"title": "Вхід", "heading": "Вхід для працівників", "name": "Ім'я користувача",
           "password": "Пароль", "submit": "Увійти", "other": "English",
           "wrong": "Невірне ім'я користувача або пароль",
           "wait": "Забагато невдалих спроб входу; спробуйте через {n} с"},
    "en": {"title": "Sign in", "heading": "Staff sign-in", "name": "User name",
           "password": "Password", "submit": "Sign in", "other": "Українська",
           "wrong": "Wrong user name or password",
           "wait": "Too many failed sign-ins; try again in {n} s"},
}


def sign_in_first(request: Request) -> Response:
    """Return what a staff page answers a visitor who has not signed in: the login form in the
    page's language, which comes back to the page (with its query) afterwards (one answer for
    every staff page)."""
    return RedirectResponse(login_href(request), status_code=303,
                            headers={"Cache-Control": "no-store"})


def safe_next(target: str | None) -> str:
    r"""Return a same-site path to go to after login (never another host).

    A browser drops tabs and line breaks from an address (as does ``urllib.parse``), so
    ``/\t/evil.example`` would read ``//evil.example``: any control character or space makes
    it ``/`` too (a real page's address reaches here percent-encoded).

    >>> safe_next("//evil.example/x"), safe_next("/collections?f=html"), safe_next(None)
    ('/', '/collections?f=html', '/')
    >>> safe_next("/\t/evil.example"), safe_next("/\\evil.example")
    ('/', '/')
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    return target


def in_language(target: str, lang: str) -> str:
    """Return the path ``target`` to go to after a login in ``lang``: in that language — the
    visitor's last choice, made on the form or on the page that sent them to it. A ``lang``
    in ``target`` asking another language takes the form's (one asking the form's, ``en-GB``
    too, stays as written); without one, an English login adds it (a page without ``lang``
    is Ukrainian). Only the query's ``lang`` pieces are touched: the path is not parsed again
    (``safe_next`` checked it as it is).

    >>> in_language("/ingest", "en"), in_language("/v?lang=uk", "en"), in_language("/", "uk")
    ('/ingest?lang=en', '/v?lang=en', '/')
    >>> in_language("/x?a=1#f", "en"), in_language("/x?lang=en&a=1&lang=de#f", "uk")
    ('/x?a=1&lang=en#f', '/x?lang=uk&a=1&lang=de#f')
    >>> in_language("/ingest?lang=en-GB", "en"), in_language("/ingest?lang=en-GB", "uk")
    ('/ingest?lang=en-GB', '/ingest?lang=uk')
    """
    address, hash_mark, fragment = target.partition("#")
    path, _, query = address.partition("?")
    pieces = query.split("&") if query else []
    asked = [(key == "lang", unquote_plus(value))
             for key, _, value in (p.partition("=") for p in pieces)]
    if any(named for named, _ in asked):
        pieces = [f"lang={lang}" if named and language_of(value) != lang else p
                  for p, (named, value) in zip(pieces, asked, strict=True)]
    elif lang == "en":
        pieces.append(f"lang={lang}")
    else:
        return target
    return f"{path}?{'&'.join(pieces)}{hash_mark}{fragment}"


MAX_LOGIN_BODY = 8192  # a name, a password and a path; anything bigger is not a login


async def credentials(request: Request) -> tuple[str, str, str | None, bool]:
    """Return (name, password, next, wants JSON) from a form or JSON login body."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_LOGIN_BODY:
            raise PayloadTooLarge(f"a login body is at most {MAX_LOGIN_BODY} bytes")
    if request.headers.get("content-type", "").startswith("application/json"):
        data = parse_json(body, "login body")
        if not isinstance(data, dict) or not all(
                isinstance(data.get(k, ""), str) for k in ("name", "password")):
            raise InvalidParameter('login body must be {"name": "…", "password": "…"}')
        return data.get("name", ""), data.get("password", ""), None, True
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    return form.get("name", ""), form.get("password", ""), form.get("next"), False


def check_credentials(name: str, password: str) -> None:
    """Raise InvalidParameter for a name or password no account can have (NUL characters,
    more than a line): such a login is not tried, nor counted as a failure."""
    for what, value in (("name", name), ("password", password)):
        if "\x00" in value or len(value) > 1024:
            raise InvalidParameter(f"the {what} is not a possible {what}", parameter=what)


def cross_site(request: Request) -> bool:
    """Return True for a request a browser sent from another site's page (login CSRF).

    The login form has no CSRF token (there is no session yet to tie one to): instead, a POST
    whose ``Sec-Fetch-Site`` says cross-site, or whose ``Origin`` names another host, is
    refused — otherwise a hostile page could sign a visitor into the attacker's account.
    Clients that send neither header (curl, scripts) are not browsers on a hostile page.
    """
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin == "null"  # a sandboxed or opaque origin is never our page
    return urlsplit(origin).netloc != request.headers.get("host", "")


def login_routes(settings: Settings, pool: ConnectionPool, auth: Authenticator) -> list[Route]:
    """Return the login, logout and who-am-I routes."""
    lifetime = timedelta(hours=settings.auth.session_hours)
    secure = settings.auth.cookie_secure
    throttle = LoginThrottle.from_settings(settings.limits)

    def form(request: Request, error: str = "", status: int = 200, nxt: str | None = None,
             **words: object) -> HTMLResponse:
        """The form in the page's language, going on to ``nxt`` (the login's, or the
        ``next`` of the page's address); ``error`` names one of its words."""
        language = page_language(request)
        w = LOGIN_WORDS[language.lang]
        return HTMLResponse(TEMPLATES.get_template("login.html").render(
            lang=language.lang, other=language.other, other_href=language.other_href, w=w,
            next=safe_next(nxt or request.query_params.get("next")),
            error=w[error].format(**words) if error else ""), status_code=status,
            headers={"Cache-Control": "no-store", **language.headers})

    async def login(request: Request) -> Response:
        if request.method in ("GET", "HEAD"):  # HEAD is GET without its body, never a login
            return form(request)
        if cross_site(request):
            raise Forbidden("a login from another site's page is refused (login CSRF); "
                            "sign in on this site's own /login page")
        name, password, nxt, wants_json = await credentials(request)
        check_credentials(name, password)
        account = name.strip().lower()
        client = request.client.host if request.client else "unknown"
        wait = throttle.wait(account, client)
        if wait:
            if wants_json:
                raise TooManyRequests(f"too many failed logins for {account!r} from {client}; "
                                      f"retry in {wait} s", retry_after=wait)
            page = form(request, "wait", 429, nxt, n=wait)
            page.headers["Retry-After"] = str(wait)
            return page

        def check() -> tuple[users.User, str, str] | None:
            with database_errors(), pool.connection() as conn:
                user = users.check_password(conn, account, password)
                if user is None:
                    return None
                session, csrf = users.open_session(conn, user, lifetime)
                return user, session, csrf

        found = await run_in_threadpool(check)
        if found is None:
            throttle.failed(account, client)
            if wants_json:
                raise Unauthorized("wrong user name or password")
            return form(request, "wrong", 401, nxt)
        throttle.succeeded(account, client)
        user, session, csrf = found
        response: Response
        if wants_json:
            response = JSONResponse({"name": user.name, "roles": sorted(user.roles),
                                     "csrf_token": csrf})
        else:
            response = RedirectResponse(in_language(safe_next(nxt),
                                                    page_language(request).lang),
                                        status_code=303)
        max_age = int(lifetime.total_seconds())
        response.set_cookie(SESSION_COOKIE, session, max_age=max_age, httponly=True,
                            secure=secure, samesite="lax", path="/")
        response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False,
                            secure=secure, samesite="strict", path="/")
        response.headers["Cache-Control"] = "no-store"
        return response

    async def logout(request: Request) -> Response:
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            auth(request)  # a cross-site logout has no CSRF token: refused
            await run_in_threadpool(_close, pool, session)
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True,
                               samesite="lax")
        response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="strict")
        return response

    async def me(request: Request) -> Response:
        who = await run_in_threadpool(auth, request)
        body: dict[str, Any] = {"name": who.name, "roles": sorted(who.roles),
                                "sees_personal_data": who.sees_personal_data}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return [Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/me", json_document(me), methods=["GET"])]


def _close(pool: ConnectionPool, session: str) -> None:
    with database_errors(), pool.connection() as conn:
        users.close_session(conn, session)
