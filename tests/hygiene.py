"""Test hygiene: every temporary file of a test session lives under one folder, removed at the
end, and the run fails if the session left anything in /tmp or in the real data folder.

At the start (``begin``) a session folder ``/tmp/hromada-tests-<pid>-XXXX`` is made (mode 755:
the ``postgres`` user must enter the clusters in it) and becomes ``TMPDIR`` for this process
and every program it starts (Python's ``tempfile`` and pytest's ``tmp_path``, ``gis serve``,
GDAL, QGIS, Chromium), and ``GIS_DATA_DIR`` points into it, so that nothing reaches
``/var/lib/hromada-gis`` (or ``~/.local/share/hromada-gis``) by default. At the end
(``finish``) the folder is removed and two checks run:

- /tmp: a new entry named as this project names its files (``hromada-*``, ``gis-*``,
  ``pytest-of-*``, a PostgreSQL socket) fails the run; what other test sessions that are still
  running use (their folder carries a live pid, or another process holds files in it) is left
  alone. Other new entries are listed.
- the default data folder: anything new in it, to two levels, fails the run.

``HROMADA_TEST_HYGIENE``: ``auto`` (default) fails the run, unless other test runs are going on
at the end (other pytest processes: their files cannot be told from this run's, so the findings
are listed only); ``strict`` fails regardless, ``warn`` never fails, ``off`` skips the checks.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from gis.settings import default_data_dir

TMP = Path("/tmp")
PREFIX = "hromada-tests-"
OURS = ("hromada-*", "gis-*", "pytest-of-*", ".s.PGSQL.*")
LIVE_SESSION = re.compile(rf"^{PREFIX}(\d+)-")
_state: dict[str, object] = {}


def session_root() -> Path:
    """Return this session's temporary folder (made on first use outside pytest, too)."""
    root = _state.get("root")
    if not isinstance(root, Path):
        root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=TMP))
        root.chmod(0o755)
        _state["root"] = root
    return root


def _listing(folder: Path, depth: int) -> set[str]:
    found: set[str] = set()
    if not folder.is_dir():
        return found
    for entry in folder.iterdir():
        found.add(entry.name)
        if depth > 1 and entry.is_dir() and not entry.is_symlink():
            try:
                found.update(f"{entry.name}/{n}" for n in _listing(entry, depth - 1))
            except OSError:
                pass
    return found


def begin() -> None:
    """Make the session folder and point TMPDIR and GIS_DATA_DIR into it."""
    _state["tmp"] = _listing(TMP, 1)
    _state["data_dir"] = default_data_dir()
    _state["data"] = _listing(default_data_dir(), 2)
    root = session_root()
    os.environ["TMPDIR"] = str(root)
    tempfile.tempdir = str(root)
    os.environ["GIS_DATA_DIR"] = str(root / "default-data")


def _pid_alive(pid: int) -> bool:
    return pid != os.getpid() and Path(f"/proc/{pid}").exists()


def _open_elsewhere() -> set[str]:
    """Return the files and working folders other running processes hold open."""
    held: set[str] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            held.add(os.readlink(proc / "cwd"))
            for fd in (proc / "fd").iterdir():
                held.add(os.readlink(fd))
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return held


def other_test_runs() -> list[int]:
    """Return the pids of other pytest processes running now (not this one or its parent)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) in (os.getpid(), os.getppid()):
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.endswith((b"pytest", b"py.test")) for a in argv[:3]) or b"pytest" in argv[1:3]:
            found.append(int(proc.name))
    return found


def _another_live_session(entry: Path, held: set[str]) -> bool:
    """Return True for what another test run that is still going uses (its folder carries its
    pid; an older checkout's server or cluster holds files in it)."""
    m = LIVE_SESSION.match(entry.name)
    if m:
        return _pid_alive(int(m.group(1)))
    inside = str(entry)
    return any(path == inside or path.startswith(inside + "/") for path in held)


def leftovers() -> tuple[list[str], list[str]]:
    """Return (what this session left behind, other new entries of /tmp)."""
    before_tmp = _state.get("tmp")
    before_data = _state.get("data")
    assert isinstance(before_tmp, set) and isinstance(before_data, set)
    ours, others = [], []
    held = _open_elsewhere()
    for name in sorted(_listing(TMP, 1) - before_tmp):
        if any(fnmatch.fnmatch(name, p) for p in OURS):
            if not _another_live_session(TMP / name, held):
                ours.append(str(TMP / name))
        else:
            others.append(str(TMP / name))
    data_dir = _state["data_dir"]
    assert isinstance(data_dir, Path)
    ours += [str(data_dir / n) for n in sorted(_listing(data_dir, 2) - before_data)]
    return ours, others


def finish(session: pytest.Session) -> None:
    """Remove the session folder, then fail the run if anything was left elsewhere."""
    root = _state.pop("root", None)
    if isinstance(root, Path):
        shutil.rmtree(root, ignore_errors=True)
    mode = os.environ.get("HROMADA_TEST_HYGIENE", "auto")
    if mode == "off" or "tmp" not in _state:
        return
    ours, others = leftovers()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")

    def say(line: str) -> None:
        if reporter is not None:
            reporter.write_line(line)

    if others:
        say(f"hygiene: new in /tmp during the run, not by our names: {', '.join(others)}")
    if ours:
        say("hygiene: the test run left these behind (tests must write only inside their "
            "temporary folders): " + ", ".join(ours))
        others_running = other_test_runs() if mode == "auto" else []
        if others_running:
            say(f"hygiene: not failing: other test runs are going on (pids "
                f"{', '.join(map(str, others_running))}); their files cannot be told apart")
        elif mode != "warn":
            say("hygiene: FAILED (HROMADA_TEST_HYGIENE=warn if another, older checkout ran "
                "its tests at the same time)")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
