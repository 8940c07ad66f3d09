#!/usr/bin/env bash
# Print the path of a Python >= 3.12 for Hromada GIS (pygeoapi needs it), finding or installing
# one; on failure print the one command that fixes it and exit 1. Sourced by bootstrap.sh,
# runnable alone: scripts/python.sh
#
# In order: GIS_PYTHON; python3.13/python3.12/python3 on the PATH; pyenv's 3.12+; /usr/bin and
# /usr/local/bin (GIS_PYTHON_DIRS); a Python installed here earlier (.python/); as root, the
# distribution's python3.12 when apt has one (Ubuntu 24.04 and Debian 13 have a 3.12+ python3
# already); then a standalone CPython 3.12 installed by uv into .python/ (uv itself from PyPI
# into .uv/) when the network allows (Debian 12 needs this). GIS_NO_UV=1 skips the uv step.
set -euo pipefail

python_ok() {  # python_ok EXE — true when EXE is Python >= 3.12 with venv
  "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local c
  local candidates=("${GIS_PYTHON:-}" python3.13 python3.12 python3)
  if command -v pyenv >/dev/null 2>&1 || [ -d "${PYENV_ROOT:-$HOME/.pyenv}" ]; then
    local root
    root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    for c in "$root"/versions/3.1[2-9]*/bin/python; do candidates+=("$c"); done
  fi
  local dir
  for dir in ${GIS_PYTHON_DIRS:-/usr/bin /usr/local/bin}; do
    for c in "$dir"/python3.1[2-9]; do candidates+=("$c"); done
  done
  for c in "$PY_HOME"/cpython-3.1[2-9]*/bin/python3; do candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    if python_ok "$c"; then
      command -v "$c" 2>/dev/null || printf '%s\n' "$c"
      return 0
    fi
  done
  return 1
}

say() { printf 'bootstrap: %s\n' "$*" >&2; }

apt_python() {  # as root: the distribution's python3.12 if apt knows one
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  local candidate
  candidate=$(apt-cache policy python3.12 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ] || return 1
  say "installing python3.12 from the distribution"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3.12 python3.12-venv >/dev/null 2>&1 || return 1
}

uv_python() {  # a standalone CPython 3.12 by uv into $PY_HOME (uv from PyPI into .uv/)
  [ "${GIS_NO_UV:-0}" != 1 ] || return 1
  local uv
  uv=$(command -v uv 2>/dev/null || true)
  if [ -z "$uv" ]; then
    if [ ! -x .uv/bin/uv ]; then
      say "installing uv from PyPI into .uv (to fetch a standalone Python 3.12)"
      python3 -m venv .uv >/dev/null 2>&1 && .uv/bin/python -m pip install -q uv >/dev/null 2>&1 \
        || { rm -rf .uv; return 1; }
    fi
    uv=.uv/bin/uv
  fi
  say "installing a standalone Python 3.12 into $PY_HOME with uv"
  local out
  out=$(UV_PYTHON_INSTALL_DIR="$PY_HOME" "$uv" python install 3.12 2>&1) || {
    say "uv could not install Python 3.12: $(printf '%s\n' "$out" | grep -v '^\s*$' | tail -1)"
    return 1
  }
}

PY_HOME=${GIS_PYTHON_HOME:-$PWD/.python}

python_for_hromada() {
  find_python && return 0
  if apt_python || uv_python; then
    find_python && return 0
  fi
  {
    echo "error: no Python >= 3.12 found (pygeoapi needs it; tried GIS_PYTHON, python3.13, python3.12,"
    echo "python3, pyenv, /usr/bin, $PY_HOME, the distribution's python3.12 and a standalone one by uv)."
    echo "Fix: GIS_PYTHON=/path/to/python3.12 make run"
    echo "(no Python 3.12 at hand: run 'uv python install 3.12 --install-dir .python' on a machine"
    echo "that reaches github.com, copy its .python folder here and run make run again)"
  } >&2
  return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  cd "$(dirname "$0")/.."
  PY_HOME=${GIS_PYTHON_HOME:-$PWD/.python}
  python_for_hromada
fi
