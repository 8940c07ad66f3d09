"""The access log: one structured line per answered request, to stderr (the journal) or a file.

A line holds the time (UTC), method, path, the query string as ``GIS_LOG__QUERIES`` allows,
status, response bytes, duration in milliseconds, the client address (the proxy's
``X-Forwarded-For`` when uvicorn trusts the proxy), the signed-in user's name, the route
class and the client's program (User-Agent, shortened). Never logged: request bodies (login
passwords, edited features), headers other than the User-Agent (tokens, cookies), and, by
default, the values of query parameters that may carry what a person typed or a personal
field's value (CQL2 filters, property filters, search words); see docs/operations.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from typing import IO

from gis.settings import LogSettings

# query parameters whose values are paging, format, geometry or field names, never a person's
# data: logged as sent under the "safe" policy; any other parameter is logged as name=…
SAFE_PARAMETERS = frozenset({
    "f", "lang", "limit", "offset", "startindex", "bbox", "bbox-crs", "crs", "datetime",
    "properties", "sortby", "skipGeometry", "filter-lang", "filter-crs", "collections",
    "resulttype", "zoom", "severity", "date", "tileMatrixSet", "next", "prev",
})
REDACTED = "…"
MAX_FIELD = 1000  # queries longer than this are cut
FLUSH_S = 0.1  # how long a line may wait to be written with others (lost if the process dies)


def redact_query(query: str, policy: str = "safe") -> str:
    """Return what of a raw query string the access log keeps under ``policy``.

    >>> redact_query("f=json&limit=10&filter=owner_name%3D%27Petrenko%27&q=Shevchenka")
    'f=json&limit=10&filter=…&q=…'
    >>> redact_query("filter=x", "full"), redact_query("f=json", "none")
    ('filter=x', '')
    """
    if not query or policy == "none":
        return ""
    if policy == "full":
        return query[:MAX_FIELD]
    kept = []
    for part in query.split("&"):
        name, eq, _ = part.partition("=")
        kept.append(part if name in SAFE_PARAMETERS or not eq else f"{name}={REDACTED}")
    return "&".join(kept)[:MAX_FIELD]


_PLAIN_JSON = re.compile(r'[ !#-\[\]-~]*').fullmatch  # printable ASCII but " and \\
_PLAIN_LOGFMT = re.compile(r'[!#-<>-\[\]-~]+').fullmatch  # … and no space or =


def _text(value: str) -> str:
    """Return ``value`` as a JSON string (no escaping work for the plain ASCII of most paths).

    >>> _text("/a b"), _text('say "hi"'), _text("вул. Соборна")
    ('"/a b"', '"say \\\\"hi\\\\""', '"вул. Соборна"')
    """
    if _PLAIN_JSON(value):
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


def _logfmt(value: str) -> str:
    if _PLAIN_LOGFMT(value):
        return value
    return json.dumps(value, ensure_ascii=False)


class AccessLog:
    """Writes access-log lines; cheap enough for cached tiles (a few microseconds a line)."""

    def __init__(self, settings: LogSettings, stream: IO[bytes] | None = None) -> None:
        self.queries = settings.queries
        self.json = settings.format == "json"
        self._own = False
        if stream is not None:
            self.stream = stream
        elif settings.access == "stdout":
            self.stream = sys.stdout.buffer
        elif settings.access == "stderr":
            self.stream = sys.stderr.buffer
        else:
            self.stream = open(settings.access, "ab", buffering=0)  # noqa: SIM115
            os.chmod(settings.access, 0o640)
            self._own = True
        self._second = -1
        self._stamp = ""
        self._pending: list[str] = []

    def line(self, method: str, path: str, query: bytes, status: int, size: int,
             seconds: float, client: str, user: str | None, route: str, agent: str) -> str:
        """Return one access-log line (without the newline)."""
        now = time.time()
        second = int(now)
        if second != self._second:  # the formatted second, reused within it
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        stamp = f"{self._stamp}.{int((now - second) * 1000):03d}Z"
        q = redact_query(query.decode("latin-1"), self.queries) if query else ""
        path, agent, ms = path[:2000], agent[:120], round(seconds * 1000, 2)
        if self.json:
            if _PLAIN_JSON(f"{method}{path}{q}{client}{user or ''}{agent}"):  # one check: as is
                who = f'"{user}"' if user else "null"
                return (f'{{"time":"{stamp}","method":"{method}","path":"{path}","query":"{q}",'
                        f'"status":{status},"bytes":{size},"ms":{ms},"client":"{client}",'
                        f'"user":{who},"route":"{route}","agent":"{agent}"}}')
            return (f'{{"time":"{stamp}","method":{_text(method)},"path":{_text(path)},'
                    f'"query":{_text(q)},"status":{status},"bytes":{size},"ms":{ms},'
                    f'"client":{_text(client)},"user":{_text(user) if user else "null"},'
                    f'"route":"{route}","agent":{_text(agent)}}}')
        return (f"time={stamp} method={_logfmt(method)} path={_logfmt(path)} "
                f"query={_logfmt(q)} status={status} bytes={size} ms={ms} "
                f"client={_logfmt(client)} user={_logfmt(user or '-')} route={route} "
                f"agent={_logfmt(agent)}")

    def write(self, line: str) -> None:
        """Queue one line; queued lines go out together within ``FLUSH_S`` (one write)."""
        pending = self._pending
        pending.append(line)
        if len(pending) == 1:
            try:
                asyncio.get_running_loop().call_later(FLUSH_S, self.flush)
            except RuntimeError:  # no event loop (a test, a command): write now
                self.flush()
        elif len(pending) >= 512:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        data = ("\n".join(self._pending) + "\n").encode("utf-8", "replace")
        self._pending.clear()
        try:
            self.stream.write(data)
            if not self._own:
                self.stream.flush()
        except (OSError, ValueError):  # a closed or full log must never fail a request
            pass

    def close(self) -> None:
        self.flush()
        if self._own:
            self.stream.close()
