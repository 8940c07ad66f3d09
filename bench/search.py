"""Address search quality and latency on the full-scale demo city → docs/search.md.

Builds realistic queries the way residents type them — abbreviations, case, the three
apostrophes, Latin (official and improvised transliterations), typos, former street names,
house-number variants, korpusy — each aimed at one real address of the demo city (seed 68,
scale 1 unless ``--scale``), then runs every query ``--runs`` times through
``registries.search.find_addresses`` (parse in Python + one SQL statement, as the HTTP route
calls it) and records whether the expected address is in the top 3, its rank and the time.

    .venv/bin/python bench/search.py            # embedded cluster, full city, ~1 min
    GIS_DATABASE_URL=... .venv/bin/python bench/search.py   # an existing database
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

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

from registries.addresses.search_text import contains_regex, latin_name, transliterate  # noqa: E402, E501
from registries.catalog import default_catalog  # noqa: E402
from registries.model import Registry  # noqa: E402
from registries.search import find_addresses, find_all_objects, objects_union_sql  # noqa: E402

SEARCH_MD = ROOT / "docs" / "search.md"
LATIN_TYPE = {"вулиця": "vul.", "провулок": "prov.", "проспект": "prosp.", "бульвар": "bulv.",
              "площа": "pl.", "шосе": "shose", "набережна": "nab.", "проїзд": "proizd"}
ABBR = {"вулиця": "вул.", "провулок": "пров.", "проспект": "просп.", "бульвар": "бульв.",
        "площа": "пл.", "шосе": "шосе", "набережна": "наб.", "проїзд": "проїзд"}


@dataclass(frozen=True)
class Target:
    """An address of the demo city a query aims at."""

    id: int
    street_type: str
    name: str
    house: str
    korpus: str | None
    postal: str
    former: str | None
    former_type: str | None


@dataclass(frozen=True)
class Case:
    kind: str
    query: str
    target: Target

    @property
    def expected(self) -> str:
        korpus = f", корп. {self.target.korpus}" if self.target.korpus else ""
        return f"{ABBR.get(self.target.street_type, self.target.street_type)} " \
               f"{self.target.name}, {self.target.house}{korpus}"


TARGET_SQL = """
SELECT a.id, s.street_type, s.name, a.house_number, a.korpus, a.postal_code,
       s.former_names -> -1 ->> 'name', s.former_names -> -1 ->> 'street_type'
FROM registry.address AS a JOIN registry.street AS s ON s.id = a.street_id
WHERE a.status = 'active' AND ({where})
ORDER BY md5(a.id::text) OFFSET {offset} LIMIT 1  -- spread over the city
"""


def pick(conn: psycopg.Connection, where: str, offset: int = 0) -> Target:
    """Return the ``offset``-th active address meeting ``where`` (SQL over a, s), in a fixed
    pseudo-random order so that the targets spread over the city."""
    row = conn.execute(TARGET_SQL.format(where=where, offset=offset)).fetchone()  # noqa: S608
    if row is None:
        raise SystemExit(f"no demo address meets {where!r}")
    return Target(*row)


def improvised_latin(text: str) -> str:
    """Return ``text`` transliterated the way people improvise (Russian-style, no rules).

    >>> improvised_latin("Кам'янецька")
    'Kamyanetskaya'
    """
    table = {"а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "e",
             "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l",
             "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
             "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ь": "",
             "ю": "yu", "я": "ya", "'": ""}
    latin = "".join(table.get(c, c) for c in text.lower())
    latin = re.sub(r"ska\b", "skaya", latin)  # the Russian adjective ending people add
    return latin[:1].upper() + latin[1:]


def typo(name: str, how: str, seed: int) -> str:
    """Return ``name`` with one typo: a letter dropped, two swapped, or a vowel changed."""
    rng = random.Random(seed)
    word = max(name.split(), key=len)
    k = rng.randrange(2, len(word) - 2)
    if how == "drop":
        bad = word[:k] + word[k + 1:]
    elif how == "swap":
        bad = word[:k] + word[k + 1] + word[k] + word[k + 2:]
    else:  # a vowel heard wrong
        swaps = {"о": "а", "а": "о", "е": "и", "и": "е", "і": "и", "я": "а"}
        k = next((i for i in range(2, len(word)) if word[i] in swaps), k)
        bad = word[:k] + swaps.get(word[k], "а") + word[k + 1:]
    return name.replace(word, bad)


def build_cases(conn: psycopg.Connection) -> list[Case]:
    """Return the query set: each realistic form aimed at a real address."""
    plain = "s.street_type = 'вулиця' AND a.korpus IS NULL AND a.house_number ~ '^[0-9]+$'"
    person = plain + " AND s.name ~ '^[А-ЯІЇЄҐ][а-яіїєґ'']+ [А-ЯІЇЄҐ][а-яіїєґ'']+(а|я|і|ї)$'"
    apostrophe = plain + " AND s.name LIKE '%''%'"
    renamed = ("a.korpus IS NULL AND a.house_number ~ '^[0-9]+$' "
               "AND jsonb_array_length(s.former_names) > 0")
    lettered = "s.street_type = 'вулиця' AND a.korpus IS NULL AND a.house_number ~ '^[0-9]+[А-Я]$'"
    fraction = "a.korpus IS NULL AND a.house_number ~ '^[0-9]+/[0-9]+$'"
    korpus = "a.korpus IS NOT NULL AND a.house_number ~ '^[0-9]+$'"

    def typed(street_type: str, extra: str = "") -> str:
        return (f"s.street_type = '{street_type}' AND a.korpus IS NULL "
                f"AND a.house_number ~ '^[0-9]+$' {extra}")

    cases: list[Case] = []

    def add(kind: str, where: str, offset: int, make: Callable[[Target], str]) -> None:
        t = pick(conn, where, offset)
        cases.append(Case(kind, make(t), t))

    add("abbreviation вул.", plain, 11, lambda t: f"вул. {t.name}, {t.house}")
    add("full type word", plain, 97, lambda t: f"вулиця {t.name} {t.house}")
    add("no type, lower case", plain, 233, lambda t: f"{t.name.lower()} {t.house}")
    add("upper case", plain, 401, lambda t: f"{t.name.upper()} {t.house}")
    add("city and буд.", plain, 577, lambda t: f"м. Хмельницький, вул. {t.name}, буд. {t.house}")
    add("postal code first", plain, 809,
        lambda t: f"{t.postal}, Хмельницький, {t.name}, {t.house}")
    add("flat number", plain, 1013, lambda t: f"вул. {t.name}, {t.house}, кв. 17")
    add("apostrophe ’ (U+2019)", apostrophe, 3, lambda t: f"{t.name.replace(chr(39), '’')} "
                                                          f"{t.house}")
    add("apostrophe ʼ (U+02BC)", apostrophe, 29, lambda t: f"вул. {t.name.replace(chr(39), 'ʼ')}"
                                                           f" {t.house}")
    add("apostrophe left out", apostrophe, 71, lambda t: f"{t.name.replace(chr(39), '')} "
                                                         f"{t.house}")
    add("Latin, official (CMU 55)", plain, 1301, lambda t: f"{transliterate(t.name).title()} "
                                                           f"{t.house}")
    add("Latin, official, with vul.", plain, 1543,
        lambda t: f"vul. {transliterate(t.name).title()}, {t.house}")
    add("Latin, improvised", plain, 1777, lambda t: f"{improvised_latin(t.name)} {t.house}")
    add("Latin, improvised, apostrophe", apostrophe, 107,
        lambda t: f"{improvised_latin(t.name)} street {t.house}")
    add("English word order", plain, 2003,
        lambda t: f"{t.house} {transliterate(t.name).title()} St")
    add("typo: letter dropped", plain, 2311, lambda t: f"{typo(t.name, 'drop', t.id)} {t.house}")
    add("typo: letters swapped", plain, 2609,
        lambda t: f"{typo(t.name, 'swap', t.id)} {t.house}")
    add("typo: vowel heard wrong", plain, 2903,
        lambda t: f"вул. {typo(t.name, 'vowel', t.id)} {t.house}")
    add("typo: Russian letters", plain + " AND s.name ~ '[іїє]'", 37,
        lambda t: f"{t.name.translate(str.maketrans('іїє', 'иие'))} {t.house}")
    add("typo in Latin", plain, 3203,
        lambda t: f"{typo(transliterate(t.name), 'drop', t.id).title()} {t.house}")
    add("former name", renamed, 5, lambda t: f"{t.former} {t.house}")
    add("former name with its type", renamed, 131,
        lambda t: f"{ABBR.get(t.former_type or '', 'вул.')} {t.former}, {t.house}")
    add("former name, lower case", renamed, 263, lambda t: f"{(t.former or '').lower()} {t.house}")
    add("former name, Latin", renamed, 389,
        lambda t: f"{transliterate(t.former or '').title()} {t.house}")
    add("former name, typo", renamed, 521,
        lambda t: f"{typo(t.former or '', 'drop', t.id)} {t.house}")
    add("surname only", person, 3, lambda t: f"{t.name.split()[-1]} {t.house}")
    add("initial and surname", person, 41,
        lambda t: f"вул. {t.name[0]}. {t.name.split()[-1]}, {t.house}")
    add("surname, Latin", person, 83,
        lambda t: f"{transliterate(t.name.split()[-1]).title()} {t.house}")
    add("просп.", typed("проспект"), 17, lambda t: f"просп. {t.name} {t.house}")
    add("пр-т", typed("проспект"), 59, lambda t: f"пр-т {t.name}, {t.house}")
    add("пров.", typed("провулок"), 23, lambda t: f"пров. {t.name} {t.house}")
    add("провулок after the name", typed("провулок"), 211,
        lambda t: f"{t.name} провулок {t.house}")
    add("бульв.", typed("бульвар"), 7, lambda t: f"бульв. {t.name} {t.house}")
    add("б-р", typed("бульвар"), 31, lambda t: f"б-р {t.name}, {t.house}")
    add("шосе", typed("шосе"), 13, lambda t: f"{t.name} шосе {t.house}")
    add("Russian type word ул.", plain, 3407, lambda t: f"ул. {t.name} {t.house}")
    add("letter as typed: 12а", lettered, 19, lambda t: f"{t.name} {t.house.lower()}")
    add("letter with a dash: 12-а", lettered, 101,
        lambda t: f"вул. {t.name}, {t.house[:-1]}-{t.house[-1].lower()}")
    add("letter with a space: 12 А", lettered, 203,
        lambda t: f"{t.name} {t.house[:-1]} {t.house[-1]}")
    add("Latin look-alike letter: 12A", lettered + " AND a.house_number ~ '[АВС]$'", 7,
        lambda t: f"{t.name} {t.house[:-1]}{'ABC'['АВС'.index(t.house[-1])]}")
    add("fraction 5/1", fraction, 11, lambda t: f"{t.name} {t.house}")
    add("fraction with spaces 5 / 1", fraction, 61,
        lambda t: f"{ABBR.get(t.street_type, '')} {t.name} {t.house.replace('/', ' / ')}")
    add("korpus: корп.", korpus, 13, lambda t: f"{t.name} {t.house} корп. {t.korpus}")
    add("korpus: , корпус", korpus, 151, lambda t: f"{t.name}, {t.house}, корпус {t.korpus}")
    add("korpus: к2", korpus, 307, lambda t: f"{t.name} {t.house} к{t.korpus}")
    add("korpus in Latin", korpus, 457,
        lambda t: f"{transliterate(t.name).title()} {t.house} k{t.korpus}")
    add("korpus in Latin with its type: prov. …, 13, korp. 2", korpus, 601,
        lambda t: f"{LATIN_TYPE.get(t.street_type, '')} {latin_name(t.name)}, {t.house}, "
                  f"korp. {t.korpus}")
    add("number first", plain, 3607, lambda t: f"{t.house}, {t.name}")
    add("ordinal lane", "s.name ~ '^[0-9]+-й' AND a.korpus IS NULL", 3,
        lambda t: f"{t.name} {t.house}")
    return cases


@dataclass
class Result:
    case: Case
    rank: int | None  # 1-based position of the expected address, None if not in the top 10
    found: str
    ms: list[float]


def run(conn: psycopg.Connection, cases: list[Case], runs: int) -> list[Result]:
    """Run every query ``runs`` times (after one warm-up) and rank the expected address."""
    results = []
    for case in cases:
        hits = find_addresses(conn, case.query, limit=10, place_names=("Хмельницький",))
        ids = [h.id for h in hits if h.collection == "addresses"]
        rank = ids.index(case.target.id) + 1 if case.target.id in ids else None
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            find_addresses(conn, case.query, limit=10, place_names=("Хмельницький",))
            times.append((time.perf_counter() - t0) * 1000)
        results.append(Result(case, rank, hits[0].label if hits else "—", times))
    return results


# the other registries' text (permits, kiosks, parcels' public holders …), as /search asks it
OTHER_QUERIES = ("Кам’янецька", "Кам'янецька, 2", "ТОВ", "Поділля", "ФОП", "ОСББ", "zzzz", "12")


def scanned(conn: psycopg.Connection, regs: list[Registry], q: str) -> list[Any]:
    """Return what ``find_all_objects`` finds, asked with the indexes off (the scans)."""
    query = objects_union_sql(regs, False)
    assert query is not None
    with conn.transaction():
        conn.execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexscan = off; "
                     "SET LOCAL jit = off")
        return conn.execute(query, {"q": q, "pattern": contains_regex(q),
                                    "limit": 10}).fetchall()


def other_registries(conn: psycopg.Connection, runs: int) -> list[tuple[str, int, float, float]]:
    """Return per query: hits, p50 ms as served (trigram indexes forced, one statement over
    every public registry) and p50 ms with the indexes off (what the planner would scan)."""
    regs = [r for r in default_catalog() if r.public and r.id not in ("addresses", "streets")]
    out = []
    for q in OTHER_QUERIES:
        hits = find_all_objects(conn, regs, q, limit=10)
        assert len(scanned(conn, regs, q)) == len(hits), q  # the same answer either way
        p50 = []
        for forced in (True, False):
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                if forced:
                    find_all_objects(conn, regs, q, limit=10)
                else:
                    scanned(conn, regs, q)
                times.append((time.perf_counter() - t0) * 1000)
            p50.append(percentile(times, 50))
        out.append((q, len(hits), p50[0], p50[1]))
    return out


def over_http(url: str, cases: list[Case], runs: int) -> list[float]:
    """Return the latencies (ms) of ``GET /search`` for every query on a real ``gis serve``."""
    from gis.cluster import free_port

    port, folder = free_port(), shared_tmp("hromada-bench-search-")
    gis = str(Path(sys.executable).parent / "gis")
    server = Service("hromada", [gis, "serve", "--port", str(port)],
                     # its own data folder: the default is the machine's real one
                     {**os.environ, "GIS_DATABASE_URL": url, "GIS_TILES__CACHE": "none",
                      "GIS_DATA_DIR": str(folder / "data")},
                     f"http://127.0.0.1:{port}/healthz", folder / "serve.log", ROOT)
    times: list[float] = []
    try:
        with running([server]), httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for case in cases:
                params = {"q": case.query, "collections": "addresses"}
                client.get("/search", params=params)
                for _ in range(runs):
                    t0 = time.perf_counter()
                    r = client.get("/search", params=params)
                    times.append((time.perf_counter() - t0) * 1000)
                    r.raise_for_status()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return times


def report(results: list[Result], scale: float, counts: dict[str, int], runs: int,
           http: list[float], others: list[tuple[str, int, float, float]]) -> str:
    """Return the Markdown of the quality table and the latency summary."""
    top3 = sum(1 for r in results if r.rank is not None and r.rank <= 3)
    every = [t for r in results for t in r.ms]
    lines = [
        f"Demo city at scale {scale:g}: {counts['addresses']:,} addresses on "
        f"{counts['streets']:,} streets ({counts['names']:,} current and former street names). "
        f"Machine: {machine()}; commit {git_commit()}.",
        "",
        f"**Expected address in the top 3: {top3} of {len(results)} queries "
        f"({100 * top3 / len(results):.1f} %).** "
        f"Latency of `find_addresses` (parse + one SQL statement, {runs} runs per query, "
        f"{len(every)} in all): p50 {percentile(every, 50):.1f} ms, "
        f"**p95 {percentile(every, 95):.1f} ms**, max {max(every):.1f} ms. "
        f"Through HTTP (`GET /search?q=…&collections=addresses` on `gis serve`, "
        f"{len(http)} requests): p50 {percentile(http, 50):.1f} ms, "
        f"**p95 {percentile(http, 95):.1f} ms**.",
        "",
        "| # | kind | query | expected | rank | first answer | p50 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, r in enumerate(results, 1):
        rank = str(r.rank) if r.rank else "—"
        lines.append(f"| {k} | {r.case.kind} | `{r.case.query}` | {r.case.expected} | {rank} | "
                     f"{r.found} | {percentile(r.ms, 50):.1f} |")
    lines += [
        "",
        "The other registries' text (`registries.search.find_all_objects`: one statement over "
        "every public registry but addresses and streets, a case-insensitive contains with any "
        f"apostrophe matching any other), {runs} runs per query: p50 ms as served (trigram "
        "indexes forced) and with the indexes turned off (the scans the planner would choose "
        "on these few thousand rows).",
        "",
        "| query | hits | served, p50 ms | scans, p50 ms |",
        "|---|---:|---:|---:|",
        *(f"| `{q}` | {n} | {served:.2f} | {scan:.2f} |" for q, n, served, scan in others),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with sigterm_as_interrupt(), demo_database(args.scale, print) as url:
        with psycopg.connect(url) as conn:
            counts = {
                "addresses": conn.execute("SELECT count(*) FROM registry.address").fetchone()[0],
                "streets": conn.execute("SELECT count(*) FROM registry.street").fetchone()[0],
                "names": conn.execute("SELECT count(*) FROM search.street_name "
                                      "WHERE whole").fetchone()[0],
            }  # type: ignore[index]
            cases = build_cases(conn)
            results = run(conn, cases, args.runs)
        # autocommit, as /search reads: each statement's SET LOCAL ends with its transaction
        with psycopg.connect(url, autocommit=True) as conn:
            others = other_registries(conn, args.runs)
        http = over_http(url, cases, max(1, args.runs // 2))
    body = report(results, args.scale, counts, args.runs, http, others)
    write_section("Quality and latency", "bench/search.py", body, SEARCH_MD)
    top3 = sum(1 for r in results if r.rank is not None and r.rank <= 3)
    every = [t for r in results for t in r.ms]
    summary = (f"Address search (`bench/search.py`, scale {args.scale:g}): expected address in "
               f"the top 3 for {top3}/{len(results)} queries; p95 {percentile(every, 95):.1f} ms "
               f"in-process, {percentile(http, 95):.1f} ms over HTTP. "
               "Details: [search.md](search.md).")
    write_section("Address search", "bench/search.py", summary)
    print(body)


if __name__ == "__main__":
    main()
