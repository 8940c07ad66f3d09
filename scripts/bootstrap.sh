#!/usr/bin/env bash
# Bootstrap a fresh Debian machine for Hromada GIS: PostGIS for the installed PostgreSQL,
# a Python >= 3.12 virtualenv in .venv with the project installed. Idempotent: a second run
# only checks. Usage: scripts/bootstrap.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-run}
say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }
apt_updated=0
apt_install() {  # apt_install PKG... — only as root; otherwise print the exact command and stop
  if ! is_root; then
    die "missing system packages: $*; install them with: sudo apt-get install -y $*"
  fi
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed; check the package sources"
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "apt-get install $* failed; PostGIS/system packages could not be installed"
}

PG_LIB=${GIS_PG_LIB:-/usr/lib/postgresql}      # overridable so tests can fake a bare machine
PG_SHARE=${GIS_PG_SHARE:-/usr/share/postgresql}
pg_major() {  # newest PostgreSQL with server binaries under $PG_LIB
  local v best=""
  for v in "$PG_LIB"/*/bin/initdb; do
    [ -x "$v" ] || continue
    v=${v#"$PG_LIB"/}; v=${v%%/*}
    if [ -z "$best" ] || [ "$v" -gt "$best" ]; then best=$v; fi
  done
  printf '%s' "$best"
}

# 1. PostgreSQL server + PostGIS
pgv=$(pg_major)
if [ -z "$pgv" ]; then
  apt_install postgresql
  pgv=$(pg_major)
  [ -n "$pgv" ] || die "PostgreSQL server binaries not found under $PG_LIB after install"
fi
if [ ! -f "$PG_SHARE/$pgv/extension/postgis.control" ]; then
  apt_install "postgresql-$pgv-postgis-3"
  [ -f "$PG_SHARE/$pgv/extension/postgis.control" ] \
    || die "PostGIS for PostgreSQL $pgv is not installable (postgresql-$pgv-postgis-3)"
fi
if is_root && ! id postgres >/dev/null 2>&1; then
  die "running as root needs the 'postgres' system user to run the database; install postgresql-common"
fi

# the PDF extracts embed DejaVu Sans (Cyrillic); GIS_EXTRACTS__FONT_DIR may point elsewhere
if [ -z "${GIS_EXTRACTS__FONT_DIR:-}" ] && [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  apt_install fonts-dejavu-core
fi

# 2. test-only system packages (clients used by interoperability tests)
if [ "$purpose" = test ]; then
  missing=()
  command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
  /usr/bin/python3 -c 'import qgis.core' >/dev/null 2>&1 || missing+=(python3-qgis)
  [ -x /usr/bin/chromium ] || missing+=(chromium)  # the geoportal's browser tests
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)  # extracts' PDF → PNG (docs)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)  # checks the service units
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
fi

# 3. Python >= 3.12 (scripts/python.sh: the system's, pyenv's, the distribution's, or a
# standalone one by uv; else the one command that fixes it)
# shellcheck source=scripts/python.sh
. scripts/python.sh
if [ ! -x .venv/bin/python ] || ! python_ok .venv/bin/python; then
  py=$(python_for_hromada) || exit 1
  say "creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv || die "could not create .venv with $py (is the venv module installed?)"
fi

# 4. the project itself, reinstalled only when pyproject.toml changes
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "installing the project into .venv (first run takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e ".[test]" || die "pip install failed (see above)"
  rm -f .venv/.installed-* && touch "$stamp"
fi
# 5. the geoportal's front-end assets (MapLibre GL JS, proj4, DejaVu fonts for map labels,
# Swagger UI for the API viewer) from npm, served by the app; reinstalled only when the lock
# file changes. No package needs an install script (--ignore-scripts: none runs, e.g. no
# install-time analytics).
web=app/static
web_stamp="$web/node_modules/.installed-$(sha256sum "$web/package-lock.json" | cut -c1-16)"
if [ ! -f "$web_stamp" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm  # as root from the distribution; otherwise the command to run
  fi
  command -v npm >/dev/null 2>&1 || die "npm is missing (Node.js >= 18 + npm install the geoportal's assets); install them: sudo apt-get install -y nodejs npm"
  say "installing the geoportal's assets (npm ci in $web)"
  (cd "$web" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in $web failed (see above)"
  rm -f "$web"/node_modules/.installed-* && touch "$web_stamp"
fi
# 6. test clients from npm: OpenLayers (the UCS-2000 tile grids in tests/test_rasters_http.py,
# test_tiles_ucs2000.py) and axe-core (the accessibility audit, tests/test_accessibility.py)
ol=tests/clients/npm
if [ "$purpose" = test ]; then
  ol_stamp="$ol/node_modules/.installed-$(sha256sum "$ol/package-lock.json" | cut -c1-16)"
  if [ ! -f "$ol_stamp" ]; then
    say "installing the test clients (npm ci in $ol)"
    (cd "$ol" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in $ol failed (see above)"
    rm -f "$ol"/node_modules/.installed-* && touch "$ol_stamp"
  fi
fi
say "ready (PostgreSQL $pgv + PostGIS, $(.venv/bin/python --version))"
