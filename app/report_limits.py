"""How many error reports the public may file: per client, per day, for everybody together.

A report is written into the database and read by a person, so it costs far more than a read:
each client IP has a small bucket (``client_burst`` at once, then one every
``client_every_min`` minutes) and a daily cap (``per_client_day``, the city's day); all
clients together have a daily cap counted in the database (``per_day``), so several
instances share it. A refused report is answered 429 with ``Retry-After`` and stores nothing.
No external captcha: the caps bound what a flood can cost, the random tickets make a report
unreadable to anyone but its author.

Kept apart from the request-rate buckets (``app.limits``) so that it can be folded into a
per-client cost budget as one weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.limits import RateLimiter
from gis.errors import TooManyRequests
from gis.settings import ErrorReportSettings


@dataclass
class ReportAdmission:
    """The per-client buckets and daily counts of error reports (one instance's share)."""

    settings: ErrorReportSettings
    exempt: frozenset[str]
    time_zone: str
    per_client: RateLimiter | None = None
    days: dict[str, tuple[date, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.settings
        if s.client_burst > 0 and s.client_every_min > 0:
            self.per_client = RateLimiter(1 / (s.client_every_min * 60), s.client_burst)

    def today(self) -> datetime:
        return datetime.now(ZoneInfo(self.time_zone))

    def admit(self, client: str) -> None:
        """Count one report of ``client`` or raise TooManyRequests (nothing is stored)."""
        if client in self.exempt:
            return
        now = self.today()
        day, count = self.days.get(client, (now.date(), 0))
        if day != now.date():
            day, count = now.date(), 0
        cap = self.settings.per_client_day
        if cap and count >= cap:
            midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                        now.tzinfo)
            wait = max(1, int((midnight - now).total_seconds()))
            raise TooManyRequests(f"{client} has filed {cap} reports today, as many as one "
                                  f"client may a day; retry tomorrow", retry_after=wait)
        if self.per_client is not None:
            wait = self.per_client.retry_after(client)
            if wait:
                raise TooManyRequests(
                    f"too many reports from {client}: {self.settings.client_burst} at once, "
                    f"then one every {self.settings.client_every_min:g} minutes; retry in "
                    f"{wait} s", retry_after=wait)
        if len(self.days) > 100_000:  # forget yesterday's clients
            self.days = {k: v for k, v in self.days.items() if v[0] == now.date()}
        self.days[client] = (day, count + 1)

    def refund(self, client: str) -> None:
        """Give back the report ``admit`` counted when nothing was stored (a refused report:
        an unknown object, a point too far): the limits count what reaches the queue."""
        if client in self.exempt:
            return
        day, count = self.days.get(client, (self.today().date(), 0))
        self.days[client] = (day, max(0, count - 1))
        if self.per_client is not None:
            self.per_client.charge(client, -1.0)

    def check_day(self, filed_today: int) -> None:
        """Raise TooManyRequests when every client together filed the day's cap already."""
        cap = self.settings.per_day
        if cap and filed_today >= cap:
            now = self.today()
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                                        now.tzinfo)
            raise TooManyRequests(
                f"the holders' queue has taken {cap} reports today, as many as it takes in a "
                "day; please retry tomorrow",
                retry_after=max(1, int((midnight - now).total_seconds())))
