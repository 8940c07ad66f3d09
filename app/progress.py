"""Progress lines for long work (demo load, imports, seeding) on stderr."""

from __future__ import annotations

import sys
import time


class Progress:
    """Draw ``stage done/total [####    ] 40%`` on one line; plain lines when not a terminal.

    With ``rate`` the line also says how fast the stage goes (``12,345 rows/s``); a total of
    0 means "unknown" (a stream whose length is not known in advance): no bar then.
    """

    def __init__(self, label: str, stream=sys.stderr, *,  # type: ignore[no-untyped-def]
                 rate: str | None = None) -> None:
        self.label = label
        self.stream = stream
        self.tty = stream.isatty()
        self.stage = ""
        self.last = 0.0
        self.started = time.monotonic()
        self.stage_started = self.started
        self.rate = rate

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        new_stage = stage != self.stage
        if not new_stage and done < total and now - self.last < (0.2 if self.tty else 5.0):
            return
        if new_stage and self.stage and self.tty:
            self.stream.write("\n")
        if new_stage:
            self.stage_started = now
        self.stage, self.last = stage, now
        if total or not self.rate:
            pct = 100 * done // total if total else 100
            bar = "#" * (pct // 5) + " " * (20 - pct // 5)
            line = f"{self.label}: {stage:<22} {done:>7}/{total:<7} [{bar}] {pct:3d}%"
        else:
            line = f"{self.label}: {stage:<22} {done:>7}"
        if self.rate and now > self.stage_started:
            line += f" {done / (now - self.stage_started):>9,.0f} {self.rate}/s"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        took = time.monotonic() - self.started
        self.stream.write(("\n" if self.tty and self.stage else "")
                          + f"{self.label}: done in {took:.1f} s\n")
        self.stream.flush()
