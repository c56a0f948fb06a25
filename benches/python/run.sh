#!/usr/bin/env bash
# The Python API against the CLI on the same generated flows and the same analysis; the Spark
# path (local[2]) against the single-machine Python path and against a PySpark re-implementation
# of Apache Spot's pipeline (UDF words + MLlib LDA, spot_mllib.py). Prints Markdown rows for
# BENCHMARKS.md.
#
#   benches/python/run.sh [RECORDS]        (default 1000000)
#
# SPOT: the CLI binary (default target/release/spot). PYTHON: an interpreter with the spot
# wheel installed (default python3; build it with
# `maturin build --release -m crates/spot-py/Cargo.toml --out dist && pip install dist/*.whl`),
# plus pyspark and numpy for the Spark part (skipped without pyspark). The input is generated into
# benches/out/python/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
records="${1:-1000000}"
SPOT="${SPOT:-target/release/spot}"
PYTHON="${PYTHON:-python3}"
out=benches/out/python
mkdir -p "$out"
input="$out/flows-$records.parquet"
[ -s "$input" ] || "$SPOT" generate flow --records "$records" --seed 7 --out "$input" >/dev/null
"$PYTHON" benches/python/api_vs_cli.py --spot "$SPOT" --input "$input" --out "$out"
if "$PYTHON" -c "import pyspark" 2>/dev/null; then
  "$PYTHON" benches/python/spark_vs_local.py --input "$input"
else
  echo "(pyspark not installed: Spark comparison skipped)"
fi
