"""Prometheus metrics of one server process, kept in plain counters and exposed as text.

The hot path (every request, cached tiles at >10,000/s included) does a few dictionary and
list increments on the event loop's thread, so no lock is needed; gauges that cost a look
elsewhere (database pools, the tile cache, the process) are read only when ``/metrics`` is
scraped. The exposition follows the Prometheus text format 0.0.4; metric names are listed
in docs/operations.md and used by docs/grafana-dashboard.json (a test keeps them in step).
"""

from __future__ import annotations

import os
import resource
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# request latency buckets in seconds: cached tiles sit in the first, a 1,000-feature page in
# the middle, statement timeouts (3–20 s) at the top
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
           10.0, 30.0)
ROUTES = ("items", "item", "tiles", "search", "reports", "pages", "static", "other")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PAGE_PREFIXES = ("/collections", "/conformance", "/openapi", "/api", "/login", "/logout", "/me",
                 "/maps", "/tiles", "/tileMatrixSets", "/processes", "/jobs", "/stac")


def route_class(path: str) -> str:
    """Return the route class of a request path: one of ``ROUTES`` (a bounded label).

    >>> [route_class(p) for p in ("/maps/city/14/9420/5594.mvt", "/collections/addresses/items",
    ...  "/collections/addresses/items/12", "/collections/land_parcels/tiles/WebMercatorQuad/"
    ...  "16/22373/37650", "/search", "/reports/parcels/6810100000:01:001:0001",
    ...  "/registries/advertising_structures/items/3/history", "/", "/collections",
    ...  "/static/vendor/proj4/proj4.js", "/healthz", "/wp-login.php")]
    ['tiles', 'items', 'item', 'tiles', 'search', 'reports', 'reports', 'pages', 'pages', \
'static', 'other', 'other']
    """
    if path.endswith(".mvt") or ("/tiles/" in path and path[-1:].isdigit()):
        return "tiles"
    if path.startswith("/collections/"):
        parts = path.split("/", 5)  # '', 'collections', id, 'items', fid, rest
        if len(parts) > 3 and parts[3] == "items":
            if len(parts) == 4 or (len(parts) == 5 and not parts[4]):
                return "items"
            if len(parts) == 5:
                return "item"
        return "pages"
    if path.startswith("/static/") or path == "/favicon.ico":
        return "static"
    if path.startswith(("/search", "/reports/", "/registries/")):
        return "search" if path.startswith("/search") else "reports"
    if path == "/" or path.startswith(PAGE_PREFIXES):
        return "pages"
    return "other"


@dataclass
class Metrics:
    """Every counter of one server process; ``app.observe`` updates them once per request.

    Request counts are keyed ``(route, method, status)``; latency per route is a list of
    per-bucket counts (not cumulative: summed when exposed) and a sum. Methods are those
    the HTTP parser accepts (a fixed list), so the label sets stay bounded.
    """

    requests: dict[tuple[str, str, int], int] = field(default_factory=dict)
    buckets: dict[str, list[int]] = field(
        default_factory=lambda: {r: [0] * (len(BUCKETS) + 1) for r in ROUTES})
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ROUTES, 0.0))
    response_bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROUTES, 0))
    tile_cache: dict[str, int] = field(default_factory=lambda: {"hit": 0, "miss": 0})
    statement_timeouts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROUTES, 0))
    in_flight: int = 0
    started: float = field(default_factory=time.time)
    # families owned elsewhere (pools, the tile service), read at scrape time
    collectors: list[Callable[[], Iterable[Family]]] = field(default_factory=list)

    def record(self, route: str, method: str, status: int, size: int, seconds: float) -> None:
        """Count one answered request (the observing layer inlines the same steps)."""
        key = (route, method, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        self.buckets[route][bisect_left(BUCKETS, seconds)] += 1
        self.seconds[route] += seconds
        self.response_bytes[route] += size

    def render(self) -> str:
        """Return the Prometheus text exposition of every metric."""
        out: list[str] = []
        for family in self.families():
            family.render(out)
        return "\n".join(out) + "\n"

    def families(self) -> Iterable[Family]:
        counts: dict[tuple[str, str, str], int] = {}
        for (r, m, s), n in self.requests.items():
            key = (r, m if m in METHODS else "OTHER", str(s))
            counts[key] = counts.get(key, 0) + n
        yield Family("hromada_http_requests_total", "counter",
                     "HTTP requests answered, by route class, method and status code.",
                     [({"route": r, "method": m, "status": s}, n)
                      for (r, m, s), n in sorted(counts.items())])
        yield Family("hromada_http_request_duration_seconds", "histogram",
                     "Time from a request's arrival to the end of its answer, by route class.",
                     histogram_samples(self.buckets, self.seconds))
        yield Family("hromada_http_response_bytes_total", "counter",
                     "Bytes of response bodies sent, by route class.",
                     [({"route": r}, n) for r, n in self.response_bytes.items()])
        yield Family("hromada_http_requests_in_flight", "gauge",
                     "Requests being answered now.", [({}, self.in_flight)])
        yield Family("hromada_statement_timeouts_total", "counter",
                     "Requests stopped by their statement timeout (503 QueryTimeout), "
                     "by route class.",
                     [({"route": r}, n) for r, n in self.statement_timeouts.items()])
        yield Family("hromada_tile_requests_total", "counter",
                     "Tile answers by where the tile came from: the cache (hit) or a render "
                     "in PostGIS (miss).",
                     [({"cache": k}, n) for k, n in self.tile_cache.items()])
        for collect in self.collectors:
            yield from collect()
        yield from process_families(self.started)


Sample = tuple[dict[str, str], float]


@dataclass
class Family:
    """One metric family: its name, type, help text and samples (labels, value)."""

    name: str
    type: str
    help: str
    samples: list[Sample]

    def render(self, out: list[str]) -> None:
        out.append(f"# HELP {self.name} {self.help}")
        out.append(f"# TYPE {self.name} {self.type}")
        suffixes = self.type == "histogram"
        for labels, value in self.samples:
            name = self.name
            if suffixes:  # histogram samples carry their suffix in a private label
                labels = dict(labels)
                name += labels.pop("__suffix__")
            out.append(f"{name}{format_labels(labels)} {format_value(value)}")


def histogram_samples(buckets: dict[str, list[int]], sums: dict[str, float]) -> list[Sample]:
    """Return the cumulative ``_bucket``, ``_sum`` and ``_count`` samples per route."""
    samples: list[Sample] = []
    for route, counts in buckets.items():
        running = 0
        for bound, n in zip((*BUCKETS, float("inf")), counts, strict=True):
            running += n
            le = "+Inf" if bound == float("inf") else repr(bound)  # "1.0", as client libraries
            samples.append(({"route": route, "le": le,
                             "__suffix__": "_bucket"}, running))
        samples.append(({"route": route, "__suffix__": "_sum"}, sums[route]))
        samples.append(({"route": route, "__suffix__": "_count"}, running))
    return samples


def format_labels(labels: dict[str, str]) -> str:
    r"""Return ``{a="1",b="2"}`` with values escaped as the text format wants ("" if none).

    >>> format_labels({"route": 'a"b\\c'})
    '{route="a\\"b\\\\c"}'
    """
    if not labels:
        return ""
    body = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
    return "{" + body + "}"


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def format_value(value: float) -> str:
    """Return a sample value as the text format writes it.

    >>> format_value(3), format_value(0.25), format_value(float("inf"))
    ('3', '0.25', '+Inf')
    """
    if value == float("inf"):
        return "+Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def process_families(started: float) -> Iterable[Family]:
    """Yield the usual ``process_*`` metrics of this process (Linux /proc)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    yield Family("process_cpu_seconds_total", "counter", "CPU time of this server process.",
                 [({}, usage.ru_utime + usage.ru_stime)])
    try:
        with open("/proc/self/statm") as statm:
            rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        rss = usage.ru_maxrss * 1024
    yield Family("process_resident_memory_bytes", "gauge", "Resident memory of this process.",
                 [({}, rss)])
    try:
        fds = len(os.listdir("/proc/self/fd"))
    except OSError:
        fds = 0
    yield Family("process_open_fds", "gauge", "Open file descriptors.", [({}, fds)])
    yield Family("process_start_time_seconds", "gauge",
                 "When this process started serving (Unix time).", [({}, started)])


def pool_families(pools: dict[str, Any]) -> Iterable[Family]:
    """Yield connection-pool gauges and counters of psycopg pools (sync or async)."""
    in_use: list[Sample] = []
    idle: list[Sample] = []
    waiting: list[Sample] = []
    size: list[Sample] = []
    errors: list[Sample] = []
    busy: list[Sample] = []
    hold: list[Sample] = []
    for name, pool in pools.items():
        stats = pool.get_stats()
        labels = {"pool": name}
        in_use.append((labels, stats.get("pool_size", 0) - stats.get("pool_available", 0)))
        idle.append((labels, stats.get("pool_available", 0)))
        waiting.append((labels, stats.get("requests_waiting", 0)))
        size.append((labels, pool.max_size))
        errors.append((labels, stats.get("requests_errors", 0)))
        busy.append((labels, getattr(pool, "refused", 0)))  # gis.queueing's pools
        hold.append((labels, getattr(pool, "hold_s", 0.0)))
    yield Family("hromada_db_pool_connections_in_use", "gauge",
                 "Database connections lent to requests now, per pool.", in_use)
    yield Family("hromada_db_pool_connections_idle", "gauge",
                 "Open database connections waiting for work, per pool.", idle)
    yield Family("hromada_db_pool_requests_waiting", "gauge",
                 "Requests waiting for a database connection now, per pool.", waiting)
    yield Family("hromada_db_pool_max_connections", "gauge",
                 "The most connections each pool may open.", size)
    yield Family("hromada_db_pool_timeouts_total", "counter",
                 "Requests that got no connection in time (answered 503), per pool.", errors)
    yield Family("hromada_db_pool_refused_busy_total", "counter",
                 "Requests refused because the line for a connection was longer than "
                 "GIS_POOL__QUEUE_S could serve (503 ServerBusy), per pool.", busy)
    yield Family("hromada_db_pool_hold_seconds", "gauge",
                 "Moving average of the time a request holds a connection, per pool.", hold)
