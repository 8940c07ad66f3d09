"""The one settings model, read from the environment (``GIS_`` prefix) at the edge."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Return the default data folder: ``$XDG_DATA_HOME/hromada-gis`` or ``~/.local/share/...``.

    As root it is ``/var/lib/hromada-gis``: PostgreSQL then runs as ``postgres``, which cannot
    enter ``/root``.
    """
    import os

    if os.geteuid() == 0:
        return Path("/var/lib/hromada-gis")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hromada-gis"


class CitySettings(BaseModel):
    """The deployment's city: storage CRS and the codes the registries check against."""

    storage_srid: int = 6383  # UCS-2000 / Ukraine TM zone 9 (27°E), Khmelnytskyi
    koatuu: str = "6810100000"
    name_uk: str = "Хмельницький"
    name_en: str = "Khmelnytskyi"
    # the territory's box in the storage CRS (easting, northing): collection extents, sanity checks
    extent: tuple[float, float, float, float] = (289_000.0, 5_469_000.0, 309_000.0, 5_484_000.0)


class PoolSettings(BaseModel):
    """Database connections of one server process."""

    # no connections kept open by force: after an outage the next request reconnects at once
    # instead of waiting for the pool's exponential reconnect backoff
    min_size: int = 0
    max_size: int = 8
    timeout_s: float = 1.0  # wait for a free connection, then answer 503 (well within 2 s)


class TimeoutSettings(BaseModel):
    """Statement timeouts per request class, in seconds (a request over it gets a 503)."""

    items_s: float = 15.0
    tiles_s: float = 10.0
    search_s: float = 3.0
    reports_s: float = 20.0


class AuthSettings(BaseModel):
    """API tokens until users live in the database: ``{"<token>": "<name>:<role>[,<role>]"}``."""

    tokens: dict[str, str] = {}


class Settings(BaseSettings):
    """Hromada GIS settings; ``GIS_DATABASE_URL`` unset means: start the embedded PostGIS."""

    model_config = SettingsConfigDict(
        env_prefix="GIS_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    database_url: SecretStr | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None  # as seen by clients behind a proxy; default http://host:port
    city: CitySettings = CitySettings()
    pool: PoolSettings = PoolSettings()
    timeouts: TimeoutSettings = TimeoutSettings()  # GIS_TIMEOUTS__ITEMS_S=5
    auth: AuthSettings = AuthSettings()  # GIS_AUTH__TOKENS='{"s3cret": "olena:planner"}'
    max_items: int = 10_000  # the largest page a client may ask for
    pg_bin_dir: Path | None = None  # default: newest /usr/lib/postgresql/*/bin

    @property
    def base_url(self) -> str:
        """Return the URL clients use to reach the server, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
