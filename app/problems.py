"""HTTP faces of the error tree: ``application/problem+json`` responses, and the same
problem as a page for a browser (in the page's language: Ukrainian, ``?lang=en`` English)."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Send

from app.pages import TEMPLATES, login_href, page_language
from gis.db import database_errors
from gis.errors import GisError, InvalidParameter, MethodNotAllowed, NotFound, problem
from gis.negotiation import prefers_html

log = logging.getLogger("hromada.http")


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


# the page's words; a status without its own title or sentence gets the default's
PAGE_WORDS: dict[str, dict[str, Any]] = {
    "uk": {"map": "Карта міста", "collections": "Набори даних", "downloads": "Відкриті дані",
           "other": "English", "other_lang": "en", "detail": "Пояснення сервера (англійською)",
           "status": "Код відповіді", "retry": "Спробуйте ще раз за {n} с.",
           "sign_in": "Увійти",
           "titles": {400: "У запиті помилка", 401: "Потрібно увійти",
                      403: "Доступ заборонено", 404: "Не знайдено",
                      405: "Такий запит тут не приймають", 409: "Конфлікт змін",
                      412: "Дані вже змінилися", 413: "Запит завеликий",
                      422: "Дані не прийнято", 429: "Забагато запитів",
                      500: "Помилка сервера", 503: "Сервіс тимчасово недоступний",
                      0: "Запит не виконано"},
           "sentences": {400: "Один із параметрів запиту має хибне значення: перевірте адресу.",
                         404: "За цією адресою нічого немає: можливо, посилання застаріло або "
                              "в ньому помилка.",
                         401: "Ця сторінка — для працівників: увійдіть, і вона відкриється.",
                         429: "З вашої адреси надійшло забагато запитів: зачекайте трохи.",
                         500: "Під час виконання запиту сталася помилка; її записано в журнал.",
                         503: "Сервіс зараз перевантажений або його база даних недоступна.",
                         0: "Сервер не зміг виконати цей запит."}},
    "en": {"map": "City map", "collections": "Collections", "downloads": "Open data",
           "other": "Українська", "other_lang": "uk", "detail": "The server's explanation",
           "status": "Status", "retry": "Try again in {n} s.", "sign_in": "Sign in",
           "titles": {400: "The request has a mistake", 401: "Sign-in required",
                      403: "Access denied", 404: "Not found",
                      405: "This request is not accepted here", 409: "Conflicting change",
                      412: "The data have changed", 413: "The request is too large",
                      422: "The data were not accepted", 429: "Too many requests",
                      500: "Server error", 503: "Service temporarily unavailable",
                      0: "The request was not served"},
           "sentences": {400: "One of the request's parameters has a wrong value: check the "
                              "address.",
                         404: "Nothing is here: the link may be out of date or mistyped.",
                         401: "This page is for staff: sign in, and it will open.",
                         429: "Too many requests came from your address: wait a little.",
                         500: "The request failed on the server; the error has been logged.",
                         503: "The service is overloaded or its database is unavailable.",
                         0: "The server could not serve this request."}},
}


def wants_page(request: Request) -> bool:
    """Return True when the client asked for HTML (``f=html``, or a browser's ``Accept``)."""
    f = request.query_params.get("f")
    if f:
        return f.lower() == "html"
    return prefers_html(request.headers.get("accept"))


def problem_page(doc: dict[str, Any], request: Request) -> HTMLResponse:
    """Return the HTML page of the problem document ``doc`` answered to ``request``, in the
    language it asks (``lang``) and saying so (``Content-Language``)."""
    language = page_language(request)
    w = PAGE_WORDS[language.lang]
    status = int(doc["status"])
    return HTMLResponse(TEMPLATES.get_template("problem.html").render(
        lang=language.lang, w=w, status=status, code=doc["code"], detail=doc["detail"],
        instance=doc["instance"], title=w["titles"].get(status, w["titles"][0]),
        sentence=w["sentences"].get(status, w["sentences"][0]),
        retry_after=doc.get("retry_after"),
        other_href=language.other_href,
        login_href=login_href(request) if status == 401 else None),
        status_code=status, headers=language.headers)


def problem_response(doc: dict[str, Any], request: Request,
                     headers: dict[str, str] | None = None) -> Response:
    """Return ``doc`` as ``application/problem+json``, or as a page to a browser."""
    if wants_page(request):
        page = problem_page(doc, request)
        page.headers.update(headers or {})
        return page
    return ProblemResponse(doc, status_code=doc["status"], headers=headers)


async def gis_error_handler(request: Request, exc: Exception) -> Response:
    """Return the problem document of a GisError with its own status."""
    assert isinstance(exc, GisError)
    headers = None
    if exc.status in (429, 503):
        headers = {"Retry-After": str(exc.where.get("retry_after", 1))}
    elif exc.status == 405:
        headers = {"Allow": str(exc.where.get("allow", "GET, HEAD, OPTIONS"))}
    elif exc.status == 401:  # RFC 9110 11.6.1: a 401 names the scheme that would do
        headers = {"WWW-Authenticate": 'Bearer realm="hromada-gis"'}
    return problem_response(problem(exc, request.url.path), request, headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Answer Starlette's own HTTPException (a static file that is not there, a method a
    file does not answer) as the error of ours it is, rendered like every other."""
    assert isinstance(exc, HTTPException)
    return await gis_error_handler(request, starlette_error(exc, request.method,
                                                             request.url.path))


def starlette_error(exc: HTTPException, method: str, path: str) -> GisError:
    """Return the error of ours that Starlette's ``exc`` is.

    >>> starlette_error(HTTPException(404), "GET", "/static/x.css")
    NotFound('nothing is served at /static/x.css')
    >>> starlette_error(HTTPException(405, headers={"Allow": "GET, HEAD"}), "PUT", "/static/a")
    MethodNotAllowed('PUT is not allowed on /static/a; allowed: GET, HEAD')
    """
    if exc.status_code == 404:
        return NotFound(f"nothing is served at {path}")
    if exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "GET, HEAD")
        return MethodNotAllowed(f"{method} is not allowed on {path}; allowed: {allow}",
                                allow=allow)
    if 400 <= exc.status_code < 500:
        return InvalidParameter(str(exc.detail))
    log.error("Starlette answered %s at %s: %s", exc.status_code, path, exc.detail)
    return GisError("internal error; it has been logged")


async def database_error_handler(request: Request, exc: Exception) -> Response:
    """Answer 503 + Retry-After for a lost database or a full pool (never a 500)."""
    try:
        with database_errors():
            raise exc
    except GisError as mapped:
        return await gis_error_handler(request, mapped)


CLIENT_CLOSED = 499  # nginx's "client closed request": the access log's word for it


async def client_gone_handler(request: Request, exc: Exception) -> Response:
    """A client that left mid-request (an upload cut off) is no server error: no traceback,
    no 500 in the access log and the metrics; nobody reads this answer."""
    return Response(status_code=CLIENT_CLOSED)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Log the traceback; answer 500 with no internals in the body.

    The answer says ``Connection: close``: Starlette raises the error again once this answer
    is sent, and uvicorn then closes the connection; a client told nothing would send its
    next request down the closed connection and read "connection reset by peer".
    """
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(problem(GisError("internal error; it has been logged"),
                                    request.url.path), request, {"Connection": "close"})


async def send_problem(send: Send, exc: GisError, path: str,
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send the problem document of ``exc`` from ASGI middleware outside the app (its
    handlers): the request limits, the metrics scrape."""
    body = json.dumps(problem(exc, path)).encode()
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
