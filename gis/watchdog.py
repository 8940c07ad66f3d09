"""A guard that stops the embedded PostgreSQL when the process that started it dies.

A server stopped by SIGINT/SIGTERM stops its cluster itself (``gis.cluster.running_cluster``).
One killed outright (SIGKILL, a segfault in native code, the OOM killer) cannot, and its
cluster would keep running, orphaned, holding the port, memory and the data folder. So the
process that starts a cluster first starts this guard: a small child process (``python -m
gis.watchdog``) that only reads a pipe whose writing end the parent holds. The kernel closes
that end whenever the parent ends, however it ends; the guard then reads end-of-file and, if
the cluster still runs, stops it (fast shutdown, then immediate) — within a second or two.

A normal stop is unchanged: the parent stops the cluster, then closes the pipe, and the guard
finds nothing to do. The guard holds ``<data_dir>/watchdog.lock`` while it lives; a new
server waits for it (:func:`start_watchdog`), so a restart never adopts a cluster that an
old guard is about to stop. The guard ignores SIGINT and SIGTERM, which a terminal or a
service manager sends to the whole process group: it must outlive its parent to do its work.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gis.errors import EnvironmentProblem

LOCK_NAME = "watchdog.lock"


@dataclass
class Watchdog:
    """The guard of one cluster, as its parent sees it."""

    process: subprocess.Popen[bytes]
    pipe: IO[bytes]

    def release(self, timeout_s: float = 30.0) -> None:
        """Close the pipe (the parent stopped the cluster itself) and wait for the guard."""
        self.pipe.close()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def take_lock(data_dir: Path, timeout_s: float = 60.0) -> int:
    """Return an open, locked ``watchdog.lock`` of ``data_dir``: the guard of an earlier
    server has finished (it holds the lock while it lives)."""
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise EnvironmentProblem(
                    f"the guard of an earlier server is still stopping the database in "
                    f"{data_dir}; try again in a minute", path=str(data_dir)) from None
            time.sleep(0.1)


def start_watchdog(data_dir: Path, bin_dir: Path) -> Watchdog:
    """Start the guard of the cluster in ``data_dir`` (after an earlier guard has finished)."""
    fd = take_lock(data_dir)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "gis.watchdog", str(data_dir), str(bin_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=(fd,),
            start_new_session=True)  # terminal signals go to the server, not to its guard
    finally:
        os.close(fd)  # the guard's copy keeps the lock
    assert process.stdin is not None
    return Watchdog(process, process.stdin)


def guard(data_dir: Path, bin_dir: Path) -> None:
    """Wait for the parent to go, then stop its cluster if it still runs."""
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    stdin = sys.stdin.buffer
    while stdin.read(4096):  # the parent never writes: this returns at end-of-file
        pass
    from gis.cluster import EmbeddedCluster

    cluster = EmbeddedCluster(data_dir=data_dir, bin_dir=bin_dir, quiet=True)
    pid = cluster.running_pid()
    if pid is None:
        return
    cluster.started_here = True
    cluster.stop()
    if cluster.running_pid() is not None:  # a backend would not end: do not wait for it
        subprocess.run(cluster._cmd("pg_ctl", "stop", "-D", str(cluster.pgdata), "-m",
                                    "immediate", "-w", "-t", "30"), capture_output=True)
    print(f"hromada-gis watchdog: the server using {data_dir} ended without stopping its "
          f"database; stopped it (postmaster pid {pid})", file=sys.stderr, flush=True)


if __name__ == "__main__":
    guard(Path(sys.argv[1]), Path(sys.argv[2]))
