#!/usr/bin/env bash
# Builds the spot wheel with maturin, installs it into a fresh virtualenv and runs the pytest
# suite (tests/, the package's doctests and the notebook). Exits non-zero on any failure.
#
#   crates/spot-py/ci.sh                  # what .ci/run runs
#   SPOT_PY_SPARK=0 crates/spot-py/ci.sh  # without PySpark (installed by default when `java` is
#                                         # on PATH: a large download; the Spark tests then run)
#   SPOT_PY_NOTEBOOK=0 crates/spot-py/ci.sh  # without matplotlib/nbclient: the notebook test skips
#
# The wheel is built in the dev profile into the workspace's target folder: pyo3's
# `extension-module` feature is not enabled (maturin sets PYO3_BUILD_EXTENSION_MODULE), so the
# crates `cargo build --workspace` compiled are reused and only pyo3 and spot-py are rebuilt.
# SPOT_PY_PROFILE=release builds a release wheel instead. SPOT_PY_VENV=dir reuses a virtualenv
# folder (created if missing) instead of a temporary one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
profile="${SPOT_PY_PROFILE:-dev}"
start=$(date +%s)
step() { echo "== $1 ($(( $(date +%s) - start ))s)"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
venv="${SPOT_PY_VENV:-$work/venv}"

if ! "$python" -c 'import sys, venv; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
  echo "== spot-py ci SKIPPED: $python (CPython >= 3.9 with venv) not found; set PYTHON=..." >&2
  exit 0
fi

step "virtualenv $venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
packages=(maturin pyarrow pytest pandas polars tqdm)
if [ "${SPOT_PY_NOTEBOOK:-1}" = 1 ]; then packages+=(nbclient nbformat ipykernel matplotlib); fi
spark_default=0
if command -v java >/dev/null 2>&1; then spark_default=1; fi
if [ "${SPOT_PY_SPARK:-$spark_default}" = 1 ]; then packages+=(pyspark); fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"

step "maturin build --profile $profile"
"$venv/bin/maturin" build --manifest-path "$here/Cargo.toml" --profile "$profile" --out "$work/wheels" --quiet
wheel=("$work"/wheels/*.whl)
echo "   ${wheel[0]##*/}"

step "pip install the wheel"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "${wheel[0]}"

step "pytest"
# Run from the tests folder so that `import spot` finds the installed wheel, not the sources.
cd "$here/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider -o "doctest_optionflags=ELLIPSIS NORMALIZE_WHITESPACE" . --doctest-modules --pyargs spot

echo "== spot-py ci passed in $(( $(date +%s) - start ))s"
