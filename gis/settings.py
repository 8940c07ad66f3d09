"""The one settings model, read from the environment (``GIS_`` prefix) at the edge."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
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


def check_database_url(url: SecretStr) -> SecretStr:
    """Refuse a value that is no PostgreSQL URL, without repeating it (it may hold a
    password: libpq's own message quoted the whole string when the scheme was missing).

    >>> check_database_url(SecretStr("postgresql://gis:s3cret@db:5432/hromada"))
    SecretStr('**********')
    >>> check_database_url(SecretStr("gis:s3cret@db/hromada"))
    Traceback (most recent call last):
    ValueError: must be a URL like postgresql://user:password@host:5432/database
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.get_secret_value())
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
        ok = parts.scheme == "postgresql"  # SQLAlchemy (the migrations) knows no postgres://
    except ValueError:  # a port out of range, an unclosed [IPv6 bracket
        ok = False
    if not ok:
        raise ValueError("must be a URL like postgresql://user:password@host:5432/database")
    return url


class CitySettings(BaseModel):
    """The deployment's city: storage CRS and the codes the registries check against."""

    # UCS-2000 / Ukraine TM zone 9 (27°E), Khmelnytskyi; the zones are EPSG:6381–6387
    storage_srid: int = Field(default=6383, ge=6381, le=6387)
    koatuu: str = "6810100000"
    name_uk: str = "Хмельницький"
    name_en: str = "Khmelnytskyi"
    # the territory's box in the storage CRS (easting, northing): collection extents, sanity checks
    extent: tuple[float, float, float, float] = (289_000.0, 5_469_000.0, 309_000.0, 5_484_000.0)
    time_zone: str = "Europe/Kyiv"  # the local date that date-driven statuses are computed for

    @field_validator("extent")
    @classmethod
    def _box(cls, v: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        import math

        if not all(math.isfinite(c) for c in v) or v[0] >= v[2] or v[1] >= v[3]:
            raise ValueError("must be [min_easting, min_northing, max_easting, max_northing] "
                             "in metres, each minimum below its maximum")
        return v

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"{v!r} is no IANA time zone (e.g. Europe/Kyiv)") from None
        return v

    def portal_name(self, lang: str) -> str:
        """Return the geoportal's name in ``lang``, as its page, the server's pages and the
        QGIS project title it.

        >>> CitySettings().portal_name("uk"), CitySettings().portal_name("en")
        ('Геопортал м. Хмельницький', 'Khmelnytskyi geoportal')
        """
        return f"{self.name_en} geoportal" if lang == "en" else f"Геопортал м. {self.name_uk}"

    @property
    def lonlat_extent(self) -> tuple[float, float, float, float]:
        """Return :attr:`extent` in OGC:CRS84 (west, south, east, north; edges densified):
        the collections' extents, the map's bounds, the catalogue's box.

        >>> [round(v, 4) for v in CitySettings().lonlat_extent]
        [26.8465, 49.3529, 27.1226, 49.4878]
        """
        from gis.crs import transform_bbox  # pyproj only when asked: the CLI starts faster

        return transform_bbox(self.extent, self.storage_srid, "OGC:CRS84")


class PoolSettings(BaseModel):
    """Database connections of one server process."""

    # no connections kept open by force: after an outage the next request reconnects at once
    # instead of waiting for the pool's exponential reconnect backoff
    min_size: int = Field(default=0, ge=0)
    max_size: int = Field(default=8, ge=1)
    # a connect attempt; a database that does not answer: 503 at once
    timeout_s: float = Field(default=1.0, gt=0)
    # busy is not unreachable: a request waits in line for a connection up to queue_s, and is
    # refused (503 ServerBusy + Retry-After) at once only when the work ahead of it would take
    # longer than that (gis/queueing.py); a database that is down fails the line at once
    queue_s: float = Field(default=10.0, gt=0)
    # threads for blocking work (database calls, streamed pages): a request waiting in line for a
    # connection holds one, so there are enough that a request holding a connection (streaming
    # its page in batches) never waits for a thread behind those waiting for its connection
    threads: int = Field(default=256, ge=40)


class DatabaseSettings(BaseModel):
    """Read replicas on PostgreSQL's own streaming replication (docs/operations.md).

    ``GIS_DATABASE__REPLICA_URLS='["postgresql://gis:…@replica1:5432/hromada"]'``: public and
    staff reads (items, search, pages, tiles) go to a replica that has replayed what they must
    see, writes and the change feed stay on the primary (``GIS_DATABASE_URL``).
    """

    replica_urls: list[SecretStr] = []

    @field_validator("replica_urls")
    @classmethod
    def _urls(cls, v: list[SecretStr]) -> list[SecretStr]:
        return [check_database_url(u) for u in v]
    replica_check_s: float = Field(default=0.2, gt=0)  # how often replay positions are sampled


class TimeoutSettings(BaseModel):
    """Statement timeouts per request class, in seconds (a request over it gets a 503)."""

    items_s: float = Field(default=15.0, gt=0)
    tiles_s: float = Field(default=10.0, gt=0)
    search_s: float = Field(default=3.0, gt=0)
    reports_s: float = Field(default=20.0, gt=0)


class OidcSettings(BaseModel):
    """Bearer JWTs from an external OpenID Connect provider (off while ``issuer`` is unset).

    ``GIS_AUTH__OIDC__ISSUER=https://id.city.gov.ua/realms/gis``,
    ``GIS_AUTH__OIDC__AUDIENCE=hromada-gis``; the signing keys come from ``jwks_url`` (default:
    the issuer's discovery document). Roles are read from ``roles_claim`` (a dotted path, e.g.
    ``realm_access.roles`` for Keycloak) and renamed by ``role_map`` (``{"gis-planner":
    "planner"}``); names that are not our roles are ignored. See docs/security.md.
    """

    issuer: str | None = None
    audience: str | None = None
    jwks_url: str | None = None
    name_claim: str = "preferred_username"  # the author name history records (else ``sub``)
    roles_claim: str = "roles"
    role_map: dict[str, str] = {}
    algorithms: list[str] = ["RS256", "ES256"]
    leeway_s: int = Field(default=30, ge=0)  # clock skew allowed on exp/nbf/iat


class AuthSettings(BaseModel):
    """Authentication: users and tokens live in the database (``gis users``, ``gis tokens``).

    ``tokens`` is a bootstrap/development list ``{"<token>": "<name>:<role>[,<role>]"}``
    checked before the database; leave it empty in production.
    """

    tokens: dict[str, str] = {}

    @field_validator("tokens")
    @classmethod
    def _owners(cls, v: dict[str, str]) -> dict[str, str]:
        from gis.auth import Role

        roles = {r.value for r in Role}
        for spec in v.values():
            name, _, given = spec.partition(":")
            wanted = [r.strip() for r in given.split(",") if r.strip()]
            if not name or not wanted:
                raise ValueError(f"{spec!r} must look like 'name:role[,role]'")
            unknown = [r for r in wanted if r not in roles]
            if unknown:
                raise ValueError(f"unknown role {unknown[0]!r} in {spec!r}; roles are "
                                 + ", ".join(r.value for r in Role))
        return v
    session_hours: float = Field(default=12.0, gt=0)  # lifetime of a web-editor login
    cookie_secure: bool = True  # False only for plain-HTTP development (GIS_AUTH__COOKIE_SECURE)
    oidc: OidcSettings = OidcSettings()


class LimitSettings(BaseModel):
    """Request limits (``GIS_LIMITS__ANON_RATE_PER_S=5``); see docs/security.md."""

    max_body_bytes: int = Field(default=10_000_000, ge=1)  # larger request bodies get 413
    # features on one page pygeoapi renders (HTML, JSON-LD): rendering is Python work on the
    # server's cores, ~1,000 rows is all a reader can use; GeoJSON pages go to GIS_MAX_ITEMS
    max_rendered_items: int = Field(default=1000, ge=1)
    # anonymous requests per client IP, sustained (0: no limit)
    anon_rate_per_s: float = Field(default=20.0, ge=0)
    anon_burst: int = Field(default=200, ge=0)  # … and in a burst
    # the work of one anonymous client (app.limits.WorkLimiter): requests served at once (more
    # wait in line, up to queue_s, then 429) and seconds of server time, sustained and in a
    # burst (spent: 429 until earned back); 0 switches each off
    anon_concurrency: int = Field(default=1, ge=0)
    anon_queue_s: float = Field(default=20.0, ge=0)
    anon_work_s_per_s: float = Field(default=1.0, ge=0)
    anon_work_burst_s: float = Field(default=120.0, ge=0)
    # failed logins (app.login_limits): free tries per account from one client, then pauses
    # doubling up to login_pause_max_s; a client's failures over all accounts; an account's
    # failures from every client, which pause it for login_account_pause_s — except for
    # clients that signed in to it successfully before
    login_free_failures: int = Field(default=5, ge=1)
    login_pause_max_s: int = Field(default=900, ge=1)
    login_client_failures: int = Field(default=30, ge=1)
    login_account_failures: int = Field(default=50, ge=1)
    login_account_pause_s: int = Field(default=30, ge=1)
    cors_origins: list[str] = []  # allowed browser origins; ["*"]: any origin, reads only
    # clients the rate limit leaves alone: local tools, and a same-host proxy that does not
    # forward X-Forwarded-For (then the proxy must limit; see docs/security.md)
    rate_exempt: list[str] = ["127.0.0.1", "::1"]


class TileSettings(BaseModel):
    """Vector tiles: the cache and its limits (``GIS_TILES__CACHE_DIR=/var/cache/hromada``)."""

    # auto | disk | postgres | none; auto: a folder named by cache_dir means disk, else the
    # shared table in PostgreSQL when the database is external (GIS_DATABASE_URL: any number
    # of instances may serve it), else disk (the embedded cluster has one server); see
    # Settings.tile_cache_kind and docs/operations.md
    cache: Literal["auto", "disk", "postgres", "none"] = "auto"
    cache_dir: Path | None = None  # default: <data_dir>/tile-cache
    # the server's in-memory front of the cache (most used tiles with their ETags); 0: off
    memory_mb: int = Field(default=64, ge=0)
    max_zoom: int = Field(default=20, ge=0, le=24)  # deepest zoom served; clients overzoom
    # Cache-Control max-age for clients and CDNs; 0: revalidate with ETag
    max_age_s: int = Field(default=0, ge=0)
    pool_size: int = Field(default=8, ge=1)  # tile-rendering connections
    # how long the change queue keeps rows for caches that were offline
    retention_days: int = Field(default=7, ge=0)


class RasterSettings(BaseModel):
    """Published rasters (``gis raster add``): their folder, limits and the tile memory cache."""

    dir: Path | None = None  # default: <data_dir>/rasters (shared by every server instance)
    # refuse larger rasters before any work (a mistaken header or file); 100 Gpx ≈ a 3 cm
    # orthophoto of a 300 km² city. Work is done in blocks: memory does not grow with size
    max_pixels: int = Field(default=100_000_000_000, gt=0)
    memory_mb: int = Field(default=64, ge=0)  # rendered raster tiles kept in memory; 0: off
    # the largest coverage answer (cells): larger requests are downsampled to fit, or refused
    # (413) with ``Prefer: handling=strict``
    max_coverage_cells: int = Field(default=4096 * 4096, gt=0)
    max_age_s: int = Field(default=0, ge=0)  # Cache-Control max-age of public raster tiles


class PortalSettings(BaseModel):
    """The geoportal page at ``/``."""

    # an optional raster base layer: an XYZ template of the city's own tiles (orthophoto, plan),
    # e.g. GIS_PORTAL__BASEMAP_TILES=https://maps.city.ua/ortho/{z}/{x}/{y}.png; none by default
    basemap_tiles: str | None = None
    basemap_attribution: str = ""
    basemap_max_zoom: int = Field(default=19, ge=0, le=24)
    # the PDF extract endpoint the print dialog and the cards use; "" turns printing off
    extracts_url: str | None = "/extracts"


class ExtractSettings(BaseModel):
    """Printable true-scale map extracts (``GIS_EXTRACTS__ISSUER=…``); see docs/extracts.md."""

    # the body named at the top of every sheet, e.g. "Хмельницька міська рада · Управління
    # архітектури та містобудування"; empty: "Геопортал м. <city>"
    issuer: str = ""
    # DejaVu Sans (Debian's fonts-dejavu-core, installed by scripts/bootstrap.sh): Cyrillic,
    # embedded into every PDF
    font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")
    # an extract whose map frame would hold more features is refused (400) before rendering
    max_features: int = Field(default=20_000, ge=1)
    # anonymous extracts per client IP, sustained and in a burst (0: no limit); an extract
    # costs far more than an items page, so it has a bucket of its own beside the request rate
    anon_per_minute: float = Field(default=6.0, ge=0)
    anon_burst: int = Field(default=4, ge=1)
    # anonymous extracts of all clients together per minute (0: no limit)
    anon_total_per_minute: float = Field(default=120.0, ge=0)
    timeout_s: float = Field(default=20.0, gt=0)  # statement timeout of one extract's reads
    # a published raster (`gis raster add` name) drawn under the vectors of every extract,
    # e.g. an orthophoto; "" (default): none. A staff-only raster only under staff extracts.
    base_raster: str = ""


class DbLoginSettings(BaseModel):
    """Staff database logins: where QGIS connects straight to PostGIS (docs/qgis.md).

    ``GIS_DB_LOGINS__HOST=gis.city.local``; the defaults come from the public URL's host and
    the database's port, ``sslmode=require`` off the loopback.
    """

    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    sslmode: str | None = None  # libpq sslmode the generated service entry asks for
    temporary_hours: float = Field(default=12.0, gt=0)  # OpenID Connect users' passwords


class LogSettings(BaseModel):
    """The access log: one line per request (``GIS_LOG__ACCESS=off``); docs/operations.md."""

    access: str = "stderr"  # stderr | stdout | off | a file path (appended to)
    format: Literal["json", "logfmt"] = "json"
    # what of a query string is logged: "safe" keeps the values of paging, format and
    # geometry parameters and hides the rest (filters, search words); "full" | "none"
    queries: Literal["safe", "full", "none"] = "safe"


class MetricsSettings(BaseModel):
    """``/metrics`` in Prometheus text format, for loopback or a bearer token; never public."""

    enabled: bool = True
    allow: list[str] = ["127.0.0.0/8", "::1/128"]  # client networks served without a token

    @field_validator("allow")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"{net!r} is no network (e.g. 10.0.0.0/8, ::1/128)") from None
        return v
    token: SecretStr | None = None  # GIS_METRICS__TOKEN: scrapers elsewhere send it as Bearer


class IngestSettings(BaseModel):
    """Imports (``gis ingest``, the staff upload page); see docs/ingest.md."""

    max_upload_mb: int = Field(default=200, ge=1)  # the largest file the upload page takes
    # the deployment's keys from SK-42/SK-63 zones to the storage CRS, as PROJ pipelines:
    # {"EPSG:7826": "+proj=pipeline +step …"}; without one such files are refused
    transforms: dict[str, str] = {}
    # GDAL files up to this many features are read in fast column batches; larger ones
    # stream feature by feature in constant memory (docs/ingest.md)
    fast_read_max_features: int = Field(default=1_000_000, ge=0)


class OpenDataSettings(BaseModel):
    """The publisher of the open-data sets (the data.gov.ua passport, the exchange XML's
    AdditionalPart); ``GIS_OPEN_DATA__PUBLISHER=…``."""

    publisher: str = "Хмельницька міська рада"
    publisher_en: str = "Khmelnytskyi City Council"
    publisher_edrpou: str = "00000000"  # the council's EDRPOU code (8 digits)
    contact_name: str = "Відповідальна особа"  # the data set's responsible person (office)
    contact_position: str = "Відділ ГІС"
    contact_email: str = "opendata@example.org"
    contact_phone: str = "+380000000000"
    licence: str = "CC-BY-4.0"
    licence_url: str = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency: str = "щоквартально"  # as the passport states it (uk)
    # the council's open-data page (the licence's hyperlink); none: this server's /downloads
    landing_page: str | None = None
class VerificationSettings(BaseModel):
    """Verification before publication (``GIS_VERIFICATION__SELF_APPROVAL=true``); see
    docs/verification.md."""

    # a verifier may approve a change they made themselves (off: four eyes, another verifier
    # of the holder department decides it)
    self_approval: bool = False


class ErrorReportSettings(BaseModel):
    """Reports of mistakes from the public (``GIS_ERROR_REPORTS__PER_CLIENT_DAY=5``)."""

    # per client IP: a burst, then one more every ``client_every_min`` minutes, and at most
    # ``per_client_day`` in a (city's) day; 0 turns a limit off
    client_burst: int = Field(default=3, ge=0)
    client_every_min: float = Field(default=10.0, ge=0)
    per_client_day: int = Field(default=10, ge=0)
    # every client together per day, counted in the database (all instances): a flood from
    # many addresses fills the holders' queue no further
    per_day: int = Field(default=500, ge=0)
    max_comment: int = Field(default=2000, ge=1, le=2000)
    max_contact: int = Field(default=200, ge=1, le=200)


class Settings(BaseSettings):
    """Hromada GIS settings; ``GIS_DATABASE_URL`` unset means: start the embedded PostGIS."""

    model_config = SettingsConfigDict(
        env_prefix="GIS_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    database_url: SecretStr | None = None

    @field_validator("database_url")
    @classmethod
    def _url(cls, v: SecretStr | None) -> SecretStr | None:
        return None if v is None else check_database_url(v)
    database: DatabaseSettings = DatabaseSettings()  # GIS_DATABASE__REPLICA_URLS='["…"]'
    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = None  # as seen by clients behind a proxy; default http://host:port
    city: CitySettings = CitySettings()
    pool: PoolSettings = PoolSettings()
    timeouts: TimeoutSettings = TimeoutSettings()  # GIS_TIMEOUTS__ITEMS_S=5
    auth: AuthSettings = AuthSettings()  # GIS_AUTH__TOKENS='{"s3cret": "olena:planner"}'
    limits: LimitSettings = LimitSettings()  # GIS_LIMITS__CORS_ORIGINS='["https://city.ua"]'
    tiles: TileSettings = TileSettings()  # GIS_TILES__CACHE_DIR=tile-cache
    portal: PortalSettings = PortalSettings()  # GIS_PORTAL__BASEMAP_TILES=…
    extracts: ExtractSettings = ExtractSettings()  # GIS_EXTRACTS__ISSUER=…
    db_logins: DbLoginSettings = DbLoginSettings()  # GIS_DB_LOGINS__HOST=gis.city.local
    log: LogSettings = LogSettings()  # GIS_LOG__FORMAT=logfmt
    metrics: MetricsSettings = MetricsSettings()  # GIS_METRICS__TOKEN=…
    ingest: IngestSettings = IngestSettings()  # GIS_INGEST__MAX_UPLOAD_MB=50
    open_data: OpenDataSettings = OpenDataSettings()  # GIS_OPEN_DATA__PUBLISHER=…
    rasters: RasterSettings = RasterSettings()  # GIS_RASTERS__DIR=/srv/rasters
    verification: VerificationSettings = VerificationSettings()
    error_reports: ErrorReportSettings = ErrorReportSettings()  # GIS_ERROR_REPORTS__PER_DAY=…
    max_items: int = Field(default=10_000, ge=1)  # the largest page a client may ask for
    # idle keep-alive connections are closed after this; longer than a busy client's pause, so
    # a close does not race the client's next request (uvicorn's default is 5 s)
    keep_alive_s: int = Field(default=30, ge=1)
    pg_bin_dir: Path | None = None  # default: newest /usr/lib/postgresql/*/bin
    # the embedded cluster's port; unset: the port of its last start (kept in the data folder,
    # so QGIS connections stay valid), else a free one
    pg_port: int | None = Field(default=None, ge=1, le=65535)

    @property
    def raster_dir(self) -> Path:
        """Return the folder of the published rasters' COGs."""
        return self.rasters.dir or self.data_dir / "rasters"

    @property
    def tile_cache_kind(self) -> str:
        """Return the tile cache backend in use: ``tiles.cache`` with ``auto`` resolved.

        >>> Settings(database_url="postgresql://db/gis").tile_cache_kind
        'postgres'
        >>> Settings(database_url=None).tile_cache_kind
        'disk'
        >>> Settings(database_url="postgresql://db/gis", tiles={"cache_dir": "t"}).tile_cache_kind
        'disk'
        """
        if self.tiles.cache != "auto":
            return self.tiles.cache
        if self.tiles.cache_dir is not None or self.database_url is None:
            return "disk"
        return "postgres"

    @property
    def base_url(self) -> str:
        """Return the URL clients use to reach the server, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def settings_problem(exc: Exception, environ: dict[str, str]) -> str:
    """Return what is wrong with the settings in the words of their variables, for a
    validation error of :class:`Settings` (pydantic's own text names a field path, its error
    types and a web page, and never the variable): ``GIS_POOL__MAX_SIZE: Input should be
    greater than or equal to 1``. Values are not repeated (a token or password may be one).

    >>> from pydantic import ValidationError
    >>> try:
    ...     Settings(pool={"max_size": 0}, city={"extent": [1, 2, 3]})
    ... except ValidationError as e:
    ...     print(settings_problem(e, {}))
    GIS_CITY__EXTENT: too few values; GIS_POOL__MAX_SIZE: Input should be greater than or equal to 1
    """
    import json

    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    if isinstance(exc, ValidationError):
        said = []
        for err in exc.errors():
            model: type[BaseModel] | None = Settings
            names = []
            for part in err["loc"]:  # stop at a list index or a dict key (a token …)
                if model is None or not isinstance(part, str) or part not in model.model_fields:
                    break
                names.append(part)
                kind = model.model_fields[part].annotation
                model = kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None
            name = "GIS_" + "__".join(names).upper() if names else "the settings"
            cut = len(names) < len(err["loc"]) and isinstance(err["loc"][len(names)], int)
            msg = err["msg"].removeprefix("Value error, ")
            if cut and err["type"] == "missing":  # a tuple's item: [1, 2, 3] for a box
                msg = "too few values"
            line = f"{name}: {msg}"
            if line not in said:
                said.append(line)
        return "; ".join(sorted(said))
    if isinstance(exc, SettingsError):  # a value that must be JSON and is not
        for key, value in sorted(environ.items()):
            if not key.upper().startswith("GIS_") or not value.lstrip().startswith(("{", "[")):
                continue
            try:
                json.loads(value)
            except ValueError as bad:
                like = EXAMPLES.get(key.upper(), "[…] or {…}")
                return f"{key.upper()} is not valid JSON ({bad}), e.g. {like}"
    return str(exc).replace("\n", "; ")


EXAMPLES = {"GIS_AUTH__TOKENS": '{"secret": "olena:planner"}',
            "GIS_CITY__EXTENT": "[221941, 5471595, 241941, 5486595]"}
