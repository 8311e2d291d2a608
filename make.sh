#!/usr/bin/env bash
# The two commands of the README, on a fresh Debian machine with Python 3.11:
#   ./make.sh demo   set up, generate the demo bank, render every branch report
#   ./make.sh test   set up, run the test suite
#   ./make.sh test-fast   the fast lane: everything but the slow, Spark, browser and PDF tests (< 2 min)
#   ./make.sh lint   ruff check and ruff format --check (CI runs it before the tests)
#   ./make.sh docs   the API reference from the numpydoc docstrings, in build/api/
#   ./make.sh lab    (for researchers) JupyterLab with the project's kernel
# Each creates (or reuses) a local virtual environment in .venv by itself.
set -euo pipefail
cd "$(dirname "$0")"
blas_one_thread() { export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} \
    MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}; }

PY=${PYTHON:-python3}
VENV=.venv

need_apt() {  # install Debian packages when missing and we may (root + apt)
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "make.sh: installing Debian packages: ${missing[*]}" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "make.sh: please install the Debian packages: ${missing[*]}" >&2
    fi
}

setup() {  # $1: pip extras, e.g. "test" (empty: the package alone)
    if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
        echo "make.sh: Python 3.11 or newer is needed ($PY)" >&2; exit 2
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        "$PY" -m venv "$VENV" 2>/dev/null || { need_apt python3-venv; rm -rf "$VENV"; "$PY" -m venv "$VENV"; }
    fi
    local spec=".${1:+[$1]}" stamp="$VENV/.crmstudy-${1:-base}.stamp"
    local want; want=$(cat pyproject.toml | sha256sum | cut -c1-16)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
        "$VENV/bin/python" -m pip install -q -e "$spec"
        echo "$want" > "$stamp"
    fi
}

case "${1:-}" in
    demo)
        need_apt fonts-noto-cjk
        setup ""
        "$VENV/bin/crmstudy" synth --preset demo --seed "${SEED:-0}" --out data_synthetic/demo
        "$VENV/bin/crmstudy" report --data data_synthetic/demo --out reports --params params/defaults.yaml \
            ${WORKERS:+--workers "$WORKERS"} ${FORMAT:+--format "$FORMAT"}
        "$VENV/bin/crmstudy" training --data data_synthetic/demo --out reports/training
        ;;
    test)
        # pdftotext/pdffonts for the PDF tests, Chromium for the browser test, a CJK font,
        # Java for the Spark equivalence test
        need_apt poppler-utils chromium fonts-noto-cjk openjdk-17-jre-headless
        setup test
        shift
        # one pytest worker per core (TEST_WORKERS=0 runs every test in this process); a file's tests stay on one
        # worker, so a module's fixtures (a rendered bank, a Spark session) are built once
        # one BLAS/OpenMP thread per pytest worker: a thread per core in each worker oversubscribes the cores
        blas_one_thread
        # the 25 slowest tests and fixtures are listed at the end: where the suite's time goes, run by run
        "$VENV/bin/python" -m pytest -n "${TEST_WORKERS:-auto}" --dist loadfile --durations=25 "$@"
        ;;
    test-fast)
        setup test
        shift
        blas_one_thread
        "$VENV/bin/python" -m pytest -n "${TEST_WORKERS:-auto}" --dist loadfile \
            -m "not slow and not spark and not browser and not pdf" "$@"
        ;;
    lint)
        setup test
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        ;;
    format)
        setup test
        "$VENV/bin/ruff" check --fix .
        "$VENV/bin/ruff" format .
        ;;
    docs)  # the API reference: one page per module, from the numpydoc docstrings
        setup test
        rm -rf build/api
        "$VENV/bin/pdoc" --docformat numpy --no-show-source -o build/api crmstudy
        echo "API reference: build/api/index.html"
        ;;
    lab)  # JupyterLab in the project's environment, its kernel registered as "crmstudy"
        setup lab
        "$VENV/bin/python" -m ipykernel install --user --name crmstudy --display-name "crmstudy (.venv)" >/dev/null
        exec "$VENV/bin/jupyter" lab notebooks/
        ;;
    *)
        echo "usage: ./make.sh demo | test [pytest args] | test-fast [pytest args] | lint | format | docs | lab" >&2
        exit 2 ;;
esac
