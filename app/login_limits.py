"""Failed logins: password guessing is slowed per account and per client, never a lock-out.

Three counters, all in memory (per instance, like the rate limit; docs/security.md):

* **account × client** — ``free_failures`` wrong passwords are free; after that each one
  pauses this client for this account 1, 2, 4 … seconds (at most ``pause_max_s``). A success
  clears it. This is the limit a guesser meets first: 100 tries cost hours, not seconds.
* **client** — ``client_failures`` wrong passwords over all accounts per ``window_s``, earned
  back evenly: one client spraying one password over many accounts is stopped too.
* **account** — ``account_failures`` wrong passwords from any clients within ``window_s``
  pause the account for ``account_pause_s`` (short), and only for clients that never signed
  in to it: a stranger (or a botnet) can delay a planner's login from a new machine by half a
  minute at most, and not at all from the machine the planner used before.

Unknown account names are counted like real ones, so the answers do not tell which exist.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gis.settings import LimitSettings

TRUST_S = 30 * 24 * 3600.0  # a client that signed in to an account stays known this long
MAX_ENTRIES = 100_000


@dataclass
class _Pair:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0


@dataclass
class _Account:
    failures: int = 0
    since: float = 0.0
    until: float = 0.0


@dataclass
class LoginThrottle:
    """Decide whether a login may be tried now; learn from each outcome (see module doc)."""

    free_failures: int = 5
    pause_max_s: int = 900
    client_failures: int = 30
    account_failures: int = 50
    account_pause_s: int = 30
    window_s: float = 900.0
    clock: Callable[[], float] = time.monotonic
    pairs: dict[tuple[str, str], _Pair] = field(default_factory=dict)
    clients: dict[str, tuple[float, float]] = field(default_factory=dict)  # tokens, at
    accounts: dict[str, _Account] = field(default_factory=dict)
    trusted: dict[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, limits: LimitSettings) -> LoginThrottle:
        return cls(free_failures=limits.login_free_failures,
                   pause_max_s=limits.login_pause_max_s,
                   client_failures=limits.login_client_failures,
                   account_failures=limits.login_account_failures,
                   account_pause_s=limits.login_account_pause_s)

    def wait(self, account: str, client: str) -> int:
        """Return 0 when ``client`` may try a password for ``account`` now, else the seconds
        until it may (for ``Retry-After``).

        >>> t = LoginThrottle(free_failures=2, clock=lambda: 0.0)
        >>> for _ in range(2): t.failed("olena", "1.2.3.4")
        >>> t.wait("olena", "1.2.3.4"), t.wait("olena", "5.6.7.8")
        (1, 0)
        """
        now = self.clock()
        waits = [0.0]
        pair = self.pairs.get((account, client))
        if pair is not None:
            waits.append(pair.until - now)
        tokens = self._client_tokens(client, now)
        if tokens < 1:
            waits.append((1 - tokens) * self.window_s / self.client_failures)
        acc = self.accounts.get(account)
        if acc is not None and acc.until > now and not self._trusted(account, client, now):
            waits.append(acc.until - now)
        longest = max(waits)
        return 0 if longest <= 0 else max(1, math.ceil(longest))

    def failed(self, account: str, client: str) -> None:
        """Count a wrong password of ``client`` for ``account``."""
        now = self.clock()
        self._prune(now)
        pair = self.pairs.setdefault((account, client), _Pair())
        if now - pair.last > self.window_s:
            pair.failures = 0
        pair.failures += 1
        pair.last = now
        if pair.failures >= self.free_failures:
            pause = min(float(self.pause_max_s), 2.0 ** (pair.failures - self.free_failures))
            pair.until = now + pause
        self.clients[client] = (self._client_tokens(client, now) - 1, now)
        acc = self.accounts.setdefault(account, _Account(since=now))
        if now - acc.since > self.window_s:
            acc.failures, acc.since = 0, now
        acc.failures += 1
        if acc.failures >= self.account_failures:
            acc.until = now + self.account_pause_s
            acc.failures, acc.since = 0, now

    def succeeded(self, account: str, client: str) -> None:
        """Forget ``client``'s failures for ``account`` and remember it as a known client."""
        self.pairs.pop((account, client), None)
        self.trusted[(account, client)] = self.clock()

    def _client_tokens(self, client: str, now: float) -> float:
        tokens, at = self.clients.get(client, (float(self.client_failures), now))
        earned = (now - at) * self.client_failures / self.window_s
        return min(float(self.client_failures), tokens + earned)

    def _trusted(self, account: str, client: str, now: float) -> bool:
        since = self.trusted.get((account, client))
        return since is not None and now - since < TRUST_S

    def _prune(self, now: float) -> None:
        """Keep memory bounded under a flood of names or addresses: drop what has healed."""
        if len(self.pairs) > MAX_ENTRIES:
            self.pairs = {k: p for k, p in self.pairs.items()
                          if now - p.last <= self.window_s or p.until > now}
        if len(self.clients) > MAX_ENTRIES:
            self.clients = {k: v for k, v in self.clients.items()
                            if self._client_tokens(k, now) < self.client_failures}
        if len(self.accounts) > MAX_ENTRIES:
            self.accounts = {k: a for k, a in self.accounts.items()
                             if now - a.since <= self.window_s or a.until > now}
        if len(self.trusted) > MAX_ENTRIES:
            self.trusted = {k: t for k, t in self.trusted.items() if now - t < TRUST_S}
