#!/usr/bin/env bash
# Flows per second of `spot ml flow` (Apache Spot mode) on a generated day, per stage, at the
# given thread counts. Usage: benches/flow_throughput.sh [RECORDS] [THREADS...]
# Example: benches/flow_throughput.sh 1000000 1 2
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
shift || true
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)
out=benches/out/flow_throughput
mkdir -p "$out"
# SPOT=path/to/spot reuses a built binary; otherwise a release build.
if [ -z "${SPOT:-}" ]; then
  cargo build --release -p spot-cli >/dev/null
  SPOT=target/release/spot
fi
spot=$SPOT
input="$out/flows-$records.csv"
[ -f "$input" ] || "$spot" generate flow --records "$records" --out "$input" --seed 7
rows=$(($(wc -l < "$input") - 1))
echo "input: $input ($rows records, $(du -h "$input" | cut -f1))"
for t in "${threads[@]}"; do
  /usr/bin/time -f "%e %M" -o "$out/time-$t" "$spot" --threads "$t" ml flow --input "$input" \
    --mode spot --out "$out/scores-$t.csv" --max-results 3000 --seed 7 2> "$out/summary-$t"
  read -r wall rss < "$out/time-$t"
  summary=$(tail -1 "$out/summary-$t")
  echo "threads=$t wall=${wall}s flows/s=$(python3 -c "print(round($rows/$wall))") peak_rss=$((rss / 1024))MiB"
  echo "  $summary"
done
