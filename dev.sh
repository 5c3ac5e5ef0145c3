#!/usr/bin/env bash
# somwidget developer entry point. Sets up what it needs on first use (a virtual environment in
# .venv, the front-end bundle, and for tests Debian's chromium), then does the job.
#   ./dev.sh lab     open notebooks/quickstart.ipynb in JupyterLab
#   ./dev.sh test    run the whole test suite (ruff, Python, front end, browser end-to-end)
#   ./dev.sh demo    train a map on a bundled dataset and print its metrics
#   ./dev.sh bench   run the benchmarks (prints ratios)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
VENV=$ROOT/.venv
PY=$VENV/bin/python

log() { printf '\033[1m[somwidget]\033[0m %s\n' "$*" >&2; }

setup_python() {
  if [ ! -x "$PY" ]; then
    log "creating virtual environment in .venv"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.somwidget-deps" want
  want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing Python dependencies (first use or pyproject.toml changed)"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -e ".[dev]"
    echo "$want" > "$stamp"
  fi
}

setup_frontend() {
  local stamp="node_modules/.somwidget-deps" want
  want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing front-end build tools (npm)"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
    echo "$want" > "$stamp"
  fi
  log "building the front end into somwidget/static/"
  npm run --silent build
}

setup_browser() {
  if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then return; fi
  log "installing Debian's chromium for the browser tests"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

cmd=${1:-help}
shift || true
case "$cmd" in
  lab)
    setup_python; setup_frontend
    log "starting JupyterLab on notebooks/quickstart.ipynb"
    exec "$VENV/bin/jupyter" lab notebooks/quickstart.ipynb "$@"
    ;;
  demo)
    setup_python; setup_frontend
    exec "$PY" -m somwidget.demo "$@"
    ;;
  test)
    setup_python; setup_frontend; setup_browser
    log "ruff"
    "$VENV/bin/ruff" check somwidget tests benchmarks
    log "front-end unit tests"
    npm run --silent test
    log "pytest (Python + browser end-to-end)"
    export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
    exec "$VENV/bin/pytest" "$@"
    ;;
  bench)
    setup_python
    exec "$PY" -m benchmarks "$@"
    ;;
  *)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    ;;
esac
