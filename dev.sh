#!/usr/bin/env bash
# somwidget developer entry point. Sets up what it needs on first use (a virtual environment in
# .venv, the front-end bundle, and for tests Debian's chromium), then does the job.
#   ./dev.sh lab     open notebooks/quickstart.ipynb in JupyterLab (extra arguments go to jupyter lab)
#   ./dev.sh test    run the whole test suite (ruff, Python, front end, browser end-to-end)
#   ./dev.sh demo    train a map on a bundled dataset and print its metrics
#   ./dev.sh bench   run the benchmarks (prints ratios)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
VENV=$ROOT/.venv
PY=$VENV/bin/python
BUNDLES=(somwidget/static/lattice.js somwidget/static/planes.js somwidget/static/selection.js somwidget/static/elevation.js)

log() { printf '\033[1m[somwidget]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The venv holds one of two sets: "lab" (the package + JupyterLab: all `./dev.sh lab` needs) or
# "dev" (lab + the test toolchain, which `./dev.sh test` adds). .venv/.somwidget-<set> records the
# pyproject.toml it was installed from; dev includes lab, so a lab after a test installs nothing.
setup_python() {
  local set=$1 want
  if [ ! -x "$PY" ]; then
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null \
      || die "somwidget needs python3 >= 3.10 with venv (found: $(python3 --version 2>&1))"
    log "creating virtual environment in .venv"
    python3 -m venv "$VENV"
  fi
  # The repo's package.json would make node treat .js files inside .venv as ES modules; JupyterLab
  # runs its bundled yarn.js (a CommonJS file) at start-up and prints a long "Fail to get yarn
  # configuration" dump when that breaks. A package.json of its own keeps .venv out of its scope.
  [ -f "$VENV/package.json" ] || echo '{"type": "commonjs"}' > "$VENV/package.json"
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$VENV/.somwidget-$set" 2>/dev/null)" = "$want" ]; then return; fi
  if [ "$set" = lab ] && [ "$(cat "$VENV/.somwidget-dev" 2>/dev/null)" = "$want" ]; then return; fi
  if [ "$set" = lab ]; then
    log "installing somwidget and JupyterLab into .venv (first use or pyproject.toml changed)"
  else
    log "installing somwidget with its test toolchain into .venv (first use or pyproject.toml changed)"
  fi
  "$PY" -m pip install -q --disable-pip-version-check -e ".[$set]"
  echo "$want" > "$VENV/.somwidget-$set"
}

# Rebuild somwidget/static/*.js when a bundle is missing or older than a front-end source (the
# same rule as hatch_build.py, which does this for pip installs and wheels).
frontend_stale() {
  local b oldest
  for b in "${BUNDLES[@]}"; do [ -f "$b" ] || return 0; done
  oldest=$(ls -tr "${BUNDLES[@]}" | head -n 1)
  [ -n "$(find js/src js/build.mjs package.json package-lock.json somwidget/widgets/colormaps.py \
            -type f -newer "$oldest" -print -quit 2>/dev/null)" ] \
    || [ -n "$(find somwidget -type f -name '*.json' -newer "$oldest" -print -quit)" ]
}

setup_frontend() {
  command -v npm >/dev/null || die "the front end needs node >= 20 with npm on PATH"
  local stamp="node_modules/.somwidget-deps" want
  want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
  if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing front-end build tools (npm ci)"
    npm ci --no-audit --no-fund --no-update-notifier --loglevel=error
    echo "$want" > "$stamp"
  fi
  if frontend_stale; then
    log "building the front end into somwidget/static/"
    npm run --silent build
  fi
}

setup_browser() {
  if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then return; fi
  log "installing Debian's chromium for the browser tests"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

# PyTorch's CPU build where this kind of machine keeps one on disk (/opt/wheels): the device
# path's tests then run on real tensors (tests/test_backend.py, skipped without torch). Never
# downloaded (PyPI's default torch is a CUDA build of several GB); a failed install only skips.
setup_torch_cpu() {
  local tag whl stamp="$VENV/.somwidget-torch"
  tag=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  whl=$(ls /opt/wheels/torch-*+cpu-"$tag"-"$tag"-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "$whl" ] || [ "$(cat "$stamp" 2>/dev/null)" = "$whl" ]; then return 0; fi
  log "installing PyTorch's CPU build from $whl (the device path's tests on real tensors)"
  if "$PY" -m pip install -q --disable-pip-version-check "$whl"; then
    echo "$whl" > "$stamp"
  else
    log "PyTorch did not install; the device path's tests on tensors will be skipped"
  fi
}

cmd=${1:-help}
shift || true
case "$cmd" in
  lab)
    setup_frontend; setup_python lab
    root_flag=()
    # containers and CI run as root; jupyter refuses to start as root without this flag
    if [ "$(id -u)" = 0 ]; then root_flag=(--allow-root); fi
    log "starting JupyterLab on notebooks/quickstart.ipynb (a browser tab opens it; with --no-browser open the http://127.0.0.1:<port>/lab?token=... URL printed below, where quickstart.ipynb is in the file browser; Ctrl-C stops it)"
    exec "$VENV/bin/jupyter" lab notebooks/quickstart.ipynb "${root_flag[@]}" "$@"
    ;;
  demo)
    setup_frontend; setup_python lab
    exec "$PY" -m somwidget.demo "$@"
    ;;
  test)
    setup_frontend; setup_python dev; setup_torch_cpu; setup_browser
    log "ruff"
    "$VENV/bin/ruff" check somwidget tests benchmarks hatch_build.py
    log "front-end unit tests"
    npm run --silent test
    log "pytest (Python + browser end-to-end)"
    export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
    exec "$VENV/bin/pytest" "$@"
    ;;
  bench)
    setup_python dev
    exec "$PY" -m benchmarks "$@"
    ;;
  *)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    ;;
esac
