#!/usr/bin/env bash
# Builds the spot wheel with maturin, installs it into a fresh virtualenv and runs the pytest
# suite (tests/ and the package's doctests). Exits non-zero on any failure.
#
#   crates/spot-py/ci.sh                 # the whole suite; the Spark test skips without PySpark
#   SPOT_PY_SPARK=1 crates/spot-py/ci.sh # also installs PySpark (large download; needs Java 17)
#
# SPOT_PY_VENV=dir reuses a virtualenv folder (created if missing) instead of a temporary one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
start=$(date +%s)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
venv="${SPOT_PY_VENV:-$work/venv}"

echo "== virtualenv $venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
packages=(maturin pyarrow pytest polars pandas tqdm)
if [ "${SPOT_PY_SPARK:-0}" = 1 ]; then packages+=(pyspark); fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"

echo "== maturin build"
"$venv/bin/maturin" build --manifest-path "$here/Cargo.toml" --out "$work/wheels" --quiet
wheel=("$work"/wheels/*.whl)
echo "   ${wheel[0]##*/}"

echo "== pip install the wheel"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "${wheel[0]}"

echo "== pytest"
# Run from the tests folder so that `import spot` finds the installed wheel, not the sources.
cd "$here/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider -o "doctest_optionflags=ELLIPSIS NORMALIZE_WHITESPACE" . --doctest-modules --pyargs spot

echo "== spot-py ci passed in $(( $(date +%s) - start ))s"
