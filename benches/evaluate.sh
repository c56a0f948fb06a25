#!/usr/bin/env bash
# Detection quality of both modes on labeled generated days, several seeds.
# Usage: benches/evaluate.sh [RECORDS] [SEEDS...]   (default: 150000 records, seeds 1..5)
# Prints a Markdown table (the one in EVALUATION.md).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-150000}
shift || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
out=benches/out/evaluate
mkdir -p "$out"
# SPOT=path/to/spot reuses a built binary; otherwise a release build.
if [ -z "${SPOT:-}" ]; then
  cargo build -q --release -p spot-cli
  SPOT=target/release/spot
fi
spot=$SPOT
echo "| seed | records | mode | AP | kinds in top 0.1% | kinds in top 1% | port_scan | exfiltration | beacon | brute_force | tunnel |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for seed in "${seeds[@]}"; do
  day="$out/day-$seed.parquet"
  "$spot" generate flow --records "$records" --seed "$seed" --out "$day" 2>/dev/null
  for mode in spot combined; do
    res="$out/$mode-$seed.csv"
    "$spot" ml flow --mode "$mode" --input "$day" --out "$res" --seed "$seed" --max-results 3000 2>/dev/null
    "$spot" eval --labels "$day" "$res" > "$out/$mode-$seed.txt"
    python3 - "$out/$mode-$seed.txt" "$seed" "$mode" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
total = re.search(r"records (\d+)", text).group(1)
ap = re.search(r"average precision ([0-9.]+)", text).group(1)
k01 = re.search(r"top 0.1%: (\d+ of \d+)", text).group(1)
k1 = re.search(r"top 1%: (\d+ of \d+)", text).group(1)
def rank(kind):
    m = re.search(kind + r"\s+\d+ records, (best rank (\d+)|not ranked)", text)
    return m.group(2) if m and m.group(2) else "—"
print(f"| {sys.argv[2]} | {total} | {sys.argv[3]} | {ap} | {k01} | {k1} | " + " | ".join(rank(k) for k in ["port_scan", "exfiltration", "beacon", "brute_force", "tunnel"]) + " |")
PY
  done
done
