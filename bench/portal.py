"""Geoportal first screen on an emulated mid-range phone: time to a labelled map, bytes.

Serves the demo city (seed 68, scale 1 unless ``--scale``) with ``gis serve`` and loads ``/``
in Debian's chromium (Playwright, SwiftShader WebGL, a fresh profile per visit, empty browser
cache: a first visit) at phone size (390×844, DPR 2, touch), with the CPU slowed 4× and the
network shaped through the DevTools protocol: "4G" (9 Mbit/s down, 1.5 up, 60 ms round trip,
DevTools' Fast 4G) and "slow 4G" (1.6 Mbit/s, 0.75 up, 150 ms: Lighthouse's mobile profile).
From the page's own ``performance.now()`` marks: MapLibre's first ``render`` (first map paint),
the first frame with a label on screen (a labelled map), the first ``idle`` (every visible
tile and label drawn: the complete first screen). Bytes per kind on the wire (encoded) and
before compression (decoded). Cold = the server's tile cache empty, warm = filled.

    .venv/bin/python bench/portal.py [--scale 1] [--runs 3]
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
    uncommitted,
    write_section,
)

GIS = str(Path(sys.executable).parent / "gis")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
IDLE = ("() => window.portal && window.portal.ready && window.portal.metrics.firstIdleMs"
        " && window.portal.metrics.firstLabelMs && window.portal.map.loaded()")
CPU_SLOWDOWN = 4
START_LOAD = os.getloadavg()[0]  # other work on the machine slows the emulated phone too
PROFILES: dict[str, dict[str, Any]] = {  # CPU slowdown; DevTools network: bytes/s, ms
    "4G": {"cpu": CPU_SLOWDOWN, "network": {"downloadThroughput": 9_000_000 / 8,
                                            "uploadThroughput": 1_500_000 / 8, "latency": 60}},
    "slow 4G": {"cpu": CPU_SLOWDOWN, "network": {"downloadThroughput": 1_600_000 / 8,
                                                 "uploadThroughput": 750_000 / 8,
                                                 "latency": 150}},
    # the reference: this machine as it is, no slowdown, loopback (what the emulation adds)
    "none (this machine)": {"cpu": 1, "network": None},
}
GOAL_MS = 2500


def kind(url: str, content_type: str) -> str:
    if "/static/vendor/" in url:
        return "MapLibre + proj4 (JS, CSS)"
    if url.endswith(".mvt"):
        return "vector tiles"
    if "/fonts/" in url:
        return "label glyphs"
    if "/static/portal/" in url:
        return "page JS + CSS"
    if "json" in content_type:
        return "other JSON"
    if "html" in content_type:
        return "HTML (with the map style, fields and code lists)"
    return "other"


def visit(browser: Any, base: str, profile: dict[str, Any]) -> dict[str, Any]:
    """Return one first visit's bytes by kind (wire and decoded) and its timings (ms)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="uk-UA")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if profile["network"]:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile["network"]})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile["cpu"]})
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r))  # the page's and the map worker's
    page.goto(f"{base}/", wait_until="load")
    page.wait_for_function(IDLE, timeout=120_000, polling=200)
    metrics = page.evaluate("window.portal.metrics")
    html_ms = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
    wire: dict[str, int] = defaultdict(int)
    plain: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for r in responses:
        if not r.url.startswith("http") or r.status != 200:
            continue  # blob: (MapLibre's worker), 204 empty tiles, 304
        k = kind(r.url, r.headers.get("content-type", ""))
        wire[k] += r.request.sizes()["responseBodySize"]  # as sent: compressed
        plain[k] += len(r.body())  # as used: decoded
        count[k] += 1
    context.close()
    return {"wire": dict(wire), "plain": dict(plain), "count": dict(count), "html_ms": html_ms,
            **metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from gis.cluster import free_port

    def say(text: str) -> None:
        print(f"bench/portal: {text}", file=sys.stderr)

    with sigterm_as_interrupt(), demo_database(args.scale, say) as url:
        results: dict[str, dict[str, list[dict[str, Any]]]] = {}
        version = ""
        for name, profile in PROFILES.items():
            port = free_port()
            cache = shared_tmp("hromada-bench-portal-")
            env = {**os.environ, "GIS_DATABASE_URL": url, "GIS_TILES__CACHE_DIR": str(cache),
                   "GIS_DATA_DIR": str(cache / "data")}  # never the machine's real data folder
            server = Service("hromada", [GIS, "serve", "--port", str(port)], env,
                             f"http://127.0.0.1:{port}/healthz", cache / "serve.log", ROOT)
            base = f"http://127.0.0.1:{port}"
            runs: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
            with running([server]), sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                version = browser.version
                runs["cold"].append(visit(browser, base, profile))  # the tile cache fills
                for _ in range(args.runs):
                    runs["warm"].append(visit(browser, base, profile))
                browser.close()
            import shutil

            shutil.rmtree(cache, ignore_errors=True)
            results[name] = runs
            say(f"{name}: done")
    body = report(results, args, version)
    write_section("Geoportal page", "bench/portal.py", body)
    print(body)


def report(results: dict[str, dict[str, list[dict[str, Any]]]], args: argparse.Namespace,
           chromium: str) -> str:
    first = results["4G"]["warm"][0]
    lines = [
        f"Demo city at scale {args.scale:g} (seed 68), `gis serve`, the page `/` in headless "
        f"Chromium {chromium} (SwiftShader WebGL) as a mid-range phone: 390×844 at DPR 2, "
        f"touch, CPU slowed {CPU_SLOWDOWN}×, network shaped by the DevTools protocol (and, for "
        f"reference, the same machine without either); an empty "
        f"browser cache each visit; {machine()}, 1-minute load average {START_LOAD:.1f} at "
        f"the start and {os.getloadavg()[0]:.1f} at the end (the client, the server and "
        f"PostgreSQL on these cores); commit {git_commit()}{uncommitted()}. `bench/portal.py`, "
        f"{args.runs} warm runs per network.",
        "",
        "Bytes of the first screen (a first visit), before compression and on the wire (the "
        "app gzips the page, scripts, glyphs and tiles; tiles are cached compressed):",
        "",
        "| what | requests | KiB before | KiB on the wire |",
        "| --- | ---: | ---: | ---: |",
    ]
    for k in sorted(first["wire"], key=lambda k: -first["plain"][k]):
        lines.append(f"| {k} | {first['count'][k]} | {first['plain'][k] / 1024:.0f} | "
                     f"{first['wire'][k] / 1024:.0f} |")
    lines.append(f"| **total** | {sum(first['count'].values())} | "
                 f"**{sum(first['plain'].values()) / 1024:.0f}** | "
                 f"**{sum(first['wire'].values()) / 1024:.0f}** |")
    lines += ["", f"Time from navigation start, ms (median, worst of the runs); goal: a "
              f"labelled map within {GOAL_MS} ms:", "",
              "| network | tile cache | HTML received | first map paint | labelled map | "
              "complete first screen (`idle`) |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for name, runs in results.items():
        for cache, visits in runs.items():
            def cell(key: str, visits: list[dict[str, Any]] = visits) -> str:
                values = [v[key] for v in visits]
                return f"{percentile(values, 50):.0f} (max {max(values):.0f})"
            lines.append(f"| {name} | {cache} ({len(visits)}) | {cell('html_ms')} | "
                         f"{cell('firstRenderMs')} | {cell('firstLabelMs')} | "
                         f"{cell('firstIdleMs')} |")
    lines += ["", "SwiftShader draws WebGL on the CPU (slowed 4× here too), so a real phone's "
              "GPU paints sooner; the bytes do not depend on it."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
