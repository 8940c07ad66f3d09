"""OGC API – Features: this server against tipg and pygeoapi's generic PostgreSQL provider.

One run, one demo city, the same requests against three servers, each its own process on a
loopback port over the same database (the public ``open_data`` views):

* Hromada GIS — ``gis serve`` (PostGIS builds each feature's JSON);
* tipg — ``uvicorn tipg.main:app`` publishing the ``open_data`` schema;
* pygeoapi — ``uvicorn pygeoapi.starlette_app:APP`` with its generic ``PostgreSQL`` provider on
  the same views (storage_crs EPSG:6383), configured from our own generated config.

tipg and pygeoapi live in a side virtualenv (``bench/.venv-peers``) this script creates once and
reuses. Requests run sequentially (servers interleaved round by round, so background load hits
all three alike) and then at concurrency 8; every answer is checked against PostGIS first.
The table goes to ``docs/benchmarks.md`` between marker comments.

    .venv/bin/python bench/features.py [--scale 1.0] [--runs 40] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import httpx
import psycopg
import yaml
from _common import (
    ROOT,
    SRID,
    Service,
    Timings,
    demo_database,
    git_commit,
    machine,
    package_version,
    peer_venv,
    running,
    shared_tmp,
    sigterm_as_interrupt,
    write_section,
)
from psycopg import sql

from gis.cluster import free_port

HEADING = "OGC API – Features"
MARKER = "bench/features.py"
PEERS_VENV = Path(__file__).resolve().parent / ".venv-peers"
# GeoAlchemy2/SQLAlchemy: pygeoapi's PostgreSQL provider needs them but does not declare them
PEER_REQUIREMENTS = ["tipg", "uvicorn", "pygeoapi>=0.22", "psycopg2-binary", "SQLAlchemy",
                     "GeoAlchemy2"]
CQL2 = "purpose_code='02.01' AND area_declared_ha > 0.08"
BBOX_SIDE_M = 500
HEADERS = {"Accept": "application/geo+json", "Accept-Encoding": "identity"}
COORD_TOLERANCE_DEG = 1e-6  # ≈ 0.1 m


def say(line: str) -> None:
    print(f"[bench] {line}", file=sys.stderr, flush=True)


# -- servers and requests ---------------------------------------------------------------------
@dataclass(frozen=True)
class Server:
    key: str
    title: str
    base: str
    ids: dict[str, str]  # our collection id → this server's
    max_limit: int  # the largest page it allows
    extra: dict[str, str] = field(default_factory=dict)  # parameters on every request

    def url(self, collection: str, params: dict[str, str]) -> str:
        return (f"{self.base}/collections/{self.ids[collection]}/items?"
                f"{urlencode({**params, **self.extra})}")


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    collection: str
    params: dict[str, str]
    truth: str = ""  # the key of what PostGIS must answer (default: this case's key)
    after_commit: bool = False  # a transaction commits before each request (cold caches)

    @property
    def truth_key(self) -> str:
        return self.truth or self.key


@dataclass
class Truth:
    """What PostGIS itself says a request must answer."""

    matched: int
    ids: list[int] | None = None  # every matching id, when the page holds them all


@dataclass
class Verdict:
    ok: bool
    matched: int | None
    returned: int
    note: str = ""


def servers(ports: dict[str, int]) -> list[Server]:
    return [
        Server("ours", "Hromada GIS", f"http://127.0.0.1:{ports['ours']}",
               {"land_parcels": "land_parcels", "addresses": "addresses"}, 10_000),
        Server("tipg", "tipg", f"http://127.0.0.1:{ports['tipg']}",
               {"land_parcels": "open_data.land_parcel", "addresses": "open_data.address"},
               10_000),
        Server("pygeoapi", "pygeoapi (generic PostgreSQL)",
               f"http://127.0.0.1:{ports['pygeoapi']}",
               {"land_parcels": "land_parcels", "addresses": "addresses",
                "land_parcels_default_axes": "land_parcels_default_axes"}, 10_000,
               {"f": "json"}),
    ]


def cases(bbox: tuple[float, ...]) -> list[Case]:
    box = ",".join(f"{v:.6f}" for v in bbox)
    return [
        Case("limit100", "limit=100", "land_parcels", {"limit": "100"}),
        Case("limit1000", "limit=1000", "land_parcels", {"limit": "1000"}),
        Case("bbox", f"bbox {BBOX_SIDE_M} m × {BBOX_SIDE_M} m (CRS84), limit=1000",
             "land_parcels", {"bbox": box, "limit": "1000"}),
        Case("cql2", f"CQL2 `{CQL2}`, limit=100", "land_parcels",
             {"filter": CQL2, "filter-lang": "cql2-text", "limit": "100"}),
        # a commit before each request: numberMatched cannot come from a cache
        Case("limit100_commit", "limit=100, a commit before each request", "land_parcels",
             {"limit": "100"}, "limit100", after_commit=True),
        Case("cql2_commit", f"CQL2 `{CQL2}`, limit=100, a commit before each request",
             "land_parcels", {"filter": CQL2, "filter-lang": "cql2-text", "limit": "100"},
             "cql2", after_commit=True),
    ]


# -- the peers' processes ---------------------------------------------------------------------
def public_fields() -> dict[str, list[str]]:
    from registries.catalog import default_catalog

    return {reg.table: [f.name for f in reg.public_fields] for reg in default_catalog()
            if reg.public}


def pygeoapi_config(url: str, port: int) -> dict[str, Any]:
    """Return our generated pygeoapi config with pygeoapi's own generic PostgreSQL provider.

    Each collection publishes the same public fields we do; ``always_xy`` makes its output
    transformation treat EPSG:6383 as easting/northing (without it every coordinate is wrong,
    which ``land_parcels_default_axes`` shows).
    """
    from gis.settings import CitySettings
    from ogc.config import pygeoapi_config as ours
    from registries.catalog import default_catalog

    parts = urlsplit(url)
    connection = {"host": parts.hostname, "port": parts.port or 5432,
                  "dbname": parts.path.lstrip("/"), "user": parts.username,
                  "password": parts.password, "search_path": ["open_data", "public"]}
    connection = {k: unquote(v) if isinstance(v, str) else v for k, v in connection.items()}
    fields = public_fields()
    config = ours(default_catalog(), CitySettings())
    config["server"]["bind"] = {"host": "127.0.0.1", "port": port}
    config["server"]["url"] = f"http://127.0.0.1:{port}"
    config["logging"] = {"level": "ERROR"}
    for resource in config["resources"].values():
        for provider in resource["providers"]:
            provider["name"] = "PostgreSQL"
            provider.pop("registry", None)
            provider.pop("editable", None)
            provider["data"] = connection
            provider["properties"] = fields[provider["table"]]
            provider["always_xy"] = True
    probe = json.loads(json.dumps(config["resources"]["land_parcels"]))
    probe["providers"][0].pop("always_xy")
    probe["title"] = {"en": "land parcels, pygeoapi's default axis handling"}
    config["resources"]["land_parcels_default_axes"] = probe
    return config


def peer_services(url: str, python: Path, ports: dict[str, int], work: Path) -> list[Service]:
    """Return the three servers as processes (not yet started)."""
    bindir = python.parent
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIS_", "TIPG_", "PYGEOAPI_", "DATABASE_URL"))}
    ours = Service(
        "Hromada GIS", [str(Path(sys.executable).parent / "gis"), "serve", "--host", "127.0.0.1",
                        "--port", str(ports["ours"])],
        {**env, "GIS_DATABASE_URL": url, "GIS_DATA_DIR": str(work / "ours")},
        f"http://127.0.0.1:{ports['ours']}/collections/land_parcels/items?limit=1",
        work / "ours.log", work)
    fields = public_fields()
    tipg_env = {**env, "DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["open_data"]',
                "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
    for table in ("land_parcel", "address"):  # the same properties as ours
        tipg_env[f"TIPG_TABLE_CONFIG__open_data_{table}__properties"] = json.dumps(fields[table])
    tipg = Service(
        "tipg", [str(bindir / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port",
                 str(ports["tipg"]), "--log-level", "warning", "--no-access-log"],
        tipg_env,
        f"http://127.0.0.1:{ports['tipg']}/collections/open_data.land_parcel/items?limit=1",
        work / "tipg.log", work)
    config_path = work / "pygeoapi-config.yml"
    openapi_path = work / "pygeoapi-openapi.yml"
    config_path.write_text(yaml.safe_dump(pygeoapi_config(url, ports["pygeoapi"]),
                                          allow_unicode=True, sort_keys=False))
    subprocess.run([str(bindir / "pygeoapi"), "openapi", "generate", str(config_path),
                    "--output-file", str(openapi_path)], env={**env,
                   "PYGEOAPI_CONFIG": str(config_path)}, cwd=work, check=True,
                   capture_output=True)
    pygeoapi = Service(
        "pygeoapi", [str(bindir / "uvicorn"), "pygeoapi.starlette_app:APP", "--host",
                     "127.0.0.1", "--port", str(ports["pygeoapi"]), "--log-level", "warning",
                     "--no-access-log"],
        {**env, "PYGEOAPI_CONFIG": str(config_path), "PYGEOAPI_OPENAPI": str(openapi_path)},
        f"http://127.0.0.1:{ports['pygeoapi']}/collections/land_parcels/items?limit=1&f=json",
        work / "pygeoapi.log", work)
    return [ours, tipg, pygeoapi]


# -- what PostGIS says ------------------------------------------------------------------------
def densest_bbox(conn: psycopg.Connection[Any]) -> tuple[float, ...]:
    """Return the CRS84 box of the 500 m grid cell (EPSG:6383) holding the most parcels."""
    row = conn.execute(sql.SQL(
        "WITH c AS (SELECT floor(ST_X(p) / %(s)s) AS gx, floor(ST_Y(p) / %(s)s) AS gy, "
        "  count(*) AS n FROM (SELECT ST_PointOnSurface(geom) AS p FROM open_data.land_parcel) "
        "  AS q GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 1) "
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM c, LATERAL (SELECT "
        "  ST_Transform(ST_MakeEnvelope(gx * %(s)s, gy * %(s)s, (gx + 1) * %(s)s, "
        "  (gy + 1) * %(s)s, {srid}), 4326)::box2d AS b) AS x").format(srid=sql.Literal(SRID)),
        {"s": BBOX_SIDE_M}).fetchone()
    assert row is not None
    return tuple(round(v, 6) for v in row)


def truths(conn: psycopg.Connection[Any], bbox: tuple[float, ...]) -> dict[str, Truth]:
    def one(query: str, params: dict[str, Any] | None = None) -> Any:
        row = conn.execute(sql.SQL(query), params).fetchone()  # type: ignore[arg-type]
        assert row is not None
        return row[0]

    parcels = one("SELECT count(*) FROM open_data.land_parcel")
    in_box = one("SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM open_data.land_parcel "
                 "WHERE ST_Intersects(geom, ST_Transform(ST_MakeEnvelope(%(a)s, %(b)s, %(c)s, "
                 "%(d)s, 4326), 6383))", dict(zip("abcd", bbox, strict=True)))
    cql = one("SELECT count(*) FROM open_data.land_parcel "
              "WHERE purpose_code = '02.01' AND area_declared_ha > 0.08")
    return {"limit100": Truth(parcels), "limit1000": Truth(parcels),
            "bbox": Truth(len(in_box), list(in_box)), "cql2": Truth(cql),
            "paging": Truth(one("SELECT count(*) FROM open_data.address"))}


def first_vertex(conn: psycopg.Connection[Any], table: str, fid: int) -> list[float] | None:
    row = conn.execute(sql.SQL("SELECT ST_AsGeoJSON(ST_Transform(geom, 4326), 9) FROM {} "
                               "WHERE id = %s").format(sql.Identifier("open_data", table)),
                       (fid,)).fetchone()
    return _first_position(json.loads(row[0])) if row else None


def _first_position(geometry: dict[str, Any] | None) -> list[float] | None:
    coords: Any = (geometry or {}).get("coordinates")
    while isinstance(coords, list) and coords and isinstance(coords[0], list):
        coords = coords[0]
    return coords if isinstance(coords, list) and len(coords) >= 2 else None


def judge(conn: psycopg.Connection[Any], body: dict[str, Any], truth: Truth, limit: int,
          table: str) -> Verdict:
    """Compare one answer with PostGIS: numberMatched, the features, the first coordinates."""
    feats = body.get("features") or []
    matched = body.get("numberMatched")
    problems = []
    want = min(limit, truth.matched)
    if matched is not None and matched != truth.matched:
        problems.append(f"numberMatched {matched}, PostGIS {truth.matched}")
    if len(feats) != want:
        problems.append(f"{len(feats)} features, PostGIS {want}")
    if truth.ids is not None and len(feats) == want:
        got = sorted(int(f["id"]) for f in feats)
        if got != truth.ids:
            problems.append("other features than PostGIS finds")
    if feats:
        pos = _first_position(feats[0].get("geometry"))
        exact = first_vertex(conn, table, int(feats[0]["id"]))
        if pos is None or exact is None or any(
                abs(a - b) > COORD_TOLERANCE_DEG for a, b in zip(pos, exact, strict=False)):
            problems.append(f"coordinates {pos[:2] if pos else None}, PostGIS "
                            f"{[round(v, 6) for v in exact] if exact else None}")
    return Verdict(not problems, matched, len(feats), "; ".join(problems))


# -- timing -----------------------------------------------------------------------------------
def client() -> httpx.Client:
    return httpx.Client(headers=HEADERS, timeout=300.0)


def timed_get(c: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    """Return (seconds from send to the last body byte, response)."""
    t0 = time.perf_counter()
    r = c.get(url)  # reads the whole body
    return time.perf_counter() - t0, r


def sequential(srvs: list[Server], cs: list[Case], runs: int, warmup: int,
               commit: Callable[[], None]) -> dict[tuple[str, str], Timings]:
    """Time every case on every server; rounds interleave the servers (rotating the order).

    ``commit`` runs before each request of an ``after_commit`` case, outside the timing.
    """
    clients = {s.key: client() for s in srvs}
    out = {(c.key, s.key): Timings() for c in cs for s in srvs}
    try:
        for case in cs:
            urls = {s.key: s.url(case.collection, case.params) for s in srvs}
            for s in srvs:
                for _ in range(warmup):
                    clients[s.key].get(urls[s.key])
            for i in range(runs):
                for s in srvs[i % len(srvs):] + srvs[:i % len(srvs)]:
                    if case.after_commit:
                        commit()
                    dt, r = timed_get(clients[s.key], urls[s.key])
                    if r.status_code != 200:
                        raise RuntimeError(f"{s.title} answered {r.status_code} to {urls[s.key]}")
                    out[(case.key, s.key)].seconds.append(dt)
            say(f"{case.key}: " + ", ".join(
                f"{s.key} {out[(case.key, s.key)].p50 * 1000:.1f} ms" for s in srvs))
    finally:
        for c in clients.values():
            c.close()
    return out


@dataclass
class Concurrent:
    timings: Timings
    wall_s: float

    @property
    def rps(self) -> float:
        return len(self.timings.seconds) / self.wall_s


def concurrent(server: Server, case: Case, workers: int, total: int) -> Concurrent:
    """Send ``total`` requests from ``workers`` threads (one keep-alive client each)."""
    url = server.url(case.collection, case.params)
    per = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]

    def work(n: int) -> list[float]:
        with client() as c:
            c.get(url)  # its own connection, warmed
            out = []
            for _ in range(n):
                dt, r = timed_get(c, url)
                if r.status_code != 200:
                    raise RuntimeError(f"{server.title} answered {r.status_code} to {url}")
                out.append(dt)
            return out

    with ThreadPoolExecutor(workers) as pool:
        t0 = time.perf_counter()
        results = list(pool.map(work, per))
        wall = time.perf_counter() - t0
    return Concurrent(Timings([t for r in results for t in r]), wall)


@dataclass
class Paging:
    seconds: list[float] = field(default_factory=list)  # per full pass: sum of request times
    pages: int = 0
    features: int = 0
    verdict: Verdict | None = None


def page_through(server: Server, limit: int, truth: Truth) -> tuple[float, int, Verdict]:
    """Follow ``next`` from the first page of addresses; return (seconds, pages, verdict).

    The seconds add up each request's time to its last byte; parsing the JSON (to find the
    next link) is the client's work and is left out.
    """
    url: str | None = server.url("addresses", {"limit": str(limit)})
    total = 0.0
    pages = 0
    ids: set[int] = set()
    count = 0
    matched = None
    with client() as c:
        while url and pages <= truth.matched // limit + 5:
            dt, r = timed_get(c, url)
            total += dt
            if r.status_code != 200:
                return total, pages, Verdict(False, matched, count,
                                             f"page {pages + 1} answered {r.status_code}")
            body = r.json()
            pages += 1
            feats = body.get("features") or []
            if matched is None:
                matched = body.get("numberMatched")
            count += len(feats)
            ids.update(int(f["id"]) for f in feats)
            url = next((ln["href"] for ln in body.get("links", []) if ln.get("rel") == "next"),
                       None)
            if not feats:
                break
    problems = []
    if count != truth.matched:
        problems.append(f"{count} features in all, PostGIS {truth.matched}")
    if len(ids) != count:
        problems.append(f"{count - len(ids)} duplicates")
    if matched is not None and matched != truth.matched:
        problems.append(f"numberMatched {matched}, PostGIS {truth.matched}")
    return total, pages, Verdict(not problems, matched, count, "; ".join(problems))


# -- the report -------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def ratio(ours: float, theirs: float) -> str:
    """Describe our p50 against a peer's: '3.2× faster' or '1.3× slower'."""
    return f"{theirs / ours:.1f}× faster" if theirs >= ours else f"{ours / theirs:.2f}× slower"


@dataclass
class Results:
    args: argparse.Namespace
    versions: dict[str, str]
    counts: dict[str, int]
    srvs: list[Server]
    cs: list[Case]
    verdicts: dict[tuple[str, str], Verdict]
    seq: dict[tuple[str, str], Timings]
    conc: dict[tuple[str, str], Concurrent]
    paging: dict[str, Paging]
    axis_probe: Verdict | None
    elapsed_s: float = 0.0


def render(res: Results) -> str:
    a, v = res.args, res.versions
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/features.py --scale {a.scale} "
        f"--runs {a.runs} --concurrency {a.concurrency}` ({res.elapsed_s:.0f} s in all).",
        "",
        f"- **Machine:** {machine()}; the client, the three servers and PostgreSQL share it.",
        f"- **Versions:** PostgreSQL {v['postgresql']}, PostGIS {v['postgis']}, Python "
        f"{platform.python_version()}; Hromada GIS {v['ours']}, tipg {v['tipg']}, pygeoapi "
        f"{v['pygeoapi']} (generic `PostgreSQL` provider, storage_crs EPSG:6383).",
        f"- **Data:** demo city at scale {a.scale} (seed 68): {res.counts['land_parcels']:,} "
        f"parcels, {res.counts['addresses']:,} addresses; every server reads the same public "
        "`open_data` views and publishes the same fields.",
        "- **Method:** loopback HTTP/1.1 keep-alive, uncompressed (`Accept-Encoding: identity`); "
        "latency is send → last body byte. Sequential: "
        f"{a.warmup} warm-up requests, then {a.runs} timed rounds in which the servers take "
        "turns (rotating order). features/s = features returned ÷ p50. Every answer was first "
        "checked against PostGIS (numberMatched, features, ids for the bbox, the first vertex "
        "within 1e-6°). Hromada GIS reuses an exact numberMatched while the database "
        "snapshot is unchanged (`registries/counts.py`); the cases 'a commit before each "
        "request' commit a transaction before every request (all servers alike, untimed), so "
        "there it counts afresh each time.",
        "",
    ]
    ours = res.srvs[0]
    for case in res.cs:
        lines += [f"### {case.title}", "",
                  f"`/collections/{case.collection}/items?{urlencode(case.params)}`", "",
                  "| server | p50 ms | p95 ms | features/s | Hromada GIS at p50 | answer |",
                  "| --- | ---: | ---: | ---: | --- | --- |"]
        base = res.seq[(case.key, ours.key)].p50
        for s in res.srvs:
            t = res.seq[(case.key, s.key)]
            vd = res.verdicts[(case.key, s.key)]
            fps = f"{vd.returned / t.p50:,.0f}" if vd.returned else "0"
            cmp = "—" if s is ours else ratio(base, t.p50)
            if not vd.ok and s is not ours:
                cmp += " (wrong answer)"
            lines.append(f"| {s.title} | {ms(t.p50)} | {ms(t.p95)} | {fps} | {cmp} | "
                         f"{'correct' if vd.ok else 'WRONG: ' + vd.note} |")
        lines.append("")
    lines += ["### Paging through all addresses", "",
              "Largest page each server allows, following `next` links; seconds = the sum of "
              f"the requests' times (client-side JSON parsing excluded), {a.page_runs} passes.",
              "",
              "| server | page size | pages | features | p50 s | max s | features/s | "
              "Hromada GIS at p50 | answer |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    base = Timings(res.paging[ours.key].seconds).p50
    for s in res.srvs:
        p = res.paging[s.key]
        p50 = Timings(p.seconds).p50
        vd = p.verdict
        assert vd is not None
        cmp = "—" if s is ours else ratio(base, p50)
        lines.append(f"| {s.title} | {s.max_limit:,} | {p.pages} | {p.features:,} | {p50:.2f} | "
                     f"{max(p.seconds):.2f} | {p.features / p50:,.0f} | {cmp} | "
                     f"{'correct' if vd.ok else 'WRONG: ' + vd.note} |")
    lines.append("")
    if res.conc:
        lines += [f"### Concurrency {a.concurrency}", "",
                  f"{a.concurrency} client threads, {a.concurrent_requests} requests per server "
                  "and case; throughput = requests ÷ wall time.", "",
                  "| request | server | requests/s | p50 ms | p95 ms |",
                  "| --- | --- | ---: | ---: | ---: |"]
        for case in res.cs:
            for s in res.srvs:
                c = res.conc.get((case.key, s.key))
                if c:
                    lines.append(f"| {case.title} | {s.title} | {c.rps:.1f} | "
                                 f"{ms(c.timings.p50)} | {ms(c.timings.p95)} |")
        lines.append("")
    lines += ["### Reading", "", *reading(res), ""]
    return "\n".join(lines)


def reading(res: Results) -> list[str]:
    """Return the verdict on the targets: ≥ 2× pygeoapi's generic provider, ≤ tipg, at p50."""
    ours = res.srvs[0]
    rows: list[tuple[str, float, dict[str, float], dict[str, bool]]] = []
    for case in res.cs:
        rows.append((case.title, res.seq[(case.key, ours.key)].p50,
                     {s.key: res.seq[(case.key, s.key)].p50 for s in res.srvs},
                     {s.key: res.verdicts[(case.key, s.key)].ok for s in res.srvs}))
    pages = {s.key: Timings(res.paging[s.key].seconds).p50 for s in res.srvs}
    rows.append(("paging through all addresses", pages[ours.key], pages,
                 {s.key: bool(res.paging[s.key].verdict and res.paging[s.key].verdict.ok)
                  for s in res.srvs}))
    out = []
    for peer, want, label in (("pygeoapi", 2.0, "≥ 2× faster than pygeoapi's generic provider"),
                              ("tipg", 1.0, "no slower than tipg")):
        misses = [f"{t} ({ratio(o, p[peer])})" for t, o, p, _ in rows if p[peer] / o < want]
        wrong = [t for t, _, _, ok in rows if not ok[peer]]
        worst = min(p[peer] / o for _, o, p, _ in rows)
        status = "**met**" if not misses else "**not met**"
        text = f"- {label} at p50: {status}, {len(rows) - len(misses)} of {len(rows)} requests"
        text += (f" (smallest margin {worst:.2f}×)" if not misses
                 else f"; missed: {'; '.join(misses)}")
        if wrong:
            text += f". Its answers are wrong for: {', '.join(wrong)}"
        out.append(text + ".")
    ours_wrong = [t for t, _, _, ok in rows if not ok[ours.key]]
    out.append("- Hromada GIS answered every request correctly." if not ours_wrong else
               f"- Hromada GIS answered WRONGLY: {', '.join(ours_wrong)}.")
    if res.axis_probe is not None:
        out.append("- pygeoapi without `always_xy: true` (its default) on EPSG:6383 data: "
                   + ("coordinates correct." if res.axis_probe.ok else
                      f"wrong coordinates — {res.axis_probe.note}."))
    return out


# -- main -------------------------------------------------------------------------------------
def versions(conn: psycopg.Connection[Any], python: Path) -> dict[str, str]:
    import importlib.metadata as md

    row = conn.execute("SELECT current_setting('server_version'), postgis_lib_version()"
                       ).fetchone()
    assert row is not None
    return {"postgresql": row[0].split()[0], "postgis": row[1],
            "ours": f"{md.version('hromada-gis')} ({git_commit()} + working tree)",
            "tipg": package_version(python, "tipg"),
            "pygeoapi": package_version(python, "pygeoapi")}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="demo city size (1.0 ≈ 115k "
                   "addresses, 61k parcels); ignored when GIS_DATABASE_URL holds data")
    p.add_argument("--runs", type=int, default=40, help="timed sequential rounds per request")
    p.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    p.add_argument("--page-runs", type=int, default=3, help="passes through all addresses")
    p.add_argument("--concurrency", type=int, default=8, help="client threads (0: skip)")
    p.add_argument("--concurrent-requests", type=int, default=96,
                   help="requests per server and case at --concurrency")
    p.add_argument("--upgrade-peers", action="store_true",
                   help="reinstall tipg and pygeoapi at their newest versions")
    p.add_argument("--no-write", action="store_true", help="print the section, keep the docs")
    p.add_argument("--hold", action="store_true",
                   help="start the database and the three servers, print their URLs and wait "
                        "for Ctrl-C (for profiling); measures nothing")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> Results:
    t_start = time.perf_counter()
    python = peer_venv(PEERS_VENV, PEER_REQUIREMENTS, say, upgrade=args.upgrade_peers)
    work = shared_tmp("hromada-bench-features-")
    try:
        with demo_database(args.scale, say) as url, psycopg.connect(url) as conn:
            conn.autocommit = True
            bbox = densest_bbox(conn)
            truth = truths(conn, bbox)
            cs = cases(bbox)
            counts = {"land_parcels": truth["limit100"].matched,
                      "addresses": truth["paging"].matched}
            vers = versions(conn, python)
            ports = {k: free_port() for k in ("ours", "tipg", "pygeoapi")}
            srvs = servers(ports)
            say("starting Hromada GIS, tipg and pygeoapi")
            with running(peer_services(url, python, ports, work)):
                if args.hold:
                    hold(url, srvs, cs)
                return measure(args, conn, srvs, cs, truth, counts, vers, t_start)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def hold(url: str, srvs: list[Server], cs: list[Case]) -> None:
    say(f"database: {url}")
    for s in srvs:
        say(f"{s.title}: {s.url(cs[0].collection, cs[0].params)}")
    say("holding until Ctrl-C")
    while True:
        time.sleep(3600)


def measure(args: argparse.Namespace, conn: psycopg.Connection[Any], srvs: list[Server],
            cs: list[Case], truth: dict[str, Truth], counts: dict[str, int],
            vers: dict[str, str], t_start: float) -> Results:
    verdicts = {}
    with client() as c:
        for case in cs:
            for s in srvs:
                r = c.get(s.url(case.collection, case.params))
                if r.status_code != 200:
                    verdicts[(case.key, s.key)] = Verdict(False, None, 0,
                                                          f"HTTP {r.status_code}")
                    continue
                verdicts[(case.key, s.key)] = judge(conn, r.json(), truth[case.truth_key],
                                                    int(case.params["limit"]), "land_parcel")
        pg = srvs[2]
        r = c.get(pg.url("land_parcels_default_axes", {"limit": "1"}))
        axis_probe = judge(conn, r.json(), truth["limit100"], 1, "land_parcel") \
            if r.status_code == 200 else None
    for (ck, sk), vd in verdicts.items():
        if not vd.ok:
            say(f"WRONG {sk} {ck}: {vd.note}")
    def commit() -> None:  # takes a transaction id and commits: every snapshot changes
        conn.execute("SELECT pg_current_xact_id()")

    seq = sequential(srvs, cs, args.runs, args.warmup, commit)
    paging = {s.key: Paging() for s in srvs}
    for i in range(args.page_runs):
        for s in srvs[i % 3:] + srvs[:i % 3]:
            secs, pages, vd = page_through(s, s.max_limit, truth["paging"])
            p = paging[s.key]
            p.seconds.append(secs)
            p.pages, p.features, p.verdict = pages, vd.returned, vd
            say(f"paging {s.key}: {pages} pages, {vd.returned} features, {secs:.2f} s"
                + ("" if vd.ok else f" WRONG: {vd.note}"))
    conc: dict[tuple[str, str], Concurrent] = {}
    if args.concurrency > 0:
        for case in (c for c in cs if c.key in ("limit100", "limit1000")):
            for s in srvs:
                conc[(case.key, s.key)] = concurrent(s, case, args.concurrency,
                                                     args.concurrent_requests)
                say(f"concurrency {args.concurrency} {case.key} {s.key}: "
                    f"{conc[(case.key, s.key)].rps:.1f} req/s")
    return Results(args, vers, counts, srvs, cs, verdicts, seq, conc, paging, axis_probe,
                   time.perf_counter() - t_start)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with sigterm_as_interrupt(), _interrupt_message():
        res = run(args)
    text = render(res)
    print(text)
    if not args.no_write:
        write_section(HEADING, MARKER, text)
        say(f"wrote the '{HEADING}' section of {ROOT / 'docs' / 'benchmarks.md'}")
    return 0


@contextlib.contextmanager
def _interrupt_message() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        say("interrupted; servers and the database were stopped")
        raise SystemExit(130) from None


if __name__ == "__main__":
    sys.exit(main())
