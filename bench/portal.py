"""Geoportal page weight and time to first map paint in headless Chromium → docs/benchmarks.md.

Serves the demo city (seed 68, scale 1 unless ``--scale``) with ``gis serve`` and loads ``/``
in Debian's chromium (Playwright, SwiftShader WebGL, a fresh profile per run) ``--runs`` times
with an empty browser cache: a first visit. Records the bytes transferred by type (encoded
bodies, as on the wire) and, from the page's own ``performance.now()`` marks, MapLibre's first
``render`` (first map paint), ``load`` (style and first tiles) and first ``idle`` (every visible
tile drawn). Cold = tile cache empty (the server renders every tile), warm = a second run.

    .venv/bin/python bench/portal.py [--scale 1] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ROOT,
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

GIS = str(Path(sys.executable).parent / "gis")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
IDLE = ("window.portal && window.portal.ready && window.portal.metrics.firstIdleMs"
        " && window.portal.map.loaded()")


def kind(url: str, content_type: str) -> str:
    if "/static/vendor/" in url:
        return "MapLibre + proj4 (JS, CSS)"
    if url.endswith(".mvt"):
        return "vector tiles"
    if "/static/portal/" in url:
        return "page JS + CSS"
    if "json" in content_type:
        return "style, TileJSON, config"
    if "html" in content_type:
        return "HTML"
    return "other"


def visit(browser: Any, base: str) -> dict[str, Any]:
    """Return one first visit's bytes by kind and its paint timings (ms)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="uk-UA")
    page = context.new_page()
    sizes: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r))
    page.goto(f"{base}/", wait_until="load")
    page.wait_for_function(IDLE, timeout=60_000)
    metrics = page.evaluate("window.portal.metrics")
    nav = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
    entries = page.evaluate(
        "performance.getEntriesByType('resource').map(e => [e.name, e.encodedBodySize])")
    encoded = dict(entries)
    for r in responses:
        url = r.url
        if not url.startswith("http"):  # MapLibre's worker comes from a blob: URL, not the wire
            continue
        body = encoded.get(url)
        if body is None:  # the page itself
            body = len(r.body()) if r.ok else 0
        k = kind(url, r.headers.get("content-type", ""))
        sizes[k] += int(body)
        count[k] += 1
    context.close()
    return {"sizes": dict(sizes), "count": dict(count), "html_ms": nav, **metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from gis.cluster import free_port

    def say(text: str) -> None:
        print(f"bench/portal: {text}", file=sys.stderr)

    with sigterm_as_interrupt(), demo_database(args.scale, say) as url:
        port = free_port()
        cache = shared_tmp("hromada-bench-portal-")
        env = {**os.environ, "GIS_DATABASE_URL": url, "GIS_TILES__CACHE_DIR": str(cache),
               "GIS_DATA_DIR": str(cache / "data")}  # never the machine's real data folder
        server = Service("hromada", [GIS, "serve", "--port", str(port)], env,
                         f"http://127.0.0.1:{port}/healthz", cache / "serve.log", ROOT)
        base = f"http://127.0.0.1:{port}"
        results: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
        with running([server]), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            version = browser.version
            results["cold"].append(visit(browser, base))  # the tile cache fills here
            for _ in range(args.runs):
                results["warm"].append(visit(browser, base))
            browser.close()
        import shutil

        shutil.rmtree(cache, ignore_errors=True)
    write_section("Geoportal page", "bench/portal.py", report(results, args, version))
    say("wrote docs/benchmarks.md")


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace,
           chromium: str) -> str:
    warm = results["warm"]
    first = warm[0]
    lines = [
        f"Demo city at scale {args.scale:g} (seed 68), `gis serve`, the page `/` in headless "
        f"Chromium {chromium} (SwiftShader WebGL, 1280×800, empty browser cache each visit) "
        f"on {machine()}; commit {git_commit()}. `bench/portal.py`, {len(warm)} warm runs.",
        "",
        "Page weight of a first visit (bytes on the wire; MapLibre and proj4 gzip-compressed "
        "by the app):",
        "",
        "| what | requests | KiB |",
        "| --- | ---: | ---: |",
    ]
    for k in sorted(first["sizes"], key=lambda k: -first["sizes"][k]):
        lines.append(f"| {k} | {first['count'][k]} | {first['sizes'][k] / 1024:.0f} |")
    total = sum(first["sizes"].values())
    lines.append(f"| **total** | {sum(first['count'].values())} | **{total / 1024:.0f}** |")
    lines += ["", "Time from navigation start (ms; median and worst of the runs):", "",
              "| tile cache | HTML received | first map paint (`render`) | map `load` | "
              "all visible tiles drawn (`idle`) |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, runs in results.items():
        def cell(key: str, runs: list[dict[str, Any]] = runs) -> str:
            values = [r[key] for r in runs]
            return f"{percentile(values, 50):.0f} (max {max(values):.0f})"
        lines.append(f"| {name} ({len(runs)}) | {cell('html_ms')} | {cell('firstRenderMs')} | "
                     f"{cell('loadMs')} | {cell('firstIdleMs')} |")
    lines += ["", "SwiftShader renders WebGL on the CPU, so paint times on a machine with a GPU "
              "are lower; the page weight does not depend on it."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
