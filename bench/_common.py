"""What every benchmark here shares: the demo database, server processes, stats, the report.

Bench scripts (``bench/<name>.py``) import this as ``_common`` (the script's folder is on
``sys.path``); ``make bench`` runs every ``bench/[!_]*.py``. Results go to
``docs/benchmarks.md``, each script into its own section between marker comments, so a re-run
replaces its own table and leaves the others alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "docs" / "benchmarks.md"
SRID = 6383
SEED = 68


# -- signals and processes --------------------------------------------------------------------
@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so every ``with``/``finally`` cleans up."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    os.setsid()  # its own process group: a terminal Ctrl-C reaches us, and we stop it in order
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Service:
    """A server process started by a benchmark, logging to a file, stopped by its pid."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    log_path: Path
    cwd: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         preexec_fn=_die_with_parent)  # noqa: PLW1509

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Wait until ``ready_url`` answers 200, or raise with the log's tail."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                if httpx.get(self.ready_url, timeout=10).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} did not answer {self.ready_url} in {timeout_s:.0f} s:\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the process (its group), wait, then SIGKILL what is left."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextlib.contextmanager
def running(services: Sequence[Service]) -> Iterator[None]:
    """Start ``services`` together, wait for each, and stop them all however the block ends."""
    try:
        for s in services:
            s.start()
        for s in services:
            s.wait_ready()
        yield
    finally:
        for s in services:
            s.stop()


# -- the database -----------------------------------------------------------------------------
def shared_tmp(prefix: str) -> Path:
    """Return a new folder under /tmp that the postgres system user can enter (mode 755)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


@contextlib.contextmanager
def demo_database(scale: float, say: Callable[[str], None]) -> Iterator[str]:
    """Yield the URL of a database holding the demo city at ``scale`` (seed 68), analysed.

    With ``GIS_DATABASE_URL`` that database is used (migrated; the demo is loaded only when its
    registries are empty); otherwise a private embedded cluster in a temp folder, removed after.
    """
    from registries.migrate import upgrade

    given = os.environ.get("GIS_DATABASE_URL")
    if given:
        upgrade(given, SRID)
        _load_if_empty(given, scale, say)
        yield given
        return
    from gis.cluster import running_cluster

    root = shared_tmp("hromada-bench-")
    try:
        with running_cluster(root / "cluster", quiet=True) as cluster:
            url = cluster.ensure_database("bench")
            upgrade(url, SRID)
            _load_if_empty(url, scale, say)
            yield url
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _load_if_empty(url: str, scale: float, say: Callable[[str], None]) -> None:
    from app.demo.load import load_demo
    from registries.catalog import default_catalog
    from registries.queries import is_empty

    with psycopg.connect(url) as conn:
        if is_empty(conn, default_catalog()):
            t0 = time.perf_counter()
            counts = load_demo(conn, scale=scale, seed=SEED, srid=SRID)
            conn.commit()
            say(f"demo city at scale {scale} loaded in {time.perf_counter() - t0:.1f} s: "
                + ", ".join(f"{k} {v}" for k, v in counts.items()))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # every server reads the same, settled tables


# -- the peers' side virtualenv ---------------------------------------------------------------
def peer_venv(path: Path, requirements: Sequence[str], say: Callable[[str], None],
              upgrade: bool = False) -> Path:
    """Return the python of a side virtualenv holding ``requirements`` (created once, reused).

    It uses this interpreter's base Python, so the peers run on the same Python version.
    """
    python = path / "bin" / "python"
    stamp = path / ".requirements"  # every requirement installed so far (scripts share the venv)
    installed = set(stamp.read_text().split("\n")) if stamp.exists() else set()
    if python.exists() and not upgrade and set(requirements) <= installed:
        return python
    base = getattr(sys, "_base_executable", None) or sys.executable
    if not python.exists():
        say(f"creating {path} with {base}")
        subprocess.run([base, "-m", "venv", str(path)], check=True)
    say(f"installing {' '.join(requirements)} into {path}")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    *(["--upgrade"] if upgrade else []), *requirements], check=True)
    stamp.write_text("\n".join(sorted(installed | set(requirements))))
    return python


def package_version(python: Path, package: str) -> str:
    """Return ``package``'s version as installed for ``python``."""
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m, sys; "
                            "print(m.version(sys.argv[1]))", package],
        capture_output=True, text=True)
    return out.stdout.strip() or "?"


# -- machine and statistics -------------------------------------------------------------------
def machine() -> str:
    """Return 'N cores × CPU model, RAM' of this machine."""
    model = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kib / 1024 / 1024:.0f} GiB RAM"
    return f"{os.cpu_count()} × {model}, {ram}"


def git_commit() -> str:
    """Return the short commit of HEAD (read-only; the working tree may hold more)."""
    out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def uncommitted() -> str:
    """Return " (working tree with uncommitted changes)" when the checkout has any, else "":
    a figure names the commit it measured, and says when the tree held more."""
    out = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                         capture_output=True, text=True).stdout
    return " (working tree with uncommitted changes)" if out.strip() else ""


def percentile(values: Sequence[float], p: float) -> float:
    """Return the nearest-rank ``p``-th percentile of ``values``.

    >>> percentile([5, 1, 4, 2, 3], 50), percentile(range(1, 101), 95)
    (3, 95)
    """
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Timings:
    """Latencies (seconds) of one request against one server."""

    seconds: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.seconds, 50)

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 95)


# -- the report -------------------------------------------------------------------------------
def write_section(heading: str, marker: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Put ``body`` under ``## heading`` between ``marker`` comments, keeping the rest of the file.

    A re-run replaces only the text between its own markers; text around them stays.
    """
    begin = f"<!-- {marker}: begin (generated; a re-run replaces this block) -->"
    end = f"<!-- {marker}: end -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else \
        "# Benchmarks\n\nMeasured by the scripts in `bench/` (`make bench`).\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    elif f"## {heading}\n" in text:
        head, rest = text.split(f"## {heading}\n", 1)
        text = f"{head}## {heading}\n\n{block}\n{rest}"
    else:
        text = f"{text.rstrip()}\n\n## {heading}\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
