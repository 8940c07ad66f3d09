"""Where and how QGIS reaches the database: the service entry of a staff database login.

The database host QGIS connects to is not the one this server uses (a loopback address for
the embedded cluster): it is ``GIS_DB_LOGINS__HOST``, else the public URL's host for an
embedded cluster that listens beyond the loopback (``GIS_HOST``), else the database URL's.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from gis.db_logins import is_loopback, service_entry
from gis.settings import Settings


@dataclass(frozen=True)
class ConnectionPoint:
    host: str
    port: int
    dbname: str
    sslmode: str

    def entry(self, login: str, note: str = "") -> str:
        """Return the ``pg_service.conf`` section of ``login`` (service = database name)."""
        return service_entry(self.dbname, host=self.host, port=self.port, dbname=self.dbname,
                             login=login, sslmode=self.sslmode, note=note)


def connection_point(settings: Settings, db_url: str) -> ConnectionPoint:
    """Return the host, port, database and sslmode QGIS uses to reach ``db_url``."""
    parts = urlsplit(db_url)
    host = settings.db_logins.host
    if host is None:
        url_host = parts.hostname or "127.0.0.1"
        public = urlsplit(settings.base_url).hostname or settings.host
        embedded = settings.database_url is None
        host = public if embedded and not is_loopback(settings.host) else url_host
    port = settings.db_logins.port or parts.port or 5432
    sslmode = settings.db_logins.sslmode or ("prefer" if is_loopback(host) else "require")
    return ConnectionPoint(host, port, parts.path.lstrip("/") or "postgres", sslmode)
