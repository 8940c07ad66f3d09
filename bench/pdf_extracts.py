"""Extract generation time: an A4 1:2000 parcel extract on the full-size demo city → docs/.

Picks ``--parcels`` parcels of the demo city (seed 68, scale 1 unless ``--scale``) at random
(seeded), then times, for each, ``extracts.issue.issue_extract`` in-process (read the map, the
item, the parcel report and the catalogue; draw the PDF; write the register row: exactly what
the HTTP route calls) and ``GET /extracts/parcels/{number}?scale=2000&paper=A4`` on a real
``gis serve`` (sequential, keep-alive, the body read whole). Also renders the example sheet of
docs/extracts.md (``--example``): its PDF through pdftoppm to a PNG.

    .venv/bin/python bench/pdf_extracts.py                 # embedded cluster, full city
    .venv/bin/python bench/pdf_extracts.py --example-only --scale 0.05   # only the picture
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ROOT,
    SRID,
    Service,
    demo_database,
    git_commit,
    machine,
    percentile,
    running,
    shared_tmp,
    sigterm_as_interrupt,
    write_section,
)

from app.extract_params import parse_extract  # noqa: E402
from extracts.issue import Deployment, issue_extract  # noqa: E402
from gis.auth import ANONYMOUS  # noqa: E402
from gis.settings import CitySettings  # noqa: E402
from registries.catalog import default_catalog  # noqa: E402

EXAMPLE_PNG = ROOT / "docs" / "extract-example.png"
FONTS = Path("/usr/share/fonts/truetype/dejavu")


def deployment() -> Deployment:
    return Deployment(SRID, "Хмельницький", "Хмельницька міська рада · Геопортал (демонстрація)",
                      "http://127.0.0.1:8000", "Europe/Kyiv", FONTS, 20_000,
                      CitySettings().extent)


def pick_parcels(conn: psycopg.Connection, n: int) -> list[str]:
    numbers = [r[0] for r in conn.execute(
        "SELECT cadastral_number FROM open_data.land_parcel ORDER BY id")]
    return random.Random(68).sample(numbers, min(n, len(numbers)))


def in_process(url: str, numbers: list[str], params: dict[str, str]) -> list[float]:
    catalog, dep, times = default_catalog(), deployment(), []
    with psycopg.connect(url) as conn:
        for number in [numbers[0], *numbers]:  # the first one warms fonts and caches, untimed
            t0 = time.perf_counter()
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                issue_extract(conn, catalog, parse_extract({**params, "parcel": number}, SRID),
                              ANONYMOUS, dep)
            times.append((time.perf_counter() - t0) * 1000)
    return times[1:]


def over_http(url: str, numbers: list[str], params: dict[str, str]) -> tuple[list[float], int]:
    from gis.cluster import free_port

    port, folder = free_port(), shared_tmp("hromada-bench-extracts-")
    gis = str(Path(sys.executable).parent / "gis")
    server = Service("hromada", [gis, "serve", "--port", str(port)],
                     # its own data folder: the default is the machine's real one
                     {**os.environ, "GIS_DATABASE_URL": url, "GIS_TILES__CACHE": "none",
                      "GIS_DATA_DIR": str(folder / "data")},
                     f"http://127.0.0.1:{port}/healthz", folder / "serve.log", ROOT)
    times: list[float] = []
    size = 0
    try:
        with running([server]), httpx.Client(base_url=f"http://127.0.0.1:{port}",
                                             timeout=60) as client:
            client.get(f"/extracts/parcels/{numbers[0]}", params=params).raise_for_status()
            for number in numbers:
                t0 = time.perf_counter()
                r = client.get(f"/extracts/parcels/{number}", params=params)
                times.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()  # a refused extract is a failure, not a fast answer
                size = max(size, len(r.content))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return times, size


def example(url: str, out: Path) -> str:
    """Render the docs' example sheet (a parcel with zones and restrictions) to ``out``."""
    with psycopg.connect(url) as conn:
        number = conn.execute(
            "SELECT p.cadastral_number FROM open_data.land_parcel p "
            "JOIN open_data.planning_restriction r ON ST_Intersects(r.geom, p.geom) "
            "JOIN open_data.building b ON ST_Within(b.geom, p.geom) "
            "WHERE p.holder_kind = 'legal' AND ST_NPoints(p.geom) BETWEEN 5 AND 9 "
            "ORDER BY p.id LIMIT 1").fetchone()[0]  # type: ignore[index]
        conn.commit()  # the extract's own transaction comes next (repeatable read)
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            issued = issue_extract(conn, default_catalog(), parse_extract(
                {"parcel": number, "scale": "1000", "paper": "A4",
                 "layers": "planning_zones,planning_restrictions"}, SRID), ANONYMOUS,
                deployment())
    folder = shared_tmp("hromada-bench-example-")
    try:
        pdf = folder / "example.pdf"
        pdf.write_bytes(issued.pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1",
                        "-singlefile", str(pdf), str(folder / "page")], check=True)
        shutil.copyfile(folder / "page.png", out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="demo city size")
    parser.add_argument("--parcels", type=int, default=40, help="parcels timed (one run each)")
    parser.add_argument("--example-only", action="store_true", help="only the docs' picture")
    args = parser.parse_args()
    params = {"scale": "2000", "paper": "A4", "orientation": "portrait"}
    started = time.perf_counter()
    # before anything is written (the example picture is one of the files this run writes)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                           capture_output=True, text=True).stdout.strip()
    with sigterm_as_interrupt(), demo_database(args.scale, print) as url:
        number = example(url, EXAMPLE_PNG)
        print(f"example sheet of parcel {number} → {EXAMPLE_PNG}")
        if args.example_only:
            return
        with psycopg.connect(url) as conn:
            numbers = pick_parcels(conn, args.parcels)
            parcels = conn.execute(  # type: ignore[index]
                "SELECT count(*) FROM registry.land_parcel").fetchone()[0]
            pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        local = in_process(url, numbers, params)
        http, size = over_http(url, numbers, params)
    import reportlab

    rows = [("in-process (`issue_extract`)", local), ("HTTP `GET /extracts/parcels/{n}`", http)]
    table = "\n".join(f"| {name} | {len(t)} | {percentile(t, 50):.0f} | {percentile(t, 95):.0f} "
                      f"| {max(t):.0f} |" for name, t in rows)
    load = os.getloadavg()[0]
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/pdf_extracts.py --scale "
        f"{args.scale:g} --parcels {args.parcels}` ({time.perf_counter() - started:.0f} s in "
        "all, the demo load included).",
        "",
        f"- **Machine:** {machine()}; shared with other work while it ran (other engineers' "
        f"test suites and browsers; load average {load:.1f} at the end of the run on 2 cores), "
        "so the numbers are upper bounds.",
        f"- **Versions:** PostgreSQL {pg}, Python {platform.python_version()}, reportlab "
        f"{reportlab.Version}; Hromada GIS {git_commit()}"
        + (" + a dirty working tree." if dirty else " (clean tree)."),
        f"- **Data:** demo city at scale {args.scale:g} (seed 68): {parcels:,} parcels.",
        f"- **What:** an A4 portrait parcel extract at 1:2000 of {len(numbers)} random parcels, "
        "each once (no cache to hit): the frame's map (parcels, buildings, streets, "
        "addresses), the item, the parcel report, the boundary-point catalogue, the PDF, one "
        "register row. Sequential; HTTP on loopback with keep-alive. Largest PDF "
        f"{size / 1000:.0f} kB. Goal: p50 under 1 s.",
        "",
        "| path | extracts | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
        table,
    ]
    body = "\n".join(lines)
    write_section("Printable extracts (A4, 1:2000)", "bench/pdf_extracts.py", body)
    print(body)


if __name__ == "__main__":
    main()
